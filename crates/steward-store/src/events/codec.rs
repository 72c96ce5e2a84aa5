//! The one place events are serialized: a typed [`DomainEvent`] to the stored row (entity
//! type and id, action, JSON before and after) and back.
//!
//! Stored events are never rewritten — their hashes chain them — so [`decode`] reads every
//! schema version ever written. Version 1 is the format Steward wrote before events were typed
//! (JSON objects with sorted keys, so the text is the same whichever code built them); it is
//! also what [`encode`] writes today. A future format gets the next number, [`SCHEMA_VERSION`]
//! moves to it, and `decode` keeps a branch for each older one.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use steward_core::alerts::{AlertEvent, AlertRuleEvent, MaintenanceEvent, SilenceEvent};
use steward_core::cmdb::{CiClassEvent, CiEvent, RelationDetail, RelationType};
use steward_core::events::{Changes, DomainEvent, Field, FieldValue, Fields};
use steward_core::identity::{LoginFailure, TeamEvent, TokenEvent, UserEvent};
use steward_core::ids::TicketId;
use steward_core::sla::{SlaCalendarEvent, SlaPolicyEvent};
use steward_core::subscriptions::SubscriptionEvent;
use steward_core::tickets::{
    CategoryEvent, IncidentEvent, ReplyTemplate, ReplyTemplateEvent, SlaFiring, SlaTarget, TicketField,
};

/// The schema version [`encode`] writes.
pub const SCHEMA_VERSION: i64 = 1;

/// An event as its row stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub entity_type: &'static str,
    pub entity_id: Option<String>,
    pub action: &'static str,
    /// The JSON texts as stored (and hashed).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A stored event this code cannot read: an unknown version, entity, action or field, or a
/// payload of the wrong shape. Never expected; it means the row was written by a newer Steward
/// or by hand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("event of schema {version}, `{entity_type}`/`{action}`: {reason}")]
pub struct DecodeError {
    pub version: i64,
    pub entity_type: String,
    pub action: String,
    pub reason: String,
}

fn row(entity_type: &'static str, id: impl ToString, action: &'static str) -> Encoded {
    Encoded { entity_type, entity_id: Some(id.to_string()), action, before: None, after: None }
}

impl Encoded {
    fn before(mut self, v: Value) -> Encoded {
        self.before = Some(v.to_string());
        self
    }

    fn after(mut self, v: Value) -> Encoded {
        self.after = Some(v.to_string());
        self
    }

    fn before_fields<F: Field>(mut self, f: &Fields<F>) -> Encoded {
        self.before = Some(fields_text(f));
        self
    }

    fn after_fields<F: Field>(mut self, f: &Fields<F>) -> Encoded {
        self.after = Some(fields_text(f));
        self
    }
}

