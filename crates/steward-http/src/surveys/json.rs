//! The satisfaction API's answers.

use serde::Serialize;
use steward_app::surveys::{BoardRow, CsatMonth, CsatWaiting, Leaderboard, NpsResults, Who};
use steward_core::ids::TicketId;
use steward_core::surveys::NpsTally;
use steward_store::NpsRecord;
use utoipa::ToSchema;

use crate::api::time;

/// A CSAT survey: waiting for its requester, or answered.
#[derive(Serialize, ToSchema)]
#[schema(as = CsatSurvey)]
pub struct CsatJson {
    ticket_id: TicketId,
    number: String,
    title: String,
    asked_at: String,
    expires_at: String,
    answered_at: Option<String>,
    /// 1–5.
    stars: Option<i64>,
    comment: String,
    /// `portal` or `mail`.
    via: Option<String>,
}

impl From<&CsatWaiting> for CsatJson {
    fn from(c: &CsatWaiting) -> CsatJson {
        let s = &c.survey;
        CsatJson {
            ticket_id: c.ticket.id,
            number: c.ticket.number.clone(),
            title: c.ticket.title.clone(),
            asked_at: time(s.asked_at),
            expires_at: time(s.expires_at),
            answered_at: s.answered_at.map(time),
            stars: s.stars,
            comment: s.comment.clone(),
            via: s.via.clone(),
        }
    }
}

/// An NPS survey waiting for the caller.
#[derive(Serialize, ToSchema)]
#[schema(as = NpsSurvey)]
pub struct NpsWaitingJson {
    /// `YYYY-MM`: the month it asks about.
    month: String,
    expires_at: String,
}

/// The surveys waiting for the caller's answer.
#[derive(Serialize, ToSchema)]
#[schema(as = PendingSurveys)]
pub struct PendingJson {
    pub csat: Vec<CsatJson>,
    pub nps: Option<NpsWaitingJson>,
}

impl PendingJson {
    pub fn new(csat: &[CsatWaiting], nps: Option<&NpsRecord>) -> PendingJson {
        PendingJson {
            csat: csat.iter().map(CsatJson::from).collect(),
            nps: nps.map(|n| NpsWaitingJson { month: n.month.clone(), expires_at: time(n.expires_at) }),
        }
    }
}

/// A month's CSAT.
#[derive(Serialize, ToSchema)]
#[schema(as = CsatReport)]
pub struct CsatMonthJson {
    month: String,
    answers: i64,
    /// Mean stars; none without answers.
    average: Option<f64>,
    /// Share of 4–5 star ratings, %.
    satisfied_percent: Option<f64>,
    /// The newest ratings (500 at most).
    ratings: Vec<CsatJson>,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl From<&CsatMonth> for CsatMonthJson {
    fn from(m: &CsatMonth) -> CsatMonthJson {
        let n = m.answers;
        CsatMonthJson {
            month: m.month.clone(),
            answers: n,
            average: (n > 0).then(|| round1(m.stars as f64 / n as f64)),
            satisfied_percent: (n > 0).then(|| round1(m.satisfied as f64 * 100.0 / n as f64)),
            ratings: m.ratings.iter().map(CsatJson::from).collect(),
        }
    }
}

/// Answers of one group (a month, a team, a service).
#[derive(Serialize, ToSchema)]
#[schema(as = NpsGroup)]
pub struct NpsGroupJson {
    /// The month, team name or service (empty: none).
    key: String,
    answers: i64,
    /// % promoters − % detractors, −100 to 100.
    nps: Option<i64>,
    promoters: i64,
    passives: i64,
    detractors: i64,
}

fn group(key: &str, t: &NpsTally) -> NpsGroupJson {
    NpsGroupJson {
        key: key.to_owned(),
        answers: t.answers(),
        nps: t.nps(),
        promoters: t.promoters,
        passives: t.passives,
        detractors: t.detractors,
    }
}

/// One answer's reason.
#[derive(Serialize, ToSchema)]
#[schema(as = NpsVerbatim)]
pub struct VerbatimJson {
    month: String,
    score: Option<i64>,
    reason: String,
    /// positive, neutral or negative.
    sentiment: Option<String>,
    team: Option<String>,
    service: Option<String>,
    answered_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = NpsReport)]
