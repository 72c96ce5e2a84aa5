//! `/api/v1/logs/*`: templates, their lines per minute and hosts, lines, hosts.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use serde::Deserialize;
use steward_core::logs::Level;
use steward_store::{LineFilter, TemplateFilter};
use utoipa::IntoParams;

use super::json::*;
use crate::AppState;
use crate::api::Items;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, CurrentActor};

pub(crate) fn instant(field: &'static str, v: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    match v.map(str::trim) {
        None => Ok(None),
        Some(v) => v
            .parse::<Timestamp>()
            .map(Some)
            .map_err(|_| ApiError::invalid(field, format!("{field} must be an RFC 3339 instant, not `{v}`"))),
    }
}

/// A level by its own word (senders may write `err` or `WARN`; a query names it exactly).
pub(crate) fn level(v: Option<&str>) -> Result<Option<Level>, ApiError> {
    match v.map(str::trim) {
        None => Ok(None),
        Some(v) => Level::ALL.iter().copied().find(|l| l.as_str() == v).map(Some).ok_or_else(|| {
            ApiError::invalid(
                "level",
                "expected emergency, alert, critical, error, warning, notice, info or debug",
            )
        }),
    }
}

/// A text parameter (words, a host name): one line, no control characters.
pub(crate) fn line(field: &'static str, v: &Option<String>) -> Result<Option<String>, ApiError> {
    match v.as_deref().map(str::trim) {
        None => Ok(None),
        Some("") => Err(ApiError::invalid(field, "leave it out rather than empty")),
        Some(v) if v.chars().any(char::is_control) => Err(ApiError::invalid(field, "no control characters")),
        Some(v) if v.chars().count() > 200 => Err(ApiError::invalid(field, "at most 200 characters")),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// Shared by the API and the explorer page (whose links also carry `lang`), so unknown
/// parameters are ignored.
#[derive(Deserialize, IntoParams, Default)]
pub struct TemplatesQuery {
    /// Words the template contains.
    #[param(max_length = 200, pattern = "@line")]
    pub q: Option<String>,
    /// Only templates seen from this host.
    #[param(max_length = 200, pattern = "@line")]
    pub host: Option<String>,
    /// The window, in hours back from now (1–8760); default 24.
    #[param(minimum = 1, maximum = 8760)]
    pub hours: Option<u32>,
    /// At least this severe.
    #[param(pattern = "^(emergency|alert|critical|error|warning|notice|info|debug)$")]
    pub level: Option<String>,
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// A form's empty field means "any": the pages drop them before the API's checks.
fn given(v: Option<String>) -> Option<String> {
    v.filter(|v| !v.trim().is_empty())
}

impl TemplatesQuery {
    /// The query without empty fields (as a page's form sends them).
    pub(crate) fn without_blanks(self) -> Self {
        TemplatesQuery { q: given(self.q), host: given(self.host), level: given(self.level), ..self }
    }

    pub(crate) fn filter(&self, now: Timestamp) -> Result<TemplateFilter, ApiError> {
        let hours = self.hours.unwrap_or(24);
        if !(1..=8760).contains(&hours) {
            return Err(ApiError::invalid("hours", "hours must be 1–8760"));
        }
        if self.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
            return Err(ApiError::invalid("limit", "limit must be 1–1000"));
        }
        Ok(TemplateFilter {
            text: line("q", &self.q)?,
            host: line("host", &self.host)?,
            since: Some(now - jiff::SignedDuration::from_hours(i64::from(hours))),
            level: level(self.level.as_deref())?,
            limit: self.limit.unwrap_or(200).clamp(1, 1000),
        })
    }
}

pub async fn templates(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<TemplatesQuery>,
) -> ApiResult<Json<Items<LogTemplateJson>>> {
    let found = state.app.logs().templates(&actor, &q.filter(state.app.now())?).await?;
    Ok(Json(Items::of(found.iter(), LogTemplateJson::from)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TemplateQuery {
    /// The window of the per-minute counts, in hours back from now (1–720); default 24.
    #[param(minimum = 1, maximum = 720)]
    pub hours: Option<u32>,
}

pub async fn template(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<TemplateQuery>,
) -> ApiResult<Json<LogTemplateDetailJson>> {
    let hours = q.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::invalid("hours", "hours must be 1–720"));
    }
    let now = state.app.now();
    let from = now - jiff::SignedDuration::from_hours(i64::from(hours));
    let detail = state.app.logs().template(&actor, id, from, now).await?;
    Ok(Json((&detail).into()))
}

/// Shared by the API and the lines page, as [`TemplatesQuery`].
#[derive(Deserialize, IntoParams, Default)]
pub struct LinesQuery {
    pub template: Option<i64>,
    #[param(max_length = 200, pattern = "@line")]
    pub host: Option<String>,
    /// Text the line contains.
    #[param(max_length = 200, pattern = "@line")]
    pub q: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// RFC 3339.
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// At least this severe.
    #[param(pattern = "^(emergency|alert|critical|error|warning|notice|info|debug)$")]
    pub level: Option<String>,
    #[param(minimum = 1, maximum = 5000)]
    pub limit: Option<usize>,
}

impl LinesQuery {
    /// The query without empty fields (as a page's form sends them).
    pub(crate) fn without_blanks(self) -> Self {
        LinesQuery {
            host: given(self.host),
            q: given(self.q),
            since: given(self.since),
            until: given(self.until),
            level: given(self.level),
            ..self
        }
    }

    pub(crate) fn filter(&self) -> Result<LineFilter, ApiError> {
        if self.limit.is_some_and(|l| !(1..=5000).contains(&l)) {
            return Err(ApiError::invalid("limit", "limit must be 1–5000"));
        }
        Ok(LineFilter {
            template: self.template,
            host: line("host", &self.host)?,
            since: instant("since", self.since.as_deref())?,
            until: instant("until", self.until.as_deref())?,
            text: line("q", &self.q)?,
            level: level(self.level.as_deref())?,
            limit: self.limit.unwrap_or(200).clamp(1, 5000),
        })
    }
}

pub async fn lines(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<LinesQuery>,
) -> ApiResult<Json<Items<LogLineJson>>> {
    let found = state.app.logs().lines(&actor, &q.filter()?).await?;
    Ok(Json(Items::of(found.iter(), LogLineJson::from)))
}

pub async fn hosts(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Items<LogHostJson>>> {
    let found = state.app.logs().hosts(&actor).await?;
    Ok(Json(Items::of(found.iter(), LogHostJson::from)))
}
