//! SLAs on incidents and service requests: calendars and policies (admins manage them, each
//! for one kind) and each ticket's first-response and resolution clocks, computed from its
//! event history by the core clock. A request no policy matches is measured against its
//! item's delivery time, around the clock.

use std::collections::{BTreeSet, HashMap};

use jiff::SignedDuration;
use steward_core::events::DomainEvent;
use steward_core::identity::Permission;
use steward_core::ids::{CalendarId, CategoryId, TeamId, TicketId, UserId};
use steward_core::requests::RequestEvent;
use steward_core::sla::SlaCalendarEvent;
use steward_core::sla::{
    BusinessCalendar, HistoryEntry, PausePolicy, SlaStatus, Target, measure, parse_calendar_days,
    since_last_update, timelines,
};
use steward_core::tickets::{IncidentEvent, Ticket, TicketKind};
use steward_store::{CalendarRecord, PolicyHistory, PolicyRecord};

mod escalation;
mod policies;

use crate::incidents::ENTITY;
use crate::{Actor, AppError, Result, record};

pub use escalation::DEFAULT_WARN_AT;

/// A new calendar as typed by an admin.
#[derive(Debug, Clone, Default)]
pub struct NewCalendar {
    pub name: String,
    pub time_zone: String,
    pub hours: Vec<String>,
    pub holidays: Vec<String>,
    /// Dates worked although their weekday is not (makeup working days, 调休).
    pub working_days: Vec<String>,
    /// An iCalendar file whose events are holidays or, when they say so, working days.
    pub ics: Option<String>,
    pub always: bool,
}

/// A new policy as typed by an admin.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    pub name: String,
    pub rank: i64,
    pub priority: Option<i64>,
    pub category_id: Option<CategoryId>,
    pub calendar_id: CalendarId,
    pub response_minutes: Option<i64>,
    pub resolution_minutes: Option<i64>,
    /// `None`: [`PausePolicy::DEFAULT_REASONS`]; an empty list never pauses.
    pub pause_reasons: Option<Vec<String>>,
    pub service: Option<String>,
    pub organisation: Option<String>,
    pub update_minutes: Option<i64>,
    /// Warning percentages, 1–99; `None` keeps the default (75).
    pub warn_at: Option<Vec<i64>>,
    pub breach_team_id: Option<TeamId>,
    /// `incident` (`None`) or `request`.
    pub kind: Option<String>,
    /// A request policy's catalogue item (`None`: any).
    pub item_id: Option<i64>,
}

/// A ticket's SLA clocks and where their rules came from.
#[derive(Debug, Clone)]
pub struct TicketSla {
    /// The policy's name; empty for a request measured by its item's delivery time.
    pub policy: String,
    pub calendar: String,
    pub response: Option<SlaStatus>,
    pub resolution: SlaStatus,
    /// The next-update clock and when its cycle began (the last agent reply), when the policy
    /// sets an update target and the ticket is open.
    pub next_update: Option<(SlaStatus, jiff::Timestamp)>,
    /// The policy's warning percentages and breach reassignment, for the escalation scan.
    pub warn_at: Vec<i64>,
    pub breach_team_id: Option<TeamId>,
}

fn calendar_of(c: &CalendarRecord) -> Result<BusinessCalendar> {
    let dates = |field: &'static str, list: &[String]| {
        list.iter()
            .map(|d| {
                d.parse().map_err(|_| AppError::invalid(field, format!("`{d}` is not a date (YYYY-MM-DD)")))
            })
            .collect::<Result<BTreeSet<jiff::civil::Date>>>()
    };
    let holidays = dates("holidays", &c.holidays)?;
    let working_days = dates("working_days", &c.working_days)?;
    if let Some(both) = holidays.intersection(&working_days).next() {
        return Err(AppError::invalid(
            "working_days",
            format!("{both} cannot be both a holiday and a working day"),
        ));
    }
    // Dates are checked first, so a round-the-clock calendar holds no junk either.
    if c.always {
        return Ok(BusinessCalendar::always());
    }
    let days: Vec<&str> = c.hours.iter().map(String::as_str).collect();
    let days: [&str; 7] = days
        .try_into()
        .map_err(|_| AppError::invalid("hours", "give working hours for all seven days, Monday first"))?;
    let calendar = BusinessCalendar::from_days(&c.time_zone, &days, holidays).map_err(|e| {
        let field = match e {
            steward_core::sla::CalendarError::UnknownTimeZone(_) => "time_zone",
            _ => "hours",
        };
        AppError::invalid(field, e)
    })?;
    Ok(calendar.with_working_days(working_days))
}

