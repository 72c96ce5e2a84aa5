//! Roles, token scopes and the permission every operation asks for.
//!
//! A request is allowed when the actor's role grants the permission *and*, for a bearer token,
//! the token carries the scope that permission belongs to. A web session carries every scope of
//! its role.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`: expected one of {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(input: &str) -> Result<$name, UnknownValue> {
                match input.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue {
                        what: $what,
                        value: other.chars().take(64).collect(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What a person does in the service desk; team membership decides which tickets they see.
    Role, "role" {
        Requester => "requester",
        Agent => "agent",
        TeamLead => "team_lead",
        ChangeManager => "change_manager",
        Admin => "admin",
        Auditor => "auditor",
    }
}

string_enum! {
    /// What a bearer token may be used for.
    Scope, "scope" {
        Read => "read",
        Write => "write",
        Admin => "admin",
        Audit => "audit",
        Metrics => "metrics",
        Alerts => "alerts",
    }
}

/// An operation's need, checked against the actor's role and token scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the user and team directory.
    ViewDirectory,
    /// Create and change users, teams and memberships.
    ManageDirectory,
    /// Create and revoke one's own API tokens.
    ManageOwnTokens,
    /// See and revoke anyone's API tokens.
    ManageAllTokens,
    /// Read and verify the audit trail.
    ReadAudit,
    /// Scrape `/metrics`.
    ReadMetrics,
    /// See tickets (which ones is decided per ticket by `tickets::access`).
    ReadTickets,
    /// Raise tickets and reply on one's own.
    RaiseTickets,
    /// Work tickets: assign, update, transition, write work notes.
    WorkTickets,
    /// Read the service reports and dashboards (figures over every ticket).
    ReadReports,
    /// See configuration items, their relationships and impact.
    ReadCmdb,
    /// Create and change configuration items and relationships.
    WriteCmdb,
    /// Deliver alerts from monitoring (`/hooks/*`).
    IngestAlerts,
    /// Set up change management: models, approver groups and policies, the risk
    /// questionnaire, freezes.
    ManageChanges,
    /// See runbooks and their runs; start runs; ask for just-in-time grants.
    RunRunbooks,
    /// Write runbooks, their schedules and alert triggers, and the secret store.
    ManageRunbooks,
    /// Send log lines (`/ingest/logs`, the Loki push API); a monitoring credential, like alerts.
    IngestLogs,
    /// Explore logs: templates, their lines and hosts.
    ReadLogs,
    /// Design the service catalogue: items, their forms and fulfilment plans.
    ManageCatalogue,
}

impl Permission {
    /// The token scope an operation of this kind belongs to.
    pub fn scope(self) -> Scope {
        match self {
            Permission::ViewDirectory
            | Permission::ReadTickets
            | Permission::ReadReports
            | Permission::ReadCmdb
            | Permission::ReadLogs => Scope::Read,
            Permission::RaiseTickets
            | Permission::WorkTickets
            | Permission::WriteCmdb
            | Permission::ManageChanges
            | Permission::RunRunbooks
            | Permission::ManageRunbooks => Scope::Write,
            Permission::ManageOwnTokens => Scope::Write,
            Permission::ManageDirectory | Permission::ManageAllTokens | Permission::ManageCatalogue => {
                Scope::Admin
            }
            Permission::ReadAudit => Scope::Audit,
            Permission::ReadMetrics => Scope::Metrics,
            Permission::IngestAlerts | Permission::IngestLogs => Scope::Alerts,
        }
    }
}

