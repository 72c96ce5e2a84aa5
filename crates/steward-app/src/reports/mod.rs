//! Service reports over incidents or service requests: the dashboard, its CSV, and the monthly
//! management report.
//!
//! Unfiltered reports read the daily rollup; filtered ones sum the matching tickets' own
//! contributions (the same core function that maintains the rollup), so both give one answer.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::{SignedDuration, ToSpan};
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, TeamId};
use steward_core::reports::{
    Availability, Dim, Granularity, Period, Report, assemble, availability, filter_key, periods,
};
use steward_core::tickets::{Priority, TicketKind};
use steward_store::ReportFilter;

mod tracking;

pub(crate) use tracking::Tracked;

use crate::{Actor, AppError, Result};

/// A report request as typed: every field optional, dates as `YYYY-MM-DD`.
#[derive(Debug, Clone, Default)]
pub struct ReportRequest {
    pub from: Option<String>,
    pub to: Option<String>,
    pub period: Option<String>,
    pub priority: Option<i64>,
    pub team_id: Option<TeamId>,
    pub service: Option<String>,
    pub category_id: Option<CategoryId>,
    /// `Incident` (`None`) or `Request`.
    pub kind: Option<TicketKind>,
}

/// A report and what it needs to be shown: the names behind team and category ids.
#[derive(Debug, Clone)]
pub struct IncidentReport {
    pub from: Date,
    pub to: Date,
    pub granularity: Granularity,
    pub filter: ReportFilter,
    pub report: Report,
    pub availability: Vec<Availability>,
    pub team_names: HashMap<TeamId, String>,
    pub category_names: HashMap<CategoryId, String>,
    pub time_zone: String,
    pub kind: TicketKind,
}

impl IncidentReport {
    pub fn periods(&self) -> impl Iterator<Item = (String, &steward_core::reports::PeriodFigures)> {
        self.report.periods.iter().map(|p| (p.period.label(self.granularity), p))
    }

    /// A dimension value as people read it: team and category names, `P2`, "(none)" as `None`.
    pub fn label(&self, dim: Dim, value: &str) -> Option<String> {
        if value.is_empty() {
            return None;
        }
        let id = value.parse::<i64>().ok();
        Some(match dim {
            Dim::Team => {
                id.and_then(|i| self.team_names.get(&TeamId(i)).cloned()).unwrap_or_else(|| value.to_owned())
            }
            Dim::Category => id
                .and_then(|i| self.category_names.get(&CategoryId(i)).cloned())
                .unwrap_or_else(|| value.to_owned()),
            Dim::Priority => format!("P{value}"),
            _ => value.to_owned(),
        })
    }
}

/// The longest range one report covers.
const MAX_DAYS: i64 = 5 * 366;

fn parse_date(field: &'static str, s: &str) -> Result<Date> {
    s.trim().parse().map_err(|_| AppError::invalid(field, format!("`{s}` is not a date (YYYY-MM-DD)")))
}

/// The rollup view that answers `filter`: the whole desk, or a one-dimension filter; `None`
/// for two filters or more, which sum the matching tickets instead.
fn rollup_filter(f: &ReportFilter) -> Option<String> {
    let set: Vec<(Dim, String)> = [
        f.priority.map(|p| (Dim::Priority, p.to_string())),
        f.team_id.map(|t| (Dim::Team, t.to_string())),
        f.service.clone().map(|s| (Dim::Service, s)),
        f.category_id.map(|c| (Dim::Category, c.to_string())),
    ]
    .into_iter()
    .flatten()
    .collect();
    match set.as_slice() {
        [] => Some(String::new()),
        [(dim, value)] => Some(filter_key(*dim, value)),
        _ => None,
    }
}

