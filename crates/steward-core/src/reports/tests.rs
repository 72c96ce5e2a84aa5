use std::collections::BTreeMap;

use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::tickets::{State, Ticket, test_ticket};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn beijing() -> TimeZone {
    TimeZone::get("Asia/Shanghai").unwrap()
}

fn created(at: &str) -> Ticket {
    let mut t = test_ticket(State::New);
    t.created_at = ts(at);
    t
}

/// Applies a change the way the app does and returns the new ticket and facts.
fn step(t: &Ticket, f: &Facts, at: &str, change: impl FnOnce(&mut Ticket), reply: bool) -> (Ticket, Facts) {
    let mut next = t.clone();
    change(&mut next);
    let clocks = Clocks {
        response: Some((SignedDuration::from_mins(30), Some(true))),
        resolution: Some((SignedDuration::from_hours(3), Some(false))),
    };
    let facts = next_facts(f, Some(t), &next, ts(at), reply, clocks);
    (next, facts)
}

#[test]
fn days_are_local_to_the_report_zone() {
    let t = created("2026-11-20T17:00:00Z");
    let rows = contributions(&Entry::of(&t, Facts::default()), &beijing());
    let all: Vec<_> = rows.iter().filter(|(k, _)| k.dim == Dim::All && k.filter.is_empty()).collect();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0.day, date(2026, 11, 21), "17:00 UTC is 01:00 the next day in Beijing");
    assert_eq!(all[0].1.created, 1);
    assert_eq!(rows.keys().filter(|k| k.filter.is_empty()).count(), 6, "one row per dimension");
    let by_team: Vec<_> =
        rows.keys().filter(|k| k.filter == filter_key(Dim::Team, "1")).map(|k| k.dim).collect();
    assert_eq!(by_team, vec![Dim::All, Dim::Priority, Dim::Service, Dim::Category], "the team's own view");
}

#[test]
fn a_life_adds_up_to_what_the_final_ticket_contributes() {
    let tz = beijing();
    let t0 = created("2026-11-02T01:00:00Z");
    let f0 = next_facts(&Facts::default(), None, &t0, t0.created_at, false, Clocks::default());
    let mut rollup: BTreeMap<RollupKey, Measures> = BTreeMap::new();
    let mut apply = |old: Option<&Entry>, new: &Entry| {
        for (k, m) in delta(old, Some(new), &tz) {
            *rollup.entry(k).or_default() += m;
        }
    };
    let e0 = Entry::of(&t0, f0.clone());
    apply(None, &e0);
    let (t1, f1) = step(&t0, &f0, "2026-11-02T01:30:00Z", |t| t.state = State::InProgress, false);
    assert_eq!(f1.responded_at, Some(ts("2026-11-02T01:30:00Z")), "leaving new is the first response");
    let e1 = Entry::of(&t1, f1.clone());
    apply(Some(&e0), &e1);
    let (t2, f2) = step(
        &t1,
        &f1,
        "2026-11-02T04:00:00Z",
        |t| {
            t.state = State::Resolved;
            t.resolved_at = Some(ts("2026-11-02T04:00:00Z"));
        },
        false,
    );
    assert_eq!(
        (f2.resolution_business, f2.resolution_met),
        (Some(SignedDuration::from_hours(3)), Some(false))
    );
    let e2 = Entry::of(&t2, f2.clone());
    apply(Some(&e1), &e2);
    // Reopened and moved to another team: the resolution is retracted, the team changes.
    let (t3, f3) = step(
        &t2,
        &f2,
        "2026-11-09T02:00:00Z",
        |t| {
            t.state = State::InProgress;
            t.resolved_at = None;
            t.reopen_count = 1;
            t.team_id = Some(crate::ids::TeamId(2));
        },
        false,
    );
    assert!(f3.reassigned && f3.resolution_met.is_none());
    let e3 = Entry::of(&t3, f3.clone());
    apply(Some(&e2), &e3);
    let (t4, f4) = step(
        &t3,
        &f3,
        "2026-11-10T02:00:00Z",
        |t| {
            t.state = State::Resolved;
            t.resolved_at = Some(ts("2026-11-10T02:00:00Z"));
        },
        false,
    );
    let e4 = Entry::of(&t4, f4);
    apply(Some(&e3), &e4);
    rollup.retain(|_, m| !m.is_zero());
    assert_eq!(rollup, contributions(&e4, &tz), "the deltas sum to the final contribution");
    let all: Measures = rollup
        .iter()
        .filter(|(k, _)| k.dim == Dim::All && k.filter.is_empty())
        .map(|(_, m)| *m)
        .fold(Measures::default(), |mut a, m| {
            a += m;
            a
        });
    assert_eq!((all.created, all.resolved, all.reopened, all.first_contact, all.responded), (1, 1, 1, 0, 1));
    assert_eq!(all.resolution_wall_secs, 8 * 86_400 + 3600);
    let team1 =
        rollup.keys().filter(|k| (k.dim == Dim::Team && k.value == "1") || k.filter == "team=1").count();
    assert_eq!(team1, 0, "the ticket counts under its current team only");
}

#[test]
fn agent_reply_is_a_response_and_cancel_ends_the_ticket() {
    let t0 = created("2026-11-02T01:00:00Z");
    let f0 = Facts::default();
    let (t1, f1) = step(&t0, &f0, "2026-11-02T01:05:00Z", |_| {}, true);
    assert_eq!(f1.response_met, Some(true));
    let (t2, f2) = step(&t1, &f1, "2026-11-03T01:00:00Z", |t| t.state = State::Cancelled, false);
    assert_eq!(Entry::of(&t2, f2.clone()).ended_at(), Some(ts("2026-11-03T01:00:00Z")));
    let (_, f3) = step(&t2, &f2, "2026-11-04T01:00:00Z", |t| t.title = "x".into(), false);
    assert_eq!(f3.cancelled_at, f2.cancelled_at, "a later edit keeps the cancel time");
}

