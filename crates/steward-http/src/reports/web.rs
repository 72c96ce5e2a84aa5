//! The report pages: the dashboard (`/reports`) and the printable monthly management report
//! (`/reports/monthly`). Both show the same `IncidentReport` the API returns.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use jiff::SignedDuration;
use jiff::civil::Date;
use steward_app::IncidentReport;
use steward_core::ids::{CategoryId, TeamId};
use steward_core::reports::{Dim, Measures};

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiQuery, CurrentActor};
use crate::i18n::Catalog;
use crate::reports::api::{BREAKDOWNS, ReportParams};
use crate::web::charts::{Axis, Series, bars, lines};
use crate::web::{Page, WebError, WebResult, render};

/// "3 d 4 h", "2 h 5 min" in the reader's language; "—" without data.
pub fn duration(t: &Catalog, d: Option<SignedDuration>) -> String {
    d.map_or_else(|| "—".into(), |d| crate::web::duration_text(t, d.as_secs() / 60))
}

pub fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn hours(d: Option<SignedDuration>) -> Option<f64> {
    d.map(|d| d.as_secs_f64() / 3600.0)
}

/// One table row of figures.
#[derive(Clone)]
pub struct FigureRow {
    pub label: String,
    pub created: i64,
    pub resolved: i64,
    pub backlog: String,
    pub mtta_wall: String,
    pub mtta_business: String,
    pub mttr_wall: String,
    pub mttr_business: String,
    pub response: String,
    pub resolution: String,
    pub fcr: String,
    pub reopen: String,
}

impl FigureRow {
    fn of(t: &Catalog, label: String, m: &Measures, backlog: Option<i64>) -> FigureRow {
        FigureRow {
            label,
            created: m.created,
            resolved: m.resolved,
            backlog: backlog.map(|b| b.to_string()).unwrap_or_default(),
            mtta_wall: duration(t, m.mtta_wall()),
            mtta_business: duration(t, m.mtta_business()),
            mttr_wall: duration(t, m.mttr_wall()),
            mttr_business: duration(t, m.mttr_business()),
            response: percent(m.response_attainment()),
            resolution: percent(m.resolution_attainment()),
            fcr: percent(m.first_contact_rate()),
            reopen: percent(m.reopen_rate()),
        }
    }
}

pub struct Breakdown {
    pub id: String,
    pub title: String,
    pub rows: Vec<FigureRow>,
}

pub struct AvailabilityRow {
    pub service: String,
    pub percent: String,
    pub downtime: String,
    pub outages: usize,
}

/// What both report pages show.
pub struct ReportView {
    pub total: FigureRow,
    /// The total as the per-period table's last row; `no_total` for tables without one.
    pub total_row: Option<FigureRow>,
    pub no_total: Option<FigureRow>,
    pub periods: Vec<FigureRow>,
    pub breakdowns: Vec<Breakdown>,
    pub availability: Vec<AvailabilityRow>,
    pub volume_chart: String,
    pub mttr_chart: String,
    pub attainment_chart: String,
    pub from: String,
    pub to: String,
    pub time_zone: String,
}

