//! `/runbooks/runs`: every run, newest first, by state and runbook; `/runbooks/runs/{id}`: one
//! run — its steps, targets, approvals, artefacts — with its output streaming live
//! (`/runbooks/runs/{id}/live`, server-sent events).

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use steward_app::AppError;
use steward_app::runbooks::RunView;
use steward_core::runbooks::RunState;
use steward_store::{RunFilter, RunRecord};

use crate::AppState;
use crate::extract::{ApiPath, ApiQuery, CurrentActor};
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct RunsQuery {
    #[serde(default)]
    state: String,
    runbook: Option<i64>,
    ci: Option<i64>,
    ticket: Option<i64>,
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "runbook_runs.html")]
struct ListPage<'a> {
    page: Page<'a>,
    runs: Vec<RunRecord>,
    state: String,
    runbook: Option<i64>,
    next_before: Option<i64>,
    states: &'static [RunState],
    /// The filters other than the state and the page, as a query to keep.
    keep: String,
}

pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<RunsQuery>,
) -> WebResult {
    let run_state = RunState::parse(&q.state).ok();
    let filter = RunFilter {
        runbook_id: q.runbook,
        state: run_state,
        ci_id: q.ci,
        ticket_id: q.ticket,
        before: q.before,
        limit: PAGE,
    };
    let runs = state.app.runbooks().runs(&actor, &filter).await?;
    let next_before = (runs.len() as i64 >= PAGE).then(|| runs.last().map(|r| r.id)).flatten();
    let page = Page::new(&state, &actor, &headers, &uri, "runbooks.runs");
    let keep = [("runbook", q.runbook), ("ci", q.ci), ("ticket", q.ticket)]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("&{k}={v}")))
        .collect();
    Ok(render(&ListPage {
        page,
        runs,
        state: run_state.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        runbook: q.runbook,
        next_before,
        states: RunState::ALL,
        keep,
    }))
}

#[derive(Template)]
#[template(path = "runbook_run.html")]
struct RunPage<'a> {
    page: Page<'a>,
    v: RunView,
    params: Vec<(String, String)>,
    may_decide: bool,
    waiting_for: String,
    /// The output stored so far, and the last chunk's `seq` (the live view goes on from it).
    output: String,
    last_seq: i64,
}

impl RunPage<'_> {
    fn finished(&self) -> bool {
        self.v.record.state.is_finished()
    }
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let v = state.app.runbooks().run(&actor, id).await?;
    let params = serde_json::from_str::<std::collections::BTreeMap<String, String>>(&v.record.params)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut page = Page::new(&state, &actor, &headers, &uri, "runbooks.run");
    page.title = format!("{} #{}", v.record.runbook, v.record.id);
    let may_decide = v.waiting_for.is_some() && v.record.requested_by != Some(actor.user.id.get());
    let waiting_for = v.waiting_for.as_ref().map(|(_, g)| gate_text(&page, g)).unwrap_or_default();
    let chunks = state.app.runbooks().output(&actor, id, 0, 1000).await?;
    let last_seq = chunks.last().map_or(0, |c| c.seq);
    let output = chunks.into_iter().map(|c| c.text).collect();
    Ok(render(&RunPage { page, v, params, may_decide, waiting_for, output, last_seq }))
}

/// Who may decide at a gate, in the reader's language.
fn gate_text(page: &Page<'_>, gate: &steward_core::runbooks::Gate) -> String {
    let who = match &gate.approvers {
        steward_core::runbooks::Approvers::Role(r) => page.t.get(crate::web::role_key(*r)).to_owned(),
        steward_core::runbooks::Approvers::Group(g) => g.clone(),
    };
    page.t.get("runbooks.gate").replace("{who}", &who).replace("{n}", &gate.quorum.to_string())
}

#[derive(Deserialize)]
pub struct RunAction {
    action: String,
    #[serde(default)]
    comment: String,
}

/// `POST /runbooks/runs/{id}`: approve, reject or cancel.
pub async fn act(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
    WebForm(f): WebForm<RunAction>,
) -> WebResult {
    let r = state.app.runbooks();
    let back = format!("/runbooks/runs/{id}");
    let result = match f.action.as_str() {
        "approve" => r.decide(&actor, id, true, &f.comment).await.map(|_| ()),
        "reject" => r.decide(&actor, id, false, &f.comment).await.map(|_| ()),
        "cancel" => r.cancel(&actor, id).await,
        _ => Err(AppError::invalid("action", "unknown action")),
    };
    after_form(result, &back, Notice::Saved)
}

pub async fn artifact(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, name)): ApiPath<(i64, String)>,
) -> WebResult {
    let data = state.app.runbooks().artifact(&actor, id, &name).await?;
    Ok(crate::web::download("application/octet-stream", &crate::runbooks::file_name(&name, ""), data))
}

/// What the live page hears: new output, and the run's and its steps' states.
#[derive(Serialize)]
struct Tick {
    state: &'static str,
    /// The run has ended and this is the last of its output: the page may stop listening.
    done: bool,
    steps: Vec<(i64, &'static str)>,
    chunks: Vec<(i64, i64, String)>,
}

/// How often the live page is told what changed.
const LIVE_TICK: Duration = Duration::from_millis(400);

pub async fn live(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<LiveQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, crate::web::WebError> {
    state.app.runbooks().run(&actor, id).await?;
    let events = futures_util::stream::unfold(
        (state, actor, headers, q.after, false, true),
        move |(state, actor, headers, after, done, first)| async move {
            if done {
                return None;
            }
            let actor = if first {
                actor
            } else {
                tokio::time::sleep(LIVE_TICK).await;
                // Each tick checks the session again: the stream ends with the sign-out.
                crate::auth::resolve(&state, &headers).await.ok().flatten()?
            };
            let v = state.app.runbooks().run(&actor, id).await.ok()?;
            let chunks = state.app.runbooks().output(&actor, id, after, 200).await.ok()?;
            let last = chunks.last().map_or(after, |c| c.seq);
            // Finished and nothing left to send: one last tick, then the stream ends.
            let finished = v.record.state.is_finished() && chunks.len() < 200;
            let tick = Tick {
                state: v.record.state.as_str(),
                done: finished,
                steps: v.steps.iter().map(|s| (s.idx, s.state.as_str())).collect(),
                chunks: chunks.into_iter().map(|c| (c.seq, c.step_idx, c.text)).collect(),
            };
            let event = Event::default().event("run").json_data(&tick).unwrap_or_default();
            Some((Ok(event), (state, actor, headers, last, finished, false)))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[derive(Deserialize)]
pub struct LiveQuery {
    #[serde(default)]
    after: i64,
}
