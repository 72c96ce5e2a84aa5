//! `/api/v1/reports/incidents` (JSON) and `/api/v1/reports/incidents.csv`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use steward_app::{IncidentReport, ReportRequest};
use steward_core::reports::{Dim, Measures};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, CurrentActor};

/// The report query string, shared by the API and the dashboard page. Every value is text so
/// that an empty form field means "any" and a bad number names its parameter.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub period: Option<String>,
    pub priority: Option<String>,
    pub team: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
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
    pub fn request(&self) -> Result<ReportRequest, ApiError> {
        Ok(ReportRequest {
            from: self.from.clone(),
            to: self.to.clone(),
            period: self.period.clone(),
            priority: number("priority", &self.priority)?,
            team_id: number("team", &self.team)?,
            service: self.service.clone(),
            category_id: number("category", &self.category)?,
        })
    }
}

/// The figures of one period or one dimension value, as JSON.
pub fn figures(m: &Measures) -> Value {
    let secs = |d: Option<jiff::SignedDuration>| d.map(|d| d.as_secs());
    json!({
        "created": m.created,
        "resolved": m.resolved,
        "responded": m.responded,
        "mtta_wall_secs": secs(m.mtta_wall()),
        "mtta_business_secs": secs(m.mtta_business()),
        "mttr_wall_secs": secs(m.mttr_wall()),
        "mttr_business_secs": secs(m.mttr_business()),
        "response_attainment": m.response_attainment(),
        "resolution_attainment": m.resolution_attainment(),
        "first_contact_rate": m.first_contact_rate(),
        "reopen_rate": m.reopen_rate(),
    })
}

/// The breakdown dimensions a report shows, with their JSON and CSV names.
pub const BREAKDOWNS: [(Dim, &str); 4] = [
    (Dim::Priority, "priority"),
    (Dim::Team, "team"),
    (Dim::Service, "service"),
    (Dim::Category, "category"),
];

pub fn report_json(r: &IncidentReport) -> Value {
    let periods: Vec<Value> = r
        .periods()
        .map(|(label, p)| {
            let mut v = figures(&p.measures);
            v["period"] = json!(label);
            v["start"] = json!(p.period.start.to_string());
            v["end"] = json!(p.period.end.to_string());
            v["backlog"] = json!(p.backlog);
            v
        })
        .collect();
    let mut out = json!({
        "from": r.from.to_string(),
        "to": r.to.to_string(),
        "period": r.granularity.as_str(),
        "time_zone": r.time_zone,
        "filter": {
            "priority": r.filter.priority, "team": r.filter.team_id,
            "service": r.filter.service, "category": r.filter.category_id,
        },
        "periods": periods,
        "total": figures(&r.report.total),
        "availability": r.availability.iter().map(|a| json!({
            "service": a.service, "availability": a.ratio, "downtime_secs": a.downtime.as_secs(), "outages": a.outages,
        })).collect::<Vec<_>>(),
    });
    for (dim, name) in BREAKDOWNS {
        let rows: Vec<Value> = r
            .report
            .by
            .get(&dim)
            .map(|rows| {
                rows.iter()
                    .map(|(value, m)| {
                        let mut v = figures(m);
                        v["value"] = json!(value);
                        v["label"] = json!(r.label(dim, value));
                        v
                    })
                    .collect()
            })
            .unwrap_or_default();
        out[format!("by_{name}")] = json!(rows);
    }
    out
}

pub async fn incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<Value>> {
    let report = state.app.reports().incident(&actor, &params.request()?).await?;
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
    let report = state.app.reports().incident(&actor, &params.request()?).await?;
    let body = report_csv(&report).map_err(|e| ApiError::from(steward_app::AppError::Internal(e.into())))?;
    let name = format!("attachment; filename=\"incidents-{}-{}.csv\"", report.from, report.to);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, name)],
        body,
    )
        .into_response())
}