pub fn encode(event: &DomainEvent) -> Encoded {
    match event {
        DomainEvent::Incident { id, event } => encode_incident(*id, event),
        DomainEvent::Problem { id, event } => problems::encode(*id, event),
        DomainEvent::Request { id, event } => requests::encode(*id, event),
        DomainEvent::CatalogueItem { id, event } => requests::encode_item(*id, event),
        DomainEvent::Csat { id, event } => surveys::encode_csat(*id, event),
        DomainEvent::Nps { id, event } => surveys::encode_nps(*id, event),
        DomainEvent::Change { id, event } => changes::encode(*id, event),
        DomainEvent::Release { id, event } => changes::encode_release(*id, event),
        DomainEvent::Runbook { id, event } => runbooks::encode_runbook(*id, event),
        DomainEvent::RunbookRun { id, event } => runbooks::encode_run(*id, event),
        DomainEvent::JitGrant { id, event } => runbooks::encode_grant(*id, event),
        DomainEvent::Forecast { id, event } => runbooks::encode_forecast(*id, event),
        DomainEvent::Article { id, event } => knowledge::encode(*id, event),
        DomainEvent::Review { id, event } => reviews::encode(*id, event),
        DomainEvent::Category { id, event } => match event {
            CategoryEvent::Created { name, parent_id } => {
                row("category", id, "create").after(json!({ "name": name, "parent_id": parent_id }))
            }
            CategoryEvent::Routed { team_id } => {
                row("category", id, "route").after(json!({ "team_id": team_id }))
            }
        },
        DomainEvent::Ci { id, event } => match event {
            CiEvent::Created(f) => row("ci", id, "create").after_fields(f),
            CiEvent::Updated(c) => row("ci", id, "update").before_fields(&c.before).after_fields(&c.after),
            CiEvent::Related(r) => row("ci", id, "relate").after(relation(r)),
            CiEvent::Unrelated(r) => row("ci", id, "unrelate").before(relation(r)),
        },
        DomainEvent::CiClass { name, event: CiClassEvent::Created { attrs } } => {
            row("ci_class", name, "create").after(json!({ "name": name, "attrs": attrs }))
        }
        DomainEvent::User { id, event } => {
            let r = |action| Encoded { entity_id: id.map(|i| i.to_string()), ..row("user", "", action) };
            match event {
                UserEvent::Created(u) => r("create").after(user(u)),
                UserEvent::Updated { before, after } => r("update").before(user(before)).after(user(after)),
                UserEvent::PasswordChanged => r("password_change"),
                UserEvent::SignedIn { via } => r("login").after(json!({ "via": via })),
                UserEvent::SignedOut => r("logout"),
                UserEvent::SignInFailed(f) => {
                    let mut v = json!({ "username": f.username, "reason": f.reason });
                    if let Some(locked) = f.locked {
                        v["locked"] = json!(locked);
                    }
                    r("login_failed").after(v)
                }
            }
        }
        DomainEvent::Team { id, event } => match event {
            TeamEvent::Created { name, description } => {
                row("team", id, "create").after(json!({ "name": name, "description": description }))
            }
            TeamEvent::MemberAdded { user_id, username } => {
                row("team", id, "member_add").after(json!({ "user_id": user_id, "username": username }))
            }
            TeamEvent::MemberRemoved { user_id, username } => {
                row("team", id, "member_remove").after(json!({ "user_id": user_id, "username": username }))
            }
            TeamEvent::IntakeChanged { intake } => {
                row("team", id, "intake").after(json!({ "intake": intake }))
            }
        },
        DomainEvent::ApiToken { id, event } => match event {
            TokenEvent::Issued { owner, name, scopes, expires_at } => row("api_token", id, "create")
                .after(json!({ "owner": owner, "name": name, "scopes": scopes, "expires_at": expires_at })),
            TokenEvent::Revoked => row("api_token", id, "revoke"),
        },
        DomainEvent::Alert { id, event } => match event {
            AlertEvent::Received { source, fingerprint, title, severity, status } => row("alert", id, "receive")
                .after(json!({ "source": source, "fingerprint": fingerprint, "title": title, "severity": severity, "status": status })),
            AlertEvent::Resolved => row("alert", id, "resolve"),
            AlertEvent::Refired => row("alert", id, "refire"),
            AlertEvent::Linked { ticket_id } => row("alert", id, "link").after(json!({ "ticket_id": ticket_id })),
            AlertEvent::Silenced { silence_id } => {
                row("alert", id, "silence").after(json!({ "silence_id": silence_id }))
            }
            AlertEvent::Flapping { changes } => row("alert", id, "flap").after(json!({ "changes": changes })),
            AlertEvent::Acknowledged => row("alert", id, "acknowledge"),
            AlertEvent::Expected { window_id } => {
                row("alert", id, "expect").after(json!({ "window_id": window_id }))
            }
        },
        DomainEvent::Silence { id, event } => match event {
            SilenceEvent::Created { matchers, starts_at, ends_at, comment } => row("silence", id, "create")
                .after(json!({ "matchers": matchers, "starts_at": starts_at, "ends_at": ends_at, "comment": comment })),
            SilenceEvent::Expired => row("silence", id, "expire"),
        },
        DomainEvent::AlertRule { id, event } => match event {
            AlertRuleEvent::Created { name, matchers, opens, impact, urgency, resolve } => row("alert_rule", id, "create")
                .after(json!({ "name": name, "matchers": matchers, "opens": opens, "impact": impact, "urgency": urgency, "resolve": resolve })),
            AlertRuleEvent::Deleted { name } => row("alert_rule", id, "delete").after(json!({ "name": name })),
        },
        DomainEvent::Maintenance { id, event } => match event {
            MaintenanceEvent::Scheduled { ci_id, starts_at, ends_at, reason, change_ref } => row("maintenance", id, "schedule")
                .after(json!({ "ci_id": ci_id, "starts_at": starts_at, "ends_at": ends_at, "reason": reason, "change_ref": change_ref })),
            MaintenanceEvent::Ended => row("maintenance", id, "end"),
        },
        DomainEvent::Subscription { id, event } => match event {
            SubscriptionEvent::Created { name, channel, target, topics } => row("subscription", id, "create")
                .after(json!({ "name": name, "channel": channel, "target": target, "topics": topics })),
            SubscriptionEvent::Deleted { name } => row("subscription", id, "delete").after(json!({ "name": name })),
            SubscriptionEvent::Resent { delivery_id } => {
                row("subscription", id, "resend").after(json!({ "delivery_id": delivery_id }))
            }
        },
        DomainEvent::ReplyTemplate { id, event } => {
            let template = |t: &ReplyTemplate| json!({ "name": t.name, "body": t.body, "team_id": t.team_id });
            match event {
                ReplyTemplateEvent::Created(t) => row("reply_template", id, "create").after(template(t)),
                ReplyTemplateEvent::Updated(t) => row("reply_template", id, "update").after(template(t)),
                ReplyTemplateEvent::Deleted { name } => {
                    row("reply_template", id, "delete").before(json!({ "name": name }))
                }
            }
        }
        DomainEvent::SlaCalendar { id, event: SlaCalendarEvent::Deleted { name } } => {
            row("sla_calendar", id, "delete").before(json!({ "name": name }))
        }
        DomainEvent::SlaCalendar {
            id,
            event: SlaCalendarEvent::Updated { name, time_zone, hours, holidays, working_days },
        } => row("sla_calendar", id, "update").after(json!({
            "name": name, "time_zone": time_zone, "hours": hours, "holidays": holidays, "working_days": working_days
        })),
        DomainEvent::SlaCalendar {
            id,
            event: SlaCalendarEvent::Created { name, time_zone, hours, holidays, working_days },
        } => {
            let mut after =
                json!({ "name": name, "time_zone": time_zone, "hours": hours, "holidays": holidays });
            // Written only when there are some, so events from before working days read back
            // byte for byte.
            if *working_days != 0 {
                after["working_days"] = json!(working_days);
            }
            row("sla_calendar", id, "create").after(after)
        }
        DomainEvent::SlaPolicy { id, event } => match event {
            SlaPolicyEvent::Created { name, priority, resolution_minutes } => row("sla_policy", id, "create")
                .after(json!({ "name": name, "priority": priority, "resolution_minutes": resolution_minutes })),
            SlaPolicyEvent::Updated { name, priority, resolution_minutes } => row("sla_policy", id, "update")
                .after(json!({ "name": name, "priority": priority, "resolution_minutes": resolution_minutes })),
            SlaPolicyEvent::Deleted { name } => row("sla_policy", id, "delete").before(json!({ "name": name })),
        },
    }
}

