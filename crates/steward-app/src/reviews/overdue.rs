//! Overdue action items: an open item whose due date passed is mailed to its owner, once per
//! due date, and the review's history says so.

use steward_core::events::DomainEvent;
use steward_core::reviews::ReviewEvent;

use crate::events::record;
use crate::{App, Result};

/// The periodic job's kind.
pub const REVIEW_ACTIONS_OVERDUE: &str = "review_actions_overdue";

impl App {
    /// Tells the owners of overdue action items; returns how many.
    pub async fn remind_overdue_actions(&self) -> Result<usize> {
        let due = self.store.overdue_review_actions(super::today(self.now()), 500).await?;
        let mut told = 0;
        for action in due {
            let owner = self.store.user(action.owner_id).await?;
            let number = self.store.ticket(action.incident_id).await?.map(|t| t.number).unwrap_or_default();
            let at = self.now();
            let mut tx = self.store.begin().await?;
            tx.mark_action_overdue(action.id, action.due).await?;
            let event = ReviewEvent::ActionOverdue { action_id: action.id, owner_id: action.owner_id };
            record(&mut tx, at, None, DomainEvent::Review { id: action.incident_id, event }).await?;
            if let Some(email) = owner.and_then(|u| u.email).filter(|_| self.config.mail.is_some()) {
                let link =
                    self.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned();
                let subject = format!("Overdue review action for {number}: {}", action.title);
                let body = format!(
                    "The action \"{}\" from the review of {number} was due on {}.\n\nUpdate it: {link}/incidents/{}/review\n",
                    action.title, action.due, action.incident_id
                );
                crate::mail::enqueue(&mut tx, at, crate::mail::payload(email.as_str(), &subject, &body))
                    .await?;
            }
            tx.commit().await?;
            told += 1;
        }
        Ok(told)
    }
}
