//! `/logs/forecasts`: the rules with their last evaluation, a form to add one, delete and
//! "evaluate now" buttons.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::forecasts::NewRule;
use steward_core::identity::Permission;
use steward_store::ForecastRecord;

use crate::AppState;
use crate::extract::CurrentActor;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "forecasts.html")]
struct ForecastsPage<'a> {
    page: Page<'a>,
    rules: Vec<ForecastRecord>,
    can_manage: bool,
    prometheus: Option<String>,
}

impl ForecastsPage<'_> {
    fn hours(&self, minutes: &i64) -> String {
        crate::web::duration_text(self.page.t, *minutes)
    }
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let rules = state.app.forecasts().list(&actor).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "forecasts.title");
    Ok(render(&ForecastsPage {
        can_manage: actor.can(Permission::ManageRunbooks),
        rules,
        prometheus: state.app.config().prometheus_url.clone(),
        page,
    }))
}

#[derive(Deserialize, Default)]
pub struct ForecastForm {
    #[serde(default)]
    delete: Option<i64>,
    #[serde(default)]
    run: Option<i64>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    ci_id: String,
    #[serde(default)]
    threshold: String,
    #[serde(default)]
    breach: String,
    #[serde(default)]
    horizon_hours: String,
    #[serde(default)]
    lookback_hours: String,
}

pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<ForecastForm>,
) -> WebResult {
    let f_ = state.app.forecasts();
    const TO: &str = "/logs/forecasts";
    if let Some(id) = f.delete {
        return after_form(f_.delete(&actor, id).await, TO, Notice::Deleted);
    }
    if let Some(id) = f.run {
        return after_form(f_.run(&actor, id).await, TO, Notice::Saved);
    }
    let number = |field: &'static str, v: &str| {
        v.trim().parse::<f64>().map_err(|_| steward_app::AppError::invalid(field, "a number"))
    };
    let rule = async {
        let hours = |field: &'static str, v: &str| number(field, v).map(|h| (h * 60.0).round() as i64);
        Ok::<_, steward_app::AppError>(NewRule {
            name: f.name.clone(),
            query: f.query.clone(),
            ci_id: match f.ci_id.trim() {
                "" => None,
                v => Some(v.parse().map_err(|_| steward_app::AppError::invalid("ci_id", "a CI's number"))?),
            },
            threshold: number("threshold", &f.threshold)?,
            breach: f.breach.clone(),
            horizon_minutes: hours("horizon_minutes", &f.horizon_hours)?,
            lookback_minutes: hours("lookback_minutes", &f.lookback_hours)?,
        })
    }
    .await;
    let result = match rule {
        Ok(rule) => f_.create(&actor, rule).await.map(|_| ()),
        Err(e) => Err(e),
    };
    after_form(result, TO, Notice::Saved)
}
