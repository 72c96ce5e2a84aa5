//! A catalogue item's form: fields of ten kinds, each required or not, shown always or when
//! another field holds one of some values. A definition is checked whole — unique keys,
//! conditions on existing fields, no cycle among conditions, no field that can never be shown —
//! and a submission is checked against the definition it was made on: every shown required
//! field answered, nothing answered for a hidden field, every answer of its field's kind and
//! within its limits. Parsing from JSON is the app's; this is the rule.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;

use crate::ids::{CiId, UserId};

/// The most fields a form has.
pub const MAX_FIELDS: usize = 100;
/// The most options a choice has.
pub const MAX_OPTIONS: usize = 100;

/// What a field asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Free text; `multiline` for a text area. At most `max_length` characters.
    Text {
        multiline: bool,
        max_length: usize,
    },
    /// A number within the bounds given.
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Date,
    /// One of the options.
    Choice {
        options: Vec<String>,
    },
    /// Any of the options (at least one when required).
    MultiChoice {
        options: Vec<String>,
    },
    /// A user of the directory.
    User,
    /// A configuration item matching a CMDB query (`class:server env:prod`, the CMDB list's
    /// query language; the app checks the CI against it).
    Ci {
        query: String,
    },
    /// A file attached to the request.
    Attachment,
}

impl FieldKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FieldKind::Text { multiline: false, .. } => "text",
            FieldKind::Text { multiline: true, .. } => "textarea",
            FieldKind::Number { .. } => "number",
            FieldKind::Date => "date",
            FieldKind::Choice { .. } => "choice",
            FieldKind::MultiChoice { .. } => "multi_choice",
            FieldKind::User => "user",
            FieldKind::Ci { .. } => "ci",
            FieldKind::Attachment => "attachment",
        }
    }

    fn options(&self) -> Option<&[String]> {
        match self {
            FieldKind::Choice { options } | FieldKind::MultiChoice { options } => Some(options),
            _ => None,
        }
    }
}

/// Show a field only when `field` holds one of `any_of` (for a multi-choice: contains one).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub any_of: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// `laptop_model`: lower-case letters, digits and `_`, starting with a letter.
    pub key: String,
    pub label: String,
    /// The label in Chinese, when the admin gave one.
    pub label_zh: Option<String>,
    pub kind: FieldKind,
    pub required: bool,
    pub show_if: Option<Condition>,
}

/// A checked form.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    fields: Vec<FormField>,
}

/// Why a definition or a submission was refused: where (`fields[2].show_if`, `answers.model`)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> FormError {
    FormError { field: field.into(), message: message.into() }
}

fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Form {
    /// Checks a definition whole.
    pub fn new(fields: Vec<FormField>) -> Result<Form, FormError> {
        if fields.len() > MAX_FIELDS {
            return Err(refuse("fields", format!("at most {MAX_FIELDS} fields")));
        }
        let mut seen = BTreeSet::new();
        for (i, f) in fields.iter().enumerate() {
            let at = |what: &str| format!("fields[{i}].{what}");
            if !valid_key(&f.key) {
                return Err(refuse(
                    at("key"),
                    "lower-case letters, digits and _, starting with a letter (≤ 40)",
                ));
            }
            if !seen.insert(f.key.as_str()) {
                return Err(refuse(at("key"), format!("`{}` is used by another field", f.key)));
            }
            for (what, label) in [("label", Some(&f.label)), ("label_zh", f.label_zh.as_ref())] {
                if let Some(l) = label
                    && (l.trim().is_empty() || l.chars().count() > 200 || l.chars().any(char::is_control))
                {
                    return Err(refuse(at(what), "a label of 1–200 characters on one line"));
                }
            }
            match &f.kind {
                FieldKind::Text { max_length, .. } if !(1..=20_000).contains(max_length) => {
                    return Err(refuse(at("max_length"), "1 to 20,000 characters"));
                }
                FieldKind::Number { min: Some(a), max: Some(b) } if a > b => {
                    return Err(refuse(at("min"), "the least value is above the greatest"));
                }
                FieldKind::Number { min, max }
                    if min.is_some_and(|v| !v.is_finite()) || max.is_some_and(|v| !v.is_finite()) =>
                {
                    return Err(refuse(at("min"), "bounds are numbers"));
                }
                FieldKind::Choice { options } | FieldKind::MultiChoice { options } => {
                    let distinct: BTreeSet<&str> = options.iter().map(|o| o.trim()).collect();
                    if options.is_empty() || options.len() > MAX_OPTIONS || distinct.len() != options.len() {
                        return Err(refuse(at("options"), format!("1 to {MAX_OPTIONS} distinct options")));
                    }
                    if options.iter().any(|o| o.trim().is_empty() || o.chars().count() > 200) {
                        return Err(refuse(at("options"), "an option is 1–200 characters"));
                    }
                }
                FieldKind::Ci { query } if query.trim().is_empty() || query.len() > 500 => {
                    return Err(refuse(at("query"), "a CMDB query of 1–500 characters"));
                }
                FieldKind::Ci { query } if query_terms(query).is_none() => {
                    return Err(refuse(at("query"), "terms like `class:server env:prod`, each `name:value`"));
                }
                _ => {}
            }
        }
        for (i, f) in fields.iter().enumerate() {
            let Some(c) = &f.show_if else { continue };
            let at = format!("fields[{i}].show_if");
            let Some(on) = fields.iter().find(|g| g.key == c.field) else {
                return Err(refuse(at, format!("there is no field `{}`", c.field)));
            };
            if on.key == f.key {
                return Err(refuse(at, "a field cannot depend on itself"));
            }
            if c.any_of.is_empty() {
                return Err(refuse(at, "name the values that show the field"));
            }
            // A value the controlling field can never hold hides the field for ever — and a
            // required field with it could never be answered.
            if let Some(options) = on.kind.options()
                && let Some(v) = c.any_of.iter().find(|v| !options.contains(v))
            {
                return Err(refuse(
                    at,
                    format!("`{}` has no option `{v}`: the field would never show", on.key),
                ));
            }
            match &on.kind {
                FieldKind::Attachment | FieldKind::User | FieldKind::Ci { .. } => {
                    return Err(refuse(at, "a condition depends on a text, number, date or choice field"));
                }
                FieldKind::Number { .. } if c.any_of.iter().any(|v| v.trim().parse::<f64>().is_err()) => {
                    return Err(refuse(at, format!("`{}` is a number: the values are numbers", on.key)));
                }
                FieldKind::Date if c.any_of.iter().any(|v| v.trim().parse::<Date>().is_err()) => {
                    return Err(refuse(
                        at,
                        format!("`{}` is a date: the values are dates (2026-12-31)", on.key),
                    ));
                }
                _ => {}
            }
        }
        let form = Form { fields };
        if let Some(key) = form.cycle() {
            let i = form.fields.iter().position(|f| f.key == key).unwrap_or(0);
            return Err(refuse(
                format!("fields[{i}].show_if"),
                format!("the conditions go round in a circle through `{key}`"),
            ));
        }
        Ok(form)
    }

    pub fn fields(&self) -> &[FormField] {
        &self.fields
    }

    /// A field on a circle of conditions (each shown by the next), if there is one.
    fn cycle(&self) -> Option<String> {
        for start in &self.fields {
            let mut at = start;
            // A path longer than the form has fields has gone round.
            for _ in 0..=self.fields.len() {
                let Some(c) = &at.show_if else { break };
                let Some(next) = self.fields.iter().find(|f| f.key == c.field) else { break };
                if next.key == start.key {
                    return Some(start.key.clone());
                }
                at = next;
            }
        }
        None
    }

    fn field(&self, key: &str) -> Option<&FormField> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// Whether `field` shows, given the answers (a field is hidden when what it depends on is
    /// hidden or does not hold one of the values).
    fn shown(&self, field: &FormField, answers: &BTreeMap<String, Answer>) -> bool {
        let mut at = field;
        // Conditions are acyclic (checked in `new`), so this walk ends.
        for _ in 0..=self.fields.len() {
            let Some(c) = &at.show_if else { return true };
            let holds = match answers.get(&c.field) {
                Some(Answer::Text(v)) => c.any_of.iter().any(|x| x == v),
                Some(Answer::Choices(vs)) => vs.iter().any(|v| c.any_of.contains(v)),
                Some(Answer::Number(n)) => c.any_of.iter().any(|x| x.trim().parse::<f64>().ok() == Some(*n)),
                Some(Answer::Date(d)) => c.any_of.iter().any(|x| x.trim().parse::<Date>().ok() == Some(*d)),
                _ => false,
            };
            let Some(next) = self.field(&c.field) else { return false };
            if !holds {
                return false;
            }
            at = next;
        }
        false
    }

    /// Checks a submission: answers by field key, as the app parsed them for each field's kind.
    pub fn check(&self, answers: &BTreeMap<String, Answer>) -> Result<Submission, FormError> {
        for key in answers.keys() {
            if self.field(key).is_none() {
                return Err(refuse(
                    format!("answers.{key}"),
                    "the form has no such field (was it changed since?)",
                ));
            }
        }
        let mut kept = BTreeMap::new();
        for f in &self.fields {
            let at = || format!("answers.{}", f.key);
            let answer = answers.get(&f.key).filter(|a| !a.is_empty());
            if !self.shown(f, answers) {
                if answer.is_some() {
                    return Err(refuse(at(), "this field is hidden by its condition: leave it empty"));
                }
                continue;
            }
            let Some(answer) = answer else {
                if f.required {
                    return Err(refuse(at(), format!("“{}” is required", f.label)));
                }
                continue;
            };
            match (&f.kind, answer) {
                (FieldKind::Text { max_length, .. }, Answer::Text(t)) => {
                    if t.chars().count() > *max_length {
                        return Err(refuse(at(), format!("at most {max_length} characters")));
                    }
                    let multiline = matches!(f.kind, FieldKind::Text { multiline: true, .. });
                    if t.chars().any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'))) {
                        return Err(refuse(at(), "control characters are not allowed"));
                    }
                }
                (FieldKind::Number { min, max }, Answer::Number(n)) => {
                    if !n.is_finite() || min.is_some_and(|m| *n < m) || max.is_some_and(|m| *n > m) {
                        let range = format!(
                            "{} to {}",
                            min.map_or_else(|| "−∞".to_owned(), |m| m.to_string()),
                            max.map_or_else(|| "∞".to_owned(), |m| m.to_string())
                        );
                        return Err(refuse(at(), format!("a number from {range}")));
                    }
                }
                (FieldKind::Date, Answer::Date(_)) | (FieldKind::User, Answer::User(_)) => {}
                (FieldKind::Ci { .. }, Answer::Ci(_)) | (FieldKind::Attachment, Answer::Attachment(_)) => {}
                (FieldKind::Choice { options }, Answer::Text(v)) => {
                    if !options.contains(v) {
                        return Err(refuse(at(), format!("one of: {}", options.join(", "))));
                    }
                }
                (FieldKind::MultiChoice { options }, Answer::Choices(vs)) => {
                    if let Some(v) = vs.iter().find(|v| !options.contains(v)) {
                        return Err(refuse(at(), format!("`{v}` is not an option")));
                    }
                }
                (kind, _) => return Err(refuse(at(), format!("expected a {} answer", kind.as_str()))),
            }
            kept.insert(f.key.clone(), answer.clone());
        }
        Ok(Submission { answers: kept })
    }
}