impl crate::Reports<'_> {
    /// The report of incidents (or, as `request.kind` says, service requests) for `request`,
    /// as the actor may read it. Availability is the services' (incidents'), shown with the
    /// incident report only.
    pub async fn incident(self, actor: &Actor, request: &ReportRequest) -> Result<IncidentReport> {
        actor.require(Permission::ReadReports)?;
        let kind = request.kind.unwrap_or(TicketKind::Incident);
        if !matches!(kind, TicketKind::Incident | TicketKind::Request) {
            return Err(AppError::invalid("kind", "reports cover incidents or requests"));
        }
        let zone = &self.config.report_zone;
        let granularity = match request.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            None => Granularity::Month,
            Some(p) => Granularity::parse(p).ok_or_else(|| {
                AppError::invalid("period", format!("`{p}` is not a period: use week or month"))
            })?,
        };
        let today = zone.to_datetime(self.now()).date();
        let to = match request.to.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => parse_date("to", s)?,
            None => today,
        };
        let from = match request.from.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(s) => parse_date("from", s)?,
            None => match granularity {
                Granularity::Month => to.first_of_month().checked_sub(11.months()),
                Granularity::Week => to.checked_sub(11.weeks()),
            }
            .map_err(|e| AppError::invalid("to", e))?,
        };
        if from > to {
            return Err(AppError::invalid("from", "the report must start on or before its end (`to`)"));
        }
        if to.duration_since(from) > SignedDuration::from_hours(24 * MAX_DAYS) {
            return Err(AppError::invalid("from", "a report covers at most five years"));
        }
        if let Some(p) = request.priority {
            Priority::new(p).map_err(AppError::from)?;
        }
        let filter = ReportFilter {
            priority: request.priority,
            team_id: request.team_id,
            service: request.service.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned),
            category_id: request.category_id,
        };
        let periods = periods(from, to, granularity);
        let (Some(first), Some(last)) = (periods.first().copied(), periods.last().copied()) else {
            return Err(AppError::invalid("from", "the range holds no period"));
        };
        let whole = Period { start: first.start, end: last.end };
        let (start, end) = whole
            .instants(zone)
            .ok_or_else(|| AppError::invalid("to", "the range is outside the calendar"))?;
        let report = if let Some(key) = rollup_filter(&filter) {
            let starts: Vec<Date> = periods.iter().map(|p| p.start).collect();
            let rows = self.store.report_rows(kind, &key, &starts, last.end).await?;
            let opening = self.store.report_backlog_before(kind, &key, whole.start).await?;
            assemble(&rows, &periods, opening)
        } else {
            let rows = self.store.report_day_rows(kind, &filter, end, zone).await?;
            let opening = rows
                .iter()
                .filter(|r| r.dim == Dim::All && r.day < whole.start)
                .map(|r| r.measures.created - r.measures.ended)
                .sum();
            assemble(&rows, &periods, opening)
        };
        let availability = match kind {
            TicketKind::Incident => {
                let until = end.min(self.now()).max(start);
                availability(
                    &self.store.outages(start, until, filter.service.as_deref()).await?,
                    start,
                    until,
                )
            }
            _ => Vec::new(),
        };
        let team_names = self
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(|t| (t.team.id, t.team.name.to_string()))
            .collect();
        let category_names = self.store.categories().await?.into_iter().map(|c| (c.id, c.name)).collect();
        Ok(IncidentReport {
            from,
            to,
            granularity,
            filter,
            report,
            availability,
            team_names,
            category_names,
            time_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
            kind,
        })
    }

    /// Rebuilds the report rollup when it was built in another zone than the configured one
    /// (or never); returns how many tickets were read, `None` when nothing was needed.
    pub async fn prepare(self) -> Result<Option<u64>> {
        let name = self.config.report_zone.iana_name().unwrap_or("UTC").to_owned();
        if self.store.report_time_zone().await?.as_deref() == Some(name.as_str()) {
            return Ok(None);
        }
        Ok(Some(self.store.rebuild_reports(&self.config.report_zone, &name).await?))
    }
}

/// A histogram as Prometheus reads it: per-bucket counts (upper bound in seconds, the last
/// `f64::MAX` for +Inf), the sum in seconds and the count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub buckets: Vec<(f64, u64)>,
    pub sum: f64,
    pub count: u64,
}

/// The report figures `/metrics` exports.
#[derive(Debug, Clone, Default)]
pub struct ReportMetrics {
    /// Wall-clock time to first response, over every responded incident.
    pub time_to_acknowledge: Histogram,
    /// Wall-clock time to resolution, over every resolved incident.
    pub time_to_resolve: Histogram,
    /// Availability per service over the last 30 days.
    pub availability: Vec<Availability>,
}

fn histogram(
    bounds: &[i64],
    rows: &[(String, steward_core::reports::Measures)],
    response: bool,
) -> Histogram {
    let count_of = |m: &steward_core::reports::Measures| if response { m.responded } else { m.resolved };
    let mut h = Histogram::default();
    for le in bounds.iter().map(|b| b.to_string()).chain(["+Inf".to_owned()]) {
        let n = rows.iter().filter(|(v, _)| *v == le).map(|(_, m)| count_of(m)).sum::<i64>();
        let bound = le.parse::<f64>().unwrap_or(f64::MAX);
        h.buckets.push((bound, u64::try_from(n).unwrap_or(0)));
    }
    h.count = h.buckets.iter().map(|(_, n)| n).sum();
    h.sum = rows
        .iter()
        .map(|(_, m)| if response { m.response_wall_secs } else { m.resolution_wall_secs } as f64)
        .sum();
    h
}

impl crate::Reports<'_> {
    /// MTTA/MTTR histograms and 30-day availability, for the metrics scrape.
    pub async fn metrics(self, actor: &Actor) -> Result<ReportMetrics> {
        actor.require(Permission::ReadMetrics)?;
        let kind = TicketKind::Incident;
        let response = self.store.report_totals(kind, Dim::ResponseWithin).await?;
        let resolution = self.store.report_totals(kind, Dim::ResolutionWithin).await?;
        let to = self.now();
        let from = to.checked_sub(SignedDuration::from_hours(30 * 24)).unwrap_or(to);
        let outages = self.store.outages(from, to, None).await?;
        Ok(ReportMetrics {
            time_to_acknowledge: histogram(&steward_core::reports::RESPONSE_BUCKETS, &response, true),
            time_to_resolve: histogram(&steward_core::reports::RESOLUTION_BUCKETS, &resolution, false),
            availability: availability(&outages, from, to),
        })
    }
}