impl Role {
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            ManageOwnTokens | ReadTickets => true,
            RaiseTickets => self != Role::Auditor,
            WorkTickets | WriteCmdb | IngestAlerts | IngestLogs => {
                matches!(self, Role::Agent | Role::TeamLead | Role::ChangeManager | Role::Admin)
            }
            ViewDirectory | ReadReports | ReadCmdb | ReadLogs => self != Role::Requester,
            ManageDirectory | ManageAllTokens | ManageCatalogue => self == Role::Admin,
            ReadAudit | ReadMetrics => matches!(self, Role::Admin | Role::Auditor),
            ManageChanges | ManageRunbooks => matches!(self, Role::ChangeManager | Role::Admin),
            RunRunbooks => matches!(self, Role::Agent | Role::TeamLead | Role::ChangeManager | Role::Admin),
        }
    }

    /// Every scope this role can make use of; a token may carry no other.
    pub fn scopes(self) -> ScopeSet {
        let mut set = ScopeSet::default();
        set.insert(Scope::Read);
        set.insert(Scope::Write);
        if self.allows(Permission::IngestAlerts) {
            set.insert(Scope::Alerts);
        }
        match self {
            Role::Admin => {
                set.insert(Scope::Admin);
                set.insert(Scope::Audit);
                set.insert(Scope::Metrics);
            }
            Role::Auditor => {
                set.insert(Scope::Audit);
                set.insert(Scope::Metrics);
            }
            _ => {}
        }
        set
    }
}

/// A set of scopes, written as space-separated words (`"read write"`) like OAuth scopes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScopeSet(u8);

impl ScopeSet {
    fn bit(scope: Scope) -> u8 {
        1 << (scope as u8)
    }

    pub fn insert(&mut self, scope: Scope) {
        self.0 |= Self::bit(scope);
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & Self::bit(scope) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.iter().copied().filter(move |s| self.contains(*s))
    }

    /// Parses space- or comma-separated scopes; an empty list is an error.
    pub fn parse(input: &str) -> Result<ScopeSet, UnknownValue> {
        let mut set = ScopeSet::default();
        for word in input.split([' ', ',']).filter(|w| !w.is_empty()) {
            set.insert(Scope::parse(word)?);
        }
        if set.is_empty() {
            return Err(UnknownValue {
                what: "scope",
                value: String::new(),
                expected: Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            });
        }
        Ok(set)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<_> = self.iter().map(Scope::as_str).collect();
        f.write_str(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_permission_matrix() {
        use Permission::*;
        let perms =
            [ViewDirectory, ManageDirectory, ManageOwnTokens, ManageAllTokens, ReadAudit, ReadMetrics];
        // One row per role, one column per permission above.
        let expected = [
            (Role::Requester, [false, false, true, false, false, false, true, true, false]),
            (Role::Agent, [true, false, true, false, false, false, true, true, true]),
            (Role::TeamLead, [true, false, true, false, false, false, true, true, true]),
            (Role::ChangeManager, [true, false, true, false, false, false, true, true, true]),
            (Role::Admin, [true, true, true, true, true, true, true, true, true]),
            (Role::Auditor, [true, false, true, false, true, true, true, false, false]),
        ];
        for (role, row) in expected {
            for (perm, allowed) in perms.iter().zip(row) {
                assert_eq!(role.allows(*perm), allowed, "{role} {perm:?}");
                // A role's own scopes always cover what it is allowed to do.
                if allowed {
                    assert!(role.scopes().contains(perm.scope()), "{role} {perm:?}");
                }
            }
        }
    }

    #[test]
    fn scope_sets() {
        let set = ScopeSet::parse("read,write  audit").unwrap();
        assert_eq!(set.to_string(), "read write audit");
        assert!(set.is_subset_of(Role::Auditor.scopes()));
        assert!(!ScopeSet::parse("admin").unwrap().is_subset_of(Role::Agent.scopes()));
        assert!(ScopeSet::parse("").is_err());
        let err = ScopeSet::parse("read root").unwrap_err();
        assert_eq!(err.value, "root");
        assert!(err.to_string().contains("read, write, admin, audit, metrics"));
        assert_eq!(Role::parse("team_lead"), Ok(Role::TeamLead));
        assert!(Role::parse("superuser").is_err());
    }
}
