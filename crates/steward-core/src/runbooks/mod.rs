//! Runbooks (自动化运维): versioned definitions of automated work — processes on the Steward
//! node, commands over SSH, HTTP calls and Ansible playbooks on CMDB targets — and the rules of
//! running them: typed parameters, templates that pass values between steps, what a run's state
//! may become, secrets masked in output, output kept within a cap (head and tail), approval
//! gates, and just-in-time authority on critical CIs.

pub mod cron;
mod definition;
mod events;
mod output;
mod runs;
mod template;
mod values;

pub use definition::{
    Action, Approvers, Gate, HttpMethod, MAX_STEPS, OnFailure, Param, ParamKind, Runbook, Step, TargetQuery,
    check_key,
};
pub use events::{GrantEvent, RunEvent, RunbookEvent};
pub use output::{Masker, OutputCap};
pub use runs::{
    Authority, Grant, GrantState, RunState, StepState, Trigger, Window, authority, needs_authority,
};
pub use template::{Context, Reference, Template};
pub use values::{ParamValue, Values, check_values};
