//! Parameter values a run is started with, checked against the definition's types.

use std::collections::BTreeMap;

use super::definition::{Param, ParamKind};
use crate::tickets::FieldError;

/// One checked value. A `ci` names a CI; a `secret` names a stored secret (its value is read
/// only when a step runs, and masked in output).
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Text(String),
    Number(f64),
    Bool(bool),
    Ci(String),
    Secret(String),
}

impl ParamValue {
    pub fn parse(param: &Param, raw: &str) -> Result<ParamValue, FieldError> {
        let name = &param.name;
        let err = |m: String| FieldError::new("params", m);
        if raw.chars().count() > 4000 || raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(err(format!("`{name}`: at most 4000 characters, no control characters")));
        }
        match param.kind {
            ParamKind::String => Ok(ParamValue::Text(raw.to_owned())),
            ParamKind::Number => {
                let n: f64 = raw
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n: &f64| n.is_finite())
                    .ok_or_else(|| err(format!("`{name}` is a number, not `{}`", short(raw))))?;
                if param.min.is_some_and(|m| n < m) || param.max.is_some_and(|m| n > m) {
                    return Err(err(format!(
                        "`{name}` must lie between {} and {}",
                        param.min.map_or("−∞".into(), |m| m.to_string()),
                        param.max.map_or("∞".into(), |m| m.to_string())
                    )));
                }
                Ok(ParamValue::Number(n))
            }
            ParamKind::Bool => match raw.trim() {
                "true" | "yes" | "on" | "1" => Ok(ParamValue::Bool(true)),
                "false" | "no" | "off" | "0" => Ok(ParamValue::Bool(false)),
                other => Err(err(format!("`{name}` is true or false, not `{}`", short(other)))),
            },
            ParamKind::Enum => {
                let v = raw.trim();
                if param.choices.iter().any(|c| c == v) {
                    Ok(ParamValue::Text(v.to_owned()))
                } else {
                    Err(err(format!("`{name}` is one of {}", param.choices.join(", "))))
                }
            }
            ParamKind::Ci => {
                let v = raw.trim();
                if v.is_empty() {
                    return Err(err(format!("`{name}` names a CI")));
                }
                Ok(ParamValue::Ci(v.to_owned()))
            }
            ParamKind::Secret => {
                let v = raw.trim();
                super::check_key(v).map_err(|_| err(format!("`{name}` names a stored secret")))?;
                // With choices, the runbook's author says which secrets a run may pick: whoever
                // starts it cannot hand a step another secret.
                if !param.choices.is_empty() && !param.choices.iter().any(|c| c == v) {
                    return Err(err(format!("`{name}` is one of the secrets {}", param.choices.join(", "))));
                }
                Ok(ParamValue::Secret(v.to_owned()))
            }
        }
    }

    /// The value as text in a template (a secret's *name*; the runner swaps in the value).
    pub fn as_text(&self) -> String {
        match self {
            ParamValue::Text(s) | ParamValue::Ci(s) | ParamValue::Secret(s) => s.clone(),
            ParamValue::Number(n) => n.to_string(),
            ParamValue::Bool(b) => b.to_string(),
        }
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Checked values by parameter name.
pub type Values = BTreeMap<String, ParamValue>;

/// Checks what a run is started with: every supplied name is declared, every value has its
/// type, missing ones take their default, and required ones without a default are there.
pub fn check_values(params: &[Param], supplied: &[(String, String)]) -> Result<Values, FieldError> {
    let mut out = Values::new();
    for (name, raw) in supplied {
        let param = params.iter().find(|p| &p.name == name).ok_or_else(|| {
            FieldError::new("params", format!("this runbook has no parameter `{}`", short(name)))
        })?;
        if raw.trim().is_empty() && param.kind != ParamKind::String {
            continue;
        }
        out.insert(name.clone(), ParamValue::parse(param, raw)?);
    }
    for p in params {
        if out.contains_key(&p.name) {
            continue;
        }
        match &p.default {
            Some(d) => {
                out.insert(p.name.clone(), ParamValue::parse(p, d)?);
            }
            None if p.required => {
                return Err(FieldError::new("params", format!("`{}` is required", p.name)));
            }
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, kind: ParamKind) -> Param {
        Param {
            name: name.into(),
            label: name.into(),
            kind,
            required: true,
            default: None,
            choices: vec!["check".into(), "apply".into()],
            min: Some(1.0),
            max: Some(30.0),
        }
    }

    #[test]
    fn values_are_typed_and_defaults_fill_in() {
        let mut keep = param("keep", ParamKind::Number);
        keep.default = Some("7".into());
        let params = vec![keep, param("mode", ParamKind::Enum), param("dry", ParamKind::Bool)];
        let v =
            check_values(&params, &[("mode".into(), "apply".into()), ("dry".into(), "yes".into())]).unwrap();
        assert_eq!(v["keep"], ParamValue::Number(7.0));
        assert_eq!(v["dry"], ParamValue::Bool(true));
        for bad in [("keep", "ten"), ("keep", "31"), ("mode", "nuke"), ("dry", "maybe"), ("nope", "1")] {
            let supplied =
                [("mode".into(), "apply".into()), ("dry".into(), "no".into()), (bad.0.into(), bad.1.into())];
            assert_eq!(check_values(&params, &supplied).unwrap_err().field, "params", "{bad:?}");
        }
        assert!(
            check_values(&params, &[("dry".into(), "no".into())])
                .unwrap_err()
                .message
                .contains("`mode` is required")
        );
    }
}
