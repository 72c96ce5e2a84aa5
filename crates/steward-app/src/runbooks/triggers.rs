//! What starts runs besides a person: cron schedules in a time zone (skipping a calendar's
//! holidays) and alert triggers (auto-remediation). A finished run tells its incident how it
//! went, with its artefacts attached.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use steward_core::alerts::AlertStatus;
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CiId, TicketId, UserId};
use steward_core::runbooks::{RunEvent, RunState, RunbookEvent, Trigger, check_values, cron::Cron};
use steward_core::tickets::{IncidentEvent, TicketKind};
use steward_store::{AlertRecord, AlertTriggerRecord, NewAttachment, NewComment, NewRun, ScheduleRecord};

use super::runs::{params_json, params_of, plan};
use crate::events::TicketChange;
use crate::{Actor, AppError, Result, record};

fn zone_of(name: &str) -> Result<jiff::tz::TimeZone> {
    jiff::tz::TimeZone::get(name)
        .map_err(|_| AppError::invalid("zone", format!("`{name}` is not an IANA time zone")))
}

/// `label=value` pairs, one per line or comma-separated.
fn matchers(text: &str) -> Result<Vec<(String, String)>> {
    if text.len() > 2000 || text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(AppError::invalid("matchers", "at most 2000 characters, no control characters"));
    }
    let pairs: Vec<(String, String)> = text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (k, v) =
                l.split_once('=').ok_or_else(|| AppError::invalid("matchers", "write label=value"))?;
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect::<Result<_>>()?;
    if pairs.is_empty()
        || pairs.len() > 20
        || pairs.iter().any(|(k, _)| k.is_empty() || k.chars().any(char::is_control))
    {
        return Err(AppError::invalid("matchers", "1–20 label=value pairs"));
    }
    Ok(pairs)
}

