//! Who may do what: users' names and passwords, roles, token scopes and the permissions each
//! operation requires. The app layer enforces these rules; they live here so they are written
//! once and tested without a database.

mod model;
mod names;
mod roles;
mod throttle;

pub use model::{ApiToken, Team, TeamWithMembers, User};
pub use names::{NameError, Password, TeamName, Username};
pub use roles::{Permission, Role, Scope, ScopeSet, UnknownValue};
pub use throttle::{LoginPolicy, LoginThrottle};
