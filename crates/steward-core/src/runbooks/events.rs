//! What happens to runbooks, their runs, secrets and just-in-time grants, as the audit trail
//! records it. Secrets appear by name only, never by value.

/// A runbook's definition and its triggers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunbookEvent {
    /// A definition saved as `version` (1 when new).
    Saved {
        name: String,
        version: i64,
    },
    Retired {
        name: String,
    },
    /// A cron schedule (`id`) set or changed: its expression and zone.
    ScheduleSet {
        id: i64,
        cron: String,
        zone: String,
    },
    ScheduleRemoved {
        id: i64,
    },
    /// An alert trigger (`id`): alerts whose labels match `matchers` start the runbook.
    AlertTriggerSet {
        id: i64,
        matchers: String,
    },
    AlertTriggerRemoved {
        id: i64,
    },
    /// A secret of the store set (`runbook` id 0: secrets are the desk's) or removed.
    SecretSet {
        name: String,
    },
    SecretRemoved {
        name: String,
    },
}

/// One run of a runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEvent {
    /// Asked for: what, by what, with which parameters (secrets by name) and on which CI,
    /// ticket, change or alert.
    Requested {
        runbook: String,
        version: i64,
        trigger: String,
        params: String,
        links: String,
    },
    /// An approver decided on the run (`step` empty) or on one step.
    Decided {
        approver: String,
        approve: bool,
        comment: String,
        step: String,
    },
    /// A node started it, with the authority that allowed it (`CHG…`, `grant 3`, or none).
    Started {
        node: String,
        authority: String,
    },
    /// It ended: `state` is a `RunState` word; `detail` says why when it did not succeed.
    Finished {
        state: String,
        detail: String,
    },
    CancelRequested {
        by: String,
    },
}

/// A just-in-time grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantEvent {
    Requested { user: String, cis: String, reason: String, minutes: i64 },
    Decided { by: String, approve: bool, comment: String },
    Revoked { by: String },
}
