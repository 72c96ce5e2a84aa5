//! New tickets, many per statement: what a group commit of concurrent creates writes.
//!
//! On SQLite the numbers and the next free id come back in one round trip with the
//! transaction's `BEGIN`, and the rows themselves are deferred ([`Tx::defer`]) with ids given
//! here, so they go out with the transaction's next statement. Ids given here are the ones
//! SQLite would give — one past the largest, `tickets.id` being a plain `INTEGER PRIMARY KEY` —
//! and stay free because the transaction holds SQLite's write lock from its `BEGIN IMMEDIATE`.
//! Why not `RETURNING id`: each returned row is one hand-over from the database's thread to
//! the writer task, and on a busy two-core machine every hand-over cost a pair of context
//! switches on the path every create waits for (see `docs/benchmarks.md`).
//!
//! On SQLite new titles enter the trigram index in batches of [`TITLE_INDEX_BATCH`] (migration
//! 0008): FTS5 writes a segment per commit and merges them as they pile up, a third of the
//! writer thread's time when every group of creates indexed its own titles. Searches scan the
//! rows not yet indexed (`query.rs`).
//!
//! On PostgreSQL ids come from the table's sequence, so the rows go out with `RETURNING`.

use sqlx::Row;
use steward_core::ids::TicketId;
use steward_core::tickets::{Ticket, TicketKind, ticket_number};

use super::{bind_fields, field_values};
use crate::tx::bind_all;
use crate::{Backend, Result, Statement, StoreError, Tx, Value, placeholder, placeholders, to_ms};

/// Columns a new row binds, after its fields: kind, number, created_by, created_at, updated_at.
const WIDTH: usize = 25;
/// Rows per statement.
const CHUNK: usize = 64;
/// On SQLite, titles not yet in the trigram index that make the next group index them. The
/// index's share of the writer thread's profile fell from 35 % to 12 %; searches scan at most
/// this many rows plus a group more. (In alternating runs 64, 128 and 256 did about the same.)
const TITLE_INDEX_BATCH: i64 = 256;
/// How many pages of the trigram index's segments a group of `creates` merges (migration
/// 0009): a page per create, at least 8. FTS5's own merging (off since then) merged as many
/// pages per leaf page written times the number of levels, in bursts; a create writes about an
/// eighth of a leaf page, so with four or five levels this keeps ahead with room to spare —
/// merging only starts once a level holds four segments.
fn merge_pages(creates: usize) -> usize {
    creates.max(8)
}

/// Indexes every title above the index's mark and moves the mark to the last ticket.
pub(crate) const INDEX_PENDING_TITLES: &str = "INSERT INTO tickets_title_fts (rowid, title) \
    SELECT id, title FROM tickets WHERE id > (SELECT upto FROM ticket_title_index); \
    UPDATE ticket_title_index SET upto = (SELECT COALESCE(MAX(id), 0) FROM tickets)";
const COLUMNS: &str = "title, description, requester_id, category_id, subcategory_id, service, impact, \
    urgency, priority, team_id, assignee_id, state, hold_reason, resolution_code, resolution_note, resolved_at, \
    closed_at, reopen_count, parent_id, tags, kind, number, created_by, created_at, updated_at, version";

impl Tx {
    /// Inserts `tickets` (ids, numbers and versions are assigned here, numbers in the given
    /// order) and returns them stored, in the same order.
    pub async fn insert_tickets(&mut self, tickets: Vec<Ticket>) -> Result<Vec<Ticket>> {
        let mut out: Vec<Ticket> = tickets.into_iter().map(|t| Ticket { version: 1, ..t }).collect();
        let mut kinds: Vec<(TicketKind, i64)> = Vec::new();
        for t in &out {
            match kinds.iter_mut().find(|(k, _)| *k == t.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((t.kind, 1)),
            }
        }
        kinds.sort_by_key(|(k, _)| k.as_str());
        match self.backend {
            Backend::Sqlite => self.insert_with_ids(&mut out, &kinds).await?,
            Backend::Postgres => self.insert_returning_ids(&mut out, &kinds).await?,
        }
        Ok(out)
    }

