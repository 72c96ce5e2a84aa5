//! The log explorer: `/logs` (templates by lines in a window, filtered by words, host and
//! level), `/logs/templates/{id}` (a template's frequency chart, hosts and recent lines) and
//! `/logs/lines` (lines by template, host, text, level and time).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use steward_app::logs::TemplateDetail;
use steward_core::logs::Level;
use steward_store::{LogHostRecord, LogTemplateRecord, LogUsage, StoredLine};

use super::api::{LinesQuery, TemplatesQuery};
use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::charts::{Axis, Series, bars};
use crate::web::{Page, WebError, WebResult, render};

/// The windows offered, in hours.
const WINDOWS: [u32; 4] = [1, 24, 168, 720];

#[derive(Template)]
#[template(path = "logs.html")]
struct ExplorerPage<'a> {
    page: Page<'a>,
    templates: Vec<LogTemplateRecord>,
    hosts: Vec<LogHostRecord>,
    usage: LogUsage,
    q: String,
    host: String,
    hours: u32,
    level: String,
    windows: &'static [u32],
    levels: &'static [Level],
}

impl ExplorerPage<'_> {
    fn window_name(&self, hours: &u32) -> String {
        window_name(&self.page, *hours)
    }

    fn megabytes(&self, bytes: &i64) -> String {
        format!("{:.1} MB", *bytes as f64 / 1_000_000.0)
    }
}

fn window_name(page: &Page, hours: u32) -> String {
    match hours {
        1 => page.t.get("logs.window_hour").to_owned(),
        24 => page.t.get("logs.window_day").to_owned(),
        168 => page.t.get("logs.window_week").to_owned(),
        _ => page.t.get("logs.window_month").to_owned(),
    }
}

pub async fn explorer(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<TemplatesQuery>,
) -> WebResult {
    let q = q.without_blanks();
    let filter = q.filter(state.app.now()).map_err(WebError)?;
    let templates = state.app.logs().templates(&actor, &filter).await?;
    let hosts = state.app.logs().hosts(&actor).await?;
    let usage = state.app.logs().usage(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.logs");
    Ok(render(&ExplorerPage {
        page,
        templates,
        hosts,
        usage,
        q: q.q.unwrap_or_default(),
        host: q.host.unwrap_or_default(),
        hours: q.hours.unwrap_or(24),
        level: filter.level.map(|l| l.as_str().to_owned()).unwrap_or_default(),
        windows: &WINDOWS,
        levels: &Level::ALL,
    }))
}

#[derive(Deserialize, Default)]
pub struct TemplatePageQuery {
    hours: Option<u32>,
}

#[derive(Template)]
#[template(path = "log_template.html")]
struct TemplatePage<'a> {
    page: Page<'a>,
    detail: TemplateDetail,
    chart: String,
    lines: Vec<StoredLine>,
    hours: u32,
    windows: &'static [u32],
}

impl TemplatePage<'_> {
    fn window_name(&self, hours: &u32) -> String {
        window_name(&self.page, *hours)
    }

    fn at(&self, line: &StoredLine) -> String {
        line_time(&self.page, line)
    }
}

fn line_time(page: &Page, line: &StoredLine) -> String {
    Timestamp::from_millisecond(line.at_ms)
        .map(|t| t.to_zoned_datetime(page.zone.clone()).strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

pub async fn template(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TemplatePageQuery>,
) -> WebResult {
    let hours = q.hours.filter(|h| WINDOWS.contains(h)).unwrap_or(24);
    let now = state.app.now();
    let from = now - SignedDuration::from_hours(i64::from(hours));
    let detail = state.app.logs().template(&actor, id, from, now).await?;
    let filter =
        steward_store::LineFilter { template: Some(detail.template.id), limit: 50, ..Default::default() };
    let lines = state.app.logs().lines(&actor, &filter).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "logs.template");
    let chart = frequency_chart(&page, &detail, from, now, hours);
    Ok(render(&TemplatePage { page, detail, chart, lines, hours, windows: &WINDOWS }))
}

/// Lines per bucket over the window: minutes for an hour, hours for a day, days beyond.
fn frequency_chart(page: &Page, d: &TemplateDetail, from: Timestamp, to: Timestamp, hours: u32) -> String {
    let bucket_minutes: i64 = match hours {
        0..=2 => 1,
        3..=48 => 60,
        _ => 1440,
    };
    let first = from.as_second().div_euclid(60 * bucket_minutes);
    let last = to.as_second().div_euclid(60 * bucket_minutes);
    let count = (last - first + 1).clamp(1, 800) as usize;
    let mut values = vec![0.0; count];
    for (minute, lines) in &d.minutes {
        let i = minute.div_euclid(bucket_minutes) - first;
        if let Some(v) = usize::try_from(i).ok().and_then(|i| values.get_mut(i)) {
            *v += *lines as f64;
        }
    }
    let format = match bucket_minutes {
        1 | 60 => "%H:%M",
        _ => "%m-%d",
    };
    let labels: Vec<String> = (0..count as i64)
        .map(|i| {
            Timestamp::from_second((first + i) * 60 * bucket_minutes)
                .map(|t| t.to_zoned_datetime(page.zone.clone()).strftime(format).to_string())
                .unwrap_or_default()
        })
        .collect();
    let name = page.t.get("logs.lines");
    let series = [Series { name, values: values.into_iter().map(Some).collect() }];
    let caption = match bucket_minutes {
        1 => page.t.get("logs.per_minute"),
        60 => page.t.get("logs.per_hour"),
        _ => page.t.get("logs.per_day"),
    };
    let axis = Axis { unit: "", caption, empty: page.t.get("logs.no_lines") };
    bars("frequency", page.t.get("logs.frequency"), &labels, &series, &axis)
}

#[derive(Template)]
#[template(path = "log_lines.html")]
struct LinesPage<'a> {
    page: Page<'a>,
    lines: Vec<StoredLine>,
    query: LinesQuery,
    levels: &'static [Level],
}

impl LinesPage<'_> {
    fn at(&self, line: &StoredLine) -> String {
        line_time(&self.page, line)
    }

    fn text<'s>(&self, v: &'s Option<String>) -> &'s str {
        v.as_deref().unwrap_or("")
    }
}

pub async fn lines(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<LinesQuery>,
) -> WebResult {
    let q = q.without_blanks();
    let filter = q.filter().map_err(WebError)?;
    let lines = state.app.logs().lines(&actor, &filter).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "logs.lines_title");
    Ok(render(&LinesPage { page, lines, query: q, levels: &Level::ALL }))
}
