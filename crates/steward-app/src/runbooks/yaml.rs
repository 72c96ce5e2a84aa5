//! Runbook definitions as people write them: YAML, read into core's checked `Runbook`. The
//! stored text is what was written (so an export gives back the author's file, comments and
//! all); this only reads it.

use std::collections::BTreeMap;

use jiff::SignedDuration;
use serde::Deserialize;
use steward_core::identity::Role;
use steward_core::runbooks::{
    Action, Approvers, Gate, HttpMethod, OnFailure, Param, ParamKind, Runbook, Step, TargetQuery, Template,
};

use crate::{AppError, Result};

/// A definition is at most this much YAML.
pub const MAX_YAML: usize = 128 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunbookYaml {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    manual_minutes: u32,
    #[serde(default = "one")]
    concurrency: u32,
    #[serde(default = "one")]
    target_concurrency: u32,
    #[serde(default)]
    approval: Option<GateYaml>,
    #[serde(default)]
    params: Vec<ParamYaml>,
    steps: Vec<StepYaml>,
    #[serde(default)]
    rollback: Vec<StepYaml>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GateYaml {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default = "one")]
    quorum: u32,
}

/// A scalar written as a string, a number or a boolean.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(n) => n.to_string(),
            Scalar::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamYaml {
    name: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    default: Option<Scalar>,
    #[serde(default)]
    choices: Vec<String>,
    #[serde(default)]
    min: Option<f64>,
    #[serde(default)]
    max: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetsYaml {
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    service: Option<String>,
    /// `key=value`
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    impact_of: Option<String>,
    #[serde(default)]
    ci_param: Option<String>,
    #[serde(default)]
    vars: BTreeMap<String, Scalar>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepYaml {
    id: String,
    #[serde(default)]
    name: Option<String>,
    kind: String,
    #[serde(default)]
    timeout: Option<Scalar>,
    #[serde(default)]
    output_limit: Option<Scalar>,
    #[serde(default)]
    on_failure: Option<String>,
    #[serde(default)]
    approval: Option<GateYaml>,
    // command
    #[serde(default)]
    argv: Vec<Scalar>,
    #[serde(default)]
    script: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, Scalar>,
    #[serde(default)]
    workdir: Option<String>,
    // ssh
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    known_hosts: Option<String>,
    #[serde(default)]
    command: Option<String>,
    // http
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    expect_status: Vec<u16>,
    // ansible
    #[serde(default)]
    playbook: Option<String>,
    #[serde(default)]
    targets: Option<TargetsYaml>,
    #[serde(default)]
    check: bool,
    #[serde(default)]
    extra_vars: BTreeMap<String, Scalar>,
}

fn invalid(field: &'static str, message: impl std::fmt::Display) -> AppError {
    AppError::invalid(field, message)
}

fn template(field: &'static str, text: &str) -> Result<Template> {
    Template::parse(field, text).map_err(AppError::from)
}

fn gate(g: GateYaml) -> Result<Gate> {
    let approvers = match (g.role, g.group) {
        (Some(role), None) => {
            Approvers::Role(Role::parse(&role).map_err(|e| invalid("approval", e.to_string()))?)
        }
        (None, Some(group)) => Approvers::Group(group.trim().to_owned()),
        _ => return Err(invalid("approval", "an approval names either a role or a group")),
    };
    Ok(Gate { approvers, quorum: g.quorum })
}

/// `30s`, `5m`, `1h 30m`, or plain seconds.
fn duration(s: Scalar) -> Result<SignedDuration> {
    let text = s.text();
    if let Ok(secs) = text.trim().parse::<i64>() {
        return Ok(SignedDuration::from_secs(secs));
    }
    text.trim()
        .parse::<SignedDuration>()
        .map_err(|_| invalid("timeout", format!("`{}` is not a duration like 30s, 5m or 1h", short(&text))))
}

/// `1048576`, `64KiB`, `1MiB`.
fn bytes(s: Scalar) -> Result<u64> {
    let text = s.text();
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num.parse().map_err(|_| invalid("output_limit", format!("`{}` is not a size", short(t))))?;
    let unit = match unit.trim() {
        "" | "B" => 1,
        "KiB" | "KB" | "K" => 1024,
        "MiB" | "MB" | "M" => 1024 * 1024,
        _ => return Err(invalid("output_limit", format!("`{}` is not a size like 64KiB or 1MiB", short(t)))),
    };
    Ok(n.saturating_mul(unit))
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}

fn pairs(field: &'static str, map: BTreeMap<String, Scalar>) -> Result<Vec<(String, Template)>> {
    map.into_iter().map(|(k, v)| Ok((k, template(field, &v.text())?))).collect()
}

fn step(s: StepYaml) -> Result<Step> {
    let id = s.id.trim().to_owned();
    let need = |v: Option<String>, field: &'static str| {
        v.ok_or_else(|| invalid(field, format!("step `{id}` ({}) needs `{field}`", s.kind)))
    };
    let action = match s.kind.trim() {
        "command" => {
            let (argv, shell) = match (s.argv.is_empty(), s.script) {
                (false, None) => (
                    s.argv.into_iter().map(|a| template("argv", &a.text())).collect::<Result<Vec<_>>>()?,
                    false,
                ),
                (true, Some(script)) => (vec![template("script", &script)?], true),
                _ => return Err(invalid("argv", format!("step `{id}` has either argv or a script"))),
            };
            Action::Command {
                argv,
                shell,
                env: pairs("env", s.env)?,
                workdir: s.workdir.as_deref().map(|w| template("workdir", w)).transpose()?,
            }
        }
        "ssh" => Action::Ssh {
            host: template("host", &need(s.host, "host")?)?,
            port: s.port.unwrap_or(22),
            user: template("user", &need(s.user, "user")?)?,
            key: need(s.key, "key")?.trim().to_owned(),
            known_hosts: template("known_hosts", &need(s.known_hosts, "known_hosts")?)?,
            command: template("command", &need(s.command, "command")?)?,
        },
        "http" => Action::Http {
            method: HttpMethod::parse(s.method.as_deref().unwrap_or("GET")).map_err(AppError::from)?,
            url: template("url", &need(s.url, "url")?)?,
            headers: s
                .headers
                .into_iter()
                .map(|(k, v)| Ok((k, template("headers", &v)?)))
                .collect::<Result<Vec<_>>>()?,
            body: s.body.as_deref().map(|b| template("body", b)).transpose()?,
            expect_status: if s.expect_status.is_empty() { vec![200] } else { s.expect_status },
        },
        "ansible" => {
            let t = s.targets.ok_or_else(|| invalid("targets", format!("step `{id}` needs targets")))?;
            let label = match t.label {
                Some(l) => {
                    let (k, v) = l
                        .split_once('=')
                        .ok_or_else(|| invalid("targets", "a label target is written key=value"))?;
                    Some((k.trim().to_owned(), v.trim().to_owned()))
                }
                None => None,
            };
            Action::Ansible {
                playbook: need(s.playbook, "playbook")?,
                targets: TargetQuery {
                    class: t.class,
                    service: t.service,
                    label,
                    impact_of: t.impact_of,
                    ci_param: t.ci_param,
                    vars: pairs("targets", t.vars)?,
                },
                check: s.check,
                extra_vars: pairs("extra_vars", s.extra_vars)?,
            }
        }
        other => {
            return Err(invalid(
                "kind",
                format!(
                    "step `{id}`: unknown step kind `{}`: expected command, ssh, http or ansible",
                    short(other)
                ),
            ));
        }
    };
    Ok(Step {
        name: s.name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()).unwrap_or_else(|| id.clone()),
        id,
        action,
        timeout: s.timeout.map(duration).transpose()?.unwrap_or(SignedDuration::from_mins(10)),
        output_limit: s.output_limit.map(bytes).transpose()?.unwrap_or(1024 * 1024),
        on_failure: s.on_failure.as_deref().map(OnFailure::parse).transpose()?.unwrap_or(OnFailure::Stop),
        approval: s.approval.map(gate).transpose()?,
    })
}

