//! A change's page: its place on its model's swimlane, the plans, the CIs, the risk with its
//! reasons and the questionnaire, the approvals with the approver's buttons, the window with
//! its conflicts (each accepted with a reason), the moves its model allows, completion and
//! review. Every form posts to `/changes/{id}/act` with an `action`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use steward_app::changes::ChangeView;
use steward_app::{Actor, AppError};
use steward_core::changes::{Decision, Factor, Outcome, Question, Verdict};
use steward_core::ids::{TicketId, UserId};

use super::draw;
use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "change.html")]
struct DetailPage<'a> {
    page: Page<'a>,
    v: ChangeView,
    model: String,
    svg: String,
    users: HashMap<UserId, String>,
    teams: HashMap<steward_core::ids::TeamId, String>,
    questions: Vec<Question>,
    /// (text, points) per reason, in the reader's words.
    reasons: Vec<(String, i64)>,
    /// The steps one may move to: (key, name).
    moves: Vec<(String, String)>,
    can_decide: bool,
    outcomes: Vec<&'static str>,
    start: String,
    end: String,
    /// The conflicts of a window that could not be booked.
    proposed: Vec<steward_core::changes::Conflict>,
    /// Each affected CI's impact downstream: (CI id, name, CIs reached, business services).
    impact: Vec<(steward_core::ids::CiId, String, usize, String)>,
}

/// A risk reason in the reader's words (the change page and the approval link's).
pub(super) fn reason_text(page: &Page<'_>, f: &Factor) -> String {
    match f {
        Factor::Answer { question, answer } => format!("{question} — {answer}"),
        Factor::Criticality(c) => page.t.get("changes.factor_criticality").replace("{n}", &c.to_string()),
        Factor::BlastRadius(n) => page.t.get("changes.factor_blast").replace("{n}", &n.to_string()),
        Factor::FailedBefore(n) => page.t.get("changes.factor_failed").replace("{n}", &n.to_string()),
        Factor::BusinessHours => page.t.get("changes.factor_hours").to_owned(),
    }
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    axum::extract::Query(proposal): axum::extract::Query<HashMap<String, String>>,
) -> WebResult {
    let v = state.app.changes().get(&actor, id).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "nav.changes");
    let model = super::model_label(&page, &v.model_name);
    let svg = draw(&page, "change-swimlane", &model, &v.workflow, Some(&v.plan.step), false);
    let names = state.app.directory().names().await?;
    let users = names.users.iter().map(|(id, (_, display))| (*id, display.clone())).collect();
    let teams = names.teams.clone();
    let questions = state.app.changes().questions(&actor).await.unwrap_or_default();
    let reasons = v.reasons.iter().map(|r| (reason_text(&page, &r.factor), r.points)).collect();
    let here = v.workflow.step(&v.plan.step);
    let moves = if v.ticket.state.is_open() {
        here.map(|s| {
            s.next
                .iter()
                .filter_map(|k| v.workflow.step(k))
                .map(|t| (t.key.clone(), super::step_label(&page, t)))
                .collect()
        })
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    let me = actor.user.id;
    let pending = v.approvals.iter().filter(|l| l.verdict == Verdict::Pending).map(|l| l.level).min();
    let can_decide = v.ticket.state == steward_core::tickets::State::Authorization
        && v.approvals.iter().any(|l| {
            Some(l.level) == pending
                && l.members.contains(&me)
                && !l.decisions.iter().any(|d| d.user_id == me)
        });
    let fmt =
        |t: jiff::Timestamp| t.to_zoned_datetime(page.zone.clone()).strftime("%Y-%m-%dT%H:%M").to_string();
    let (mut start, mut end) = v.plan.window.map(|w| (fmt(w.start), fmt(w.end))).unwrap_or_default();
    // A window the change could not be booked in comes back with its conflicts, to accept
    // with reasons or to move away from.
    let local = |k: &str| {
        let raw = proposal.get(k)?;
        let dt: jiff::civil::DateTime = raw.parse().ok()?;
        Some((raw.clone(), page.zone.to_timestamp(dt).ok()?))
    };
    let mut proposed = Vec::new();
    if let (Some((s, a)), Some((e, b))) = (local("start"), local("end"))
        && let Ok(found) = state.app.changes().preview(&actor, id, a, b).await
    {
        (start, end) = (s, e);
        proposed = found;
    }
    // What each affected CI's failure would reach (for readers of the CMDB; an approver from
    // outside IT sees the CIs and the risk's blast radius instead).
    let mut impact = Vec::new();
    for ci in v.cis.iter().take(20) {
        if let Ok(i) = state.app.cmdb().impact(&actor, ci.id, "downstream", 3).await {
            let services: Vec<String> = i.services.iter().map(|s| s.name.clone()).collect();
            impact.push((ci.id, ci.name.clone(), i.hits.len(), services.join(", ")));
        }
    }
    Ok(render(&DetailPage {
        impact,
        page,
        model,
        svg,
        users,
        teams,
        questions,
        reasons,
        moves,
        can_decide,
        outcomes: Outcome::ALL.iter().map(|o| o.as_str()).collect(),
        start,
        end,
        proposed,
        v,
    }))
}