fn policy_matches(p: &PolicyRecord, t: &Ticket, organisation: Option<&str>, item: Option<i64>) -> bool {
    p.kind == t.kind.as_str()
        && p.item_id.is_none_or(|i| Some(i) == item)
        && p.priority.is_none_or(|x| x == i64::from(t.priority.get()))
        && p.category_id.is_none_or(|c| Some(c) == t.category_id)
        && p.service.as_deref().is_none_or(|s| Some(s) == t.service.as_deref())
        && p.organisation.as_deref().is_none_or(|o| Some(o) == organisation)
}

/// What a calendar event records of a definition: name, zone, hours, and how many holidays
/// and working days.
fn event_fields(c: &CalendarRecord) -> (String, String, Vec<String>, i64, i64) {
    (
        c.name.clone(),
        c.time_zone.clone(),
        c.hours.clone(),
        c.holidays.len() as i64,
        c.working_days.len() as i64,
    )
}

/// Calendar `c` with its earlier definitions (`versions`, oldest first, any calendar's):
/// each applies until the instant it was replaced.
fn calendar_with_history(
    c: &CalendarRecord,
    versions: &[(CalendarId, jiff::Timestamp, CalendarRecord)],
) -> Result<BusinessCalendar> {
    let mut earlier: Option<(BusinessCalendar, jiff::Timestamp)> = None;
    for (_, until, v) in versions.iter().filter(|(id, _, _)| *id == c.id) {
        // An earlier definition that no longer reads (saved before a check existed, a zone
        // gone from the database) is skipped, not allowed to stop the calendar.
        let Ok(mut cal) = calendar_of(v) else {
            tracing::warn!(calendar = %c.id, "an earlier definition of the calendar does not read; skipped");
            continue;
        };
        if let Some((before, since)) = earlier.take() {
            cal = cal.replacing(before, since);
        }
        earlier = Some((cal, *until));
    }
    let current = calendar_of(c)?;
    Ok(match earlier {
        Some((before, since)) => current.replacing(before, since),
        None => current,
    })
}

/// The SLA rules as one scan or page uses them.
pub(crate) struct SlaRules {
    /// Every policy ever in force, with its earlier definitions (`policies::PolicyHistory`).
    policies: PolicyHistory,
    calendars: Vec<CalendarRecord>,
    /// The calendars that parse, by id.
    parsed: HashMap<CalendarId, BusinessCalendar>,
}

/// What a request's clocks know of its order: the item and the promised delivery time.
type OrderTerms = (i64, jiff::Timestamp);

/// The clocks of `ticket` as of `at` from its `history` (oldest first), by the first policy
/// that matches it; a request that none matches, by its item's delivery time (`order`).
fn sla_with(
    ticket: &Ticket,
    at: jiff::Timestamp,
    rules: &SlaRules,
    organisation: Option<&str>,
    order: Option<&OrderTerms>,
    history: &[HistoryEntry],
) -> Result<Option<TicketSla>> {
    let in_force = policies::as_of(&rules.policies, ticket.created_at);
    let item = order.map(|o| o.0);
    let Some(policy) = in_force.into_iter().find(|p| policy_matches(p, ticket, organisation, item)) else {
        return delivery_sla(ticket, at, order, history);
    };
    let record =
        rules.calendars.iter().find(|c| c.id == policy.calendar_id).ok_or(AppError::NotFound("calendar"))?;
    let parsed;
    let calendar = match rules.parsed.get(&record.id) {
        Some(c) => c,
        None => {
            parsed = calendar_of(record)?;
            &parsed
        }
    };
    let pauses = PausePolicy::of_words(&policy.pause_reasons);
    let (resolution, response) = timelines(history, &pauses, ticket.kind);
    let minutes = |m: i64| Target([SignedDuration::from_mins(m); 5]);
    let next_update = match policy.update_minutes {
        Some(m) if ticket.state.is_open() => {
            let (timeline, since) = since_last_update(history, &resolution);
            let status = measure(calendar, &timeline, &minutes(m), at).map_err(measure_err)?;
            since.map(|s| (status, s))
        }
        _ => None,
    };
    Ok(Some(TicketSla {
        policy: policy.name.clone(),
        calendar: record.name.clone(),
        response: match policy.response_minutes {
            Some(m) => Some(measure(calendar, &response, &minutes(m), at).map_err(measure_err)?),
            None => None,
        },
        resolution: measure(calendar, &resolution, &minutes(policy.resolution_minutes), at)
            .map_err(measure_err)?,
        next_update,
        warn_at: policy.warn_at.clone(),
        breach_team_id: policy.breach_team_id,
    }))
}

