//! The audit trail page: recent events and the state of the hash chain.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_store::EventFilter;

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::i18n::Catalog;
use crate::web::{Page, WebResult, render};

struct EventRow {
    seq: i64,
    at: String,
    actor: String,
    /// The entity type's name and the entity's id.
    entity: (String, String),
    action: String,
    /// `label: value` (or `label: before → after`) per field, in the reader's language.
    change: Vec<String>,
    /// The stored JSON, for auditors who want it verbatim.
    raw: String,
}

/// Catalogue kinds whose codes a stored value may be, tried in turn: a value shown by its
/// name if one of them knows it (a state, a hold reason, a CI class…), else as stored.
const VALUE_KINDS: [&str; 7] =
    ["state", "hold", "resolution", "ci_class", "ci_status", "ci_rel", "risk_factor"];

fn value_text(t: &Catalog, v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::String(s) if s.is_empty() => "—".to_owned(),
        serde_json::Value::String(s) => {
            VALUE_KINDS.iter().find_map(|k| t.lookup(&format!("{k}.{s}"))).unwrap_or(s).to_owned()
        }
        serde_json::Value::Bool(b) => t.get(if *b { "common.yes" } else { "common.no" }).to_owned(),
        serde_json::Value::Object(map) => {
            let parts: Vec<String> =
                map.iter().map(|(k, v)| format!("{}: {}", label(t, k), value_text(t, v))).collect();
            parts.join(", ")
        }
        serde_json::Value::Array(items) => {
            items.iter().map(|v| value_text(t, v)).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

fn label<'a>(t: &'a Catalog, field: &'a str) -> &'a str {
    // `audit_field.*` first: a name that means something else on a form ("to" is a state there,
    // a relationship's end here).
    t.lookup(&format!("audit_field.{field}"))
        .or_else(|| t.lookup(&format!("field.{field}")))
        .or_else(|| t.lookup(&format!("ci_attr.{field}")))
        .unwrap_or(field)
}

/// The fields of an event's before and after, one line each.
fn change_lines(t: &Catalog, before: Option<&str>, after: Option<&str>) -> Vec<String> {
    let object = |s: Option<&str>| -> serde_json::Map<String, serde_json::Value> {
        match s.and_then(|s| serde_json::from_str(s).ok()) {
            Some(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    };
    let (before, after) = (object(before), object(after));
    let mut keys: Vec<&String> = after.keys().chain(before.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| match (before.get(k), after.get(k)) {
            (Some(b), Some(a)) => format!("{}: {} → {}", label(t, k), value_text(t, b), value_text(t, a)),
            (Some(v), None) | (None, Some(v)) => format!("{}: {}", label(t, k), value_text(t, v)),
            (None, None) => String::new(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage<'a> {
    page: Page<'a>,
    verified: Result<i64, String>,
    events: Vec<EventRow>,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<i64>,
}

const PAGE: i64 = 100;

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> WebResult {
    let filter = EventFilter { before_seq: q.before, limit: PAGE, ..EventFilter::default() };
    let events = state.app.audit().list_events(&actor, &filter).await?;
    let verified = state.app.audit().verify(Some(&actor)).await?.map_err(|b| b.to_string());
    let older = (events.len() as i64 == PAGE).then(|| events.last().map(|e| e.event.seq)).flatten();
    let page = Page::new(&state, &actor, &headers, &uri, "audit.title");
    let t = page.t;
    let events = events
        .iter()
        .map(|e| {
            let (before, after) = (e.event.before.as_deref(), e.event.after.as_deref());
            EventRow {
                seq: e.event.seq,
                at: page.second(e.at()),
                actor: e.event.actor_name.clone(),
                entity: (
                    page.code("audit_entity", &e.event.entity_type).to_owned(),
                    e.event.entity_id.clone().unwrap_or_default(),
                ),
                action: page.code("audit_action", &e.event.action).to_owned(),
                change: change_lines(t, before, after),
                raw: [before, after].into_iter().flatten().collect::<Vec<_>>().join(" → "),
            }
        })
        .collect();
    Ok(render(&AuditPage { page, verified, events, older }))
}
