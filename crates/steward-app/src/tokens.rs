//! API tokens: issued with scopes and an expiry, stored hashed, revocable.

use jiff::{SignedDuration, Timestamp};
use steward_core::events::DomainEvent;
use steward_core::expiry::parse_lifetime;
use steward_core::identity::{ApiToken, Permission, ScopeSet, TokenEvent, User};
use steward_core::ids::{TokenId, UserId};
use steward_store::NewToken;

use crate::secrets::{new_secret, secret_hash};
use crate::{Actor, AppError, Credential, Result, record};

/// A token just made: `secret` is shown once and never again.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub secret: String,
    pub token: ApiToken,
}

/// Records a token's use at most this often, so reads stay reads.
const TOUCH_EVERY: SignedDuration = SignedDuration::from_secs(60);

impl crate::Tokens<'_> {
    /// Issues a token to `owner_id`. People issue their own; admins anyone's; `actor` is `None`
    /// only for the command line on the server.
    pub async fn issue(
        self,
        actor: Option<&Actor>,
        owner_id: UserId,
        name: &str,
        scopes: &str,
        lifetime: &str,
    ) -> Result<IssuedToken> {
        if let Some(a) = actor {
            let needed =
                if a.user.id == owner_id { Permission::ManageOwnTokens } else { Permission::ManageAllTokens };
            a.require(needed)?;
        }
        let owner = self.store.user(owner_id).await?.ok_or(AppError::NotFound("user"))?;
        let scopes = ScopeSet::parse(scopes).map_err(|e| AppError::invalid("scopes", e))?;
        if !scopes.is_subset_of(owner.role.scopes()) {
            return Err(AppError::invalid(
                "scopes",
                format!("a {} may only hold the scopes {}", owner.role, owner.role.scopes()),
            ));
        }
        // A token can only make tokens narrower than itself.
        if let Some(Actor { credential: Credential::Token { scopes: own, .. }, .. }) = actor
            && !scopes.is_subset_of(*own)
        {
            return Err(AppError::invalid("scopes", format!("this token may only grant the scopes {own}")));
        }
        let lifetime = parse_lifetime(lifetime).map_err(|e| AppError::invalid("expires", e))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "a token name must be 1 to 100 printable characters"));
        }
        self.insert_token(actor, &owner, name, scopes, lifetime).await
    }

    async fn insert_token(
        self,
        actor: Option<&Actor>,
        owner: &User,
        name: &str,
        scopes: ScopeSet,
        lifetime: SignedDuration,
    ) -> Result<IssuedToken> {
        let at = self.now();
        let secret = new_secret("stw_")?;
        let new = NewToken {
            user_id: owner.id,
            name: name.to_owned(),
            token_hash: secret_hash(&secret),
            scopes,
            expires_at: at.saturating_add(lifetime).unwrap_or(Timestamp::MAX),
            created_by: actor.map(|a| a.user.id),
        };
        let mut tx = self.store.begin().await?;
        let token = tx.insert_token(at, &new).await?;
        let event = TokenEvent::Issued {
            owner: owner.username.to_string(),
            name: token.name.clone(),
            scopes: token.scopes.to_string(),
            expires_at: token.expires_at.to_string(),
        };
        record(&mut tx, at, actor, DomainEvent::ApiToken { id: token.id, event }).await?;
        tx.commit().await?;
        Ok(IssuedToken { secret, token })
    }

    /// `POST /api/v1/auth/login`: checks the password and issues a token with every scope of
    /// the user's role, valid as long as a web session.
    pub async fn api_login(
        self,
        username: &str,
        password: &str,
        client: &crate::SignInClient,
    ) -> Result<IssuedToken> {
        let user = self.auth().authenticate(username, password, client).await?;
        let actor = Actor { user: user.clone(), credential: Credential::Direct };
        self.insert_token(Some(&actor), &user, "password login", user.role.scopes(), self.config.session_ttl)
            .await
    }

    /// The actor behind a bearer token, if the token is live.
    pub async fn token_actor(self, secret: &str) -> Result<Option<Actor>> {
        let at = self.now();
        let Some((token, user)) = self.store.live_token(&secret_hash(secret), at).await? else {
            return Ok(None);
        };
        let stale = token.last_used_at.is_none_or(|t| at.duration_since(t) > TOUCH_EVERY);
        if stale {
            self.store.touch_token(token.id, at).await?;
        }
        Ok(Some(Actor { user, credential: Credential::Token { id: token.id, scopes: token.scopes } }))
    }

    /// Tokens the actor may see: their own, or everyone's for `all` (admins).
    pub async fn list(self, actor: &Actor, all: bool) -> Result<Vec<ApiToken>> {
        if all {
            actor.require(Permission::ManageAllTokens)?;
            return Ok(self.store.list_tokens(None).await?);
        }
        actor.require(Permission::ManageOwnTokens)?;
        Ok(self.store.list_tokens(Some(actor.user.id)).await?)
    }

    pub async fn revoke(self, actor: &Actor, id: TokenId) -> Result<ApiToken> {
        let token = self.store.token(id).await?.ok_or(AppError::NotFound("token"))?;
        if token.user_id == actor.user.id {
            actor.require(Permission::ManageOwnTokens)?;
        } else if actor.can(Permission::ManageAllTokens) {
            // Admins may revoke anyone's token.
        } else {
            // Someone else's token does not exist as far as this actor can tell.
            return Err(AppError::NotFound("token"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let revoked = tx.revoke_token(at, id).await?;
        if token.revoked_at.is_none() {
            record(&mut tx, at, Some(actor), DomainEvent::ApiToken { id, event: TokenEvent::Revoked })
                .await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }

    /// Revokes the token an API client is using (`POST /api/v1/auth/logout`).
    pub async fn revoke_own_credential(self, actor: &Actor) -> Result<()> {
        if let Credential::Token { id, .. } = actor.credential {
            self.tokens().revoke(actor, id).await?;
        }
        Ok(())
    }
}
