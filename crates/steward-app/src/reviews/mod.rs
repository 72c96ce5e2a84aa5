//! Post-incident reviews (复盘, issue 19): opened on a major incident (or any, on demand), the
//! impact computed from the incident's record, the findings people write, action items
//! tracked to done (overdue ones mailed to their owner, `overdue.rs`), the timeline from the
//! event log, and a Markdown export (`export.rs`).

mod export;
mod overdue;

use jiff::{SignedDuration, Timestamp};
use steward_core::events::{DomainEvent, Fields};
use steward_core::identity::Permission;
use steward_core::ids::{TicketId, UserId};
use steward_core::reviews::{ActionState, Findings, NewAction, ReviewEvent, finding_fields, review_expected};
use steward_core::tickets::{IncidentEvent, Ticket, TicketAccess};
use steward_store::{ActionRecord, CiRecord, ReviewRecord};

use crate::events::record;
use crate::timeline::TimelineEntry;
use crate::{Actor, AppError, Result};

pub use overdue::REVIEW_ACTIONS_OVERDUE;

/// What the incident cost, from its record.
#[derive(Debug, Clone)]
pub struct Impact {
    /// From opening to resolution (or to now, while open).
    pub duration: SignedDuration,
    pub resolved: bool,
    /// The affected service and CIs.
    pub service: Option<String>,
    pub cis: Vec<CiRecord>,
    /// SLA warnings and breaches recorded: (target, threshold percent).
    pub sla_firings: Vec<(String, i64)>,
}

/// A review with everything its page shows.
#[derive(Debug, Clone)]
pub struct ReviewView {
    pub incident: Ticket,
    pub review: ReviewRecord,
    pub impact: Impact,
    pub actions: Vec<ActionRecord>,
    pub timeline: Vec<TimelineEntry>,
}