pub fn encode_incident(id: TicketId, event: &IncidentEvent) -> Encoded {
    let r = |action| row("incident", id, action);
    let changes =
        |action, c: &Changes<TicketField>| r(action).before_fields(&c.before).after_fields(&c.after);
    let firing =
        |f: &SlaFiring| r(if f.is_breach() { "sla_breach" } else { "sla_warning" }).after(firing_json(f));
    match event {
        IncidentEvent::Created(f) => r("create").after_fields(f),
        IncidentEvent::Updated(c) => changes("update", c),
        IncidentEvent::Transitioned(c) => changes("transition", c),
        IncidentEvent::AutoClosed(c) => changes("auto_close", c),
        IncidentEvent::SlaReassigned(c) => changes("sla_reassign", c),
        IncidentEvent::Commented { comment_id, internal, mentions } => r("comment")
            .after(json!({ "comment_id": comment_id, "internal": internal, "mentions": mentions })),
        IncidentEvent::AttachmentAdded { attachment_id, filename, size, internal } => r("attachment_add").after(
            json!({ "attachment_id": attachment_id, "filename": filename, "size": size, "internal": internal }),
        ),
        IncidentEvent::WatcherAdded { user_id } => r("watcher_add").after(json!({ "user_id": user_id })),
        IncidentEvent::WatcherRemoved { user_id } => r("watcher_remove").after(json!({ "user_id": user_id })),
        IncidentEvent::Related { ticket_id } => r("relate").after(json!({ "ticket_id": ticket_id })),
        IncidentEvent::CiLinked { ci_id, ci } => r("link_ci").after(json!({ "ci_id": ci_id, "ci": ci })),
        IncidentEvent::CiUnlinked { ci_id, ci } => r("unlink_ci").before(json!({ "ci_id": ci_id, "ci": ci })),
        IncidentEvent::SlaWarning(f) | IncidentEvent::SlaBreach(f) => firing(f),
        IncidentEvent::Merged { from, number, comments, attachments } => r("merge").after(json!({
            "from": from, "number": number, "comments": comments, "attachments": attachments
        })),
        IncidentEvent::MergedInto { into, number } => {
            r("merge_into").after(json!({ "into": into, "number": number }))
        }
    }
}

