//! The one configuration of a Steward process: defaults, then `steward.toml`, then `STEWARD_*`
//! environment variables, then command-line flags. Each crate receives its own slice.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use steward_core::expiry::parse_lifetime;
use steward_core::identity::LoginPolicy;
use steward_core::tickets::PriorityMatrix;

/// A secret from the configuration; `Debug` never shows it.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The data folder: the embedded database and attachments.
    pub data: PathBuf,
    /// `postgres://...` to run on PostgreSQL; unset means SQLite in the data folder.
    pub database_url: Option<Secret>,
    /// Where the web UI and API listen.
    pub listen: String,
    /// Password for the `admin` user created on first start; random (and printed) when unset.
    pub admin_password: Option<Secret>,
    /// Log filter, e.g. `info` or `steward_http=debug,info`.
    pub log: String,
    /// `text` or `json`.
    pub log_format: String,
    /// Mark cookies Secure and send HSTS (set when users reach Steward over HTTPS).
    pub secure_cookies: bool,
    pub max_body_bytes: usize,
    /// Addresses of reverse proxies whose `X-Forwarded-For` header names the client, e.g.
    /// `["10.0.0.2"]`; sign-in throttling counts per client address.
    pub trusted_proxies: Vec<String>,
    /// Web session and password-login token lifetime, e.g. `12h`.
    pub session_ttl: String,
    pub login_free_failures: u32,
    pub login_base_delay_ms: i64,
    pub login_lock_after: u32,
    pub login_lock_minutes: i64,
    pub db_max_connections: u32,
    /// `full` (survives power loss) or `normal` (survives a crash).
    pub sqlite_synchronous: String,
    pub worker_poll_ms: u64,
    /// Priority by impact (rows, 1–3) and urgency (columns, 1–3).
    pub priority_matrix: Vec<Vec<i64>>,
    /// Resolved incidents close by themselves after this many days.
    pub auto_close_days: i64,
    /// Largest attachment accepted, in bytes.
    pub attachment_max_bytes: usize,
    /// SMTP server for notification email, e.g. `smtp://mail.example:25` or
    /// `smtps://user:password@mail.example`; unset sends no email.
    pub smtp_url: Option<Secret>,
    /// Sender of notification email.
    pub mail_from: String,
    /// IANA zone whose days, weeks and months the reports count in.
    pub report_time_zone: String,
    /// File holding the Ed25519 key that signs the audit anchors (made on first start);
    /// default `<data>/anchor.key`. Keep it where the database's users cannot write.
    pub anchor_key_file: Option<PathBuf>,
    /// The key's seed in hex instead of a file (e.g. from a secret store).
    pub anchor_key: Option<Secret>,
    /// The append-only file of signed anchors; default `<data>/anchors.log`.
    pub anchor_log: Option<PathBuf>,
    /// Also send each anchor to syslog through this socket, e.g. `/dev/log`.
    pub anchor_syslog: Option<PathBuf>,
    /// The secret of Grafana's webhook contact point ("HMAC signature"): deliveries to
    /// `/hooks/grafana` must then carry its signature.
    pub grafana_hmac_secret: Option<Secret>,
    /// The address people reach Steward at, e.g. `https://steward.example.com`: links in
    /// messages to chat robots and webhooks point there. Default: `http://<listen>`.
    pub public_url: Option<String>,
    /// Days a monitoring delivery's raw body is kept, to look into what a sender sent; 0 keeps
    /// none.
    pub alert_payload_days: u32,
    /// Labels whose equal values join alerts into one incident across senders and groups,
    /// e.g. `["cluster"]`; empty: off.
    pub alert_correlate_labels: Vec<String>,
    /// How recent the other alert must be, in minutes.
    pub alert_correlate_minutes: i64,
    /// The labels naming the host or service an alert is about (to find its CI), in order.
    pub alert_subject_labels: Vec<String>,
    /// An alert changing state this many times within `alert_flap_minutes` is flapping: it
    /// opens and resolves nothing until it settles.
    pub alert_flap_changes: i64,
    pub alert_flap_minutes: i64,
    /// What a deployment recorded by a pipeline that collides with a freeze or another change
    /// gets: `refuse` (409, nothing recorded) or `flag` (recorded with its conflicts accepted
    /// in the pipeline's name).
    pub deployment_conflicts: String,
    /// Per source, the labels whose values identify an alert across re-sends, e.g.
    /// `[alert_fingerprint_labels] generic = ["alertname", "instance"]`; unset: the sender's
    /// fingerprint (or all labels, hashed).
    pub alert_fingerprint_labels: std::collections::BTreeMap<String, Vec<String>>,
    /// Runbook runs at once on this node (the worker pool).
    pub automation_workers: usize,
    /// Where runs get their working folders; default `<data>/runs`.
    pub runbook_dir: Option<PathBuf>,
    /// File holding the secret store's 256-bit key (made on first use); default
    /// `<data>/secret.key`. Keep it out of the database's backups' reach.
    pub secret_key_file: Option<PathBuf>,
    /// The `ansible-playbook` program (found on `PATH` by default).
    pub ansible_playbook: PathBuf,
    /// Where the syslog listener takes RFC 5424/3164 messages, over UDP and TCP on the same
    /// port (e.g. `0.0.0.0:1514`); unset: no listener.
    pub syslog_listen: Option<String>,
    /// Log lines are kept this many days, and in at most `log_max_mb` megabytes (compressed).
    pub log_retention_days: i64,
    pub log_max_mb: i64,
    /// A host's new log templates raise alerts once it has sent logs this many minutes.
    pub log_learning_minutes: i64,
    /// New log templates at least this severe raise alerts (`error`, `warning`, …).
    pub log_new_template_level: String,
    /// Prometheus' address for forecasts (`http://127.0.0.1:9090`); unset: none.
    pub prometheus_url: Option<String>,
    /// Auto-triage applies a suggested category, team or service to a new incident raised
    /// without them at this confidence (0–1) or above; 0 turns applying off (suggestions stay).
    pub triage_threshold: f32,
    /// Of resolved incidents and requests, the share (0–100 %) whose requester is asked for a
    /// CSAT rating.
    pub csat_sample_percent: u8,
    /// What a rating of 1–2 stars does besides a work note: `alert` mails the team's leads,
    /// `reopen` also reopens the incident.
    pub csat_low_score_action: String,
    /// Of last month's requesters, the share (0–100 %) sent the monthly NPS survey.
    pub nps_sample_percent: u8,
    /// Who the service-improvement leaderboard ranks: `teams`, or `agents` (teams and agents).
    pub leaderboard_shows: String,
}