fn measure_err(e: steward_core::sla::CalendarError) -> AppError {
    AppError::Internal(anyhow::anyhow!("{e}"))
}

/// A request no policy matches: its resolution clock runs around the clock, approvals
/// included, against the delivery time its item promised when it was ordered — the due time
/// the requester was shown.
fn delivery_sla(
    ticket: &Ticket,
    at: jiff::Timestamp,
    order: Option<&OrderTerms>,
    history: &[HistoryEntry],
) -> Result<Option<TicketSla>> {
    let Some((_, due)) = order.filter(|_| ticket.kind == TicketKind::Request) else { return Ok(None) };
    let promised = due.duration_since(ticket.created_at);
    let (resolution, _) = timelines(history, &PausePolicy::default(), ticket.kind);
    let target = Target([promised.max(SignedDuration::from_mins(1)); 5]);
    Ok(Some(TicketSla {
        policy: String::new(),
        calendar: String::new(),
        response: None,
        resolution: measure(&BusinessCalendar::always(), &resolution, &target, at).map_err(measure_err)?,
        next_update: None,
        warn_at: escalation::DEFAULT_WARN_AT.to_vec(),
        breach_team_id: None,
    }))
}

/// An optional one-line name condition: trimmed, empty means any.
fn condition(field: &'static str, value: Option<&str>) -> Result<Option<String>> {
    let v = value.unwrap_or_default().trim();
    if v.chars().count() > 120 || v.chars().any(char::is_control) {
        return Err(AppError::invalid(field, "at most 120 characters on one line"));
    }
    Ok((!v.is_empty()).then(|| v.to_owned()))
}

/// What one event of a ticket's history means to its clocks: a change of state, priority or
/// hold reason, or a public reply (on a request, also a finished task) by someone other than
/// the requester.
fn history_entry(e: &steward_store::LoggedEvent, requester: UserId) -> Result<Option<HistoryEntry>> {
    let at = e.at();
    let by_other = e.event.actor_id.is_some_and(|a| a != requester);
    Ok(Some(match e.domain().map_err(steward_store::StoreError::from)? {
        DomainEvent::Incident { event: IncidentEvent::Commented { internal, .. }, .. }
        | DomainEvent::Request { event: RequestEvent::Commented { internal, .. }, .. } => match internal {
            false if by_other => HistoryEntry::reply(at),
            _ => HistoryEntry::of_fields(at, None),
        },
        DomainEvent::Request { event: RequestEvent::TaskDone { .. }, .. } if by_other => {
            HistoryEntry::reply(at)
        }
        DomainEvent::Incident { event, .. } => HistoryEntry::of_fields(at, event.fields_after()),
        DomainEvent::Request { event, .. } => HistoryEntry::of_fields(at, event.fields_after()),
        _ => return Ok(None),
    }))
}

