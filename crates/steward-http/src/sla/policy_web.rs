//! SLA policies in the UI (issue 17): add, edit and delete. An edit or a deletion applies to
//! tickets opened from then on; older tickets keep the targets they were opened with. A
//! refused save shows the form again with what was typed.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use steward_app::sla::NewPolicy;
use steward_app::{Actor, AppError};
use steward_core::identity::Permission;
use steward_core::ids::{CalendarId, CategoryId, TeamId};
use steward_core::tickets::HoldReason;
use steward_store::PolicyRecord;

use super::web::parse_minutes;
use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::incidents::web::{hold_key, opt_id};
use crate::web::{Notice, Page, WebError, WebForm, WebResult, after_form, answer, render, rerender};

/// The policy form's fields as typed (durations as people write them: "4 h", "1 d 16 h").
#[derive(Default, Clone)]
pub struct PolicyForm {
    name: String,
    rank: String,
    priority: String,
    category_id: String,
    service: String,
    organisation: String,
    calendar_id: String,
    response: String,
    resolution: String,
    update: String,
    pause: Vec<String>,
    warn_at: String,
    breach_team_id: String,
    /// `incident` or `request`.
    kind: String,
    item_id: String,
}

impl PolicyForm {
    fn of(p: &PolicyRecord, t: &crate::i18n::Catalog) -> PolicyForm {
        let text = |m: Option<i64>| m.map(|m| exact_duration(t, m)).unwrap_or_default();
        let id = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        PolicyForm {
            name: p.name.clone(),
            rank: p.rank.to_string(),
            priority: id(p.priority),
            category_id: id(p.category_id.map(CategoryId::get)),
            service: p.service.clone().unwrap_or_default(),
            organisation: p.organisation.clone().unwrap_or_default(),
            calendar_id: p.calendar_id.to_string(),
            response: text(p.response_minutes),
            resolution: text(Some(p.resolution_minutes)),
            update: text(p.update_minutes),
            pause: p.pause_reasons.clone(),
            warn_at: p.warn_at.iter().map(i64::to_string).collect::<Vec<_>>().join(" "),
            breach_team_id: id(p.breach_team_id.map(TeamId::get)),
            kind: p.kind.clone(),
            item_id: id(p.item_id),
        }
    }

    fn parse(pairs: &[(String, String)]) -> PolicyForm {
        let one =
            |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
        PolicyForm {
            name: one("name"),
            rank: one("rank"),
            priority: one("priority"),
            category_id: one("category_id"),
            service: one("service"),
            organisation: one("organisation"),
            calendar_id: one("calendar_id"),
            response: one("response"),
            resolution: one("resolution"),
            update: one("update"),
            pause: pairs.iter().filter(|(k, _)| k == "pause").map(|(_, v)| v.clone()).collect(),
            warn_at: one("warn_at"),
            breach_team_id: one("breach_team_id"),
            kind: one("kind"),
            item_id: one("item_id"),
        }
    }

    /// The policy the form describes, or which field is wrong.
    fn input(&self) -> Result<NewPolicy, AppError> {
        let minutes = |field: &'static str, text: &str| -> Result<Option<i64>, AppError> {
            match text.trim() {
                "" => Ok(None),
                t => parse_minutes(t)
                    .map(Some)
                    .ok_or_else(|| AppError::invalid(field, format!("`{t}` is not a duration"))),
            }
        };
        let rank = match self.rank.trim() {
            "" => 100,
            r => r.parse().map_err(|_| AppError::invalid("rank", "a rank is a whole number"))?,
        };
        let warn_at = self
            .warn_at
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
            .map(|w| {
                w.trim_end_matches('%')
                    .parse()
                    .map_err(|_| AppError::invalid("warn_at", "percentages, 1 to 99"))
            })
            .collect::<Result<Vec<i64>, _>>()?;
        // The form offers the approval wait to every policy ("requests only"); an incident
        // policy never waits for approval, so the box means nothing there.
        let request = self.kind.trim() == "request";
        let approval = steward_core::sla::PausePolicy::AWAITING_APPROVAL;
        let pause = self.pause.iter().filter(|p| request || p.as_str() != approval).cloned().collect();
        Ok(NewPolicy {
            name: self.name.clone(),
            rank,
            priority: opt_id("priority", &self.priority)?,
            category_id: opt_id("category_id", &self.category_id)?,
            calendar_id: opt_id("calendar_id", &self.calendar_id)?
                .ok_or_else(|| AppError::invalid("calendar_id", "choose a calendar"))?,
            response_minutes: minutes("response_minutes", &self.response)?,
            resolution_minutes: minutes("resolution_minutes", &self.resolution)?,
            pause_reasons: Some(pause),
            service: Some(self.service.clone()),
            organisation: Some(self.organisation.clone()),
            update_minutes: minutes("update_minutes", &self.update)?,
            warn_at: Some(warn_at),
            breach_team_id: opt_id("breach_team_id", &self.breach_team_id)?,
            kind: Some(self.kind.clone()),
            item_id: opt_id("item_id", &self.item_id)?,
        })
    }
}

