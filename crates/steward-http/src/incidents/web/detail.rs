//! One incident: its page, the forms on it, and its closure report.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::incidents::ActivityItem;
use steward_app::{Actor, AppError, DirectoryNames, IncidentPatch};
use steward_core::events::{Field, FieldValue};
use steward_core::ids::{TeamId, TicketId, UserId};
use steward_core::tickets::{
    HoldReason, IncidentEvent, ResolutionCode, State as TicketState, Ticket, TicketAccess, TicketField,
    TransitionRequest,
};

use super::{LEVELS, hold_key, opt_id, resolution_key, state_key};
use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::i18n::Catalog;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, form_errors, render, rerender};

/// The incident as the page shows it.
struct View {
    id: TicketId,
    number: String,
    title: String,
    priority: u8,
    state_key: &'static str,
    hold_key: Option<&'static str>,
    description_html: String,
    requester: String,
    team: String,
    assignee: String,
    /// The selected team and assignee ids, 0 for none.
    team_sel: TeamId,
    assignee_sel: UserId,
    impact: i64,
    urgency: i64,
    category: String,
    service: String,
    tags: String,
    created: String,
    reopen_count: i64,
    version: i64,
    /// Not resolved, closed or cancelled: it may be merged into another.
    open: bool,
}

struct ActivityRow {
    at: String,
    who: String,
    /// `event`, `comment` or `note`.
    class: &'static str,
    text: String,
    html: String,
}

fn view(
    page: &Page,
    t: &Ticket,
    description_html: String,
    names: &DirectoryNames,
    categories: &[steward_store::Category],
) -> View {
    View {
        id: t.id,
        number: t.number.clone(),
        title: t.title.clone(),
        priority: t.priority.get(),
        state_key: state_key(t.state),
        hold_key: t.hold_reason.map(hold_key),
        description_html,
        requester: names.user(Some(t.requester_id)),
        team: names.team(t.team_id),
        assignee: names.user(t.assignee_id),
        team_sel: t.team_id.unwrap_or(TeamId(0)),
        assignee_sel: t.assignee_id.unwrap_or(UserId(0)),
        impact: i64::from(t.impact.get()),
        urgency: i64::from(t.urgency.get()),
        category: super::category_label(categories, t.category_id, t.subcategory_id),
        service: t.service.clone().unwrap_or_default(),
        tags: t.tags.to_string(),
        created: page.minute(t.created_at),
        reopen_count: t.reopen_count,
        version: t.version,
        open: t.state.is_open(),
    }
}

/// A changed field's name in the reader's language.
fn field_name(field: TicketField, t: &Catalog) -> &str {
    let key = match field {
        TicketField::Title => "incident.title",
        TicketField::State => "incident.state",
        TicketField::Priority => "incident.priority",
        TicketField::Impact => "incident.impact",
        TicketField::Urgency => "incident.urgency",
        TicketField::TeamId => "incident.team",
        TicketField::AssigneeId => "incident.assignee",
        TicketField::RequesterId => "incident.requester",
        TicketField::CategoryId => "incident.category",
        TicketField::SubcategoryId => "incident.subcategory",
        TicketField::Service => "incident.service",
        TicketField::HoldReason => "incident.hold_reason",
        TicketField::ResolutionCode => "incident.resolution_code",
        TicketField::ResolutionNote => "incident.resolution_note",
        TicketField::ReopenCount => "incident.reopened",
        TicketField::ParentId => "incident.parent",
        TicketField::Tags => "incident.tags",
        TicketField::Number | TicketField::Description => return field.as_str(),
    };
    t.get(key)
}

