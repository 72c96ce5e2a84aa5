//! The query string of ticket lists, shared by the API and the web UI:
//! `state=in_progress,assigned&priority=1,2&team=3|none|mine&assignee=me|none|7&requester=me|7&
//! category=2&parent=9&tag=vpn&q=text&created_from=…&created_to=…&sort=-created&cursor=…&limit=50`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use steward_core::ids::UserId;
use steward_core::tickets::{State, TicketKind};
use steward_store::{SortField, TicketQuery};

use crate::error::ApiError;

fn bad(param: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(axum::http::StatusCode::BAD_REQUEST, "invalid_query", message).with_field(param)
}

/// A number or a typed id.
fn int<T: std::str::FromStr>(param: &str, v: &str) -> Result<T, ApiError> {
    v.trim().parse().map_err(|_| bad(param, format!("{param} must be a number, not `{v}`")))
}

fn instant(param: &str, v: &str) -> Result<Timestamp, ApiError> {
    if let Ok(t) = v.parse::<Timestamp>() {
        return Ok(t);
    }
    // A plain date means its start, in UTC.
    v.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.at(0, 0, 0, 0).to_zoned_datetime(jiff::tz::TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| bad(param, format!("{param} must be an RFC 3339 instant or a date, not `{v}`")))
}

fn sort_name(field: SortField) -> &'static str {
    match field {
        SortField::Created => "created",
        SortField::Updated => "updated",
        SortField::Priority => "priority",
        SortField::Number => "number",
    }
}

/// An opaque cursor for the page after `(value, id)` of a list sorted by `sort`.
pub fn encode_cursor(sort: SortField, descending: bool, (value, id): (i64, i64)) -> String {
    let dir = if descending { "-" } else { "" };
    hex::encode(format!("{dir}{}:{value}:{id}", sort_name(sort)))
}

fn decode_cursor(text: &str, sort: SortField, descending: bool) -> Result<(i64, i64), ApiError> {
    let invalid = || bad("cursor", "the cursor is not valid for this list; start again from the first page");
    let raw = hex::decode(text.trim()).map_err(|_| invalid())?;
    let raw = String::from_utf8(raw).map_err(|_| invalid())?;
    let mut parts = raw.split(':');
    let dir = if descending { "-" } else { "" };
    if parts.next() != Some(&format!("{dir}{}", sort_name(sort))) {
        return Err(invalid());
    }
    let value = parts.next().and_then(|v| v.parse().ok()).ok_or_else(invalid)?;
    let id = parts.next().and_then(|v| v.parse().ok()).ok_or_else(invalid)?;
    Ok((value, id))
}

/// The list's parameters as the API documents them (parsed by [`parse`], which a test holds
/// to this list).
#[allow(dead_code, reason = "read by the OpenAPI document only")]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// States, comma-separated: new, assigned, in_progress, on_hold, resolved, closed, cancelled
    #[param(
        example = "in_progress,assigned",
        pattern = r"^\s*(new|assigned|in_progress|on_hold|resolved|closed|cancelled)\s*(,\s*(new|assigned|in_progress|on_hold|resolved|closed|cancelled)\s*)*$"
    )]
    state: Option<String>,
    /// Priorities 1–5, comma-separated
    #[param(pattern = r"^\s*[1-5]\s*(,\s*[1-5]\s*)*$")]
    priority: Option<String>,
    /// A team id, `none` (unassigned) or `mine` (the caller's teams)
    #[param(pattern = r"^(\s*[0-9]{1,18}\s*|none|mine)$")]
    team: Option<String>,
    /// A user id, `none` or `me`
    #[param(pattern = r"^(\s*[0-9]{1,18}\s*|none|me)$")]
    assignee: Option<String>,
    /// A user id or `me`
    #[param(pattern = r"^(\s*[0-9]{1,18}\s*|me)$")]
    requester: Option<String>,
    category: Option<i64>,
    /// Children of this incident
    parent: Option<i64>,
    #[param(pattern = "@line")]
    tag: Option<String>,
    /// Words of the title or number
    #[param(max_length = 200, pattern = "@line")]
    q: Option<String>,
    /// RFC 3339 instant or a date (its start, UTC)
    #[param(format = DateTime)]
    created_from: Option<String>,
    #[param(format = DateTime)]
    created_to: Option<String>,
    /// `created`, `updated`, `priority` or `number`; `-` first for descending
    #[param(pattern = "^-?(created|updated|priority|number)$")]
    sort: Option<String>,
    /// `next_cursor` of the page before
    cursor: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// Known parameters; anything else is refused so typos do not silently widen a list.
const PARAMS: &[&str] = &[
    "state",
    "priority",
    "team",
    "assignee",
    "requester",
    "category",
    "parent",
    "tag",
    "q",
    "created_from",
    "created_to",
    "sort",
    "cursor",
    "limit",
    "view",
    "lang",
    "notice",
    "error",
];

/// Parses an API ticket list query, where a parameter given empty (`limit=`) is an error;
/// `me` is the caller's user id.
pub fn parse(kind: TicketKind, query: Option<&str>, me: UserId) -> Result<TicketQuery, ApiError> {
    parse_with(kind, query, me, false)
}

/// Parses a list query from the web UI, whose filter forms send the fields left empty.
pub fn parse_form(kind: TicketKind, query: Option<&str>, me: UserId) -> Result<TicketQuery, ApiError> {
    parse_with(kind, query, me, true)
}

