//! Signing in and out: password checks with throttling, web sessions, and the first admin.

use std::net::IpAddr;

use jiff::{SignedDuration, Timestamp};
use steward_core::events::DomainEvent;
use steward_core::identity::{
    LoginFailure, LoginPolicy, Password, Role, ThrottleKey, User, UserEvent, Username, retry_after_secs,
    typed_name,
};
use steward_store::{NewUser, ThrottleState};

use crate::secrets::{hash_password, new_secret, secret_hash, verify_password};
use crate::{Actor, AppError, Credential, Result, record};

/// How long a browser that signed in stays trusted for its user's sign-ins.
pub const DEVICE_TTL: SignedDuration = SignedDuration::from_hours(180 * 24);

/// Where a sign-in attempt comes from.
#[derive(Debug, Clone, Default)]
pub struct SignInClient {
    /// The peer's address (from a trusted proxy's `X-Forwarded-For` where one is configured).
    pub address: Option<IpAddr>,
    /// The secret of the browser's device cookie, if it sent one.
    pub device: Option<String>,
}

/// A new browser session: the cookie secret goes to the browser once, never stored in clear.
#[derive(Debug, Clone)]
pub struct SessionStart {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: Timestamp,
    pub actor: Actor,
    /// A new device cookie for this browser, when it did not already hold a live one of this
    /// user's.
    pub device: Option<(String, Timestamp)>,
}

/// The admin account made on first start.
#[derive(Debug, Clone)]
pub struct AdminBootstrap {
    pub username: String,
    /// Set when Steward generated the password and must print it once.
    pub generated_password: Option<String>,
}

/// A signed-in user, and whether the attempt came from a device of theirs.
struct Proven {
    user: User,
    device_known: bool,
}

impl crate::Auth<'_> {
    /// Checks a username and password, applying the throttles; on success returns the user.
    ///
    /// An unknown name costs the same password hash and counts against the same kind of key as
    /// a real one, so neither the answer, its timing nor the throttle tells them apart. An
    /// attempt from a browser that already signed in as this user counts against that device
    /// only: others' failures on the name or from the address do not lock it out.
    pub async fn authenticate(self, username: &str, password: &str, client: &SignInClient) -> Result<User> {
        self.check_password(username, password, client).await.map(|p| p.user)
    }

    async fn check_password(self, typed: &str, password: &str, client: &SignInClient) -> Result<Proven> {
        let at = self.now();
        let login = match Username::parse(typed) {
            Ok(name) => self.store.login_record(&name).await?,
            Err(_) => None,
        };
        let device_hash = client.device.as_deref().map(secret_hash);
        let device_user = match &device_hash {
            Some(hash) => self.store.login_device(hash, at).await?,
            None => None,
        };
        let device_known = login.as_ref().is_some_and(|l| Some(l.user.id) == device_user);
        let keys: Vec<(ThrottleKey, LoginPolicy)> = match (&device_hash, device_known) {
            (Some(hash), true) => vec![(ThrottleKey::Device(hash.clone()), self.config.login)],
            _ => {
                let mut keys = vec![(ThrottleKey::name(typed), self.config.login)];
                if let Some(ip) = client.address {
                    keys.push((ThrottleKey::Client(ip.to_string()), self.config.client_login));
                }
                keys
            }
        };
        let names: Vec<ThrottleKey> = keys.iter().map(|(k, _)| k.clone()).collect();
        let states = self.store.throttles(&names).await?;
        if let Some(until) = states.iter().map(|s| s.blocked_until).filter(|u| *u > at).max() {
            let wait_ms = i64::try_from(until.duration_since(at).as_millis()).unwrap_or(i64::MAX);
            return Err(AppError::TooManyAttempts { retry_after_secs: retry_after_secs(wait_ms) });
        }
        let hash = login.as_ref().and_then(|l| l.password_hash.clone());
        let ok = verify_password(password.to_owned(), hash).await?;
        let mut tx = self.store.begin().await?;
        if let Some(login) = login.as_ref().filter(|l| ok && !l.user.disabled) {
            for (key, _) in keys.iter().filter(|(k, _)| !matches!(k, ThrottleKey::Client(_))) {
                tx.clear_throttle(key).await?;
            }
            tx.commit().await?;
            return Ok(Proven { user: login.user.clone(), device_known });
        }
        let mut wait_ms = 0;
        let mut locked = false;
        for ((key, policy), state) in keys.iter().zip(&states) {
            let throttle = policy.after_failure(state.failures);
            let blocked_until =
                at.saturating_add(SignedDuration::from_millis(throttle.wait_ms)).unwrap_or(at);
            tx.set_throttle(at, key, ThrottleState { failures: throttle.failures, blocked_until }).await?;
            if throttle.locked {
                locked = true;
                wait_ms = wait_ms.max(throttle.wait_ms);
                if let ThrottleKey::Device(hash) = key {
                    // A device that keeps failing is trusted no more (OWASP's device cookies).
                    tx.delete_login_device(hash).await?;
                }
            }
        }
        let reason = match &login {
            None => "unknown user",
            Some(l) if l.user.disabled => "disabled",
            Some(_) => "wrong password",
        };
        let username = login.as_ref().map_or_else(|| typed_name(typed), |l| l.user.username.to_string());
        let attempt = LoginFailure { username, reason: reason.into(), locked: Some(locked) };
        let id = login.as_ref().map(|l| l.user.id);
        record(&mut tx, at, None, DomainEvent::User { id, event: UserEvent::SignInFailed(attempt) }).await?;
        tx.commit().await?;
        if locked {
            return Err(AppError::TooManyAttempts { retry_after_secs: retry_after_secs(wait_ms) });
        }
        Err(AppError::BadCredentials)
    }

    /// Signs in through the web form and opens a session; a browser new to this user gets a
    /// device cookie.
    pub async fn start_session(
        self,
        username: &str,
        password: &str,
        client: &SignInClient,
    ) -> Result<SessionStart> {
        let proven = self.auth().check_password(username, password, client).await?;
        let user = proven.user;
        let at = self.now();
        let secret = new_secret("sws_")?;
        let csrf_token = new_secret("")?;
        let expires_at = at.saturating_add(self.config.session_ttl).unwrap_or(at);
        let mut tx = self.store.begin().await?;
        let id = tx.insert_session(at, &secret_hash(&secret), user.id, &csrf_token, expires_at).await?;
        let device = if proven.device_known {
            None
        } else {
            let device_secret = new_secret("swd_")?;
            let device_expires = at.saturating_add(DEVICE_TTL).unwrap_or(at);
            tx.insert_login_device(at, &secret_hash(&device_secret), user.id, device_expires).await?;
            Some((device_secret, device_expires))
        };
        let actor = Actor { user, credential: Credential::Session { id, csrf_token: csrf_token.clone() } };
        let event = UserEvent::SignedIn { via: "web".into() };
        record(&mut tx, at, Some(&actor), DomainEvent::User { id: Some(actor.user.id), event }).await?;
        tx.commit().await?;
        Ok(SessionStart { secret, csrf_token, expires_at, actor, device })
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
