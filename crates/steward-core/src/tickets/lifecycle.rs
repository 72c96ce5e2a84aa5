//! Ticket lifecycles. Incidents: new → assigned → in_progress → on_hold → resolved → closed,
//! with reopen from resolved and cancel from any open state. Problems: new → under
//! investigation → root cause known → known error → resolved → closed. One `State` names every
//! kind's states; `State::allowed` says which moves a kind has.

use jiff::Timestamp;

use super::{FieldError, Ticket, TicketKind};
use crate::words::word_enum;

word_enum! {
    State, "state" {
        New => "new",
        Assigned => "assigned",
        InProgress => "in_progress",
        OnHold => "on_hold",
        Resolved => "resolved",
        Closed => "closed",
        Cancelled => "cancelled",
        UnderInvestigation => "under_investigation",
        RootCauseKnown => "root_cause_known",
        KnownError => "known_error",
        Assessment => "assessment",
        Authorization => "authorization",
        Scheduled => "scheduled",
        Implementation => "implementation",
        Review => "review",
        Rejected => "rejected",
    }
}

word_enum! {
    /// Why work is paused; SLA clocks may pause for some reasons.
    HoldReason, "hold_reason" {
        AwaitingCustomer => "awaiting_customer",
        AwaitingVendor => "awaiting_vendor",
        AwaitingChange => "awaiting_change",
    }
}

word_enum! {
    ResolutionCode, "resolution_code" {
        Fixed => "fixed",
        Workaround => "workaround",
        NoFaultFound => "no_fault_found",
        Duplicate => "duplicate",
        UserError => "user_error",
        ResolvedByVendor => "resolved_by_vendor",
        Other => "other",
    }
}

impl State {
    /// The states a ticket of `kind` may be in, in their usual order.
    pub fn of(kind: TicketKind) -> &'static [State] {
        use State::*;
        match kind {
            TicketKind::Incident => &[New, Assigned, InProgress, OnHold, Resolved, Closed, Cancelled],
            TicketKind::Problem => {
                &[New, UnderInvestigation, RootCauseKnown, KnownError, Resolved, Closed, Cancelled]
            }
            TicketKind::Change => {
                &[Assessment, Authorization, Scheduled, Implementation, Review, Closed, Rejected, Cancelled]
            }
            TicketKind::Request => &[New, Authorization, InProgress, Resolved, Closed, Rejected, Cancelled],
        }
    }

    /// The states a ticket of `kind` may move to from this one (none from a state the kind
    /// does not have). A change moves by its model (`changes::Workflow`), never by this table.
    pub fn allowed(self, kind: TicketKind) -> &'static [State] {
        use State::*;
        match kind {
            TicketKind::Change => &[],
            TicketKind::Incident => match self {
                New => &[Assigned, InProgress, OnHold, Resolved, Cancelled],
                Assigned => &[InProgress, OnHold, Resolved, Cancelled],
                InProgress => &[Assigned, OnHold, Resolved, Cancelled],
                OnHold => &[Assigned, InProgress, Resolved, Cancelled],
                Resolved => &[InProgress, Closed],
                _ => &[],
            },
            TicketKind::Problem => match self {
                New => &[UnderInvestigation, Cancelled],
                UnderInvestigation => &[RootCauseKnown, KnownError, Resolved, Cancelled],
                RootCauseKnown => &[UnderInvestigation, KnownError, Resolved, Cancelled],
                KnownError => &[UnderInvestigation, Resolved],
                Resolved => &[UnderInvestigation, Closed],
                _ => &[],
            },
            TicketKind::Request => match self {
                New => &[Authorization, InProgress, Cancelled],
                Authorization => &[InProgress, Rejected, Cancelled],
                InProgress => &[Resolved, Cancelled],
                Resolved => &[InProgress, Closed],
                _ => &[],
            },
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, State::Resolved | State::Closed | State::Cancelled | State::Rejected)
    }

    /// Whether being in this state means the desk has responded to a ticket of `kind`. An
    /// incident is answered once it leaves `new`; a service request starts in authorization or
    /// in progress by itself (its plan moves it), so only its end answers it — before that, a
    /// reply or a finished task does.
    pub fn acknowledges(self, kind: TicketKind) -> bool {
        match kind {
            TicketKind::Request => !self.is_open(),
            _ => self != State::New,
        }
    }
}

