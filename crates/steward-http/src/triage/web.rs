//! `/triage`: the newest training (when, on how many incidents, held-out accuracy per field,
//! what could not be learned), "train now" for admins, and a box to try a text; and the
//! suggestions an agent sees on an incident's page, each with a button to apply it.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::triage::Suggested;
use steward_app::{Actor, AppError, IncidentPatch};
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, TeamId, TicketId};
use steward_core::tickets::Ticket;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, render, rerender};

/// A suggested field's name on the pages.
fn field_key(field: &str) -> &'static str {
    match field {
        "category" => "incident.category",
        "service" => "incident.service",
        "team" => "incident.team",
        _ => "incident.priority",
    }
}

/// One suggestion as a page shows it.
pub(crate) struct IncidentSuggestion {
    pub field: &'static str,
    pub field_key: &'static str,
    pub value: String,
    pub label: String,
    pub percent: u32,
    /// Whether a button applies it (priority follows impact and urgency instead).
    pub applicable: bool,
}

fn shown(s: Suggested) -> IncidentSuggestion {
    IncidentSuggestion {
        field: s.field,
        field_key: field_key(s.field),
        applicable: s.field != "priority",
        percent: (s.confidence * 100.0).round() as u32,
        value: s.value,
        label: s.label,
    }
}

/// What the classifier suggests for an incident that differs from what it has, for an agent
/// who works it; empty before any training (the page says nothing then).
pub(crate) async fn for_incident(
    state: &AppState,
    actor: &Actor,
    t: &Ticket,
) -> Result<Vec<IncidentSuggestion>, AppError> {
    if !actor.can(Permission::WorkTickets) || !t.state.is_open() {
        return Ok(Vec::new());
    }
    let found = match state.app.triage().suggest(actor, &t.title, &t.description).await {
        Ok(found) => found,
        Err(AppError::Invalid { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let has = |s: &Suggested| match s.field {
        "category" => t.category_id.map(|c| c.to_string()) == Some(s.value.clone()),
        "team" => t.team_id.map(|c| c.to_string()) == Some(s.value.clone()),
        "service" => t.service.as_deref() == Some(s.value.as_str()),
        _ => t.priority.get().to_string() == s.value,
    };
    Ok(found.into_iter().filter(|s| !has(s)).map(shown).collect())
}

#[derive(Template)]
#[template(path = "triage.html")]
struct TriagePage<'a> {
    page: Page<'a>,
    /// When the newest model was trained and on how many, in the reader's language.
    trained: Option<String>,
    /// (field's label key, held-out accuracy in percent).
    accuracy: Vec<(&'static str, String)>,
    /// Fields without a classifier, and why, in the reader's language.
    untrained: Vec<String>,
    can_train: bool,
    /// The confidence at which suggestions are applied to new incidents, in percent.
    threshold: Option<u32>,
    form: TriageForm,
    suggestions: Vec<IncidentSuggestion>,
}

#[derive(Deserialize, Default)]
pub struct TriageForm {
    #[serde(default)]
    train: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
}

async fn triage_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    form: TriageForm,
    tried: Option<Result<Vec<Suggested>, AppError>>,
) -> WebResult {
    let report = state.app.triage().report(actor).await?;
    let mut page = Page::new(state, actor, headers, uri, "triage.title");
    let (suggestions, error) = match tried {
        Some(Ok(found)) => (found.into_iter().map(shown).collect(), None),
        Some(Err(e)) => (Vec::new(), Some(e)),
        None => (Vec::new(), None),
    };
    let failed = rerender(&mut page, error)?;
    let t = page.t;
    let (trained, accuracy, untrained) = match report {
        Some((at, r)) => (
            Some(
                t.get("triage.trained")
                    .replace("{at}", &page.minute(at))
                    .replace("{examples}", &r.examples.to_string())
                    .replace("{held_out}", &r.held_out.to_string()),
            ),
            r.accuracy.iter().map(|(f, a)| (field_key(f), format!("{:.0} %", a * 100.0))).collect(),
            r.gaps
                .iter()
                .map(|g| {
                    let why = match g.have {
                        Some(have) => t
                            .get("triage.too_few")
                            .replace("{have}", &have.to_string())
                            .replace("{needed}", &steward_app::triage::MIN_EXAMPLES.to_string()),
                        None => t.get("triage.one_value").to_owned(),
                    };
                    format!("{}: {why}", t.get(field_key(&g.field)))
                })
                .collect(),
        ),
        None => (None, Vec::new(), Vec::new()),
    };
    let html = render(&TriagePage {
        trained,
        accuracy,
        untrained,
        can_train: actor.can(Permission::ManageRunbooks),
        threshold: state.app.config().triage_threshold.map(|t| (t * 100.0).round() as u32),
        form,
        suggestions,
        page,
    });
    answer(html, failed)
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    actor.require(Permission::ReadReports)?;
    triage_page(&state, &actor, &headers, &uri, TriageForm::default(), None).await
}

/// "Train now", or a text to try.
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<TriageForm>,
) -> WebResult {
    if f.train.is_some() {
        let result = state.app.triage().train(Some(&actor)).await;
        return after_form(result, "/triage", Notice::Saved);
    }
    actor.require(Permission::ReadReports)?;
    let tried = match f.title.trim() {
        "" => Err(AppError::invalid("title", "type a title to try")),
        title => state.app.triage().suggest(&actor, title, &f.description).await,
    };
    triage_page(&state, &actor, &headers, &uri, f, Some(tried)).await
}

/// Applying one suggestion on an incident's page.
#[derive(Deserialize, Default)]
pub struct ApplyForm {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: String,
    version: Option<i64>,
}

pub async fn apply(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<ApplyForm>,
) -> WebResult {
    let id_of = |v: &str| v.trim().parse::<i64>().map_err(|_| AppError::invalid("value", "not an id"));
    let patch = match f.field.as_str() {
        "category" => id_of(&f.value).map(|c| IncidentPatch {
            category_id: Some(Some(CategoryId(c))),
            subcategory_id: Some(None),
            ..IncidentPatch::default()
        }),
        "team" => id_of(&f.value)
            .map(|t| IncidentPatch { team_id: Some(Some(TeamId(t))), ..IncidentPatch::default() }),
        "service" => Ok(IncidentPatch { service: Some(Some(f.value.clone())), ..IncidentPatch::default() }),
        _ => Err(AppError::invalid("field", "category, team or service")),
    };
    let result = match patch {
        Ok(patch) => state.app.incidents().update(&actor, id, f.version, patch).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(result, &format!("/incidents/{id}"), Notice::Saved)
}
