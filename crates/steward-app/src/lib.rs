//! Steward's use cases. The API, the web UI, workers and the CLI all call the operations here:
//! each one authorizes its actor, applies the core rules and commits its rows, events and jobs
//! in one transaction before it returns.

#![forbid(unsafe_code)]

mod actor;
pub mod alerts;
pub mod audit;
mod auth;
pub mod changes;
pub mod cmdb;
pub mod demo;
mod directory;
mod error;
mod events;
pub mod forecasts;
pub mod incidents;
pub mod jobs;
pub mod knowledge;
pub mod logs;
mod mail;
pub mod markdown;
pub mod notifications;
pub mod problems;
pub mod reports;
pub mod requests;
pub mod reviews;
pub mod runbooks;
pub mod search;
mod secrets;
mod services;
pub mod sla;
pub mod subscriptions;
pub mod surveys;
mod timeline;
mod tokens;
pub mod triage;

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use steward_core::identity::LoginPolicy;
use steward_core::tickets::PriorityMatrix;
use steward_store::Store;

use events::record;

pub use actor::{Actor, Credential};
pub use auth::{AdminBootstrap, SessionStart, SignInClient};
pub use directory::{DirectoryNames, LOCALES, NewUserInput, UserUpdate};
pub use error::{AppError, Result};
pub use incidents::{FilledReply, IncidentPatch, IncidentView, NewIncident};
pub use mail::SEND_EMAIL;
pub use reports::{IncidentReport, ReportMetrics, ReportRequest};
pub use services::{
    Alerts, Audit, Auth, Catalogue, Changes, Cmdb, Directory, Forecasts, Incidents, Knowledge, Logs,
    Notifications, Problems, Reports, Requests, Reviews, Runbooks, Search, Sla, Subscriptions, Surveys,
    Tokens, Triage,
};
pub use tokens::IssuedToken;

/// The app layer's slice of the configuration.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub session_ttl: SignedDuration,
    /// Throttles failed sign-ins per name tried and per device.
    pub login: LoginPolicy,
    /// Throttles failed sign-ins per client address, across names.
    pub client_login: LoginPolicy,
    pub priority_matrix: PriorityMatrix,
    /// Resolved incidents close by themselves after this long.
    pub auto_close_after: SignedDuration,
    pub attachment_max_bytes: usize,
    /// Outgoing mail; `None` sends none (in-app notifications still work).
    pub mail: Option<MailConfig>,
    /// The zone whose days, weeks and months the reports count in.
    pub report_zone: jiff::tz::TimeZone,
    pub clock: Clock,
    /// Signed checkpoints of the event chain outside the database; `None` writes none.
    pub anchors: Option<audit::AnchorConfig>,
    /// The address people reach Steward at (`https://steward.example`): links in messages sent
    /// outside (chat robots, webhooks) point there; `None` sends none.
    pub public_url: Option<String>,
    /// Days a delivery's raw body is kept (for looking into what a sender sent); 0 keeps none.
    pub alert_payload_days: u32,
    /// A deployment that collides with a freeze or another change is recorded with its
    /// conflicts flagged (`true`) or refused (`false`, the default).
    pub flag_deployment_conflicts: bool,
    /// Alerts that share these labels' values within a window join one incident, across
    /// senders and groups; `None`: only groups and topology correlate.
    pub alert_correlation: Option<Correlation>,
    /// The labels that name the host or service an alert is about (matched to CIs), in order.
    pub alert_subject_labels: Vec<String>,
    /// When an alert is flapping (so it opens and resolves nothing until it settles).
    pub alert_flap: steward_core::alerts::FlapPolicy,
    /// Per source (`alertmanager`, `zabbix`, `generic`, …), the labels whose values identify an
    /// alert across re-sends, instead of the sender's fingerprint.
    pub alert_fingerprint_labels: std::collections::HashMap<String, Vec<String>>,
    /// Where this node keeps its search index; `None`: in memory (tests).
    pub search_dir: Option<std::path::PathBuf>,
    /// Runbooks: the worker pool, working folders, the secret store's key, the tools.
    pub automation: runbooks::AutomationConfig,
    /// Logs: retention, and when a new template raises an alert.
    pub logs: logs::LogsConfig,
    /// Prometheus' address (`http://127.0.0.1:9090`) for forecasts; `None`: forecasts report
    /// that none is configured.
    pub prometheus_url: Option<String>,
    /// Auto-triage applies a suggested category, team or service to a new incident raised
    /// without them at this confidence (0–1) or above; `None`: suggestions only.
    pub triage_threshold: Option<f32>,
    /// Satisfaction surveys: who is asked, what a low score does, who the leaderboard shows.
    pub surveys: surveys::SurveyConfig,
}