/// A requested move, with what the target state needs.
#[derive(Debug, Clone, Default)]
pub struct TransitionRequest {
    pub to: Option<State>,
    pub hold_reason: Option<HoldReason>,
    pub resolution_code: Option<ResolutionCode>,
    pub resolution_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("cannot move from {from} to {to}; allowed: {}", list(allowed))]
    NotAllowed { from: State, to: State, allowed: Vec<State> },
    #[error("{0}")]
    Missing(FieldError),
}

fn list(states: &[State]) -> String {
    if states.is_empty() {
        return "none (the ticket is final)".into();
    }
    states.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

/// What a transition did, for the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transitioned {
    pub from: State,
    pub to: State,
    pub reopened: bool,
}

/// Applies a transition to `ticket`, or explains why it is not allowed.
pub fn apply_transition(
    ticket: &mut Ticket,
    req: &TransitionRequest,
    at: Timestamp,
) -> Result<Transitioned, TransitionError> {
    let missing = |field: &'static str, msg: &str| TransitionError::Missing(FieldError::new(field, msg));
    let to = req.to.ok_or_else(|| missing("to", "the target state `to` is required"))?;
    let from = ticket.state;
    let allowed = from.allowed(ticket.kind);
    if !allowed.contains(&to) {
        return Err(TransitionError::NotAllowed { from, to, allowed: allowed.to_vec() });
    }
    match to {
        State::Assigned if ticket.team_id.is_none() && ticket.assignee_id.is_none() => {
            return Err(missing("assignee_id", "assign a team or a person before moving to assigned"));
        }
        State::OnHold => {
            let reason =
                req.hold_reason.ok_or_else(|| missing("hold_reason", "a hold reason is required"))?;
            ticket.hold_reason = Some(reason);
        }
        State::Resolved => {
            let code = req
                .resolution_code
                .ok_or_else(|| missing("resolution_code", "a resolution code is required"))?;
            let note = req.resolution_note.as_deref().map(str::trim).unwrap_or_default();
            if note.is_empty() {
                return Err(missing("resolution_note", "a resolution note is required"));
            }
            let note = super::parse_description("resolution_note", note).map_err(TransitionError::Missing)?;
            ticket.resolution_code = Some(code);
            ticket.resolution_note = Some(note);
            ticket.resolved_at = Some(at);
        }
        State::Closed => ticket.closed_at = Some(at),
        _ => {}
    }
    if to != State::OnHold {
        ticket.hold_reason = None;
    }
    let reopened = from == State::Resolved && to.is_open();
    if reopened {
        ticket.reopen_count += 1;
        ticket.resolution_code = None;
        ticket.resolution_note = None;
        ticket.resolved_at = None;
    }
    ticket.state = to;
    Ok(Transitioned { from, to, reopened })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{Impact, Priority, Tags, TicketKind, Urgency};
    use super::*;

    pub(crate) fn ticket(state: State) -> Ticket {
        Ticket {
            id: crate::ids::TicketId(1),
            kind: TicketKind::Incident,
            number: "INC000001".into(),
            title: "t".into(),
            description: String::new(),
            requester_id: crate::ids::UserId(1),
            created_by: None,
            category_id: None,
            subcategory_id: None,
            service: None,
            impact: Impact::new(2).unwrap(),
            urgency: Urgency::new(2).unwrap(),
            priority: Priority::new(3).unwrap(),
            team_id: Some(crate::ids::TeamId(1)),
            assignee_id: None,
            state,
            hold_reason: None,
            resolution_code: None,
            resolution_note: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            parent_id: None,
            tags: Tags::default(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
            version: 1,
        }
    }

    fn to(state: State) -> TransitionRequest {
        TransitionRequest { to: Some(state), ..Default::default() }
    }

    #[test]
    fn the_whole_table() {
        for (kind, from) in [TicketKind::Incident, TicketKind::Problem, TicketKind::Request]
            .into_iter()
            .flat_map(|k| State::ALL.iter().map(move |s| (k, s)))
        {
            for target in State::ALL {
                let mut t = Ticket { kind, ..ticket(*from) };
                let req = TransitionRequest {
                    to: Some(*target),
                    hold_reason: Some(HoldReason::AwaitingVendor),
                    resolution_code: Some(ResolutionCode::Fixed),
                    resolution_note: Some("done".into()),
                };
                let result = apply_transition(&mut t, &req, Timestamp::UNIX_EPOCH);
                let allowed = from.allowed(kind);
                assert_eq!(result.is_ok(), allowed.contains(target), "{kind:?} {from} → {target}");
                if let Err(TransitionError::NotAllowed { allowed: said, .. }) = result {
                    assert_eq!(said, allowed);
                    assert_eq!(t, Ticket { kind, ..ticket(*from) }, "a refused transition changes nothing");
                }
            }
        }
    }

    #[test]
    fn targets_demand_their_fields() {
        let mut t = ticket(State::InProgress);
        let err = apply_transition(&mut t, &to(State::OnHold), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, TransitionError::Missing(FieldError { field: "hold_reason", .. })));
        let err = apply_transition(&mut t, &to(State::Resolved), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, TransitionError::Missing(FieldError { field: "resolution_code", .. })));
        let blank = TransitionRequest {
            resolution_code: Some(ResolutionCode::Fixed),
            resolution_note: Some("  ".into()),
            ..to(State::Resolved)
        };
        let err = apply_transition(&mut t, &blank, Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, TransitionError::Missing(FieldError { field: "resolution_note", .. })));
        let mut unassigned = ticket(State::New);
        unassigned.team_id = None;
        let err = apply_transition(&mut unassigned, &to(State::Assigned), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(matches!(err, TransitionError::Missing(FieldError { field: "assignee_id", .. })));
        assert_eq!(t, ticket(State::InProgress));
    }

    #[test]
    fn reopening_counts_and_clears_the_resolution() {
        let mut t = ticket(State::InProgress);
        let resolve = TransitionRequest {
            resolution_code: Some(ResolutionCode::Workaround),
            resolution_note: Some("restarted the pool".into()),
            ..to(State::Resolved)
        };
        apply_transition(&mut t, &resolve, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(t.resolution_code, Some(ResolutionCode::Workaround));
        let done = apply_transition(&mut t, &to(State::InProgress), Timestamp::UNIX_EPOCH).unwrap();
        assert!(done.reopened);
        assert_eq!((t.reopen_count, t.resolution_code, t.resolved_at), (1, None, None));
        apply_transition(&mut t, &resolve, Timestamp::UNIX_EPOCH).unwrap();
        apply_transition(&mut t, &to(State::Closed), Timestamp::UNIX_EPOCH).unwrap();
        let err = apply_transition(&mut t, &to(State::InProgress), Timestamp::UNIX_EPOCH).unwrap_err();
        assert!(err.to_string().contains("none (the ticket is final)"), "{err}");
    }

    #[test]
    fn each_kind_moves_only_among_its_own_states() {
        for kind in [TicketKind::Incident, TicketKind::Problem, TicketKind::Request] {
            for state in State::ALL {
                let own = State::of(kind).contains(state);
                assert!(own || state.allowed(kind).is_empty(), "{kind:?} {state}");
                assert!(state.allowed(kind).iter().all(|s| State::of(kind).contains(s)), "{kind:?} {state}");
            }
        }
    }

    #[test]
    fn leaving_hold_clears_the_reason() {
        let mut t = ticket(State::InProgress);
        let hold = TransitionRequest { hold_reason: Some(HoldReason::AwaitingCustomer), ..to(State::OnHold) };
        apply_transition(&mut t, &hold, Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(t.hold_reason, Some(HoldReason::AwaitingCustomer));
        apply_transition(&mut t, &to(State::InProgress), Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(t.hold_reason, None);
    }
}
