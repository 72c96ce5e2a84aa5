//! The problem API's answers.

use serde::Serialize;
use steward_app::problems::{KnownError, ProblemView, TimelineEntry};
use steward_core::ids::{CategoryId, CiId, TeamId, TicketId, UserId};
use steward_core::problems::Analysis;
use steward_core::tickets::{Ticket, TicketKind};
use utoipa::ToSchema;

use crate::api::time;

/// A problem as lists show it.
#[derive(Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemJson {
    id: TicketId,
    /// `PRB000007`.
    number: String,
    title: String,
    description: String,
    category_id: Option<CategoryId>,
    service: Option<String>,
    #[schema(minimum = 1, maximum = 3)]
    impact: u8,
    #[schema(minimum = 1, maximum = 3)]
    urgency: u8,
    #[schema(minimum = 1, maximum = 5)]
    priority: u8,
    team_id: Option<TeamId>,
    assignee_id: Option<UserId>,
    /// `new`, `under_investigation`, `root_cause_known`, `known_error`, `resolved`, `closed`
    /// or `cancelled`.
    state: &'static str,
    resolution_code: Option<&'static str>,
    /// The fix note, once resolved.
    resolution_note: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    tags: Vec<String>,
    created_by: Option<UserId>,
    created_at: String,
    updated_at: String,
    /// For `If-Match`; also the `ETag`.
    version: i64,
    allowed_transitions: Vec<&'static str>,
    /// Linked incidents (in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    incident_count: Option<i64>,
}

impl ProblemJson {
    pub fn new(t: &Ticket, incident_count: Option<i64>) -> ProblemJson {
        ProblemJson {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            category_id: t.category_id,
            service: t.service.clone(),
            impact: t.impact.get(),
            urgency: t.urgency.get(),
            priority: t.priority.get(),
            team_id: t.team_id,
            assignee_id: t.assignee_id,
            state: t.state.as_str(),
            resolution_code: t.resolution_code.map(|c| c.as_str()),
            resolution_note: t.resolution_note.clone(),
            resolved_at: t.resolved_at.map(time),
            closed_at: t.closed_at.map(time),
            tags: t.tags.iter().map(|tag| tag.to_string()).collect(),
            created_by: t.created_by,
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            version: t.version,
            allowed_transitions: t.state.allowed(TicketKind::Problem).iter().map(|s| s.as_str()).collect(),
            incident_count,
        }
    }
}

/// One fishbone cause.
#[derive(Serialize, ToSchema)]
#[schema(as = FishboneCause)]
pub struct CauseJson {
    /// `people`, `process`, `technology`, `environment`, `supplier` or `measurement`.
    pub category: &'static str,
    pub cause: String,
}

/// The root-cause analysis.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemAnalysis)]
pub struct AnalysisJson {
    /// The 5-Whys chain, in order.
    whys: Vec<String>,
    fishbone: Vec<CauseJson>,
    root_cause: String,
    workaround: String,
    permanent_fix: String,
}

impl From<&Analysis> for AnalysisJson {
    fn from(a: &Analysis) -> AnalysisJson {
        AnalysisJson {
            whys: a.whys.clone(),
            fishbone: a
                .fishbone
                .iter()
                .map(|c| CauseJson { category: c.bone.as_str(), cause: c.text.clone() })
                .collect(),
            root_cause: a.root_cause.clone(),
            workaround: a.workaround.clone(),
            permanent_fix: a.permanent_fix.clone(),
        }
    }
}

/// A linked incident.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemIncident)]
pub struct LinkedIncident {
    id: TicketId,
    number: String,
    title: String,
    state: &'static str,
    priority: u8,
}

impl From<&Ticket> for LinkedIncident {
    fn from(t: &Ticket) -> LinkedIncident {
        LinkedIncident {
            id: t.id,
            number: t.number.clone(),
            title: t.title.clone(),
            state: t.state.as_str(),
            priority: t.priority.get(),
        }
    }
}

/// A linked CI.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemCi)]
pub struct LinkedCi {
    id: CiId,
    name: String,
    class: String,
}

/// A problem with its analysis and links.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemDetail)]
pub struct ProblemDetailJson {
    #[serde(flatten)]
    problem: ProblemJson,
    analysis: AnalysisJson,
    incidents: Vec<LinkedIncident>,
    cis: Vec<LinkedCi>,
}

impl From<&ProblemView> for ProblemDetailJson {
    fn from(v: &ProblemView) -> ProblemDetailJson {
        ProblemDetailJson {
            problem: ProblemJson::new(&v.ticket, Some(v.incidents.len() as i64)),
            analysis: AnalysisJson::from(&v.analysis),
            incidents: v.incidents.iter().map(LinkedIncident::from).collect(),
            cis: v
                .cis
                .iter()
                .map(|c| LinkedCi { id: c.id, name: c.name.clone(), class: c.class.clone() })
                .collect(),
        }
    }
}

/// A page of problems.
#[derive(Serialize, ToSchema)]
pub struct ProblemPage {
    pub items: Vec<ProblemJson>,
    pub next_cursor: Option<String>,
}

/// One line of a problem's timeline.
#[derive(Serialize, ToSchema)]
#[schema(as = ProblemTimelineEntry)]
pub struct TimelineJson {
    at: String,
    /// `problem`, `incident` or `alert`.
    entity: String,
    /// The ticket's number or the alert's title.
    subject: String,
    action: String,
    actor: String,
    /// The state a ticket moved to, when it did.
    state: Option<String>,
}

impl From<&TimelineEntry> for TimelineJson {
    fn from(e: &TimelineEntry) -> TimelineJson {
        TimelineJson {
            at: time(e.at),
            entity: e.entity.clone(),
            subject: e.subject.clone(),
            action: e.action.clone(),
            actor: e.actor.clone(),
            state: e.state.clone(),
        }
    }
}

/// A known error: the problem and its published workaround.
#[derive(Serialize, ToSchema)]
#[schema(as = KnownError)]
pub struct KnownErrorJson {
    problem_id: TicketId,
    number: String,
    title: String,
    root_cause: String,
    workaround: String,
    updated_at: String,
}

impl From<&KnownError> for KnownErrorJson {
    fn from(k: &KnownError) -> KnownErrorJson {
        KnownErrorJson {
            problem_id: k.problem.id,
            number: k.problem.number.clone(),
            title: k.problem.title.clone(),
            root_cause: k.analysis.root_cause.clone(),
            workaround: k.analysis.workaround.clone(),
            updated_at: time(k.problem.updated_at),
        }
    }
}