fn field_value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::Null,
        FieldValue::Bool(b) => json!(b),
        FieldValue::Int(i) => json!(i),
        FieldValue::Text(s) => json!(s),
        FieldValue::Map(m) => json!(m),
    }
}

/// Recorded fields as a JSON object (field name → value), as events store them and as the API
/// shows an entity replayed from them.
pub fn fields<F: Field>(f: &Fields<F>) -> Value {
    Value::Object(f.iter().map(|(k, v)| (k.as_str().to_owned(), field_value(v))).collect())
}

/// The text of `fields(f)`, written straight from the fields: a create's snapshot is written
/// once per create, and building a JSON tree of 19 fields first (a map of owned keys and
/// values) was a measurable share of a create's CPU. Keys in byte order and compact, as
/// `serde_json` prints a `Value`; `tests::field_text_is_what_a_json_tree_prints` holds them
/// equal.
fn fields_text<F: Field>(f: &Fields<F>) -> String {
    let mut sorted: Vec<&(F, FieldValue)> = f.iter().collect();
    sorted.sort_unstable_by_key(|(k, _)| k.as_str());
    let mut out: Vec<u8> = Vec::with_capacity(512);
    out.push(b'{');
    for (i, (k, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_into(&mut out, &k.as_str());
        out.push(b':');
        match v {
            FieldValue::Null => out.extend_from_slice(b"null"),
            FieldValue::Bool(b) => json_into(&mut out, b),
            FieldValue::Int(n) => json_into(&mut out, n),
            FieldValue::Text(t) => json_into(&mut out, t),
            FieldValue::Map(m) => json_into(&mut out, m),
        }
    }
    out.push(b'}');
    // Only serde_json wrote into `out`, and it writes UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `v` as compact JSON.
fn json_into<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    // Writing to a Vec cannot fail, and these types always serialize.
    let _ = serde_json::to_writer(&mut *out, v);
}

/// A CI relationship as events store it and the API shows it.
pub fn relation(r: &RelationDetail) -> Value {
    let mut v = json!({ "kind": r.kind.as_str(), "from": r.from, "to": r.to });
    if let Some(id) = r.relation_id {
        v["relation_id"] = json!(id);
    }
    v
}

/// A stored row's parts, for [`decode`].
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    pub version: i64,
    pub entity_type: &'a str,
    pub entity_id: Option<&'a str>,
    pub action: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

pub fn decode(s: Stored<'_>) -> Result<DomainEvent, DecodeError> {
    let fail = |reason: String| DecodeError {
        version: s.version,
        entity_type: s.entity_type.to_owned(),
        action: s.action.to_owned(),
        reason,
    };
    match s.version {
        1 => decode_v1(&s).map_err(fail),
        v => Err(fail(format!("unknown schema version {v}"))),
    }
}

type Decoded<T> = Result<T, String>;

fn json_of(text: Option<&str>, side: &str) -> Decoded<Map<String, Value>> {
    match serde_json::from_str(text.ok_or_else(|| format!("no {side}"))?) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("{side} is not an object")),
        Err(e) => Err(format!("{side}: {e}")),
    }
}

/// Typed reads of one JSON object's keys.
struct Obj(Map<String, Value>);