impl crate::Sla<'_> {
    pub async fn calendars(self, actor: &Actor) -> Result<Vec<CalendarRecord>> {
        actor.require(Permission::ReadTickets)?;
        Ok(self.store.sla_calendars().await?)
    }

    pub async fn policies(self, actor: &Actor) -> Result<Vec<PolicyRecord>> {
        actor.require(Permission::ReadTickets)?;
        Ok(self.store.sla_policies().await?)
    }

    pub async fn create_calendar(self, actor: &Actor, input: NewCalendar) -> Result<CalendarId> {
        actor.require(Permission::ManageDirectory)?;
        let calendar = self.sla().checked_calendar(CalendarId(0), &input)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_sla_calendar(at, &calendar).await?;
        let (name, time_zone, hours, holidays, working_days) = event_fields(&calendar);
        let event = SlaCalendarEvent::Created { name, time_zone, hours, holidays, working_days };
        record(&mut tx, at, Some(actor), DomainEvent::SlaCalendar { id, event }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Gives calendar `id` a new definition, applying from now on: the time tickets spent
    /// before is counted as it was (the old definition is kept).
    pub async fn update_calendar(
        self,
        actor: &Actor,
        id: CalendarId,
        input: NewCalendar,
    ) -> Result<CalendarRecord> {
        actor.require(Permission::ManageDirectory)?;
        if !self.store.sla_calendars().await?.iter().any(|c| c.id == id) {
            return Err(AppError::NotFound("calendar"));
        }
        let calendar = self.sla().checked_calendar(id, &input)?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.update_sla_calendar(at, &calendar).await? {
            return Err(AppError::NotFound("calendar"));
        }
        let (name, time_zone, hours, holidays, working_days) = event_fields(&calendar);
        let event = SlaCalendarEvent::Updated { name, time_zone, hours, holidays, working_days };
        record(&mut tx, at, Some(actor), DomainEvent::SlaCalendar { id, event }).await?;
        tx.commit().await?;
        Ok(calendar)
    }

    /// Deletes a calendar no policy uses.
    pub async fn delete_calendar(self, actor: &Actor, id: CalendarId) -> Result<()> {
        actor.require(Permission::ManageDirectory)?;
        let calendars = self.store.sla_calendars().await?;
        let calendar = calendars.iter().find(|c| c.id == id).ok_or(AppError::NotFound("calendar"))?;
        // Deleted policies and earlier definitions count too: older tickets are still measured
        // by them.
        let history = self.store.sla_policy_history().await?;
        let mut users: Vec<String> = history
            .policies
            .iter()
            .map(|(p, _)| p)
            .chain(history.versions.iter().map(|(p, _)| p))
            .filter(|p| p.calendar_id == id)
            .map(|p| p.name.clone())
            .collect();
        users.dedup();
        if !users.is_empty() {
            return Err(AppError::Conflict {
                field: Some("calendar_id"),
                message: format!("policies use this calendar: {}", users.join(", ")),
            });
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.delete_sla_calendar(id).await?;
        let event = SlaCalendarEvent::Deleted { name: calendar.name.clone() };
        record(&mut tx, at, Some(actor), DomainEvent::SlaCalendar { id, event }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// When `minutes` of business time after `from` fall by calendar `id` (with its history),
    /// and the working stretches that make them up: a check of a calendar before it is used.
    pub async fn due(
        self,
        actor: &Actor,
        id: CalendarId,
        from: jiff::Timestamp,
        minutes: i64,
    ) -> Result<(jiff::Timestamp, Vec<(jiff::Timestamp, jiff::Timestamp)>)> {
        actor.require(Permission::ReadTickets)?;
        if !(0..=525_600).contains(&minutes) {
            return Err(AppError::invalid("minutes", "between 0 minutes and a year"));
        }
        let calendars = self.store.sla_calendars().await?;
        let record = calendars.iter().find(|c| c.id == id).ok_or(AppError::NotFound("calendar"))?;
        let calendar = calendar_with_history(record, &self.store.sla_calendar_versions().await?)?;
        let due = calendar
            .add(from, SignedDuration::from_mins(minutes))
            .map_err(|e| AppError::invalid("minutes", e))?;
        Ok((due, calendar.working_spans(from, due)))
    }

    /// A calendar as typed, checked: name, dates, hours, time zone.
    fn checked_calendar(self, id: CalendarId, input: &NewCalendar) -> Result<CalendarRecord> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(AppError::invalid("name", "a calendar name must be 1 to 80 characters, one line"));
        }
        let mut holidays: BTreeSet<String> = input.holidays.iter().map(|d| d.trim().to_owned()).collect();
        let mut working_days: BTreeSet<String> =
            input.working_days.iter().map(|d| d.trim().to_owned()).collect();
        if let Some(ics) = &input.ics {
            let days = parse_calendar_days(ics).map_err(|e| AppError::invalid("ics", e))?;
            holidays.extend(days.holidays.iter().map(|d| d.to_string()));
            working_days.extend(days.working_days.iter().map(|d| d.to_string()));
        }
        let hours = if input.always { vec![String::new(); 7] } else { input.hours.clone() };
        let calendar = CalendarRecord {
            id,
            name: name.to_owned(),
            time_zone: if input.always { "UTC".into() } else { input.time_zone.trim().to_owned() },
            hours,
            holidays: holidays.into_iter().collect(),
            working_days: working_days.into_iter().collect(),
            always: input.always,
        };
        calendar_of(&calendar)?;
        Ok(calendar)
    }

    /// The first-response and resolution clocks of an incident, as of now.
    pub async fn of_incident(self, actor: &Actor, id: TicketId) -> Result<Option<TicketSla>> {
        let ticket = self.incidents().get(actor, id).await?.ticket;
        self.sla().sla_of(&ticket, self.now()).await
    }

    /// The clocks of a service request the actor may see, as of now.
    pub async fn of_request(self, actor: &Actor, id: TicketId) -> Result<Option<TicketSla>> {
        let ticket = self.requests().get(actor, id).await?.ticket;
        self.sla().sla_of(&ticket, self.now()).await
    }

    /// The clocks of `ticket` as of `at`, by the first policy that matches it.
    pub(crate) async fn sla_of(self, ticket: &Ticket, at: jiff::Timestamp) -> Result<Option<TicketSla>> {
        let rules = self.sla().sla_rules().await?;
        Ok(self.sla().slas_with(std::slice::from_ref(ticket), at, &rules).await?.pop().flatten())
    }

    /// The clocks of many tickets the actor can see (a list page), loading the rules once.
    pub async fn of_incidents(self, actor: &Actor, tickets: &[Ticket]) -> Result<Vec<Option<TicketSla>>> {
        actor.require(Permission::ReadTickets)?;
        let rules = self.sla().sla_rules().await?;
        self.sla().slas_with(tickets, self.now(), &rules).await
    }

    /// The policies and calendars, each calendar parsed once.
    pub(crate) async fn sla_rules(self) -> Result<SlaRules> {
        let calendars = self.store.sla_calendars().await?;
        let versions = self.store.sla_calendar_versions().await?;
        // A calendar that does not parse (none should: they are checked when saved) fails only
        // the tickets whose policy uses it, when they are measured.
        let parsed = calendars
            .iter()
            .filter_map(|c| Some((c.id, calendar_with_history(c, &versions).ok()?)))
            .collect();
        Ok(SlaRules { policies: self.store.sla_policy_history().await?, calendars, parsed })
    }

    /// The clocks of `tickets` as of `at`, in order: their histories come in one query per 500
    /// tickets, not one each.
    pub(crate) async fn slas_with(
        self,
        tickets: &[Ticket],
        at: jiff::Timestamp,
        rules: &SlaRules,
    ) -> Result<Vec<Option<TicketSla>>> {
        let ids: Vec<String> = tickets.iter().map(|t| t.id.to_string()).collect();
        let mut histories: HashMap<String, Vec<HistoryEntry>> = HashMap::new();
        let requesters: HashMap<TicketId, UserId> = tickets.iter().map(|t| (t.id, t.requester_id)).collect();
        // Each kind's events are stored under its own entity type.
        let of_kind = |kind: TicketKind| -> Vec<String> {
            tickets.iter().filter(|t| t.kind == kind).map(|t| t.id.to_string()).collect()
        };
        let requests: Vec<TicketId> =
            tickets.iter().filter(|t| t.kind == TicketKind::Request).map(|t| t.id).collect();
        let mut events = self.store.histories(ENTITY, &of_kind(TicketKind::Incident)).await?;
        let mut orders: HashMap<TicketId, OrderTerms> = HashMap::new();
        if !requests.is_empty() {
            events
                .extend(self.store.histories(crate::requests::ENTITY, &of_kind(TicketKind::Request)).await?);
            orders =
                self.store.request_items(&requests).await?.into_iter().map(|(t, i, d)| (t, (i, d))).collect();
        }
        for e in events {
            let Some(id) = e.event.entity_id.as_deref() else { continue };
            let requester =
                id.parse().ok().and_then(|id: TicketId| requesters.get(&id).copied()).unwrap_or(UserId(0));
            if let Some(entry) = history_entry(&e, requester)? {
                histories.entry(id.to_owned()).or_default().push(entry);
            }
        }
        let by_organisation = policies::any(&rules.policies, |p| p.organisation.is_some());
        let mut organisations: HashMap<UserId, Option<String>> = HashMap::new();
        let mut out = Vec::with_capacity(tickets.len());
        for (ticket, id) in tickets.iter().zip(&ids) {
            let organisation = match organisations.get(&ticket.requester_id) {
                Some(o) => o.clone(),
                None if by_organisation => {
                    let o = self.store.user(ticket.requester_id).await?.and_then(|u| u.organisation);
                    organisations.insert(ticket.requester_id, o.clone());
                    o
                }
                None => None,
            };
            let history = histories.get(id).map_or(&[][..], Vec::as_slice);
            let order = orders.get(&ticket.id);
            out.push(sla_with(ticket, at, rules, organisation.as_deref(), order, history)?);
        }
        Ok(out)
    }

    /// A user's newest notifications.
    pub async fn notifications(self, actor: &Actor) -> Result<Vec<steward_store::Notification>> {
        Ok(self.store.notifications(actor.user.id, 100).await?)
    }

    pub async fn mark_notifications_read(self, actor: &Actor) -> Result<u64> {
        let mut tx = self.store.begin().await?;
        let n = tx.mark_notifications_read(self.now(), actor.user.id).await?;
        tx.commit().await?;
        Ok(n)
    }
}
