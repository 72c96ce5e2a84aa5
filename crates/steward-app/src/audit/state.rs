//! `audit verify --state`: replays the event log and compares the result with the current
//! rows of tickets, users, teams, CIs and relationships. The hash chain and the anchors prove
//! the log was not changed; this proves the tables were not changed behind the log's back
//! (an `UPDATE tickets …` made directly in the database writes no event).

use std::collections::{BTreeMap, BTreeSet};

use steward_core::cmdb::{CiEvent, CiField};
use steward_core::events::{DomainEvent, Fields};
use steward_core::identity::{TeamEvent, UserEvent, UserSnapshot};
use steward_core::ids::{CiId, RelationId, TeamId, TicketId, UserId};
use steward_core::tickets::{TicketField, ticket_fields};
use steward_store::CiQuery;

use crate::Result;

/// One row that differs from what its events say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// `ticket`, `user`, `team`, `ci` or `relation`.
    pub entity: &'static str,
    pub id: i64,
    /// What differs: field names, or `row without events` / `row missing`.
    pub what: String,
}

/// What the events say each entity should be now.
#[derive(Default)]
struct Replayed {
    tickets: BTreeMap<TicketId, Fields<TicketField>>,
    users: BTreeMap<UserId, UserSnapshot>,
    teams: BTreeMap<TeamId, (String, String, BTreeSet<UserId>)>,
    cis: BTreeMap<CiId, Fields<CiField>>,
    /// By their ends and kind (an import records relationships without their ids), with
    /// the id where the event has one.
    relations: BTreeMap<(CiId, CiId, String), Option<RelationId>>,
}

impl Replayed {
    fn apply(&mut self, event: DomainEvent) {
        match event {
            DomainEvent::Incident { id, event } => {
                if let Some(fields) = event.fields_after() {
                    self.tickets.entry(id).or_insert_with(|| Fields(Vec::new())).apply(fields);
                }
            }
            DomainEvent::Problem { id, event } => {
                if let Some(fields) = event.fields_after() {
                    self.tickets.entry(id).or_insert_with(|| Fields(Vec::new())).apply(fields);
                }
            }
            DomainEvent::Change { id, event } => {
                if let Some(fields) = event.fields_after() {
                    self.tickets.entry(id).or_insert_with(|| Fields(Vec::new())).apply(fields);
                }
            }
            DomainEvent::Request { id, event } => {
                if let Some(fields) = event.fields_after() {
                    self.tickets.entry(id).or_insert_with(|| Fields(Vec::new())).apply(fields);
                }
            }
            DomainEvent::User {
                id: Some(id),
                event: UserEvent::Created(s) | UserEvent::Updated { after: s, .. },
            } => {
                self.users.insert(id, *s);
            }
            DomainEvent::Team { id, event } => match event {
                TeamEvent::Created { name, description } => {
                    self.teams.insert(id, (name, description, BTreeSet::new()));
                }
                TeamEvent::MemberAdded { user_id, .. } => {
                    self.teams.entry(id).or_default().2.insert(user_id);
                }
                TeamEvent::MemberRemoved { user_id, .. } => {
                    self.teams.entry(id).or_default().2.remove(&user_id);
                }
                // Routing is not part of the compared state.
                TeamEvent::IntakeChanged { .. } => {}
            },
            DomainEvent::Ci { id, event } => match event {
                CiEvent::Created(fields) => {
                    self.cis.insert(id, fields);
                }
                CiEvent::Updated(changes) => {
                    self.cis.entry(id).or_insert_with(|| Fields(Vec::new())).apply(&changes.after)
                }
                // A relationship is recorded on both of its ends: once is enough.
                CiEvent::Related(r) => {
                    self.relations.insert((r.from, r.to, r.kind.as_str().to_owned()), r.relation_id);
                }
                CiEvent::Unrelated(r) => {
                    self.relations.remove(&(r.from, r.to, r.kind.as_str().to_owned()));
                }
            },
            _ => {}
        }
    }
}

/// The names of the fields whose values differ between the replay and the row.
fn differing<F: steward_core::events::Field>(replayed: &Fields<F>, current: &Fields<F>) -> Vec<&'static str> {
    current.iter().filter(|(f, v)| replayed.get(*f) != Some(v)).map(|(f, _)| f.as_str()).collect()
}