impl Obj {
    fn get(&self, key: &str) -> &Value {
        self.0.get(key).unwrap_or(&Value::Null)
    }
    /// An integer or a typed id.
    fn int<I: From<i64>>(&self, key: &str) -> Decoded<I> {
        self.get(key).as_i64().map(I::from).ok_or_else(|| format!("`{key}` is not an integer"))
    }
    fn opt_int<I: From<i64>>(&self, key: &str) -> Decoded<Option<I>> {
        match self.get(key) {
            Value::Null => Ok(None),
            v => v.as_i64().map(|i| Some(I::from(i))).ok_or_else(|| format!("`{key}` is not an integer")),
        }
    }
    fn text(&self, key: &str) -> Decoded<String> {
        self.get(key).as_str().map(str::to_owned).ok_or_else(|| format!("`{key}` is not text"))
    }
    fn opt_text(&self, key: &str) -> Decoded<Option<String>> {
        match self.get(key) {
            Value::Null => Ok(None),
            v => v.as_str().map(|s| Some(s.to_owned())).ok_or_else(|| format!("`{key}` is not text")),
        }
    }
    fn bool(&self, key: &str) -> Decoded<bool> {
        self.get(key).as_bool().ok_or_else(|| format!("`{key}` is not a boolean"))
    }
    fn opt_bool(&self, key: &str) -> Decoded<Option<bool>> {
        match self.get(key) {
            Value::Null => Ok(None),
            v => v.as_bool().map(Some).ok_or_else(|| format!("`{key}` is not a boolean")),
        }
    }
    fn ints<I: From<i64>>(&self, key: &str) -> Decoded<Vec<I>> {
        let list = self.get(key).as_array().ok_or_else(|| format!("`{key}` is not a list"))?;
        list.iter()
            .map(|v| v.as_i64().map(I::from).ok_or_else(|| format!("`{key}` holds a non-integer")))
            .collect()
    }
    fn texts(&self, key: &str) -> Decoded<Vec<String>> {
        let list = self.get(key).as_array().ok_or_else(|| format!("`{key}` is not a list"))?;
        list.iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(|| format!("`{key}` holds a non-text")))
            .collect()
    }
}

fn decode_field_value(key: &str, v: &Value) -> Decoded<FieldValue> {
    Ok(match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => FieldValue::Int(n.as_i64().ok_or_else(|| format!("`{key}` is not an integer"))?),
        Value::String(s) => FieldValue::Text(s.clone()),
        Value::Object(m) => {
            let map: Option<BTreeMap<String, String>> =
                m.iter().map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned()))).collect();
            FieldValue::Map(map.ok_or_else(|| format!("`{key}` holds a non-text value"))?)
        }
        Value::Array(_) => return Err(format!("`{key}` is a list")),
    })
}

fn decode_fields<F: Field>(m: Map<String, Value>) -> Decoded<Fields<F>> {
    // Stored objects have sorted keys; a snapshot lists the fields in their own order.
    let mut out: Vec<(F, FieldValue)> = m
        .iter()
        .map(|(k, v)| {
            Ok((F::parse(k).ok_or_else(|| format!("unknown field `{k}`"))?, decode_field_value(k, v)?))
        })
        .collect::<Decoded<_>>()?;
    out.sort_by_key(|(f, _)| F::ALL.iter().position(|x| x == f));
    Ok(Fields(out))
}

fn decode_changes<F: Field>(s: &Stored<'_>) -> Decoded<Changes<F>> {
    Ok(Changes {
        before: decode_fields(json_of(s.before, "before")?)?,
        after: decode_fields(json_of(s.after, "after")?)?,
    })
}

fn decode_relation(m: Map<String, Value>) -> Decoded<RelationDetail> {
    let o = Obj(m);
    Ok(RelationDetail {
        relation_id: o.opt_int("relation_id")?,
        kind: RelationType::parse(&o.text("kind")?)?,
        from: o.int("from")?,
        to: o.int("to")?,
    })
}

fn id_of<I: From<i64>>(s: &Stored<'_>) -> Decoded<I> {
    s.entity_id
        .and_then(|i| i.parse().ok().map(I::from))
        .ok_or_else(|| format!("entity id {:?} is not a number", s.entity_id))
}

