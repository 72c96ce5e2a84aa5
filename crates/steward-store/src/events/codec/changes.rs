//! Changes' events, stored under entity type `change`. A change's ticket fields and its plan
//! fields have distinct names, so an event touching both stores them side by side in one
//! object (and the audit page lists them alike).

use serde_json::{Map, Value, json};
use steward_core::changes::{ChangeEvent, PlanField, ReleaseEvent};
use steward_core::events::{Changes, Field, Fields};
use steward_core::ids::TicketId;
use steward_core::tickets::TicketField;

use super::{Decoded, Encoded, Obj, Stored, decode_changes, decode_fields, fields_text, json_of, row};

fn merged(a: &str, b: &str) -> Value {
    let mut m: Map<String, Value> = serde_json::from_str(a).unwrap_or_default();
    let other: Map<String, Value> = serde_json::from_str(b).unwrap_or_default();
    m.extend(other);
    Value::Object(m)
}

fn both<A: Field, B: Field>(m: Map<String, Value>) -> Decoded<(Fields<A>, Fields<B>)> {
    let (a, b): (Map<String, Value>, Map<String, Value>) =
        m.into_iter().partition(|(k, _)| A::parse(k).is_some());
    Ok((decode_fields(a)?, decode_fields(b)?))
}

/// The reasons (`risk::reasons_text`, one per line) as a list of objects, so the audit page
/// names each factor in the reader's language.
fn reasons_json(text: &str) -> Value {
    let items: Vec<Value> = text
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let points = parts.next().and_then(|p| p.parse::<i64>().ok()).unwrap_or(0);
            let factor = parts.next().unwrap_or_default();
            let detail = parts.next().unwrap_or_default();
            json!({ "points": points, "risk_factor": factor, "detail": detail })
        })
        .collect();
    Value::Array(items)
}

/// `reasons_json` read back into the stored text.
fn reasons_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
                format!("{}\t{}\t{}", i["points"].as_i64().unwrap_or(0), text("risk_factor"), text("detail"))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

pub(super) fn encode(id: TicketId, event: &ChangeEvent) -> Encoded {
    let r = |action| row("change", id, action);
    match event {
        ChangeEvent::Opened { ticket, plan } => {
            r("create").after(merged(&fields_text(ticket), &fields_text(plan)))
        }
        ChangeEvent::Updated(c) => r("update").before_fields(&c.before).after_fields(&c.after),
        ChangeEvent::Planned(c) => r("plan").before_fields(&c.before).after_fields(&c.after),
        ChangeEvent::Moved { ticket, plan } => r("transition")
            .before(merged(&fields_text(&ticket.before), &fields_text(&plan.before)))
            .after(merged(&fields_text(&ticket.after), &fields_text(&plan.after))),
        ChangeEvent::RiskAssessed { plan, reasons } => {
            let mut after = merged(&fields_text(&plan.after), "{}");
            after["risk_reasons"] = reasons_json(reasons);
            r("assess_risk").before_fields(&plan.before).after(after)
        }
        ChangeEvent::Decided { level, approver, on_behalf_of, approve, comment, via } => {
            r("decide").after(json!({
                "level": level, "approver": approver, "on_behalf_of": on_behalf_of,
                "decision": if *approve { "approve" } else { "reject" }, "comment": comment, "via": via
            }))
        }
        ChangeEvent::ConflictOverridden { key, reason } => {
            r("override_conflict").after(json!({ "conflict": key, "reason": reason }))
        }
        ChangeEvent::CiLinked { ci_id, ci } => r("link_ci").after(json!({ "ci_id": ci_id, "ci": ci })),
        ChangeEvent::CiUnlinked { ci_id, ci } => r("unlink_ci").before(json!({ "ci_id": ci_id, "ci": ci })),
        ChangeEvent::TicketLinked { ticket_id, number } => {
            r("link_ticket").after(json!({ "ticket_id": ticket_id, "number": number }))
        }
        ChangeEvent::TicketUnlinked { ticket_id, number } => {
            r("unlink_ticket").before(json!({ "ticket_id": ticket_id, "number": number }))
        }
    }
}

