//! How each kind of step runs: a command, `ssh` or `ansible-playbook` becomes a process (its
//! arguments, environment and files rendered from the run's context), an http step one request;
//! and what a step's templates see (`RunContext`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value, json};
use steward_core::runbooks::{Action, Context, ParamValue, Reference, Step, StepState, check_values};
use steward_store::{CiRecord, RunRecord};

use super::inventory;
use super::steps::{Output, Proc, read_outputs, run_process};
use crate::Result;

/// What a step's templates see.
pub(super) struct RunContext {
    pub(super) params: HashMap<String, String>,
    pub(super) secrets: HashMap<String, String>,
    pub(super) steps: HashMap<String, Map<String, Value>>,
    pub(super) run: i64,
    pub(super) artifacts: String,
    pub(super) ci: Option<CiRecord>,
    pub(super) ticket: Option<(i64, String)>,
}

impl Context for RunContext {
    fn resolve(&self, r: &Reference) -> Option<String> {
        match r {
            Reference::Param(p) => self.params.get(p).cloned(),
            Reference::Secret(s) => self.secrets.get(s).cloned(),
            Reference::Step { id, field } => {
                let step = self.steps.get(id)?;
                let v = match field.strip_prefix("outputs.") {
                    Some(key) => step.get("outputs")?.get(key)?,
                    None => step.get(field.as_str())?,
                };
                Some(match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
            }
            Reference::Run(f) if f == "id" => Some(self.run.to_string()),
            Reference::Run(_) => Some(self.artifacts.clone()),
            Reference::Ci(f) => {
                let ci = self.ci.as_ref()?;
                match f.as_str() {
                    "name" => Some(ci.name.clone()),
                    "id" => Some(ci.id.get().to_string()),
                    "class" => Some(ci.class.clone()),
                    other => ci.attrs.get(other.strip_prefix("attr.")?).cloned(),
                }
            }
            Reference::Ticket(f) => {
                let (id, number) = self.ticket.as_ref()?;
                Some(if f == "id" { id.to_string() } else { number.clone() })
            }
        }
    }
}

/// How one step went.
pub(super) struct StepResult {
    pub(super) state: StepState,
    pub(super) exit_code: Option<i64>,
    pub(super) outputs: Map<String, Value>,
    pub(super) error: String,
}

impl StepResult {
    pub(super) fn failed(error: String) -> StepResult {
        StepResult { state: StepState::Failed, exit_code: None, outputs: Map::new(), error }
    }
}

impl crate::Runbooks<'_> {
    /// Runs one step.
    pub(super) async fn step(
        self,
        run: &RunRecord,
        step: &Step,
        idx: usize,
        ctx: &RunContext,
        dir: &std::path::Path,
        out: &mut Output<'_>,
    ) -> Result<StepResult> {
        let render = |t: &steward_core::runbooks::Template| t.render(ctx);
        let timeout = Duration::from_millis(step.timeout.as_millis().clamp(1, i128::from(u32::MAX)) as u64);
        let step_dir = dir.join(format!("step-{idx}"));
        std::fs::create_dir_all(&step_dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", step_dir.display()))?;
        let output_file = step_dir.join("outputs");
        let mut env = vec![
            ("STEWARD_RUN_ID".to_owned(), run.id.to_string()),
            ("STEWARD_ARTIFACTS".to_owned(), ctx.artifacts.clone()),
            ("STEWARD_OUTPUT".to_owned(), output_file.display().to_string()),
        ];
        let proc = |argv: Vec<String>, env: Vec<(String, String)>, workdir: PathBuf| Proc {
            argv,
            env,
            workdir,
            timeout,
        };
        let process = match &step.action {
            Action::Command { argv, shell, env: vars, workdir } => {
                let rendered: std::result::Result<Vec<String>, String> = argv.iter().map(render).collect();
                let mut argv = match rendered {
                    Ok(a) => a,
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                if *shell {
                    argv = vec!["/bin/sh".into(), "-c".into(), argv.concat()];
                }
                for (k, t) in vars {
                    match render(t) {
                        Ok(v) => env.push((k.clone(), v)),
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                let workdir = match workdir.as_ref().map(render).transpose() {
                    Ok(w) => w.map(PathBuf::from).unwrap_or_else(|| step_dir.clone()),
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                out.note(&format!("$ {}", if *shell { "sh -c …" } else { argv[0].as_str() })).await?;
                proc(argv, env, workdir)
            }
            Action::Ssh { host, port, user, key, known_hosts, command } => {
                let (host, user, known, command) =
                    match (render(host), render(user), render(known_hosts), render(command)) {
                        (Ok(h), Ok(u), Ok(k), Ok(c)) => (h, u, k, c),
                        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => {
                            return Ok(StepResult::failed(e));
                        }
                    };
                let key_file = step_dir.join("key");
                let hosts_file = step_dir.join("known_hosts");
                let Some(key_text) = ctx.secrets.get(key) else {
                    return Ok(StepResult::failed(format!("secret `{key}` is not loaded")));
                };
                super::steps::private_file(&key_file, key_text)
                    .map_err(|e| anyhow::anyhow!("writing the key: {e}"))?;
                super::steps::private_file(&hosts_file, &known)
                    .map_err(|e| anyhow::anyhow!("writing known hosts: {e}"))?;
                out.note(&format!("$ ssh {user}@{host} -p {port}")).await?;
                let ssh = self.config.automation.ssh.display().to_string();
                let argv = vec![
                    ssh,
                    "-F".into(),
                    "/dev/null".into(),
                    "-i".into(),
                    key_file.display().to_string(),
                    "-p".into(),
                    port.to_string(),
                    "-o".into(),
                    "BatchMode=yes".into(),
                    "-o".into(),
                    "IdentitiesOnly=yes".into(),
                    "-o".into(),
                    "StrictHostKeyChecking=yes".into(),
                    "-o".into(),
                    format!("UserKnownHostsFile={}", hosts_file.display()),
                    "-o".into(),
                    "ConnectTimeout=15".into(),
                    "-o".into(),
                    "LogLevel=ERROR".into(),
                    "-l".into(),
                    user,
                    "--".into(),
                    host,
                    command,
                ];
                proc(argv, env, step_dir.clone())
            }
            Action::Http { method, url, headers, body, expect_status } => {
                let (url, body) = match (render(url), body.as_ref().map(render).transpose()) {
                    (Ok(u), Ok(b)) => (u, b.unwrap_or_default()),
                    (Err(e), _) | (_, Err(e)) => return Ok(StepResult::failed(e)),
                };
                let mut hs = Vec::new();
                for (k, t) in headers {
                    match render(t) {
                        Ok(v) => hs.push((k.clone(), v)),
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                out.note(&format!("{} {}", method.as_str(), url)).await?;
                return Ok(
                    match crate::subscriptions::post::send(method.as_str(), &url, &hs, body, timeout).await {
                        Ok((status, text)) => {
                            out.note(&format!("HTTP {status}")).await?;
                            out.push(text.as_bytes()).await?;
                            let ok = expect_status.contains(&status);
                            StepResult {
                                state: if ok { StepState::Succeeded } else { StepState::Failed },
                                exit_code: None,
                                outputs: Map::from_iter([
                                    ("status".into(), json!(status)),
                                    ("body".into(), json!(text)),
                                ]),
                                error: if ok {
                                    String::new()
                                } else {
                                    format!("answered {status}, expected {expect_status:?}")
                                },
                            }
                        }
                        Err(e) if e.starts_with("no answer within") => StepResult {
                            state: StepState::TimedOut,
                            exit_code: None,
                            outputs: Map::new(),
                            error: e,
                        },
                        Err(e) => StepResult::failed(e),
                    },
                );
            }
            Action::Ansible { playbook, targets, check, extra_vars } => {
                let values = check_values(&[], &[]).unwrap_or_default();
                let mut vals = values;
                for (k, v) in &ctx.params {
                    vals.insert(k.clone(), ParamValue::Ci(v.clone()));
                }
                let hosts = self.select(targets, &vals).await?;
                if hosts.is_empty() {
                    return Ok(StepResult::failed("the CMDB query selects no CI".into()));
                }
                let vars = match inventory::render_vars(targets, ctx) {
                    Ok(v) => v,
                    Err(e) => return Ok(StepResult::failed(e)),
                };
                let mut extra: Map<String, Value> = Map::new();
                for (k, t) in extra_vars {
                    match render(t) {
                        Ok(v) => {
                            extra.insert(k.clone(), json!(v));
                        }
                        Err(e) => return Ok(StepResult::failed(e)),
                    }
                }
                extra.insert("steward_artifacts".into(), json!(ctx.artifacts));
                extra.insert("steward_run_id".into(), json!(run.id));
                let write = |name: &str, text: String| {
                    let path = step_dir.join(name);
                    super::steps::private_file(&path, &text)
                        .map(|()| path)
                        .map_err(|e| anyhow::anyhow!("writing {name}: {e}"))
                };
                let inv = write("inventory.json", inventory::inventory(&hosts, &vars).to_string())?;
                let play = write("playbook.yml", playbook.clone())?;
                let extra_file = write("extra.json", Value::Object(extra).to_string())?;
                let mut argv = vec![
                    self.config.automation.ansible_playbook.display().to_string(),
                    "-i".into(),
                    inv.display().to_string(),
                    "-e".into(),
                    format!("@{}", extra_file.display()),
                ];
                if *check {
                    argv.push("--check".into());
                    argv.push("--diff".into());
                }
                argv.push(play.display().to_string());
                let names: Vec<&str> = hosts.iter().map(|c| c.name.as_str()).collect();
                out.note(&format!(
                    "$ ansible-playbook{} on {}",
                    if *check { " --check" } else { "" },
                    names.join(", ")
                ))
                .await?;
                env.extend([
                    ("ANSIBLE_NOCOLOR".to_owned(), "1".to_owned()),
                    ("ANSIBLE_FORCE_COLOR".to_owned(), "0".to_owned()),
                    ("ANSIBLE_RETRY_FILES_ENABLED".to_owned(), "0".to_owned()),
                    ("ANSIBLE_HOME".to_owned(), step_dir.join(".ansible").display().to_string()),
                    ("ANSIBLE_LOCAL_TEMP".to_owned(), step_dir.join(".ansible/tmp").display().to_string()),
                    ("PYTHONUNBUFFERED".to_owned(), "1".to_owned()),
                ]);
                proc(argv, env, step_dir.clone())
            }
        };
        let (ended, stdout) = run_process(&self, run.id, &process, out).await?;
        let text = String::from_utf8_lossy(&stdout).trim_end().to_owned();
        let mut outputs = Map::new();
        outputs.insert("stdout".into(), json!(text));
        outputs.insert("outputs".into(), Value::Object(read_outputs(&output_file)));
        let exit_code = match ended {
            super::steps::Ended::Exit(c) => Some(i64::from(c)),
            _ => None,
        };
        Ok(StepResult { state: ended.state(), exit_code, outputs, error: ended.describe() })
    }
}
