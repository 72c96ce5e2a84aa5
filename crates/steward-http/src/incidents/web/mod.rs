//! Incident pages: the agent's work queue and lists with filters and saved views, the create
//! form with a live priority preview, the detail page, and the closure report.

mod columns;
mod detail;
mod edit;
mod queue_tools;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use steward_app::{AppError, NewIncident};
use steward_core::identity::Permission;
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::tickets::{HoldReason, QueueColumn, ResolutionCode, State as TicketState, TicketKind};

use crate::AppState;
use crate::extract::{ApiPath, CurrentActor};
use crate::ticket_query;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, answer, duration_text, render, rerender};

pub use columns::save_columns;
pub(in crate::incidents) use detail::{Typed, after_incident_form};
pub use detail::{comment, page as detail, report, transition, update};
pub use edit::{save_cis, save_details};
pub use queue_tools::{bulk, export_csv, export_xlsx};

pub fn state_key(s: TicketState) -> &'static str {
    match s {
        TicketState::New => "state.new",
        TicketState::Assigned => "state.assigned",
        TicketState::InProgress => "state.in_progress",
        TicketState::OnHold => "state.on_hold",
        TicketState::Resolved => "state.resolved",
        TicketState::Closed => "state.closed",
        TicketState::Cancelled => "state.cancelled",
        TicketState::UnderInvestigation => "state.under_investigation",
        TicketState::RootCauseKnown => "state.root_cause_known",
        TicketState::KnownError => "state.known_error",
        TicketState::Assessment => "state.assessment",
        TicketState::Authorization => "state.authorization",
        TicketState::Scheduled => "state.scheduled",
        TicketState::Implementation => "state.implementation",
        TicketState::Review => "state.review",
        TicketState::Rejected => "state.rejected",
    }
}

pub fn hold_key(h: HoldReason) -> &'static str {
    match h {
        HoldReason::AwaitingCustomer => "hold.awaiting_customer",
        HoldReason::AwaitingVendor => "hold.awaiting_vendor",
        HoldReason::AwaitingChange => "hold.awaiting_change",
    }
}

pub fn resolution_key(r: ResolutionCode) -> &'static str {
    match r {
        ResolutionCode::Fixed => "resolution.fixed",
        ResolutionCode::Workaround => "resolution.workaround",
        ResolutionCode::NoFaultFound => "resolution.no_fault_found",
        ResolutionCode::Duplicate => "resolution.duplicate",
        ResolutionCode::UserError => "resolution.user_error",
        ResolutionCode::ResolvedByVendor => "resolution.resolved_by_vendor",
        ResolutionCode::Other => "resolution.other",
    }
}

/// A clock as a short badge: (css class, catalogue key, detail).
pub type SlaBadge = (&'static str, &'static str, String);

/// A clock as a short badge.
pub fn sla_badge(page: &Page, s: &steward_core::sla::SlaStatus) -> SlaBadge {
    use steward_core::sla::Phase;
    let t = page.t;
    match (s.phase, s.breached_at, s.due) {
        (_, Some(_), _) => ("breached", "sla.overdue", duration_text(t, -s.remaining.as_mins())),
        (Phase::Stopped, None, _) => ("met", "sla.met", String::new()),
        (Phase::Paused, None, _) => ("paused", "sla.paused_now", duration_text(t, s.remaining.as_mins())),
        (Phase::Running, None, Some(due)) => ("running", "sla.due", page.minute(due)),
        (Phase::Running, None, None) => ("running", "sla.due", String::new()),
    }
}

/// One SLA clock on the page: a badge and the intervals that explain it.
pub struct SlaRow {
    pub id: &'static str,
    pub name_key: &'static str,
    pub class: &'static str,
    pub badge_key: &'static str,
    pub badge: String,
    pub summary: String,
    pub counted: Vec<String>,
    pub paused: Vec<String>,
}

fn sla_row(
    page: &Page,
    id: &'static str,
    name_key: &'static str,
    s: &steward_core::sla::SlaStatus,
) -> SlaRow {
    let mins = |d: jiff::SignedDuration| duration_text(page.t, d.as_mins());
    let (class, badge_key, badge) = sla_badge(page, s);
    let span = |v: &[(jiff::Timestamp, jiff::Timestamp)]| {
        v.iter().map(|(a, b)| format!("{} – {}", page.minute(*a), page.minute(*b))).collect()
    };
    SlaRow {
        id,
        name_key,
        class,
        badge_key,
        badge,
        summary: format!("{} / {}", mins(s.elapsed), mins(s.target)),
        counted: span(&s.counted),
        paused: span(&s.paused),
    }
}

