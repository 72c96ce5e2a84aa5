//! Running one step: a process (a command, `ssh` or `ansible-playbook`) in its own process
//! group, with a timeout and cancellation that kill the whole group, its output masked,
//! capped and streamed to the database as it comes; or one HTTP request.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::{Map, Value, json};
use steward_core::runbooks::{Masker, OutputCap, StepState};
use tokio::io::AsyncReadExt;

use crate::{App, Result};

/// Bytes of a step's stdout kept for later steps (`steps.<id>.stdout`).
const KEEP_STDOUT: usize = 64 * 1024;
/// Output is written at least this often while a step runs (the live view's latency).
const FLUSH_EVERY: Duration = Duration::from_millis(250);
const FLUSH_BYTES: usize = 16 * 1024;
/// How often a running step looks for a cancellation.
const CANCEL_POLL: Duration = Duration::from_millis(500);

/// One step's output on its way to the database.
pub(crate) struct Output<'a> {
    app: &'a App,
    run: i64,
    step: i64,
    seq: &'a mut i64,
    masker: &'a Masker,
    cap: OutputCap,
    carry: Vec<u8>,
    pending: String,
    last_flush: Instant,
}

/// Text as stored: valid UTF-8, no control characters but newlines and tabs (PostgreSQL
/// refuses NUL in text).
fn clean(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() && c != '\n' && c != '\t' { '\u{FFFD}' } else { c })
        .collect()
}

impl<'a> Output<'a> {
    pub(crate) fn new(
        app: &'a App,
        run: i64,
        step: i64,
        seq: &'a mut i64,
        masker: &'a Masker,
        limit: u64,
    ) -> Output<'a> {
        Output {
            app,
            run,
            step,
            seq,
            masker,
            cap: OutputCap::new(limit),
            carry: Vec::new(),
            pending: String::new(),
            last_flush: Instant::now(),
        }
    }

    /// A line from Steward itself (what it runs, an HTTP status).
    pub(crate) async fn note(&mut self, line: &str) -> Result<()> {
        self.push(format!("{line}\n").as_bytes()).await
    }

    pub(crate) async fn push(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(head) = self.cap.push(bytes) {
            self.carry.extend_from_slice(head);
            // Whole lines are masked, so a secret is never split across two chunks.
            let cut = match self.carry.iter().rposition(|b| *b == b'\n') {
                Some(nl) => Some(nl + 1),
                None if self.carry.len() > 64 * 1024 => Some(self.carry.len()),
                None => None,
            };
            if let Some(cut) = cut {
                let text = clean(&self.carry[..cut]);
                self.pending.push_str(&self.masker.mask(&text));
                self.carry.drain(..cut);
            }
        }
        if self.pending.len() >= FLUSH_BYTES
            || (!self.pending.is_empty() && self.last_flush.elapsed() >= FLUSH_EVERY)
        {
            self.flush().await?;
        }
        Ok(())
    }

    pub(crate) async fn flush(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        if self.pending.is_empty() {
            return Ok(());
        }
        *self.seq += 1;
        let mut tx = self.app.store().begin().await?;
        tx.append_run_output(self.run, *self.seq, self.step, self.app.now(), &self.pending).await?;
        tx.commit().await?;
        self.pending.clear();
        Ok(())
    }

    /// What is left to write — the unfinished line, then the tail after what was left out — as
    /// a chunk `(seq, text)` for the caller to write with the step's end, in one transaction.
    pub(crate) fn finish(mut self) -> Option<(i64, String)> {
        let carry = std::mem::take(&mut self.carry);
        self.pending.push_str(&self.masker.mask(&clean(&carry)));
        let cap = std::mem::replace(&mut self.cap, OutputCap::new(0));
        let (tail, dropped) = cap.finish();
        if dropped > 0 {
            self.pending.push_str(&format!("\n… {dropped} bytes of output left out …\n"));
        }
        if !tail.is_empty() {
            // The tail may start inside a line or a character: from its first whole line.
            let text = clean(&tail);
            let text = match text.find('\n') {
                Some(i) if dropped > 0 && i + 1 < text.len() => &text[i + 1..],
                _ => &text[..],
            };
            self.pending.push_str(&self.masker.mask(text));
        }
        if self.pending.is_empty() {
            return None;
        }
        *self.seq += 1;
        Some((*self.seq, std::mem::take(&mut self.pending)))
    }

    /// Output written in between the polls of a running process.
    async fn tick(&mut self) -> Result<()> {
        if !self.pending.is_empty() && self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush().await?;
        }
        Ok(())
    }
}

/// A process to run.
pub(crate) struct Proc {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub workdir: PathBuf,
    pub timeout: Duration,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    Exit(i32),
    Signal(i32),
    TimedOut,
    Cancelled,
}

