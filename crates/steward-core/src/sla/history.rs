//! From a ticket's history to the segments the SLA clock measures.

use jiff::Timestamp;

use super::{Phase, Segment, TicketTimeline};
use crate::events::Fields;
use crate::tickets::{HoldReason, Priority, State, TicketField, TicketKind};

/// One change in a ticket's life, as read from its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: Timestamp,
    pub state: Option<State>,
    pub priority: Option<Priority>,
    /// `Some(None)`: the hold reason was cleared.
    pub hold_reason: Option<Option<HoldReason>>,
    /// A public reply by someone other than the requester (or, on a service request, a
    /// fulfilment task done): the first response.
    pub agent_reply: bool,
}

impl HistoryEntry {
    /// The entry of an event that set `fields` (state, priority and hold reason, when it set
    /// them); `None` fields: a change that moved nothing the clocks read.
    pub fn of_fields(at: Timestamp, fields: Option<&Fields<TicketField>>) -> HistoryEntry {
        let get = |f| fields.and_then(|x| x.get(f));
        HistoryEntry {
            at,
            state: get(TicketField::State).and_then(|v| v.as_text()).and_then(|s| State::parse(s).ok()),
            priority: get(TicketField::Priority).and_then(|v| v.as_int()).and_then(|p| Priority::new(p).ok()),
            hold_reason: get(TicketField::HoldReason)
                .map(|v| v.as_text().and_then(|h| HoldReason::parse(h).ok())),
            agent_reply: false,
        }
    }

    /// A reply (or a finished task): the clocks' first response, changing nothing else.
    pub fn reply(at: Timestamp) -> HistoryEntry {
        HistoryEntry { at, state: None, priority: None, hold_reason: None, agent_reply: true }
    }
}

/// What stops the clock: on-hold reasons (others keep it running) and, for service requests,
/// the wait for approval.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PausePolicy {
    pub reasons: Vec<HoldReason>,
    /// A request awaiting its approvers (state `authorization`) is not the desk's time.
    pub approval: bool,
}

impl PausePolicy {
    /// What a policy pauses on unless told otherwise (the built-in ones and those made through
    /// the API alike, issue 17): waiting on the customer or a vendor is not the desk's time.
    pub const DEFAULT_REASONS: [HoldReason; 2] = [HoldReason::AwaitingCustomer, HoldReason::AwaitingVendor];

    /// The word a policy's pause list uses for the approval wait, beside the hold reasons.
    pub const AWAITING_APPROVAL: &str = "awaiting_approval";

    /// The policy a stored list of words describes; words it does not know are skipped.
    pub fn of_words(words: &[String]) -> PausePolicy {
        PausePolicy {
            reasons: words.iter().filter_map(|r| HoldReason::parse(r).ok()).collect(),
            approval: words.iter().any(|w| w == Self::AWAITING_APPROVAL),
        }
    }
}

/// The resolution and first-response timelines of a ticket, oldest change first.
///
/// Resolution runs while the ticket is open, pauses on hold for a pausing reason (or, when the
/// policy says so, while a request awaits approval), and stops when resolved, closed, cancelled
/// or rejected (a reopen starts it again). First response runs from creation until the first
/// agent reply or the first state that answers a ticket of `kind` ([`State::acknowledges`]);
/// it too pauses while a request awaits approval, when the policy pauses for that.
pub fn timelines(
    history: &[HistoryEntry],
    pauses: &PausePolicy,
    kind: TicketKind,
) -> (TicketTimeline, TicketTimeline) {
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
            s if !s.is_open() => Phase::Stopped,
            State::OnHold if hold.is_some_and(|h| pauses.reasons.contains(&h)) => Phase::Paused,
            State::Authorization if pauses.approval => Phase::Paused,
            _ => Phase::Running,
        };
        if resolution.last().is_none_or(|s: &Segment| s.phase != phase || s.priority != p) {
            resolution.push(Segment { from: entry.at, phase, priority: p });
        }
        if !responded {
            responded = entry.agent_reply || state.acknowledges(kind);
            // The desk cannot answer a request before its approvers have: that wait pauses the
            // response clock too, when the policy pauses for it.
            let phase = match state {
                _ if responded => Phase::Stopped,
                State::Authorization if pauses.approval => Phase::Paused,
                _ => Phase::Running,
            };
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
        let pauses = PausePolicy { reasons: vec![HoldReason::AwaitingCustomer], approval: false };
        let (resolution, response) = timelines(&history, &pauses, TicketKind::Incident);
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
        let pauses = PausePolicy { reasons: vec![HoldReason::AwaitingCustomer], approval: false };
        let (resolution, _) = timelines(&history, &pauses, TicketKind::Incident);
        let (update, since) = since_last_update(&history, &resolution);
        assert_eq!(since, Some(at(45)));
        let segs: Vec<(i64, Phase, u8)> = update
            .0
            .iter()
            .map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase, s.priority.get()))
            .collect();
        assert_eq!(segs, vec![(45, Phase::Running, 3), (50, Phase::Running, 2)]);
        let (none, since) =
            since_last_update(&history[..1], &timelines(&history[..1], &pauses, TicketKind::Incident).0);
        assert_eq!((none.0.len(), since), (1, Some(at(0))), "no reply yet: from the start");
    }

    #[test]
    fn a_request_pauses_for_approval_and_is_answered_by_a_reply_or_its_end() {
        let history = [
            entry(0, Some(State::Authorization), Some(4), None, false),
            entry(30, Some(State::InProgress), None, None, false),
            entry(50, None, None, None, true),
            entry(90, Some(State::Resolved), None, None, false),
        ];
        let pauses = PausePolicy::of_words(&["awaiting_approval".to_owned(), "awaiting_vendor".to_owned()]);
        assert!(pauses.approval && pauses.reasons == vec![HoldReason::AwaitingVendor]);
        let (resolution, response) = timelines(&history, &pauses, TicketKind::Request);
        let phases: Vec<(i64, Phase)> =
            resolution.0.iter().map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase)).collect();
        assert_eq!(phases, vec![(0, Phase::Paused), (30, Phase::Running), (90, Phase::Stopped)]);
        let response: Vec<(i64, Phase)> =
            response.0.iter().map(|s| ((s.from.as_second() - 1_800_000_000) / 60, s.phase)).collect();
        assert_eq!(
            response,
            vec![(0, Phase::Paused), (30, Phase::Running), (50, Phase::Stopped)],
            "the approval wait pauses it; the reply answers it, not its start"
        );
        let (running, _) = timelines(&history, &PausePolicy::default(), TicketKind::Request);
        assert_eq!(running.0[0].phase, Phase::Running, "without the word the approval wait counts");
        let rejected = [
            entry(0, Some(State::Authorization), Some(4), None, false),
            entry(10, Some(State::Rejected), None, None, false),
        ];
        let (r, response) = timelines(&rejected, &pauses, TicketKind::Request);
        assert_eq!(r.0.last().map(|s| s.phase), Some(Phase::Stopped));
        assert_eq!(response.0.last().map(|s| s.phase), Some(Phase::Stopped), "a rejection ends it");
    }
}
