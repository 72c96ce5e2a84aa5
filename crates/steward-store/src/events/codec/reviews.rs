//! Post-incident reviews' events, stored under entity type `review` with the incident's id.

use serde_json::json;
use steward_core::ids::TicketId;
use steward_core::reviews::ReviewEvent;

use super::{Decoded, Encoded, Obj, Stored, decode_changes, json_of, row};

pub(super) fn encode(id: TicketId, event: &ReviewEvent) -> Encoded {
    let r = |action| row("review", id, action);
    match event {
        ReviewEvent::Opened { expected } => r("create").after(json!({ "expected": expected })),
        ReviewEvent::Edited(c) => r("update").before_fields(&c.before).after_fields(&c.after),
        ReviewEvent::ActionAdded { action_id, title, owner_id, due } => r("action_add")
            .after(json!({ "action_id": action_id, "title": title, "owner_id": owner_id, "due": due })),
        ReviewEvent::ActionMoved { action_id, from, to } => r("action_move")
            .before(json!({ "action_id": action_id, "state": from }))
            .after(json!({ "action_id": action_id, "state": to })),
        ReviewEvent::ActionOverdue { action_id, owner_id } => {
            r("action_overdue").after(json!({ "action_id": action_id, "owner_id": owner_id }))
        }
    }
}

pub(super) fn decode_v1(s: &Stored<'_>) -> Decoded<ReviewEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    Ok(match s.action {
        "create" => ReviewEvent::Opened { expected: after()?.bool("expected")? },
        "update" => ReviewEvent::Edited(decode_changes(s)?),
        "action_add" => {
            let a = after()?;
            ReviewEvent::ActionAdded {
                action_id: a.int("action_id")?,
                title: a.text("title")?,
                owner_id: a.int("owner_id")?,
                due: a.text("due")?,
            }
        }
        "action_move" => ReviewEvent::ActionMoved {
            action_id: after()?.int("action_id")?,
            from: Obj(json_of(s.before, "before")?).text("state")?,
            to: after()?.text("state")?,
        },
        "action_overdue" => {
            let a = after()?;
            ReviewEvent::ActionOverdue { action_id: a.int("action_id")?, owner_id: a.int("owner_id")? }
        }
        other => return Err(format!("unknown action `{other}`")),
    })
}
