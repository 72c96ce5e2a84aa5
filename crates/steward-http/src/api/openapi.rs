//! `GET /api/openapi.json`: the OpenAPI 3.1 description of the API.
//!
//! Written by hand from the route table's paths (a test checks every `/api/v1` route is
//! described), which keeps handlers free of documentation macros and the build lean.

use axum::Json;
use serde_json::{Value, json};

use crate::extract::CurrentActor;

/// (method, path, summary, request schema, success status, response schema)
type Operation = (&'static str, &'static str, &'static str, Option<&'static str>, u16, &'static str);

const OPERATIONS: &[Operation] = &[
    (
        "post",
        "/api/v1/auth/login",
        "Sign in with a password; returns a bearer token",
        Some("Login"),
        200,
        "LoginResult",
    ),
    ("post", "/api/v1/auth/logout", "Revoke the token in use", None, 204, ""),
    ("get", "/api/v1/me", "The caller, their teams and scopes", None, 200, "Me"),
    ("get", "/api/v1/users", "List users", None, 200, "UserList"),
    ("post", "/api/v1/users", "Create a user (admin)", Some("NewUser"), 201, "User"),
    ("get", "/api/v1/users/{id}", "One user (ETag = version)", None, 200, "User"),
    ("patch", "/api/v1/users/{id}", "Change a user (If-Match)", Some("UserPatch"), 200, "User"),
    ("get", "/api/v1/teams", "Teams with members", None, 200, "TeamList"),
    ("post", "/api/v1/teams", "Create a team (admin)", Some("NewTeam"), 201, "Team"),
    ("put", "/api/v1/teams/{id}/members/{user_id}", "Add a member", None, 204, ""),
    ("delete", "/api/v1/teams/{id}/members/{user_id}", "Remove a member", None, 204, ""),
    ("get", "/api/v1/tokens", "Own API tokens (?all=true: everyone's, admin)", None, 200, "TokenList"),
    (
        "post",
        "/api/v1/tokens",
        "Issue a token; the secret is shown once",
        Some("NewToken"),
        201,
        "IssuedToken",
    ),
    ("delete", "/api/v1/tokens/{id}", "Revoke a token", None, 200, "Token"),
    (
        "get",
        "/api/v1/audit/events",
        "The audit trail, newest first (?entity_type, entity_id, before, limit)",
        None,
        200,
        "EventList",
    ),
    ("get", "/api/v1/audit/verify", "Verify the hash chain", None, 200, "Verification"),
    ("get", "/api/v1/incidents", "List incidents (filters, sort, cursor)", None, 200, "IncidentList"),
    ("post", "/api/v1/incidents", "Raise an incident", Some("NewIncident"), 201, "Incident"),
    ("get", "/api/v1/incidents/{id}", "One incident (ETag = version)", None, 200, "Incident"),
    (
        "patch",
        "/api/v1/incidents/{id}",
        "Change fields (If-Match; 412 when stale)",
        Some("IncidentPatch"),
        200,
        "Incident",
    ),
    (
        "post",
        "/api/v1/incidents/{id}/transition",
        "Move to another state (409 lists the allowed ones)",
        Some("Transition"),
        200,
        "Incident",
    ),
    (
        "get",
        "/api/v1/incidents/{id}/comments",
        "Replies (and work notes for agents)",
        None,
        200,
        "CommentList",
    ),
    (
        "post",
        "/api/v1/incidents/{id}/comments",
        "Add a reply or a work note",
        Some("NewComment"),
        201,
        "Comment",
    ),
    ("get", "/api/v1/incidents/{id}/attachments", "Attachments", None, 200, "AttachmentList"),
    (
        "post",
        "/api/v1/incidents/{id}/attachments",
        "Upload a file as the raw body (?filename=&internal=)",
        None,
        201,
        "Attachment",
    ),
    (
        "get",
        "/api/v1/incidents/{id}/activity",
        "History and conversation, oldest first",
        None,
        200,
        "Activity",
    ),
    ("put", "/api/v1/incidents/{id}/watchers/{user_id}", "Watch", None, 204, ""),
    ("delete", "/api/v1/incidents/{id}/watchers/{user_id}", "Stop watching", None, 204, ""),
    ("post", "/api/v1/incidents/{id}/related", "Relate another incident", Some("Relate"), 204, ""),
    ("get", "/api/v1/attachments/{id}", "Download an attachment", None, 200, ""),
    ("get", "/api/v1/categories", "Categories and subcategories", None, 200, "CategoryList"),
    ("post", "/api/v1/categories", "Add a category (admin)", Some("NewCategory"), 201, "Category"),
    (
        "get",
        "/api/v1/incidents/{id}/sla",
        "First-response and resolution clocks, with the intervals counted and paused",
        None,
        200,
        "IncidentSla",
    ),
    (
        "get",
        "/api/v1/notifications",
        "The caller's in-app notifications (SLA warnings, breaches)",
        None,
        200,
        "NotificationList",
    ),
    ("post", "/api/v1/notifications/read", "Mark all notifications read", None, 204, ""),
    ("get", "/api/v1/sla/calendars", "Business calendars", None, 200, "CalendarList"),
    (
        "post",
        "/api/v1/sla/calendars",
        "Add a business calendar (admin; hours, holidays, .ics)",
        Some("NewCalendar"),
        201,
        "Created",
    ),
    ("get", "/api/v1/sla/policies", "SLA policies in the order they are tried", None, 200, "PolicyList"),
    ("post", "/api/v1/sla/policies", "Add an SLA policy (admin)", Some("NewPolicy"), 201, "Created"),
    (
        "get",
        "/api/v1/reports/incidents",
        "Incident report per week or month: volume, backlog, MTTA/MTTR (wall and business), SLA attainment, \
         first-contact and reopen rates, breakdowns, availability. Query: from, to (YYYY-MM-DD), period \
         (week|month), priority, team, service, category",
        None,
        200,
        "IncidentReport",
    ),
    ("get", "/api/v1/reports/incidents.csv", "The same report as CSV", None, 200, ""),
    (
        "get",
        "/api/v1/ci-classes",
        "CI classes: built-in and admin-defined, with typed attributes",
        None,
        200,
        "List",
    ),
    ("post", "/api/v1/ci-classes", "Add a CI class (admin)", Some("NewCiClass"), 201, "List"),
    (
        "get",
        "/api/v1/cis",
        "Configuration items (class, name prefix `q`, keyset `after`, `limit`)",
        None,
        200,
        "List",
    ),
    ("post", "/api/v1/cis", "Add a configuration item", Some("NewCi"), 201, "Ci"),
    ("get", "/api/v1/cis/{id}", "A CI with its relationships and open incidents", None, 200, "Ci"),
    (
        "patch",
        "/api/v1/cis/{id}",
        "Change a CI (If-Match; an attribute set to null is removed)",
        Some("CiPatch"),
        200,
        "Ci",
    ),
    (
        "get",
        "/api/v1/cis/{id}/impact",
        "Blast radius: `direction` upstream|downstream|both, `depth` 1–10 (6); hits with explaining paths, \
         business services and open incidents affected",
        None,
        200,
        "Impact",
    ),
    ("get", "/api/v1/cis/{id}/history", "The CI as it was at `at` (RFC 3339)", None, 200, "List"),
    (
        "post",
        "/api/v1/ci-relations",
        "Relate two CIs (the type must allow their classes)",
        Some("NewRelation"),
        201,
        "Created",
    ),
    ("delete", "/api/v1/ci-relations/{id}", "Remove a relationship", None, 204, ""),
    ("get", "/api/v1/incidents/{id}/cis", "The CIs an incident affects", None, 200, "List"),
    ("put", "/api/v1/incidents/{id}/cis/{ci_id}", "Link an incident to a CI it affects", None, 204, ""),
    ("get", "/api/openapi.json", "This document", None, 200, ""),
];

fn obj(required: &[&str], props: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": props, "additionalProperties": false })
}

fn list(item: &str) -> Value {
    json!({ "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{item}") } } } })
}