/// A ticket's clocks as the SLA card shows them, and where their rules came from.
pub fn sla_rows(page: &Page, sla: Option<&steward_app::sla::TicketSla>) -> (Vec<SlaRow>, String) {
    let Some(s) = sla else { return (Vec::new(), String::new()) };
    let mut rows = Vec::new();
    if let Some(r) = &s.response {
        rows.push(sla_row(page, "response", "sla.response", r));
    }
    rows.push(sla_row(page, "resolution", "sla.resolution", &s.resolution));
    if let Some((u, _)) = &s.next_update {
        rows.push(sla_row(page, "update", "sla.update", u));
    }
    let source = match s.policy.is_empty() {
        // A request no policy matches: its item's delivery time.
        true => page.t.get("sla.delivery_time").to_owned(),
        false => format!("{} · {}", s.policy, s.calendar),
    };
    (rows, source)
}

pub const LEVELS: [(i64, &str); 3] = [(1, "level.1"), (2, "level.2"), (3, "level.3")];

struct Row {
    id: TicketId,
    number: String,
    cells: Vec<columns::Cell>,
}

#[derive(Default)]
struct Filters {
    q: String,
    state: String,
    priority: String,
    team: String,
    assignee: String,
    sort: String,
}

#[derive(Template)]
#[template(path = "incidents.html")]
struct ListPage<'a> {
    page: Page<'a>,
    tabs: Vec<(&'static str, &'static str, bool)>,
    views: Vec<(i64, String, String)>,
    filters: Filters,
    states: Vec<(&'static str, &'static str)>,
    priorities: Vec<u8>,
    agent: bool,
    teams: Vec<(TeamId, String)>,
    sorts: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    /// The chosen columns' headings.
    headings: Vec<&'static str>,
    /// Every column for the chooser, in its order: (name, heading key, shown).
    chooser: Vec<(&'static str, &'static str, bool)>,
    next: Option<String>,
    query: String,
    /// For the bulk bar.
    assignable: Vec<(UserId, String)>,
    holds: Vec<(&'static str, &'static str)>,
    resolutions: Vec<(&'static str, &'static str)>,
}

/// `GET /incidents`: the queue. Agents land on their teams' open work, requesters on their
/// own incidents.
pub async fn list(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    let agent = actor.can(Permission::WorkTickets);
    let raw = uri.query().unwrap_or("");
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).unwrap_or_default();
    let has_filters = pairs.iter().any(|(k, _)| !matches!(k.as_str(), "lang" | "notice" | "error"));
    let effective = if has_filters || !agent {
        raw.to_owned()
    } else {
        "team=mine&state=new,assigned,in_progress,on_hold&sort=priority".to_owned()
    };
    let mut query = ticket_query::parse_form(TicketKind::Incident, Some(&effective), actor.user.id)
        .map_err(crate::web::WebError)?;
    query.limit = 50;
    let list = state.app.incidents().list(&actor, &query).await?;
    let names = state.app.directory().names().await?;
    let get = |k: &str| pairs.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let filters = Filters {
        q: get("q"),
        state: get("state"),
        priority: get("priority"),
        team: if has_filters {
            get("team")
        } else if agent {
            "mine".into()
        } else {
            String::new()
        },
        assignee: get("assignee"),
        sort: if get("sort").is_empty() {
            if agent && !has_filters { "priority".into() } else { "-created".into() }
        } else {
            get("sort")
        },
    };
    let next = list.next.map(|c| {
        let cursor = ticket_query::encode_cursor(query.sort, query.descending, c);
        let kept: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(&effective)
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| k != "cursor")
            .chain([("cursor".to_owned(), cursor)])
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    });
    let page = Page::new(&state, &actor, &headers, &uri, "queue.title");
    let chosen = state.app.incidents().queue_columns(&actor).await?;
    let clocks = match chosen.contains(&QueueColumn::Sla) {
        true => state.app.sla().of_incidents(&actor, &list.items).await?,
        false => vec![None; list.items.len()],
    };
    let categories = match chosen.contains(&QueueColumn::Category) {
        true => state.app.incidents().categories(&actor).await?,
        false => Vec::new(),
    };
    let lookups = columns::Lookups { names: &names, categories: &categories };
    let rows = list
        .items
        .iter()
        .zip(clocks)
        .map(|(t, clock)| Row {
            id: t.id,
            number: t.number.clone(),
            cells: columns::cells(&page, &chosen, &lookups, t, clock.as_ref()),
        })
        .collect();
    let tabs = if agent {
        vec![
            ("queue.teams", "team=mine&state=new,assigned,in_progress,on_hold&sort=priority", !has_filters),
            (
                "queue.mine",
                "assignee=me&state=new,assigned,in_progress,on_hold&sort=priority",
                raw.starts_with("assignee=me"),
            ),
            (
                "queue.unassigned",
                "assignee=none&state=new,assigned,in_progress,on_hold&sort=priority",
                raw.starts_with("assignee=none"),
            ),
            ("queue.all", "sort=-created", raw == "sort=-created"),
        ]
    } else {
        vec![("queue.all", "sort=-created", true)]
    };
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let page = ListPage {
        page,
        tabs,
        views: state.app.incidents().saved_views(&actor).await?,
        filters,
        states: TicketState::of(steward_core::tickets::TicketKind::Incident)
            .iter()
            .map(|s| (s.as_str(), state_key(*s)))
            .collect(),
        priorities: vec![1, 2, 3, 4, 5],
        agent,
        teams,
        sorts: vec![
            ("-created", "sort.-created"),
            ("created", "sort.created"),
            ("priority", "sort.priority"),
            ("-updated", "sort.-updated"),
        ],
        rows,
        headings: chosen.iter().map(|c| columns::label_key(*c)).collect(),
        chooser: QueueColumn::in_chooser_order(&chosen)
            .into_iter()
            .map(|c| (c.as_str(), columns::label_key(c), chosen.contains(&c)))
            .collect(),
        next,
        query: effective,
        assignable: if agent { names.assignable.clone() } else { Vec::new() },
        holds: HoldReason::ALL.iter().map(|h| (h.as_str(), hold_key(*h))).collect(),
        resolutions: ResolutionCode::ALL.iter().map(|r| (r.as_str(), resolution_key(*r))).collect(),
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "incident_new.html")]
struct NewPage<'a> {
    page: Page<'a>,
    levels: [(i64, &'static str); 3],
    matrix: String,
    categories: Vec<(CategoryId, String)>,
    agent: bool,
    me: UserId,
    people: Vec<(UserId, String)>,
    teams: Vec<(TeamId, String)>,
    assignable: Vec<(UserId, String)>,
    /// What was typed, when the form comes back after a failed save.
    typed: NewForm,
}

/// Whether `value` is the option to select in a list whose typed choice is `typed` (`default`
/// when nothing was typed yet): the desk's and the portal's new-incident forms.
fn chosen(typed: &str, value: &dyn std::fmt::Display, default: bool) -> bool {
    match typed.trim() {
        "" => default,
        t => t == value.to_string(),
    }
}

impl NewPage<'_> {
    fn chosen(&self, typed: &str, value: &dyn std::fmt::Display, default: bool) -> bool {
        chosen(typed, value, default)
    }
}

