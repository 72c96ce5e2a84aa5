//! The monthly service-improvement leaderboard (服务改进月度榜): a team's or an agent's month
//! in six figures, one score to rank by, and movement against the month before.

use std::collections::BTreeMap;

/// One team's or agent's month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Standing {
    pub csat_answers: i64,
    pub csat_stars: i64,
    /// Answers of 4 or 5 stars.
    pub csat_satisfied: i64,
    /// Incidents resolved, of them resolved at first contact (never reopened nor reassigned).
    pub resolved: i64,
    pub first_contact: i64,
    /// Resolutions measured against an SLA target, of them within it.
    pub sla_measured: i64,
    pub sla_met: i64,
    pub problems_resolved: i64,
    pub changes_succeeded: i64,
    /// Review action items done.
    pub improvements: i64,
}

/// Points each problem resolved, change succeeded and improvement shipped adds to the score.
pub const POINTS_PER_DEED: f64 = 2.0;

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

impl Standing {
    pub fn csat_average(&self) -> Option<f64> {
        (self.csat_answers > 0).then(|| self.csat_stars as f64 / self.csat_answers as f64)
    }

    /// Share of answers with 4–5 stars, %.
    pub fn csat_percent(&self) -> Option<f64> {
        percent(self.csat_satisfied, self.csat_answers)
    }

    pub fn sla_percent(&self) -> Option<f64> {
        percent(self.sla_met, self.sla_measured)
    }

    pub fn first_contact_percent(&self) -> Option<f64> {
        percent(self.first_contact, self.resolved)
    }

    pub fn is_empty(&self) -> bool {
        *self == Standing::default()
    }

    /// The mean of the percentages it has (CSAT 4–5 ★ share, SLA attainment, first-contact
    /// resolution), plus `POINTS_PER_DEED` for each problem resolved, change succeeded and
    /// improvement shipped. A month with no figure scores 0.
    pub fn score(&self) -> f64 {
        let shares: Vec<f64> = [self.csat_percent(), self.sla_percent(), self.first_contact_percent()]
            .into_iter()
            .flatten()
            .collect();
        let mean = if shares.is_empty() { 0.0 } else { shares.iter().sum::<f64>() / shares.len() as f64 };
        let deeds = (self.problems_resolved + self.changes_succeeded + self.improvements) as f64;
        ((mean + POINTS_PER_DEED * deeds) * 10.0).round() / 10.0
    }
}

/// A row of the board.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked<K> {
    pub key: K,
    pub rank: usize,
    pub standing: Standing,
    pub score: f64,
    /// Places gained since the month before (negative: lost); `None`: not ranked then.
    pub movement: Option<i64>,
}

/// Ranks this month's standings by score (ties share a rank, then by key), and compares each
/// with its rank the month before. Keys with no figures are left out.
pub fn rank<K: Ord + Clone>(now: BTreeMap<K, Standing>, before: &BTreeMap<K, Standing>) -> Vec<Ranked<K>> {
    let previous: BTreeMap<K, usize> = ranks(before.clone()).into_iter().map(|(k, r, _)| (k, r)).collect();
    ranks(now)
        .into_iter()
        .map(|(key, rank, standing)| {
            let movement = previous.get(&key).map(|p| *p as i64 - rank as i64);
            Ranked { score: standing.score(), key, rank, standing, movement }
        })
        .collect()
}

fn ranks<K: Ord>(standings: BTreeMap<K, Standing>) -> Vec<(K, usize, Standing)> {
    let mut rows: Vec<(K, Standing, f64)> = standings
        .into_iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(k, s)| {
            let sc = s.score();
            (k, s, sc)
        })
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
    let mut out = Vec::with_capacity(rows.len());
    let mut last: Option<(f64, usize)> = None;
    for (i, (k, s, score)) in rows.into_iter().enumerate() {
        let rank = match last {
            Some((prev, r)) if prev == score => r,
            _ => i + 1,
        };
        last = Some((score, rank));
        out.push((k, rank, s));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(satisfied: i64, answers: i64, met: i64, measured: i64, deeds: i64) -> Standing {
        Standing {
            csat_answers: answers,
            csat_stars: answers * 4,
            csat_satisfied: satisfied,
            sla_measured: measured,
            sla_met: met,
            problems_resolved: deeds,
            ..Standing::default()
        }
    }

    #[test]
    fn the_score_is_the_mean_share_plus_deeds() {
        // CSAT 80 %, SLA 50 %: mean 65, plus one problem resolved.
        let s = standing(4, 5, 1, 2, 1);
        assert_eq!(s.score(), 67.0);
        assert_eq!(s.csat_average(), Some(4.0));
        assert_eq!(s.first_contact_percent(), None);
        assert_eq!(Standing::default().score(), 0.0);
    }

    #[test]
    fn ranks_share_ties_and_move_against_last_month() {
        let now = BTreeMap::from([
            ("desk", standing(5, 5, 2, 2, 0)),
            ("network", standing(1, 2, 1, 2, 0)),
            ("servers", standing(5, 5, 2, 2, 0)),
            ("idle", Standing::default()),
        ]);
        let before =
            BTreeMap::from([("network", standing(5, 5, 2, 2, 3)), ("desk", standing(1, 5, 0, 2, 0))]);
        let board = rank(now, &before);
        let rows: Vec<(&str, usize, Option<i64>)> =
            board.iter().map(|r| (r.key, r.rank, r.movement)).collect();
        assert_eq!(rows, vec![("desk", 1, Some(1)), ("servers", 1, None), ("network", 3, Some(-2))]);
    }
}
