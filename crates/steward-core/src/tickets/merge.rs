//! Merging a duplicate incident into the one that stays (issue 22): which pairs may merge, and
//! the resolution the duplicate gets. What moves over — conversation, watchers, CIs, links,
//! alerts — is the app's; the rules are here.

use super::{FieldError, ResolutionCode, State, Ticket, TicketKind, TransitionRequest};

/// Why `duplicate` may not be merged into `into`, naming the field at fault; `Ok` when it may.
pub fn check_merge(duplicate: &Ticket, into: &Ticket) -> Result<(), FieldError> {
    if duplicate.id == into.id {
        return Err(FieldError::new("into", "an incident cannot be merged into itself"));
    }
    if into.kind != TicketKind::Incident {
        return Err(FieldError::new("into", format!("{} is not an incident", into.number)));
    }
    if !duplicate.state.is_open() {
        return Err(FieldError::new(
            "id",
            format!("{} is {}; only an open incident is merged", duplicate.number, duplicate.state.as_str()),
        ));
    }
    if into.state == State::Resolved && into.resolution_code == Some(ResolutionCode::Duplicate) {
        return Err(FieldError::new(
            "into",
            format!("{} was itself resolved as a duplicate; merge into the incident it names", into.number),
        ));
    }
    if matches!(into.state, State::Closed | State::Cancelled) {
        return Err(FieldError::new(
            "into",
            format!("{} is {}; merge into an incident that is not closed", into.number, into.state.as_str()),
        ));
    }
    Ok(())
}

/// The move that resolves the duplicate, naming the incident it was merged into.
pub fn merged_resolution(into: &Ticket) -> TransitionRequest {
    TransitionRequest {
        to: Some(State::Resolved),
        resolution_code: Some(ResolutionCode::Duplicate),
        resolution_note: Some(format!("Merged into {}: {}", into.number, into.title)),
        ..TransitionRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TicketId;
    use crate::tickets::{apply_transition, test_ticket};

    #[test]
    fn only_an_open_incident_merges_into_another_that_is_not_closed() {
        let mut a = test_ticket(State::New);
        let mut b = test_ticket(State::New);
        (a.id, b.id, b.number) = (TicketId(1), TicketId(2), "INC-2".into());
        assert!(check_merge(&a, &b).is_ok());
        assert_eq!(check_merge(&a, &a).unwrap_err().field, "into");
        b.state = State::Resolved;
        assert!(check_merge(&a, &b).is_ok());
        b.resolution_code = Some(ResolutionCode::Duplicate);
        assert_eq!(check_merge(&a, &b).unwrap_err().field, "into", "merged away itself");
        b.resolution_code = None;
        b.state = State::Closed;
        assert_eq!(check_merge(&a, &b).unwrap_err().field, "into");
        b.state = State::New;
        b.kind = TicketKind::Problem;
        assert_eq!(check_merge(&a, &b).unwrap_err().field, "into");
        b.kind = TicketKind::Incident;
        a.state = State::Resolved;
        assert_eq!(check_merge(&a, &b).unwrap_err().field, "id");
    }

    #[test]
    fn the_duplicate_is_resolved_naming_the_survivor() {
        let mut a = test_ticket(State::New);
        let mut b = test_ticket(State::New);
        (b.number, b.title) = ("INC-2".into(), "Mail down".into());
        apply_transition(&mut a, &merged_resolution(&b), jiff::Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(a.state, State::Resolved);
        assert_eq!(a.resolution_code, Some(ResolutionCode::Duplicate));
        assert_eq!(a.resolution_note.as_deref(), Some("Merged into INC-2: Mail down"));
    }
}