fn user_differences(replayed: &UserSnapshot, current: &UserSnapshot) -> Vec<&'static str> {
    let mut out = Vec::new();
    let pairs: [(&str, bool); 9] = [
        ("username", replayed.username == current.username),
        ("display_name", replayed.display_name == current.display_name),
        ("email", replayed.email == current.email),
        ("role", replayed.role == current.role),
        ("disabled", replayed.disabled == current.disabled),
        ("locale", replayed.locale == current.locale),
        ("organisation", replayed.organisation == current.organisation),
        ("time_zone", replayed.time_zone == current.time_zone),
        ("manager_id", replayed.manager_id == current.manager_id),
    ];
    for (name, same) in pairs {
        if !same {
            out.push(name);
        }
    }
    out
}

/// Compares one kind of entity: rows against replays, both ways.
fn compare<K: Ord + Copy + Into<i64>, R, C>(
    entity: &'static str,
    replayed: &BTreeMap<K, R>,
    current: &BTreeMap<K, C>,
    diff: impl Fn(&R, &C) -> Vec<&'static str>,
    out: &mut Vec<Difference>,
) {
    for (id, row) in current {
        let what = match replayed.get(id) {
            None => "row without events".to_owned(),
            Some(r) => {
                let fields = diff(r, row);
                if fields.is_empty() {
                    continue;
                }
                fields.join(", ")
            }
        };
        out.push(Difference { entity, id: (*id).into(), what });
    }
    for id in replayed.keys().filter(|id| !current.contains_key(id)) {
        out.push(Difference { entity, id: (*id).into(), what: "row missing".into() });
    }
}

impl crate::Audit<'_> {
    /// Every row of tickets, users, teams, CIs and relationships that its events do not
    /// account for; empty when the tables match the log.
    pub async fn check_state(self) -> Result<Vec<Difference>> {
        let mut replayed = Replayed::default();
        let mut after = 0;
        loop {
            let page = self.store.events_after(after, 5_000).await?;
            let Some(last) = page.last() else { break };
            after = last.event.seq;
            for logged in page {
                let event = logged.domain().map_err(|e| crate::AppError::Internal(anyhow::anyhow!("{e}")))?;
                replayed.apply(event);
            }
        }
        let mut out = Vec::new();

        let mut tickets = BTreeMap::new();
        let mut last = TicketId(0);
        loop {
            let page = self.store.tickets_after(last, 5_000).await?;
            let Some(t) = page.last() else { break };
            last = t.id;
            tickets.extend(page.iter().map(|t| (t.id, ticket_fields(t))));
        }
        compare("ticket", &replayed.tickets, &tickets, differing, &mut out);

        let users: BTreeMap<UserId, UserSnapshot> = self
            .store
            .list_users()
            .await?
            .iter()
            .map(|u| (u.id, crate::directory::user_snapshot(u)))
            .collect();
        compare("user", &replayed.users, &users, user_differences, &mut out);

        let teams: BTreeMap<TeamId, (String, String, BTreeSet<UserId>)> = self
            .store
            .list_teams()
            .await?
            .into_iter()
            .map(|t| (t.team.id, (t.team.name, t.team.description, t.members.iter().map(|m| m.id).collect())))
            .collect();
        let team_diff = |r: &(String, String, BTreeSet<UserId>), c: &(String, String, BTreeSet<UserId>)| {
            let mut out = Vec::new();
            if r.0 != c.0 {
                out.push("name");
            }
            if r.1 != c.1 {
                out.push("description");
            }
            if r.2 != c.2 {
                out.push("members");
            }
            out
        };
        compare("team", &replayed.teams, &teams, team_diff, &mut out);

        let mut cis = BTreeMap::new();
        let mut query = CiQuery { class: None, q: None, after: None, limit: 5_000 };
        loop {
            let page = self.store.list_cis(&query).await?;
            let Some(last) = page.last() else { break };
            query.after = Some(last.id);
            cis.extend(page.iter().map(|c| (c.id, crate::cmdb::snapshot(c))));
        }
        compare("ci", &replayed.cis, &cis, differing, &mut out);

        let relations: BTreeMap<(CiId, CiId, String), RelationId> = self
            .store
            .all_relations()
            .await?
            .into_iter()
            .map(|r| ((r.edge.from, r.edge.to, r.edge.kind.as_str().to_owned()), r.id))
            .collect();
        for (ends, id) in &relations {
            if !replayed.relations.contains_key(ends) {
                out.push(Difference { entity: "relation", id: id.get(), what: "row without events".into() });
            }
        }
        for (ends, id) in &replayed.relations {
            if !relations.contains_key(ends) {
                let (from, to, kind) = ends;
                let what = format!("row missing ({from} {kind} {to})");
                out.push(Difference { entity: "relation", id: id.map_or(0, RelationId::get), what });
            }
        }
        Ok(out)
    }
}