impl Ended {
    pub(crate) fn state(self) -> StepState {
        match self {
            Ended::Exit(0) => StepState::Succeeded,
            Ended::Exit(_) | Ended::Signal(_) => StepState::Failed,
            Ended::TimedOut => StepState::TimedOut,
            Ended::Cancelled => StepState::Cancelled,
        }
    }

    pub(crate) fn describe(self) -> String {
        match self {
            Ended::Exit(0) => String::new(),
            Ended::Exit(c) => format!("exited with {c}"),
            Ended::Signal(s) => format!("killed by signal {s}"),
            Ended::TimedOut => "timed out: its process group was killed".into(),
            Ended::Cancelled => "cancelled: its process group was killed".into(),
        }
    }
}

/// The variables every process gets: Steward's own environment is not passed on (it may
/// hold the database URL), only what finding programs needs.
fn base_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "LANG", "PYENV_ROOT", "TZ"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
        .collect()
}

/// Runs a process to its end in a process group of its own; a timeout or a cancellation kills
/// the group. Answers how it ended and the start of its stdout.
pub(crate) async fn run_process(
    app: &App,
    run: i64,
    proc: &Proc,
    out: &mut Output<'_>,
) -> Result<(Ended, Vec<u8>)> {
    let mut cmd = tokio::process::Command::new(&proc.argv[0]);
    cmd.args(&proc.argv[1..])
        .env_clear()
        .envs(base_env())
        .envs(proc.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&proc.workdir)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            out.note(&format!("cannot start `{}`: {e}", proc.argv[0])).await?;
            return Ok((Ended::Exit(127), Vec::new()));
        }
    };
    let group = child.id().map(|id| Pid::from_raw(id as i32));
    let kill = || {
        if let Some(g) = group {
            let _ = killpg(g, Signal::SIGKILL);
        }
    };
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut kept = Vec::new();
    let mut a = vec![0u8; 64 * 1024];
    let mut b = vec![0u8; 64 * 1024];
    let deadline = tokio::time::Instant::now() + proc.timeout;
    let mut poll = tokio::time::interval(CANCEL_POLL);
    let mut stopped = None;
    while stdout.is_some() || stderr.is_some() {
        tokio::select! {
            n = read_some(&mut stdout, &mut a) => match n {
                Some(n) => {
                    if kept.len() < KEEP_STDOUT {
                        kept.extend_from_slice(&a[..n.min(KEEP_STDOUT - kept.len())]);
                    }
                    out.push(&a[..n]).await?;
                }
                None => stdout = None,
            },
            n = read_some(&mut stderr, &mut b) => match n {
                Some(n) => out.push(&b[..n]).await?,
                None => stderr = None,
            },
            _ = tokio::time::sleep_until(deadline) => {
                stopped = Some(Ended::TimedOut);
                break;
            }
            _ = poll.tick() => {
                out.tick().await?;
                if app.store().run_cancel_requested(run).await? {
                    stopped = Some(Ended::Cancelled);
                    break;
                }
            }
        }
    }
    if stopped.is_none() {
        // Output closed: the process has ended or is about to; still bounded by the deadline.
        match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(status) => {
                let status = status.map_err(|e| anyhow::anyhow!("waiting for a step: {e}"))?;
                kill(); // what it left running in its group goes with it
                use std::os::unix::process::ExitStatusExt;
                let ended = match (status.code(), status.signal()) {
                    (Some(c), _) => Ended::Exit(c),
                    (None, Some(s)) => Ended::Signal(s),
                    _ => Ended::Exit(-1),
                };
                return Ok((ended, kept));
            }
            Err(_) => stopped = Some(Ended::TimedOut),
        }
    }
    kill();
    let _ = child.wait().await;
    Ok((stopped.unwrap_or(Ended::Cancelled), kept))
}

async fn read_some<R: tokio::io::AsyncRead + Unpin>(r: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    match r {
        Some(r) => match r.read(buf).await {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(n),
        },
        None => std::future::pending().await,
    }
}

/// `key=value` lines a step wrote to `$STEWARD_OUTPUT`.
pub(crate) fn read_outputs(path: &Path) -> Map<String, Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter(|(k, _)| steward_core::runbooks::check_key(k.trim()).is_ok())
        .take(100)
        .map(|(k, v)| (k.trim().to_owned(), json!(v.chars().take(4096).collect::<String>())))
        .collect()
}

/// Writes a file only its owner reads (keys, known hosts).
pub(crate) fn private_file(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())?;
    if !content.ends_with('\n') {
        f.write_all(b"\n")?;
    }
    Ok(())
}
