//! What one ticket adds to the daily rollup the reports read.
//!
//! A ticket's [`Entry`] (its current attributes and [`Facts`]) contributes additive
//! [`Measures`] to rows keyed by local day, dimension and value. When the ticket changes, the
//! store applies `contributions(new) - contributions(old)` ([`delta`]), so the rollup always
//! equals the sum over the tickets as they are now — the same figures a full scan would give.

use std::collections::BTreeMap;
use std::ops::{AddAssign, Neg};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::ids::{CategoryId, TeamId, UserId};
use crate::tickets::{State, Ticket, TicketKind};

/// Facts about a ticket's life that its fields alone do not hold, fixed when they happen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The first response: the first agent reply or the first move out of `new`.
    pub responded_at: Option<Timestamp>,
    /// Business time to that response, by the SLA clock.
    pub response_business: Option<SignedDuration>,
    /// Whether the response target was met; `None` when no policy had a response target.
    pub response_met: Option<bool>,
    /// Business time to the (current) resolution.
    pub resolution_business: Option<SignedDuration>,
    pub resolution_met: Option<bool>,
    /// The assignment team was changed from one team to another at least once.
    pub reassigned: bool,
    /// When it was cancelled (or, a request, rejected).
    pub cancelled_at: Option<Timestamp>,
}

/// What the reports know of one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: TicketKind,
    pub priority: u8,
    pub impact: u8,
    pub team_id: Option<TeamId>,
    /// Counted in the whole desk's view only (the leaderboard ranks agents), not as a filter.
    pub assignee_id: Option<UserId>,
    pub service: Option<String>,
    pub category_id: Option<CategoryId>,
    pub state: State,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub reopen_count: i64,
    pub facts: Facts,
}

impl Entry {
    pub fn of(ticket: &Ticket, facts: Facts) -> Entry {
        Entry {
            kind: ticket.kind,
            priority: ticket.priority.get(),
            impact: ticket.impact.get(),
            team_id: ticket.team_id,
            assignee_id: ticket.assignee_id,
            service: ticket.service.clone(),
            category_id: ticket.category_id,
            state: ticket.state,
            created_at: ticket.created_at,
            resolved_at: ticket.resolved_at,
            reopen_count: ticket.reopen_count,
            facts,
        }
    }

    /// When the ticket left the backlog: resolved, or cancelled (or, a request, rejected).
    pub fn ended_at(&self) -> Option<Timestamp> {
        let dropped = matches!(self.state, State::Cancelled | State::Rejected);
        self.resolved_at.or(if dropped { self.facts.cancelled_at } else { None })
    }
}

/// The facts after a ticket changed from `before` (`None` when new) to `after` at `at`.
///
/// `response` and `resolution` are the SLA clocks at `at` (business time elapsed, target met),
/// asked for only when [`needs_clocks`] says a response or a resolution happens now.
pub fn next_facts(
    old: &Facts,
    before: Option<&Ticket>,
    after: &Ticket,
    at: Timestamp,
    agent_reply: bool,
    clocks: Clocks,
) -> Facts {
    let mut facts = old.clone();
    let (responds, resolves) = needs_clocks(old, before, after, agent_reply);
    if responds {
        facts.responded_at = Some(at);
        facts.response_business = clocks.response.map(|(elapsed, _)| elapsed);
        facts.response_met = clocks.response.and_then(|(_, met)| met);
    }
    if resolves {
        facts.resolution_business = clocks.resolution.map(|(elapsed, _)| elapsed);
        facts.resolution_met = clocks.resolution.and_then(|(_, met)| met);
    }
    if after.resolved_at.is_none() {
        facts.resolution_business = None;
        facts.resolution_met = None;
    }
    if let Some(b) = before
        && b.team_id.is_some()
        && after.team_id.is_some()
        && b.team_id != after.team_id
    {
        facts.reassigned = true;
    }
    // A rejected request leaves the backlog as a cancelled ticket does.
    let dropped = |s: State| matches!(s, State::Cancelled | State::Rejected);
    match (before.map(|b| b.state), after.state) {
        (Some(b), a) if dropped(b) && dropped(a) => {}
        (_, a) if dropped(a) => facts.cancelled_at = Some(at),
        _ => facts.cancelled_at = None,
    }
    facts
}

/// Elapsed business time and whether the target was met (`None`: no target), per clock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clocks {
    pub response: Option<(SignedDuration, Option<bool>)>,
    pub resolution: Option<(SignedDuration, Option<bool>)>,
}