fn schemas() -> Value {
    let s = json!({ "type": "string" });
    let i = json!({ "type": "integer" });
    let ni = json!({ "type": ["integer", "null"] });
    let level = json!({ "type": "integer", "minimum": 1, "maximum": 3 });
    let state = json!({ "type": "string", "enum": ["new", "assigned", "in_progress", "on_hold", "resolved", "closed", "cancelled"] });
    let tags = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "Error": obj(&["error"], json!({ "error": obj(&["code", "message"], json!({
            "code": s, "message": s, "field": { "type": ["string", "null"] },
            "allowed": { "type": "array", "items": { "type": "string" } } })) })),
        "Login": obj(&["username", "password"], json!({ "username": s, "password": s })),
        "LoginResult": obj(&["token", "expires_at"], json!({ "token": s, "expires_at": s, "scopes": tags, "user_id": i })),
        "Me": { "type": "object" },
        "User": obj(&["id", "username", "role", "version"], json!({ "id": i, "username": s, "display_name": s,
            "email": { "type": ["string", "null"] }, "role": s, "disabled": { "type": "boolean" }, "locale": { "type": ["string", "null"] },
            "created_at": s, "updated_at": s, "version": i })),
        "UserList": list("User"),
        "NewUser": obj(&["username", "role", "password"], json!({ "username": s, "display_name": s, "email": s,
            "role": { "type": "string", "enum": ["requester", "agent", "team_lead", "change_manager", "admin", "auditor"] }, "password": s,
            "organisation": s })),
        "UserPatch": obj(&[], json!({ "display_name": s, "email": { "type": ["string", "null"] }, "role": s, "disabled": { "type": "boolean" },
            "locale": { "type": ["string", "null"] }, "password": s, "version": i, "organisation": { "type": ["string", "null"] } })),
        "Team": { "type": "object" },
        "TeamList": list("Team"),
        "NewTeam": obj(&["name"], json!({ "name": s, "description": s })),
        "Token": { "type": "object" },
        "TokenList": list("Token"),
        "NewToken": obj(&["name", "scopes"], json!({ "name": s, "scopes": { "type": "array", "items": { "type": "string",
            "enum": ["read", "write", "admin", "audit", "metrics"] } }, "expires": s, "user_id": i })),
        "IssuedToken": { "type": "object", "required": ["token"], "properties": { "token": s } },
        "EventList": { "type": "object" },
        "Verification": { "type": "object", "properties": { "ok": { "type": "boolean" }, "events": i, "error": s } },
        "Incident": obj(&["id", "number", "state", "priority", "version"], json!({ "id": i, "number": s, "kind": s, "title": s,
            "description": s, "requester_id": i, "created_by": ni, "category_id": ni, "subcategory_id": ni,
            "service": { "type": ["string", "null"] }, "impact": level, "urgency": level, "priority": { "type": "integer", "minimum": 1, "maximum": 5 },
            "team_id": ni, "assignee_id": ni, "state": state, "hold_reason": { "type": ["string", "null"] },
            "resolution_code": { "type": ["string", "null"] }, "resolution_note": { "type": ["string", "null"] },
            "resolved_at": { "type": ["string", "null"] }, "closed_at": { "type": ["string", "null"] }, "reopen_count": i,
            "parent_id": ni, "tags": tags, "created_at": s, "updated_at": s, "version": i,
            "allowed_transitions": { "type": "array", "items": state } })),
        "IncidentList": { "type": "object", "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Incident" } },
            "next_cursor": { "type": ["string", "null"] } } },
        "NewIncident": obj(&["title"], json!({ "title": { "type": "string", "minLength": 1, "maxLength": 200 }, "description": s,
            "requester_id": i, "category_id": i, "subcategory_id": i, "service": s, "impact": level, "urgency": level,
            "team_id": i, "assignee_id": i, "parent_id": i, "related": { "type": "array", "items": i },
            "watchers": { "type": "array", "items": i }, "tags": tags, "ci_ids": { "type": "array", "items": i } })),
        "IncidentPatch": obj(&[], json!({ "title": s, "description": s, "requester_id": i, "category_id": ni, "subcategory_id": ni,
            "service": { "type": ["string", "null"] }, "impact": level, "urgency": level, "team_id": ni, "assignee_id": ni,
            "parent_id": ni, "tags": tags, "version": i })),
        "Transition": obj(&["to"], json!({ "to": state,
            "hold_reason": { "type": "string", "enum": ["awaiting_customer", "awaiting_vendor", "awaiting_change"] },
            "resolution_code": { "type": "string", "enum": ["fixed", "workaround", "no_fault_found", "duplicate", "user_error", "resolved_by_vendor", "other"] },
            "resolution_note": s, "version": i })),
        "Comment": { "type": "object" },
        "CommentList": list("Comment"),
        "NewComment": obj(&["body"], json!({ "body": s, "internal": { "type": "boolean" } })),
        "Attachment": { "type": "object" },
        "AttachmentList": list("Attachment"),
        "Activity": { "type": "object" },
        "Relate": obj(&["ticket_id"], json!({ "ticket_id": i })),
        "Category": { "type": "object" },
        "CategoryList": list("Category"),
        "NewCategory": obj(&["name"], json!({ "name": s, "parent_id": i })),
        "IncidentSla": { "type": "object" },
        "NotificationList": { "type": "object" },
        "CalendarList": { "type": "object" },
        "PolicyList": { "type": "object" },
        "List": { "type": "object" },
        "Ci": { "type": "object", "required": ["id", "class", "name", "status", "version"] },
        "Impact": { "type": "object", "required": ["ci", "hits", "business_services", "open_incidents", "truncated"] },
        "NewCiClass": obj(&["name"], json!({ "name": s, "attributes": { "type": "array", "items": obj(&["name", "type"],
            json!({ "name": s, "type": s, "required": { "type": "boolean" }, "unique": { "type": "boolean" } })) } })),
        "NewCi": obj(&["class", "name"], json!({ "class": s, "name": s, "external_id": s, "status": s, "owner_team_id": i,
            "criticality": i, "attributes": { "type": "object" } })),
        "CiPatch": obj(&[], json!({ "name": s, "external_id": { "type": ["string", "null"] }, "status": s,
            "owner_team_id": { "type": ["integer", "null"] }, "criticality": i, "attributes": { "type": "object" }, "version": i })),
        "NewRelation": obj(&["from", "to", "kind"], json!({ "from": i, "to": i, "kind": s })),
        "IncidentReport": { "type": "object", "required": ["from", "to", "period", "periods", "total"],
            "properties": { "from": s, "to": s, "period": s, "time_zone": s, "periods": { "type": "array", "items": { "type": "object" } },
            "total": { "type": "object" }, "by_priority": { "type": "array" }, "by_team": { "type": "array" },
            "by_service": { "type": "array" }, "by_category": { "type": "array" }, "availability": { "type": "array" } } },
        "Created": { "type": "object", "properties": { "id": i } },
        "NewCalendar": obj(&["name"], json!({ "name": s, "time_zone": s, "hours": { "type": "array", "items": s, "minItems": 7, "maxItems": 7 },
            "holidays": { "type": "array", "items": s }, "ics": s, "always": { "type": "boolean" } })),
        "NewPolicy": obj(&["name", "calendar_id", "resolution_minutes"], json!({ "name": s, "rank": i, "priority": i, "category_id": i,
            "calendar_id": i, "response_minutes": i, "resolution_minutes": i, "pause_reasons": { "type": "array", "items": s },
            "service": s, "organisation": s, "update_minutes": i, "warn_at": { "type": "array", "items": i }, "breach_team_id": i })),
    })
}

pub fn build() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, summary, request, status, response) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "integer" } }))
            .collect();
        let mut success = json!({ "description": "success" });
        if !response.is_empty() {
            success["content"] = json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{response}") } } });
        }
        let error = json!({ "description": "error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
        let mut op = json!({
            "summary": summary,
            "parameters": params,
            "responses": { status.to_string(): success, "4XX": error },
        });
        if let Some(r) = request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{r}") } } } });
        }
        if *path == "/api/v1/auth/login" {
            op["security"] = json!([]);
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Steward API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "IT service management. Errors use {\"error\":{\"code\",\"message\",\"field\"}}." },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}

pub async fn document(CurrentActor(_actor): CurrentActor) -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_api_route_is_documented() {
        let doc = super::build();
        for r in crate::routes() {
            if !r.path.starts_with("/api/") {
                continue;
            }
            let method = r.method.as_str().to_lowercase();
            assert!(
                doc["paths"][r.path][&method].is_object(),
                "{method} {} is missing from the OpenAPI document",
                r.path
            );
        }
    }
}