pub(super) fn decode_v1(s: &Stored<'_>) -> Decoded<ChangeEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    let before = || json_of(s.before, "before").map(Obj);
    Ok(match s.action {
        "create" => {
            let (ticket, plan) = both::<TicketField, PlanField>(json_of(s.after, "after")?)?;
            ChangeEvent::Opened { ticket, plan }
        }
        "update" => ChangeEvent::Updated(decode_changes(s)?),
        "plan" => ChangeEvent::Planned(decode_changes(s)?),
        "transition" => {
            let (tb, pb) = both::<TicketField, PlanField>(json_of(s.before, "before")?)?;
            let (ta, pa) = both::<TicketField, PlanField>(json_of(s.after, "after")?)?;
            ChangeEvent::Moved {
                ticket: Changes { before: tb, after: ta },
                plan: Changes { before: pb, after: pa },
            }
        }
        "assess_risk" => {
            let mut a = json_of(s.after, "after")?;
            let reasons = a.remove("risk_reasons").map(|v| reasons_of(&v)).unwrap_or_default();
            let plan =
                Changes { before: decode_fields(json_of(s.before, "before")?)?, after: decode_fields(a)? };
            ChangeEvent::RiskAssessed { plan, reasons }
        }
        "decide" => {
            let a = after()?;
            ChangeEvent::Decided {
                level: a.int("level")?,
                approver: a.text("approver")?,
                on_behalf_of: a.opt_text("on_behalf_of")?,
                approve: a.text("decision")? == "approve",
                comment: a.text("comment")?,
                via: a.text("via")?,
            }
        }
        "override_conflict" => {
            let a = after()?;
            ChangeEvent::ConflictOverridden { key: a.text("conflict")?, reason: a.text("reason")? }
        }
        "link_ci" => {
            let a = after()?;
            ChangeEvent::CiLinked { ci_id: a.int("ci_id")?, ci: a.text("ci")? }
        }
        "unlink_ci" => {
            let b = before()?;
            ChangeEvent::CiUnlinked { ci_id: b.int("ci_id")?, ci: b.text("ci")? }
        }
        "link_ticket" => {
            let a = after()?;
            ChangeEvent::TicketLinked { ticket_id: a.int("ticket_id")?, number: a.text("number")? }
        }
        "unlink_ticket" => {
            let b = before()?;
            ChangeEvent::TicketUnlinked { ticket_id: b.int("ticket_id")?, number: b.text("number")? }
        }
        other => return Err(format!("unknown action `{other}`")),
    })
}

pub(super) fn encode_release(id: i64, event: &ReleaseEvent) -> Encoded {
    let r = |action| row("release", id, action);
    match event {
        ReleaseEvent::Created { name, version, target_date } => {
            r("create").after(json!({ "name": name, "version": version, "target_date": target_date }))
        }
        ReleaseEvent::ChangeAdded { change_id, number } => {
            r("add_change").after(json!({ "change_id": change_id, "number": number }))
        }
        ReleaseEvent::ChangeRemoved { change_id, number } => {
            r("remove_change").before(json!({ "change_id": change_id, "number": number }))
        }
    }
}

pub(super) fn decode_release_v1(s: &Stored<'_>) -> Decoded<ReleaseEvent> {
    Ok(match s.action {
        "create" => {
            let a = Obj(json_of(s.after, "after")?);
            ReleaseEvent::Created {
                name: a.text("name")?,
                version: a.text("version")?,
                target_date: a.text("target_date")?,
            }
        }
        "add_change" => {
            let a = Obj(json_of(s.after, "after")?);
            ReleaseEvent::ChangeAdded { change_id: a.int("change_id")?, number: a.text("number")? }
        }
        "remove_change" => {
            let b = Obj(json_of(s.before, "before")?);
            ReleaseEvent::ChangeRemoved { change_id: b.int("change_id")?, number: b.text("number")? }
        }
        other => return Err(format!("unknown action `{other}`")),
    })
}
