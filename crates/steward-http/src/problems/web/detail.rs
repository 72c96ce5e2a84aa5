//! A problem's page: its facts, its lifecycle, the root-cause analysis (5-Whys, fishbone, root
//! cause, workaround, fix), the incidents it explains (and resolving them once it is fixed), its
//! CIs and the timeline.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use steward_app::AppError;
use steward_app::problems::{ProblemView, TimelineEntry};
use steward_core::ids::TicketId;
use steward_core::problems::{Analysis, Bone, MAX_WHYS};
use steward_core::tickets::{ResolutionCode, State as TicketState, TicketKind, TransitionRequest};

use super::incidents_named;
use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::incidents::web::state_key;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Template)]
#[template(path = "problem.html")]
struct DetailPage<'a> {
    page: Page<'a>,
    v: ProblemView,
    description_html: String,
    team: String,
    assignee: String,
    /// (state, its label key)
    moves: Vec<(&'static str, &'static str)>,
    codes: Vec<&'static str>,
    /// The whys as the form shows them: what is recorded, then blank boxes up to five (or one
    /// more, up to the most).
    whys: Vec<String>,
    /// Each bone with its causes, one per line.
    bones: Vec<(&'static str, String)>,
    timeline: Vec<TimelineEntry>,
    open_incidents: usize,
    articles: Vec<steward_app::knowledge::ArticleView>,
}

impl DetailPage<'_> {
    fn state_label<'s>(&'s self, s: &'s str) -> &'s str {
        TicketState::parse(s).map(|s| self.page.t.get(state_key(s))).unwrap_or(s)
    }
}

pub async fn detail(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    let v = state.app.problems().get(&actor, id).await?;
    let timeline = state.app.problems().timeline(&actor, id).await?;
    let description_html = state.app.incidents().description_html(&v.ticket).await?;
    let names = state.app.directory().names().await?;
    let teams: HashMap<_, _> = names.teams.into_iter().collect();
    let team = v.ticket.team_id.and_then(|t| teams.get(&t).cloned()).unwrap_or_default();
    let assignee =
        v.ticket.assignee_id.and_then(|u| names.users.get(&u).map(|(_, d)| d.clone())).unwrap_or_default();
    let moves =
        v.ticket.state.allowed(TicketKind::Problem).iter().map(|s| (s.as_str(), state_key(*s))).collect();
    let mut whys = v.analysis.whys.clone();
    let boxes = (whys.len() + 1).clamp(5, MAX_WHYS);
    whys.resize(boxes, String::new());
    let bones = Bone::ALL
        .iter()
        .map(|b| (b.as_str(), v.analysis.causes(*b).collect::<Vec<_>>().join("\n")))
        .collect();
    let open_incidents = v.incidents.iter().filter(|t| t.state.is_open()).count();
    let articles = state.app.knowledge().of_ticket(&actor, id).await?;
    let mut page = Page::new(&state, &actor, &headers, &uri, "nav.problems");
    page.title = format!("{} {}", v.ticket.number, v.ticket.title);
    Ok(render(&DetailPage {
        page,
        v,
        description_html,
        team,
        assignee,
        moves,
        codes: [ResolutionCode::Fixed, ResolutionCode::Workaround, ResolutionCode::Other]
            .iter()
            .map(|c| c.as_str())
            .collect(),
        whys,
        bones,
        timeline,
        open_incidents,
        articles,
    }))
}

#[derive(serde::Deserialize)]
pub struct TransitionForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    resolution_code: String,
    #[serde(default)]
    resolution_note: String,
    version: Option<i64>,
}

pub async fn transition(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<TransitionForm>,
) -> WebResult {
    let result = async {
        let to = TicketState::parse(&f.to).map_err(AppError::from)?;
        let code = match f.resolution_code.trim() {
            "" => None,
            c => Some(ResolutionCode::parse(c).map_err(AppError::from)?),
        };
        let request = TransitionRequest {
            to: Some(to),
            hold_reason: None,
            resolution_code: code,
            resolution_note: Some(f.resolution_note.clone()),
        };
        state.app.problems().transition(&actor, id, f.version, request).await
    }
    .await;
    after_form(result, &format!("/problems/{id}"), Notice::Saved)
}

/// `POST /problems/{id}/analysis`: `why1`…`why10`, `bone_<category>` (one cause per line),
/// `root_cause`, `workaround`, `permanent_fix`, `version`.
pub async fn analyse(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(form): WebForm<HashMap<String, String>>,
) -> WebResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let result = async {
        let whys: Vec<String> = (1..=MAX_WHYS + 1).map(|i| get(&format!("why{i}"))).collect();
        let mut bones = Vec::new();
        for bone in Bone::ALL {
            for line in get(&format!("bone_{}", bone.as_str())).lines() {
                bones.push((bone.as_str().to_owned(), line.to_owned()));
            }
        }
        let analysis =
            Analysis::parse(&whys, &bones, &get("root_cause"), &get("workaround"), &get("permanent_fix"))
                .map_err(AppError::from)?;
        let version = crate::incidents::web::opt_id::<i64>("version", &get("version"))?;
        state.app.problems().analyse(&actor, id, version, analysis).await
    }
    .await;
    after_form(result, &format!("/problems/{id}"), Notice::Saved)
}

#[derive(serde::Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    incidents: String,
}

pub async fn link_incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<LinkForm>,
) -> WebResult {
    let result = async {
        let ids = incidents_named(&state, &f.incidents).await?;
        if ids.is_empty() {
            return Err(AppError::invalid("incident_ids", "type the numbers of the incidents to link"));
        }
        state.app.problems().link_incidents(&actor, id, &ids).await
    }
    .await;
    after_form(result, &format!("/problems/{id}"), Notice::Saved)
}

pub async fn unlink_incident(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, incident)): ApiPath<(TicketId, TicketId)>,
) -> WebResult {
    let result = state.app.problems().unlink_incident(&actor, id, incident).await;
    after_form(result, &format!("/problems/{id}"), Notice::Saved)
}

/// `POST /problems/{id}/resolve-incidents`: `ids` (repeated; the ticked incidents) and `note`.
pub async fn resolve_incidents(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(form): WebForm<Vec<(String, String)>>,
) -> WebResult {
    let ids: Vec<TicketId> =
        form.iter().filter(|(k, _)| k == "ids").filter_map(|(_, v)| v.parse().ok()).collect();
    let note = form.iter().find(|(k, _)| k == "note").map(|(_, v)| v.clone()).unwrap_or_default();
    let result = async {
        if ids.is_empty() {
            return Err(AppError::invalid("incident_ids", "tick the incidents to resolve"));
        }
        state.app.problems().resolve_incidents(&actor, id, Some(&ids), &note).await
    }
    .await;
    after_form(result, &format!("/problems/{id}"), Notice::Saved)
}
