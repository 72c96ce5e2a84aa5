//! Problems' events, stored under entity type `problem` (kept out of `codec.rs` to keep it
//! readable; the stored names never change once written).

use serde_json::json;
use steward_core::ids::TicketId;
use steward_core::problems::ProblemEvent;

use super::{Decoded, Encoded, Obj, Stored, decode_changes, decode_fields, json_of, row};

pub(super) fn encode(id: TicketId, event: &ProblemEvent) -> Encoded {
    let r = |action| row("problem", id, action);
    match event {
        ProblemEvent::Opened(f) => r("create").after_fields(f),
        ProblemEvent::Updated(c) => r("update").before_fields(&c.before).after_fields(&c.after),
        ProblemEvent::Transitioned(c) => r("transition").before_fields(&c.before).after_fields(&c.after),
        ProblemEvent::Analysed(c) => r("analyse").before_fields(&c.before).after_fields(&c.after),
        ProblemEvent::IncidentLinked { incident_id, number } => {
            r("link_incident").after(json!({ "incident_id": incident_id, "number": number }))
        }
        ProblemEvent::IncidentUnlinked { incident_id, number } => {
            r("unlink_incident").before(json!({ "incident_id": incident_id, "number": number }))
        }
        ProblemEvent::CiLinked { ci_id, ci } => r("link_ci").after(json!({ "ci_id": ci_id, "ci": ci })),
        ProblemEvent::CiUnlinked { ci_id, ci } => r("unlink_ci").before(json!({ "ci_id": ci_id, "ci": ci })),
        ProblemEvent::Commented { comment_id } => r("comment").after(json!({ "comment_id": comment_id })),
    }
}

pub(super) fn decode_v1(s: &Stored<'_>) -> Decoded<ProblemEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    let before = || json_of(s.before, "before").map(Obj);
    Ok(match s.action {
        "create" => ProblemEvent::Opened(decode_fields(json_of(s.after, "after")?)?),
        "update" => ProblemEvent::Updated(decode_changes(s)?),
        "transition" => ProblemEvent::Transitioned(decode_changes(s)?),
        "analyse" => ProblemEvent::Analysed(decode_changes(s)?),
        "link_incident" => {
            let a = after()?;
            ProblemEvent::IncidentLinked { incident_id: a.int("incident_id")?, number: a.text("number")? }
        }
        "unlink_incident" => {
            let b = before()?;
            ProblemEvent::IncidentUnlinked { incident_id: b.int("incident_id")?, number: b.text("number")? }
        }
        "link_ci" => {
            let a = after()?;
            ProblemEvent::CiLinked { ci_id: a.int("ci_id")?, ci: a.text("ci")? }
        }
        "unlink_ci" => {
            let b = before()?;
            ProblemEvent::CiUnlinked { ci_id: b.int("ci_id")?, ci: b.text("ci")? }
        }
        "comment" => ProblemEvent::Commented { comment_id: after()?.int("comment_id")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}
