//! The monthly service-improvement leaderboard (服务改进月度榜): teams — and agents when
//! `SurveyConfig::leaderboard_agents` says so — ranked by CSAT, SLA attainment, first-contact
//! resolution, problems resolved, changes succeeded and improvements shipped (core
//! `surveys::leaderboard`), against the month before. Everything is read from sums (the report
//! rollup, grouped counts), never ticket by ticket.

use std::collections::BTreeMap;

use jiff::ToSpan;
use jiff::civil::Date;
use steward_core::identity::Permission;
use steward_core::ids::{TeamId, UserId};
use steward_core::reports::{Dim, Measures};
use steward_core::surveys::leaderboard::{Ranked, Standing, rank};
use steward_store::Deed;

use super::{month_bounds, month_of, month_or_now};
use crate::{Actor, AppError, Result};

/// Who a row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Who {
    Team(TeamId),
    Agent(UserId),
}

/// A ranked row with its name.
#[derive(Debug, Clone)]
pub struct BoardRow {
    pub ranked: Ranked<Who>,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Leaderboard {
    /// `YYYY-MM`.
    pub month: String,
    pub previous: String,
    pub teams: Vec<BoardRow>,
    /// `None` when the setting shows teams only.
    pub agents: Option<Vec<BoardRow>>,
}

/// The month's standings per team and per agent.
type Standings = (BTreeMap<Who, Standing>, BTreeMap<Who, Standing>);

impl crate::Surveys<'_> {
    /// The board of `month` (`YYYY-MM`; default the current one), for those who read reports
    /// or metrics.
    pub async fn leaderboard(self, actor: &Actor, month: Option<&str>) -> Result<Leaderboard> {
        if !(actor.can(Permission::ReadReports) || actor.can(Permission::ReadMetrics)) {
            return Err(AppError::Forbidden("the leaderboard is for those who read reports".into()));
        }
        let first = month_or_now(&self, month)?;
        let before = first.checked_sub(1.month()).map_err(|e| AppError::invalid("month", e))?;
        let (teams_now, agents_now) = self.surveys().standings(first).await?;
        let (teams_before, agents_before) = self.surveys().standings(before).await?;
        let team_names: BTreeMap<TeamId, String> =
            self.store.list_teams().await?.into_iter().map(|t| (t.team.id, t.team.name)).collect();
        let users: BTreeMap<UserId, String> =
            self.store.list_users().await?.into_iter().map(|u| (u.id, u.display_name)).collect();
        let name = |w: &Who| match w {
            Who::Team(t) => team_names.get(t).cloned(),
            Who::Agent(u) => users.get(u).cloned(),
        };
        let named = |rows: Vec<Ranked<Who>>| -> Vec<BoardRow> {
            rows.into_iter().filter_map(|r| name(&r.key).map(|name| BoardRow { ranked: r, name })).collect()
        };
        let teams = named(rank(teams_now, &teams_before));
        let agents = self.config.surveys.leaderboard_agents.then(|| named(rank(agents_now, &agents_before)));
        Ok(Leaderboard { month: month_of(first), previous: month_of(before), teams, agents })
    }

    /// Every team's and agent's figures for the month starting on `first`.
    async fn standings(self, first: Date) -> Result<Standings> {
        let next = first.checked_add(1.month()).map_err(|e| AppError::invalid("month", e))?;
        let (from, to) = month_bounds(&self, first)?;
        let mut teams: BTreeMap<Who, Standing> = BTreeMap::new();
        let mut agents: BTreeMap<Who, Standing> = BTreeMap::new();
        for (dim, into) in [(Dim::Team, &mut teams), (Dim::Assignee, &mut agents)] {
            for (value, m) in self.store.rollup_by(dim, first, next).await? {
                let Ok(id) = value.parse::<i64>() else { continue };
                let who = if dim == Dim::Team { Who::Team(TeamId(id)) } else { Who::Agent(UserId(id)) };
                add_measures(into.entry(who).or_default(), &m);
            }
        }
        for sum in self.store.csat_sums(from, to).await? {
            let add = |s: &mut Standing| {
                s.csat_answers += sum.answers;
                s.csat_stars += sum.stars;
                s.csat_satisfied += sum.satisfied;
            };
            if let Some(t) = sum.team_id {
                add(teams.entry(Who::Team(t)).or_default());
            }
            if let Some(u) = sum.assignee_id {
                add(agents.entry(Who::Agent(u)).or_default());
            }
        }
        for deed in [Deed::ProblemsResolved, Deed::ChangesSucceeded, Deed::ImprovementsShipped] {
            for d in self.store.deeds(deed, from, to).await? {
                let add = |s: &mut Standing| match deed {
                    Deed::ProblemsResolved => s.problems_resolved += d.count,
                    Deed::ChangesSucceeded => s.changes_succeeded += d.count,
                    Deed::ImprovementsShipped => s.improvements += d.count,
                };
                if let Some(t) = d.team_id {
                    add(teams.entry(Who::Team(t)).or_default());
                }
                if let Some(u) = d.user_id {
                    add(agents.entry(Who::Agent(u)).or_default());
                }
            }
        }
        Ok((teams, agents))
    }
}

fn add_measures(s: &mut Standing, m: &Measures) {
    s.resolved += m.resolved;
    s.first_contact += m.first_contact;
    s.sla_measured += m.resolution_measured;
    s.sla_met += m.resolution_met;
}