fn decode_v1(s: &Stored<'_>) -> Decoded<DomainEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    let unknown = || Err(format!("unknown action `{}`", s.action));
    Ok(match s.entity_type {
        "incident" => DomainEvent::Incident { id: id_of(s)?, event: decode_incident_v1(s)? },
        "problem" => DomainEvent::Problem { id: id_of(s)?, event: problems::decode_v1(s)? },
        "change" => DomainEvent::Change { id: id_of(s)?, event: changes::decode_v1(s)? },
        "request" => DomainEvent::Request { id: id_of(s)?, event: requests::decode_v1(s)? },
        "catalogue_item" => DomainEvent::CatalogueItem { id: id_of(s)?, event: requests::decode_item_v1(s)? },
        "csat_survey" => DomainEvent::Csat { id: id_of(s)?, event: surveys::decode_csat_v1(s)? },
        "nps_survey" => DomainEvent::Nps { id: id_of(s)?, event: surveys::decode_nps_v1(s)? },
        "release" => DomainEvent::Release { id: id_of(s)?, event: changes::decode_release_v1(s)? },
        "runbook" => DomainEvent::Runbook { id: id_of(s)?, event: runbooks::decode_runbook_v1(s)? },
        "runbook_run" => DomainEvent::RunbookRun { id: id_of(s)?, event: runbooks::decode_run_v1(s)? },
        "jit_grant" => DomainEvent::JitGrant { id: id_of(s)?, event: runbooks::decode_grant_v1(s)? },
        "forecast" => DomainEvent::Forecast { id: id_of(s)?, event: runbooks::decode_forecast_v1(s)? },
        "article" => DomainEvent::Article { id: id_of(s)?, event: knowledge::decode_v1(s)? },
        "review" => DomainEvent::Review { id: id_of(s)?, event: reviews::decode_v1(s)? },
        "category" => {
            let a = after()?;
            let event = match s.action {
                "create" => {
                    CategoryEvent::Created { name: a.text("name")?, parent_id: a.opt_int("parent_id")? }
                }
                "route" => CategoryEvent::Routed { team_id: a.opt_int("team_id")? },
                _ => return unknown(),
            };
            DomainEvent::Category { id: id_of(s)?, event }
        }
        "ci" => {
            let event = match s.action {
                "create" => CiEvent::Created(decode_fields(json_of(s.after, "after")?)?),
                "update" => CiEvent::Updated(decode_changes(s)?),
                "relate" => CiEvent::Related(decode_relation(json_of(s.after, "after")?)?),
                "unrelate" => CiEvent::Unrelated(decode_relation(json_of(s.before, "before")?)?),
                _ => return unknown(),
            };
            DomainEvent::Ci { id: id_of(s)?, event }
        }
        "ci_class" => {
            let event = match s.action {
                "create" => CiClassEvent::Created { attrs: after()?.texts("attrs")? },
                _ => return unknown(),
            };
            DomainEvent::CiClass { name: s.entity_id.unwrap_or_default().to_owned(), event }
        }
        "user" => {
            let event = match s.action {
                "create" => UserEvent::Created(Box::new(decode_user(json_of(s.after, "after")?)?)),
                "update" => UserEvent::Updated {
                    before: Box::new(decode_user(json_of(s.before, "before")?)?),
                    after: Box::new(decode_user(json_of(s.after, "after")?)?),
                },
                "password_change" => UserEvent::PasswordChanged,
                "login" => UserEvent::SignedIn { via: after()?.text("via")? },
                "logout" => UserEvent::SignedOut,
                "login_failed" => {
                    let a = after()?;
                    UserEvent::SignInFailed(LoginFailure {
                        username: a.text("username")?,
                        reason: a.text("reason")?,
                        locked: a.opt_bool("locked")?,
                    })
                }
                _ => return unknown(),
            };
            let id = s.entity_id.map(|_| id_of(s)).transpose()?;
            DomainEvent::User { id, event }
        }
        "team" => {
            let a = after()?;
            let event = match s.action {
                "create" => TeamEvent::Created { name: a.text("name")?, description: a.text("description")? },
                "member_add" => {
                    TeamEvent::MemberAdded { user_id: a.int("user_id")?, username: a.text("username")? }
                }
                "member_remove" => {
                    TeamEvent::MemberRemoved { user_id: a.int("user_id")?, username: a.text("username")? }
                }
                "intake" => TeamEvent::IntakeChanged { intake: a.bool("intake")? },
                _ => return unknown(),
            };
            DomainEvent::Team { id: id_of(s)?, event }
        }
        "api_token" => {
            let event = match s.action {
                "create" => {
                    let a = after()?;
                    TokenEvent::Issued {
                        owner: a.text("owner")?,
                        name: a.text("name")?,
                        scopes: a.text("scopes")?,
                        expires_at: a.text("expires_at")?,
                    }
                }
                "revoke" => TokenEvent::Revoked,
                _ => return unknown(),
            };
            DomainEvent::ApiToken { id: id_of(s)?, event }
        }
        "sla_calendar" => {
            // A deletion keeps only `before`.
            let a = if s.action == "delete" { Obj(json_of(s.before, "before")?) } else { after()? };
            let event = match s.action {
                "create" => SlaCalendarEvent::Created {
                    name: a.text("name")?,
                    time_zone: a.text("time_zone")?,
                    hours: a.texts("hours")?,
                    holidays: a.int("holidays")?,
                    working_days: a.opt_int("working_days")?.unwrap_or(0),
                },
                "update" => SlaCalendarEvent::Updated {
                    name: a.text("name")?,
                    time_zone: a.text("time_zone")?,
                    hours: a.texts("hours")?,
                    holidays: a.int("holidays")?,
                    working_days: a.int("working_days")?,
                },
                "delete" => SlaCalendarEvent::Deleted { name: a.text("name")? },
                _ => return unknown(),
            };
            DomainEvent::SlaCalendar { id: id_of(s)?, event }
        }
        "alert" => {
            let event = match s.action {
                "receive" => {
                    let a = after()?;
                    AlertEvent::Received {
                        source: a.text("source")?,
                        fingerprint: a.text("fingerprint")?,
                        title: a.text("title")?,
                        severity: a.text("severity")?,
                        status: a.text("status")?,
                    }
                }
                "resolve" => AlertEvent::Resolved,
                "refire" => AlertEvent::Refired,
                "link" => AlertEvent::Linked { ticket_id: after()?.int("ticket_id")? },
                "silence" => AlertEvent::Silenced { silence_id: after()?.int("silence_id")? },
                "flap" => AlertEvent::Flapping { changes: after()?.int("changes")? },
                "acknowledge" => AlertEvent::Acknowledged,
                "expect" => AlertEvent::Expected { window_id: after()?.int("window_id")? },
                _ => return unknown(),
            };
            DomainEvent::Alert { id: id_of(s)?, event }
        }
        "silence" => {
            let event = match s.action {
                "create" => {
                    let a = after()?;
                    SilenceEvent::Created {
                        matchers: a.texts("matchers")?,
                        starts_at: a.text("starts_at")?,
                        ends_at: a.text("ends_at")?,
                        comment: a.text("comment")?,
                    }
                }
                "expire" => SilenceEvent::Expired,
                _ => return unknown(),
            };
            DomainEvent::Silence { id: id_of(s)?, event }
        }
        "alert_rule" => {
            let event = match s.action {
                "create" => {
                    let a = after()?;
                    AlertRuleEvent::Created {
                        name: a.text("name")?,
                        matchers: a.texts("matchers")?,
                        opens: a.bool("opens")?,
                        impact: a.opt_int("impact")?,
                        urgency: a.opt_int("urgency")?,
                        resolve: a.text("resolve")?,
                    }
                }
                "delete" => AlertRuleEvent::Deleted { name: after()?.text("name")? },
                _ => return unknown(),
            };
            DomainEvent::AlertRule { id: id_of(s)?, event }
        }
        "maintenance" => {
            let event = match s.action {
                "schedule" => {
                    let a = after()?;
                    MaintenanceEvent::Scheduled {
                        ci_id: a.int("ci_id")?,
                        starts_at: a.text("starts_at")?,
                        ends_at: a.text("ends_at")?,
                        reason: a.text("reason")?,
                        change_ref: a.opt_text("change_ref")?,
                    }
                }
                "end" => MaintenanceEvent::Ended,
                _ => return unknown(),
            };
            DomainEvent::Maintenance { id: id_of(s)?, event }
        }
        "subscription" => {
            let event = match s.action {
                "create" => {
                    let a = after()?;
                    SubscriptionEvent::Created {
                        name: a.text("name")?,
                        channel: a.text("channel")?,
                        target: a.text("target")?,
                        topics: a.texts("topics")?,
                    }
                }
                "delete" => SubscriptionEvent::Deleted { name: after()?.text("name")? },
                "resend" => SubscriptionEvent::Resent { delivery_id: after()?.int("delivery_id")? },
                _ => return unknown(),
            };
            DomainEvent::Subscription { id: id_of(s)?, event }
        }
        "reply_template" => {
            let template = || -> Decoded<ReplyTemplate> {
                let a = after()?;
                Ok(ReplyTemplate {
                    name: a.text("name")?,
                    body: a.text("body")?,
                    team_id: a.opt_int("team_id")?,
                })
            };
            let event = match s.action {
                "create" => ReplyTemplateEvent::Created(template()?),
                "update" => ReplyTemplateEvent::Updated(template()?),
                "delete" => {
                    ReplyTemplateEvent::Deleted { name: Obj(json_of(s.before, "before")?).text("name")? }
                }
                _ => return unknown(),
            };
            DomainEvent::ReplyTemplate { id: id_of(s)?, event }
        }
        "sla_policy" => {
            let event = match s.action {
                "create" | "update" => {
                    let a = after()?;
                    let (name, priority, resolution_minutes) =
                        (a.text("name")?, a.opt_int("priority")?, a.int("resolution_minutes")?);
                    match s.action {
                        "create" => SlaPolicyEvent::Created { name, priority, resolution_minutes },
                        _ => SlaPolicyEvent::Updated { name, priority, resolution_minutes },
                    }
                }
                "delete" => SlaPolicyEvent::Deleted { name: Obj(json_of(s.before, "before")?).text("name")? },
                _ => return unknown(),
            };
            DomainEvent::SlaPolicy { id: id_of(s)?, event }
        }
        other => return Err(format!("unknown entity type `{other}`")),
    })
}