/// `POST /changes/{id}/act`: `action` is `move` (`to`), `cancel`, `risk` (`q<id>` = answer
/// index), `schedule` (`planned_start`, `planned_end` in the reader's zone, `override:<key>` =
/// reason), `approve`/`reject` (`comment`), `complete` (`outcome`), `review` (`review`),
/// `link` (`number`); `version` guards against stale pages.
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<HashMap<String, String>>,
) -> WebResult {
    let page = Page::new(&state, &actor, &headers, &uri, "nav.changes");
    let zone = page.zone.clone();
    let result = run(&state, &actor, id, &f, &zone).await;
    if f.get("action").map(String::as_str) == Some("schedule")
        && matches!(&result, Err(AppError::Conflict { field: Some("planned_start"), .. }))
    {
        // Back to the page with the window proposed, so its conflicts are listed.
        let query = serde_urlencoded::to_string([
            ("error", "conflict.planned_start"),
            ("start", f.get("planned_start").map(String::as_str).unwrap_or_default()),
            ("end", f.get("planned_end").map(String::as_str).unwrap_or_default()),
        ])
        .unwrap_or_default();
        return Ok(axum::response::Redirect::to(&format!("/changes/{id}?{query}")).into_response());
    }
    after_form(result, &format!("/changes/{id}"), Notice::Saved)
}

async fn run(
    state: &AppState,
    actor: &Actor,
    id: TicketId,
    f: &HashMap<String, String>,
    zone: &jiff::tz::TimeZone,
) -> Result<(), AppError> {
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    let version = get("version").trim().parse().ok();
    let changes = state.app.changes();
    let local = |field: &'static str| -> Result<jiff::Timestamp, AppError> {
        let raw = get(field).trim();
        raw.parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| zone.to_timestamp(dt).ok())
            .ok_or_else(|| AppError::invalid(field, format!("`{raw}` is not a date and time")))
    };
    match get("action") {
        "move" => drop(changes.move_to(actor, id, version, get("to")).await?),
        "cancel" => drop(changes.cancel(actor, id, version).await?),
        "risk" => {
            let answers = f
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix('q')?.parse().ok()?, v.trim().parse().ok()?)))
                .collect();
            drop(changes.assess_risk(actor, id, answers).await?)
        }
        "schedule" => {
            let overrides: Vec<(String, String)> = f
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("override:")?.to_owned(), v.clone())))
                .filter(|(_, v)| !v.trim().is_empty())
                .collect();
            drop(
                changes
                    .schedule(actor, id, version, local("planned_start")?, local("planned_end")?, &overrides)
                    .await?,
            )
        }
        "approve" => drop(changes.decide(actor, id, Decision::Approve, get("comment"), "web").await?),
        "reject" => drop(changes.decide(actor, id, Decision::Reject, get("comment"), "web").await?),
        "complete" => {
            let outcome = Outcome::parse(get("outcome")).map_err(AppError::from)?;
            drop(changes.complete(actor, id, version, outcome).await?)
        }
        "review" => {
            let patch = steward_app::changes::ChangePatch {
                review: Some(get("review").to_owned()),
                ..Default::default()
            };
            drop(changes.update(actor, id, version, patch).await?)
        }
        "link" => drop(changes.link_ticket(actor, id, get("number")).await?),
        other => return Err(AppError::invalid("action", format!("unknown action `{other}`"))),
    }
    Ok(())
}
