//! Merging a duplicate incident into the one that stays (issue 22), in one transaction: the
//! duplicate's replies, work notes and files are copied over with their authors and times;
//! its requester and watchers come to watch the survivor (so they hear how it ends); its CIs,
//! related tickets, problem and alerts move over; and it is resolved as a duplicate naming the
//! survivor. Both histories say so (`Merged`, `MergedInto`).

use steward_core::events::DomainEvent;
use steward_core::ids::TicketId;
use steward_core::problems::ProblemEvent;
use steward_core::tickets::Ticket;
use steward_core::tickets::{
    IncidentEvent, TicketAccess, apply_transition, check_merge, merged_resolution, ticket_changes,
};

use crate::events::TicketChange;
use crate::{Actor, AppError, Result};

impl crate::Incidents<'_> {
    /// Merges incident `id` into `into`; answers the survivor. The actor works both.
    pub async fn merge(self, actor: &Actor, id: TicketId, into: TicketId) -> Result<Ticket> {
        let duplicate = self.workable(actor, id).await?;
        let survivor = match self.incidents().get(actor, into).await {
            Ok(v) => v,
            Err(AppError::NotFound(_)) => {
                return Err(AppError::invalid("into", format!("no incident {into}")));
            }
            Err(e) => return Err(e),
        };
        if survivor.access != TicketAccess::Work {
            return Err(AppError::Forbidden(format!(
                "you may read {} but not work on it",
                survivor.ticket.number
            )));
        }
        let survivor = survivor.ticket;
        check_merge(&duplicate, &survivor).map_err(AppError::from)?;

        let mut watchers = self.store.watchers(id).await?;
        if duplicate.requester_id != survivor.requester_id {
            watchers.push(duplicate.requester_id);
        }
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        let related: Vec<TicketId> =
            self.store.related_tickets(id).await?.into_iter().filter(|r| *r != into).collect();
        let problem = match self.store.problem_of(into).await? {
            None => self.store.problem_of(id).await?,
            Some(_) => None,
        };

        let at = self.now();
        let mut resolved = duplicate.clone();
        apply_transition(&mut resolved, &merged_resolution(&survivor), at)
            .map_err(|e| AppError::invalid("id", format!("{} cannot be resolved: {e}", duplicate.number)))?;
        resolved.updated_at = at;
        let changes = ticket_changes(&duplicate, &resolved)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a merge changed nothing")))?;

        let mut tx = self.store.begin().await?;
        // The survivor as it is now, in the transaction: a merge the other way, or a close,
        // that committed since it was read is seen here, and its version moves (so two merges
        // of a pair at once cannot both win).
        let fresh = tx.ticket(into).await?.ok_or(AppError::NotFound("incident"))?;
        check_merge(&duplicate, &fresh).map_err(AppError::from)?;
        // Both rows are written first, in id order, so two merges of a pair at once wait for
        // each other instead of deadlocking.
        let bumped = Ticket { updated_at: at, ..fresh };
        let (saved, survivor) = if id < into {
            let saved = tx.update_ticket(&resolved).await?;
            (saved, tx.update_ticket(&bumped).await?)
        } else {
            let survivor = tx.update_ticket(&bumped).await?;
            (tx.update_ticket(&resolved).await?, survivor)
        };
        let (comments, attachments) = tx.copy_conversation(id, into).await?;
        tx.move_alerts(id, into).await?;
        let mut on_survivor =
            vec![IncidentEvent::Merged { from: id, number: duplicate.number.clone(), comments, attachments }];
        for user_id in watchers {
            if tx.add_watcher(into, user_id).await? {
                on_survivor.push(IncidentEvent::WatcherAdded { user_id });
            }
        }
        for ci in &cis {
            if tx.link_ticket_ci(into, ci.id).await? {
                on_survivor.push(IncidentEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() });
            }
        }
        for other in related {
            if tx.link_tickets(into, other).await? {
                on_survivor.push(IncidentEvent::Related { ticket_id: other });
            }
        }
        if let Some(p) = problem {
            tx.link_problem_incident(p, into, at).await?;
            let event = ProblemEvent::IncidentLinked { incident_id: into, number: survivor.number.clone() };
            crate::events::record(&mut tx, at, Some(actor), DomainEvent::Problem { id: p, event }).await?;
        }
        let mut events: Vec<TicketChange> =
            on_survivor.into_iter().map(|e| TicketChange::on(&survivor, at, Some(actor), e)).collect();
        events.push(TicketChange {
            at,
            actor: Some(actor),
            before: Some(&duplicate),
            after: &saved,
            event: IncidentEvent::Transitioned(changes).into(),
        });
        let merged_into = IncidentEvent::MergedInto { into, number: survivor.number.clone() };
        events.push(TicketChange::on(&saved, at, Some(actor), merged_into));
        self.record_ticket_events(&mut tx, events).await?;
        tx.commit().await?;
        self.store.ticket(into).await?.ok_or(AppError::NotFound("incident"))
    }
}
