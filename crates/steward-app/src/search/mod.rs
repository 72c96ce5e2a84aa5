//! Search (issue 19): one index over incidents, problems, articles, CIs and people, derived
//! from the database (`steward-search` holds it). The index takes in the event log: every
//! search first catches up with what was committed (so one's own change is found at once),
//! and the server catches up twice a second besides (`feed.rs`); `reindex` builds it anew.
//! Each node keeps its own index in its data folder.

mod docs;
mod feed;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use steward_core::identity::Permission;
use steward_search::{Request, SearchIndex};

use crate::{Actor, AppError, Result};

pub use feed::REINDEX_PAGE;
pub use steward_search::{Hit, Kind, Results};

/// The node's index, opened on first use.
#[derive(Default, Debug)]
pub struct Engine {
    /// `None`: kept in memory.
    dir: Option<PathBuf>,
    index: OnceLock<Arc<SearchIndex>>,
    /// One catch-up at a time.
    catching_up: tokio::sync::Mutex<()>,
}

impl Engine {
    pub fn new(dir: Option<PathBuf>) -> Engine {
        Engine { dir, ..Engine::default() }
    }

    fn index(&self) -> Result<Arc<SearchIndex>> {
        if let Some(i) = self.index.get() {
            return Ok(i.clone());
        }
        let opened = match &self.dir {
            Some(dir) => SearchIndex::open(dir),
            None => SearchIndex::in_memory(),
        }
        .map_err(internal)?;
        Ok(self.index.get_or_init(|| Arc::new(opened)).clone())
    }
}

pub(crate) fn internal(e: steward_search::SearchError) -> AppError {
    AppError::Internal(anyhow::anyhow!(e))
}

/// A search as an interface asks it.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub kinds: Vec<Kind>,
    pub states: Vec<String>,
    pub team: Option<i64>,
    pub created_from: Option<jiff::Timestamp>,
    pub created_to: Option<jiff::Timestamp>,
    /// Search-as-you-type: the last word may be unfinished.
    pub prefix: bool,
    pub limit: usize,
}

/// The longest query taken, in bytes; longer ones are refused by name.
pub const MAX_QUERY_BYTES: usize = 1_000;

impl crate::Search<'_> {
    /// Searches everything the actor may see; the index first takes in every committed change.
    pub async fn query(self, actor: &Actor, q: &SearchQuery) -> Result<Results> {
        let mut found = self.search().many(actor, std::slice::from_ref(q)).await?;
        Ok(found.pop().unwrap_or_default())
    }

    /// Several searches by one actor: the index catches up once, and they run together.
    async fn many(self, actor: &Actor, queries: &[SearchQuery]) -> Result<Vec<Results>> {
        actor.require(Permission::ReadTickets)?;
        for q in queries {
            if q.text.trim().is_empty() {
                return Err(AppError::invalid("q", "type something to search for"));
            }
            if q.text.len() > MAX_QUERY_BYTES {
                return Err(AppError::invalid(
                    "q",
                    format!("a query may not exceed {MAX_QUERY_BYTES} bytes"),
                ));
            }
        }
        self.search().catch_up().await?;
        let teams: Vec<i64> =
            self.store.teams_of(actor.user.id).await?.into_iter().map(|t| t.id.get()).collect();
        let readers = docs::readers(actor, &teams);
        let staff = actor.can(Permission::WorkTickets) || actor.can(Permission::ReadAudit);
        let requests: Vec<Request> = queries
            .iter()
            .map(|q| Request {
                text: q.text.clone(),
                readers: readers.clone(),
                staff,
                kinds: q.kinds.clone(),
                states: q.states.clone(),
                team: q.team.map(|t| t as u64),
                created_from: q.created_from.map(|t| t.as_millisecond()),
                created_to: q.created_to.map(|t| t.as_millisecond()),
                prefix: q.prefix,
                fuzzy: true,
                limit: q.limit.clamp(1, 100),
            })
            .collect();
        let index = self.search_engine().index()?;
        tokio::task::spawn_blocking(move || {
            requests.iter().map(|r| index.search(r)).collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?
        .map_err(internal)
    }
}

impl crate::Search<'_> {
    /// The event sequence number this node's index has taken in (`None`: never built).
    pub async fn cursor(self) -> Result<Option<i64>> {
        self.search_engine().index()?.cursor().map_err(internal)
    }
}

