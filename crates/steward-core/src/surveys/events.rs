//! What happens to surveys, as the event log records it.

use crate::ids::{TicketId, UserId};

/// One CSAT survey: one per resolved ticket at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsatEvent {
    /// The requester of `ticket_id` was asked (in the portal, and by mail when they have an
    /// address).
    Asked { ticket_id: TicketId, requester_id: UserId },
    /// They answered, in the portal or through the mailed link (`via`: `portal` or `mail`).
    Answered { ticket_id: TicketId, stars: i64, comment: String, via: String },
}

/// One NPS survey: a requester asked for one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NpsEvent {
    /// `month` is `YYYY-MM`, in the reports' time zone.
    Sent {
        month: String,
        user_id: UserId,
    },
    Answered {
        score: i64,
        reason: String,
        sentiment: String,
    },
    /// The person asked not to get NPS surveys any more.
    Unsubscribed {
        user_id: UserId,
    },
}
