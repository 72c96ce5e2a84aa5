//! Who may do what: users' names and passwords, roles, token scopes and the permissions each
//! operation requires. The app layer enforces these rules; they live here so they are written
//! once and tested without a database.

mod events;
mod model;
mod names;
mod roles;
mod throttle;

pub use events::{LoginFailure, TeamEvent, TokenEvent, UserEvent, UserSnapshot};
pub use model::{ApiToken, Team, TeamWithMembers, User};
pub use names::{NameError, Password, TeamName, Username};
pub use roles::{Permission, Role, Scope, ScopeSet, UnknownValue};
pub use throttle::{LoginPolicy, LoginThrottle, ThrottleKey, retry_after_secs, typed_name};
