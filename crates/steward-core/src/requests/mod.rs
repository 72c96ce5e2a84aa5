//! Service requests (issue 23): the catalogue's items, each with a form that admins design
//! (`form.rs`: field kinds, required fields, conditions that show or hide fields, validation;
//! a submission checked against the form version it was made on).

pub mod form;

pub use form::{Answer, Condition, FieldKind, Form, FormError, FormField, Submission};
