//! The review pages: the review of one incident (impact, findings, action items, timeline),
//! its printable form, and `/reviews` with every open action item.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use steward_app::AppError;
use steward_app::reviews::ReviewView;
use steward_core::ids::{TicketId, UserId};
use steward_core::reviews::{ActionState, Findings, NewAction};
use steward_core::tickets::Ticket;
use steward_store::ActionRecord;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

struct Names(std::collections::HashMap<UserId, String>);

impl Names {
    fn of(&self, id: &UserId) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| format!("#{id}"))
    }
}

async fn names(state: &AppState) -> Result<Names, AppError> {
    Ok(Names(state.app.directory().names().await?.users.into_iter().map(|(id, (_, d))| (id, d)).collect()))
}

fn today(state: &AppState) -> jiff::civil::Date {
    jiff::tz::TimeZone::UTC.to_datetime(state.app.now()).date()
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage<'a> {
    page: Page<'a>,
    v: ReviewView,
    names: Names,
    agents: Vec<(UserId, String)>,
    today: jiff::civil::Date,
    duration: String,
}

#[derive(Template)]
#[template(path = "review_print.html")]
struct PrintPage<'a> {
    page: Page<'a>,
    v: ReviewView,
    names: Names,
    duration: String,
}

impl PrintPage<'_> {
    /// The written parts with their headings' keys.
    fn parts(&self) -> Vec<(&'static str, &str)> {
        let f = &self.v.review.findings;
        vec![
            ("review.summary", f.summary.as_str()),
            ("review.went_well", f.went_well.as_str()),
            ("review.went_badly", f.went_badly.as_str()),
            ("review.factors", f.factors.as_str()),
        ]
    }
}

fn duration(t: &crate::i18n::Catalog, v: &ReviewView) -> String {
    crate::web::duration_text(t, v.impact.duration.as_secs() / 60)
}

impl ReviewPage<'_> {
    fn overdue(&self, a: &ActionRecord) -> bool {
        steward_core::reviews::overdue(a.state, a.due, self.today)
    }
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    let v = state.app.reviews().get(&actor, id).await?;
    let all = state.app.directory().names().await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "review.title");
    page.title = format!("{} · {}", page.t.get("review.title"), v.incident.number);
    let duration = duration(page.t, &v);
    Ok(render(&ReviewPage {
        page,
        v,
        names: names(&state).await?,
        agents: all.assignable,
        today: today(&state),
        duration,
    }))
}

pub async fn print(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    let v = state.app.reviews().get(&actor, id).await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "review.title");
    page.title = format!("{} · {}", page.t.get("review.title"), v.incident.number);
    let duration = duration(page.t, &v);
    Ok(render(&PrintPage { page, v, names: names(&state).await?, duration }))
}

pub async fn open(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    match state.app.reviews().open(&actor, id).await {
        Ok(_) | Err(AppError::Conflict { field: None, .. }) => {
            Ok(Redirect::to(&format!("/incidents/{id}/review")).into_response())
        }
        Err(e) => after_form(Err::<(), _>(e), &format!("/incidents/{id}"), Notice::Saved),
    }
}

#[derive(serde::Deserialize)]
pub struct FindingsForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    users_affected: String,
    #[serde(default)]
    went_well: String,
    #[serde(default)]
    went_badly: String,
    #[serde(default)]
    factors: String,
    version: Option<i64>,
}

pub async fn findings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<FindingsForm>,
) -> WebResult {
    let result = async {
        let users = crate::incidents::web::opt_id::<i64>("users_affected", &f.users_affected)?;
        let findings = Findings::parse(&f.summary, users, &f.went_well, &f.went_badly, &f.factors)
            .map_err(AppError::from)?;
        state.app.reviews().edit(&actor, id, f.version, findings).await
    }
    .await;
    after_form(result, &format!("/incidents/{id}/review"), Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    owner_id: String,
    #[serde(default)]
    due: String,
}

pub async fn add_action(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<ActionForm>,
) -> WebResult {
    let result = async {
        let owner = crate::incidents::web::opt_id::<UserId>("owner_id", &f.owner_id)?
            .ok_or_else(|| AppError::invalid("owner_id", "choose who owns the action"))?;
        let action = NewAction::parse(&f.title, owner, &f.due).map_err(AppError::from)?;
        state.app.reviews().add_action(&actor, id, action).await
    }
    .await;
    after_form(result, &format!("/incidents/{id}/review"), Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    state: String,
    /// Where to go back to: `reviews` for the list, else the review.
    #[serde(default)]
    back: String,
}

pub async fn move_action(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<MoveForm>,
) -> WebResult {
    let result = async {
        let to = ActionState::parse(&f.state).map_err(AppError::from)?;
        state.app.reviews().move_action(&actor, id, to).await
    }
    .await;
    let back = match (&result, f.back.as_str()) {
        (_, "reviews") => "/reviews".to_owned(),
        (Ok(a), _) => format!("/incidents/{}/review", a.incident_id),
        (Err(_), _) => "/reviews".to_owned(),
    };
    after_form(result, &back, Notice::Saved)
}

#[derive(Template)]
#[template(path = "reviews.html")]
struct ListPage<'a> {
    page: Page<'a>,
    reviews: Vec<(Ticket, usize, usize)>,
    actions: Vec<(ActionRecord, Ticket)>,
    names: Names,
    today: jiff::civil::Date,
}

impl ListPage<'_> {
    fn overdue(&self, a: &ActionRecord) -> bool {
        steward_core::reviews::overdue(a.state, a.due, self.today)
    }
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let reviews = state.app.reviews().list(&actor).await?;
    let actions = state.app.reviews().open_actions(&actor, None).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.reviews");
    Ok(render(&ListPage { page, reviews, actions, names: names(&state).await?, today: today(&state) }))
}
