//! The demo's logs: a day of lines from the demo's three servers (mail01, app01, db01) —
//! postfix, the payroll application and PostgreSQL, in English and a little Chinese — so the
//! log explorer has templates, frequencies and hosts matched to CIs from the start.

use jiff::SignedDuration;

use crate::logs::IncomingLine;
use crate::{App, Result};

/// (host, source, level, pattern): `#` is replaced by a number, `@` by an address.
const LINES: &[(&str, &str, &str, &str)] = &[
    ("mail01", "postfix", "info", "connect from unknown[@]"),
    ("mail01", "postfix", "info", "disconnect from unknown[@] ehlo=1 mail=1 rcpt=# data=1 quit=1 commands=#"),
    (
        "mail01",
        "postfix",
        "info",
        "#: to=<user#@example.com>, relay=local, delay=0.#, status=sent (delivered to mailbox)",
    ),
    (
        "mail01",
        "postfix",
        "warning",
        "#: to=<partner#@partner.example>, relay=none, delay=#, status=deferred (connect to mx.partner.example[@]:25: Connection timed out)",
    ),
    ("app01", "payroll", "info", "GET /api/payslips/# 200 #ms"),
    ("app01", "payroll", "info", "POST /api/timesheets/# 201 #ms"),
    ("app01", "payroll", "info", "用户 user# 登录成功，来源 @"),
    ("app01", "payroll", "error", "HikariPool-1 - Connection is not available, request timed out after #ms"),
    (
        "db01",
        "postgres",
        "info",
        "checkpoint complete: wrote # buffers (#.#%); 0 WAL file(s) added, 0 removed",
    ),
    ("db01", "postgres", "info", "connection received: host=@ port=#"),
    ("db01", "postgres", "info", "automatic vacuum of table \"payroll.public.payslips\": index scans: #"),
    ("db01", "postgres", "warning", "checkpoints are occurring too frequently (# seconds apart)"),
];

impl App {
    pub(super) async fn seed_demo_logs(&self) -> Result<()> {
        let now = self.now();
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n.max(1)
        };
        let mut lines = Vec::new();
        for i in 0..3000u64 {
            // Info lines are common, warnings rarer, errors rare.
            let pick = next(LINES.len() as u64) as usize;
            let (host, source, level, pattern) = LINES[pick];
            if level != "info" && next(6) != 0 {
                continue;
            }
            let mut message = String::new();
            for c in pattern.chars() {
                match c {
                    '#' => message.push_str(&next(5000).to_string()),
                    '@' => message.push_str(&format!("10.1.{}.{}", next(8), next(250) + 2)),
                    c => message.push(c),
                }
            }
            let ago = SignedDuration::from_secs((24 * 3600 * (3000 - i) / 3000) as i64);
            lines.push(IncomingLine {
                at: Some(now - ago),
                source: source.into(),
                host: host.into(),
                level: steward_core::logs::Level::parse(level),
                message,
            });
        }
        self.logs().ingest_lines(lines).await?;
        Ok(())
    }
}