/// Correlation by label equality within a time window.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub labels: Vec<String>,
    pub window: SignedDuration,
}

/// Where notifications are mailed from and through.
#[derive(Clone)]
pub struct MailConfig {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` or `smtps://user:pass@host`.
    pub smtp_url: String,
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold the SMTP password.
        f.debug_struct("MailConfig").field("smtp_url", &"***").field("from", &self.from).finish()
    }
}

/// Where the default SLA calendars are (Beijing office hours), so reports count the same days.
pub const DEFAULT_REPORT_ZONE: &str = "Asia/Shanghai";

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            session_ttl: SignedDuration::from_hours(12),
            login: LoginPolicy::default(),
            client_login: LoginPolicy::per_client(),
            priority_matrix: PriorityMatrix::default(),
            auto_close_after: SignedDuration::from_hours(7 * 24),
            attachment_max_bytes: 10 * 1024 * 1024,
            mail: None,
            report_zone: jiff::tz::TimeZone::get(DEFAULT_REPORT_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
            clock: Clock::system(),
            anchors: None,
            public_url: None,
            alert_payload_days: 7,
            flag_deployment_conflicts: false,
            alert_correlation: None,
            alert_flap: steward_core::alerts::FlapPolicy::default(),
            alert_subject_labels: steward_core::alerts::SUBJECT_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            alert_fingerprint_labels: std::collections::HashMap::new(),
            search_dir: None,
            automation: runbooks::AutomationConfig::default(),
            logs: logs::LogsConfig::default(),
            prometheus_url: None,
            triage_threshold: None,
            surveys: surveys::SurveyConfig::default(),
        }
    }
}

/// The application: the store plus configuration. Cheap to clone.
#[derive(Clone, Debug)]
pub struct App {
    store: Store,
    config: Arc<AppConfig>,
    intake: Arc<incidents::Intake>,
    /// Teams known to exist. Teams are never deleted, so an id seen once stays valid and the
    /// check that a referenced team exists needs no read after the first (see `team_exists`).
    teams_seen: Arc<std::sync::RwLock<std::collections::HashSet<steward_core::ids::TeamId>>>,
    /// Taken while alerts are given incidents (`alerts::incidents`), so two deliveries of one
    /// group do not open two.
    alert_cover: Arc<tokio::sync::Mutex<()>>,
    /// This node's search index.
    search: Arc<search::Engine>,
    /// The secret store's key, read once (`runbooks::vault`).
    vault: Arc<std::sync::OnceLock<[u8; 32]>>,
    /// This node's log template miner (`logs::miner`).
    logs_miner: Arc<tokio::sync::Mutex<logs::miner::MinerState>>,
    /// This node's copy of the newest triage model (`triage`).
    triage_cache: Arc<tokio::sync::Mutex<triage::Cached>>,
}

impl App {
    pub fn new(store: Store, config: AppConfig) -> App {
        let search = Arc::new(search::Engine::new(config.search_dir.clone()));
        App {
            store,
            config: Arc::new(config),
            intake: Arc::default(),
            teams_seen: Arc::default(),
            alert_cover: Arc::default(),
            search,
            vault: Arc::default(),
            logs_miner: Arc::default(),
            triage_cache: Arc::default(),
        }
    }

    /// This node's search index (opened on first use).
    pub(crate) fn search_engine(&self) -> &search::Engine {
        &self.search
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Checks the database answers, for readiness probes.
    pub async fn ready(&self) -> Result<()> {
        Ok(self.store.ping().await?)
    }
}

/// The app layer's one clock; core code gets time passed in. The system clock in production;
/// tests that need a Friday 17:30 or a weekend to pass set it by hand.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<std::sync::Mutex<Timestamp>>>);

impl Clock {
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that stands at `at` until set or advanced.
    pub fn manual(at: Timestamp) -> Clock {
        Clock(Some(Arc::new(std::sync::Mutex::new(at))))
    }

    pub fn now(&self) -> Timestamp {
        match &self.0 {
            None => Timestamp::now(),
            Some(at) => *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }

    /// Moves a manual clock (a system clock ignores this).
    pub fn set(&self, to: Timestamp) {
        if let Some(at) = &self.0 {
            *at.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = to;
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        let to = self.now().checked_add(by).unwrap_or(Timestamp::MAX);
        self.set(to);
    }
}

impl App {
    pub fn now(&self) -> Timestamp {
        self.config.clock.now()
    }
}
