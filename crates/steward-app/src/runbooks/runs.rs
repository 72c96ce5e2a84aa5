//! Asking for a run, deciding on one that waits for approval, cancelling, and reading runs.

use std::collections::BTreeMap;

use steward_core::events::DomainEvent;
use steward_core::identity::{Permission, Role};
use steward_core::ids::{CiId, TicketId};
use steward_core::runbooks::{
    Approvers, Gate, ParamKind, ParamValue, RunEvent, RunState, StepState, Trigger, Values, check_values,
};
use steward_core::tickets::{State, TicketKind};
use steward_store::{CiRecord, NewRun, RunFilter, RunRecord, RunStepRecord};

use super::RunbookView;
use crate::{Actor, AppError, Result, record};

/// What a person (or a trigger) asks to run.
#[derive(Debug, Clone, Default)]
pub struct RunRequest {
    pub runbook_id: i64,
    /// Parameter → value as typed.
    pub params: Vec<(String, String)>,
    /// Started from this CI's page: fills the first `ci` parameter left empty.
    pub ci: Option<CiId>,
    /// Started from this ticket (an incident, problem or change): the run is shown there.
    pub ticket: Option<TicketId>,
    /// Attached to this change: it runs only inside the change's approved window.
    pub change: Option<TicketId>,
}

/// A run with everything its page shows.
#[derive(Debug, Clone)]
pub struct RunView {
    pub record: RunRecord,
    pub steps: Vec<RunStepRecord>,
    pub targets: Vec<CiRecord>,
    /// (step key, approver, approve, comment, at)
    pub approvals: Vec<(String, String, bool, String, jiff::Timestamp)>,
    pub artifacts: Vec<(String, i64)>,
    /// The gate the run waits at, and who may decide there.
    pub waiting_for: Option<(String, Gate)>,
    pub ticket_number: Option<String>,
    pub change_number: Option<String>,
}

