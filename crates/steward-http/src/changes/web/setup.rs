//! `/changes/setup`: approver groups and who approves what, the risk questionnaire, freezes,
//! and delegations while away. Change managers and admins edit; everyone who works changes
//! reads, and sets their own delegation.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::changes::NewFreeze;
use steward_app::{Actor, AppError};
use steward_core::changes::{ApprovalPolicy, Question, RiskClass};
use steward_core::identity::Permission;
use steward_core::ids::UserId;
use steward_store::{DelegationRecord, FreezeRecord, GroupRecord};

use crate::AppState;
use crate::extract::CurrentActor;
use crate::web::{Notice, Page, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "change_setup.html")]
struct SetupPage<'a> {
    page: Page<'a>,
    groups: Vec<GroupRecord>,
    policies: Vec<ApprovalPolicy>,
    questions: Vec<Question>,
    freezes: Vec<FreezeRecord>,
    delegations: Vec<DelegationRecord>,
    people: Vec<(UserId, String)>,
    names: std::collections::HashMap<UserId, String>,
    can_edit: bool,
    types: Vec<&'static str>,
    risks: Vec<&'static str>,
}

impl SetupPage<'_> {
    fn group_name(&self, id: &i64) -> String {
        self.groups.iter().find(|g| g.id == *id).map(|g| g.name.clone()).unwrap_or_default()
    }

    fn person(&self, id: &UserId) -> String {
        self.names.get(id).cloned().unwrap_or_default()
    }
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let changes = state.app.changes();
    let names = state.app.directory().names().await?;
    let page = Page::new(&state, &actor, &headers, &uri, "changes.setup");
    Ok(render(&SetupPage {
        groups: changes.groups(&actor).await?,
        policies: changes.policies(&actor).await?,
        questions: changes.questions(&actor).await?,
        freezes: changes.freezes(&actor).await?,
        delegations: changes.delegations(&actor).await?,
        people: names
            .users
            .iter()
            .map(|(id, (_, d))| (*id, d.clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect(),
        names: names.users.iter().map(|(id, (_, d))| (*id, d.clone())).collect(),
        can_edit: actor.can(Permission::ManageChanges),
        types: vec!["normal", "emergency"],
        risks: RiskClass::ALL.iter().map(|r| r.as_str()).collect(),
        page,
    }))
}

/// `POST /changes/setup`: `action` is `group`, `policy`, `delete_policy`, `question`,
/// `delete_question`, `freeze`, `delete_freeze`, `delegate` or `end_delegation`. Times are
/// in the reader's zone.
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    body: String,
) -> WebResult {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
    let zone = Page::new(&state, &actor, &headers, &uri, "changes.setup").zone.clone();
    let result = run(&state, &actor, &pairs, &zone).await;
    after_form(result, "/changes/setup", Notice::Saved)
}

async fn run(
    state: &AppState,
    actor: &Actor,
    f: &[(String, String)],
    zone: &jiff::tz::TimeZone,
) -> Result<(), AppError> {
    let get = |k: &str| f.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    let id = |k: &'static str| get(k).trim().parse::<i64>().map_err(|_| AppError::invalid(k, "a number"));
    let local = |field: &'static str| -> Result<jiff::Timestamp, AppError> {
        let raw = get(field).trim();
        raw.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| zone.to_timestamp(dt).ok())
            .ok_or_else(|| AppError::invalid(field, format!("`{raw}` is not a date and time")))
    };
    let changes = state.app.changes();
    match get("action") {
        "group" => {
            let members: Vec<UserId> = f
                .iter()
                .filter(|(k, _)| k == "members")
                .filter_map(|(_, v)| v.parse().ok().map(UserId))
                .collect();
            let quorum = get("quorum").trim().parse().ok();
            drop(changes.save_group(actor, get("name"), get("rule"), quorum, &members).await?)
        }
        "policy" => {
            changes
                .add_policy(actor, get("change_type"), get("min_risk"), id("level")?, id("group_id")?)
                .await?;
        }
        "delete_policy" => changes.delete_policy(actor, id("id")?).await?,
        "question" => drop(changes.add_question(actor, get("text"), get("options")).await?),
        "delete_question" => changes.delete_question(actor, id("id")?).await?,
        "freeze" => {
            let freeze = NewFreeze {
                name: get("name").to_owned(),
                start: local("planned_start")?,
                end: local("planned_end")?,
                reason: get("reason").to_owned(),
            };
            drop(changes.add_freeze(actor, freeze).await?)
        }
        "delete_freeze" => changes.delete_freeze(actor, id("id")?).await?,
        "delegate" => {
            let to = UserId(id("delegate_id")?);
            changes.delegate(actor, None, to, local("planned_start")?, local("planned_end")?).await?;
        }
        "end_delegation" => changes.end_delegation(actor, id("id")?).await?,
        other => return Err(AppError::invalid("action", format!("unknown action `{other}`"))),
    }
    Ok(())
}