    async fn insert_with_ids(&mut self, out: &mut [Ticket], kinds: &[(TicketKind, i64)]) -> Result<()> {
        let mut statements: Vec<Statement> = kinds
            .iter()
            .map(|(k, n)| Statement { sql: self.counter_sql(), args: vec![k.as_str().into(), (*n).into()] })
            .collect();
        statements.push(Statement {
            sql: "SELECT COALESCE(MAX(id), 0) AS max_id, (SELECT upto FROM ticket_title_index) AS indexed \
                  FROM tickets"
                .into(),
            args: Vec::new(),
        });
        let rows = self.fetch_all(statements).await?;
        // One row per statement, in order: each kind's next number, then the largest id and the
        // title index's mark.
        let missing = || StoreError::Corrupt("a group insert's numbers are missing from its result".into());
        let (last, counters) = rows.split_last().ok_or_else(missing)?;
        let (max_id, indexed) = (last.int("max_id")?, last.int("indexed")?);
        let next: Vec<i64> = counters.iter().map(|r| r.int("next")).collect::<Result<_>>()?;
        for (&(kind, n), next) in kinds.iter().zip(next) {
            number(out, kind, next - n);
        }
        let top = max_id + out.len() as i64;
        for (i, t) in out.iter_mut().enumerate() {
            t.id = TicketId(max_id + 1 + i as i64);
        }
        for chunk in out.chunks(CHUNK) {
            let tuples: Vec<String> = (0..chunk.len())
                .map(|_| format!("({}, 1)", placeholders(self.backend, 1, WIDTH + 1)))
                .collect();
            let sql = format!("INSERT INTO tickets (id, {COLUMNS}) VALUES {}", tuples.join(", "));
            let mut args = Vec::with_capacity(chunk.len() * (WIDTH + 1));
            for t in chunk {
                args.push(t.id.into());
                args.extend(field_values(t));
                args.extend(new_values(t));
            }
            self.defer(sql, args);
        }
        if top - indexed >= TITLE_INDEX_BATCH {
            self.defer(INDEX_PENDING_TITLES.to_string(), Vec::new());
        }
        let pages = merge_pages(out.len());
        self.defer(
            format!("INSERT INTO tickets_title_fts (tickets_title_fts, rank) VALUES ('merge', {pages})"),
            Vec::new(),
        );
        Ok(())
    }

    async fn insert_returning_ids(&mut self, out: &mut [Ticket], kinds: &[(TicketKind, i64)]) -> Result<()> {
        for &(kind, n) in kinds {
            let sql = self.counter_sql();
            let rows =
                self.fetch_all(vec![Statement { sql, args: vec![kind.as_str().into(), n.into()] }]).await?;
            let next = rows
                .first()
                .ok_or_else(|| StoreError::Corrupt("a ticket counter is missing from its update".into()))?
                .int("next")?;
            number(out, kind, next - n);
        }
        for chunk in out.chunks_mut(CHUNK) {
            let tuples: Vec<String> = (0..chunk.len())
                .map(|r| format!("({}, 1)", placeholders(self.backend, r * WIDTH + 1, WIDTH)))
                .collect();
            let sql =
                format!("INSERT INTO tickets ({COLUMNS}) VALUES {} RETURNING id, number", tuples.join(", "));
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for t in chunk.iter() {
                q = bind_all(bind_fields(q, t), new_values(t).into());
            }
            let ids: Vec<(i64, String)> = q
                .fetch_all(self.conn().await?)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("number")?)))
                .collect::<Result<_>>()?;
            // Numbers are unique, so they say which row got which id whatever order rows return in.
            for t in chunk.iter_mut() {
                let (id, _) = ids
                    .iter()
                    .find(|(_, n)| *n == t.number)
                    .ok_or_else(|| StoreError::Corrupt(format!("{} is missing from its insert", t.number)))?;
                t.id = TicketId(*id);
            }
        }
        Ok(())
    }

    /// Reserves a kind's numbers (binds: kind, how many) and returns `next`, the number after
    /// them; `excluded.next - 1` is how many without binding it twice.
    fn counter_sql(&self) -> String {
        let (kind, n) = (placeholder(self.backend, 1), placeholder(self.backend, 2));
        format!(
            "INSERT INTO ticket_counters (kind, next) VALUES ({kind}, {n} + 1) \
             ON CONFLICT (kind) DO UPDATE SET next = ticket_counters.next + excluded.next - 1 RETURNING next"
        )
    }
}

/// Numbers the tickets of `kind` in order from `first`.
fn number(tickets: &mut [Ticket], kind: TicketKind, first: i64) {
    for (i, t) in tickets.iter_mut().filter(|t| t.kind == kind).enumerate() {
        t.number = ticket_number(kind, first + i as i64);
    }
}

/// What a new row binds beyond its [`field_values`].
fn new_values(t: &Ticket) -> [Value; 5] {
    [
        t.kind.as_str().into(),
        t.number.clone().into(),
        t.created_by.into(),
        to_ms(t.created_at).into(),
        to_ms(t.updated_at).into(),
    ]
}
