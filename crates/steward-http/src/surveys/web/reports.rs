//! `/satisfaction`: a month's CSAT ratings and the NPS by month, team and service with the
//! searchable reasons; `/leaderboard`: the monthly service-improvement leaderboard, printable.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use serde::Deserialize;
use steward_app::surveys::{BoardRow, CsatMonth, Leaderboard, NpsResults};
use steward_core::identity::Permission;
use steward_core::ids::TeamId;
use steward_core::surveys::{NpsTally, Sentiment};

use crate::AppState;
use crate::extract::{ApiQuery, CurrentActor};
use crate::surveys::api::NpsQuery;
use crate::web::{Notice, Page, WebForm, WebResult, after_form, render};

#[derive(Deserialize, Default)]
pub struct SatisfactionQuery {
    /// The CSAT month.
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    sentiment: Option<String>,
}

#[derive(Template)]
#[template(path = "satisfaction.html")]
struct SatisfactionPage<'a> {
    page: Page<'a>,
    csat: CsatMonth,
    nps: NpsResults,
    f: SatisfactionQuery,
    teams: Vec<(TeamId, String)>,
    sentiments: &'static [Sentiment],
    can_send: bool,
}

impl SatisfactionPage<'_> {
    fn average(&self) -> String {
        if self.csat.answers == 0 {
            "—".into()
        } else {
            format!("{:.1}", self.csat.stars as f64 / self.csat.answers as f64)
        }
    }

    fn satisfied(&self) -> String {
        percent(self.csat.satisfied, self.csat.answers)
    }

    fn nps_of(&self, t: &NpsTally) -> String {
        t.nps().map_or_else(|| "—".into(), |n| if n > 0 { format!("+{n}") } else { n.to_string() })
    }

    fn selected_team(&self, id: &TeamId) -> bool {
        self.f.team_id.as_deref() == Some(id.to_string().as_str())
    }

    /// NPS by month, team and service: each group's title and rows.
    fn groups(&self) -> Vec<(&'static str, &[(String, NpsTally)])> {
        vec![
            ("satisfaction.by_month", &self.nps.by_month),
            ("satisfaction.by_team", &self.nps.by_team),
            ("satisfaction.by_service", &self.nps.by_service),
        ]
    }

    /// The message key of a sentiment's word.
    fn sentiment_key(&self, s: &str) -> &'static str {
        match Sentiment::parse(s) {
            Ok(Sentiment::Positive) => "sentiment.positive",
            Ok(Sentiment::Negative) => "sentiment.negative",
            _ => "sentiment.neutral",
        }
    }

    fn stars(&self, n: &Option<i64>) -> String {
        "★".repeat(usize::try_from(n.unwrap_or(0)).unwrap_or(0))
    }
}

fn percent(part: i64, whole: i64) -> String {
    if whole == 0 { "—".into() } else { format!("{:.0} %", part as f64 * 100.0 / whole as f64) }
}

/// `GET /satisfaction`.
pub async fn satisfaction(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(f): ApiQuery<SatisfactionQuery>,
) -> WebResult {
    let surveys = state.app.surveys();
    let csat = surveys.csat_month(&actor, f.month.as_deref()).await?;
    let team_id = match f.team_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => {
            Some(TeamId(t.parse().map_err(|_| steward_app::AppError::invalid("team_id", "not a team"))?))
        }
        None => None,
    };
    let query = NpsQuery {
        from: f.from.clone(),
        to: f.to.clone(),
        team_id,
        service: f.service.clone(),
        q: f.q.clone(),
        sentiment: f.sentiment.clone(),
    };
    let nps = surveys.nps_results(&actor, &query.filter()?).await?;
    let teams = state
        .app
        .directory()
        .list_teams(&actor)
        .await?
        .into_iter()
        .map(|t| (t.team.id, t.team.name))
        .collect();
    let page = Page::new(&state, &actor, &headers, &uri, "satisfaction.title");
    Ok(render(&SatisfactionPage {
        can_send: actor.can(Permission::ManageCatalogue),
        page,
        csat,
        nps,
        f,
        teams,
        sentiments: Sentiment::ALL,
    }))
}

#[derive(Deserialize)]
pub struct SendForm {
    #[serde(default)]
    month: String,
}

/// `POST /satisfaction/nps/send`: an admin sends a month's NPS survey now.
pub async fn send_nps(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    WebForm(f): WebForm<SendForm>,
) -> WebResult {
    let result = state.app.surveys().send_nps(&actor, &f.month).await;
    after_form(result, "/satisfaction", Notice::Sent)
}

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    month: Option<String>,
}

#[derive(Template)]
#[template(path = "leaderboard.html")]
struct BoardPage<'a> {
    page: Page<'a>,
    board: Leaderboard,
}

impl BoardPage<'_> {
    /// Teams, then agents when the board shows them: title, table id, rows.
    fn sections(&self) -> Vec<(&'static str, &'static str, &[BoardRow])> {
        let mut out = vec![("leaderboard.teams", "board-teams", self.board.teams.as_slice())];
        if let Some(agents) = &self.board.agents {
            out.push(("leaderboard.agents", "board-agents", agents.as_slice()));
        }
        out
    }

    fn pct(&self, v: Option<f64>) -> String {
        v.map_or_else(|| "—".into(), |x| format!("{x:.0} %"))
    }

    /// Mean stars and how many ratings, or a dash.
    fn csat(&self, r: &BoardRow) -> String {
        let s = &r.ranked.standing;
        s.csat_average().map_or_else(|| "—".into(), |x| format!("{x:.1} ★ ({})", s.csat_answers))
    }

    /// ↑2, ↓1, = or "new".
    fn movement(&self, r: &BoardRow) -> String {
        match r.ranked.movement {
            None => self.page.t.get("leaderboard.new").to_owned(),
            Some(0) => "=".into(),
            Some(n) if n > 0 => format!("↑{n}"),
            Some(n) => format!("↓{}", -n),
        }
    }
}

/// `GET /leaderboard?month=…`: printable.
pub async fn leaderboard(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    uri: Uri,
    ApiQuery(q): ApiQuery<BoardQuery>,
) -> WebResult {
    let board = state.app.surveys().leaderboard(&actor, q.month.as_deref()).await?;
    let page = Page::new(&state, &actor, &headers, &uri, "leaderboard.title");
    Ok(render(&BoardPage { page, board }))
}
