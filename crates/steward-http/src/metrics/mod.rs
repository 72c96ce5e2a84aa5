//! `/metrics` in the Prometheus text format or OpenMetrics: request counts and latency
//! histograms by route, and the service KPIs.

mod format;
mod leaderboard;

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use prometheus_client::registry::Unit;
use steward_app::ReportMetrics;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::CurrentActor;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpenLabels {
    priority: String,
    team: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: String,
}

/// The report KPIs, computed at scrape time and encoded as a histogram or gauge family each.
/// A collector rather than registered metrics: prometheus-client's `Histogram` only observes
/// one value at a time, while these come ready-counted from the report rollup.
#[derive(Debug, Default)]
struct ReportCollector(Mutex<ReportMetrics>);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ServiceLabels {
    service: String,
}

impl Collector for ReportCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let m = self.0.lock().map_err(|_| std::fmt::Error)?;
        for (name, help, h) in [
            (
                "incident_time_to_acknowledge",
                "Wall-clock time from opening to first response, over every responded incident",
                &m.time_to_acknowledge,
            ),
            (
                "incident_time_to_resolve",
                "Wall-clock time from opening to resolution, over every resolved incident",
                &m.time_to_resolve,
            ),
        ] {
            encoder
                .encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?
                .encode_histogram::<NoLabelSet>(h.sum, h.count, &h.buckets, None)?;
        }
        let mut family = encoder.encode_descriptor(
            "service_availability_ratio",
            "Share of the last 30 days each service with an outage was up (services without one are at 1)",
            None,
            MetricType::Gauge,
        )?;
        for a in &m.availability {
            family.encode_family(&ServiceLabels { service: a.service.clone() })?.encode_gauge(&a.ratio)?;
        }
        Ok(())
    }
}

/// The change figures of the last 30 days, read at scrape time.
#[derive(Debug, Default)]
struct ChangeCollector(Mutex<steward_core::changes::ChangeCounts>);

impl Collector for ChangeCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = *self.0.lock().map_err(|_| std::fmt::Error)?;
        let gauges: [(&str, &str, Option<Unit>, f64); 7] = [
            ("changes_raised_30d", "Changes raised in the last 30 days", None, c.raised as f64),
            (
                "change_success_ratio",
                "Successful ÷ completed changes, last 30 days",
                None,
                c.success_rate().unwrap_or(0.0),
            ),
            (
                "change_failure_ratio",
                "Failed or backed-out ÷ completed changes (DORA), last 30 days",
                None,
                c.failure_rate().unwrap_or(0.0),
            ),
            (
                "change_emergency_ratio",
                "Emergency ÷ raised changes, last 30 days",
                None,
                c.emergency_ratio().unwrap_or(0.0),
            ),
            (
                "deployments_per_day",
                "Deployments recorded by pipelines per day (DORA), last 30 days",
                None,
                c.deployments_per_day(30),
            ),
            (
                "changes_followed_by_incidents_30d",
                "Changes with an incident on their CIs within a day, last 30 days",
                None,
                c.caused_incidents as f64,
            ),
            (
                "change_approval_mean",
                "Mean wait for an approval level, last 30 days",
                Some(Unit::Seconds),
                c.mean_approval_secs().unwrap_or(0.0),
            ),
        ];
        for (name, help, unit, value) in gauges {
            encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?.encode_gauge(&value)?;
        }
        Ok(())
    }
}

/// Automation's figures of the last 30 days and its runs by state, read at scrape time.
#[derive(Debug, Default)]
struct AutomationCollector(Mutex<steward_app::runbooks::AutomationReport>);

impl Collector for AutomationCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let r = self.0.lock().map_err(|_| std::fmt::Error)?;
        let gauges: [(&str, &str, Option<Unit>, f64); 3] = [
            ("runbook_runs_finished_30d", "Runbook runs finished in the last 30 days", None, r.runs as f64),
            (
                "runbook_success_ratio",
                "Succeeded ÷ finished runbook runs, last 30 days",
                None,
                r.success_rate().unwrap_or(0.0) / 100.0,
            ),
            (
                "runbook_time_saved_30d",
                "Manual work saved by successful runs (manual minutes per runbook × runs), last 30 days",
                Some(Unit::Seconds),
                r.minutes_saved as f64 * 60.0,
            ),
        ];
        for (name, help, unit, value) in gauges {
            encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?.encode_gauge(&value)?;
        }
        let mut family = encoder.encode_descriptor(
            "runbook_runs",
            "Runbook runs by state now",
            None,
            MetricType::Gauge,
        )?;
        for state in steward_core::runbooks::RunState::ALL {
            let n = r.by_state.iter().find(|(s, _)| s == state.as_str()).map_or(0, |(_, n)| *n);
            family.encode_family(&StateLabels { state: state.as_str().to_owned() })?.encode_gauge(&n)?;
        }
        Ok(())
    }
}

/// Logs kept (read at scrape time) and the syslog listener's counters on this node.
#[derive(Debug, Default)]
struct LogsCollector(Mutex<steward_store::LogUsage>);