/// What a form shows beside a title being typed.
#[derive(Debug, Clone, Default)]
pub struct Suggestions {
    /// Problems in known error (their workaround is published).
    pub known_errors: Results,
    pub articles: Results,
    /// Open incidents that may be the same.
    pub incidents: Results,
}

impl crate::Search<'_> {
    /// Up to five known errors, articles and open incidents matching a title as it is typed,
    /// from what the actor may see; `except` leaves out the incident being edited.
    pub async fn suggest(self, actor: &Actor, text: &str, except: Option<i64>) -> Result<Suggestions> {
        let ask = |kinds: Vec<Kind>, states: &[&str]| SearchQuery {
            text: text.to_owned(),
            kinds,
            states: states.iter().map(|s| (*s).to_owned()).collect(),
            prefix: true,
            limit: 6,
            ..SearchQuery::default()
        };
        let open = ["new", "assigned", "in_progress", "on_hold"];
        let queries = [
            ask(vec![Kind::Problem], &["known_error"]),
            ask(vec![Kind::Article, Kind::PublishedArticle], &["published", "draft", "review"]),
            ask(vec![Kind::Incident], &open),
        ];
        let mut found = self.search().many(actor, &queries).await?.into_iter();
        let (known_errors, articles, mut incidents) = (
            found.next().unwrap_or_default(),
            found.next().unwrap_or_default(),
            found.next().unwrap_or_default(),
        );
        incidents.hits.retain(|h| Some(h.id) != except);
        let mut out = Suggestions { known_errors, articles, incidents };
        for r in [&mut out.known_errors, &mut out.articles, &mut out.incidents] {
            r.hits.truncate(5);
        }
        Ok(out)
    }
}

impl crate::App {
    /// Keeps this node's index level with the event log, `every` so often, until `stop`.
    pub async fn run_search_feed(
        &self,
        every: std::time::Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(err) = self.search().catch_up().await {
                tracing::error!(error = %err, "search index catch-up failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use steward_core::identity::Role;
    use steward_core::ids::{TeamId, TicketId, UserId};
    use steward_core::tickets::access;

    use super::docs;

    fn actor(id: UserId, role: Role) -> crate::Actor {
        let at = jiff::Timestamp::UNIX_EPOCH;
        let user = steward_core::identity::User {
            id,
            username: steward_core::identity::Username::parse("someone").unwrap(),
            display_name: "Someone".into(),
            email: None,
            role,
            disabled: false,
            locale: None,
            time_zone: None,
            organisation: None,
            manager_id: None,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        crate::Actor { user, credential: crate::Credential::Direct }
    }

    fn ticket(
        team: Option<TeamId>,
        assignee: Option<UserId>,
        requester: UserId,
    ) -> steward_core::tickets::Ticket {
        use steward_core::tickets::*;
        let at = jiff::Timestamp::UNIX_EPOCH;
        Ticket {
            id: TicketId(1),
            kind: TicketKind::Incident,
            number: "INC000001".into(),
            title: "t".into(),
            description: String::new(),
            requester_id: requester,
            created_by: None,
            category_id: None,
            subcategory_id: None,
            service: None,
            impact: Impact::new(3).unwrap(),
            urgency: Urgency::new(3).unwrap(),
            priority: Priority::new(5).unwrap(),
            team_id: team,
            assignee_id: assignee,
            state: State::New,
            hold_reason: None,
            resolution_code: None,
            resolution_note: None,
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            parent_id: None,
            tags: Tags::default(),
            created_at: at,
            updated_at: at,
            version: 1,
        }
    }

    /// The reader tokens say what `tickets::access` says, for every role and ticket shape.
    #[test]
    fn reader_tokens_mirror_ticket_access() {
        let me = UserId(5);
        for role in
            [Role::Admin, Role::Auditor, Role::Requester, Role::Agent, Role::TeamLead, Role::ChangeManager]
        {
            let actor = actor(me, role);
            let teams = [1_i64];
            let tokens = docs::readers(&actor, &teams);
            for team in [None, Some(TeamId(1)), Some(TeamId(2))] {
                for assignee in [None, Some(me), Some(UserId(6))] {
                    for requester in [me, UserId(7)] {
                        let t = ticket(team, assignee, requester);
                        let doc = docs::incident(&t, &[]);
                        let found = doc.readers.iter().any(|r| tokens.contains(r));
                        let can = access(role, me, &[TeamId(1)], &t).can_read();
                        assert_eq!(
                            found, can,
                            "{role:?} team {team:?} assignee {assignee:?} requester {requester:?}"
                        );
                    }
                }
            }
        }
    }
}
