//! Every change Steward records, typed by area.
//!
//! An event is what one operation did to one entity: an incident's fields changed, a CI was
//! related to another, a user signed in. Each area declares its own enum (`IncidentEvent` in
//! `tickets`, `CiEvent` in `cmdb`, `UserEvent` in `identity`, …); [`DomainEvent`] gathers them
//! with the entity they belong to. Readers — the SLA clock, a CI's history, the activity stream,
//! the report projections — match on these types, never on stored strings, so renaming a field
//! of `Ticket` cannot silently change what a history means.
//!
//! Serializing is not done here (core has no serde): the store's event codec is the one place
//! that turns a `DomainEvent` into the stored row and back, for every schema version ever
//! written.

use std::collections::BTreeMap;

use crate::alerts::{AlertEvent, AlertRuleEvent, MaintenanceEvent, SilenceEvent};
use crate::changes::{ChangeEvent, ReleaseEvent};
use crate::cmdb::{CiClassEvent, CiEvent};
use crate::identity::{TeamEvent, TokenEvent, UserEvent};
use crate::ids::{CalendarId, CategoryId, CiId, TeamId, TicketId, TokenId, UserId};
use crate::knowledge::ArticleEvent;
use crate::problems::ProblemEvent;
use crate::requests::{CatalogueEvent, RequestEvent};
use crate::reviews::ReviewEvent;
use crate::runbooks::{GrantEvent, RunEvent, RunbookEvent};
use crate::sla::{SlaCalendarEvent, SlaPolicyEvent};
use crate::subscriptions::SubscriptionEvent;
use crate::tickets::{CategoryEvent, IncidentEvent, ReplyTemplateEvent};

/// One recorded change and the entity it happened to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    Incident {
        id: TicketId,
        event: IncidentEvent,
    },
    Category {
        id: CategoryId,
        event: CategoryEvent,
    },
    Ci {
        id: CiId,
        event: CiEvent,
    },
    CiClass {
        name: String,
        event: CiClassEvent,
    },
    /// `id` is `None` for a failed sign-in under a name no user has.
    User {
        id: Option<UserId>,
        event: UserEvent,
    },
    Team {
        id: TeamId,
        event: TeamEvent,
    },
    ApiToken {
        id: TokenId,
        event: TokenEvent,
    },
    SlaCalendar {
        id: CalendarId,
        event: SlaCalendarEvent,
    },
    SlaPolicy {
        id: i64,
        event: SlaPolicyEvent,
    },
    ReplyTemplate {
        id: i64,
        event: ReplyTemplateEvent,
    },
    Alert {
        id: i64,
        event: AlertEvent,
    },
    Silence {
        id: i64,
        event: SilenceEvent,
    },
    Subscription {
        id: i64,
        event: SubscriptionEvent,
    },
    AlertRule {
        id: i64,
        event: AlertRuleEvent,
    },
    Maintenance {
        id: i64,
        event: MaintenanceEvent,
    },
    /// The post-incident review of incident `id`.
    Review {
        id: TicketId,
        event: ReviewEvent,
    },
    /// A knowledge article.
    Article {
        id: i64,
        event: ArticleEvent,
    },
    /// A problem: a ticket of kind `Problem`, under its own entity name.
    Problem {
        id: TicketId,
        event: ProblemEvent,
    },
    /// A change: a ticket of kind `Change`.
    Change {
        id: TicketId,
        event: ChangeEvent,
    },
    /// A release bundling changes.
    Release {
        id: i64,
        event: ReleaseEvent,
    },
    /// A runbook (id 0 for the desk's secrets).
    Runbook {
        id: i64,
        event: RunbookEvent,
    },
    RunbookRun {
        id: i64,
        event: RunEvent,
    },
    JitGrant {
        id: i64,
        event: GrantEvent,
    },
    Forecast {
        id: i64,
        event: crate::forecasts::ForecastEvent,
    },
    /// A service request: a ticket of kind `Request`.
    Request {
        id: TicketId,
        event: RequestEvent,
    },
    CatalogueItem {
        id: i64,
        event: CatalogueEvent,
    },
    /// A CSAT survey (its row id).
    Csat {
        id: i64,
        event: crate::surveys::CsatEvent,
    },
    /// An NPS survey (its row id).
    Nps {
        id: i64,
        event: crate::surveys::NpsEvent,
    },
}

