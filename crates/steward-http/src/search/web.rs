//! `/search`: the header box's page, hits grouped by kind, with filters.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::search::{Hit, Kind};

use super::api::{SearchParams, href};
use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::web::{Page, WebResult, answer, render, rerender};

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    page: Page<'a>,
    q: String,
    kind: String,
    from: String,
    to: String,
    /// (kind, its hits)
    groups: Vec<(&'static str, Vec<(String, Hit)>)>,
    total: usize,
    searched: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct PageParams {
    #[serde(default)]
    q: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(p): ApiQuery<PageParams>,
) -> WebResult {
    let mut page = Page::new(&state, &actor, &headers, &uri, "search.title");
    let mut groups: Vec<(&'static str, Vec<(String, Hit)>)> = Vec::new();
    let (mut total, mut error) = (0, None);
    let searched = !p.q.trim().is_empty();
    if searched {
        let params = SearchParams {
            q: p.q.clone(),
            kind: Some(p.kind.clone()).filter(|k| !k.is_empty()),
            state: None,
            team: None,
            from: Some(p.from.clone()),
            to: Some(p.to.clone()),
            prefix: false,
            limit: Some(60),
            _lang: None,
        };
        let found = match params.query() {
            Ok(q) => state.app.search().query(&actor, &q).await,
            Err(e) => {
                let field =
                    ["kind", "from", "to", "limit"].into_iter().find(|f| e.field.as_deref() == Some(*f));
                Err(steward_app::AppError::invalid(field.unwrap_or("q"), e.message))
            }
        };
        match found {
            Ok(results) => {
                total = results.total;
                for kind in Kind::ALL {
                    let hits: Vec<(String, Hit)> = results
                        .hits
                        .iter()
                        .filter(|h| h.kind == *kind)
                        .map(|h| (href(h), h.clone()))
                        .collect();
                    if !hits.is_empty() {
                        groups.push((kind.as_str(), hits));
                    }
                }
            }
            Err(e) => error = Some(e),
        }
    }
    let failed = rerender(&mut page, error)?;
    let q = p.q.chars().take(1000).collect();
    answer(
        render(&SearchPage { page, q, kind: p.kind, from: p.from, to: p.to, groups, total, searched }),
        failed,
    )
}