/// The portal's own form for requesters (issue 23): plain questions in the portal's layout,
/// posting to the same `/incidents` as the desk's form.
#[derive(Template)]
#[template(path = "portal_report.html")]
struct PortalReportPage<'a> {
    page: Page<'a>,
    categories: Vec<(CategoryId, String)>,
    typed: NewForm,
}

impl PortalReportPage<'_> {
    fn chosen(&self, typed: &str, value: &dyn std::fmt::Display, default: bool) -> bool {
        chosen(typed, value, default)
    }

    /// A level's radio: the typed one, else the lowest (3).
    fn picked(&self, typed: &str, level: &i64) -> bool {
        self.chosen(typed, level, *level == 3)
    }

    fn impact_key(&self, level: &i64) -> &'static str {
        match level {
            1 => "portal.report_impact_1",
            2 => "portal.report_impact_2",
            _ => "portal.report_impact_3",
        }
    }

    fn urgency_key(&self, level: &i64) -> &'static str {
        match level {
            1 => "portal.report_urgency_1",
            2 => "portal.report_urgency_2",
            _ => "portal.report_urgency_3",
        }
    }
}

pub async fn new_form(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
) -> WebResult {
    new_page(&state, &actor, &headers, &uri, NewForm::default(), None).await
}

/// The new-incident form; after a failed save (`error`) with what was typed and status 422.
async fn new_page(
    state: &AppState,
    actor: &steward_app::Actor,
    headers: &HeaderMap,
    uri: &Uri,
    typed: NewForm,
    error: Option<AppError>,
) -> WebResult {
    let categories = state.app.incidents().categories(actor).await?;
    if !actor.can(Permission::WorkTickets) {
        let mut page = Page::new(state, actor, headers, uri, "portal.report");
        let failed = rerender(&mut page, error)?;
        let categories = category_choices(&categories);
        return answer(render(&PortalReportPage { page, categories, typed }), failed);
    }
    let names = state.app.directory().names().await?;
    let matrix = state
        .app
        .config()
        .priority_matrix
        .rows()
        .iter()
        .flatten()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut people: Vec<(UserId, String)> =
        names.users.iter().map(|(id, (u, d))| (*id, format!("{d} ({u})"))).collect();
    people.sort_by(|a, b| a.1.cmp(&b.1));
    let mut teams: Vec<(TeamId, String)> = names.teams.iter().map(|(id, n)| (*id, n.clone())).collect();
    teams.sort_by(|a, b| a.1.cmp(&b.1));
    let mut page = Page::new(state, actor, headers, uri, "nav.new_incident");
    let failed = rerender(&mut page, error)?;
    let page = NewPage {
        page,
        typed,
        levels: LEVELS,
        matrix,
        categories: category_choices(&categories),
        agent: true,
        me: actor.user.id,
        people,
        teams,
        assignable: names.assignable,
    };
    answer(render(&page), failed)
}