/// Whether this change is the first response, and whether it resolves the ticket.
pub fn needs_clocks(old: &Facts, before: Option<&Ticket>, after: &Ticket, agent_reply: bool) -> (bool, bool) {
    let responds = old.responded_at.is_none() && (agent_reply || after.state.acknowledges(after.kind));
    let resolves = after.resolved_at.is_some() && before.is_none_or(|b| b.resolved_at.is_none());
    (responds, resolves)
}

/// A report dimension: each ticket counts once under every dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dim {
    All,
    Priority,
    Team,
    Service,
    Category,
    /// Wall-clock time to respond, by histogram bucket (the value is the bucket's upper bound).
    ResponseWithin,
    /// Wall-clock time to resolve, by histogram bucket.
    ResolutionWithin,
    /// The ticket's agent, in the whole desk's view only (the leaderboard reads it).
    Assignee,
}

impl Dim {
    pub const ALL: [Dim; 8] = [
        Dim::All,
        Dim::Priority,
        Dim::Team,
        Dim::Service,
        Dim::Category,
        Dim::ResponseWithin,
        Dim::ResolutionWithin,
        Dim::Assignee,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Dim::All => "all",
            Dim::Priority => "priority",
            Dim::Team => "team",
            Dim::Service => "service",
            Dim::Category => "category",
            Dim::ResponseWithin => "response_within",
            Dim::ResolutionWithin => "resolution_within",
            Dim::Assignee => "assignee",
        }
    }

    pub fn parse(s: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Histogram bucket upper bounds in seconds (the last bucket is "+Inf").
pub const RESPONSE_BUCKETS: [i64; 7] = [300, 900, 1800, 3600, 4 * 3600, 8 * 3600, 24 * 3600];
pub const RESOLUTION_BUCKETS: [i64; 7] =
    [3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600, 7 * 24 * 3600, 30 * 24 * 3600];

/// The bucket label (`le`) a duration falls into.
pub fn bucket(bounds: &[i64], d: SignedDuration) -> String {
    bounds.iter().find(|b| d.as_secs() <= **b).map_or_else(|| "+Inf".to_owned(), |b| b.to_string())
}

/// One rollup row's key: a local day, the ticket kind, a dimension and its value (empty for
/// none), and the single-dimension filter the row belongs to (`team=5`; empty: no filter).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub filter: String,
    pub day: Date,
    pub kind: TicketKind,
    pub dim: Dim,
    pub value: String,
}

/// Additive counts and sums; every figure in a report is a ratio of these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measures {
    pub created: i64,
    pub ended: i64,
    pub resolved: i64,
    pub reopened: i64,
    pub first_contact: i64,
    pub resolution_wall_secs: i64,
    pub resolution_business_secs: i64,
    pub resolution_measured: i64,
    pub resolution_met: i64,
    pub responded: i64,
    pub response_wall_secs: i64,
    pub response_business_secs: i64,
    pub response_measured: i64,
    pub response_met: i64,
}

macro_rules! each_measure {
    ($m:ident) => {
        $m!(
            created,
            ended,
            resolved,
            reopened,
            first_contact,
            resolution_wall_secs,
            resolution_business_secs,
            resolution_measured,
            resolution_met,
            responded,
            response_wall_secs,
            response_business_secs,
            response_measured,
            response_met
        )
    };
}

impl Measures {
    /// The measures in their fixed order (the store's column order).
    pub fn to_array(&self) -> [i64; 14] {
        macro_rules! arr { ($($f:ident),*) => { [$(self.$f),*] } }
        each_measure!(arr)
    }

    pub fn from_array(a: [i64; 14]) -> Measures {
        macro_rules! build { ($($f:ident),*) => {{ let [$($f),*] = a; Measures { $($f),* } }} }
        each_measure!(build)
    }

    pub const COLUMNS: [&'static str; 14] = {
        macro_rules! names { ($($f:ident),*) => { [$(stringify!($f)),*] } }
        each_measure!(names)
    };

    pub fn is_zero(&self) -> bool {
        self.to_array().iter().all(|v| *v == 0)
    }
}

impl AddAssign for Measures {
    fn add_assign(&mut self, other: Measures) {
        let (a, b) = (self.to_array(), other.to_array());
        *self = Measures::from_array(std::array::from_fn(|i| a[i] + b[i]));
    }
}

impl Neg for Measures {
    type Output = Measures;
    fn neg(self) -> Measures {
        Measures::from_array(self.to_array().map(|v| -v))
    }
}

