//! Scheduling a change against the calendar: conflicts with other changes on the same or
//! dependent CIs, freezes, its CIs' weekly slots and its implementer's other changes — each
//! explained, each overridable with a recorded reason. An approved, scheduled change puts a
//! maintenance window on its CIs (alerts from them are expected); completing it ends them.
//! Also: the calendar, and which recent changes may have caused an incident.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use steward_core::alerts::MaintenanceEvent;
use steward_core::changes::{
    ChangeEvent, Conflict, Freeze, Outcome, Phase, Plan, Slot, Verdict, Window, conflicts,
};
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId, UserId};
use steward_core::tickets::{State, Ticket};
use steward_store::{CalendarEntry, CiRecord, FreezeRecord, Tx, books_calendar};

use crate::events::record;
use crate::{Actor, AppError, Result};

/// A conflict and, when someone accepted it, why, who and when.
#[derive(Debug, Clone)]
pub struct ConflictView {
    pub conflict: Conflict,
    pub accepted: Option<(String, UserId, Timestamp)>,
}

/// The calendar between two instants.
#[derive(Debug, Clone)]
pub struct CalendarView {
    pub changes: Vec<CalendarEntry>,
    pub freezes: Vec<FreezeRecord>,
    /// Weekly change slots of the CI filtered on, if any.
    pub slots: Vec<Slot>,
    /// Releases whose target date falls in the period.
    pub releases: Vec<steward_store::ReleaseRecord>,
}

/// A change that may have caused an incident: on one of its CIs within a day before it.
#[derive(Debug, Clone)]
pub struct Suspect {
    pub change_id: TicketId,
    pub number: String,
    pub ci: String,
    pub at: Timestamp,
}

/// How long before an incident a change on its CI counts as a possible cause.
pub const SUSPECT_WINDOW: SignedDuration = SignedDuration::from_hours(24);

