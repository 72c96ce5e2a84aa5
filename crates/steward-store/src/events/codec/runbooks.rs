//! Automation's events: runbooks (entity `runbook`; the desk's secrets under id 0), their runs
//! (`runbook_run`) and just-in-time grants (`jit_grant`). Every event stores its fields in
//! `after`, except removals, which keep what was removed in `before`.

use serde_json::json;
use steward_core::forecasts::ForecastEvent;
use steward_core::runbooks::{GrantEvent, RunEvent, RunbookEvent};

use super::{Decoded, Encoded, Obj, Stored, json_of, row};

pub(super) fn encode_runbook(id: i64, event: &RunbookEvent) -> Encoded {
    let r = |action| row("runbook", id, action);
    match event {
        RunbookEvent::Saved { name, version } => r("save").after(json!({ "name": name, "version": version })),
        RunbookEvent::Retired { name } => r("retire").before(json!({ "name": name })),
        RunbookEvent::ScheduleSet { id, cron, zone } => {
            r("set_schedule").after(json!({ "schedule_id": id, "cron": cron, "zone": zone }))
        }
        RunbookEvent::ScheduleRemoved { id } => r("remove_schedule").before(json!({ "schedule_id": id })),
        RunbookEvent::AlertTriggerSet { id, matchers } => {
            r("set_alert_trigger").after(json!({ "trigger_id": id, "matchers": matchers }))
        }
        RunbookEvent::AlertTriggerRemoved { id } => {
            r("remove_alert_trigger").before(json!({ "trigger_id": id }))
        }
        RunbookEvent::SecretSet { name } => r("set_secret").after(json!({ "secret_name": name })),
        RunbookEvent::SecretRemoved { name } => r("remove_secret").before(json!({ "secret_name": name })),
    }
}

pub(super) fn decode_runbook_v1(s: &Stored<'_>) -> Decoded<RunbookEvent> {
    let a = || json_of(s.after, "after").map(Obj);
    let b = || json_of(s.before, "before").map(Obj);
    Ok(match s.action {
        "save" => {
            let a = a()?;
            RunbookEvent::Saved { name: a.text("name")?, version: a.int("version")? }
        }
        "retire" => RunbookEvent::Retired { name: b()?.text("name")? },
        "set_schedule" => {
            let a = a()?;
            RunbookEvent::ScheduleSet {
                id: a.int("schedule_id")?,
                cron: a.text("cron")?,
                zone: a.text("zone")?,
            }
        }
        "remove_schedule" => RunbookEvent::ScheduleRemoved { id: b()?.int("schedule_id")? },
        "set_alert_trigger" => {
            let a = a()?;
            RunbookEvent::AlertTriggerSet { id: a.int("trigger_id")?, matchers: a.text("matchers")? }
        }
        "remove_alert_trigger" => RunbookEvent::AlertTriggerRemoved { id: b()?.int("trigger_id")? },
        "set_secret" => RunbookEvent::SecretSet { name: a()?.text("secret_name")? },
        "remove_secret" => RunbookEvent::SecretRemoved { name: b()?.text("secret_name")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}

pub(super) fn encode_run(id: i64, event: &RunEvent) -> Encoded {
    let r = |action| row("runbook_run", id, action);
    match event {
        RunEvent::Requested { runbook, version, trigger, params, links } => r("request").after(json!({
            "runbook": runbook, "version": version, "trigger": trigger, "params": params, "links": links
        })),
        RunEvent::Decided { approver, approve, comment, step } => r("decide").after(json!({
            "approver": approver, "approve": approve, "comment": comment, "step": step
        })),
        RunEvent::Started { node, authority } => {
            r("start").after(json!({ "node": node, "authority": authority }))
        }
        RunEvent::Finished { state, detail } => {
            r("finish").after(json!({ "run_state": state, "detail": detail }))
        }
        RunEvent::CancelRequested { by } => r("cancel").after(json!({ "by": by })),
    }
}

pub(super) fn decode_run_v1(s: &Stored<'_>) -> Decoded<RunEvent> {
    let a = Obj(json_of(s.after, "after")?);
    Ok(match s.action {
        "request" => RunEvent::Requested {
            runbook: a.text("runbook")?,
            version: a.int("version")?,
            trigger: a.text("trigger")?,
            params: a.text("params")?,
            links: a.text("links")?,
        },
        "decide" => RunEvent::Decided {
            approver: a.text("approver")?,
            approve: a.bool("approve")?,
            comment: a.text("comment")?,
            step: a.text("step")?,
        },
        "start" => RunEvent::Started { node: a.text("node")?, authority: a.text("authority")? },
        "finish" => RunEvent::Finished { state: a.text("run_state")?, detail: a.text("detail")? },
        "cancel" => RunEvent::CancelRequested { by: a.text("by")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}

pub(super) fn encode_grant(id: i64, event: &GrantEvent) -> Encoded {
    let r = |action| row("jit_grant", id, action);
    match event {
        GrantEvent::Requested { user, cis, reason, minutes } => {
            r("request").after(json!({ "user": user, "cis": cis, "reason": reason, "minutes": minutes }))
        }
        GrantEvent::Decided { by, approve, comment } => {
            r("decide").after(json!({ "by": by, "approve": approve, "comment": comment }))
        }
        GrantEvent::Revoked { by } => r("revoke").after(json!({ "by": by })),
    }
}

pub(super) fn decode_grant_v1(s: &Stored<'_>) -> Decoded<GrantEvent> {
    let a = Obj(json_of(s.after, "after")?);
    Ok(match s.action {
        "request" => GrantEvent::Requested {
            user: a.text("user")?,
            cis: a.text("cis")?,
            reason: a.text("reason")?,
            minutes: a.int("minutes")?,
        },
        "decide" => GrantEvent::Decided {
            by: a.text("by")?,
            approve: a.bool("approve")?,
            comment: a.text("comment")?,
        },
        "revoke" => GrantEvent::Revoked { by: a.text("by")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}

/// Forecast rules (entity `forecast`, issue 22): created with their fields in `after`, deleted
/// with their name in `before`.
pub(super) fn encode_forecast(id: i64, event: &ForecastEvent) -> Encoded {
    let r = |action| row("forecast", id, action);
    match event {
        ForecastEvent::Created { name, query, threshold, breach, horizon_minutes, ci } => {
            r("create").after(json!({
                "name": name, "query": query, "threshold": threshold, "breach": breach,
                "horizon_minutes": horizon_minutes, "ci_id": ci,
            }))
        }
        ForecastEvent::Deleted { name } => r("delete").before(json!({ "name": name })),
    }
}

pub(super) fn decode_forecast_v1(s: &Stored<'_>) -> Decoded<ForecastEvent> {
    Ok(match s.action {
        "create" => {
            let a = Obj(json_of(s.after, "after")?);
            ForecastEvent::Created {
                name: a.text("name")?,
                query: a.text("query")?,
                threshold: a.text("threshold")?,
                breach: a.text("breach")?,
                horizon_minutes: a.int("horizon_minutes")?,
                ci: a.opt_int("ci_id")?,
            }
        }
        "delete" => ForecastEvent::Deleted { name: Obj(json_of(s.before, "before")?).text("name")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}
