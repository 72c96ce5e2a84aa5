//! Listing tickets: filters, visibility, sorting and keyset (cursor) pagination.
//!
//! The SQL is assembled from the filters given, with every value bound as a parameter. Pages
//! continue after the last row's `(sort value, id)`, so deep pages cost as little as the first.

use jiff::Timestamp;
use steward_core::ids::{CategoryId, TeamId, TicketId, UserId};
use steward_core::tickets::{State, Ticket, TicketKind};

use std::sync::{Arc, PoisonError};
use std::time::Instant;

use super::search::{self, NOT_YET_INDEXED, TitlePlan, TrigramSample};
use super::{TICKET_COLUMNS, TicketRow};
use crate::{Backend, Result, Store, Value, to_ms};

/// Whose tickets a caller may see; the app layer decides, the store applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    All,
    /// Requesters: their own tickets.
    Requester {
        user_id: UserId,
    },
    /// Agents: their teams' tickets, the unassigned queue, and anything they requested or hold.
    Agent {
        user_id: UserId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    Created,
    Updated,
    Priority,
    Number,
}

impl SortField {
    fn column(self) -> &'static str {
        match self {
            SortField::Created => "t.created_at",
            SortField::Updated => "t.updated_at",
            SortField::Priority => "t.priority",
            SortField::Number => "t.id",
        }
    }

    fn value(self, t: &Ticket) -> i64 {
        match self {
            SortField::Created => to_ms(t.created_at),
            SortField::Updated => to_ms(t.updated_at),
            SortField::Priority => i64::from(t.priority.get()),
            SortField::Number => t.id.get(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct TicketQuery {
    pub kind: TicketKind,
    pub states: Vec<State>,
    pub priorities: Vec<u8>,
    /// `Some(None)`: no team.
    pub team_id: Option<Option<TeamId>>,
    /// Tickets in any team of this user.
    pub teams_of: Option<UserId>,
    /// `Some(None)`: nobody assigned.
    pub assignee_id: Option<Option<UserId>>,
    pub requester_id: Option<UserId>,
    pub category_id: Option<CategoryId>,
    pub parent_id: Option<TicketId>,
    pub tag: Option<String>,
    /// Words in the title (substring), or a ticket number.
    pub text: Option<String>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    pub sort: SortField,
    pub descending: bool,
    /// Continue after this `(sort value, id)`.
    pub after: Option<(i64, i64)>,
    pub limit: i64,
}

impl TicketQuery {
    pub fn new(kind: TicketKind) -> TicketQuery {
        TicketQuery {
            kind,
            states: Vec::new(),
            priorities: Vec::new(),
            team_id: None,
            teams_of: None,
            assignee_id: None,
            requester_id: None,
            category_id: None,
            parent_id: None,
            tag: None,
            text: None,
            created_from: None,
            created_to: None,
            sort: SortField::Created,
            descending: true,
            after: None,
            limit: 50,
        }
    }
}

pub struct TicketPage {
    pub items: Vec<Ticket>,
    /// The cursor of the next page, when there is one.
    pub next: Option<(i64, i64)>,
}

/// SQL text with its positional arguments.
#[derive(Default, Clone)]
struct Sql {
    conditions: Vec<String>,
    args: Vec<Value>,
}

impl Sql {
    fn int(&mut self, v: impl Into<i64>) -> String {
        self.args.push(v.into().into());
        format!("${}", self.args.len())
    }

    fn text(&mut self, v: &str) -> String {
        self.args.push(v.into());
        format!("${}", self.args.len())
    }

    fn push(&mut self, condition: String) {
        self.conditions.push(condition);
    }
}

impl Store {
    pub async fn list_tickets(&self, q: &TicketQuery, visibility: Visibility) -> Result<TicketPage> {
        let mut sql = Sql::default();
        let kind = sql.text(q.kind.as_str());
        sql.push(format!("t.kind = {kind}"));
        match visibility {
            Visibility::All => {}
            Visibility::Requester { user_id } => {
                let me = sql.int(user_id);
                sql.push(format!("t.requester_id = {me}"));
            }
            Visibility::Agent { user_id } => {
                let me = sql.int(user_id);
                sql.push(format!(
                    "(t.team_id IS NULL OR t.requester_id = {me} OR t.assignee_id = {me} OR \
                      t.team_id IN (SELECT team_id FROM team_members WHERE user_id = {me}))"
                ));
            }
        }
        if !q.states.is_empty() {
            let list: Vec<String> = q.states.iter().map(|s| sql.text(s.as_str())).collect();
            sql.push(format!("t.state IN ({})", list.join(", ")));
        }
        if !q.priorities.is_empty() {
            let list: Vec<String> = q.priorities.iter().map(|p| sql.int(i64::from(*p))).collect();
            sql.push(format!("t.priority IN ({})", list.join(", ")));
        }
        match q.team_id {
            Some(Some(team)) => {
                let p = sql.int(team);
                sql.push(format!("t.team_id = {p}"));
            }
            Some(None) => sql.push("t.team_id IS NULL".into()),
            None => {}
        }
        if let Some(user) = q.teams_of {
            let p = sql.int(user);
            sql.push(format!("t.team_id IN (SELECT team_id FROM team_members WHERE user_id = {p})"));
        }
        match q.assignee_id {
            Some(Some(user)) => {
                let p = sql.int(user);
                sql.push(format!("t.assignee_id = {p}"));
            }
            Some(None) => sql.push("t.assignee_id IS NULL".into()),
            None => {}
        }
        for (column, value) in [
            ("requester_id", q.requester_id.map(UserId::get)),
            ("category_id", q.category_id.map(CategoryId::get)),
            ("parent_id", q.parent_id.map(TicketId::get)),
        ] {
            if let Some(v) = value {
                let p = sql.int(v);
                sql.push(format!("t.{column} = {p}"));
            }
        }
        if let Some(tag) = &q.tag {
            // Tags are stored space-separated; padding both sides matches whole tags only.
            let p = sql.text(&format!("% {} %", tag.replace(['%', '_'], "")));
            sql.push(format!("(' ' || t.tags || ' ') LIKE {p}"));
        }
        if let Some(from) = q.created_from {
            let p = sql.int(to_ms(from));
            sql.push(format!("t.created_at >= {p}"));
        }
        if let Some(to) = q.created_to {
            let p = sql.int(to_ms(to));
            sql.push(format!("t.created_at < {p}"));
        }
        let column = q.sort.column();
        let cmp = if q.descending { "<" } else { ">" };
        if let Some((value, id)) = q.after {
            let (v, i) = (sql.int(value), sql.int(id));
            sql.push(format!("({column}, t.id) {cmp} ({v}, {i})"));
        }
        let Some(text) = q.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return self.ticket_page(q, sql, None).await;
        };
        let plan = self.title_plan(text, q.limit.clamp(1, 500) + 1).await?;
        if !matches!(plan, TitlePlan::Walk { rows: Some(_) }) {
            return self.ticket_page(q, sql, Some((text, &plan))).await;
        }
        let page = self.ticket_page(q, sql.clone(), Some((text, &plan))).await?;
        if page.next.is_none() {
            // The walk stopped before it found a page and the next row: the index answers.
            let plan = self.plan_after_walk(text).await?;
            return self.ticket_page(q, sql, Some((text, &plan))).await;
        }
        Ok(page)
    }

    /// The plan once a bounded walk gave up (see the `search` module doc). On SQLite: count
    /// the index's candidates for the two rarest trigrams, up to [`SearchTuning::probe_from`]:
    /// fewer are looked up and sorted, more are probed in the page's order.
    ///
    /// [`SearchTuning::probe_from`]: super::SearchTuning::probe_from
    async fn plan_after_walk(&self, text: &str) -> Result<TitlePlan> {
        if self.backend == Backend::Postgres {
            return Ok(TitlePlan::Index);
        }
        let grams = search::trigrams(text, |_| true);
        let sample = self.trigram_sample().await?;
        let estimates: Vec<i64> = grams.iter().map(|g| sample.estimate(g)).collect();
        let rarest = search::rarest(&grams, &estimates, i64::MAX);
        if rarest.is_empty() {
            // Only a bounded walk gives up, and only a term with trigrams gets a bound.
            return Ok(TitlePlan::Walk { rows: None });
        }
        let candidates: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT rowid FROM tickets_title_fts \
             WHERE tickets_title_fts MATCH $1 LIMIT $2)",
        )
        .bind(search::fts_all(&rarest))
        .bind(self.search.probe_from)
        .fetch_one(&mut *self.reader().await?)
        .await?;
        Ok(if candidates < self.search.probe_from {
            TitlePlan::Candidates(rarest)
        } else {
            TitlePlan::Probe(rarest)
        })
    }

    /// Plans a title search for a page of `page` rows from the estimated rows of each trigram
    /// of `text`.
    async fn title_plan(&self, text: &str, page: i64) -> Result<TitlePlan> {
        let grams = match self.backend {
            Backend::Sqlite => search::trigrams(text, |_| true),
            Backend::Postgres => search::trigrams(text, search::pg_usable),
        };
        let sample = self.trigram_sample().await?;
        let estimates: Vec<i64> = grams.iter().map(|g| sample.estimate(g)).collect();
        Ok(match (self.backend, search::plan(&grams, &estimates, sample.total(), page, &self.search)) {
            // PostgreSQL's planner takes a filter it cannot estimate for a rare one and sorts every
            // ticket rather than walk the order; the bounded walk's shape makes it walk.
            (Backend::Postgres, TitlePlan::Walk { rows: None }) => {
                TitlePlan::Walk { rows: Some(self.search.walk_rows) }
            }
            (_, plan) => plan,
        })
    }

    /// The current sample of titles, taken again when it is older than a few minutes.
    async fn trigram_sample(&self) -> Result<Arc<TrigramSample>> {
        let cached = self.trigram_sample.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(sample) = cached.filter(|s| s.taken.elapsed() < search::SAMPLE_EVERY) {
            return Ok(sample);
        }
        // Ids are dense (tickets are never deleted), so the largest is the row count.
        let max_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM tickets")
            .fetch_one(&mut *self.reader().await?)
            .await?;
        let mut titles = Vec::new();
        for chunk in search::sample_ids(max_id).chunks(1000) {
            let sql = format!("SELECT title FROM tickets WHERE id IN ({})", crate::id_list(chunk));
            let rows: Vec<String> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            titles.extend(rows);
        }
        let sample = Arc::new(TrigramSample::of(&titles, max_id, Instant::now()));
        *self.trigram_sample.lock().unwrap_or_else(PoisonError::into_inner) = Some(sample.clone());
        Ok(sample)
    }

    /// One page of tickets matching `sql`'s conditions and, when given, a title search done
    /// the planned way.
    async fn ticket_page(
        &self,
        q: &TicketQuery,
        mut sql: Sql,
        text: Option<(&str, &TitlePlan)>,
    ) -> Result<TicketPage> {
        let column = q.sort.column();
        let dir = if q.descending { "DESC" } else { "ASC" };
        let limit = q.limit.clamp(1, 500);
        let order = format!("ORDER BY {column} {dir}, t.id {dir}");
        let (mut walk, mut text_condition) = (None, String::new());
        if let Some((text, plan)) = text {
            // LIKE wildcards typed by the user match themselves loosely rather than everything.
            let pattern = sql.text(&format!("%{}%", text.replace('%', "_")));
            let number = sql.text(&text.to_uppercase());
            let condition = match (self.backend, plan) {
                (Backend::Sqlite, TitlePlan::Candidates(grams)) => {
                    let expr = sql.text(&search::fts_all(grams));
                    format!(
                        "t.id IN (SELECT rowid FROM tickets_title_fts WHERE tickets_title_fts MATCH {expr} \
                         UNION {NOT_YET_INDEXED} AND title LIKE {pattern} \
                         UNION SELECT id FROM tickets WHERE number = {number}) \
                         AND (t.title LIKE {pattern} OR t.number = {number})"
                    )
                }
                (Backend::Postgres, TitlePlan::Candidates(grams)) => {
                    // The index serves the rare trigrams' patterns; `|| ''` keeps it off the whole
                    // term, whose common trigrams would cost what this avoids.
                    let rare: Vec<String> = grams
                        .iter()
                        .map(|g| {
                            let p = sql.text(&format!("%{g}%"));
                            format!("t.title ILIKE {p}")
                        })
                        .collect();
                    format!(
                        "(({} AND (t.title || '') ILIKE {pattern}) OR t.number = {number})",
                        rare.join(" AND ")
                    )
                }
                // (SQLite never plans `Index`; were it to, this is its plain, correct form.)
                (Backend::Sqlite, TitlePlan::Walk { .. } | TitlePlan::Index) => {
                    format!("(t.title LIKE {pattern} OR t.number = {number})")
                }
                (Backend::Postgres, TitlePlan::Walk { .. }) => {
                    format!("((t.title || '') ILIKE {pattern} OR t.number = {number})")
                }
                // Every term tests the id alone, so a ticket that is not a candidate costs an
                // index entry, not a row; `+` keeps the planner from starting at the candidates
                // (and sorting them all) instead of walking the page's order.
                (Backend::Sqlite, TitlePlan::Probe(grams)) => {
                    let expr = sql.text(&search::fts_all(grams));
                    format!(
                        "(+t.id IN (SELECT rowid FROM tickets_title_fts WHERE tickets_title_fts MATCH {expr}) \
                         OR t.id > (SELECT upto FROM ticket_title_index) \
                         OR t.id = (SELECT id FROM tickets WHERE number = {number})) \
                         AND (t.title LIKE {pattern} OR t.number = {number})"
                    )
                }
                (Backend::Postgres, TitlePlan::Index | TitlePlan::Probe(_)) => {
                    format!("(t.title ILIKE {pattern} OR t.number = {number})")
                }
            };
            walk = match plan {
                TitlePlan::Walk { rows: Some(rows) } => Some(*rows),
                _ => None,
            };
            if walk.is_some() {
                text_condition = condition;
            } else {
                sql.push(condition);
            }
        }
        let conditions = sql.conditions.join(" AND ");
        let select = if let Some(rows) = walk {
            // The walk reads the first rows in the page's order and stops there.
            format!(
                "SELECT * FROM (SELECT {TICKET_COLUMNS} FROM tickets t WHERE {conditions} {order} LIMIT {rows}) t \
                 WHERE {text_condition} {order} LIMIT {}",
                limit + 1
            )
        } else {
            format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE {conditions} {order} LIMIT {}", limit + 1)
        };
        let query = sqlx::query_as::<_, TicketRow>(sqlx::AssertSqlSafe(select));
        let query = sql.args.into_iter().fold(query, |q, v| match v {
            Value::Int(v) => q.bind(v),
            Value::Text(v) => q.bind(v),
        });
        let rows = query.fetch_all(&mut *self.reader().await?).await?;
        let mut items = rows.into_iter().map(Ticket::try_from).collect::<Result<Vec<_>>>()?;
        let next = if items.len() as i64 > limit {
            items.truncate(limit as usize);
            items.last().map(|t| (q.sort.value(t), t.id.get()))
        } else {
            None
        };
        Ok(TicketPage { items, next })
    }
}

impl Store {
    /// Open tickets of a kind by priority and team: `(priority, team_id, count)`.
    pub async fn open_ticket_counts(&self, kind: TicketKind) -> Result<Vec<(i64, Option<TeamId>, i64)>> {
        let rows: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
            "SELECT priority, team_id, COUNT(*) FROM tickets \
             WHERE kind = $1 AND state IN ('new', 'assigned', 'in_progress', 'on_hold') \
             GROUP BY priority, team_id ORDER BY priority, team_id",
        )
        .bind(kind.as_str())
        .fetch_all(&mut *self.reader().await?)
        .await?;
        Ok(rows.into_iter().map(|(priority, team, n)| (priority, team.map(TeamId), n)).collect())
    }
}