impl ReportView {
    pub fn of(r: &IncidentReport, t: &Catalog) -> ReportView {
        let labels: Vec<String> = r.periods().map(|(l, _)| l).collect();
        let ms: Vec<&Measures> = r.report.periods.iter().map(|p| &p.measures).collect();
        let volume_chart = bars(
            "chart-volume",
            t.get("reports.volume"),
            &labels,
            &[
                Series {
                    name: t.get("reports.created"),
                    values: ms.iter().map(|m| Some(m.created as f64)).collect(),
                },
                Series {
                    name: t.get("reports.resolved"),
                    values: ms.iter().map(|m| Some(m.resolved as f64)).collect(),
                },
                Series {
                    name: t.get("reports.backlog"),
                    values: r.report.periods.iter().map(|p| Some(p.backlog as f64)).collect(),
                },
            ],
            &Axis { unit: "", caption: t.get("reports.axis_incidents"), empty: t.get("reports.no_data") },
        );
        let mttr_chart = lines(
            "chart-mttr",
            t.get("reports.mttr_trend"),
            &labels,
            &[
                Series {
                    name: t.get("reports.mttr_business"),
                    values: ms.iter().map(|m| hours(m.mttr_business())).collect(),
                },
                Series {
                    name: t.get("reports.mttr_wall"),
                    values: ms.iter().map(|m| hours(m.mttr_wall())).collect(),
                },
                Series {
                    name: t.get("reports.mtta_business"),
                    values: ms.iter().map(|m| hours(m.mtta_business())).collect(),
                },
            ],
            &Axis {
                unit: t.get("unit.h"),
                caption: t.get("reports.axis_hours"),
                empty: t.get("reports.no_data"),
            },
            None,
        );
        let pct = |f: fn(&Measures) -> Option<f64>| ms.iter().map(|m| f(m).map(|r| r * 100.0)).collect();
        let attainment_chart = lines(
            "chart-attainment",
            t.get("reports.attainment_trend"),
            &labels,
            &[
                Series {
                    name: t.get("reports.resolution_attainment"),
                    values: pct(Measures::resolution_attainment),
                },
                Series {
                    name: t.get("reports.response_attainment"),
                    values: pct(Measures::response_attainment),
                },
                Series { name: t.get("reports.fcr"), values: pct(Measures::first_contact_rate) },
            ],
            &Axis { unit: "%", caption: "%", empty: t.get("reports.no_data") },
            Some(100.0),
        );
        let none = t.get("reports.none").to_owned();
        let breakdowns = BREAKDOWNS
            .iter()
            .map(|(dim, name)| Breakdown {
                id: format!("by-{name}"),
                title: t.get(&format!("reports.by_{name}")).to_owned(),
                rows: r
                    .report
                    .by
                    .get(dim)
                    .into_iter()
                    .flatten()
                    .take(if *dim == Dim::Category { 10 } else { 50 })
                    .map(|(v, m)| FigureRow::of(t, r.label(*dim, v).unwrap_or_else(|| none.clone()), m, None))
                    .collect(),
            })
            .collect();
        let total = FigureRow::of(
            t,
            t.get("reports.total").to_owned(),
            &r.report.total,
            r.report.periods.last().map(|p| p.backlog),
        );
        ReportView {
            total_row: Some(total.clone()),
            no_total: None,
            total,
            periods: r.periods().map(|(l, p)| FigureRow::of(t, l, &p.measures, Some(p.backlog))).collect(),
            breakdowns,
            availability: r
                .availability
                .iter()
                .map(|a| AvailabilityRow {
                    service: a.service.clone(),
                    percent: format!("{:.3}%", a.ratio * 100.0),
                    downtime: duration(t, Some(a.downtime)),
                    outages: a.outages,
                })
                .collect(),
            volume_chart,
            mttr_chart,
            attainment_chart,
            from: r.from.to_string(),
            to: r.to.to_string(),
            time_zone: r.time_zone.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "reports.html")]
struct DashboardPage<'a> {
    page: Page<'a>,
    view: ReportView,
    period: &'static str,
    priority: String,
    team: String,
    service: String,
    category: String,
    teams: Vec<(TeamId, String)>,
    categories: Vec<(CategoryId, String)>,
    query: String,
    month: String,
    /// `incident` or `request`.
    kind: &'static str,
    /// The change figures of the last 30 days: (id, label, value).
    changes: Vec<(&'static str, String, String)>,
}

/// The change figures of the last 30 days in the reader's words.
pub(crate) fn change_rows(
    page: &Page<'_>,
    c: &steward_core::changes::ChangeCounts,
) -> Vec<(&'static str, String, String)> {
    let pct = |r: Option<f64>| r.map_or_else(|| "—".to_owned(), |r| format!("{:.0} %", r * 100.0));
    let t = |k: &str| page.t.get(k).to_owned();
    vec![
        ("chg-raised", t("reports.changes_raised"), c.raised.to_string()),
        ("chg-emergency", t("reports.changes_emergency"), pct(c.emergency_ratio())),
        ("chg-completed", t("reports.changes_completed"), c.completed.to_string()),
        ("chg-success", t("reports.changes_success"), pct(c.success_rate())),
        ("chg-failure", t("reports.changes_failure"), pct(c.failure_rate())),
        ("chg-deployments", t("reports.deployments_per_day"), format!("{:.1}", c.deployments_per_day(30))),
        ("chg-incidents", t("reports.changes_caused_incidents"), c.caused_incidents.to_string()),
        (
            "chg-approval",
            t("reports.approval_time"),
            c.mean_approval_secs().map_or_else(
                || "—".to_owned(),
                |s| crate::web::duration_text(page.t, (s / 60.0).round() as i64),
            ),
        ),
    ]
}

/// An optional number or id as a form field's text.
fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn sorted<K: Copy>(names: &std::collections::HashMap<K, String>) -> Vec<(K, String)> {
    let mut v: Vec<(K, String)> = names.iter().map(|(k, v)| (*k, v.clone())).collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

pub async fn dashboard(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(mut params): ApiQuery<ReportParams>,
) -> WebResult {
    // The dashboard opens on the last six months (this one and the five before it).
    if params.from.as_deref().is_none_or(|f| f.trim().is_empty()) {
        let today = state.app.config().report_zone.to_datetime(state.app.now()).date();
        let first = today.first_of_month().checked_sub(jiff::Span::new().months(5)).unwrap_or(today);
        params.from = Some(first.to_string());
    }
    let report = state.app.reports().incident(&actor, &params.request().map_err(WebError)?).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "reports.title");
    let view = ReportView::of(&report, page.t);
    let f = &report.filter;
    let changes = change_rows(&page, &state.app.changes().figures(&actor, 30).await?);
    Ok(render(&DashboardPage {
        changes,
        view,
        period: report.granularity.as_str(),
        priority: text(f.priority),
        team: text(f.team_id),
        service: f.service.clone().unwrap_or_default(),
        category: text(f.category_id),
        teams: sorted(&report.team_names),
        categories: sorted(&report.category_names),
        query: uri.query().unwrap_or_default().to_owned(),
        month: format!("{:04}-{:02}", report.to.year(), report.to.month()),
        kind: report.kind.as_str(),
        page,
    }))
}

#[derive(Template)]
#[template(path = "reports_monthly.html")]
struct MonthlyPage<'a> {
    page: Page<'a>,
    month: String,
    view: ReportView,
    trend: ReportView,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonthParams {
    month: Option<String>,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

/// `/reports/monthly?month=2026-11`: one month's figures with a six-month trend, made to print.
pub async fn monthly(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(params): ApiQuery<MonthParams>,
) -> WebResult {
    let first = match params.month.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{m}-01")
            .parse::<Date>()
            .map_err(|_| WebError(ApiError::invalid("month", format!("`{m}` is not a month (YYYY-MM)"))))?,
        None => {
            let zone = &state.app.config().report_zone;
            zone.to_datetime(state.app.now()).date().first_of_month()
        }
    };
    let last = first.last_of_month();
    let request = |from: Date, period: &str| steward_app::ReportRequest {
        from: Some(from.to_string()),
        to: Some(last.to_string()),
        period: Some(period.into()),
        ..steward_app::ReportRequest::default()
    };
    let six_back = first
        .checked_sub(jiff::Span::new().months(5))
        .map_err(|e| WebError(ApiError::invalid("month", e.to_string())))?;
    let month = state.app.reports().incident(&actor, &request(first, "month")).await?;
    let trend = state.app.reports().incident(&actor, &request(six_back, "month")).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "reports.monthly");
    Ok(render(&MonthlyPage {
        month: format!("{:04}-{:02}", first.year(), first.month()),
        view: ReportView::of(&month, page.t),
        trend: ReportView::of(&trend, page.t),
        page,
    }))
}
