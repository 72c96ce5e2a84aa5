//! Service requests (issue 23): the catalogue's items, each with a form that admins design
//! (`form.rs`: field kinds, required fields, conditions that show or hide fields, validation;
//! a submission checked against the form version it was made on) and a fulfilment plan
//! (`plan.rs`: approval levels, then tasks in stages). A request is a ticket of kind `Request`.

mod events;
pub mod form;
mod plan;

pub use events::{CatalogueEvent, RequestEvent};
pub use form::{Answer, Condition, FieldKind, Form, FormError, FormField, Submission, ci_query_matches};
pub use plan::{
    Approver, MAX_LEVELS, MAX_TASKS, Plan, Progress, TaskState, TaskStep, manager_verdict, progress,
};
