//! A problem's links: the incidents it explains and the CIs it affects; resolving its open
//! incidents in one go when it is fixed; and its timeline, assembled from the event log of the
//! problem, its incidents and their alerts.

use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId};
use steward_core::problems::ProblemEvent;
use steward_core::tickets::{ResolutionCode, State, Ticket, TicketKind, TransitionRequest};
use steward_store::{CiRecord, Tx};

use super::tickets::is_problem;
use crate::events::record;
use crate::timeline::TimelineEntry;
use crate::{Actor, AppError, Result};

impl crate::Problems<'_> {
    /// The problem an incident is linked to, if the actor may see problems.
    pub async fn of_incident(self, actor: &Actor, incident: TicketId) -> Result<Option<Ticket>> {
        if !actor.can(Permission::WorkTickets) {
            return Ok(None);
        }
        let Some(problem) = self.store.problem_of(incident).await? else { return Ok(None) };
        Ok(self.store.ticket(problem).await?.filter(is_problem))
    }

    /// Links incidents to a problem that is not closed. Each must be an incident the actor may
    /// see and not linked to a problem yet.
    pub async fn link_incidents(self, actor: &Actor, id: TicketId, incidents: &[TicketId]) -> Result<Ticket> {
        let problem = self.problems().current(actor, id, None).await?;
        if !problem.state.is_open() {
            return Err(AppError::Conflict {
                field: Some("incident_ids"),
                message: format!(
                    "{} is {}: reopen it before linking incidents",
                    problem.number, problem.state
                ),
            });
        }
        let mut found = Vec::new();
        for incident in incidents {
            found.push(
                self.incidents()
                    .get(actor, *incident)
                    .await
                    .map_err(|e| match e {
                        AppError::NotFound(_) => {
                            AppError::invalid("incident_ids", format!("no incident {incident}"))
                        }
                        other => other,
                    })?
                    .ticket,
            );
        }
        let found = self.problems().linkable_tickets(found).await?;
        let mut tx = self.store.begin().await?;
        self.problems().link_in(&mut tx, actor, &problem, &found).await?;
        let saved = self.problems().touch(&mut tx, &problem).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn unlink_incident(self, actor: &Actor, id: TicketId, incident: TicketId) -> Result<Ticket> {
        let problem = self.problems().current(actor, id, None).await?;
        let number = self.store.ticket(incident).await?.map(|t| t.number).unwrap_or_default();
        let mut tx = self.store.begin().await?;
        if !tx.unlink_problem_incident(id, incident).await? {
            return Err(AppError::NotFound("linked incident"));
        }
        let event = ProblemEvent::IncidentUnlinked { incident_id: incident, number };
        record(&mut tx, self.now(), Some(actor), DomainEvent::Problem { id, event }).await?;
        let saved = self.problems().touch(&mut tx, &problem).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Links CIs to the problem (those already linked are left as they are).
    pub async fn link_cis(self, actor: &Actor, id: TicketId, ci_ids: &[CiId]) -> Result<Ticket> {
        let problem = self.problems().current(actor, id, None).await?;
        let cis = self.problems().existing_cis(ci_ids).await?;
        let mut tx = self.store.begin().await?;
        self.problems().link_cis_in(&mut tx, actor, &problem, &cis).await?;
        let saved = self.problems().touch(&mut tx, &problem).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn unlink_ci(self, actor: &Actor, id: TicketId, ci_id: CiId) -> Result<Ticket> {
        let problem = self.problems().current(actor, id, None).await?;
        let ci = self.store.ci(ci_id).await?.map(|c| c.name).unwrap_or_default();
        let mut tx = self.store.begin().await?;
        if !tx.unlink_ticket_ci(id, ci_id).await? {
            return Err(AppError::NotFound("linked CI"));
        }
        let event = ProblemEvent::CiUnlinked { ci_id, ci };
        record(&mut tx, self.now(), Some(actor), DomainEvent::Problem { id, event }).await?;
        let saved = self.problems().touch(&mut tx, &problem).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// Resolves the problem's open linked incidents (those in `only`, when given) with the fix
    /// note; returns the incidents resolved. Each is an ordinary resolution by the actor, so
    /// the actor must be able to work each one; the first refusal stops the rest.
    pub async fn resolve_incidents(
        self,
        actor: &Actor,
        id: TicketId,
        only: Option<&[TicketId]>,
        note: &str,
    ) -> Result<Vec<Ticket>> {
        let problem = self.problems().ticket(actor, id).await?;
        if problem.state != State::Resolved && problem.state != State::Closed {
            return Err(AppError::Conflict {
                field: Some("state"),
                message: format!("{} is not resolved yet: resolve the problem first", problem.number),
            });
        }
        let code = match problem.resolution_code {
            Some(ResolutionCode::Workaround) => ResolutionCode::Workaround,
            _ => ResolutionCode::Fixed,
        };
        let linked = self.store.problem_incidents(id).await?;
        if let Some(only) = only
            && let Some(stranger) = only.iter().find(|i| !linked.iter().any(|t| t.id == **i))
        {
            return Err(AppError::invalid(
                "incident_ids",
                format!("incident {stranger} is not linked to {}", problem.number),
            ));
        }
        let mut resolved = Vec::new();
        for incident in linked.into_iter().filter(|t| t.state.is_open()) {
            if only.is_some_and(|o| !o.contains(&incident.id)) {
                continue;
            }
            let request = TransitionRequest {
                to: Some(State::Resolved),
                resolution_code: Some(code),
                resolution_note: Some(note.to_owned()),
                ..TransitionRequest::default()
            };
            resolved.push(self.incidents().transition(actor, incident.id, None, request).await?);
        }
        Ok(resolved)
    }

    /// The problem's history with its incidents' and their alerts', oldest first.
    pub async fn timeline(self, actor: &Actor, id: TicketId) -> Result<Vec<TimelineEntry>> {
        let problem = self.problems().ticket(actor, id).await?;
        let incidents = self.store.problem_incidents(id).await?;
        let own = self.store.histories(super::ENTITY, &[id.to_string()]).await?;
        let mut out: Vec<TimelineEntry> =
            own.iter().map(|e| crate::timeline::entry(e, &problem.number)).collect();
        out.extend(crate::timeline::of_incidents(&self.store, &incidents).await?);
        out.sort_by_key(|e| e.at);
        Ok(out)
    }

    /// The incidents' tickets, if each may be linked: an incident with no problem yet.
    pub(super) async fn linkable(self, ids: &[TicketId]) -> Result<Vec<Ticket>> {
        let mut found = Vec::new();
        for id in ids {
            let ticket = self.store.ticket(*id).await?.filter(|t| t.kind == TicketKind::Incident);
            found.push(ticket.ok_or_else(|| AppError::invalid("incident_ids", format!("no incident {id}")))?);
        }
        self.problems().linkable_tickets(found).await
    }

    async fn linkable_tickets(self, mut found: Vec<Ticket>) -> Result<Vec<Ticket>> {
        found.sort_by_key(|t| t.id);
        found.dedup_by_key(|t| t.id);
        for t in &found {
            if let Some(p) = self.store.problem_of(t.id).await? {
                let number = self.store.ticket(p).await?.map(|p| p.number).unwrap_or_default();
                return Err(AppError::Conflict {
                    field: Some("incident_ids"),
                    message: format!("{} is already linked to {number}", t.number),
                });
            }
        }
        Ok(found)
    }

    pub(crate) async fn existing_cis(self, ids: &[CiId]) -> Result<Vec<CiRecord>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let found = self.store.cis_by_ids(&ids).await?;
        if let Some(missing) = ids.iter().find(|id| !found.iter().any(|c| c.id == **id)) {
            return Err(AppError::invalid("ci_ids", format!("there is no CI {missing}")));
        }
        Ok(found)
    }

    pub(super) async fn link_in(
        self,
        tx: &mut Tx,
        actor: &Actor,
        problem: &Ticket,
        incidents: &[Ticket],
    ) -> Result<()> {
        let at = self.now();
        for t in incidents {
            tx.link_problem_incident(problem.id, t.id, at).await?;
            let event = ProblemEvent::IncidentLinked { incident_id: t.id, number: t.number.clone() };
            record(tx, at, Some(actor), DomainEvent::Problem { id: problem.id, event }).await?;
        }
        Ok(())
    }

    pub(super) async fn link_cis_in(
        self,
        tx: &mut Tx,
        actor: &Actor,
        problem: &Ticket,
        cis: &[CiRecord],
    ) -> Result<()> {
        let at = self.now();
        for ci in cis {
            if tx.link_ticket_ci(problem.id, ci.id).await? {
                let event = ProblemEvent::CiLinked { ci_id: ci.id, ci: ci.name.clone() };
                record(tx, at, Some(actor), DomainEvent::Problem { id: problem.id, event }).await?;
            }
        }
        Ok(())
    }
}
