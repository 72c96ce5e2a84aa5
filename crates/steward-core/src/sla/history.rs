//! From a ticket's history to the segments the SLA clock measures.

use jiff::Timestamp;

use super::{Phase, Segment, TicketTimeline};
use crate::tickets::{HoldReason, Priority, State};

/// One change in a ticket's life, as read from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: Timestamp,
    pub state: Option<State>,
    pub priority: Option<Priority>,
    /// `Some(None)`: the hold reason was cleared.
    pub hold_reason: Option<Option<HoldReason>>,
    /// A public reply by someone other than the requester: the first response.
    pub agent_reply: bool,
}

/// Which on-hold reasons stop the clock (others keep it running).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PausePolicy(pub Vec<HoldReason>);

impl PausePolicy {
    /// What a policy pauses on unless told otherwise (the built-in ones and those made through
    /// the API alike, issue 17): waiting on the customer or a vendor is not the desk's time.
    pub const DEFAULT_REASONS: [HoldReason; 2] = [HoldReason::AwaitingCustomer, HoldReason::AwaitingVendor];
}

/// The resolution and first-response timelines of a ticket, oldest change first.
///
/// Resolution runs while the ticket is open, pauses on hold for a pausing reason, and stops when
/// resolved (a reopen starts it again). First response runs from creation until the first
/// agent reply or the first move out of `new`, whichever comes first.
pub fn timelines(history: &[HistoryEntry], pauses: &PausePolicy) -> (TicketTimeline, TicketTimeline) {
    let mut resolution = Vec::new();
    let mut response = Vec::new();
    let (mut state, mut priority, mut hold) = (State::New, None::<Priority>, None::<HoldReason>);
    let mut responded = false;
    for entry in history {
        state = entry.state.unwrap_or(state);
        priority = entry.priority.or(priority);
        if let Some(h) = entry.hold_reason {
            hold = h;
        }
        let Some(p) = priority else { continue };
        let phase = match state {
            State::Resolved | State::Closed | State::Cancelled => Phase::Stopped,
            State::OnHold if hold.is_some_and(|h| pauses.0.contains(&h)) => Phase::Paused,
            _ => Phase::Running,
        };
        if resolution.last().is_none_or(|s: &Segment| s.phase != phase || s.priority != p) {
            resolution.push(Segment { from: entry.at, phase, priority: p });
        }
        if !responded {
            responded = entry.agent_reply || state != State::New;
            let phase = if responded { Phase::Stopped } else { Phase::Running };
            if response.last().is_none_or(|s: &Segment| s.phase != phase || s.priority != p) {
                response.push(Segment { from: entry.at, phase, priority: p });
            }
        }
    }
    (TicketTimeline(resolution), TicketTimeline(response))
}

/// The next-update clock: the resolution timeline from the last agent reply on (from the start
/// when there was none), so it measures how long the requester has waited for news. Returns
/// the timeline and the instant the current update cycle began.
pub fn since_last_update(
    history: &[HistoryEntry],
    resolution: &TicketTimeline,
) -> (TicketTimeline, Option<Timestamp>) {
    let start =
        history.iter().rev().find(|e| e.agent_reply).map(|e| e.at).or(resolution.0.first().map(|s| s.from));
    let Some(start) = start else { return (TicketTimeline(Vec::new()), None) };
    let segments = &resolution.0;
    let clipped = segments
        .iter()
        .enumerate()
        .filter(|(i, s)| s.from >= start || segments.get(i + 1).is_none_or(|next| next.from > start))
        .map(|(_, s)| Segment { from: s.from.max(start), ..*s })
        .collect();
    (TicketTimeline(clipped), Some(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + m * 60).unwrap()
    }

    fn entry(
        m: i64,
        state: Option<State>,
        priority: Option<i64>,
        hold: Option<Option<HoldReason>>,
        reply: bool,
    ) -> HistoryEntry {
        HistoryEntry {
            at: at(m),
            state,
            priority: priority.map(|p| Priority::new(p).unwrap()),
            hold_reason: hold,
            agent_reply: reply,
        }
    }

    #[test]
    fn pauses_only_for_configured_reasons_and_stops_when_resolved() {
        let history = [
            entry(0, Some(State::New), Some(3), None, false),
            entry(10, None, None, None, true),
            entry(20, Some(State::OnHold), None, Some(Some(HoldReason::AwaitingCustomer)), false),
            entry(30, Some(State::InProgress), None, Some(None), false),
            entry(40, Some(State::OnHold), None, Some(Some(HoldReason::AwaitingChange)), false),
            entry(50, None, Some(2), None, false),
            entry(60, Some(State::Resolved), None, Some(None), false),
        ];
        let (resolution, response) = timelines(&history, &PausePolicy(vec![HoldReason::AwaitingCustomer]));
        let phases: Vec<(i64, Phase, u8)> = resolution
            .0
            .iter()
            .map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase, s.priority.get()))
            .collect();
        assert_eq!(
            phases,
            vec![
                (0, Phase::Running, 3),
                (20, Phase::Paused, 3),
                (30, Phase::Running, 3),
                (50, Phase::Running, 2),
                (60, Phase::Stopped, 2)
            ],
            "awaiting change keeps the clock running; the priority change is a new segment"
        );
        let response: Vec<(i64, Phase)> =
            response.0.iter().map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase)).collect();
        assert_eq!(response, vec![(0, Phase::Running), (10, Phase::Stopped)]);
    }

    #[test]
    fn the_update_clock_restarts_at_each_agent_reply() {
        let history = [
            entry(0, Some(State::New), Some(3), None, false),
            entry(10, None, None, None, true),
            entry(20, Some(State::OnHold), None, Some(Some(HoldReason::AwaitingCustomer)), false),
            entry(30, Some(State::InProgress), None, Some(None), false),
            entry(45, None, None, None, true),
            entry(50, None, Some(2), None, false),
        ];
        let pauses = PausePolicy(vec![HoldReason::AwaitingCustomer]);
        let (resolution, _) = timelines(&history, &pauses);
        let (update, since) = since_last_update(&history, &resolution);
        assert_eq!(since, Some(at(45)));
        let segs: Vec<(i64, Phase, u8)> = update
            .0
            .iter()
            .map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase, s.priority.get()))
            .collect();
        assert_eq!(segs, vec![(45, Phase::Running, 3), (50, Phase::Running, 2)]);
        let (none, since) = since_last_update(&history[..1], &timelines(&history[..1], &pauses).0);
        assert_eq!((none.0.len(), since), (1, Some(at(0))), "no reply yet: from the start");
    }
}