impl crate::Runbooks<'_> {
    /// Adds a cron schedule. Its runs are asked for in the name of `actor` (whose grants count).
    #[allow(clippy::too_many_arguments)]
    pub async fn add_schedule(
        self,
        actor: &Actor,
        runbook: i64,
        cron: &str,
        zone: &str,
        calendar: Option<i64>,
        params: Vec<(String, String)>,
        ci: Option<CiId>,
    ) -> Result<i64> {
        actor.require(Permission::ManageRunbooks)?;
        let view = self.runbooks().get(actor, runbook).await?;
        let parsed = Cron::parse(cron).map_err(|e| AppError::invalid("cron", e.to_string()))?;
        let tz = zone_of(zone)?;
        if let Some(c) = calendar
            && !self.store.sla_calendars().await?.iter().any(|k| k.id.get() == c)
        {
            return Err(AppError::invalid("calendar", "no such calendar"));
        }
        let req = super::RunRequest { runbook_id: runbook, params, ci, ..Default::default() };
        let values = self.check_request(&view, &req).await?;
        let at = self.now();
        let next = parsed
            .next_after(at, &tz)
            .ok_or_else(|| AppError::invalid("cron", "this schedule never comes"))?;
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_schedule(
                at,
                runbook,
                parsed.as_str(),
                zone,
                calendar,
                &params_json(&values),
                ci.map(|c| c.get()),
                actor.user.id.get(),
                next,
            )
            .await?;
        let event = RunbookEvent::ScheduleSet { id, cron: parsed.as_str().to_owned(), zone: zone.to_owned() };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id: runbook, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_schedule(self, actor: &Actor, runbook: i64, id: i64) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_schedule(runbook, id).await? {
            return Err(AppError::NotFound("schedule"));
        }
        record(
            &mut tx,
            at,
            Some(actor),
            DomainEvent::Runbook { id: runbook, event: RunbookEvent::ScheduleRemoved { id } },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn schedules(self, actor: &Actor, runbook: Option<i64>) -> Result<Vec<ScheduleRecord>> {
        actor.require(Permission::RunRunbooks)?;
        Ok(self.store.runbook_schedules(runbook).await?)
    }

    /// Asks for the runs of every schedule due now, once each across nodes: a schedule moves on
    /// and its run is written in the same transaction (one for all those due), and a run per
    /// (schedule, minute) is unique.
    pub async fn fire_schedules(self) -> Result<usize> {
        let now = self.now();
        let due = self.store.due_schedules(now).await?;
        if due.is_empty() {
            return Ok(0);
        }
        // The reads first: each runbook once, the calendars once, each schedule's targets.
        let calendars = self.store.sla_calendars().await?;
        let mut views: std::collections::HashMap<i64, Option<super::RunbookView>> = Default::default();
        let mut planned = Vec::new();
        for s in due {
            if let std::collections::hash_map::Entry::Vacant(slot) = views.entry(s.runbook_id) {
                slot.insert(self.store.runbook(s.runbook_id).await?.map(super::read).transpose()?);
            }
            let Some(Some(view)) = views.get(&s.runbook_id) else { continue };
            let (Ok(cron), Ok(tz)) = (Cron::parse(&s.cron), zone_of(&s.zone)) else { continue };
            // Missed occurrences (the node was down) run once, not once each.
            let next = cron.next_after(now, &tz).unwrap_or(jiff::Timestamp::MAX);
            let day = tz.to_datetime(s.next_at).date().to_string();
            let holiday = s
                .calendar_id
                .is_some_and(|c| calendars.iter().any(|k| k.id.get() == c && k.holidays.contains(&day)));
            let run = if holiday || view.record.retired {
                None
            } else {
                let values =
                    check_values(&view.runbook.params, &params_of(&s.params)).map_err(AppError::from)?;
                let targets = self.targets(&view.runbook, &values).await?;
                Some(NewRun {
                    runbook_id: view.record.id,
                    version: view.record.version,
                    state: if view.runbook.approval.is_some() {
                        RunState::AwaitingApproval
                    } else {
                        RunState::Queued
                    },
                    trigger: Trigger::Schedule,
                    params: s.params.clone(),
                    requested_by: Some(s.owner),
                    ci_id: s.ci_id,
                    ticket_id: None,
                    change_id: None,
                    alert_id: None,
                    schedule_id: Some(s.id),
                    due_at: s.next_at,
                    targets: targets.iter().map(|c| c.id.get()).collect(),
                    steps: plan(view),
                })
            };
            planned.push((s, next, run, view.record.name.clone()));
        }
        let mut fired = 0;
        let mut tx = self.store.begin().await?;
        for (s, next, run, name) in planned {
            if !tx.advance_schedule(s.id, s.next_at, next).await? {
                continue; // another node fired it
            }
            let Some(new) = run else { continue };
            let id = tx.insert_run(now, &new).await?;
            let event = RunEvent::Requested {
                runbook: name,
                version: new.version,
                trigger: Trigger::Schedule.as_str().into(),
                params: s.params.clone(),
                links: format!("schedule={}", s.id),
            };
            record(&mut tx, now, None, DomainEvent::RunbookRun { id, event }).await?;
            fired += 1;
        }
        tx.commit().await?;
        Ok(fired)
    }

    pub async fn add_alert_trigger(
        self,
        actor: &Actor,
        runbook: i64,
        matchers_text: &str,
        params: Vec<(String, String)>,
    ) -> Result<i64> {
        actor.require(Permission::ManageRunbooks)?;
        let view = self.runbooks().get(actor, runbook).await?;
        let pairs = matchers(matchers_text)?;
        // Parameters may be filled from the alert's labels when it fires (`{label}` values are
        // taken as written); check what is fixed now.
        let fixed: Vec<(String, String)> =
            params.iter().filter(|(_, v)| !v.starts_with("label:")).cloned().collect();
        let mut check = view.runbook.params.clone();
        for p in &mut check {
            if params.iter().any(|(n, v)| n == &p.name && v.starts_with("label:")) {
                p.required = false;
                p.default = None;
            }
        }
        check_values(&check, &fixed).map_err(AppError::from)?;
        let text = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n");
        let params_text = serde_json::to_string(&params.into_iter().collect::<BTreeMap<_, _>>())
            .unwrap_or_else(|_| "{}".into());
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_alert_trigger(at, runbook, &text, &params_text, actor.user.id.get()).await?;
        let event = RunbookEvent::AlertTriggerSet { id, matchers: text };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id: runbook, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn remove_alert_trigger(self, actor: &Actor, runbook: i64, id: i64) -> Result<()> {
        actor.require(Permission::ManageRunbooks)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.delete_alert_trigger(runbook, id).await? {
            return Err(AppError::NotFound("trigger"));
        }
        let event = RunbookEvent::AlertTriggerRemoved { id };
        record(&mut tx, at, Some(actor), DomainEvent::Runbook { id: runbook, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn alert_triggers(
        self,
        actor: &Actor,
        runbook: Option<i64>,
    ) -> Result<Vec<AlertTriggerRecord>> {
        actor.require(Permission::RunRunbooks)?;
        Ok(self.store.alert_triggers(runbook).await?)
    }

    /// Starts the runbooks whose triggers match alerts that just began firing; the run is
    /// linked to the alert, its CI and the incident it opened or joined.
    pub(crate) async fn on_alerts(self, fired: &[AlertRecord]) -> Result<()> {
        if fired.is_empty() {
            return Ok(());
        }
        let triggers = self.store.alert_triggers(None).await?;
        for t in triggers {
            let Ok(pairs) = matchers(&t.matchers) else { continue };
            for alert in fired.iter().filter(|a| a.alert.status == AlertStatus::Firing) {
                if !pairs.iter().all(|(k, v)| alert.alert.labels.get(k) == Some(v)) {
                    continue;
                }
                if let Err(e) = self.trigger_run(&t, alert).await {
                    tracing::warn!(trigger = t.id, alert = alert.id, error = %e, "an alert trigger could not start its runbook");
                }
            }
        }
        Ok(())
    }

    async fn trigger_run(self, t: &AlertTriggerRecord, alert: &AlertRecord) -> Result<()> {
        let Some(record_) = self.store.runbook(t.runbook_id).await? else { return Ok(()) };
        let view = super::read(record_)?;
        if view.record.retired {
            return Ok(());
        }
        let raw: BTreeMap<String, String> = serde_json::from_str(&t.params).unwrap_or_default();
        let params: Vec<(String, String)> = raw
            .into_iter()
            .map(|(k, v)| match v.strip_prefix("label:") {
                Some(label) => (k, alert.alert.labels.get(label.trim()).cloned().unwrap_or_default()),
                None => (k, v),
            })
            .collect();
        let req =
            super::RunRequest { runbook_id: t.runbook_id, params, ci: alert.ci_id, ..Default::default() };
        let values = self.check_request(&view, &req).await?;
        let targets = self.targets(&view.runbook, &values).await?;
        // The incident the alert opened or joined (`reconcile` has just run).
        let ticket = self.store.alert(alert.id).await?.and_then(|a| a.ticket_id);
        let new = NewRun {
            runbook_id: view.record.id,
            version: view.record.version,
            state: if view.runbook.approval.is_some() {
                RunState::AwaitingApproval
            } else {
                RunState::Queued
            },
            trigger: Trigger::Alert,
            params: params_json(&values),
            requested_by: Some(t.owner),
            ci_id: alert.ci_id.map(|c| c.get()),
            ticket_id: ticket.map(|t| t.get()),
            change_id: None,
            alert_id: Some(alert.id),
            schedule_id: None,
            due_at: self.now(),
            targets: targets.iter().map(|c| c.id.get()).collect(),
            steps: plan(&view),
        };
        self.insert_run(None, &view, new).await?;
        Ok(())
    }

    /// Writes how a run went on its incident (a work note by the one who asked for it) and
    /// attaches its artefacts there.
    pub(crate) async fn tell_ticket(
        self,
        run: &steward_store::RunRecord,
        id: TicketId,
        state: RunState,
        detail: &str,
    ) -> Result<()> {
        let Some(ticket) = self.store.ticket(id).await?.filter(|t| t.kind == TicketKind::Incident) else {
            return Ok(());
        };
        let author = UserId(run.requested_by.unwrap_or(ticket.requester_id.get()));
        let mut body =
            format!("Runbook **{}** (run #{}, {}): **{}**", run.runbook, run.id, run.trigger, state);
        if !detail.is_empty() {
            body.push_str(&format!(" — {detail}"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let new = NewComment {
            ticket_id: id,
            author_id: author,
            body_html: crate::markdown::to_safe_html(&body),
            body,
            internal: true,
            mentions: Vec::new(),
        };
        let comment_id = tx.insert_comment(at, &new).await?;
        let event = IncidentEvent::Commented { comment_id, internal: true, mentions: Vec::new() };
        self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, None, event)).await?;
        for (name, _) in self.store.run_artifacts(run.id).await? {
            let Some(data) = self.store.run_artifact(run.id, &name).await? else { continue };
            if data.len() > self.config.attachment_max_bytes {
                continue;
            }
            let a = NewAttachment {
                ticket_id: id,
                filename: name.clone(),
                content_type: "text/plain".into(),
                sha256: hex::encode(Sha256::digest(&data)),
                internal: true,
                uploaded_by: author,
                data,
            };
            let saved = tx.insert_attachment(at, &a).await?;
            let event = IncidentEvent::AttachmentAdded {
                attachment_id: saved.id,
                filename: name,
                size: saved.size,
                internal: true,
            };
            self.record_ticket_event(&mut tx, TicketChange::on(&ticket, at, None, event)).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
