//! Schemas of request fields whose allowed values live in the core: each enum's words come
//! from its type's `ALL`, so the document cannot drift from what the server accepts. Used as
//! `#[schema(schema_with = api::schema::state)]` on a body's field.
//!
//! Patterns used on many fields are named: a field says `pattern = "@line"` (derive attributes
//! take only literals) and [`expand_patterns`] writes the expression in when the document is
//! built.

use steward_core::cmdb::{CiStatus, RelationType};
use steward_core::identity::{Role, Scope};
use steward_core::tickets::{HoldReason, QueueColumn, ResolutionCode, State, TicketKind};
use utoipa::openapi::schema::{ArrayBuilder, Object, ObjectBuilder, SchemaType, Type};

/// One line of text: no control characters, something besides white space (what the names'
/// parsers take, after trimming).
pub const LINE: &str =
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";

/// Text that may span lines: no control characters but tab and line ends.
pub const TEXT: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

/// Like [`TEXT`], with something besides white space.
pub const NONBLANK_TEXT: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*[^\s\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f][^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";

fn words(values: impl IntoIterator<Item = &'static str>, nullable: bool) -> Object {
    let kind = if nullable { SchemaType::from_iter([Type::String, Type::Null]) } else { Type::String.into() };
    let mut values: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    if nullable {
        values.push(serde_json::Value::Null);
    }
    ObjectBuilder::new().schema_type(kind).enum_values(Some(values)).build()
}

pub fn state() -> Object {
    words(State::of(TicketKind::Incident).iter().map(|s| s.as_str()), false)
}

pub fn problem_state() -> Object {
    words(State::of(TicketKind::Problem).iter().map(|s| s.as_str()), false)
}

pub fn article_lang_or_null() -> Object {
    words(steward_core::knowledge::Lang::ALL.iter().map(|l| l.as_str()), true)
}

pub fn audience_or_null() -> Object {
    words(steward_core::knowledge::Audience::ALL.iter().map(|a| a.as_str()), true)
}

pub fn action_state() -> Object {
    words(steward_core::reviews::ActionState::ALL.iter().map(|s| s.as_str()), false)
}

pub fn article_state() -> Object {
    words(steward_core::knowledge::ArticleState::ALL.iter().map(|s| s.as_str()), false)
}

pub fn article_step() -> Object {
    words(["submit", "publish", "reject", "retire"], false)
}

pub fn fishbone_bone() -> Object {
    words(steward_core::problems::Bone::ALL.iter().map(|b| b.as_str()), false)
}

pub fn hold_reason_or_null() -> Object {
    words(HoldReason::ALL.iter().map(|s| s.as_str()), true)
}

/// A policy's pause words: the hold reasons, and (request policies only) the approval wait.
pub fn pause_reasons() -> utoipa::openapi::schema::Array {
    let approval = steward_core::sla::PausePolicy::AWAITING_APPROVAL;
    ArrayBuilder::new()
        .items(words(HoldReason::ALL.iter().map(|s| s.as_str()).chain([approval]), false))
        .build()
}

pub fn policy_kind() -> Object {
    words(["incident", "request"], false)
}

pub fn resolution_code_or_null() -> Object {
    words(ResolutionCode::ALL.iter().map(|s| s.as_str()), true)
}

pub fn queue_columns() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new()
        .items(words(QueueColumn::ALL.iter().map(|c| c.as_str()), false))
        .max_items(Some(64))
        .build()
}

pub fn role() -> Object {
    words(Role::ALL.iter().map(|r| r.as_str()), false)
}

pub fn role_or_null() -> Object {
    words(Role::ALL.iter().map(|r| r.as_str()), true)
}

pub fn scopes() -> utoipa::openapi::schema::Array {
    ArrayBuilder::new().items(words(Scope::ALL.iter().map(|s| s.as_str()), false)).min_items(Some(1)).build()
}

pub fn ci_status_or_null() -> Object {
    words(CiStatus::ALL.iter().map(|s| s.as_str()), true)
}

pub fn relation_type() -> Object {
    words(RelationType::ALL.iter().map(|r| r.as_str()), false)
}

pub fn change_type() -> Object {
    words(steward_core::changes::ChangeType::ALL.iter().map(|t| t.as_str()), false)
}

pub fn change_type_or_null() -> Object {
    words(steward_core::changes::ChangeType::ALL.iter().map(|t| t.as_str()), true)
}

pub fn change_outcome() -> Object {
    words(steward_core::changes::Outcome::ALL.iter().map(|t| t.as_str()), false)
}

pub fn decision() -> Object {
    words(steward_core::changes::Decision::ALL.iter().map(|t| t.as_str()), false)
}

/// The moves a service request takes by hand.
pub fn request_move() -> Object {
    words(["cancelled", "closed", "resolved"], false)
}

pub fn approval_rule() -> Object {
    words(steward_core::changes::ApprovalRule::ALL.iter().map(|t| t.as_str()), false)
}

pub fn risk_class() -> Object {
    words(steward_core::changes::RiskClass::ALL.iter().map(|t| t.as_str()), false)
}

/// A locale, or empty or `null` for the browser's.
pub fn locale_or_null() -> Object {
    words(steward_app::LOCALES.iter().copied().chain([""]), true)
}

/// Percentages of a target's time at which to warn.
pub fn warn_at() -> utoipa::openapi::schema::Array {
    let percent = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(99));
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(percent)
        .max_items(Some(5))
        .build()
}

/// One line of text or nothing: no control characters.
pub const ONE_LINE: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";

/// An e-mail address (something@domain.tld, no spaces) or nothing.
pub const EMAIL: &str = r"^\s*([^\s@\u0000-\u001f\u007f-\u009f]+@[^\s\u0000-\u001f\u007f-\u009f]*\.[^\s\u0000-\u001f\u007f-\u009f]*)?\s*$";

/// The named patterns, as fields write them.
const NAMED: [(&str, &str); 11] = [
    (
        "@search_kinds",
        r"^\s*((incident|problem|article|published_article|ci|person)(\s*,\s*(incident|problem|article|published_article|ci|person))*)?\s*$",
    ),
    ("@number_or_empty", r"^\s*([0-9]{1,18})?\s*$"),
    ("@date_or_empty", r"^\s*([0-9]{4}-[0-9]{2}-[0-9]{2})?\s*$"),
    ("@period_or_empty", r"^\s*(week|month)?\s*$"),
    ("@line", LINE),
    ("@one_line", ONE_LINE),
    ("@text", TEXT),
    ("@nonblank_text", NONBLANK_TEXT),
    ("@email", EMAIL),
    ("@direction", "^(upstream|downstream|both)$"),
    (
        "@instant",
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:[0-9]{2})$",
    ),
];

/// Replaces every named pattern in `doc` by its expression.
pub fn expand_patterns(doc: &mut serde_json::Value) {
    match doc {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(p)) = map.get_mut("pattern")
                && let Some((_, expr)) = NAMED.iter().find(|(name, _)| name == p)
            {
                *p = (*expr).to_owned();
            }
            map.values_mut().for_each(expand_patterns);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(expand_patterns),
        _ => {}
    }
}