fn day(at: Timestamp, tz: &TimeZone) -> Date {
    tz.to_datetime(at).date()
}

/// The rollup filter key of a one-dimension filter: `team=5`, `service=mail`.
pub fn filter_key(dim: Dim, value: &str) -> String {
    format!("{}={value}", dim.as_str())
}

/// Everything one ticket adds to the rollup, merged by key: each figure under every dimension,
/// and again under each of the ticket's own values as a filter (so a report filtered on one
/// dimension reads the rollup too).
pub fn contributions(e: &Entry, tz: &TimeZone) -> BTreeMap<RollupKey, Measures> {
    let mut out = BTreeMap::new();
    let values = [
        (Dim::All, String::new()),
        (Dim::Priority, e.priority.to_string()),
        (Dim::Team, e.team_id.map(|t| t.to_string()).unwrap_or_default()),
        (Dim::Service, e.service.clone().unwrap_or_default()),
        (Dim::Category, e.category_id.map(|c| c.to_string()).unwrap_or_default()),
    ];
    let assignee = (Dim::Assignee, e.assignee_id.map(|u| u.to_string()).unwrap_or_default());
    let mut add = |at: Timestamp, m: Measures, extra: Option<(Dim, String)>| {
        let day = day(at, tz);
        for (dim, value) in values.iter().cloned().chain(extra).chain([assignee.clone()]) {
            *out.entry(RollupKey { filter: String::new(), day, kind: e.kind, dim, value }).or_default() += m;
        }
        for (filter_dim, filter_value) in &values[1..] {
            let filter = filter_key(*filter_dim, filter_value);
            for (dim, value) in values.iter().filter(|(d, _)| d != filter_dim) {
                let key =
                    RollupKey { filter: filter.clone(), day, kind: e.kind, dim: *dim, value: value.clone() };
                *out.entry(key).or_default() += m;
            }
        }
    };
    add(e.created_at, Measures { created: 1, ..Measures::default() }, None);
    if let Some(ended) = e.ended_at() {
        add(ended, Measures { ended: 1, ..Measures::default() }, None);
    }
    if let Some(resolved) = e.resolved_at {
        let wall = resolved.duration_since(e.created_at);
        let met = e.facts.resolution_met;
        let m = Measures {
            resolved: 1,
            reopened: i64::from(e.reopen_count > 0),
            first_contact: i64::from(e.reopen_count == 0 && !e.facts.reassigned),
            resolution_wall_secs: wall.as_secs(),
            resolution_business_secs: e.facts.resolution_business.unwrap_or(wall).as_secs(),
            resolution_measured: i64::from(met.is_some()),
            resolution_met: i64::from(met == Some(true)),
            ..Measures::default()
        };
        add(resolved, m, Some((Dim::ResolutionWithin, bucket(&RESOLUTION_BUCKETS, wall))));
    }
    if let Some(responded) = e.facts.responded_at {
        let wall = responded.duration_since(e.created_at);
        let met = e.facts.response_met;
        let m = Measures {
            responded: 1,
            response_wall_secs: wall.as_secs(),
            response_business_secs: e.facts.response_business.unwrap_or(wall).as_secs(),
            response_measured: i64::from(met.is_some()),
            response_met: i64::from(met == Some(true)),
            ..Measures::default()
        };
        add(responded, m, Some((Dim::ResponseWithin, bucket(&RESPONSE_BUCKETS, wall))));
    }
    out
}

/// What to add to the rollup when a ticket goes from `old` to `new` (either may be absent).
pub fn delta(old: Option<&Entry>, new: Option<&Entry>, tz: &TimeZone) -> Vec<(RollupKey, Measures)> {
    let old = old.map(|o| contributions(o, tz)).unwrap_or_default().into_iter().map(|(k, m)| (k, -m));
    merge(new.map(|n| contributions(n, tz)).unwrap_or_default().into_iter().chain(old))
}

/// Rows summed by key, in key order, without the ones that come to zero: several changes
/// applied to the rollup as one delta.
pub fn merge(rows: impl IntoIterator<Item = (RollupKey, Measures)>) -> Vec<(RollupKey, Measures)> {
    let mut sum: BTreeMap<RollupKey, Measures> = BTreeMap::new();
    for (key, m) in rows {
        *sum.entry(key).or_default() += m;
    }
    sum.into_iter().filter(|(_, m)| !m.is_zero()).collect()
}