impl Default for Config {
    fn default() -> Self {
        let login = LoginPolicy::default();
        Config {
            data: PathBuf::from("steward-data"),
            database_url: None,
            listen: "127.0.0.1:8080".into(),
            admin_password: None,
            log: "info".into(),
            log_format: "text".into(),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            trusted_proxies: Vec::new(),
            session_ttl: "12h".into(),
            login_free_failures: login.free_failures,
            login_base_delay_ms: login.base_delay_ms,
            login_lock_after: login.lock_after,
            login_lock_minutes: login.lock_ms / 60_000,
            db_max_connections: 10,
            sqlite_synchronous: "full".into(),
            worker_poll_ms: 1000,
            priority_matrix: PriorityMatrix::default()
                .rows()
                .iter()
                .map(|r| r.iter().map(|p| i64::from(*p)).collect())
                .collect(),
            auto_close_days: 7,
            attachment_max_bytes: 10 * 1024 * 1024,
            smtp_url: None,
            mail_from: "Steward <steward@localhost>".into(),
            report_time_zone: steward_app::DEFAULT_REPORT_ZONE.into(),
            anchor_key_file: None,
            anchor_key: None,
            anchor_log: None,
            anchor_syslog: None,
            grafana_hmac_secret: None,
            public_url: None,
            alert_payload_days: 7,
            alert_correlate_labels: Vec::new(),
            alert_correlate_minutes: 15,
            alert_subject_labels: steward_core::alerts::SUBJECT_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            alert_fingerprint_labels: std::collections::BTreeMap::new(),
            alert_flap_changes: 4,
            alert_flap_minutes: 60,
            deployment_conflicts: "refuse".into(),
            automation_workers: 4,
            runbook_dir: None,
            secret_key_file: None,
            ansible_playbook: PathBuf::from("ansible-playbook"),
            syslog_listen: None,
            log_retention_days: 14,
            log_max_mb: 2048,
            log_learning_minutes: 60,
            log_new_template_level: "warning".into(),
            prometheus_url: None,
            triage_threshold: 0.6,
            csat_sample_percent: 100,
            csat_low_score_action: "alert".into(),
            nps_sample_percent: 100,
            leaderboard_shows: "agents".into(),
        }
    }
}