/// An optional id from a form select ("" means none).
pub fn opt_id<I: std::str::FromStr>(field: &'static str, value: &str) -> Result<Option<I>, AppError> {
    match value.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| AppError::invalid(field, format!("`{v}` is not an id"))),
    }
}

/// Categories at any level, for a select: each active category, then its active subcategories
/// as "Parent › Child".
pub(super) fn category_choices(all: &[steward_store::Category]) -> Vec<(CategoryId, String)> {
    let mut out = Vec::new();
    for top in all.iter().filter(|c| c.parent_id.is_none() && c.active) {
        out.push((top.id, top.name.clone()));
        for child in all.iter().filter(|c| c.parent_id == Some(top.id) && c.active) {
            out.push((child.id, format!("{} › {}", top.name, child.name)));
        }
    }
    out
}

/// What a category select's choice means: `(category, subcategory)`.
pub(super) fn chosen_category(
    all: &[steward_store::Category],
    text: &str,
) -> Result<(Option<CategoryId>, Option<CategoryId>), AppError> {
    let Some(id) = opt_id::<CategoryId>("category_id", text)? else { return Ok((None, None)) };
    Ok(match all.iter().find(|c| c.id == id).and_then(|c| c.parent_id) {
        Some(parent) => (Some(parent), Some(id)),
        // A top-level id, or one the app refuses by name.
        None => (Some(id), None),
    })
}

/// A ticket's category as people read it: "Parent › Child", or the category alone.
pub(super) fn category_label(
    all: &[steward_store::Category],
    category: Option<CategoryId>,
    subcategory: Option<CategoryId>,
) -> String {
    let name =
        |id: Option<CategoryId>| id.and_then(|id| all.iter().find(|c| c.id == id)).map(|c| c.name.clone());
    match (name(category), name(subcategory)) {
        (Some(c), Some(s)) => format!("{c} › {s}"),
        (c, _) => c.unwrap_or_default(),
    }
}

#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    impact: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    category_id: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    requester_id: String,
    #[serde(default)]
    team_id: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    tags: String,
    /// From the CI picker: `#42 web01`, or just `42`.
    #[serde(default)]
    ci: String,
}

pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    WebForm(f): WebForm<NewForm>,
) -> WebResult {
    let result = async {
        let level = |field: &'static str, v: &str| {
            v.trim().parse::<i64>().map(Some).map_err(|_| AppError::invalid(field, "choose a level"))
        };
        let (category_id, subcategory_id) =
            chosen_category(&state.app.incidents().categories(&actor).await?, &f.category_id)?;
        let input = NewIncident {
            title: f.title.clone(),
            description: f.description.clone(),
            requester_id: opt_id("requester_id", &f.requester_id)?,
            category_id,
            subcategory_id,
            service: Some(f.service.clone()),
            impact: level("impact", &f.impact)?,
            urgency: level("urgency", &f.urgency)?,
            team_id: opt_id("team_id", &f.team_id)?,
            assignee_id: opt_id("assignee_id", &f.assignee_id)?,
            parent_id: None,
            related: Vec::new(),
            watchers: Vec::new(),
            tags: f.tags.split_whitespace().map(str::to_owned).collect(),
            ci_ids: crate::cmdb::web::picked_ci("ci_ids", &f.ci)?.into_iter().collect(),
        };
        state.app.incidents().create(&actor, input).await
    }
    .await;
    match result {
        Ok(t) => Ok(Redirect::to(&format!("/incidents/{}", t.id)).into_response()),
        Err(e) => new_page(&state, &actor, &headers, &uri, f, Some(e)).await,
    }
}

#[derive(Deserialize)]
pub struct ViewForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
}

pub async fn save_view(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<ViewForm>,
) -> WebResult {
    let result = state.app.incidents().save_view(&actor, &f.name, &f.query).await;
    after_form(result, "/incidents", Notice::ViewSaved)
}

pub async fn delete_view(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<i64>,
) -> WebResult {
    let result = state.app.incidents().delete_view(&actor, id).await;
    after_form(result, "/incidents", Notice::ViewDeleted)
}