/// The value of one recorded field: what an incident's or a CI's field held before or after a
/// change. The field's own type gives it meaning (`TicketField::State` holds a state's word).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldValue {
    Null,
    Bool(bool),
    Int(i64),
    Text(String),
    /// A CI's attributes: name → canonical value.
    Map(BTreeMap<String, String>),
}

impl FieldValue {
    pub fn as_int(&self) -> Option<i64> {
        match self {
            FieldValue::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    /// An optional integer or id: `Null` when absent.
    pub fn opt_int<I: Into<i64>>(v: Option<I>) -> FieldValue {
        v.map_or(FieldValue::Null, |i| FieldValue::Int(i.into()))
    }

    pub fn opt_text(v: Option<&str>) -> FieldValue {
        v.map_or(FieldValue::Null, |s| FieldValue::Text(s.to_owned()))
    }
}

/// The named fields an event records of one kind of entity (a ticket's, a CI's).
pub trait Field: Copy + Eq + std::fmt::Debug + 'static {
    /// Every field, in the order a full snapshot lists them.
    const ALL: &'static [Self];
    /// The field's name as stored; never changes once written.
    fn as_str(self) -> &'static str;
    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.as_str() == name)
    }
}

/// Some fields of an entity with their values: a whole snapshot, or one side of a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields<F>(pub Vec<(F, FieldValue)>);

impl<F: Field> Fields<F> {
    pub fn get(&self, field: F) -> Option<&FieldValue> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = &(F, FieldValue)> {
        self.0.iter()
    }

    /// The fields whose values differ from `before`'s, as (before, after).
    pub fn changes_from(before: &Fields<F>, after: &Fields<F>) -> Option<Changes<F>> {
        let (mut old, mut new) = (Vec::new(), Vec::new());
        for (field, value) in &after.0 {
            let was = before.get(*field);
            if was != Some(value) {
                old.push((*field, was.cloned().unwrap_or(FieldValue::Null)));
                new.push((*field, value.clone()));
            }
        }
        (!new.is_empty()).then_some(Changes { before: Fields(old), after: Fields(new) })
    }

    /// Writes `changes` over these fields (a replay of an entity's history).
    pub fn apply(&mut self, changes: &Fields<F>) {
        for (field, value) in &changes.0 {
            match self.0.iter_mut().find(|(f, _)| f == field) {
                Some((_, v)) => *v = value.clone(),
                None => self.0.push((*field, value.clone())),
            }
        }
    }
}

/// Fields that changed: their values before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes<F> {
    pub before: Fields<F>,
    pub after: Fields<F>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tickets::TicketField;

    #[test]
    fn changes_hold_only_what_differs_and_replay_onto_a_snapshot() {
        let before = Fields(vec![
            (TicketField::State, FieldValue::Text("new".into())),
            (TicketField::Priority, FieldValue::Int(3)),
        ]);
        let after = Fields(vec![
            (TicketField::State, FieldValue::Text("assigned".into())),
            (TicketField::Priority, FieldValue::Int(3)),
        ]);
        let changes = Fields::changes_from(&before, &after).unwrap();
        assert_eq!(changes.after.0, vec![(TicketField::State, FieldValue::Text("assigned".into()))]);
        assert_eq!(changes.before.0, vec![(TicketField::State, FieldValue::Text("new".into()))]);
        assert!(Fields::changes_from(&after, &after).is_none());
        let mut replayed = before.clone();
        replayed.apply(&changes.after);
        assert_eq!(replayed, after);
    }

    #[test]
    fn every_field_name_parses_back() {
        for f in TicketField::ALL {
            assert_eq!(TicketField::parse(f.as_str()), Some(*f));
        }
        assert_eq!(TicketField::parse("no_such_field"), None);
    }
}
