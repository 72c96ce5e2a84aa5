//! The SLA clock: how much business time a ticket has used against a target, how much is
//! left, when it falls due, and whether (and when) it breached.
//!
//! The timeline is the ticket's history reduced to segments: running, paused (on hold for a
//! reason that stops the clock) or stopped (resolved). Elapsed time is always counted from the
//! ticket's start over the running segments, so a priority change re-targets the whole clock
//! without losing the paused time: the target of the latest priority applies to all of it.

use jiff::{SignedDuration, Timestamp};

use super::{BusinessCalendar, CalendarError};
use crate::tickets::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Running,
    Paused,
    Stopped,
}

/// From `from` until the next segment (or now) the ticket was in `phase` at `priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    pub from: Timestamp,
    pub phase: Phase,
    pub priority: Priority,
}

/// A ticket's life as the clock sees it, oldest segment first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketTimeline(pub Vec<Segment>);

/// One target (e.g. resolution) for each priority, P1 first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target(pub [SignedDuration; 5]);

impl Target {
    pub fn for_priority(&self, p: Priority) -> SignedDuration {
        self.0[usize::from(p.get()) - 1]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaStatus {
    pub target: SignedDuration,
    /// Business time counted so far.
    pub elapsed: SignedDuration,
    /// `target - elapsed`; negative once breached.
    pub remaining: SignedDuration,
    /// When it falls due while the clock runs; `None` while paused or stopped.
    pub due: Option<Timestamp>,
    pub breached_at: Option<Timestamp>,
    /// The intervals counted and the intervals paused, for the explanation panel.
    pub counted: Vec<(Timestamp, Timestamp)>,
    pub paused: Vec<(Timestamp, Timestamp)>,
    pub phase: Phase,
}

impl SlaStatus {
    /// The thresholds (percent of the target) this clock has reached; 100 only once breached.
    pub fn reached(&self, thresholds: &[i64]) -> Vec<i64> {
        let (elapsed, target) = (self.elapsed.as_secs(), self.target.as_secs());
        thresholds
            .iter()
            .copied()
            .filter(|t| target > 0 && elapsed * 100 >= target * t && (*t < 100 || self.breached_at.is_some()))
            .collect()
    }
}

/// Measures a timeline against `target` on `calendar` as of `now`.
pub fn measure(
    calendar: &BusinessCalendar,
    timeline: &TicketTimeline,
    target: &Target,
    now: Timestamp,
) -> Result<SlaStatus, CalendarError> {
    let segments = &timeline.0;
    let Some(last) = segments.last() else {
        return Ok(SlaStatus {
            target: SignedDuration::ZERO,
            elapsed: SignedDuration::ZERO,
            remaining: SignedDuration::ZERO,
            due: None,
            breached_at: None,
            counted: Vec::new(),
            paused: Vec::new(),
            phase: Phase::Stopped,
        });
    };
    let goal = target.for_priority(last.priority);
    let mut elapsed = SignedDuration::ZERO;
    let mut breached_at = None;
    let mut counted = Vec::new();
    let mut paused = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let end = segments.get(i + 1).map_or(now, |next| next.from).min(now);
        if end <= seg.from {
            continue;
        }
        match seg.phase {
            Phase::Running => {
                let span = calendar.business_duration(seg.from, end);
                if breached_at.is_none() && elapsed + span >= goal && goal > SignedDuration::ZERO {
                    breached_at = Some(calendar.add(seg.from, goal - elapsed)?);
                }
                elapsed += span;
                counted.push((seg.from, end));
            }
            Phase::Paused => paused.push((seg.from, end)),
            Phase::Stopped => {}
        }
    }
    // Breaching exactly at the due minute counts as met.
    let breached_at = breached_at.filter(|at| *at < now && elapsed > goal);
    let due = match last.phase {
        Phase::Running if elapsed < goal => Some(calendar.add(now.max(last.from), goal - elapsed)?),
        Phase::Running => breached_at,
        _ => None,
    };
    Ok(SlaStatus {
        target: goal,
        elapsed,
        remaining: goal - elapsed,
        due,
        breached_at,
        counted,
        paused,
        phase: last.phase,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn p(n: i64) -> Priority {
        Priority::new(n).unwrap()
    }

    fn beijing() -> BusinessCalendar {
        let day = "09:00-12:00,13:00-18:00";
        BusinessCalendar::from_days("Asia/Shanghai", &[day, day, day, day, day, "", ""], BTreeSet::new())
            .unwrap()
    }

    fn hours(h: [i64; 5]) -> Target {
        Target(h.map(SignedDuration::from_hours))
    }

    #[test]
    fn a_p2_from_friday_evening_pauses_breaches_and_explains() {
        let cal = beijing();
        let target = hours([2, 4, 8, 24, 40]);
        // Opened Friday 17:30 Beijing (09:30Z) as P2; on hold awaiting the customer Monday
        // 09:30–11:00 local (01:30Z–03:00Z); still running Monday 15:00 local (07:00Z).
        let timeline = TicketTimeline(vec![
            Segment { from: at("2026-11-27T09:30:00Z"), phase: Phase::Running, priority: p(2) },
            Segment { from: at("2026-11-30T01:30:00Z"), phase: Phase::Paused, priority: p(2) },
            Segment { from: at("2026-11-30T03:00:00Z"), phase: Phase::Running, priority: p(2) },
        ]);
        let s = measure(&cal, &timeline, &target, at("2026-11-30T07:00:00Z")).unwrap();
        // Counted: Fri 17:30–18:00 (30 m) + Mon 09:00–09:30 (30 m) + 11:00–12:00 (1 h) + 13:00–15:00 (2 h) = 4 h.
        assert_eq!(s.elapsed, SignedDuration::from_hours(4));
        assert_eq!(s.paused, vec![(at("2026-11-30T01:30:00Z"), at("2026-11-30T03:00:00Z"))]);
        assert_eq!(s.breached_at, None, "exactly at the target is met, not breached");
        let later = measure(&cal, &timeline, &target, at("2026-11-30T07:30:00Z")).unwrap();
        assert_eq!(later.breached_at, Some(at("2026-11-30T07:00:00Z")), "breached at 15:00 Beijing");
        assert_eq!(later.remaining, SignedDuration::from_mins(-30));
    }

    #[test]
    fn a_priority_change_retargets_from_the_start_keeping_the_pause() {
        let cal = BusinessCalendar::always();
        let target = hours([1, 4, 8, 24, 40]);
        let timeline = TicketTimeline(vec![
            Segment { from: at("2026-01-01T00:00:00Z"), phase: Phase::Running, priority: p(3) },
            Segment { from: at("2026-01-01T01:00:00Z"), phase: Phase::Paused, priority: p(3) },
            Segment { from: at("2026-01-01T05:00:00Z"), phase: Phase::Running, priority: p(3) },
            // Raised to P2 at 06:00: 2 h counted so far against a 4 h target.
            Segment { from: at("2026-01-01T06:00:00Z"), phase: Phase::Running, priority: p(2) },
        ]);
        let s = measure(&cal, &timeline, &target, at("2026-01-01T06:00:00Z")).unwrap();
        assert_eq!((s.target, s.elapsed), (SignedDuration::from_hours(4), SignedDuration::from_hours(2)));
        assert_eq!(s.due, Some(at("2026-01-01T08:00:00Z")), "not 06:00 + 4 h, and the 4 h pause stays out");
    }

    #[test]
    fn thresholds_reached() {
        let cal = BusinessCalendar::always();
        let timeline = TicketTimeline(vec![Segment {
            from: at("2026-01-01T00:00:00Z"),
            phase: Phase::Running,
            priority: p(1),
        }]);
        let target = hours([4, 4, 4, 4, 4]);
        let at_h = |h: i64| at("2026-01-01T00:00:00Z").checked_add(SignedDuration::from_hours(h)).unwrap();
        let reached = |h| measure(&cal, &timeline, &target, at_h(h)).unwrap().reached(&[75, 100]);
        assert_eq!(reached(2), Vec::<i64>::new());
        assert_eq!(reached(3), vec![75]);
        assert_eq!(reached(4), vec![75], "exactly at the target is not yet a breach");
        assert_eq!(reached(5), vec![75, 100]);
    }

    #[test]
    fn stopped_clocks_have_no_due_time() {
        let cal = BusinessCalendar::always();
        let timeline = TicketTimeline(vec![
            Segment { from: at("2026-01-01T00:00:00Z"), phase: Phase::Running, priority: p(1) },
            Segment { from: at("2026-01-01T00:30:00Z"), phase: Phase::Stopped, priority: p(1) },
        ]);
        let s = measure(&cal, &timeline, &hours([1, 2, 3, 4, 5]), at("2026-01-02T00:00:00Z")).unwrap();
        assert_eq!(
            (s.elapsed, s.due, s.breached_at, s.phase),
            (SignedDuration::from_mins(30), None, None, Phase::Stopped)
        );
    }

    fn timeline_strategy() -> impl Strategy<Value = TicketTimeline> {
        proptest::collection::vec((1i64..20_000, 0u8..3, 1i64..=5), 1..8).prop_map(|steps| {
            let mut t = at("2026-03-20T00:00:00Z");
            let segments = steps
                .into_iter()
                .map(|(minutes, phase, prio)| {
                    let seg = Segment {
                        from: t,
                        phase: [Phase::Running, Phase::Paused, Phase::Running][usize::from(phase)],
                        priority: p(prio),
                    };
                    t = t.checked_add(SignedDuration::from_mins(minutes)).unwrap();
                    seg
                })
                .collect();
            TicketTimeline(segments)
        })
    }

    fn london() -> BusinessCalendar {
        let day = "08:30-12:00,13:00-17:30";
        let mut holidays = BTreeSet::new();
        holidays.insert(jiff::civil::Date::new(2026, 4, 3).unwrap());
        BusinessCalendar::from_days("Europe/London", &[day, day, day, day, day, "10:00-14:00", ""], holidays)
            .unwrap()
    }

    proptest! {
        // Each case walks months of calendar days; 64 cases keep the debug suite quick.
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn elapsed_never_decreases_as_time_passes(tl in timeline_strategy(), a in 0i64..60_000, b in 0i64..60_000) {
            let cal = london();
            let target = hours([2, 4, 8, 24, 40]);
            let base = at("2026-03-20T00:00:00Z");
            let (early, late) = (a.min(b), a.max(b));
            let s1 = measure(&cal, &tl, &target, base.checked_add(SignedDuration::from_mins(early)).unwrap()).unwrap();
            let s2 = measure(&cal, &tl, &target, base.checked_add(SignedDuration::from_mins(late)).unwrap()).unwrap();
            prop_assert!(s1.elapsed <= s2.elapsed);
        }

        #[test]
        fn pausing_never_adds_time(tl in timeline_strategy(), which in 0usize..8, now in 0i64..60_000) {
            let cal = london();
            let target = hours([2, 4, 8, 24, 40]);
            let now = at("2026-03-20T00:00:00Z").checked_add(SignedDuration::from_mins(now)).unwrap();
            let mut paused = tl.clone();
            let i = which % paused.0.len();
            paused.0[i].phase = Phase::Paused;
            let (a, b) = (measure(&cal, &tl, &target, now).unwrap(), measure(&cal, &paused, &target, now).unwrap());
            prop_assert!(b.elapsed <= a.elapsed);
        }

        #[test]
        fn adding_business_time_is_measured_back_exactly(start in 0i64..200_000, minutes in 0i64..20_000) {
            // Spans the London DST change (2026-03-29) and the Good Friday holiday.
            let cal = london();
            let from = at("2026-03-20T00:00:00Z").checked_add(SignedDuration::from_mins(start)).unwrap();
            let d = SignedDuration::from_mins(minutes);
            let due = cal.add(from, d).unwrap();
            prop_assert_eq!(cal.business_duration(from, due), d);
            prop_assert!(due >= from);
        }
    }
}
