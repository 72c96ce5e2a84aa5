//! What problem management reads (issue 19): incidents with what they may share, for trend
//! detection.

use std::collections::HashMap;

use jiff::Timestamp;
use steward_core::ids::TicketId;
use steward_core::problems::{Recurrence, RecurrenceKey};

use crate::{Result, Store, from_ms, to_ms};

/// An incident's id, opening, service and category (id, name).
type IncidentRow = (i64, i64, Option<String>, Option<i64>, Option<String>);

impl Store {
    /// Incidents opened since `since` (cancelled ones left out), each with its CIs, service
    /// and category.
    pub async fn incident_recurrences(&self, since: Timestamp) -> Result<Vec<Recurrence>> {
        let rows: Vec<IncidentRow> = sqlx::query_as(
            "SELECT t.id, t.created_at, t.service, t.category_id, c.name FROM tickets t \
             LEFT JOIN categories c ON c.id = t.category_id \
             WHERE t.kind = 'incident' AND t.state <> 'cancelled' AND t.created_at >= $1 ORDER BY t.id",
        )
        .bind(to_ms(since))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let links: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT tc.ticket_id, ci.id, ci.name FROM ticket_cis tc JOIN cis ci ON ci.id = tc.ci_id \
             JOIN tickets t ON t.id = tc.ticket_id \
             WHERE t.kind = 'incident' AND t.state <> 'cancelled' AND t.created_at >= $1",
        )
        .bind(to_ms(since))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        let mut cis: HashMap<i64, Vec<RecurrenceKey>> = HashMap::new();
        for (ticket, id, name) in links {
            cis.entry(ticket).or_default().push(RecurrenceKey::Ci { id, name });
        }
        rows.into_iter()
            .map(|(id, created_at, service, category_id, category)| {
                let mut keys = cis.remove(&id).unwrap_or_default();
                if let Some(s) = service.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
                    keys.push(RecurrenceKey::Service(s));
                }
                if let (Some(id), Some(name)) = (category_id, category) {
                    keys.push(RecurrenceKey::Category { id, name });
                }
                Ok(Recurrence { ticket: TicketId(id), opened_at: from_ms(created_at)?, keys })
            })
            .collect()
    }
}