impl crate::Changes<'_> {
    /// The conflicts of `window` for the change, judged now.
    async fn find_conflicts(
        self,
        ticket: &Ticket,
        window: Window,
        cis: &[CiRecord],
    ) -> Result<Vec<Conflict>> {
        let ids: Vec<CiId> = cis.iter().map(|c| c.id).collect();
        let mut names: BTreeMap<CiId, String> = cis.iter().map(|c| (c.id, c.name.clone())).collect();
        let edges = self.store.edges_touching(&ids).await?;
        let mut related: BTreeMap<CiId, Vec<CiId>> = BTreeMap::new();
        for e in &edges {
            if ids.contains(&e.from) {
                related.entry(e.from).or_default().push(e.to);
            }
            if ids.contains(&e.to) {
                related.entry(e.to).or_default().push(e.from);
            }
        }
        let others = self.store.booked_changes(window.start, window.end).await?;
        let theirs: Vec<CiId> =
            others.iter().flat_map(|o| o.cis.iter().copied()).filter(|c| !names.contains_key(c)).collect();
        for ci in self.store.cis_by_ids(&theirs).await? {
            names.insert(ci.id, ci.name);
        }
        let freezes: Vec<Freeze> = self
            .store
            .freezes(window.start, window.end)
            .await?
            .into_iter()
            .map(|f| Freeze { name: f.name, window: f.window })
            .collect();
        let mut slots: BTreeMap<CiId, Vec<Slot>> = BTreeMap::new();
        for (ci, slot) in self.store.ci_slots(&ids).await? {
            slots.entry(ci).or_default().push(slot);
        }
        let candidate = steward_core::changes::Candidate {
            id: ticket.id,
            window,
            cis: &ids,
            implementer: ticket.assignee_id,
            names: &names,
            related: &related,
            slots: &slots,
            tz: &self.config.report_zone,
        };
        Ok(conflicts(&candidate, &others, &freezes))
    }

    /// The conflicts a change not yet written would have in `window`.
    pub(crate) async fn conflicts_of_new(
        self,
        ticket: &Ticket,
        window: Window,
        cis: &[CiRecord],
    ) -> Result<Vec<Conflict>> {
        self.changes().find_conflicts(ticket, window, cis).await
    }

    /// The conflicts of the change's window as it stands, with those accepted.
    pub(crate) async fn conflict_views(
        self,
        ticket: &Ticket,
        plan: &Plan,
        cis: &[CiRecord],
    ) -> Result<Vec<ConflictView>> {
        let Some(window) = plan.window.filter(|_| books_calendar(ticket, plan)) else {
            return Ok(Vec::new());
        };
        let accepted = self.store.conflict_overrides(ticket.id).await?;
        Ok(self
            .changes()
            .find_conflicts(ticket, window, cis)
            .await?
            .into_iter()
            .map(|c| {
                let a = accepted.iter().find(|a| a.0 == c.key()).map(|a| (a.1.clone(), a.2, a.3));
                ConflictView { conflict: c, accepted: a }
            })
            .collect())
    }

    /// The conflicts a window would have, before it is booked (the form shows them).
    pub async fn preview(
        self,
        actor: &Actor,
        id: TicketId,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Conflict>> {
        let ticket = self.changes().current(actor, id, None).await?;
        let window = Window::between(start, end).map_err(AppError::from)?;
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        self.changes().find_conflicts(&ticket, window, &cis).await
    }

    /// Books the change's window. Every conflict must be accepted with a reason (given now as
    /// `overrides`: conflict key → reason, or earlier for the same window), else nothing is
    /// booked and the conflicts are named.
    pub async fn schedule(
        self,
        actor: &Actor,
        id: TicketId,
        expected: Option<i64>,
        start: Timestamp,
        end: Timestamp,
        overrides: &[(String, String)],
    ) -> Result<(Ticket, Vec<Conflict>)> {
        let ticket = self.changes().current(actor, id, expected).await?;
        self.changes().open(&ticket)?;
        if !matches!(ticket.state, State::Assessment | State::Authorization | State::Scheduled) {
            return Err(AppError::invalid(
                "planned_start",
                format!("{} is {}: its window can no longer move", ticket.number, ticket.state),
            ));
        }
        let now = self.now();
        let window = Window::parse(start, end, now).map_err(AppError::from)?;
        let rec = self.changes().plan(id).await?;
        let cis = self.store.cis_by_ids(&self.store.ticket_ci_ids(id).await?).await?;
        let found = self.changes().find_conflicts(&ticket, window, &cis).await?;
        let same_window = rec.plan.window == Some(window);
        let earlier = if same_window { self.store.conflict_overrides(id).await? } else { Vec::new() };
        let mut accept: Vec<(String, String)> = Vec::new();
        let mut open = Vec::new();
        for c in &found {
            let key = c.key();
            match overrides.iter().find(|(k, _)| *k == key) {
                Some((_, reason)) if reason.trim().is_empty() || reason.chars().count() > 1000 => {
                    return Err(AppError::invalid(
                        "override_reason",
                        format!("say why `{key}` is accepted (1–1000 characters)"),
                    ));
                }
                Some((_, reason)) => {
                    let reason = steward_core::tickets::parse_description("override_reason", reason.trim())
                        .map_err(AppError::from)?;
                    accept.push((key, reason));
                }
                None if earlier.iter().any(|e| e.0 == key) => {}
                None => open.push(c.clone()),
            }
        }
        if !open.is_empty() {
            let list: Vec<String> = open.iter().map(describe).collect();
            return Err(AppError::Conflict {
                field: Some("planned_start"),
                message: format!(
                    "the window conflicts: {}. Pick another window, or accept each conflict with a reason",
                    list.join("; ")
                ),
            });
        }
        let mut plan = rec.plan.clone();
        plan.window = Some(window);
        let mut tx = self.store.begin().await?;
        if !same_window {
            tx.clear_conflict_overrides(id).await?;
        }
        for (key, reason) in &accept {
            tx.insert_conflict_override(now, id, key, reason, actor.user.id).await?;
            let event = ChangeEvent::ConflictOverridden { key: key.clone(), reason: reason.clone() };
            record(&mut tx, now, Some(actor), DomainEvent::Change { id, event }).await?;
        }
        let new_rec = self.changes().save_plan_in(&mut tx, actor, &ticket, &rec, plan).await?;
        let (_, verdict) = self.changes().approval_levels(&ticket, &new_rec.plan).await?;
        self.changes()
            .sync_maintenance(&mut tx, &ticket, &new_rec.plan, verdict == Verdict::Approved)
            .await?;
        tx.commit().await?;
        let saved = self.store.ticket(id).await?.ok_or(AppError::NotFound("change"))?;
        Ok((saved, found))
    }

    /// Keeps the change's maintenance windows in step with it: while it is approved, open and
    /// not done, one window per CI over its planned window; otherwise none still to come (a
    /// window that began ends now).
    pub(crate) async fn sync_maintenance(
        self,
        tx: &mut Tx,
        ticket: &Ticket,
        plan: &Plan,
        approved: bool,
    ) -> Result<()> {
        let now = self.now();
        let existing = self.store.maintenance_of_change(&ticket.number, now).await?;
        for (id, starts_at) in &existing {
            if *starts_at > now {
                tx.delete_maintenance(*id).await?;
            } else {
                tx.end_maintenance(now, *id).await?;
            }
            record(tx, now, None, DomainEvent::Maintenance { id: *id, event: MaintenanceEvent::Ended })
                .await?;
        }
        let keep = approved && ticket.state.is_open() && plan.completed_at.is_none();
        let Some(window) = plan.window.filter(|w| keep && w.end > now) else { return Ok(()) };
        let reason = format!("{} {}", ticket.number, ticket.title);
        for ci in self.store.ticket_ci_ids(ticket.id).await? {
            let id = tx
                .insert_maintenance(
                    now,
                    ci,
                    (window.start, window.end),
                    &reason,
                    Some(&ticket.number),
                    "change",
                )
                .await?;
            let event = MaintenanceEvent::Scheduled {
                ci_id: ci.get(),
                starts_at: window.start.to_string(),
                ends_at: window.end.to_string(),
                reason: reason.clone(),
                change_ref: Some(ticket.number.clone()),
            };
            record(tx, now, None, DomainEvent::Maintenance { id, event }).await?;
        }
        Ok(())
    }

    /// Completes the implementation with its outcome and moves the change on (to its review,
    /// or wherever its model goes next); its maintenance windows end now.
    pub async fn complete(
        self,
        actor: &Actor,
        id: TicketId,
        expected: Option<i64>,
        outcome: Outcome,
    ) -> Result<Ticket> {
        let ticket = self.changes().current(actor, id, expected).await?;
        if ticket.state != State::Implementation {
            return Err(AppError::Conflict {
                field: Some("outcome"),
                message: format!("{} is {}, not being implemented", ticket.number, ticket.state),
            });
        }
        let rec = self.changes().plan(id).await?;
        let workflow = self.changes().workflow(rec.plan.model_id, rec.plan.model_version).await?;
        let mut plan = rec.plan.clone();
        plan.outcome = Some(outcome);
        plan.completed_at = Some(self.now());
        let mut tx = self.store.begin().await?;
        let rec = self.changes().save_plan_in(&mut tx, actor, &ticket, &rec, plan).await?;
        let here = workflow.step(&rec.plan.step).filter(|s| s.phase == Phase::Implement);
        let target = here.and_then(|s| s.next.iter().filter_map(|k| workflow.step(k)).next()).cloned();
        let saved = match target {
            Some(t) => self.changes().step_in(&mut tx, actor, &ticket, &rec, &t).await?,
            None => ticket.clone(),
        };
        self.changes().sync_maintenance(&mut tx, &saved, &rec.plan, false).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// The calendar between `from` and `to`, on one CI when given.
    pub async fn calendar(
        self,
        actor: &Actor,
        from: Timestamp,
        to: Timestamp,
        ci: Option<CiId>,
    ) -> Result<CalendarView> {
        actor.require(Permission::WorkTickets)?;
        if to <= from || to.duration_since(from) > SignedDuration::from_hours(24 * 62) {
            return Err(AppError::invalid("to", "a calendar shows up to 62 days"));
        }
        let changes = self.store.calendar_changes(from, to, ci).await?;
        let freezes = self.store.freezes(from, to).await?;
        let slots = match ci {
            Some(c) => self.store.ci_slots(&[c]).await?.into_iter().map(|s| s.1).collect(),
            None => Vec::new(),
        };
        let zone = &self.config.report_zone;
        let dates = (zone.to_datetime(from).date(), zone.to_datetime(to).date());
        let releases = self.store.releases(Some(dates)).await?;
        Ok(CalendarView { changes, freezes, slots, releases })
    }

    /// Changes on the incident's CIs in the day before it was opened (or since, while open).
    pub async fn suspects(self, actor: &Actor, incident: &Ticket) -> Result<Vec<Suspect>> {
        actor.require(Permission::WorkTickets)?;
        let cis = self.store.ticket_ci_ids(incident.id).await?;
        let to = incident.resolved_at.unwrap_or_else(|| self.now()).max(incident.created_at);
        let found = self.store.changes_on_cis_between(&cis, incident.created_at - SUSPECT_WINDOW, to).await?;
        let names: BTreeMap<CiId, String> =
            self.store.cis_by_ids(&cis).await?.into_iter().map(|c| (c.id, c.name)).collect();
        let mut out: Vec<Suspect> = Vec::new();
        for (change_id, number, ci, at) in found {
            if out.iter().any(|s| s.change_id == change_id) {
                continue;
            }
            out.push(Suspect { change_id, number, ci: names.get(&ci).cloned().unwrap_or_default(), at });
        }
        Ok(out)
    }

    /// Changes still to come (or running) on any of `cis`, soonest first: the CMDB's impact
    /// results show them.
    pub async fn upcoming_on(
        self,
        actor: &Actor,
        cis: &[CiId],
    ) -> Result<Vec<(TicketId, String, CiId, Timestamp)>> {
        actor.require(Permission::ReadCmdb)?;
        let now = self.now();
        let mut found = self
            .store
            .changes_on_cis_between(
                cis,
                now - SignedDuration::from_hours(24),
                now + SignedDuration::from_hours(24 * 90),
            )
            .await?;
        found.sort_by_key(|f| f.3);
        Ok(found)
    }
}

/// A conflict in a sentence (the API's error message; pages word it in the reader's language).
pub fn describe(c: &Conflict) -> String {
    use steward_core::changes::ConflictKind::*;
    let ci = c.ci.as_deref().unwrap_or("");
    match c.kind {
        SameCi => format!("{} also changes {ci} in this window", c.with),
        RelatedCi => format!(
            "{} changes {}, which {ci} depends on or which depends on it, in this window",
            c.with,
            c.other_ci.as_deref().unwrap_or("")
        ),
        Freeze => format!("the window falls in the freeze \"{}\"", c.with),
        OutsideSlot => format!("{ci} accepts changes only {}", c.other_ci.as_deref().unwrap_or("")),
        ImplementerBusy => format!("the implementer is booked on {} then", c.with),
    }
}