fn parse_with(
    kind: TicketKind,
    query: Option<&str>,
    me: UserId,
    empty_ok: bool,
) -> Result<TicketQuery, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| bad("query", format!("the query string could not be read: {e}")))?;
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (k, v) in pairs {
        if !PARAMS.contains(&k.as_str()) {
            return Err(bad(&k, format!("unknown parameter `{k}`; known: {}", PARAMS[..14].join(", "))));
        }
        if !v.trim().is_empty() {
            params.insert(k, v);
        } else if !empty_ok {
            return Err(bad(&k, format!("`{k}` is empty; leave it out instead")));
        }
    }
    let mut q = TicketQuery::new(kind);
    if let Some(v) = params.get("state") {
        q.states = v
            .split(',')
            .map(|s| State::parse(s).map_err(|e| bad("state", e.message)))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = params.get("priority") {
        for p in v.split(',') {
            let n: i64 = int("priority", p)?;
            if !(1..=5).contains(&n) {
                return Err(bad("priority", "priority must be between 1 and 5"));
            }
            q.priorities.push(n as u8);
        }
    }
    match params.get("team").map(String::as_str) {
        Some("none") => q.team_id = Some(None),
        Some("mine") => q.teams_of = Some(me),
        Some(v) => q.team_id = Some(Some(int("team", v)?)),
        None => {}
    }
    match params.get("assignee").map(String::as_str) {
        Some("none") => q.assignee_id = Some(None),
        Some("me") => q.assignee_id = Some(Some(me)),
        Some(v) => q.assignee_id = Some(Some(int("assignee", v)?)),
        None => {}
    }
    match params.get("requester").map(String::as_str) {
        Some("me") => q.requester_id = Some(me),
        Some(v) => q.requester_id = Some(int("requester", v)?),
        None => {}
    }
    if let Some(v) = params.get("category") {
        q.category_id = Some(int("category", v)?);
    }
    if let Some(v) = params.get("parent") {
        q.parent_id = Some(int("parent", v)?);
    }
    q.tag = params.get("tag").map(|t| t.trim().to_lowercase());
    if let Some(text) = params.get("q") {
        if text.chars().count() > 200 {
            return Err(bad("q", "search text may not exceed 200 characters"));
        }
        q.text = Some(text.clone());
    }
    if let Some(v) = params.get("created_from") {
        q.created_from = Some(instant("created_from", v)?);
    }
    if let Some(v) = params.get("created_to") {
        q.created_to = Some(instant("created_to", v)?);
    }
    if let Some(v) = params.get("sort") {
        let (desc, name) = match v.strip_prefix('-') {
            Some(n) => (true, n),
            None => (false, v.as_str()),
        };
        q.sort = match name {
            "created" => SortField::Created,
            "updated" => SortField::Updated,
            "priority" => SortField::Priority,
            "number" => SortField::Number,
            other => {
                return Err(bad(
                    "sort",
                    format!(
                        "cannot sort by `{other}`; use created, updated, priority or number, with - for descending"
                    ),
                ));
            }
        };
        q.descending = desc;
    }
    if let Some(v) = params.get("limit") {
        let n = int("limit", v)?;
        if !(1..=200).contains(&n) {
            return Err(bad("limit", "limit must be between 1 and 200"));
        }
        q.limit = n;
    }
    if let Some(c) = params.get("cursor") {
        q.after = Some(decode_cursor(c, q.sort, q.descending)?);
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_parameters_are_the_parsed_ones() {
        use utoipa::IntoParams;
        let documented: Vec<String> = ListParams::into_params(|| None).into_iter().map(|p| p.name).collect();
        assert_eq!(documented, PARAMS[..14]);
    }

    #[test]
    fn parses_filters_and_refuses_nonsense() {
        let q = parse(
            TicketKind::Incident,
            Some("state=in_progress,assigned&team=3&sort=priority&assignee=me"),
            UserId(7),
        )
        .unwrap();
        assert_eq!(q.states, vec![State::InProgress, State::Assigned]);
        assert_eq!(
            (q.team_id, q.assignee_id, q.sort, q.descending),
            (Some(Some(steward_core::ids::TeamId(3))), Some(Some(UserId(7))), SortField::Priority, false)
        );
        for (query, param) in [
            ("state=open", "state"),
            ("priority=0", "priority"),
            ("team=x", "team"),
            ("sort=title", "sort"),
            ("limit=1000", "limit"),
            ("colour=red", "colour"),
            ("created_from=yesterday", "created_from"),
            ("cursor=zz", "cursor"),
        ] {
            let err = parse(TicketKind::Incident, Some(query), UserId(1)).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(param), "{query}");
        }
        let c = encode_cursor(SortField::Priority, false, (2, 99));
        let q = parse(TicketKind::Incident, Some(&format!("sort=priority&cursor={c}")), UserId(1)).unwrap();
        assert_eq!(q.after, Some((2, 99)));
        assert!(
            parse(TicketKind::Incident, Some(&format!("sort=-created&cursor={c}")), UserId(1)).is_err(),
            "a cursor belongs to its sort"
        );
        let d = parse(TicketKind::Incident, Some("created_from=2026-01-01"), UserId(1)).unwrap();
        assert_eq!(d.created_from.unwrap().to_string(), "2026-01-01T00:00:00Z");
    }
}
