//! The search and suggestion API.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use steward_app::search::SearchQuery;
use steward_app::search::{Hit, Kind, Results};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiQuery, CurrentActor};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to look for: words in Chinese or English, or a number (INC000042, KB000007)
    #[param(min_length = 1, max_length = 1000, pattern = "@nonblank_text")]
    pub q: String,
    /// Kinds, comma-separated: `incident`, `problem`, `article`, `published_article`, `ci`, `person`
    #[param(pattern = "@search_kinds")]
    pub kind: Option<String>,
    /// States, comma-separated (`new`, `known_error`, `published`, …)
    pub state: Option<String>,
    /// Tickets of this team
    pub team: Option<i64>,
    /// Created on or after this day (`2026-11-01`)
    #[param(format = Date)]
    pub from: Option<String>,
    /// Created before this day
    #[param(format = Date)]
    pub to: Option<String>,
    /// Search-as-you-type: the last word may be unfinished
    #[serde(default)]
    pub prefix: bool,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
    #[serde(rename = "lang")]
    #[param(ignore)]
    pub _lang: Option<String>,
}

fn day(field: &'static str, text: Option<&str>) -> Result<Option<jiff::Timestamp>, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => {
            let date: jiff::civil::Date =
                t.parse().map_err(|_| ApiError::invalid(field, "a day such as 2026-11-01"))?;
            let at = jiff::tz::TimeZone::UTC
                .to_timestamp(date.at(0, 0, 0, 0))
                .map_err(|_| ApiError::invalid(field, "a day such as 2026-11-01"))?;
            Ok(Some(at))
        }
    }
}

/// A query as typed: not blank, no control characters but tabs and line breaks.
fn words(field: &'static str, text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::invalid(field, "type something to search for"));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(ApiError::invalid(field, "a query may not contain control characters"));
    }
    Ok(())
}

impl SearchParams {
    pub fn query(&self) -> Result<SearchQuery, ApiError> {
        words("q", &self.q)?;
        let list = |s: &Option<String>| -> Vec<String> {
            s.as_deref()
                .unwrap_or_default()
                .split(',')
                .map(|k| k.trim().to_owned())
                .filter(|k| !k.is_empty())
                .collect()
        };
        let mut kinds = Vec::new();
        for k in list(&self.kind) {
            kinds.push(Kind::parse(&k).ok_or_else(|| {
                ApiError::invalid(
                    "kind",
                    format!("unknown kind `{}`", k.chars().take(40).collect::<String>()),
                )
            })?);
        }
        let limit = self.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(ApiError::invalid("limit", "1 to 100"));
        }
        Ok(SearchQuery {
            text: self.q.clone(),
            kinds,
            states: list(&self.state),
            team: self.team,
            created_from: day("from", self.from.as_deref())?,
            created_to: day("to", self.to.as_deref())?,
            prefix: self.prefix,
            limit,
        })
    }
}

/// One hit.
#[derive(Serialize, ToSchema)]
#[schema(as = SearchHit)]
pub struct HitJson {
    /// `incident`, `problem`, `article`, `published_article`, `ci` or `person`.
    kind: &'static str,
    id: i64,
    number: String,
    title: String,
    /// The title with the matched words in `<b>`, HTML-escaped.
    title_html: String,
    /// A passage with the matched words in `<b>`, HTML-escaped.
    snippet_html: String,
    state: String,
    /// Where it is shown in the web UI.
    href: String,
    score: f32,
}

pub fn href(h: &Hit) -> String {
    match h.kind {
        Kind::Incident => format!("/incidents/{}", h.id),
        Kind::Problem => format!("/problems/{}", h.id),
        Kind::Article | Kind::PublishedArticle => format!("/kb/{}", h.id),
        Kind::Ci => format!("/cmdb/{}", h.id),
        Kind::Person => format!("/users/{}", h.id),
    }
}

impl From<&Hit> for HitJson {
    fn from(h: &Hit) -> HitJson {
        HitJson {
            kind: h.kind.as_str(),
            id: h.id,
            number: h.number.clone(),
            title: h.title.clone(),
            title_html: h.title_html.clone(),
            snippet_html: h.snippet_html.clone(),
            state: h.state.clone(),
            href: href(h),
            score: h.score,
        }
    }
}

/// The hits, best first.
#[derive(Serialize, ToSchema)]
pub struct SearchAnswer {
    items: Vec<HitJson>,
    /// How many hits (at most `limit`).
    total: usize,
}

pub async fn search(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchAnswer>> {
    // The page's form sends an empty day for "any"; through the API a day is a day.
    for (field, day) in [("from", &p.from), ("to", &p.to)] {
        if day.as_deref().is_some_and(|d| d.trim().is_empty()) {
            return Err(ApiError::invalid(field, "a day like 2026-11-01"));
        }
    }
    let results = state.app.search().query(&actor, &p.query()?).await?;
    Ok(Json(SearchAnswer { items: results.hits.iter().map(HitJson::from).collect(), total: results.total }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SuggestParams {
    /// The title typed so far
    #[param(min_length = 1, max_length = 1000, pattern = "@nonblank_text")]
    pub text: String,
    /// The ticket being written whose duplicates to leave out
    pub except: Option<i64>,
}

/// What the form shows beside the title.
#[derive(Serialize, ToSchema)]
pub struct Suggestions {
    /// Problems in known error, with their workaround.
    known_errors: Vec<HitJson>,
    articles: Vec<HitJson>,
    /// Open incidents that may be the same (possible duplicates).
    incidents: Vec<HitJson>,
}

/// `GET /api/v1/suggestions?text=…`: up to five of each, from what the caller may see.
pub async fn suggestions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(p): ApiQuery<SuggestParams>,
) -> ApiResult<Json<Suggestions>> {
    words("text", &p.text)?;
    if p.text.len() > steward_app::search::MAX_QUERY_BYTES {
        return Err(ApiError::invalid("text", "type 1 to 1,000 bytes of a title"));
    }
    let found = state.app.search().suggest(&actor, &p.text, p.except).await?;
    let keep = |r: &Results| -> Vec<HitJson> { r.hits.iter().map(HitJson::from).collect() };
    Ok(Json(Suggestions {
        known_errors: keep(&found.known_errors),
        articles: keep(&found.articles),
        incidents: keep(&found.incidents),
    }))
}
