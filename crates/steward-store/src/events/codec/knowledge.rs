//! Articles' events, stored under entity type `article`. What an event records besides the
//! article's fields (the source ticket, the version rolled back to, a workflow step and its
//! comment) sits in the same JSON object under a key starting with `_`, which no field has.

use serde_json::{Map, Value, json};
use steward_core::events::{Changes, Fields};
use steward_core::knowledge::{ArticleEvent, ArticleField};

use super::{Decoded, Encoded, Obj, Stored, decode_fields, fields, json_of, row};

fn with(f: &Fields<ArticleField>, extra: &[(&str, Value)]) -> Value {
    let mut v = fields(f);
    if let Value::Object(m) = &mut v {
        for (k, x) in extra {
            if !x.is_null() {
                m.insert(format!("_{k}"), x.clone());
            }
        }
    }
    v
}

pub(super) fn encode(id: i64, event: &ArticleEvent) -> Encoded {
    let r = |action| row("article", id, action);
    match event {
        ArticleEvent::Created { fields, source } => {
            r("create").after(with(fields, &[("source_ticket_id", json!(source))]))
        }
        ArticleEvent::Edited { changes, from_version } => r("update")
            .before(super::fields(&changes.before))
            .after(with(&changes.after, &[("from_version", json!(from_version))])),
        ArticleEvent::Moved { changes, step, comment } => r("move")
            .before(super::fields(&changes.before))
            .after(with(&changes.after, &[("step", json!(step)), ("comment", json!(comment))])),
        ArticleEvent::Rated { helpful } => r("rate").after(json!({ "helpful": helpful })),
        ArticleEvent::Attached { ticket_id } => r("attach").after(json!({ "ticket_id": ticket_id })),
        ArticleEvent::ReviewDue => r("review_due"),
    }
}

/// The fields of a stored object and its `_` extras.
fn split(m: Map<String, Value>) -> Decoded<(Fields<ArticleField>, Obj)> {
    let (extra, own): (Map<String, Value>, Map<String, Value>) =
        m.into_iter().partition(|(k, _)| k.starts_with('_'));
    let extra = extra.into_iter().map(|(k, v)| (k[1..].to_owned(), v)).collect();
    Ok((decode_fields(own)?, Obj(extra)))
}

pub(super) fn decode_v1(s: &Stored<'_>) -> Decoded<ArticleEvent> {
    let after = || json_of(s.after, "after");
    let before = || -> Decoded<Fields<ArticleField>> { decode_fields(json_of(s.before, "before")?) };
    Ok(match s.action {
        "create" => {
            let (fields, extra) = split(after()?)?;
            ArticleEvent::Created { fields, source: extra.opt_int("source_ticket_id")? }
        }
        "update" => {
            let (after, extra) = split(after()?)?;
            ArticleEvent::Edited {
                changes: Changes { before: before()?, after },
                from_version: extra.opt_int("from_version")?,
            }
        }
        "move" => {
            let (after, extra) = split(after()?)?;
            ArticleEvent::Moved {
                changes: Changes { before: before()?, after },
                step: extra.text("step")?,
                comment: extra.opt_text("comment")?,
            }
        }
        "rate" => ArticleEvent::Rated { helpful: Obj(after()?).bool("helpful")? },
        "attach" => ArticleEvent::Attached { ticket_id: Obj(after()?).int("ticket_id")? },
        "review_due" => ArticleEvent::ReviewDue,
        other => return Err(format!("unknown action `{other}`")),
    })
}