/// One recorded value as a reader sees it: a state in their language, people and teams by name.
fn show(field: TicketField, value: &FieldValue, t: &Catalog, names: &DirectoryNames) -> String {
    match (field, value) {
        (_, FieldValue::Null) => "—".into(),
        (TicketField::State, FieldValue::Text(s)) => {
            TicketState::parse(s).map(|s| t.get(state_key(s)).to_owned()).unwrap_or(s.clone())
        }
        (TicketField::AssigneeId | TicketField::RequesterId, FieldValue::Int(id)) => {
            names.user(Some(UserId(*id)))
        }
        (TicketField::TeamId, FieldValue::Int(id)) => names.team(Some(TeamId(*id))),
        (_, FieldValue::Text(s)) => s.chars().take(80).collect(),
        (_, FieldValue::Int(i)) => i.to_string(),
        (_, FieldValue::Bool(b)) => b.to_string(),
        (_, FieldValue::Map(m)) => format!("{m:?}"),
    }
}

/// "state: In progress → Resolved; assignee: — → Ada" for one event.
/// The changed fields of one event, `field: old → new; …`, in the order of their stored names.
fn changes(c: &steward_core::events::Changes<TicketField>, t: &Catalog, names: &DirectoryNames) -> String {
    let mut changed: Vec<_> = c.after.iter().collect();
    changed.sort_by_key(|(f, _)| f.as_str());
    changed
        .into_iter()
        .map(|(f, v)| match f {
            TicketField::Description => {
                format!("{}: {}", t.get("incident.description"), t.get("incident.changed"))
            }
            _ => {
                let was = c.before.get(*f).unwrap_or(&FieldValue::Null);
                format!("{}: {} → {}", field_name(*f, t), show(*f, was, t, names), show(*f, v, t, names))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe(event: &IncidentEvent, t: &Catalog, names: &DirectoryNames) -> String {
    match event {
        IncidentEvent::Created(fields) => {
            let number = fields.get(TicketField::Number).and_then(FieldValue::as_text).unwrap_or("");
            format!("{} {number}", t.get("nav.new_incident"))
        }
        IncidentEvent::Updated(c) | IncidentEvent::Transitioned(c) | IncidentEvent::AutoClosed(c) => {
            changes(c, t, names)
        }
        IncidentEvent::SlaReassigned(c) => {
            format!("{}: {}", t.get("history.sla_reassigned"), changes(c, t, names))
        }
        IncidentEvent::AttachmentAdded { filename, .. } => {
            format!("{} + {filename}", t.get("incident.attachments"))
        }
        IncidentEvent::Commented { internal, .. } => {
            t.get(if *internal { "history.work_note" } else { "history.reply" }).to_owned()
        }
        IncidentEvent::WatcherAdded { user_id } => {
            format!("{}: {}", t.get("history.watcher_added"), names.user(Some(*user_id)))
        }
        IncidentEvent::WatcherRemoved { user_id } => {
            format!("{}: {}", t.get("history.watcher_removed"), names.user(Some(*user_id)))
        }
        IncidentEvent::Related { ticket_id } => format!("{}: #{ticket_id}", t.get("history.related")),
        IncidentEvent::CiLinked { ci, .. } => format!("{}: {ci}", t.get("history.ci_linked")),
        IncidentEvent::CiUnlinked { ci, .. } => format!("{}: {ci}", t.get("history.ci_unlinked")),
        IncidentEvent::SlaWarning(f) | IncidentEvent::SlaBreach(f) => {
            let what = if f.is_breach() { "history.sla_breach" } else { "history.sla_warning" };
            let target = format!("sla.{}", f.target.as_str());
            format!("{} ({}, {}%)", t.get(what), t.get(&target), f.threshold)
        }
        IncidentEvent::Merged { number, comments, attachments, .. } => format!(
            "{} {number} ({} {comments}, {} {attachments})",
            t.get("history.merged"),
            t.get("incident.activity"),
            t.get("incident.attachments")
        ),
        IncidentEvent::MergedInto { number, .. } => format!("{} {number}", t.get("history.merged_into")),
    }
}

fn activity_rows(items: &[ActivityItem], page: &Page, names: &DirectoryNames) -> Vec<ActivityRow> {
    let t = page.t;
    items
        .iter()
        .map(|i| match i {
            ActivityItem::Event(e, event) => ActivityRow {
                at: page.minute(e.at()),
                who: e.event.actor_name.clone(),
                class: "event",
                text: describe(event, t, names),
                html: String::new(),
            },
            ActivityItem::Comment(c) => ActivityRow {
                at: page.minute(c.created_at),
                who: match &c.merged_from {
                    Some(number) => format!("{} · {} {number}", c.author, t.get("duplicates.from")),
                    None => c.author.clone(),
                },
                class: if c.internal { "note" } else { "comment" },
                text: String::new(),
                html: c.body_html.clone().unwrap_or_default(),
            },
        })
        .collect()
}

#[derive(Template)]
#[template(path = "incident.html")]
struct DetailPage<'a> {
    page: Page<'a>,
    v: View,
    activity: Vec<ActivityRow>,
    work: bool,
    can_reply: bool,
    transitions: Vec<(&'static str, &'static str)>,
    holds: Vec<(&'static str, &'static str)>,
    resolutions: Vec<(&'static str, &'static str)>,
    teams: Vec<(TeamId, String)>,
    assignable: Vec<(UserId, String)>,
    levels: [(i64, &'static str); 3],
    /// (id, name, size and kind, shown inline as an image)
    files: Vec<(i64, String, String, bool)>,
    sla: Vec<super::SlaRow>,
    sla_source: String,
    /// The CIs the incident affects: id and name.
    cis: Vec<(i64, String)>,
    /// The alerts from monitoring linked to it: (status, title, host or service, last seen).
    alerts: Vec<(&'static str, String, String, String)>,
    /// The problem the incident is linked to (shown to agents).
    problem: Option<steward_core::tickets::Ticket>,
    /// Changes on its CIs within a day before it: (change id, number, CI, when).
    suspects: Vec<(steward_core::ids::TicketId, String, String, String)>,
    /// The knowledge articles attached to it that the reader may see.
    articles: Vec<steward_app::knowledge::ArticleView>,
    /// Whether the incident has a post-incident review.
    reviewed: bool,
    /// Open incidents flagged as resembling it (agents).
    duplicates: Vec<crate::incidents::duplicates::DuplicateRow>,
    /// What auto-triage suggests that differs from the incident's fields (agents).
    triage: Vec<crate::triage::IncidentSuggestion>,
    /// What was typed into the reply and transition forms, when a save failed.
    typed: Typed,
    /// The details form: as typed after a failed save, else the incident's.
    details: super::edit::DetailsForm,
    /// Categories at any level, for the details form.
    categories: Vec<(steward_core::ids::CategoryId, String)>,
    /// Canned replies offered to an agent, filled from this incident.
    replies: Vec<steward_app::FilledReply>,
}

/// The page's forms as typed, kept across a failed save (issue 17, bug 4).
#[derive(Default)]
pub(in crate::incidents) struct Typed {
    pub(super) comment: CommentForm,
    pub(super) transition: TransitionForm,
    /// The details form; `None`: as the incident is.
    pub(super) details: Option<super::edit::DetailsForm>,
}

impl DetailPage<'_> {
    fn typed_is(&self, typed: &str, value: &str) -> bool {
        typed == value
    }
}

async fn load(
    state: &AppState,
    actor: &Actor,
    id: TicketId,
) -> Result<(Ticket, TicketAccess, DirectoryNames, Vec<ActivityItem>), AppError> {
    let view = state.app.incidents().get(actor, id).await?;
    let names = state.app.directory().names().await?;
    let activity = state.app.incidents().activity(actor, id).await?;
    Ok((view.ticket, view.access, names, activity))
}

pub async fn page(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    detail_page(&state, &actor, &headers, &uri, id, Typed::default(), None).await
}

/// The incident page; after a failed save (`error`) with what was typed and status 422.
async fn detail_page(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: TicketId,
    typed: Typed,
    error: Option<AppError>,
) -> WebResult {
    let (state, actor) = (state.clone(), actor.clone());
    let (ticket, access, names, activity) = load(&state, &actor, id).await?;
    let mut page = Page::new(&state, &actor, headers, uri, "queue.title");
    // The tab names the ticket.
    page.title = format!("{} · {}", ticket.number, ticket.title);
    let failed = rerender(&mut page, error)?;
    let work = access == TicketAccess::Work;
    let transitions: Vec<(&'static str, &'static str)> = match access {
        TicketAccess::Work => {
            ticket.state.allowed(ticket.kind).iter().map(|s| (s.as_str(), state_key(*s))).collect()
        }
        TicketAccess::Participate if ticket.state == TicketState::Resolved => {
            [TicketState::InProgress, TicketState::Closed]
                .iter()
                .map(|s| (s.as_str(), state_key(*s)))
                .collect()
        }
        _ => Vec::new(),
    };
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let files = state
        .app
        .incidents()
        .attachments(&actor, id)
        .await?
        .into_iter()
        .map(|a| {
            // Pictures show on the page (a raster type the browser decodes; never SVG).
            let image =
                matches!(a.content_type.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp");
            (
                a.id,
                a.filename,
                format!(
                    "{} KiB{}",
                    (a.size + 1023) / 1024,
                    if a.internal {
                        format!(" · {}", page.t.get("incident.work_note"))
                    } else {
                        String::new()
                    }
                ),
                image,
            )
        })
        .collect();
    let categories = state.app.incidents().categories(&actor).await?;
    let (sla, sla_source) = super::sla_rows(&page, state.app.sla().of_incident(&actor, id).await?.as_ref());
    let cis =
        state.app.cmdb().incident_cis(&actor, id).await?.into_iter().map(|c| (c.id.get(), c.name)).collect();
    let alerts = match work {
        true => state
            .app
            .alerts()
            .list(
                &actor,
                &steward_store::AlertFilter { ticket_id: Some(id), limit: 200, ..Default::default() },
            )
            .await?
            .into_iter()
            .map(|a| {
                (a.alert.status.as_str(), a.title, a.subject.unwrap_or_default(), page.minute(a.last_seen))
            })
            .collect(),
        false => Vec::new(),
    };
    let replies = match work {
        true => state.app.incidents().replies_for(&actor, id).await?,
        false => Vec::new(),
    };
    let problem = crate::problems::incident_panel(&state, &actor, id).await?;
    let suspects = match work {
        true => state.app.changes().suspects(&actor, &ticket).await?,
        false => Vec::new(),
    }
    .into_iter()
    .map(|s| (s.change_id, s.number, s.ci, page.minute(s.at)))
    .collect();
    let articles = state.app.knowledge().of_ticket(&actor, id).await?;
    let reviewed = state.app.reviews().exists(id).await?;
    let duplicates = match work {
        true => {
            let found = state.app.incidents().duplicates(&actor, id).await?;
            crate::incidents::duplicates::rows(&page, &ticket, &found)
        }
        false => Vec::new(),
    };
    let triage = match work {
        true => crate::triage::for_incident(&state, &actor, &ticket).await?,
        false => Vec::new(),
    };
    let detail = DetailPage {
        reviewed,
        duplicates,
        triage,
        alerts,
        problem,
        suspects,
        articles,
        replies,
        sla,
        sla_source,
        cis,
        v: view(&page, &ticket, state.app.incidents().description_html(&ticket).await?, &names, &categories),
        activity: activity_rows(&activity, &page, &names),
        work,
        can_reply: matches!(access, TicketAccess::Work | TicketAccess::Participate),
        transitions,
        holds: HoldReason::ALL.iter().map(|h| (h.as_str(), hold_key(*h))).collect(),
        resolutions: ResolutionCode::ALL.iter().map(|r| (r.as_str(), resolution_key(*r))).collect(),
        teams,
        assignable: names.assignable.clone(),
        levels: LEVELS,
        files,
        details: typed.details.clone().unwrap_or_else(|| super::edit::DetailsForm::of(&ticket)),
        categories: super::category_choices(&categories),
        typed,
        page,
    };
    answer(render(&detail), failed)
}

#[derive(Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    internal: bool,
}

pub async fn comment(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<CommentForm>,
) -> WebResult {
    let result = state.app.incidents().comment(&actor, id, &f.body, f.internal).await;
    let typed = || Typed { comment: f, ..Typed::default() };
    after_incident_form(&state, &actor, &headers, &uri, id, result, typed, Notice::Sent).await
}

/// After a form of the incident page: back to it with `notice`, or — for input the user can
/// fix — the page again, with what was typed (`typed`) and why it was refused.
#[allow(clippy::too_many_arguments)] // the page's context, the outcome, and what to do with each
pub(in crate::incidents) async fn after_incident_form<T>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    uri: &Uri,
    id: TicketId,
    result: Result<T, AppError>,
    typed: impl FnOnce() -> Typed,
    notice: Notice,
) -> WebResult {
    match result {
        Err(e) if form_errors::users_to_fix(&e) => {
            detail_page(state, actor, headers, uri, id, typed(), Some(e)).await
        }
        result => after_form(result, &format!("/incidents/{id}"), notice),
    }
}

#[derive(Deserialize, Default)]
pub struct TransitionForm {
    #[serde(default)]
    to: String,
    #[serde(default)]
    hold_reason: String,
    #[serde(default)]
    resolution_code: String,
    #[serde(default)]
    resolution_note: String,
    version: Option<i64>,
}

pub async fn transition(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<TransitionForm>,
) -> WebResult {
    let result = async {
        if f.to.trim().is_empty() {
            // Nothing is preselected, so Apply without a choice moves nothing.
            return Err(AppError::invalid("to", "choose the state to move to"));
        }
        let request = TransitionRequest {
            to: Some(TicketState::parse(&f.to).map_err(AppError::from)?),
            hold_reason: (!f.hold_reason.is_empty())
                .then(|| HoldReason::parse(&f.hold_reason))
                .transpose()
                .map_err(AppError::from)?,
            resolution_code: (!f.resolution_code.is_empty())
                .then(|| ResolutionCode::parse(&f.resolution_code))
                .transpose()
                .map_err(AppError::from)?,
            resolution_note: Some(f.resolution_note.clone()),
        };
        state.app.incidents().transition(&actor, id, f.version, request).await
    }
    .await;
    let typed = || Typed { transition: f, ..Typed::default() };
    after_incident_form(&state, &actor, &headers, &uri, id, result, typed, Notice::Saved).await
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    impact: Option<i64>,
    urgency: Option<i64>,
    version: Option<i64>,
}

pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<TicketId>,
    WebForm(f): WebForm<UpdateForm>,
) -> WebResult {
    let result = async {
        let patch = IncidentPatch {
            team_id: Some(opt_id("team_id", &f.team_id)?),
            assignee_id: Some(opt_id("assignee_id", &f.assignee_id)?),
            impact: f.impact,
            urgency: f.urgency,
            ..IncidentPatch::default()
        };
        state.app.incidents().update(&actor, id, f.version, patch).await
    }
    .await;
    after_form(result, &format!("/incidents/{id}"), Notice::Saved)
}

#[derive(Template)]
#[template(path = "incident_report.html")]
struct ReportPage<'a> {
    page: Page<'a>,
    v: View,
    activity: Vec<ActivityRow>,
    resolution_key: Option<&'static str>,
    resolution_note: String,
}

/// `GET /incidents/{id}/report`: the printable closure report.
pub async fn report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiPath(id): ApiPath<TicketId>,
) -> WebResult {
    let (ticket, _, names, activity) = load(&state, &actor, id).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "incident.report");
    let categories = state.app.incidents().categories(&actor).await?;
    let report = ReportPage {
        v: view(&page, &ticket, state.app.incidents().description_html(&ticket).await?, &names, &categories),
        activity: activity_rows(&activity, &page, &names),
        resolution_key: ticket.resolution_code.map(resolution_key),
        resolution_note: ticket.resolution_note.clone().unwrap_or_default(),
        page,
    };
    Ok(render(&report))
}