pub struct NpsResultsJson {
    from: String,
    to: String,
    sent: i64,
    total: NpsGroupJson,
    by_month: Vec<NpsGroupJson>,
    by_team: Vec<NpsGroupJson>,
    by_service: Vec<NpsGroupJson>,
    verbatims: Vec<VerbatimJson>,
}

impl From<&NpsResults> for NpsResultsJson {
    fn from(r: &NpsResults) -> NpsResultsJson {
        let groups = |g: &[(String, NpsTally)]| g.iter().map(|(k, t)| group(k, t)).collect();
        NpsResultsJson {
            from: r.from.clone(),
            to: r.to.clone(),
            sent: r.sent,
            total: group("", &r.total),
            by_month: groups(&r.by_month),
            by_team: groups(&r.by_team),
            by_service: groups(&r.by_service),
            verbatims: r
                .verbatims
                .iter()
                .map(|v| VerbatimJson {
                    month: v.survey.month.clone(),
                    score: v.survey.score,
                    reason: v.survey.reason.clone(),
                    sentiment: v.survey.sentiment.clone(),
                    team: v.team.clone(),
                    service: v.survey.service.clone(),
                    answered_at: v.survey.answered_at.map(time),
                })
                .collect(),
        }
    }
}

/// How many NPS surveys went out.
#[derive(Serialize, ToSchema)]
#[schema(as = NpsSent)]
pub struct NpsSentJson {
    pub month: String,
    pub sent: usize,
}

/// A team's or agent's place on the board.
#[derive(Serialize, ToSchema)]
#[schema(as = LeaderboardRow)]
pub struct BoardRowJson {
    /// `team` or `agent`.
    kind: String,
    id: i64,
    name: String,
    rank: usize,
    /// Places gained since the month before (negative: lost); none: not ranked then.
    movement: Option<i64>,
    score: f64,
    csat_answers: i64,
    csat_average: Option<f64>,
    /// Share of 4–5 star ratings, %.
    csat_percent: Option<f64>,
    /// Resolutions within their SLA target, %.
    sla_percent: Option<f64>,
    /// Incidents resolved without reopening or reassignment, %.
    first_contact_percent: Option<f64>,
    resolved: i64,
    problems_resolved: i64,
    changes_succeeded: i64,
    /// Review action items done.
    improvements: i64,
}

impl From<&BoardRow> for BoardRowJson {
    fn from(r: &BoardRow) -> BoardRowJson {
        let s = &r.ranked.standing;
        let (kind, id) = match r.ranked.key {
            Who::Team(t) => ("team", t.get()),
            Who::Agent(u) => ("agent", u.get()),
        };
        BoardRowJson {
            kind: kind.into(),
            id,
            name: r.name.clone(),
            rank: r.ranked.rank,
            movement: r.ranked.movement,
            score: r.ranked.score,
            csat_answers: s.csat_answers,
            csat_average: s.csat_average().map(round1),
            csat_percent: s.csat_percent().map(round1),
            sla_percent: s.sla_percent().map(round1),
            first_contact_percent: s.first_contact_percent().map(round1),
            resolved: s.resolved,
            problems_resolved: s.problems_resolved,
            changes_succeeded: s.changes_succeeded,
            improvements: s.improvements,
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = Leaderboard)]
pub struct LeaderboardJson {
    month: String,
    previous: String,
    teams: Vec<BoardRowJson>,
    /// Absent when the board shows teams only.
    #[serde(skip_serializing_if = "Option::is_none")]
    agents: Option<Vec<BoardRowJson>>,
}

impl From<&Leaderboard> for LeaderboardJson {
    fn from(b: &Leaderboard) -> LeaderboardJson {
        LeaderboardJson {
            month: b.month.clone(),
            previous: b.previous.clone(),
            teams: b.teams.iter().map(BoardRowJson::from).collect(),
            agents: b.agents.as_ref().map(|a| a.iter().map(BoardRowJson::from).collect()),
        }
    }
}
