//! Templates in runbook steps: `{{ params.path }}`, `{{ steps.disk.stdout }}`,
//! `{{ steps.api.outputs.token }}`, `{{ secrets.deploy_key }}`, `{{ run.id }}`,
//! `{{ run.artifacts }}`, `{{ ci.name }}`, `{{ ticket.number }}`; `\{{` is a literal `{{`. Hand-rolled because the
//! language is this small list of references and nothing else (no expressions, no loops): a
//! template engine would accept far more than a definition may say.

use crate::tickets::FieldError;

/// What a `{{ … }}` names.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Reference {
    Param(String),
    /// A field of an earlier step's result: `stdout`, `exit_code`, `status`, `body`,
    /// or `outputs.<key>` (the `key=value` lines the step wrote to `$STEWARD_OUTPUT`).
    Step {
        id: String,
        field: String,
    },
    Secret(String),
    /// `run.id`, `run.artifacts` (the run's artefacts folder).
    Run(String),
    /// The run's CI: `ci.name`, `ci.id`, `ci.class`, `ci.attr.<name>`.
    Ci(String),
    /// The run's ticket: `ticket.number`, `ticket.id`.
    Ticket(String),
}

const STEP_FIELDS: &[&str] = &["stdout", "exit_code", "status", "body"];

impl Reference {
    fn parse(inner: &str) -> Result<Reference, String> {
        let parts: Vec<&str> = inner.trim().split('.').collect();
        let bad = || format!("`{{{{ {} }}}}` names nothing a step can use", inner.trim());
        let word = |s: &str| super::check_key(s).is_ok();
        match parts.as_slice() {
            ["params", name] if word(name) => Ok(Reference::Param((*name).into())),
            ["secrets", name] if word(name) => Ok(Reference::Secret((*name).into())),
            ["steps", id, field] if word(id) && STEP_FIELDS.contains(field) => {
                Ok(Reference::Step { id: (*id).into(), field: (*field).into() })
            }
            ["steps", id, "outputs", key] if word(id) && word(key) => {
                Ok(Reference::Step { id: (*id).into(), field: format!("outputs.{key}") })
            }
            ["run", f @ ("id" | "artifacts")] => Ok(Reference::Run((*f).into())),
            ["ci", f @ ("name" | "id" | "class")] => Ok(Reference::Ci((*f).into())),
            ["ci", "attr", name] if word(name) => Ok(Reference::Ci(format!("attr.{name}"))),
            ["ticket", f @ ("number" | "id")] => Ok(Reference::Ticket((*f).into())),
            _ => Err(bad()),
        }
    }
}

/// Resolves references while a run renders its steps.
pub trait Context {
    fn resolve(&self, reference: &Reference) -> Option<String>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Ref(Reference),
}

/// A text with references, checked when the definition is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(field: &'static str, source: &str) -> Result<Template, FieldError> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            // `\{{` is a literal `{{` (Jinja for Ansible, say), not a reference.
            if rest[..open].ends_with('\\') {
                parts.push(Part::Text(format!("{}{{{{", &rest[..open - 1])));
                rest = &rest[open + 2..];
                continue;
            }
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close =
                after.find("}}").ok_or_else(|| FieldError::new(field, "a `{{` is not closed with `}}`"))?;
            let reference = Reference::parse(&after[..close]).map_err(|m| FieldError::new(field, m))?;
            parts.push(Part::Ref(reference));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { source: source.to_owned(), parts })
    }

    /// A template with no references.
    pub fn literal(text: &str) -> Template {
        Template { source: text.to_owned(), parts: vec![Part::Text(text.to_owned())] }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.parts.iter().filter_map(|p| match p {
            Part::Ref(r) => Some(r),
            Part::Text(_) => None,
        })
    }

    /// The text with every reference filled; the first that cannot be is named in the error.
    pub fn render(&self, context: &dyn Context) -> Result<String, String> {
        let mut out = String::with_capacity(self.source.len());
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Ref(r) => match context.resolve(r) {
                    Some(v) => out.push_str(&v),
                    None => return Err(format!("{} has no value in this run", describe(r))),
                },
            }
        }
        Ok(out)
    }
}

fn describe(r: &Reference) -> String {
    match r {
        Reference::Param(n) => format!("params.{n}"),
        Reference::Secret(n) => format!("secrets.{n}"),
        Reference::Step { id, field } => format!("steps.{id}.{field}"),
        Reference::Run(f) => format!("run.{f}"),
        Reference::Ci(f) => format!("ci.{f}"),
        Reference::Ticket(f) => format!("ticket.{f}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Map;
    impl Context for Map {
        fn resolve(&self, r: &Reference) -> Option<String> {
            match r {
                Reference::Param(n) if n == "path" => Some("/var/log".into()),
                Reference::Step { id, field } if id == "disk" && field == "outputs.free" => Some("42".into()),
                _ => None,
            }
        }
    }

    #[test]
    fn references_are_parsed_and_rendered() {
        let t = Template::parse("argv", "du {{ params.path }} -> {{steps.disk.outputs.free}}%").unwrap();
        assert_eq!(t.references().count(), 2);
        assert_eq!(t.render(&Map).unwrap(), "du /var/log -> 42%");
        let missing = Template::parse("argv", "{{ run.id }}").unwrap();
        assert_eq!(missing.render(&Map).unwrap_err(), "run.id has no value in this run");
    }

    #[test]
    fn unknown_or_unclosed_references_are_refused() {
        for bad in ["{{ params.path", "{{ env.HOME }}", "{{ steps.x.nope }}", "{{ params.a.b }}", "{{ }}"] {
            assert!(Template::parse("argv", bad).is_err(), "{bad}");
        }
        assert_eq!(Template::parse("url", "plain").unwrap().references().count(), 0);
        let jinja = Template::parse("vars", "\\{{ ansible_playbook_python }} {{ params.path }}").unwrap();
        assert_eq!(jinja.render(&Map).unwrap(), "{{ ansible_playbook_python }} /var/log");
    }
}
