//! The month's service-improvement leaderboard as gauges (issue 23), read at scrape time:
//! each team's (and agent's, when the board shows them) score, rank and figures.

use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet};
use prometheus_client::metrics::MetricType;
use steward_app::surveys::{BoardRow, Leaderboard, Who};

#[derive(Debug, Default)]
pub(super) struct LeaderboardCollector(pub(super) Mutex<Option<Leaderboard>>);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BoardLabels {
    month: String,
    /// `team` or `agent`.
    scope: String,
    /// The team's or user's id (two may share a name).
    id: String,
    name: String,
}

type Figure = fn(&BoardRow) -> Option<f64>;

impl Collector for LeaderboardCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let board = self.0.lock().map_err(|_| std::fmt::Error)?;
        let Some(board) = board.as_ref() else { return Ok(()) };
        let rows: Vec<&BoardRow> = board.teams.iter().chain(board.agents.iter().flatten()).collect();
        let figures: [(&str, &str, Figure); 5] = [
            ("leaderboard_score", "The month's service-improvement score", |r| Some(r.ranked.score)),
            ("leaderboard_rank", "The month's place on the leaderboard (1 is first)", |r| {
                Some(r.ranked.rank as f64)
            }),
            ("leaderboard_csat_average", "The month's mean CSAT stars (1–5)", |r| {
                r.ranked.standing.csat_average()
            }),
            ("leaderboard_sla_ratio", "The month's resolutions within their SLA target", |r| {
                r.ranked.standing.sla_percent().map(|p| p / 100.0)
            }),
            ("leaderboard_first_contact_ratio", "The month's incidents resolved at first contact", |r| {
                r.ranked.standing.first_contact_percent().map(|p| p / 100.0)
            }),
        ];
        for (name, help, figure) in figures {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for r in &rows {
                let Some(value) = figure(r) else { continue };
                let (scope, id) = match r.ranked.key {
                    Who::Team(t) => ("team", t.get()),
                    Who::Agent(u) => ("agent", u.get()),
                };
                let labels = BoardLabels {
                    month: board.month.clone(),
                    scope: scope.into(),
                    id: id.to_string(),
                    name: r.name.clone(),
                };
                family.encode_family(&labels)?.encode_gauge(&value)?;
            }
        }
        Ok(())
    }
}