impl Collector for LogsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let u = *self.0.lock().map_err(|_| std::fmt::Error)?;
        let gauges: [(&str, &str, Option<Unit>, f64); 4] = [
            ("log_templates", "Log templates mined (not merged into another)", None, u.templates as f64),
            ("log_lines_kept", "Log lines kept (within retention)", None, u.lines as f64),
            ("log_kept", "Log lines kept, compressed", Some(Unit::Bytes), u.stored_bytes as f64),
            ("log_kept_raw", "Log lines kept, uncompressed", Some(Unit::Bytes), u.raw_bytes as f64),
        ];
        for (name, help, unit, value) in gauges {
            encoder.encode_descriptor(name, help, unit.as_ref(), MetricType::Gauge)?.encode_gauge(&value)?;
        }
        let c = &crate::logs::syslog::COUNTERS;
        let counters: [(&str, &str, u64); 3] = [
            (
                "syslog_received",
                "Syslog messages received by this node's listener",
                c.received.load(Ordering::Relaxed),
            ),
            (
                "syslog_stored",
                "Syslog messages stored by this node's listener",
                c.stored.load(Ordering::Relaxed),
            ),
            (
                "syslog_dropped",
                "Syslog messages dropped by this node's listener (UDP beyond its memory budget, or not storable)",
                c.dropped.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            encoder
                .encode_descriptor(name, help, None, MetricType::Counter)?
                .encode_counter::<prometheus_client::encoding::NoLabelSet, _, u64>(&value, None)?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

pub struct Metrics {
    registry: Registry,
    automation: Arc<AutomationCollector>,
    logs: Arc<LogsCollector>,
    reports: Arc<ReportCollector>,
    changes: Arc<ChangeCollector>,
    leaderboard: Arc<leaderboard::LeaderboardCollector>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    open_incidents: Family<OpenLabels, Gauge>,
    sla_breaches: Family<TargetLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("steward");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served, by route and status", requests.clone());
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms .. ~8 s
            Histogram::new(exponential_buckets(0.0005, 2.0, 15))
        });
        registry.register("http_request_duration_seconds", "HTTP request latency, by route", latency.clone());
        let build = Family::<BuildLabels, Gauge>::default();
        build.get_or_create(&BuildLabels { version: env!("CARGO_PKG_VERSION").into() }).set(1);
        registry.register("build_info", "The running Steward version", build);
        let open_incidents = Family::<OpenLabels, Gauge>::default();
        registry.register(
            "open_incidents",
            "Open incidents by priority and assignment team",
            open_incidents.clone(),
        );
        let sla_breaches = Family::<TargetLabels, Gauge>::default();
        registry.register(
            "sla_breaches",
            "SLA breaches fired since the start, by target",
            sla_breaches.clone(),
        );
        let reports = Arc::new(ReportCollector::default());
        registry.register_collector(Box::new(reports.clone()));
        let changes = Arc::new(ChangeCollector::default());
        registry.register_collector(Box::new(changes.clone()));
        let automation = Arc::new(AutomationCollector::default());
        registry.register_collector(Box::new(automation.clone()));
        let logs = Arc::new(LogsCollector::default());
        registry.register_collector(Box::new(logs.clone()));
        let leaderboard = Arc::new(leaderboard::LeaderboardCollector::default());
        registry.register_collector(Box::new(leaderboard.clone()));
        Metrics {
            registry,
            automation,
            logs,
            reports,
            changes,
            leaderboard,
            requests,
            latency,
            open_incidents,
            sla_breaches,
        }
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The `method` label: the methods Steward serves, and `other` for anything a client makes up,
/// so nobody can add series by inventing methods.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 7] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    KNOWN.iter().find(|m| *m == method).map_or("other", Method::as_str)
}

/// Counts and times every request under its route template (`/api/v1/users/{id}`), so label
/// values stay few however many ids are requested; paths no route matches are one `unmatched`.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method()).to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels { method: method.clone(), route: route.clone(), status })
        .inc();
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`: for admins, auditors and tokens with the `metrics` scope.
pub async fn scrape(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
) -> ApiResult<Response> {
    state.app.audit().authorize_metrics(&actor)?;
    // KPI gauges are read from the database at scrape time, so every node reports the truth.
    let counts = state.app.audit().open_incident_counts(&actor).await?;
    state.metrics.open_incidents.clear();
    for (priority, team, n) in counts {
        state
            .metrics
            .open_incidents
            .get_or_create(&OpenLabels { priority: format!("P{priority}"), team })
            .set(n);
    }
    let breaches = state.app.audit().sla_breach_counts(&actor).await?;
    state.metrics.sla_breaches.clear();
    for target in ["response", "resolution", "update"] {
        let n = breaches.iter().find(|(t, _)| t == target).map_or(0, |(_, n)| *n);
        state.metrics.sla_breaches.get_or_create(&TargetLabels { target: target.into() }).set(n);
    }
    let kpis = state.app.reports().metrics(&actor).await?;
    if let Ok(mut m) = state.metrics.reports.0.lock() {
        *m = kpis;
    }
    let changes = state.app.changes().figures(&actor, 30).await?;
    if let Ok(mut m) = state.metrics.changes.0.lock() {
        *m = changes;
    }
    let automation = state.app.runbooks().report(&actor, 30).await?;
    if let Ok(mut m) = state.metrics.automation.0.lock() {
        *m = automation;
    }
    let board = state.app.surveys().leaderboard(&actor, None).await?;
    if let Ok(mut m) = state.metrics.leaderboard.0.lock() {
        *m = Some(board);
    }
    // Read directly: a `metrics` token reads figures, not logs.
    let usage = state.app.store().log_usage().await.map_err(steward_app::AppError::from)?;
    if let Ok(mut m) = state.metrics.logs.0.lock() {
        *m = usage;
    }
    let format = format::Format::negotiate(headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()));
    let open = state.metrics.encode();
    let body = match format {
        format::Format::OpenMetrics => open,
        format::Format::PrometheusText => format::prometheus_text(&open),
    };
    let mut response = body.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    Ok(response)
}
