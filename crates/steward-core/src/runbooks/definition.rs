//! A runbook's definition, as checked when it is saved: parameters with their types, steps of
//! four kinds, what a failure does, approval gates, and the CMDB query an Ansible step's
//! inventory is built from. Every template names only parameters, secrets and *earlier* steps.

use std::collections::{HashMap, HashSet};

use jiff::SignedDuration;

use super::template::{Reference, Template};
use crate::identity::Role;
use crate::tickets::FieldError;
use crate::words::word_enum;

/// Steps in one runbook (main and rollback together).
pub const MAX_STEPS: usize = 50;
const MAX_PARAMS: usize = 30;

word_enum! {
    /// The type of a parameter's value.
    ParamKind, "param_type" {
        String => "string",
        Number => "number",
        Bool => "bool",
        Enum => "enum",
        Ci => "ci",
        Secret => "secret",
    }
}

word_enum! {
    /// What a failed step does to the run.
    OnFailure, "on_failure" {
        Stop => "stop",
        Continue => "continue",
        Rollback => "rollback",
    }
}

word_enum! {
    HttpMethod, "method" {
        Get => "GET",
        Post => "POST",
        Put => "PUT",
        Patch => "PATCH",
        Delete => "DELETE",
        Head => "HEAD",
    }
}

/// A parameter a run is started with.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub label: String,
    pub kind: ParamKind,
    pub required: bool,
    /// As typed in the definition; checked against `kind` when saved.
    pub default: Option<String>,
    pub choices: Vec<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// Who may let a gated run (or step) go on, and how many of them must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approvers {
    Role(Role),
    /// A change approver group, by name.
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gate {
    pub approvers: Approvers,
    pub quorum: u32,
}

/// CIs chosen from the CMDB: every condition given must hold. `ci_param` takes the CI a `ci`
/// parameter names; `impact_of` takes the CIs that depend on the named one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TargetQuery {
    pub class: Option<String>,
    pub service: Option<String>,
    pub label: Option<(String, String)>,
    pub impact_of: Option<String>,
    pub ci_param: Option<String>,
    /// Variables for every host of the inventory (`ansible_connection: local`).
    pub vars: Vec<(String, Template)>,
}

