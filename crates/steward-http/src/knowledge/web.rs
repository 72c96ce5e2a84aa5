//! The knowledge pages: `/kb` (list), the article page with its versions, diff, workflow and
//! "was this helpful?", the form to write or edit one (kept, with a 422, when a save is
//! refused — a version conflict loses no work), and attaching articles to tickets.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use steward_app::knowledge::{ArticleView, NewArticle};
use steward_app::{Actor, AppError};
use steward_core::ids::TicketId;
use steward_core::knowledge::{ArticleState, Content, DiffLine, Step, article_number};
use steward_store::{ArticleFilter, ArticleRecord, ArticleVersion};

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender};

#[derive(Template)]
#[template(path = "kb.html")]
struct ListPage<'a> {
    page: Page<'a>,
    rows: Vec<ArticleRecord>,
    writer: bool,
    state: String,
    q: String,
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    q: String,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> WebResult {
    let chosen = match q.state.trim() {
        "" => None,
        s => Some(ArticleState::parse(s).map_err(AppError::from)?),
    };
    let filter = ArticleFilter { state: chosen, limit: 500, ..ArticleFilter::default() };
    let words: Vec<String> = q.q.split_whitespace().map(str::to_lowercase).take(20).collect();
    let rows = state
        .app
        .knowledge()
        .list(&actor, filter)
        .await?
        .into_iter()
        .filter(|a| {
            let text =
                format!("{} {} {}", article_number(a.id), a.content.title, a.content.tags).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .take(200)
        .collect();
    let writer = actor.can(steward_core::identity::Permission::WorkTickets);
    let page = Page::new(&state, &actor, &headers, &uri, "nav.kb");
    Ok(render(&ListPage { page, rows, writer, state: q.state, q: q.q.chars().take(200).collect() }))
}

#[derive(Template)]
#[template(path = "kb_article.html")]
struct ArticlePage<'a> {
    page: Page<'a>,
    v: ArticleView,
    number: String,
    body_html: String,
    versions: Vec<ArticleVersion>,
    names: HashMap<steward_core::ids::UserId, String>,
    /// The workflow steps open now.
    steps: Vec<&'static str>,
    /// The ticket it was written from: (link, number).
    source: Option<(String, String)>,
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let v = state.app.knowledge().get(&actor, id).await?;
    let versions = match v.writer {
        true => state.app.knowledge().versions(&actor, id).await?,
        false => Vec::new(),
    };
    let names = state.app.directory().names().await?.users.into_iter().map(|(id, (_, d))| (id, d)).collect();
    let steps = match (v.writer, v.record.state) {
        (false, _) => vec![],
        (true, ArticleState::Draft) => vec!["submit", "retire"],
        (true, ArticleState::Review) => vec!["publish", "reject", "retire"],
        (true, ArticleState::Published) => vec!["retire"],
        (true, ArticleState::Retired) => vec![],
    };
    let source = match v.record.source_ticket_id.filter(|_| v.writer) {
        Some(t) => state.app.store().ticket(t).await.map_err(AppError::from)?.map(|t| {
            let area =
                if t.kind == steward_core::tickets::TicketKind::Problem { "problems" } else { "incidents" };
            (format!("/{area}/{}", t.id), t.number)
        }),
        None => None,
    };
    let mut page = Page::new(&state, &actor, &headers, &uri, "nav.kb");
    page.title = v.shown.title.clone();
    let body_html = steward_app::markdown::to_safe_html(&v.shown.body);
    Ok(render(&ArticlePage {
        page,
        number: article_number(id),
        body_html,
        v,
        versions,
        names,
        steps,
        source,
    }))
}

/// What the article form holds.
#[derive(serde::Deserialize, Default, Clone)]
pub struct ArticleForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    review_by: String,
    #[serde(default)]
    source_ticket_id: String,
    #[serde(default)]
    version: String,
}

impl ArticleForm {
    fn of(c: &Content, version: Option<i64>) -> ArticleForm {
        ArticleForm {
            title: c.title.clone(),
            body: c.body.clone(),
            lang: c.lang.as_str().to_owned(),
            audience: c.audience.as_str().to_owned(),
            category: c.category.clone(),
            tags: c.tags.to_string(),
            review_by: c.review_by.map(|d| d.to_string()).unwrap_or_default(),
            source_ticket_id: String::new(),
            version: version.map(|v| v.to_string()).unwrap_or_default(),
        }
    }

    fn content(&self) -> Result<Content, AppError> {
        let tags: Vec<String> =
            self.tags.split([' ', ',']).filter(|t| !t.is_empty()).map(str::to_owned).collect();
        Content::parse(
            &self.title,
            &self.body,
            Some(&self.lang),
            &self.audience,
            &self.category,
            &tags,
            Some(&self.review_by),
        )
        .map_err(AppError::from)
    }
}

