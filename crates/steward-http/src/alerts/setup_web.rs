//! `/alerts/rules` (the rules, a form for a new one) and the maintenance windows' forms (the
//! windows are listed on the silences page).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::AppError;
use steward_store::AlertRuleRecord;

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "alert_rules.html")]
struct RulesPage<'a> {
    page: Page<'a>,
    rules: Vec<AlertRuleRecord>,
    /// Whether the reader may add and delete rules.
    admin: bool,
}

pub async fn rules(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let rules = state.app.alerts().rules(&actor).await?;
    let admin = actor.can(steward_core::identity::Permission::ManageDirectory);
    let page = Page::new(&state, &actor, &headers, &uri, "rules.title");
    Ok(render(&RulesPage { page, rules, admin }))
}

#[derive(serde::Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    matchers: String,
    #[serde(default)]
    opens: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    resolve: String,
}

fn level(field: &'static str, text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t => t.parse().map(Some).map_err(|_| AppError::invalid(field, "1 (high) to 3 (low)")),
    }
}

pub async fn create_rule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<RuleForm>,
) -> WebResult {
    let result = async {
        let matchers: Vec<String> = f.matchers.lines().map(str::to_owned).collect();
        let levels = (level("impact", &f.impact)?, level("urgency", &f.urgency)?);
        state.app.alerts().create_rule(&actor, &f.name, &matchers, f.opens != "no", levels, &f.resolve).await
    }
    .await;
    after_form(result, "/alerts/rules", Notice::Saved)
}

pub async fn delete_rule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let result = state.app.alerts().delete_rule(&actor, id).await;
    after_form(result, "/alerts/rules", Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct WindowForm {
    /// The CI by name (or hostname / address), as the silences page's box takes it.
    #[serde(default)]
    ci: String,
    #[serde(default)]
    duration: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    change_ref: String,
}

pub async fn create_window(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<WindowForm>,
) -> WebResult {
    let result = async {
        let name = f.ci.trim().to_owned();
        let ci = state
            .app
            .store()
            .cis_named(std::slice::from_ref(&name))
            .await?
            .get(&name)
            .copied()
            .ok_or_else(|| AppError::invalid("ci_id", "no configuration item has this name"))?;
        let minutes = crate::sla::parse_minutes(&f.duration)
            .filter(|m| (1..=44_640).contains(m))
            .ok_or_else(|| AppError::invalid("duration", "a duration such as 2 h, up to 31 days"))?;
        let starts = state.app.now();
        let ends = starts.checked_add(jiff::SignedDuration::from_mins(minutes)).unwrap_or(starts);
        let change = Some(f.change_ref.as_str()).filter(|c| !c.trim().is_empty());
        state.app.alerts().schedule_maintenance(&actor, ci, (starts, ends), &f.reason, change).await
    }
    .await;
    after_form(result, "/alerts/silences", Notice::Saved)
}

pub async fn end_window(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let result = state.app.alerts().end_maintenance(&actor, id).await;
    after_form(result, "/alerts/silences", Notice::Saved)
}