impl crate::Reviews<'_> {
    /// The incident, if the actor may work it (reviews are staff work).
    async fn incident(self, actor: &Actor, id: TicketId) -> Result<Ticket> {
        actor.require(Permission::WorkTickets)?;
        let view = self.incidents().get(actor, id).await?;
        if view.access != TicketAccess::Work {
            return Err(AppError::Forbidden("you may read this incident but not review it".into()));
        }
        Ok(view.ticket)
    }

    /// Starts the review of an incident (once).
    pub async fn open(self, actor: &Actor, id: TicketId) -> Result<ReviewView> {
        let incident = self.reviews().incident(actor, id).await?;
        if self.store.review(id).await?.is_some() {
            return Err(AppError::Conflict {
                field: None,
                message: format!("{} has a review already", incident.number),
            });
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_review(id, actor.user.id, at).await?;
        let event = ReviewEvent::Opened { expected: review_expected(incident.priority) };
        record(&mut tx, at, Some(actor), DomainEvent::Review { id, event }).await?;
        tx.commit().await?;
        self.reviews().get(actor, id).await
    }

    pub async fn get(self, actor: &Actor, id: TicketId) -> Result<ReviewView> {
        let incident = self.reviews().incident(actor, id).await?;
        let review = self.store.review(id).await?.ok_or(AppError::NotFound("review"))?;
        let actions = self.store.review_actions(id).await?;
        let impact = self.reviews().impact(&incident).await?;
        let mut timeline =
            crate::timeline::of_incidents(&self.store, std::slice::from_ref(&incident)).await?;
        let own = self.store.histories("review", &[id.to_string()]).await?;
        timeline.extend(own.iter().map(|e| crate::timeline::entry(e, &incident.number)));
        timeline.sort_by_key(|e| e.at);
        Ok(ReviewView { incident, review, impact, actions, timeline })
    }

    async fn impact(self, t: &Ticket) -> Result<Impact> {
        let end = t.resolved_at.unwrap_or_else(|| self.now());
        let history = self.store.histories(crate::incidents::ENTITY, &[t.id.to_string()]).await?;
        let mut sla_firings = Vec::new();
        for e in &history {
            if let Ok(DomainEvent::Incident {
                event: IncidentEvent::SlaWarning(f) | IncidentEvent::SlaBreach(f),
                ..
            }) = e.domain()
            {
                sla_firings.push((f.target.as_str().to_owned(), f.threshold));
            }
        }
        Ok(Impact {
            duration: end.duration_since(t.created_at),
            resolved: t.resolved_at.is_some(),
            service: t.service.clone(),
            cis: self.store.cis_by_ids(&self.store.ticket_ci_ids(t.id).await?).await?,
            sla_firings,
        })
    }

    /// Saves the findings if the review is still at `expected`.
    pub async fn edit(
        self,
        actor: &Actor,
        id: TicketId,
        expected: Option<i64>,
        findings: Findings,
    ) -> Result<ReviewView> {
        self.reviews().incident(actor, id).await?;
        let review = self.store.review(id).await?.ok_or(AppError::NotFound("review"))?;
        let expected = expected.unwrap_or(review.version);
        if expected != review.version {
            return Err(AppError::Stale { current: review.version });
        }
        if let Some(changes) =
            Fields::changes_from(&finding_fields(&review.findings), &finding_fields(&findings))
        {
            let at = self.now();
            let mut tx = self.store.begin().await?;
            tx.save_findings(id, expected, &findings, at).await?;
            record(&mut tx, at, Some(actor), DomainEvent::Review { id, event: ReviewEvent::Edited(changes) })
                .await?;
            tx.commit().await?;
        }
        self.reviews().get(actor, id).await
    }

    /// Adds an action item; its owner must be someone who works tickets.
    pub async fn add_action(self, actor: &Actor, id: TicketId, action: NewAction) -> Result<ActionRecord> {
        self.reviews().incident(actor, id).await?;
        self.store.review(id).await?.ok_or(AppError::NotFound("review"))?;
        let owner = self.store.user(action.owner_id).await?;
        if !owner.is_some_and(|u| !u.disabled && u.role.allows(Permission::WorkTickets)) {
            return Err(AppError::invalid("owner_id", format!("no active agent {}", action.owner_id)));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let action_id = tx.insert_review_action(id, &action.title, action.owner_id, action.due, at).await?;
        let event = ReviewEvent::ActionAdded {
            action_id,
            title: action.title.clone(),
            owner_id: action.owner_id,
            due: action.due.to_string(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Review { id, event }).await?;
        tx.commit().await?;
        self.store.review_action(action_id).await?.ok_or(AppError::NotFound("action"))
    }

    /// Moves an action item: its owner or anyone who works the incident.
    pub async fn move_action(self, actor: &Actor, action_id: i64, to: ActionState) -> Result<ActionRecord> {
        actor.require(Permission::WorkTickets)?;
        let action = self.store.review_action(action_id).await?.ok_or(AppError::NotFound("action"))?;
        if action.owner_id != actor.user.id {
            self.reviews().incident(actor, action.incident_id).await?;
        }
        if action.state == to {
            return Ok(action);
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.move_review_action(action_id, to, at).await?;
        let event = ReviewEvent::ActionMoved {
            action_id,
            from: action.state.as_str().into(),
            to: to.as_str().into(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Review { id: action.incident_id, event }).await?;
        tx.commit().await?;
        self.store.review_action(action_id).await?.ok_or(AppError::NotFound("action"))
    }

    /// Open action items (of one owner, when given), soonest due first, with their incident.
    pub async fn open_actions(
        self,
        actor: &Actor,
        owner: Option<UserId>,
    ) -> Result<Vec<(ActionRecord, Ticket)>> {
        actor.require(Permission::WorkTickets)?;
        let mut out = Vec::new();
        for a in self.store.open_review_actions(owner, 500).await? {
            if let Some(t) = self.store.ticket(a.incident_id).await? {
                out.push((a, t));
            }
        }
        Ok(out)
    }

    /// Incidents with a review, newest first, with how many of their actions are open.
    pub async fn list(self, actor: &Actor) -> Result<Vec<(Ticket, usize, usize)>> {
        actor.require(Permission::WorkTickets)?;
        let mut out = Vec::new();
        for id in self.store.reviewed_incidents(200).await? {
            if let Some(t) = self.store.ticket(id).await? {
                let actions = self.store.review_actions(id).await?;
                let open = actions.iter().filter(|a| a.state.is_open()).count();
                out.push((t, open, actions.len()));
            }
        }
        Ok(out)
    }

    /// Whether the incident has a review (for its page).
    pub async fn exists(self, id: TicketId) -> Result<bool> {
        Ok(self.store.review(id).await?.is_some())
    }
}

/// Today's date in UTC, as due dates are compared.
pub(crate) fn today(now: Timestamp) -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC.to_datetime(now).date()
}