impl TargetQuery {
    pub fn is_empty(&self) -> bool {
        self.class.is_none()
            && self.service.is_none()
            && self.label.is_none()
            && self.impact_of.is_none()
            && self.ci_param.is_none()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A process on the Steward node: argv (no shell), or one script run by `sh -c` when
    /// `shell`.
    Command { argv: Vec<Template>, shell: bool, env: Vec<(String, Template)>, workdir: Option<Template> },
    /// A command on a host over SSH with a key from the secret store; the host key must match
    /// `known_hosts` (one or more known_hosts lines).
    Ssh { host: Template, port: u16, user: Template, key: String, known_hosts: Template, command: Template },
    Http {
        method: HttpMethod,
        url: Template,
        headers: Vec<(String, Template)>,
        body: Option<Template>,
        expect_status: Vec<u16>,
    },
    /// `ansible-playbook` over an inventory generated from the CMDB.
    Ansible { playbook: String, targets: TargetQuery, check: bool, extra_vars: Vec<(String, Template)> },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Command { .. } => "command",
            Action::Ssh { .. } => "ssh",
            Action::Http { .. } => "http",
            Action::Ansible { .. } => "ansible",
        }
    }

    fn templates(&self) -> Vec<&Template> {
        match self {
            Action::Command { argv, env, workdir, .. } => {
                argv.iter().chain(env.iter().map(|(_, t)| t)).chain(workdir.iter()).collect()
            }
            Action::Ssh { host, user, known_hosts, command, .. } => vec![host, user, known_hosts, command],
            Action::Http { url, headers, body, .. } => {
                std::iter::once(url).chain(headers.iter().map(|(_, t)| t)).chain(body.iter()).collect()
            }
            Action::Ansible { extra_vars, targets, .. } => {
                extra_vars.iter().chain(&targets.vars).map(|(_, t)| t).collect()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub action: Action,
    pub timeout: SignedDuration,
    /// Bytes of output stored; beyond it the head and the tail are kept.
    pub output_limit: u64,
    pub on_failure: OnFailure,
    pub approval: Option<Gate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runbook {
    pub name: String,
    pub description: String,
    /// What one run would take a person, for the time-saved report.
    pub manual_minutes: u32,
    /// Runs of this runbook at once, across nodes.
    pub concurrency: u32,
    /// Runs of this runbook on one CI at once.
    pub target_concurrency: u32,
    pub approval: Option<Gate>,
    pub params: Vec<Param>,
    pub steps: Vec<Step>,
    pub rollback: Vec<Step>,
}

/// A key of a parameter, step, secret or output: `[a-z][a-z0-9_]{0,39}`.
pub fn check_key(key: &str) -> Result<(), FieldError> {
    let ok = key.len() <= 40
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(
            "key",
            format!("`{}` is not a key: a–z, 0–9 and _, starting with a letter, at most 40", short(key)),
        ))
    }
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn text(field: &'static str, value: &str, max: usize) -> Result<(), FieldError> {
    if value.chars().count() > max {
        return Err(FieldError::new(field, format!("at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(FieldError::new(field, "control characters are not allowed"));
    }
    Ok(())
}

impl Gate {
    fn check(&self) -> Result<(), FieldError> {
        if !(1..=50).contains(&self.quorum) {
            return Err(FieldError::new("approval", "a quorum is 1–50 approvers"));
        }
        if let Approvers::Group(g) = &self.approvers {
            text("approval", g, 80)?;
        }
        Ok(())
    }
}

impl Param {
    fn check(&self) -> Result<(), FieldError> {
        check_key(&self.name).map_err(|e| FieldError::new("params", e.message))?;
        text("params", &self.label, 80)?;
        if self.kind == ParamKind::Enum && self.choices.is_empty() {
            return Err(FieldError::new("params", format!("`{}` is an enum without choices", self.name)));
        }
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            return Err(FieldError::new("params", format!("`{}`: min is above max", self.name)));
        }
        if let Some(d) = &self.default {
            if self.kind == ParamKind::Secret {
                check_key(d).map_err(|e| FieldError::new("params", e.message))?;
            } else {
                super::values::ParamValue::parse(self, d)
                    .map_err(|e| FieldError::new("params", e.message))?;
            }
        }
        Ok(())
    }
}

impl Step {
    fn check(&self) -> Result<(), FieldError> {
        check_key(&self.id).map_err(|e| FieldError::new("steps", e.message))?;
        text("steps", &self.name, 120)?;
        if self.timeout < SignedDuration::from_secs(1) || self.timeout > SignedDuration::from_hours(24) {
            return Err(FieldError::new("timeout", format!("step `{}`: a timeout is 1 s to 24 h", self.id)));
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.output_limit) {
            return Err(FieldError::new("output_limit", format!("step `{}`: 1 KiB to 64 MiB", self.id)));
        }
        if let Some(g) = &self.approval {
            g.check()?;
        }
        match &self.action {
            Action::Command { argv, env, .. } => {
                if argv.is_empty() || argv[0].as_str().trim().is_empty() {
                    return Err(FieldError::new("argv", format!("step `{}` runs nothing", self.id)));
                }
                for (k, _) in env {
                    if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                        return Err(FieldError::new("env", format!("`{}` is not a variable name", short(k))));
                    }
                }
            }
            Action::Ssh { key, port, .. } => {
                check_key(key).map_err(|e| FieldError::new("key", e.message))?;
                if *port == 0 {
                    return Err(FieldError::new("port", "port 0"));
                }
            }
            Action::Http { url, expect_status, headers, .. } => {
                let u = url.as_str();
                if !(u.starts_with("http://") || u.starts_with("https://") || u.starts_with("{{")) {
                    return Err(FieldError::new(
                        "url",
                        format!("step `{}`: an http:// or https:// URL", self.id),
                    ));
                }
                if expect_status.iter().any(|s| !(100..=599).contains(s)) {
                    return Err(FieldError::new("expect_status", "statuses are 100–599"));
                }
                if headers
                    .iter()
                    .any(|(k, _)| k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
                {
                    return Err(FieldError::new("headers", "a header name is letters, digits and -"));
                }
            }
            Action::Ansible { playbook, targets, .. } => {
                if playbook.trim().is_empty() || playbook.len() > 256 * 1024 {
                    return Err(FieldError::new(
                        "playbook",
                        format!("step `{}`: a playbook of 1 B–256 KiB", self.id),
                    ));
                }
                text("playbook", playbook, 256 * 1024)?;
                if targets.is_empty() {
                    return Err(FieldError::new(
                        "targets",
                        format!("step `{}` needs targets from the CMDB", self.id),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Runbook {
    /// Checks the whole definition: names, limits, unique keys, and that every template names a
    /// declared parameter or an earlier step (a step naming itself or a later one is a cycle).
    pub fn check(&self) -> Result<(), FieldError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(FieldError::new("name", "a runbook needs a name"));
        }
        text("name", name, 80)?;
        text("description", &self.description, 2000)?;
        if self.manual_minutes > 10_000 {
            return Err(FieldError::new("manual_minutes", "at most 10,000 minutes"));
        }
        if !(1..=100).contains(&self.concurrency) || !(1..=100).contains(&self.target_concurrency) {
            return Err(FieldError::new("concurrency", "concurrency is 1–100"));
        }
        if let Some(g) = &self.approval {
            g.check()?;
        }
        if self.params.len() > MAX_PARAMS {
            return Err(FieldError::new("params", format!("at most {MAX_PARAMS} parameters")));
        }
        let mut params: HashMap<&str, ParamKind> = HashMap::new();
        for p in &self.params {
            p.check()?;
            if params.insert(&p.name, p.kind).is_some() {
                return Err(FieldError::new("params", format!("parameter `{}` is declared twice", p.name)));
            }
        }
        if self.steps.is_empty() {
            return Err(FieldError::new("steps", "a runbook needs at least one step"));
        }
        if self.steps.len() + self.rollback.len() > MAX_STEPS {
            return Err(FieldError::new("steps", format!("at most {MAX_STEPS} steps")));
        }
        let all: Vec<&Step> = self.steps.iter().chain(&self.rollback).collect();
        let mut ids = HashSet::new();
        for s in &all {
            s.check()?;
            if !ids.insert(s.id.as_str()) {
                return Err(FieldError::new("steps", format!("step `{}` is declared twice", s.id)));
            }
            if let Action::Ansible { targets: TargetQuery { ci_param: Some(p), .. }, .. } = &s.action
                && params.get(p.as_str()) != Some(&ParamKind::Ci)
            {
                return Err(FieldError::new("targets", format!("`{p}` is not a ci parameter")));
            }
        }
        if self.rollback.is_empty() && all.iter().any(|s| s.on_failure == OnFailure::Rollback) {
            return Err(FieldError::new("rollback", "on_failure: rollback needs rollback steps"));
        }
        // Which steps each step may read: main steps see the main steps before them; rollback
        // steps see every main step and the rollback steps before them.
        let main: Vec<&str> = self.steps.iter().map(|s| s.id.as_str()).collect();
        for (i, s) in all.iter().enumerate() {
            let earlier: HashSet<&str> = all[..i].iter().map(|s| s.id.as_str()).collect();
            let visible = |id: &str| earlier.contains(id) || (i >= self.steps.len() && main.contains(&id));
            for r in s.action.templates().into_iter().flat_map(|t| t.references()) {
                match r {
                    Reference::Param(p) if !params.contains_key(p.as_str()) => {
                        return Err(FieldError::new(
                            "steps",
                            format!("step `{}` uses `params.{p}`, which is not declared", s.id),
                        ));
                    }
                    Reference::Step { id, .. } if !visible(id) => {
                        let msg = if ids.contains(id.as_str()) {
                            format!(
                                "step `{}` uses step `{id}`, which runs at the same time or later: a cyclic step reference",
                                s.id
                            )
                        } else {
                            format!("step `{}` uses step `{id}`, which does not exist", s.id)
                        };
                        return Err(FieldError::new("steps", msg));
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Secrets the definition names (in templates, ssh keys and secret parameters' defaults).
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.steps.iter().chain(&self.rollback) {
            if let Action::Ssh { key, .. } = &s.action {
                out.push(key.clone());
            }
            for r in s.action.templates().into_iter().flat_map(|t| t.references()) {
                if let Reference::Secret(n) = r {
                    out.push(n.clone());
                }
            }
        }
        out.extend(
            self.params.iter().filter(|p| p.kind == ParamKind::Secret).filter_map(|p| p.default.clone()),
        );
        out.sort();
        out.dedup();
        out
    }

    /// Every step and gate in running order: main steps, then rollback ones.
    pub fn all_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().chain(&self.rollback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(id: &str, argv: &str) -> Step {
        Step {
            id: id.into(),
            name: id.into(),
            action: Action::Command {
                argv: argv.split(' ').map(|a| Template::parse("argv", a).unwrap()).collect(),
                shell: false,
                env: vec![],
                workdir: None,
            },
            timeout: SignedDuration::from_secs(30),
            output_limit: 1 << 20,
            on_failure: OnFailure::Stop,
            approval: None,
        }
    }

    fn runbook(steps: Vec<Step>) -> Runbook {
        Runbook {
            name: "Disk".into(),
            description: String::new(),
            manual_minutes: 5,
            concurrency: 1,
            target_concurrency: 1,
            approval: None,
            params: vec![Param {
                name: "path".into(),
                label: "Path".into(),
                kind: ParamKind::String,
                required: true,
                default: Some("/".into()),
                choices: vec![],
                min: None,
                max: None,
            }],
            steps,
            rollback: vec![],
        }
    }

    #[test]
    fn steps_read_parameters_and_earlier_steps_only() {
        let ok = runbook(vec![command("a", "df {{params.path}}"), command("b", "echo {{steps.a.stdout}}")]);
        ok.check().unwrap();
        let cyclic =
            runbook(vec![command("a", "echo {{steps.b.stdout}}"), command("b", "echo {{steps.a.stdout}}")]);
        assert!(cyclic.check().unwrap_err().message.contains("cyclic"));
        let itself = runbook(vec![command("a", "echo {{steps.a.exit_code}}")]);
        assert!(itself.check().unwrap_err().message.contains("cyclic"));
        let unknown = runbook(vec![command("a", "echo {{params.nope}}")]);
        assert!(unknown.check().unwrap_err().message.contains("not declared"));
        let missing = runbook(vec![command("a", "echo {{steps.zz.stdout}}")]);
        assert!(missing.check().unwrap_err().message.contains("does not exist"));
    }

    #[test]
    fn limits_and_duplicates_are_refused() {
        assert!(runbook(vec![]).check().is_err());
        assert!(runbook(vec![command("a", "x"), command("a", "y")]).check().is_err());
        let mut slow = command("a", "x");
        slow.timeout = SignedDuration::from_hours(25);
        assert_eq!(runbook(vec![slow]).check().unwrap_err().field, "timeout");
        let mut rolls = command("a", "x");
        rolls.on_failure = OnFailure::Rollback;
        assert_eq!(runbook(vec![rolls]).check().unwrap_err().field, "rollback");
        let mut bad_default = runbook(vec![command("a", "x")]);
        bad_default.params[0].kind = ParamKind::Number;
        bad_default.params[0].default = Some("ten".into());
        assert_eq!(bad_default.check().unwrap_err().field, "params");
        assert!(check_key("Disk").is_err() && check_key("disk_2").is_ok());
    }
}