/// Values as stored with a run: every parameter as text (a secret by its name).
pub(crate) fn params_json(values: &Values) -> String {
    let map: BTreeMap<&str, String> = values.iter().map(|(k, v)| (k.as_str(), v.as_text())).collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

pub(crate) fn params_of(json: &str) -> Vec<(String, String)> {
    serde_json::from_str::<BTreeMap<String, String>>(json).unwrap_or_default().into_iter().collect()
}

fn conflict(field: &'static str, message: String) -> AppError {
    AppError::Conflict { field: Some(field), message }
}

impl crate::Runbooks<'_> {
    /// Checks the values and fills a `ci` parameter from the CI the run was started from;
    /// every CI named must exist, every secret named must be in the store.
    pub(crate) async fn check_request(self, view: &RunbookView, req: &RunRequest) -> Result<Values> {
        let mut supplied = req.params.clone();
        if let Some(ci) = req.ci {
            let ci = self.store.ci(ci).await?.ok_or(AppError::NotFound("CI"))?;
            if let Some(p) = view.runbook.params.iter().find(|p| {
                p.kind == ParamKind::Ci && !supplied.iter().any(|(n, v)| n == &p.name && !v.trim().is_empty())
            }) {
                supplied.retain(|(n, _)| n != &p.name);
                supplied.push((p.name.clone(), ci.name));
            }
        }
        let values = check_values(&view.runbook.params, &supplied).map_err(AppError::from)?;
        for v in values.values() {
            match v {
                ParamValue::Ci(name)
                    if self.store.cis_named(std::slice::from_ref(name)).await?.is_empty() =>
                {
                    return Err(AppError::invalid("params", format!("no CI is named `{name}`")));
                }
                ParamValue::Secret(name) if self.store.secret(name).await?.is_none() => {
                    return Err(conflict("secret", format!("secret `{name}` is not in the secret store")));
                }
                _ => {}
            }
        }
        for name in view.runbook.secrets() {
            if self.store.secret(&name).await?.is_none() {
                return Err(conflict("secret", format!("secret `{name}` is not in the secret store")));
            }
        }
        Ok(values)
    }

    /// Asks for a run. It waits for approval when the runbook is gated, for its change's window
    /// when attached to a change; a run on critical CIs without authority is refused now.
    pub async fn start(self, actor: &Actor, req: RunRequest) -> Result<i64> {
        actor.require(Permission::RunRunbooks)?;
        let view = self.runbooks().get(actor, req.runbook_id).await?;
        if view.record.retired {
            return Err(conflict("runbook", format!("runbook `{}` is retired", view.record.name)));
        }
        let values = self.check_request(&view, &req).await?;
        let targets = self.targets(&view.runbook, &values).await?;
        let now = self.now();
        let mut due = now;
        let mut trigger = Trigger::Manual;
        if let Some(change) = req.change {
            let (start, _) = self.change_window(change, now).await?;
            due = due.max(start);
            trigger = Trigger::Change;
        }
        if due <= now {
            self.check_authority(&targets, Some(actor.user.id.get()), now).await?;
        }
        if let Some(ticket) = req.ticket {
            self.store.ticket(ticket).await?.ok_or(AppError::NotFound("ticket"))?;
        }
        let state =
            if view.runbook.approval.is_some() { RunState::AwaitingApproval } else { RunState::Queued };
        let ci_id = match req.ci {
            Some(ci) => Some(ci),
            None => self.first_ci_param(&values).await?,
        };
        let new = NewRun {
            runbook_id: view.record.id,
            version: view.record.version,
            state,
            trigger,
            params: params_json(&values),
            requested_by: Some(actor.user.id.get()),
            ci_id: ci_id.map(|c| c.get()),
            ticket_id: req.ticket.or(req.change).map(|t| t.get()),
            change_id: req.change.map(|t| t.get()),
            alert_id: None,
            schedule_id: None,
            due_at: due,
            targets: targets.iter().map(|c| c.id.get()).collect(),
            steps: plan(&view),
        };
        self.insert_run(Some(actor), &view, new).await
    }

    /// Writes a run and its `Requested` event.
    pub(crate) async fn insert_run(
        self,
        actor: Option<&Actor>,
        view: &RunbookView,
        new: NewRun,
    ) -> Result<i64> {
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_run(at, &new).await?;
        let links = [
            new.ci_id.map(|c| format!("ci={c}")),
            new.ticket_id.map(|t| format!("ticket={t}")),
            new.alert_id.map(|a| format!("alert={a}")),
            new.schedule_id.map(|s| format!("schedule={s}")),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let event = RunEvent::Requested {
            runbook: view.record.name.clone(),
            version: view.record.version,
            trigger: new.trigger.as_str().into(),
            params: new.params.clone(),
            links,
        };
        record(&mut tx, at, actor, DomainEvent::RunbookRun { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn first_ci_param(self, values: &Values) -> Result<Option<CiId>> {
        for v in values.values() {
            if let ParamValue::Ci(name) = v {
                return Ok(self.store.cis_named(std::slice::from_ref(name)).await?.get(name).copied());
            }
        }
        Ok(None)
    }

    /// The window of an approved change that has not ended: (start, end).
    pub(crate) async fn change_window(
        self,
        change: TicketId,
        now: jiff::Timestamp,
    ) -> Result<(jiff::Timestamp, jiff::Timestamp)> {
        let t = self
            .store
            .ticket(change)
            .await?
            .filter(|t| t.kind == TicketKind::Change)
            .ok_or(AppError::NotFound("change"))?;
        if !matches!(t.state, State::Scheduled | State::Implementation) {
            return Err(conflict(
                "change",
                format!("{} is not approved and scheduled (it is {})", t.number, t.state),
            ));
        }
        let plan = self.store.change_plan(change).await?.ok_or(AppError::NotFound("change"))?;
        let window =
            plan.plan.window.ok_or_else(|| conflict("change", format!("{} has no window", t.number)))?;
        if now >= window.end {
            return Err(conflict(
                "change",
                format!("{}'s window has ended: the run is outside its change window", t.number),
            ));
        }
        Ok((window.start, window.end))
    }

    /// Decides on a run waiting for approval (of the whole run, or of the step it stopped at).
    pub async fn decide(self, actor: &Actor, id: i64, approve: bool, comment: &str) -> Result<RunState> {
        actor.require(Permission::RunRunbooks)?;
        let comment = comment.trim();
        if comment.chars().count() > 2000 || comment.chars().any(|c| c.is_control() && c != '\n') {
            return Err(AppError::invalid("comment", "at most 2000 characters, no control characters"));
        }
        if !approve && comment.is_empty() {
            return Err(AppError::invalid("comment", "say why the run is rejected"));
        }
        let view = self.run(actor, id).await?;
        let Some((step, gate)) = view.waiting_for.clone() else {
            return Err(conflict("state", format!("run {id} is not waiting for approval")));
        };
        if view.record.requested_by == Some(actor.user.id.get()) {
            return Err(AppError::Forbidden("nobody approves their own run".into()));
        }
        if !self.may_approve(actor, &gate).await? {
            return Err(AppError::Forbidden(format!("only {} may decide on this run", describe_gate(&gate))));
        }
        if view.approvals.iter().any(|a| a.0 == step && a.1 == actor.user.username.as_str()) {
            return Err(conflict("approval", "you decided on this already".into()));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_run_approval(id, &step, actor.user.id.get(), approve, comment, at).await?;
        let event = RunEvent::Decided {
            approver: actor.user.username.to_string(),
            approve,
            comment: comment.to_owned(),
            step: step.clone(),
        };
        record(&mut tx, at, Some(actor), DomainEvent::RunbookRun { id, event }).await?;
        let approvals = view.approvals.iter().filter(|a| a.0 == step && a.2).count() + usize::from(approve);
        let state = if !approve {
            tx.finish_run(
                id,
                RunState::Rejected,
                &format!("rejected by {}: {comment}", actor.user.username),
                at,
            )
            .await?;
            let event =
                RunEvent::Finished { state: RunState::Rejected.as_str().into(), detail: comment.to_owned() };
            record(&mut tx, at, Some(actor), DomainEvent::RunbookRun { id, event }).await?;
            RunState::Rejected
        } else if approvals >= gate.quorum as usize {
            tx.move_run(id, RunState::AwaitingApproval, RunState::Queued).await?;
            RunState::Queued
        } else {
            RunState::AwaitingApproval
        };
        tx.commit().await?;
        Ok(state)
    }

    async fn may_approve(self, actor: &Actor, gate: &Gate) -> Result<bool> {
        Ok(match &gate.approvers {
            Approvers::Role(role) => actor.user.role == *role || actor.user.role == Role::Admin,
            Approvers::Group(name) => self
                .store
                .approver_groups()
                .await?
                .iter()
                .any(|g| &g.name == name && g.members.contains(&actor.user.id)),
        })
    }

    /// Cancels a run: at once when it has not started, else its node kills its process tree.
    pub async fn cancel(self, actor: &Actor, id: i64) -> Result<()> {
        let view = self.run(actor, id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        match view.record.state {
            RunState::Queued | RunState::AwaitingApproval => {
                tx.finish_run(id, RunState::Cancelled, &format!("cancelled by {}", actor.user.username), at)
                    .await?;
            }
            RunState::Running => tx.request_run_cancel(id).await?,
            other => return Err(conflict("state", format!("run {id} is {other} already"))),
        }
        let event = RunEvent::CancelRequested { by: actor.user.username.to_string() };
        record(&mut tx, at, Some(actor), DomainEvent::RunbookRun { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn run(self, actor: &Actor, id: i64) -> Result<RunView> {
        actor.require(Permission::RunRunbooks)?;
        let record = self.store.run(id).await?.ok_or(AppError::NotFound("run"))?;
        let steps = self.store.run_steps(id).await?;
        let ids: Vec<CiId> = self.store.run_targets(id).await?.into_iter().map(CiId).collect();
        let targets = self.store.cis_by_ids(&ids).await?;
        let approvals = self
            .store
            .run_approvals(id)
            .await?
            .into_iter()
            .map(|(step, _, name, approve, comment, at)| (step, name, approve, comment, at))
            .collect();
        let artifacts = self.store.run_artifacts(id).await?;
        let waiting_for = if record.state == RunState::AwaitingApproval {
            let definition =
                self.store.runbook_version(record.runbook_id, record.version).await?.unwrap_or_default();
            let runbook = super::yaml::parse(&definition)?;
            match steps.iter().find(|s| s.state == StepState::AwaitingApproval) {
                Some(s) => runbook
                    .all_steps()
                    .find(|d| d.id == s.key)
                    .and_then(|d| d.approval.clone())
                    .map(|g| (s.key.clone(), g)),
                None => runbook.approval.clone().map(|g| (String::new(), g)),
            }
        } else {
            None
        };
        let number = |t: Option<i64>| async move {
            match t {
                Some(t) => Ok::<_, AppError>(self.store.ticket(TicketId(t)).await?.map(|t| t.number)),
                None => Ok(None),
            }
        };
        let ticket_number = number(record.ticket_id).await?;
        let change_number = number(record.change_id).await?;
        Ok(RunView {
            record,
            steps,
            targets,
            approvals,
            artifacts,
            waiting_for,
            ticket_number,
            change_number,
        })
    }

    pub async fn runs(self, actor: &Actor, filter: &RunFilter) -> Result<Vec<RunRecord>> {
        actor.require(Permission::RunRunbooks)?;
        Ok(self.store.runs(filter).await?)
    }

    /// Output after `after` (a chunk's `seq`), at most `limit` chunks.
    pub async fn output(
        self,
        actor: &Actor,
        id: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<steward_store::OutputChunk>> {
        actor.require(Permission::RunRunbooks)?;
        Ok(self.store.run_output(id, after, limit.clamp(1, 1000)).await?)
    }

    pub async fn artifact(self, actor: &Actor, id: i64, name: &str) -> Result<Vec<u8>> {
        actor.require(Permission::RunRunbooks)?;
        self.store.run_artifact(id, name).await?.ok_or(AppError::NotFound("artefact"))
    }
}

/// The steps a run will go through, as its page lists them from the start.
pub(crate) fn plan(view: &RunbookView) -> Vec<(String, String, String, bool)> {
    let main = view.runbook.steps.iter().map(|s| (s, false));
    let rollback = view.runbook.rollback.iter().map(|s| (s, true));
    main.chain(rollback).map(|(s, r)| (s.id.clone(), s.name.clone(), s.action.kind().to_owned(), r)).collect()
}

pub fn describe_gate(gate: &Gate) -> String {
    let who = match &gate.approvers {
        Approvers::Role(r) => format!("the {r} role"),
        Approvers::Group(g) => format!("the approver group {g}"),
    };
    format!("{who} ({} needed)", gate.quorum)
}

/// Runs per day, the success rate and the time saved, for the dashboard.
#[derive(Debug, Clone, Default)]
pub struct AutomationReport {
    /// (day, runs finished, succeeded, manual minutes saved)
    pub days: Vec<(jiff::civil::Date, i64, i64, i64)>,
    pub runs: i64,
    pub succeeded: i64,
    pub minutes_saved: i64,
    /// Runs per state now (waiting, queued and running ones among them).
    pub by_state: Vec<(String, i64)>,
}

impl AutomationReport {
    /// Succeeded ÷ finished, in percent; `None` with no run.
    pub fn success_rate(&self) -> Option<f64> {
        (self.runs > 0).then(|| self.succeeded as f64 * 100.0 / self.runs as f64)
    }
}

impl crate::Runbooks<'_> {
    /// The last `days` days (today included) in the report zone.
    pub async fn report(self, actor: &Actor, days: i64) -> Result<AutomationReport> {
        // Those who run runbooks, and `/metrics`' scrapers.
        if !actor.can(Permission::RunRunbooks) {
            actor.require(Permission::ReadMetrics)?;
        }
        let days = days.clamp(1, 366);
        let now = self.now();
        let zone = &self.config.report_zone;
        let offset_ms = i64::from(zone.to_offset(now).seconds()) * 1000;
        let today = zone.to_datetime(now).date();
        let first = today.checked_sub(jiff::Span::new().days(days - 1)).unwrap_or(today);
        let from = zone.to_timestamp(first.to_datetime(jiff::civil::Time::midnight())).unwrap_or(now);
        let rows = self
            .store
            .run_days(from, now.saturating_add(jiff::SignedDuration::from_secs(1)).unwrap_or(now), offset_ms)
            .await?;
        let mut report =
            AutomationReport { by_state: self.store.runs_by_state().await?, ..AutomationReport::default() };
        for (day, runs, ok, minutes) in rows {
            let date =
                jiff::civil::date(1970, 1, 1).checked_add(jiff::Span::new().days(day)).unwrap_or(today);
            report.days.push((date, runs, ok, minutes));
            report.runs += runs;
            report.succeeded += ok;
            report.minutes_saved += minutes;
        }
        Ok(report)
    }
}