/// A CI field's query: `name:value` terms separated by spaces (`class:server env:prod`);
/// `None` when a term is not of that shape.
fn query_terms(query: &str) -> Option<Vec<(&str, &str)>> {
    query
        .split_whitespace()
        .map(|t| t.split_once(':').filter(|(k, v)| !k.is_empty() && !v.is_empty()))
        .collect()
}

/// Whether a CI of `class` with `attrs` is one a CI field's query selects: `class:` names its
/// class, any other term an attribute's value (every term must hold).
pub fn ci_query_matches(query: &str, class: &str, attrs: &BTreeMap<String, String>) -> bool {
    query_terms(query).is_some_and(|terms| {
        terms.iter().all(|(k, v)| match *k {
            "class" => class == *v,
            key => attrs.get(key).is_some_and(|a| a == v),
        })
    })
}

/// One answer, of its field's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Text, or a choice's option.
    Text(String),
    Number(f64),
    Date(Date),
    /// A multi-choice's options.
    Choices(Vec<String>),
    User(UserId),
    Ci(CiId),
    /// An attachment's id.
    Attachment(i64),
}

impl Answer {
    fn is_empty(&self) -> bool {
        match self {
            Answer::Text(t) => t.trim().is_empty(),
            Answer::Choices(v) => v.is_empty(),
            _ => false,
        }
    }
}

/// A checked submission: the answers of the fields that show (the hidden and the empty left out).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub answers: BTreeMap<String, Answer>,
}

#[cfg(test)]
mod tests;