/// Reads and checks a definition.
pub fn parse(yaml: &str) -> Result<Runbook> {
    if yaml.len() > MAX_YAML {
        return Err(invalid("definition", "a runbook is at most 128 KiB of YAML"));
    }
    let raw: RunbookYaml = yaml_serde::from_str(yaml)
        .map_err(|e| invalid("definition", format!("not a runbook in YAML: {e}")))?;
    let params = raw
        .params
        .into_iter()
        .map(|p| {
            Ok(Param {
                label: p.label.unwrap_or_else(|| p.name.clone()),
                kind: ParamKind::parse(&p.kind).map_err(AppError::from)?,
                name: p.name,
                required: p.required,
                default: p.default.map(Scalar::text),
                choices: p.choices,
                min: p.min,
                max: p.max,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let runbook = Runbook {
        name: raw.name.trim().to_owned(),
        description: raw.description.trim().to_owned(),
        manual_minutes: raw.manual_minutes,
        concurrency: raw.concurrency,
        target_concurrency: raw.target_concurrency,
        approval: raw.approval.map(gate).transpose()?,
        params,
        steps: raw.steps.into_iter().map(step).collect::<Result<Vec<_>>>()?,
        rollback: raw.rollback.into_iter().map(step).collect::<Result<Vec<_>>>()?,
    };
    runbook.check().map_err(AppError::from)?;
    Ok(runbook)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_reads_with_every_step_kind() {
        let yaml = r#"
name: Everything
manual_minutes: 15
params:
  - { name: path, type: string, default: /tmp }
  - { name: host, type: ci }
steps:
  - { id: list, kind: command, argv: [ls, "{{ params.path }}"], timeout: 30s, output_limit: 64KiB }
  - { id: sh, kind: command, script: "echo {{ steps.list.exit_code }}", on_failure: continue }
  - { id: call, kind: http, method: POST, url: "http://127.0.0.1:1/x", body: "{{ steps.sh.stdout }}", expect_status: [200, 201] }
  - { id: remote, kind: ssh, host: 127.0.0.1, port: 2222, user: root, key: deploy_key, known_hosts: "{{ secrets.known }}", command: uptime }
  - id: play
    kind: ansible
    check: true
    targets: { class: server, vars: { ansible_connection: local } }
    playbook: |
      - hosts: all
        tasks: []
"#;
        let r = parse(yaml).unwrap();
        assert_eq!(r.steps.len(), 5);
        assert_eq!(r.steps[0].timeout, SignedDuration::from_secs(30));
        assert_eq!(r.steps[0].output_limit, 64 * 1024);
        assert_eq!(r.secrets(), vec!["deploy_key".to_owned(), "known".to_owned()]);
    }

    #[test]
    fn bad_definitions_name_what_is_wrong() {
        for (yaml, field) in [
            ("name: x\nsteps: [", "definition"),
            ("name: x\nsteps:\n  - { id: a, kind: teleport }", "kind"),
            ("name: x\nsteps:\n  - { id: a, kind: command, argv: [ls], colour: red }", "definition"),
            ("name: x\nsteps:\n  - { id: a, kind: command, argv: [ls], timeout: soon }", "timeout"),
            ("name: x\nsteps:\n  - { id: a, kind: http }", "url"),
            ("name: x\nsteps:\n  - { id: a, kind: command, argv: ['{{ steps.a.stdout }}'] }", "steps"),
            (
                "name: x\nparams: [{ name: n, type: number, default: ten }]\nsteps:\n  - { id: a, kind: command, argv: [ls] }",
                "params",
            ),
        ] {
            match parse(yaml) {
                Err(AppError::Invalid { field: f, .. }) => assert_eq!(f, field, "{yaml}"),
                other => panic!("{yaml}: {other:?}"),
            }
        }
    }
}
