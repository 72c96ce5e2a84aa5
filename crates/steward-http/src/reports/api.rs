//! `/api/v1/reports/incidents` (JSON) and `/api/v1/reports/incidents.csv`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use steward_app::{IncidentReport, ReportRequest};
use steward_core::ids::{CategoryId, TeamId};
use steward_core::reports::{Dim, Measures};
use steward_core::tickets::TicketKind;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, CurrentActor};

/// The report query string, shared by the API and the dashboard page. Every value is text so
/// that an empty form field means "any" and a bad number names its parameter.
#[derive(Debug, Default, Deserialize, Clone, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// First day, `YYYY-MM-DD` (default: a year before `to`)
    #[param(pattern = "@date_or_empty")]
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (default: today)
    #[param(pattern = "@date_or_empty")]
    pub to: Option<String>,
    /// `week` or `month` (the default)
    #[param(pattern = "@period_or_empty")]
    pub period: Option<String>,
    #[param(pattern = "@number_or_empty")]
    pub priority: Option<String>,
    /// A team id
    #[param(pattern = "@number_or_empty")]
    pub team: Option<String>,
    #[param(pattern = "@one_line")]
    pub service: Option<String>,
    /// A category id
    #[param(pattern = "@number_or_empty")]
    pub category: Option<String>,
    /// `incident` or `request`: the dashboard's switch, not in the API's document (its path
    /// names the kind; another one here is refused).
    #[param(ignore)]
    pub kind: Option<String>,
    /// The page's language switch; ignored here.
    #[serde(rename = "lang")]
    pub _lang: Option<String>,
}

fn number<T: std::str::FromStr>(field: &'static str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            s.parse().map(Some).map_err(|_| ApiError::invalid(field, format!("`{s}` is not a number")))
        }
    }
}

impl ReportParams {
    /// The kind the parameters ask for (`incident` when left out).
    pub fn kind(&self) -> Result<TicketKind, ApiError> {
        match self.kind.as_deref().map(str::trim).unwrap_or_default() {
            "" | "incident" => Ok(TicketKind::Incident),
            "request" => Ok(TicketKind::Request),
            other => {
                Err(ApiError::invalid("kind", format!("`{other}` is not a report kind: incident or request")))
            }
        }
    }

    /// The parameters for the report of `kind`, refusing a `kind` parameter that says another.
    pub fn request_of(&self, kind: TicketKind) -> Result<ReportRequest, ApiError> {
        if self.kind()? != kind && self.kind.as_deref().is_some_and(|k| !k.trim().is_empty()) {
            return Err(ApiError::invalid("kind", format!("this report is of {}s", kind.as_str())));
        }
        Ok(ReportRequest { kind: Some(kind), ..self.request()? })
    }

    pub fn request(&self) -> Result<ReportRequest, ApiError> {
        Ok(ReportRequest {
            kind: Some(self.kind()?),
            from: self.from.clone(),
            to: self.to.clone(),
            period: self.period.clone(),
            priority: number("priority", &self.priority)?,
            team_id: number("team", &self.team)?,
            service: match &self.service {
                Some(s) if s.chars().any(char::is_control) => {
                    return Err(ApiError::invalid("service", "a service name is one line of text"));
                }
                other => other.clone(),
            },
            category_id: number("category", &self.category)?,
        })
    }
}

/// The figures of one period, one breakdown value, or the whole range. Durations are seconds;
/// rates are fractions of 1; `null` where nothing was measured.
#[derive(Serialize, ToSchema)]
pub struct Figures {
    created: i64,
    resolved: i64,
    responded: i64,
    mtta_wall_secs: Option<i64>,
    mtta_business_secs: Option<i64>,
    mttr_wall_secs: Option<i64>,
    mttr_business_secs: Option<i64>,
    response_attainment: Option<f64>,
    resolution_attainment: Option<f64>,
    first_contact_rate: Option<f64>,
    reopen_rate: Option<f64>,
}

pub fn figures(m: &Measures) -> Figures {
    let secs = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs());
    Figures {
        created: m.created,
        resolved: m.resolved,
        responded: m.responded,
        mtta_wall_secs: secs(m.mtta_wall()),
        mtta_business_secs: secs(m.mtta_business()),
        mttr_wall_secs: secs(m.mttr_wall()),
        mttr_business_secs: secs(m.mttr_business()),
        response_attainment: m.response_attainment(),
        resolution_attainment: m.resolution_attainment(),
        first_contact_rate: m.first_contact_rate(),
        reopen_rate: m.reopen_rate(),
    }
}

/// The breakdown dimensions a report shows, with their JSON and CSV names.
pub const BREAKDOWNS: [(Dim, &str); 4] = [
    (Dim::Priority, "priority"),
    (Dim::Team, "team"),
    (Dim::Service, "service"),
    (Dim::Category, "category"),
];

/// One week or month.
#[derive(Serialize, ToSchema)]
pub struct PeriodRow {
    /// As people read it: `2026-W48`, `2026-11`.
    period: String,
    start: String,
    end: String,
    /// Open at the end of the period.
    backlog: i64,
    #[serde(flatten)]
    figures: Figures,
}

/// One value of a breakdown (a priority, a team, …) over the whole range.
#[derive(Serialize, ToSchema)]
pub struct BreakdownRow {
    /// The stored value (a team's id, `P2`'s 2); empty for none.
    value: String,
    /// The value as people read it: the team's name, `P2`; `null` for none.
    label: Option<String>,
    #[serde(flatten)]
    figures: Figures,
}

