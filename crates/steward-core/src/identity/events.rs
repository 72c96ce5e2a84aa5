//! What happens to users, teams and API tokens, as the audit trail records it.

use crate::ids::UserId;

/// A user's profile as events record it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSnapshot {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub disabled: bool,
    pub locale: Option<String>,
    pub organisation: Option<String>,
    pub time_zone: Option<String>,
    pub manager_id: Option<i64>,
}

/// Why a sign-in failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailure {
    /// The name typed.
    pub username: String,
    /// "unknown user", "disabled" or "wrong password".
    pub reason: String,
    /// Whether this failure locked the account (absent for an unknown user).
    pub locked: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserEvent {
    // Boxed: a snapshot is large beside the other events.
    Created(Box<UserSnapshot>),
    Updated {
        before: Box<UserSnapshot>,
        after: Box<UserSnapshot>,
    },
    PasswordChanged,
    /// A web session began (`via`: "web").
    SignedIn {
        via: String,
    },
    SignedOut,
    SignInFailed(LoginFailure),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TeamEvent {
    Created {
        name: String,
        description: String,
    },
    MemberAdded {
        user_id: UserId,
        username: String,
    },
    MemberRemoved {
        user_id: UserId,
        username: String,
    },
    /// The team became (or stopped being) the one that takes tickets no category routes.
    IntakeChanged {
        intake: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenEvent {
    /// `owner` is the owner's username, `scopes` as they are written (`read write`), and
    /// `expires_at` an RFC 3339 instant as text.
    Issued {
        owner: String,
        name: String,
        scopes: String,
        expires_at: String,
    },
    Revoked,
}