/// An SLA firing as stored, under action `sla_warning` or `sla_breach` (incidents' and
/// requests' alike).
pub(super) fn firing_json(f: &SlaFiring) -> Value {
    json!({ "target": f.target.as_str(), "threshold": f.threshold, "notified": f.notified })
}

pub(super) fn decode_firing(s: &Stored<'_>) -> Decoded<SlaFiring> {
    let a = Obj(json_of(s.after, "after")?);
    let target = a.text("target")?;
    Ok(SlaFiring {
        target: SlaTarget::parse(&target).ok_or_else(|| format!("unknown SLA target `{target}`"))?,
        threshold: a.int("threshold")?,
        notified: a.ints("notified")?,
    })
}

fn decode_incident_v1(s: &Stored<'_>) -> Decoded<IncidentEvent> {
    let after = || json_of(s.after, "after").map(Obj);
    let before = || json_of(s.before, "before").map(Obj);
    let firing = || decode_firing(s);
    Ok(match s.action {
        "create" => IncidentEvent::Created(decode_fields(json_of(s.after, "after")?)?),
        "update" => IncidentEvent::Updated(decode_changes(s)?),
        "transition" => IncidentEvent::Transitioned(decode_changes(s)?),
        "auto_close" => IncidentEvent::AutoClosed(decode_changes(s)?),
        "sla_reassign" => IncidentEvent::SlaReassigned(decode_changes(s)?),
        "comment" => {
            let a = after()?;
            IncidentEvent::Commented {
                comment_id: a.int("comment_id")?,
                internal: a.bool("internal")?,
                mentions: a.ints("mentions")?,
            }
        }
        "attachment_add" => {
            let a = after()?;
            IncidentEvent::AttachmentAdded {
                attachment_id: a.int("attachment_id")?,
                filename: a.text("filename")?,
                size: a.int("size")?,
                internal: a.bool("internal")?,
            }
        }
        "watcher_add" => IncidentEvent::WatcherAdded { user_id: after()?.int("user_id")? },
        "watcher_remove" => IncidentEvent::WatcherRemoved { user_id: after()?.int("user_id")? },
        "relate" => IncidentEvent::Related { ticket_id: after()?.int("ticket_id")? },
        "link_ci" => {
            let a = after()?;
            IncidentEvent::CiLinked { ci_id: a.int("ci_id")?, ci: a.text("ci")? }
        }
        "unlink_ci" => {
            let b = before()?;
            IncidentEvent::CiUnlinked { ci_id: b.int("ci_id")?, ci: b.text("ci")? }
        }
        "sla_warning" => IncidentEvent::SlaWarning(firing()?),
        "sla_breach" => IncidentEvent::SlaBreach(firing()?),
        "merge" => {
            let a = after()?;
            IncidentEvent::Merged {
                from: a.int("from")?,
                number: a.text("number")?,
                comments: a.int("comments")?,
                attachments: a.int("attachments")?,
            }
        }
        "merge_into" => {
            let a = after()?;
            IncidentEvent::MergedInto { into: a.int("into")?, number: a.text("number")? }
        }
        other => return Err(format!("unknown action `{other}`")),
    })
}

mod changes;
mod knowledge;
mod problems;
mod requests;
mod surveys;
mod users;
use users::{decode_user, user};
mod reviews;
mod runbooks;
#[cfg(test)]
mod tests;