/// A duration for a form to send back: every unit that is not zero, so nothing is rounded
/// away on a save (`duration_text` leaves minutes out beside days).
fn exact_duration(t: &crate::i18n::Catalog, minutes: i64) -> String {
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let parts = [(d, "unit.d"), (h, "unit.h"), (m, "unit.min")];
    let text: Vec<String> =
        parts.iter().filter(|(n, _)| *n != 0).map(|(n, u)| format!("{n} {}", t.get(u))).collect();
    if text.is_empty() { format!("0 {}", t.get("unit.min")) } else { text.join(" ") }
}

#[derive(Template)]
#[template(path = "sla_policy.html")]
struct PolicyPage<'a> {
    page: Page<'a>,
    /// `None`: a new policy.
    id: Option<i64>,
    form: PolicyForm,
    calendars: Vec<(CalendarId, String)>,
    categories: Vec<(CategoryId, String)>,
    teams: Vec<(TeamId, String)>,
    holds: Vec<(&'static str, &'static str)>,
    /// The catalogue's items, for a request policy's condition.
    items: Vec<(i64, String)>,
}

impl PolicyPage<'_> {
    fn is(&self, typed: &str, value: &dyn std::fmt::Display) -> bool {
        typed.trim() == value.to_string()
    }

    fn pauses(&self, reason: &str) -> bool {
        self.form.pause.iter().any(|p| p == reason)
    }
}

async fn policy_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: Option<i64>,
    form: Option<PolicyForm>,
    error: Option<AppError>,
) -> WebResult {
    actor.require(Permission::ManageDirectory).map_err(WebError::from)?;
    let mut page = Page::new(
        state,
        actor,
        headers,
        uri,
        if id.is_some() { "sla.edit_policy" } else { "sla.new_policy" },
    );
    let form = match (form, id) {
        (Some(f), _) => f,
        (None, Some(id)) => {
            let policies = state.app.sla().policies(actor).await?;
            let p = policies.iter().find(|p| p.id == id).ok_or(AppError::NotFound("policy"))?;
            PolicyForm::of(p, page.t)
        }
        (None, None) => PolicyForm {
            rank: "100".into(),
            kind: "incident".into(),
            pause: HoldReason::ALL
                .iter()
                .filter(|h| **h != HoldReason::AwaitingChange)
                .map(|h| h.as_str())
                .chain([steward_core::sla::PausePolicy::AWAITING_APPROVAL])
                .map(str::to_owned)
                .collect(),
            warn_at: "75".into(),
            ..PolicyForm::default()
        },
    };
    let failed = rerender(&mut page, error)?;
    let names = state.app.directory().names().await?;
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let html = render(&PolicyPage {
        id,
        form,
        calendars: state.app.sla().calendars(actor).await?.into_iter().map(|c| (c.id, c.name)).collect(),
        categories: state
            .app
            .incidents()
            .categories(actor)
            .await?
            .into_iter()
            .filter(|c| c.parent_id.is_none() && c.active)
            .map(|c| (c.id, c.name))
            .collect(),
        teams,
        holds: HoldReason::ALL
            .iter()
            .map(|h| (h.as_str(), hold_key(*h)))
            .chain([(steward_core::sla::PausePolicy::AWAITING_APPROVAL, "sla.awaiting_approval")])
            .collect(),
        items: state
            .app
            .catalogue()
            .list(actor)
            .await?
            .into_iter()
            .map(|i| {
                let zh = page.lang_is_zh();
                (i.id, if zh { i.input.name_zh.unwrap_or(i.input.name) } else { i.input.name })
            })
            .collect(),
        page,
    });
    answer(html, failed)
}

pub async fn new_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    policy_page(&state, &actor, &headers, &uri, None, None, None).await
}

pub async fn policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    policy_page(&state, &actor, &headers, &uri, Some(id), None, None).await
}

pub async fn create_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let form = PolicyForm::parse(&pairs);
    let result = match form.input() {
        Ok(input) => state.app.sla().create_policy(&actor, input).await,
        Err(e) => Err(e),
    };
    after_policy_form(&state, &actor, &headers, &uri, None, form, result).await
}

pub async fn update_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
    WebForm(pairs): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let form = PolicyForm::parse(&pairs);
    let result = match form.input() {
        Ok(input) => state.app.sla().update_policy(&actor, id, input).await.map(|_| id),
        Err(e) => Err(e),
    };
    after_policy_form(&state, &actor, &headers, &uri, Some(id), form, result).await
}

async fn after_policy_form(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: Option<i64>,
    form: PolicyForm,
    result: Result<i64, AppError>,
) -> WebResult {
    match result {
        Ok(_) => Ok(Redirect::to("/admin/sla?notice=saved").into_response()),
        Err(e) if crate::web::form_errors::users_to_fix(&e) => {
            policy_page(state, actor, headers, uri, id, Some(form), Some(e)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_policy(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    after_form(state.app.sla().delete_policy(&actor, id).await, "/admin/sla", Notice::Deleted)
}
