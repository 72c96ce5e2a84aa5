//! Typed ids: a ticket's id cannot be passed where a user's is expected.
//!
//! Each is a transparent wrapper over the database's 64-bit row id. They serialize as plain
//! integers (JSON, events, URLs), so wire formats and stored events are unchanged. The store binds
//! and reads them through `.get()` and `From<i64>`. Ids that never leave one area's module (a
//! comment's, an attachment's, a job's) stay plain `i64`.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

macro_rules! typed_ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The row id, for SQL binds and arithmetic-free comparisons.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                <i64 as utoipa::PartialSchema>::schema()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed(stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;
            fn from_str(s: &str) -> Result<$name, ParseIntError> {
                s.parse().map($name)
            }
        }
    )*};
}

typed_ids! {
    /// A ticket of any kind (incidents today).
    TicketId;
    /// A person who signs in, or a requester.
    UserId;
    /// An assignment team.
    TeamId;
    /// A configuration item in the CMDB.
    CiId;
    /// A relation between two configuration items.
    RelationId;
    /// A ticket category or subcategory.
    CategoryId;
    /// An API token (its row, never its secret).
    TokenId;
    /// A business-hours calendar.
    CalendarId;
}

/// The row ids of a list of typed ids, for `IN (…)` lists and binds.
pub fn raw<I: Copy + Into<i64>>(ids: &[I]) -> Vec<i64> {
    ids.iter().map(|&id| id.into()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_and_print_as_plain_integers() {
        let id: TicketId = "42".parse().unwrap();
        assert_eq!(id, TicketId(42));
        assert_eq!(id.to_string(), "42");
        assert!("4x".parse::<UserId>().is_err());
        assert_eq!(raw(&[CiId(1), CiId(3)]), vec![1, 3]);
    }
}
