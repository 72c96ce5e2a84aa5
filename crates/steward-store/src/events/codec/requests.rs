//! Service requests' and catalogue items' events, stored under entity types `request` and
//! `catalogue_item` (the stored names never change once written).

use serde_json::json;
use steward_core::changes::Decision;
use steward_core::ids::TicketId;
use steward_core::requests::{CatalogueEvent, RequestEvent};

use super::{
    Decoded, Encoded, Obj, Stored, decode_changes, decode_fields, decode_firing, firing_json, json_of, row,
};

pub(super) fn encode(id: TicketId, event: &RequestEvent) -> Encoded {
    let r = |action| row("request", id, action);
    match event {
        // `after` is the ticket's snapshot, as every kind's `create`; what was ordered rides in
        // `before`, which a create has no other use for.
        RequestEvent::Submitted { fields, item_id, form_version } => r("create")
            .before(json!({ "item_id": item_id, "form_version": form_version }))
            .after_fields(fields),
        RequestEvent::Updated(c) => r("update").before_fields(&c.before).after_fields(&c.after),
        RequestEvent::Transitioned(c) => r("transition").before_fields(&c.before).after_fields(&c.after),
        RequestEvent::Decided { level, user_id, decision, comment } => r("decide").after(json!({
            "level": level, "user_id": user_id, "decision": decision.as_str(), "comment": comment
        })),
        RequestEvent::TaskOpened { task_id, name, team_id } => {
            r("open_task").after(json!({ "task_id": task_id, "name": name, "team_id": team_id }))
        }
        RequestEvent::TaskDone { task_id, name, note } => {
            r("finish_task").after(json!({ "task_id": task_id, "name": name, "note": note }))
        }
        RequestEvent::Commented { comment_id, internal } => {
            r("comment").after(json!({ "comment_id": comment_id, "internal": internal }))
        }
        RequestEvent::SlaFired(f) => {
            r(if f.is_breach() { "sla_breach" } else { "sla_warning" }).after(firing_json(f))
        }
        RequestEvent::Rerouted { level, manager_id, group_id } => {
            r("reroute").after(json!({ "level": level, "manager_id": manager_id, "group_id": group_id }))
        }
    }
}

pub(super) fn decode_v1(s: &Stored<'_>) -> Decoded<RequestEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    Ok(match s.action {
        "create" => {
            let order = Obj(json_of(s.before, "before")?);
            RequestEvent::Submitted {
                fields: decode_fields(json_of(s.after, "after")?)?,
                item_id: order.int("item_id")?,
                form_version: order.int("form_version")?,
            }
        }
        "update" => RequestEvent::Updated(decode_changes(s)?),
        "transition" => RequestEvent::Transitioned(decode_changes(s)?),
        "decide" => {
            let a = after()?;
            RequestEvent::Decided {
                level: a.int("level")?,
                user_id: a.int("user_id")?,
                decision: Decision::parse(&a.text("decision")?).map_err(|e| e.to_string())?,
                comment: a.text("comment")?,
            }
        }
        "open_task" => {
            let a = after()?;
            RequestEvent::TaskOpened {
                task_id: a.int("task_id")?,
                name: a.text("name")?,
                team_id: a.int("team_id")?,
            }
        }
        "finish_task" => {
            let a = after()?;
            RequestEvent::TaskDone {
                task_id: a.int("task_id")?,
                name: a.text("name")?,
                note: a.text("note")?,
            }
        }
        "comment" => {
            let a = after()?;
            RequestEvent::Commented { comment_id: a.int("comment_id")?, internal: a.bool("internal")? }
        }
        "sla_warning" | "sla_breach" => RequestEvent::SlaFired(decode_firing(s)?),
        "reroute" => {
            let a = after()?;
            RequestEvent::Rerouted {
                level: a.int("level")?,
                manager_id: a.opt_int("manager_id")?,
                group_id: a.opt_int("group_id")?,
            }
        }
        other => return Err(format!("unknown action `{other}`")),
    })
}

pub(super) fn encode_item(id: i64, event: &CatalogueEvent) -> Encoded {
    let r = |action| row("catalogue_item", id, action);
    match event {
        CatalogueEvent::Saved { name, category, active, audience, delivery_hours } => {
            r("save").after(json!({
                "name": name, "category": category, "active": active, "audience": audience,
                "delivery_hours": delivery_hours
            }))
        }
        CatalogueEvent::Published { version, fields, approvals, tasks } => r("publish").after(json!({
            "version": version, "fields": fields, "approvals": approvals, "tasks": tasks
        })),
    }
}

pub(super) fn decode_item_v1(s: &Stored<'_>) -> Decoded<CatalogueEvent> {
    let a = Obj(json_of(s.after, "after")?);
    Ok(match s.action {
        "save" => CatalogueEvent::Saved {
            name: a.text("name")?,
            category: a.text("category")?,
            active: a.bool("active")?,
            audience: a.texts("audience")?,
            delivery_hours: a.int("delivery_hours")?,
        },
        "publish" => CatalogueEvent::Published {
            version: a.int("version")?,
            fields: a.int("fields")?,
            approvals: a.int("approvals")?,
            tasks: a.int("tasks")?,
        },
        other => return Err(format!("unknown action `{other}`")),
    })
}
