//! Survey events, stored under entity types `csat_survey` and `nps_survey` (the stored names
//! never change once written).

use serde_json::json;
use steward_core::surveys::{CsatEvent, NpsEvent};

use super::{Decoded, Encoded, Obj, Stored, json_of, row};

pub(super) fn encode_csat(id: i64, event: &CsatEvent) -> Encoded {
    let r = |action| row("csat_survey", id, action);
    match event {
        CsatEvent::Asked { ticket_id, requester_id } => {
            r("ask").after(json!({ "ticket_id": ticket_id, "requester_id": requester_id }))
        }
        CsatEvent::Answered { ticket_id, stars, comment, via } => r("answer").after(json!({
            "ticket_id": ticket_id, "stars": stars, "comment": comment, "via": via
        })),
    }
}

pub(super) fn decode_csat_v1(s: &Stored<'_>) -> Decoded<CsatEvent> {
    let a = Obj(json_of(s.after, "after")?);
    Ok(match s.action {
        "ask" => CsatEvent::Asked { ticket_id: a.int("ticket_id")?, requester_id: a.int("requester_id")? },
        "answer" => CsatEvent::Answered {
            ticket_id: a.int("ticket_id")?,
            stars: a.int("stars")?,
            comment: a.text("comment")?,
            via: a.text("via")?,
        },
        other => return Err(format!("unknown action `{other}`")),
    })
}

pub(super) fn encode_nps(id: i64, event: &NpsEvent) -> Encoded {
    let r = |action| row("nps_survey", id, action);
    match event {
        NpsEvent::Sent { month, user_id } => r("send").after(json!({ "month": month, "user_id": user_id })),
        NpsEvent::Answered { score, reason, sentiment } => {
            r("answer").after(json!({ "score": score, "reason": reason, "sentiment": sentiment }))
        }
        NpsEvent::Unsubscribed { user_id } => r("unsubscribe").after(json!({ "user_id": user_id })),
    }
}

pub(super) fn decode_nps_v1(s: &Stored<'_>) -> Decoded<NpsEvent> {
    let a = Obj(json_of(s.after, "after")?);
    Ok(match s.action {
        "send" => NpsEvent::Sent { month: a.text("month")?, user_id: a.int("user_id")? },
        "answer" => NpsEvent::Answered {
            score: a.int("score")?,
            reason: a.text("reason")?,
            sentiment: a.text("sentiment")?,
        },
        "unsubscribe" => NpsEvent::Unsubscribed { user_id: a.int("user_id")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}
