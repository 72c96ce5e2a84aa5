//! `/admin/subscriptions`: the subscriptions, a form for a new one, and the deliveries with
//! their dead letters to send again.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::AppError;
use steward_app::subscriptions::NewSubscription;
use steward_core::alerts::Matcher;
use steward_core::identity::Team;
use steward_core::subscriptions::{Channel, Topic, public_target};
use steward_store::{DeliveryRecord, SubscriptionRecord};

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "subscriptions.html")]
struct SubscriptionsPage<'a> {
    page: Page<'a>,
    subscriptions: Vec<SubscriptionRecord>,
    deliveries: Vec<DeliveryRecord>,
    teams: Vec<Team>,
    /// The deliveries' tab: ``, `dead`, `pending`, `delivered`.
    status: String,
}

impl SubscriptionsPage<'_> {
    fn topics(&self) -> [Topic; 6] {
        Topic::ALL
    }

    fn channels(&self) -> [Channel; 6] {
        Channel::ALL
    }

    fn target(&self, s: &SubscriptionRecord) -> String {
        public_target(&s.subscription.target)
    }

    /// The filter in words: "P1–P2 · Network · service=billing · severity=critical".
    fn filter(&self, s: &SubscriptionRecord) -> String {
        let f = &s.subscription.filter;
        let mut parts = Vec::new();
        if let Some(p) = f.max_priority {
            parts.push(if p == 1 { "P1".to_owned() } else { format!("P1–P{p}") });
        }
        if let Some(t) = f.team {
            parts.push(
                self.teams.iter().find(|x| x.id.get() == t).map_or(format!("#{t}"), |x| x.name.clone()),
            );
        }
        if let Some(s) = &f.service {
            parts.push(s.clone());
        }
        parts.extend(f.labels.iter().map(Matcher::to_string));
        parts.join(" · ")
    }
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    status: String,
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    crate::extract::ApiQuery(q): crate::extract::ApiQuery<PageQuery>,
) -> WebResult {
    let status = super::api::status(Some(&q.status))?;
    let subscriptions = state.app.subscriptions().list(&actor).await?;
    let deliveries = state.app.subscriptions().deliveries(&actor, status).await?;
    let teams =
        state.app.store().list_teams().await.map_err(AppError::from)?.into_iter().map(|t| t.team).collect();
    let page = Page::new(&state, &actor, &headers, &uri, "subscriptions.title");
    let status = status.unwrap_or_default().to_owned();
    Ok(render(&SubscriptionsPage { page, subscriptions, deliveries, teams, status }))
}

/// The form: repeated `topics` boxes, so it is read as pairs.
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let result = async {
        let one =
            |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
        let number = |k: &'static str| -> Result<Option<i64>, AppError> {
            match one(k) {
                v if v.is_empty() => Ok(None),
                v => v.parse().map(Some).map_err(|_| AppError::invalid(k, "a number")),
            }
        };
        let labels = one("labels")
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(Matcher::parse)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::invalid("matchers", e.message))?;
        let service = Some(one("service")).filter(|s| !s.is_empty());
        let new = NewSubscription {
            name: one("name"),
            topics: form.iter().filter(|(k, _)| k == "topics").map(|(_, v)| v.clone()).collect(),
            channel: one("channel"),
            target: one("target"),
            secret: Some(one("secret")).filter(|s| !s.is_empty()),
            locale: one("locale"),
            filter: steward_core::subscriptions::Filter {
                team: number("team_id")?,
                max_priority: number("max_priority")?,
                service,
                labels,
            },
        };
        state.app.subscriptions().create(&actor, new).await
    }
    .await;
    after_form(result, "/admin/subscriptions", Notice::Saved)
}

pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let result = state.app.subscriptions().delete(&actor, id).await;
    after_form(result, "/admin/subscriptions", Notice::Saved)
}

pub async fn resend(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let result = state.app.subscriptions().resend(&actor, id).await;
    after_form(result, "/admin/subscriptions?status=dead", Notice::Sent)
}