#[derive(Template)]
#[template(path = "kb_form.html")]
struct FormPage<'a> {
    page: Page<'a>,
    typed: ArticleForm,
    /// Where the form posts: `/kb` or `/kb/{id}`.
    action: String,
}

async fn form_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: ArticleForm,
    action: String,
    error: Option<AppError>,
) -> WebResult {
    actor.require(steward_core::identity::Permission::WorkTickets)?;
    let mut page = Page::new(state, actor, headers, uri, if action == "/kb" { "kb.new" } else { "kb.edit" });
    let failed = rerender(&mut page, error)?;
    answer(render(&FormPage { page, typed, action }), failed)
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    /// The incident or problem to write up.
    ticket: Option<TicketId>,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<NewQuery>,
) -> WebResult {
    let typed = match q.ticket {
        Some(t) => {
            let draft = state.app.knowledge().draft_from(&actor, t).await?;
            ArticleForm { source_ticket_id: t.to_string(), ..ArticleForm::of(&draft, None) }
        }
        None => ArticleForm::default(),
    };
    form_page(&state, &actor, &headers, &uri, typed, "/kb".into(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<ArticleForm>,
) -> WebResult {
    let result = async {
        let source = crate::incidents::web::opt_id::<TicketId>("source_ticket_id", &f.source_ticket_id)?;
        state
            .app
            .knowledge()
            .create(&actor, NewArticle { content: f.content()?, source_ticket: source })
            .await
    }
    .await;
    match result {
        Ok(a) => Ok(Redirect::to(&format!("/kb/{}", a.id)).into_response()),
        Err(e) => form_page(&state, &actor, &headers, &uri, f, "/kb".into(), Some(e)).await,
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let v = state.app.knowledge().get(&actor, id).await?;
    let typed = ArticleForm::of(&v.record.content, Some(v.record.version));
    form_page(&state, &actor, &headers, &uri, typed, format!("/kb/{id}"), None).await
}

/// `POST /kb/{id}`: the next version. A conflict shows the form again with what was typed.
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<ArticleForm>,
) -> WebResult {
    let result = async {
        let version = crate::incidents::web::opt_id::<i64>("version", &f.version)?;
        state.app.knowledge().edit(&actor, id, version, f.content()?).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/kb/{id}?notice=saved")).into_response()),
        Err(e) => form_page(&state, &actor, &headers, &uri, f, format!("/kb/{id}"), Some(e)).await,
    }
}

#[derive(serde::Deserialize)]
pub struct StepForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    comment: String,
    version: Option<i64>,
}

pub async fn workflow(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<StepForm>,
) -> WebResult {
    let result = async {
        let action = Step::parse(&f.action).map_err(AppError::from)?;
        state.app.knowledge().step(&actor, id, f.version, action, Some(&f.comment)).await
    }
    .await;
    after_form(result, &format!("/kb/{id}"), Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct RollbackForm {
    to_version: i64,
    version: Option<i64>,
}

pub async fn rollback(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<RollbackForm>,
) -> WebResult {
    let result = state.app.knowledge().rollback(&actor, id, f.version, f.to_version).await;
    after_form(result, &format!("/kb/{id}"), Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct FeedbackForm {
    #[serde(default)]
    helpful: String,
}

pub async fn feedback(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<FeedbackForm>,
) -> WebResult {
    let result = state.app.knowledge().rate(&actor, id, f.helpful == "yes").await;
    after_form(result, &format!("/kb/{id}"), Notice::Saved)
}

#[derive(Template)]
#[template(path = "kb_diff.html")]
struct DiffPage<'a> {
    page: Page<'a>,
    id: i64,
    number: String,
    from: i64,
    to: i64,
    lines: Vec<DiffLine>,
}

#[derive(serde::Deserialize)]
pub struct DiffQuery {
    from: i64,
    to: i64,
    #[serde(rename = "lang")]
    _lang: Option<String>,
}

pub async fn diff(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> WebResult {
    let lines = state.app.knowledge().diff(&actor, id, q.from, q.to).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "kb.diff");
    Ok(render(&DiffPage { page, id, number: article_number(id), from: q.from, to: q.to, lines }))
}

#[derive(serde::Deserialize)]
pub struct AttachForm {
    #[serde(default)]
    article: String,
    /// Where to go back to.
    #[serde(default)]
    back: String,
}

/// `POST /tickets/{id}/articles`: attach an article, given by number (KB000042) or id.
pub async fn attach(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(ticket): ApiPath<TicketId>,
    WebForm(f): WebForm<AttachForm>,
) -> WebResult {
    let word = f.article.trim().to_uppercase();
    let id = word.trim_start_matches("KB").parse::<i64>().unwrap_or(0);
    let result = state.app.knowledge().attach(&actor, ticket, id).await;
    let back = match f.back.as_str() {
        "problem" => format!("/problems/{ticket}"),
        _ => format!("/incidents/{ticket}"),
    };
    after_form(result, &back, Notice::Saved)
}
