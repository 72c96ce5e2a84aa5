//! The people and credentials Steward knows, as plain data.

use jiff::Timestamp;

use crate::ids::{TeamId, TokenId, UserId};

use super::{Role, ScopeSet, Username};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub disabled: bool,
    pub locale: Option<String>,
    /// The IANA zone pages show their times in (`None`: the desk's).
    pub time_zone: Option<String>,
    /// The requester's organisation (a company, a department); SLA policies may match on it.
    pub organisation: Option<String>,
    /// Whose approval the person's service requests need when an item asks for the manager's.
    pub manager_id: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// A team together with the users in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamWithMembers {
    pub team: Team,
    pub members: Vec<User>,
}

/// An API token as shown to people: never its secret, which only its owner saw once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub username: Username,
    pub name: String,
    pub scopes: ScopeSet,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

impl ApiToken {
    pub fn is_active(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}
