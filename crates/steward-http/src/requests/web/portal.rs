//! The requester's portal (issue 23): a simple layout of its own, search-first. The home asks
//! "How can we help?" and answers as one types (articles, known errors, the catalogue, one's
//! own open incidents); an answer that solved it is counted as a deflection. Then the
//! catalogue, my requests and incidents, approvals waiting for me, and announcements.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use steward_app::requests::{Announcement, Answered, PortalAnswers};
use steward_core::tickets::{State as TicketState, Ticket, TicketKind};
use steward_store::{ItemRecord, TicketQuery};

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::incidents::web::state_key;
use crate::web::{Page, WebForm, WebResult, render};

/// The catalogue's items grouped by category, in order.
pub(super) fn by_category(items: Vec<ItemRecord>) -> Vec<(String, Vec<ItemRecord>)> {
    let mut groups: BTreeMap<String, Vec<ItemRecord>> = BTreeMap::new();
    for i in items.into_iter().filter(|i| i.input.active && i.version > 0) {
        groups.entry(i.input.category.clone()).or_default().push(i);
    }
    groups.into_iter().collect()
}

#[derive(Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "portal_answers.html")]
struct AnswersFragment<'a> {
    page: Page<'a>,
    q: String,
    answers: PortalAnswers,
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomePage<'a> {
    page: Page<'a>,
    q: String,
    answers: PortalAnswers,
    announcements: Vec<Announcement>,
    waiting: Vec<(Ticket, i64)>,
    open: Vec<Ticket>,
    categories: Vec<(String, Vec<ItemRecord>)>,
    /// Resolutions waiting for the reader's rating, and the month's NPS survey.
    ratings: Vec<steward_app::surveys::CsatWaiting>,
    nps: Option<steward_store::NpsRecord>,
    stars: [(i64, &'static str); 5],
    scale: [i64; 11],
}

fn query_text(q: &str) -> String {
    q.trim().chars().take(500).collect()
}

/// `GET /portal?q=…`: the portal's home.
pub async fn home(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> WebResult {
    let q = query_text(&p.q);
    let requests = state.app.requests();
    let answers = requests.portal_search(&actor, &q).await?;
    let mut open: Vec<Ticket> =
        requests.mine(&actor).await?.into_iter().filter(|t| t.state.is_open()).collect();
    let mut incidents = TicketQuery::new(TicketKind::Incident);
    incidents.requester_id = Some(actor.user.id);
    incidents.states =
        vec![TicketState::New, TicketState::Assigned, TicketState::InProgress, TicketState::OnHold];
    incidents.descending = true;
    incidents.limit = 20;
    open.extend(state.app.incidents().list(&actor, &incidents).await?.items);
    open.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
    open.truncate(10);
    let page = Page::new(&state, &actor, &headers, &uri, "portal.home");
    Ok(render(&HomePage {
        page,
        q,
        answers,
        announcements: requests.announcements(&actor).await?,
        waiting: requests.awaiting_me(&actor).await?,
        open,
        categories: by_category(state.app.catalogue().list(&actor).await?),
        ratings: state.app.surveys().csat_waiting(&actor).await?,
        nps: state.app.surveys().nps_waiting(&actor).await?,
        stars: crate::surveys::web::STARS,
        scale: crate::surveys::web::SCALE,
    }))
}

/// `GET /portal/answers?q=…`: the answers alone, as the home's box refreshes them while one types.
pub async fn answers(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> WebResult {
    let q = query_text(&p.q);
    let answers = state.app.requests().portal_search(&actor, &q).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "portal.home");
    Ok(render(&AnswersFragment { page, q, answers }))
}

#[derive(Template)]
#[template(path = "portal_catalogue.html")]
struct CataloguePage<'a> {
    page: Page<'a>,
    categories: Vec<(String, Vec<ItemRecord>)>,
}

/// `GET /portal/catalogue`.
pub async fn catalogue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let categories = by_category(state.app.catalogue().list(&actor).await?);
    let page = Page::new(&state, &actor, &headers, &uri, "portal.catalogue");
    Ok(render(&CataloguePage { page, categories }))
}

#[derive(Template)]
#[template(path = "portal_article.html")]
struct ArticlePage<'a> {
    page: Page<'a>,
    id: i64,
    q: String,
    title: String,
    body_html: String,
}

/// `GET /portal/articles/{id}?q=…`: an answer, with "this solved it".
pub async fn article(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> WebResult {
    let view = state.app.knowledge().get(&actor, id).await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "portal.articles");
    page.title.clone_from(&view.shown.title);
    Ok(render(&ArticlePage {
        page,
        id,
        q: query_text(&p.q),
        title: view.shown.title.clone(),
        body_html: steward_app::markdown::to_safe_html(&view.shown.body),
    }))
}

#[derive(Deserialize)]
pub struct DeflectionForm {
    #[serde(default)]
    article: Option<i64>,
    #[serde(default)]
    known_error: Option<i64>,
    #[serde(default)]
    q: String,
}

/// `POST /portal/deflections`: the answer solved it; back home with thanks.
pub async fn deflected(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<DeflectionForm>,
) -> WebResult {
    let answered = match (f.article, f.known_error) {
        (Some(a), None) => Answered::Article(a),
        (None, Some(k)) => Answered::KnownError(k),
        _ => {
            return Err(
                steward_app::AppError::invalid("article", "name the article or the known error").into()
            );
        }
    };
    state.app.requests().deflected(&actor, answered, &f.q).await?;
    Ok(Redirect::to("/portal?notice=deflected").into_response())
}

struct MineRow {
    ticket: Ticket,
    href: String,
    state_key: &'static str,
    /// The resolution clock as a badge.
    sla: Option<crate::incidents::web::SlaBadge>,
}

#[derive(Template)]
#[template(path = "portal_requests.html")]
struct MinePage<'a> {
    page: Page<'a>,
    rows: Vec<MineRow>,
}

/// `GET /portal/requests`: my requests and incidents, newest first.
pub async fn mine(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let mut tickets = state.app.requests().mine(&actor).await?;
    let mut incidents = TicketQuery::new(TicketKind::Incident);
    incidents.requester_id = Some(actor.user.id);
    incidents.descending = true;
    incidents.limit = 100;
    tickets.extend(state.app.incidents().list(&actor, &incidents).await?.items);
    let page = Page::new(&state, &actor, &headers, &uri, "portal.mine");
    // Every row's clocks at once: the rules and the histories in a few queries.
    let clocks = state.app.sla().of_incidents(&actor, &tickets).await?;
    let mut rows: Vec<MineRow> = tickets
        .into_iter()
        .zip(clocks)
        .map(|(t, sla)| MineRow {
            href: match t.kind {
                TicketKind::Request => format!("/requests/{}", t.id),
                _ => format!("/incidents/{}", t.id),
            },
            state_key: state_key(t.state),
            sla: sla.map(|s| crate::incidents::web::sla_badge(&page, &s.resolution)),
            ticket: t,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.ticket.updated_at));
    Ok(render(&MinePage { page, rows }))
}

#[derive(Template)]
#[template(path = "portal_approvals.html")]
struct ApprovalsPage<'a> {
    page: Page<'a>,
    waiting: Vec<(Ticket, i64)>,
}

/// `GET /portal/approvals`: requests waiting for my decision.
pub async fn approvals(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let waiting = state.app.requests().awaiting_me(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "portal.approvals");
    Ok(render(&ApprovalsPage { page, waiting }))
}
