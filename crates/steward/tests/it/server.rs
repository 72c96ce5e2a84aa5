//! Running `steward` as a user would, and `steward serve` as a child process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use steward_test_support::TestDb;

/// `steward` with the test database selected by a global flag.
pub fn steward(db: &TestDb) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steward"));
    cmd.arg("--database-url").arg(&db.url).current_dir(db.dir.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("STEWARD_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Runs `cmd`, feeding `stdin`; returns the output.
pub fn run(mut cmd: Command, stdin: &str) -> Output {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start steward");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A `steward serve` process, stopped when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    /// Lines printed before "listening" (the first-start message).
    pub banner: Vec<String>,
}

impl Server {
    pub fn start(cmd: Command) -> Server {
        Server::start_with(cmd, &[])
    }

    /// `steward serve` with `extra` arguments (`--demo`, say).
    pub fn start_with(mut cmd: Command, extra: &[&str]) -> Server {
        cmd.args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start steward serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut banner = Vec::new();
        loop {
            let line = match lines.next() {
                Some(Ok(line)) if Instant::now() < deadline => line,
                other => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("steward serve did not start ({other:?}): {banner:?}");
                }
            };
            if let Some(addr) = line.split("listening on ").nth(1) {
                // Keep draining stdout so the server never blocks on a full pipe; its errors go
                // to the test's output, where a failing test shows them.
                std::thread::spawn(move || {
                    for line in lines.by_ref().map_while(Result::ok) {
                        if line.contains("ERROR") || line.contains("panicked") {
                            eprintln!("steward serve: {line}");
                        }
                    }
                });
                return Server { child, base: addr.trim().to_owned(), banner };
            }
            banner.push(line);
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API token for `username`, signed in over the API.
    pub async fn token(&self, username: &str, password: &str) -> String {
        let login: serde_json::Value = reqwest::Client::new()
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("sign-in request")
            .json()
            .await
            .expect("sign-in answer");
        login["token"].as_str().expect("a token").to_owned()
    }

    /// `kill -9`: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