/// Environment variables read, as `STEWARD_<KEY>`.
const ENV_KEYS: &[&str] = &[
    "data",
    "database_url",
    "listen",
    "admin_password",
    "log",
    "log_format",
    "secure_cookies",
    "max_body_bytes",
    "trusted_proxies",
    "session_ttl",
    "login_free_failures",
    "login_base_delay_ms",
    "login_lock_after",
    "login_lock_minutes",
    "db_max_connections",
    "sqlite_synchronous",
    "worker_poll_ms",
    "priority_matrix",
    "auto_close_days",
    "attachment_max_bytes",
    "smtp_url",
    "mail_from",
    "report_time_zone",
    "anchor_key_file",
    "anchor_key",
    "anchor_log",
    "anchor_syslog",
    "grafana_hmac_secret",
    "public_url",
    "alert_payload_days",
    "alert_correlate_labels",
    "alert_correlate_minutes",
    "alert_subject_labels",
    "alert_flap_changes",
    "alert_flap_minutes",
    "deployment_conflicts",
    "automation_workers",
    "runbook_dir",
    "secret_key_file",
    "ansible_playbook",
    "syslog_listen",
    "log_retention_days",
    "log_max_mb",
    "log_learning_minutes",
    "log_new_template_level",
    "prometheus_url",
    "triage_threshold",
    "csat_sample_percent",
    "csat_low_score_action",
    "nps_sample_percent",
    "leaderboard_shows",
];

/// Flags that override the file and the environment.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
}