/// The filter a report was made with (`null`: any).
#[derive(Serialize, ToSchema)]
#[schema(as = ReportFilter)]
pub struct ReportFilterJson {
    priority: Option<i64>,
    team: Option<TeamId>,
    service: Option<String>,
    category: Option<CategoryId>,
}

/// A business service's availability over the range, from its major incidents.
#[derive(Serialize, ToSchema)]
pub struct AvailabilityRow {
    service: String,
    availability: f64,
    downtime_secs: i64,
    outages: usize,
}

/// The incident report: volume, backlog, MTTA/MTTR, SLA attainment per period and breakdown.
#[derive(Serialize, ToSchema)]
#[schema(as = IncidentReport)]
pub struct IncidentReportJson {
    from: String,
    to: String,
    /// `week` or `month`.
    period: &'static str,
    time_zone: String,
    filter: ReportFilterJson,
    periods: Vec<PeriodRow>,
    total: Figures,
    availability: Vec<AvailabilityRow>,
    by_priority: Vec<BreakdownRow>,
    by_team: Vec<BreakdownRow>,
    by_service: Vec<BreakdownRow>,
    by_category: Vec<BreakdownRow>,
}

pub fn report_json(r: &IncidentReport) -> IncidentReportJson {
    let breakdown = |dim: Dim| -> Vec<BreakdownRow> {
        r.report
            .by
            .get(&dim)
            .map(|rows| {
                rows.iter()
                    .map(|(value, m)| BreakdownRow {
                        value: value.clone(),
                        label: r.label(dim, value),
                        figures: figures(m),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    IncidentReportJson {
        from: r.from.to_string(),
        to: r.to.to_string(),
        period: r.granularity.as_str(),
        time_zone: r.time_zone.clone(),
        filter: ReportFilterJson {
            priority: r.filter.priority,
            team: r.filter.team_id,
            service: r.filter.service.clone(),
            category: r.filter.category_id,
        },
        periods: r
            .periods()
            .map(|(label, p)| PeriodRow {
                period: label,
                start: p.period.start.to_string(),
                end: p.period.end.to_string(),
                backlog: p.backlog,
                figures: figures(&p.measures),
            })
            .collect(),
        total: figures(&r.report.total),
        availability: r
            .availability
            .iter()
            .map(|a| AvailabilityRow {
                service: a.service.clone(),
                availability: a.ratio,
                downtime_secs: a.downtime.as_secs(),
                outages: a.outages,
            })
            .collect(),
        by_priority: breakdown(Dim::Priority),
        by_team: breakdown(Dim::Team),
        by_service: breakdown(Dim::Service),
        by_category: breakdown(Dim::Category),
    }
}

pub async fn incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<IncidentReportJson>> {
    let report = state.app.reports().incident(&actor, &params.request_of(TicketKind::Incident)?).await?;
    Ok(Json(report_json(&report)))
}

/// `GET /api/v1/reports/requests`: the same figures over service requests.
pub async fn requests(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<IncidentReportJson>> {
    let report = state.app.reports().incident(&actor, &params.request_of(TicketKind::Request)?).await?;
    Ok(Json(report_json(&report)))
}

/// The report as CSV: one row per period, then one per value of each breakdown.
pub fn report_csv(r: &IncidentReport) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "section",
        "value",
        "label",
        "created",
        "resolved",
        "backlog",
        "mtta_wall_secs",
        "mtta_business_secs",
        "mttr_wall_secs",
        "mttr_business_secs",
        "response_attainment",
        "resolution_attainment",
        "first_contact_rate",
        "reopen_rate",
    ])?;
    let row = |section: &str, value: &str, label: &str, m: &Measures, backlog: Option<i64>| -> Vec<String> {
        let secs = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs().to_string()).unwrap_or_default();
        let pct = |r: Option<f64>| r.map(|r| format!("{r:.4}")).unwrap_or_default();
        vec![
            section.to_owned(),
            value.to_owned(),
            label.to_owned(),
            m.created.to_string(),
            m.resolved.to_string(),
            backlog.map(|b| b.to_string()).unwrap_or_default(),
            secs(m.mtta_wall()),
            secs(m.mtta_business()),
            secs(m.mttr_wall()),
            secs(m.mttr_business()),
            pct(m.response_attainment()),
            pct(m.resolution_attainment()),
            pct(m.first_contact_rate()),
            pct(m.reopen_rate()),
        ]
    };
    for (label, p) in r.periods() {
        w.write_record(row(
            r.granularity.as_str(),
            &p.period.start.to_string(),
            &label,
            &p.measures,
            Some(p.backlog),
        ))?;
    }
    w.write_record(row("total", "", "", &r.report.total, None))?;
    for (dim, name) in BREAKDOWNS {
        for (value, m) in r.report.by.get(&dim).into_iter().flatten() {
            w.write_record(row(name, value, &r.label(dim, value).unwrap_or_default(), m, None))?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

pub async fn incidents_csv(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    csv_of(&state, &actor, params.request_of(TicketKind::Incident)?).await
}

pub async fn requests_csv(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    csv_of(&state, &actor, params.request_of(TicketKind::Request)?).await
}

async fn csv_of(state: &AppState, actor: &steward_app::Actor, request: ReportRequest) -> ApiResult<Response> {
    let report = state.app.reports().incident(actor, &request).await?;
    let body = report_csv(&report).map_err(|e| ApiError::from(steward_app::AppError::Internal(e.into())))?;
    let what = if report.kind == TicketKind::Request { "requests" } else { "incidents" };
    let name = format!("attachment; filename=\"{what}-{}-{}.csv\"", report.from, report.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)],
        body,
    )
        .into_response())
}
