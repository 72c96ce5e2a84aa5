//! Steward's ITIL model and rules.
//!
//! Everything here is pure: no IO, no clock, no async, no SQL. Time is passed in, inputs enter
//! through `parse` constructors (so holding a value means it is valid), and rules return typed
//! errors. The store, the app layer and every interface build on these types.

#![forbid(unsafe_code)]

pub mod alerts;
pub mod audit;
pub mod changes;
pub mod cmdb;
pub mod events;
pub mod expiry;
pub mod forecasts;
pub mod identity;
pub mod ids;
pub mod jobs;
pub mod knowledge;
pub mod logs;
pub mod problems;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod runbooks;
pub mod sla;
pub mod subscriptions;
pub mod surveys;
pub mod tickets;
mod words;