impl Config {
    /// Loads the configuration. `file` is `--config`; without it `./steward.toml` is read when
    /// present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(path.is_file(), "config file {} does not exist", path.display());
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("steward.toml")),
        }
        let config: Config = figment
            .merge(Env::prefixed("STEWARD_").only(ENV_KEYS))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        parse_lifetime(&self.session_ttl)
            .map_err(|e| anyhow::anyhow!("invalid configuration: session_ttl: {e}"))?;
        anyhow::ensure!(
            matches!(self.deployment_conflicts.as_str(), "refuse" | "flag"),
            "invalid configuration: deployment_conflicts must be `refuse` or `flag`"
        );
        anyhow::ensure!(
            steward_core::logs::Level::parse(&self.log_new_template_level).is_some(),
            "invalid configuration: log_new_template_level must be a level (error, warning, notice, …)"
        );
        anyhow::ensure!(
            (1..=3650).contains(&self.log_retention_days)
                && self.log_max_mb >= 1
                && self.log_learning_minutes >= 0,
            "invalid configuration: log_retention_days must be 1–3650, log_max_mb ≥ 1, log_learning_minutes ≥ 0"
        );
        anyhow::ensure!(
            self.prometheus_url
                .as_deref()
                .is_none_or(|u| u.starts_with("http://") || u.starts_with("https://")),
            "invalid configuration: prometheus_url must be an http:// or https:// address"
        );
        anyhow::ensure!(
            self.csat_sample_percent <= 100 && self.nps_sample_percent <= 100,
            "invalid configuration: csat_sample_percent and nps_sample_percent must be 0–100"
        );
        steward_core::surveys::LowScoreAction::parse(&self.csat_low_score_action)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {}", e.message))?;
        anyhow::ensure!(
            matches!(self.leaderboard_shows.as_str(), "teams" | "agents"),
            "invalid configuration: leaderboard_shows must be `teams` or `agents`"
        );
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.triage_threshold),
            "invalid configuration: triage_threshold must be between 0 and 1"
        );
        if let Some(addr) = &self.syslog_listen {
            anyhow::ensure!(
                addr.parse::<std::net::SocketAddr>().is_ok(),
                "invalid configuration: syslog_listen must be an address and port, like 0.0.0.0:1514"
            );
        }
        anyhow::ensure!(
            (1..=256).contains(&self.automation_workers),
            "invalid configuration: automation_workers must be 1–256"
        );
        anyhow::ensure!(
            matches!(self.log_format.as_str(), "text" | "json"),
            "invalid configuration: log_format must be `text` or `json`"
        );
        anyhow::ensure!(
            matches!(self.sqlite_synchronous.as_str(), "full" | "normal"),
            "invalid configuration: sqlite_synchronous must be `full` or `normal`"
        );
        anyhow::ensure!(
            self.login_lock_after >= 1,
            "invalid configuration: login_lock_after must be at least 1"
        );
        anyhow::ensure!(
            self.max_body_bytes >= 1024,
            "invalid configuration: max_body_bytes must be at least 1024"
        );
        for proxy in &self.trusted_proxies {
            proxy.parse::<std::net::IpAddr>().map_err(|_| {
                anyhow::anyhow!("invalid configuration: trusted_proxies: `{proxy}` is not an IP address")
            })?;
        }
        jiff::tz::TimeZone::get(&self.report_time_zone).map_err(|_| {
            anyhow::anyhow!(
                "invalid configuration: report_time_zone `{}` is not an IANA time zone",
                self.report_time_zone
            )
        })?;
        Ok(())
    }

    /// The database URL: PostgreSQL when configured, else SQLite in the data folder.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.0.clone());
        }
        std::fs::create_dir_all(&self.data)
            .with_context(|| format!("creating the data folder {}", self.data.display()))?;
        Ok(steward_store::Store::sqlite_url(&self.data))
    }

    pub fn app(&self) -> steward_app::AppConfig {
        steward_app::AppConfig {
            // Validated in `load`.
            session_ttl: parse_lifetime(&self.session_ttl).unwrap_or(jiff::SignedDuration::from_hours(12)),
            login: LoginPolicy {
                free_failures: self.login_free_failures,
                base_delay_ms: self.login_base_delay_ms,
                lock_after: self.login_lock_after,
                lock_ms: self.login_lock_minutes.saturating_mul(60_000),
            },
            client_login: LoginPolicy::per_client(),
            // Validated in `load`.
            priority_matrix: PriorityMatrix::parse(&self.priority_matrix).unwrap_or_default(),
            auto_close_after: jiff::SignedDuration::from_hours(self.auto_close_days.saturating_mul(24)),
            attachment_max_bytes: self.attachment_max_bytes,
            mail: self
                .smtp_url
                .as_ref()
                .map(|url| steward_app::MailConfig { smtp_url: url.0.clone(), from: self.mail_from.clone() }),
            // Validated in `load`.
            report_zone: jiff::tz::TimeZone::get(&self.report_time_zone).unwrap_or(jiff::tz::TimeZone::UTC),
            clock: steward_app::Clock::system(),
            anchors: Some(self.anchors()),
            alert_payload_days: self.alert_payload_days,
            flag_deployment_conflicts: self.deployment_conflicts == "flag",
            alert_subject_labels: self.alert_subject_labels.clone(),
            alert_flap: steward_core::alerts::FlapPolicy {
                changes: self.alert_flap_changes.clamp(2, 1000),
                window: jiff::SignedDuration::from_mins(self.alert_flap_minutes.clamp(1, 7 * 24 * 60)),
            },
            alert_fingerprint_labels: self.alert_fingerprint_labels.clone().into_iter().collect(),
            alert_correlation: (!self.alert_correlate_labels.is_empty()).then(|| steward_app::Correlation {
                labels: self.alert_correlate_labels.clone(),
                window: jiff::SignedDuration::from_mins(self.alert_correlate_minutes.clamp(1, 24 * 60)),
            }),
            public_url: Some(self.public_url.clone().unwrap_or_else(|| format!("http://{}", self.listen))),
            search_dir: Some(self.data.join("search")),
            automation: steward_app::runbooks::AutomationConfig {
                workers: self.automation_workers,
                work_dir: self.runbook_dir.clone().unwrap_or_else(|| self.data.join("runs")),
                secret_key: steward_app::runbooks::SecretKey::File(
                    self.secret_key_file.clone().unwrap_or_else(|| self.data.join("secret.key")),
                ),
                ansible_playbook: self.ansible_playbook.clone(),
                ssh: PathBuf::from("ssh"),
            },
            logs: steward_app::logs::LogsConfig {
                retention: jiff::SignedDuration::from_hours(24 * self.log_retention_days),
                max_bytes: self.log_max_mb.saturating_mul(1_000_000),
                learning: jiff::SignedDuration::from_mins(self.log_learning_minutes),
                new_template_level: steward_core::logs::Level::parse(&self.log_new_template_level)
                    .unwrap_or(steward_core::logs::Level::Warning),
            },
            prometheus_url: self.prometheus_url.clone(),
            triage_threshold: (self.triage_threshold > 0.0).then_some(self.triage_threshold),
            surveys: steward_app::surveys::SurveyConfig {
                csat_percent: self.csat_sample_percent,
                low_score: steward_core::surveys::LowScoreAction::parse(&self.csat_low_score_action)
                    .unwrap_or(steward_core::surveys::LowScoreAction::Alert),
                nps_percent: self.nps_sample_percent,
                leaderboard_agents: self.leaderboard_shows == "agents",
            },
        }
    }

    /// Where the audit anchors are signed and written.
    pub fn anchors(&self) -> steward_app::audit::AnchorConfig {
        use steward_app::audit::{AnchorConfig, AnchorKey};
        let mut config = AnchorConfig::in_folder(&self.data);
        if let Some(path) = &self.anchor_key_file {
            config.key = AnchorKey::File(path.clone());
        }
        if let Some(seed) = &self.anchor_key {
            config.key = AnchorKey::Seed(seed.0.clone());
        }
        if let Some(path) = &self.anchor_log {
            config.log = path.clone();
        }
        config.syslog = self.anchor_syslog.clone();
        config
    }

    pub fn http(&self) -> steward_http::HttpConfig {
        steward_http::HttpConfig {
            secure_cookies: self.secure_cookies,
            max_body_bytes: self.max_body_bytes,
            // Validated in `load`.
            trusted_proxies: self.trusted_proxies.iter().filter_map(|p| p.parse().ok()).collect(),
            grafana_hmac_secret: self.grafana_hmac_secret.as_ref().map(|s| s.0.clone()),
        }
    }

    pub fn store(&self) -> steward_store::StoreOptions {
        steward_store::StoreOptions {
            max_connections: self.db_max_connections,
            sqlite_synchronous: self.sqlite_synchronous.clone(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let config = Config { admin_password: Some(Secret("hunter2hunter2".into())), ..Config::default() };
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