#[test]
fn periods_cover_the_range_in_whole_weeks_or_months() {
    let weeks = periods(date(2026, 11, 4), date(2026, 11, 16), Granularity::Week);
    let starts: Vec<Date> = weeks.iter().map(|p| p.start).collect();
    assert_eq!(starts, vec![date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]);
    assert_eq!(weeks[0].label(Granularity::Week), "2026-W45");
    let months = periods(date(2026, 1, 31), date(2026, 3, 1), Granularity::Month);
    assert_eq!(months.len(), 3);
    assert_eq!((months[1].start, months[1].end), (date(2026, 2, 1), date(2026, 3, 1)));
    assert_eq!(months[2].label(Granularity::Month), "2026-03");
    assert!(periods(date(2026, 3, 1), date(2026, 2, 1), Granularity::Month).is_empty());
}

#[test]
fn backlog_carries_over_and_breakdowns_sort_by_volume() {
    let ps = periods(date(2026, 10, 1), date(2026, 11, 30), Granularity::Month);
    let row = |d: Date, dim: Dim, value: &str, created: i64, ended: i64| DayRow {
        day: d,
        dim,
        value: value.into(),
        measures: Measures { created, ended, ..Measures::default() },
    };
    let rows = [
        row(date(2026, 10, 3), Dim::All, "", 5, 1),
        row(date(2026, 11, 3), Dim::All, "", 2, 4),
        row(date(2026, 12, 1), Dim::All, "", 9, 0),
        row(date(2026, 10, 3), Dim::Team, "7", 1, 0),
        row(date(2026, 10, 3), Dim::Team, "3", 4, 0),
    ];
    let r = assemble(&rows, &ps, 10);
    let backlog: Vec<i64> = r.periods.iter().map(|p| p.backlog).collect();
    assert_eq!(backlog, vec![14, 12]);
    assert_eq!(r.total.created, 7, "December is outside the range");
    let teams: Vec<&str> = r.by[&Dim::Team].iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(teams, vec!["3", "7"]);
}

#[test]
fn ratios_are_absent_without_data() {
    let m = Measures {
        resolved: 4,
        first_contact: 3,
        reopened: 1,
        resolution_wall_secs: 400,
        ..Measures::default()
    };
    assert_eq!(m.first_contact_rate(), Some(0.75));
    assert_eq!(m.reopen_rate(), Some(0.25));
    assert_eq!(m.mttr_wall(), Some(SignedDuration::from_secs(100)));
    assert_eq!(m.resolution_attainment(), None);
    assert_eq!(m.mtta_wall(), None);
}

#[test]
fn availability_merges_overlaps_and_clips_to_the_range() {
    let from = ts("2026-11-01T00:00:00Z");
    let to = ts("2026-11-11T00:00:00Z");
    let o = |s: &str, start: &str, end: Option<&str>| Outage {
        service: s.into(),
        start: ts(start),
        end: end.map(ts),
    };
    let outages = [
        o("mail", "2026-11-02T00:00:00Z", Some("2026-11-02T12:00:00Z")),
        o("mail", "2026-11-02T06:00:00Z", Some("2026-11-03T00:00:00Z")),
        o("mail", "2026-10-31T00:00:00Z", Some("2026-11-01T00:00:00Z")),
        o("vpn", "2026-11-10T00:00:00Z", None),
    ];
    let a = availability(&outages, from, to);
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].service.as_str(), a[0].downtime, a[0].outages),
        ("mail", SignedDuration::from_hours(24), 2)
    );
    assert!((a[0].ratio - 0.9).abs() < 1e-9);
    assert_eq!(a[1].downtime, SignedDuration::from_hours(24), "an open outage lasts until the end");
}

#[test]
fn buckets_use_upper_bounds() {
    assert_eq!(bucket(&RESPONSE_BUCKETS, SignedDuration::from_secs(300)), "300");
    assert_eq!(bucket(&RESPONSE_BUCKETS, SignedDuration::from_secs(301)), "900");
    assert_eq!(bucket(&RESPONSE_BUCKETS, SignedDuration::from_hours(48)), "+Inf");
}

#[test]
fn merged_deltas_equal_the_deltas_applied_one_by_one() {
    let tz = beijing();
    let a = Entry::of(&created("2026-11-02T01:00:00Z"), Facts::default());
    let mut t = created("2026-11-02T02:00:00Z");
    t.priority = crate::tickets::Priority::new(1).unwrap();
    t.team_id = Some(crate::ids::TeamId(7));
    let b = Entry::of(&t, Facts::default());
    // Two creates and a retraction of the first, as one group commit would write them.
    let rows = [delta(None, Some(&a), &tz), delta(None, Some(&b), &tz), delta(Some(&a), None, &tz)];
    let merged = merge(rows.into_iter().flatten());
    assert_eq!(merged, delta(None, Some(&b), &tz), "a and its retraction cancel out");
    let both = merge(delta(None, Some(&a), &tz).into_iter().chain(delta(None, Some(&b), &tz)));
    let all = both.iter().find(|(k, _)| k.dim == Dim::All && k.filter.is_empty()).unwrap();
    assert_eq!(all.1.created, 2, "rows with one key are summed");
    assert!(both.windows(2).all(|w| w[0].0 < w[1].0), "keys are distinct and ordered");
}
