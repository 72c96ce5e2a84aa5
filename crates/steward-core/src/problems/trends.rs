//! Trend detection: incidents on the same configuration item, service or category recurring
//! at least `min` times within `window` are a problem candidate — the same kind of fault keeps
//! happening, so someone should look for its root cause once.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::ids::TicketId;

/// What the incidents have in common.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecurrenceKey {
    Ci { id: i64, name: String },
    Service(String),
    Category { id: i64, name: String },
}

impl RecurrenceKey {
    /// `ci`, `service` or `category`.
    pub fn kind(&self) -> &'static str {
        match self {
            RecurrenceKey::Ci { .. } => "ci",
            RecurrenceKey::Service(_) => "service",
            RecurrenceKey::Category { .. } => "category",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RecurrenceKey::Ci { name, .. } | RecurrenceKey::Category { name, .. } => name,
            RecurrenceKey::Service(s) => s,
        }
    }
}

/// One incident, with what it may share with others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    pub ticket: TicketId,
    pub opened_at: Timestamp,
    pub keys: Vec<RecurrenceKey>,
}

/// How many incidents within how long make a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendPolicy {
    pub min: usize,
    pub window: SignedDuration,
}

impl Default for TrendPolicy {
    /// Three incidents in thirty days.
    fn default() -> Self {
        TrendPolicy { min: 3, window: SignedDuration::from_hours(24 * 30) }
    }
}

/// A problem candidate: its key, and its incidents within the window, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub key: RecurrenceKey,
    pub tickets: Vec<TicketId>,
    pub first: Timestamp,
    pub last: Timestamp,
}

/// The candidates among `incidents` as of `now`: for each key, its incidents opened within the
/// window before `now`, when there are at least `policy.min`; most incidents first, then the
/// most recent.
pub fn candidates(incidents: &[Recurrence], policy: TrendPolicy, now: Timestamp) -> Vec<Candidate> {
    let since = now.saturating_sub(policy.window).unwrap_or(now);
    let mut by_key: BTreeMap<&RecurrenceKey, Vec<(Timestamp, TicketId)>> = BTreeMap::new();
    for i in incidents.iter().filter(|i| i.opened_at >= since && i.opened_at <= now) {
        for k in &i.keys {
            by_key.entry(k).or_default().push((i.opened_at, i.ticket));
        }
    }
    let mut out: Vec<Candidate> = by_key
        .into_iter()
        .filter(|(_, v)| v.len() >= policy.min.max(2))
        .map(|(key, mut v)| {
            v.sort_by(|a, b| b.cmp(a));
            v.dedup_by_key(|(_, t)| *t);
            Candidate {
                key: key.clone(),
                first: v.last().map_or(now, |(at, _)| *at),
                last: v.first().map_or(now, |(at, _)| *at),
                tickets: v.into_iter().map(|(_, t)| t).collect(),
            }
        })
        .filter(|c| c.tickets.len() >= policy.min.max(2))
        .collect();
    out.sort_by(|a, b| {
        b.tickets.len().cmp(&a.tickets.len()).then(b.last.cmp(&a.last)).then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recurring_incidents_on_one_key_within_the_window_are_candidates() {
        let now: Timestamp = "2030-03-31T00:00:00Z".parse().unwrap();
        let day = |d: i64| now.checked_sub(SignedDuration::from_hours(24 * d)).unwrap();
        let db = RecurrenceKey::Ci { id: 7, name: "db01".into() };
        let vpn = RecurrenceKey::Service("VPN".into());
        let wifi = RecurrenceKey::Category { id: 2, name: "Wi-Fi".into() };
        let inc = |t: i64, d: i64, keys: Vec<RecurrenceKey>| Recurrence {
            ticket: TicketId(t),
            opened_at: day(d),
            keys,
        };
        let incidents = vec![
            inc(1, 40, vec![db.clone()]), // outside the window
            inc(2, 20, vec![db.clone(), vpn.clone()]),
            inc(3, 10, vec![db.clone()]),
            inc(4, 1, vec![db.clone(), wifi.clone()]),
            inc(5, 2, vec![vpn.clone()]),
            inc(6, 3, vec![wifi.clone()]),
        ];
        let found = candidates(&incidents, TrendPolicy::default(), now);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].key, db);
        assert_eq!(
            found[0].tickets,
            vec![TicketId(4), TicketId(3), TicketId(2)],
            "newest first; #1 is too old"
        );
        assert_eq!((found[0].first, found[0].last), (day(20), day(1)));
        let two = candidates(&incidents, TrendPolicy { min: 2, ..TrendPolicy::default() }, now);
        let keys: Vec<&str> = two.iter().map(|c| c.key.name()).collect();
        assert_eq!(keys, ["db01", "Wi-Fi", "VPN"], "most incidents first, then most recent");
        // A minimum of one is taken as two: one incident is not a trend.
        assert_eq!(
            candidates(
                &incidents[..1],
                TrendPolicy { min: 1, window: SignedDuration::from_hours(24 * 90) },
                now
            ),
            vec![]
        );
    }
}
