//! Service requests (issue 23): the catalogue (`catalogue.rs`: items, and their forms and
//! fulfilment plans published as versions, `design.rs`: the JSON both are typed and kept in),
//! ordering (`orders.rs`: a submission checked against its version, the request ticket, its
//! approval levels and tasks) and fulfilment (`fulfilment.rs`: approvers decide level by level,
//! teams do their tasks stage by stage, the last task fulfils the request).

mod catalogue;
mod design;
mod fulfilment;
mod mail;
mod orders;
mod portal;
mod reroute;

pub use catalogue::{CatalogueItem, ItemSpec};
pub use design::{ApproverInput, ConditionInput, Design, FieldInput, PlanInput, TaskInput};
pub use fulfilment::RequestLink;
pub use orders::{NewOrder, RequestView, ShownAnswer};
pub use portal::{Announcement, Answered, PortalAnswers};
pub use reroute::NewApprover;

/// The entity name requests carry in the event log.
pub const ENTITY: &str = "request";
