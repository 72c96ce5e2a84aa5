//! Signing in and out: password checks with throttling, web sessions, and the first admin.

use jiff::{SignedDuration, Timestamp};
use steward_core::events::DomainEvent;
use steward_core::identity::{LoginFailure, Password, Role, UserEvent, Username};
use steward_store::NewUser;

use crate::secrets::{hash_password, new_secret, secret_hash, verify_password};
use crate::{Actor, AppError, Credential, Result, record};

/// A new browser session: the cookie secret goes to the browser once, never stored in clear.
#[derive(Debug, Clone)]
pub struct SessionStart {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
    pub actor: Actor,
}

/// The admin account made on first start.
#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    pub username: String,
    /// Set when Steward generated the password and must print it once.
    pub generated_password: Option<String>,
}

impl crate::Auth<'_> {
    /// Checks a username and password, applying the throttle; on success returns the user as
    /// an actor with `credential`.
    pub async fn authenticate(self, username: &str, password: &str) -> Result<steward_core::identity::User> {
        let at = self.now();
        let Ok(username) = Username::parse(username) else {
            verify_password(password.to_owned(), None).await?;
            return Err(AppError::BadCredentials);
        };
        let Some(login) = self.store.login_record(&username).await? else {
            verify_password(password.to_owned(), None).await?;
            let mut tx = self.store.begin().await?;
            let attempt =
                LoginFailure { username: username.to_string(), reason: "unknown user".into(), locked: None };
            record(
                &mut tx,
                at,
                None,
                DomainEvent::User { id: None, event: UserEvent::SignInFailed(attempt) },
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::BadCredentials);
        };
        if login.blocked_until > at {
            let wait = login.blocked_until.duration_since(at).as_secs().max(1);
            return Err(AppError::TooManyAttempts { retry_after_secs: wait });
        }
        let ok = verify_password(password.to_owned(), login.password_hash.clone()).await?;
        let user = login.user;
        let mut tx = self.store.begin().await?;
        if ok && !user.disabled {
            tx.record_login_success(user.id).await?;
            tx.commit().await?;
            return Ok(user);
        }
        let throttle = self.config.login.after_failure(login.failed_logins);
        let blocked_until = at.saturating_add(SignedDuration::from_millis(throttle.wait_ms)).unwrap_or(at);
        tx.record_login_failure(user.id, throttle.failures, blocked_until).await?;
        let reason = if user.disabled { "disabled" } else { "wrong password" };
        let attempt = LoginFailure {
            username: user.username.to_string(),
            reason: reason.into(),
            locked: Some(throttle.locked),
        };
        let event = UserEvent::SignInFailed(attempt);
        record(&mut tx, at, None, DomainEvent::User { id: Some(user.id), event }).await?;
        tx.commit().await?;
        if throttle.locked {
            return Err(AppError::TooManyAttempts { retry_after_secs: throttle.wait_ms / 1000 });
        }
        Err(AppError::BadCredentials)
    }

    /// Signs in through the web form and opens a session.
    pub async fn start_session(self, username: &str, password: &str) -> Result<SessionStart> {
        let user = self.auth().authenticate(username, password).await?;
        let at = self.now();
        let secret = new_secret("sws_")?;
        let csrf_token = new_secret("")?;
        let expires_at = at.saturating_add(self.config.session_ttl).unwrap_or(at);
        let mut tx = self.store.begin().await?;
        let id = tx.insert_session(at, &secret_hash(&secret), user.id, &csrf_token, expires_at).await?;
        let actor = Actor { user, credential: Credential::Session { id, csrf_token: csrf_token.clone() } };
        let event = UserEvent::SignedIn { via: "web".into() };
        record(&mut tx, at, Some(&actor), DomainEvent::User { id: Some(actor.user.id), event }).await?;
        tx.commit().await?;
        Ok(SessionStart { secret, csrf_token, expires_at, actor })
    }

    /// The actor of a live session cookie, if any.
    pub async fn session_actor(self, secret: &str) -> Result<Option<Actor>> {
        let session = self.store.live_session(&secret_hash(secret), self.now()).await?;
        Ok(session.map(|s| Actor {
            user: s.user,
            credential: Credential::Session { id: s.id, csrf_token: s.csrf_token },
        }))
    }

    /// Ends the session with this cookie secret.
    pub async fn end_session(self, secret: &str) -> Result<()> {
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(user_id) = tx.delete_session(&secret_hash(secret)).await? {
            record(&mut tx, at, None, DomainEvent::User { id: Some(user_id), event: UserEvent::SignedOut })
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// On first start, with no users at all, creates `admin` with `password` or a random one.
    pub async fn bootstrap_admin(self, password: Option<&str>) -> Result<Option<AdminBootstrap>> {
        if self.store.count_users().await? > 0 {
            return Ok(None);
        }
        let (password, generated) = match password {
            Some(p) => {
                (Password::parse(p).map_err(|e| AppError::invalid("STEWARD_ADMIN_PASSWORD", e))?, None)
            }
            None => {
                let p = new_secret("")?[..20].to_owned();
                (Password::parse(&p).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?, Some(p))
            }
        };
        let username = Username::parse("admin").map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
        let hash = hash_password(password.expose().to_owned()).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let new = NewUser {
            username,
            display_name: "Administrator".into(),
            email: None,
            role: Role::Admin,
            password_hash: Some(hash),
            locale: None,
            organisation: None,
        };
        let user = tx.insert_user(at, &new).await?;
        let event = UserEvent::Created(Box::new(crate::directory::user_snapshot(&user)));
        record(&mut tx, at, None, DomainEvent::User { id: Some(user.id), event }).await?;
        tx.commit().await?;
        Ok(Some(AdminBootstrap { username: user.username.to_string(), generated_password: generated }))
    }
}
