//! The append-only, hash-chained event log. Events come in typed (`DomainEvent`) and are
//! serialized by `codec.rs`, the one place that knows their stored form.

mod codec;

use jiff::Timestamp;
use sqlx::{Any, Executor, Row};
use steward_core::audit::{ChainBreak, ChainVerifier, Event, chain_hash};
use steward_core::events::DomainEvent;
use steward_core::ids::{TicketId, UserId};
use steward_core::tickets::IncidentEvent;

pub use codec::{
    DecodeError, Encoded, SCHEMA_VERSION, encode as encode_event, fields as fields_json,
    relation as relation_json,
};

use crate::{Result, Store, Tx, to_ms};

/// One change to record, with who made it (`actor_id` `None`: the system), already in its
/// stored form.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub actor_id: Option<UserId>,
    pub actor_name: String,
    stored: codec::Encoded,
}

impl NewEvent {
    pub fn new(actor_id: Option<UserId>, actor_name: String, event: &DomainEvent) -> NewEvent {
        NewEvent { actor_id, actor_name, stored: codec::encode(event) }
    }

    /// [`NewEvent::new`] for an incident's event, borrowed: the incident writer records many
    /// and keeps each for the projections, so it does not copy them into a `DomainEvent`.
    pub fn incident(
        actor_id: Option<UserId>,
        actor_name: String,
        id: TicketId,
        event: &IncidentEvent,
    ) -> NewEvent {
        NewEvent { actor_id, actor_name, stored: codec::encode_incident(id, event) }
    }
}

/// An event as stored, with the links of its chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEvent {
    pub event: Event,
    pub prev_hash: String,
    pub hash: String,
}

impl LoggedEvent {
    pub fn at(&self) -> Timestamp {
        Timestamp::from_millisecond(self.event.at_ms).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// The typed event this row stores, in whichever schema version it was written.
    pub fn domain(&self) -> std::result::Result<DomainEvent, DecodeError> {
        let e = &self.event;
        codec::decode(codec::Stored {
            version: e.schema,
            entity_type: &e.entity_type,
            entity_id: e.entity_id.as_deref(),
            action: &e.action,
            before: e.before.as_deref(),
            after: e.after.as_deref(),
        })
    }
}

/// Which events to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// Only events older than this sequence number (the cursor of the previous page).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

pub(crate) const COLUMNS: &str = "seq, at, actor_id, actor_name, entity_type, entity_id, action, \
                       before_json, after_json, schema_version, prev_hash, hash";

pub(crate) fn read_event(row: &sqlx::any::AnyRow) -> Result<LoggedEvent> {
    Ok(LoggedEvent {
        event: Event {
            seq: row.try_get("seq")?,
            at_ms: row.try_get("at")?,
            actor_id: row.try_get::<Option<i64>, _>("actor_id")?.map(UserId),
            actor_name: row.try_get("actor_name")?,
            entity_type: row.try_get("entity_type")?,
            entity_id: row.try_get("entity_id")?,
            action: row.try_get("action")?,
            before: row.try_get("before_json")?,
            after: row.try_get("after_json")?,
            schema: row.try_get("schema_version")?,
        },
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

impl Tx {
    /// Appends one event to the chain inside this transaction and returns its sequence number.
    pub async fn append_event(&mut self, at: Timestamp, new: NewEvent) -> Result<i64> {
        self.append_events_at(vec![(at, new)]).await
    }

    /// Appends many events in order, hashing the chain here and inserting in multi-row
    /// statements: what a bulk import records, one event per item, without a round trip each.
    pub async fn append_events(&mut self, at: Timestamp, events: Vec<NewEvent>) -> Result<()> {
        self.append_events_at(events.into_iter().map(|e| (at, e)).collect()).await.map(drop)
    }

    /// [`Tx::append_events`] with an instant per event; returns the first sequence number.
    /// Only advancing the head waits for the database: it takes the lock that orders all
    /// appends and gives the hash to chain from. The rows and the head's new hash are deferred.
    pub async fn append_events_at(&mut self, events: Vec<(Timestamp, NewEvent)>) -> Result<i64> {
        if events.is_empty() {
            return Ok(0);
        }
        let n = events.len() as i64;
        let sql = format!(
            "UPDATE event_chain SET seq = seq + {} WHERE id = 1 RETURNING seq, hash",
            crate::placeholder(self.backend, 1)
        );
        let mut rows = self.fetch_all(vec![crate::Statement { sql, args: vec![n.into()] }]).await?;
        let head = rows
            .pop()
            .ok_or_else(|| crate::StoreError::Corrupt("the event chain's head row is missing".into()))?;
        let (seq, hash) = (head.int("seq")?, head.text("hash")?);
        let first = seq - n + 1;
        let mut prev_hash = hash;
        let mut rows = Vec::with_capacity(events.len());
        for (i, (at, new)) in events.into_iter().enumerate() {
            let stored = new.stored;
            let event = Event {
                seq: first + i as i64,
                at_ms: to_ms(at),
                actor_id: new.actor_id,
                actor_name: new.actor_name,
                entity_type: stored.entity_type.to_owned(),
                entity_id: stored.entity_id,
                action: stored.action.to_owned(),
                before: stored.before,
                after: stored.after,
                schema: SCHEMA_VERSION,
            };
            let hash = chain_hash(&prev_hash, &event);
            rows.push((event, std::mem::replace(&mut prev_hash, hash.clone()), hash));
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(400).collect();
            let tuples: Vec<String> = (0..chunk.len())
                .map(|i| format!("({})", crate::placeholders(self.backend, i * 12 + 1, 12)))
                .collect();
            let sql = format!("INSERT INTO events ({COLUMNS}) VALUES {}", tuples.join(", "));
            let mut args = Vec::with_capacity(chunk.len() * 12);
            for (e, prev, hash) in chunk {
                args.extend([
                    e.seq.into(),
                    e.at_ms.into(),
                    e.actor_id.into(),
                    e.actor_name.into(),
                    e.entity_type.into(),
                    e.entity_id.into(),
                    e.action.into(),
                    e.before.into(),
                    e.after.into(),
                    e.schema.into(),
                    prev.into(),
                    hash.into(),
                ]);
            }
            self.defer(sql, args);
        }
        let sql =
            format!("UPDATE event_chain SET hash = {} WHERE id = 1", crate::placeholders(self.backend, 1, 1));
        self.defer(sql, vec![prev_hash.into()]);
        Ok(first)
    }
}

async fn chain_head<'e, E: Executor<'e, Database = Any>>(e: E) -> Result<(i64, String)> {
    let row = sqlx::query("SELECT seq, hash FROM event_chain WHERE id = 1").fetch_one(e).await?;
    Ok((row.try_get("seq")?, row.try_get("hash")?))
}

impl Store {
    pub async fn list_events(&self, filter: &EventFilter) -> Result<Vec<LoggedEvent>> {
        // Only the filters given go into the SQL: `($1 IS NULL OR entity_type = $1)` kept the
        // planners off the `(entity_type, entity_id, seq)` index, and every ticket's history
        // scanned the whole log.
        let mut filters = Vec::new();
        if filter.entity_type.is_some() {
            filters.push("entity_type =");
        }
        if filter.entity_id.is_some() {
            filters.push("entity_id =");
        }
        if filter.before_seq.is_some() {
            filters.push("seq <");
        }
        let mut conditions: Vec<String> =
            filters.iter().enumerate().map(|(i, f)| format!("{f} ${}", i + 1)).collect();
        conditions.push("TRUE".to_owned());
        let sql = format!(
            "SELECT {COLUMNS} FROM events WHERE {} ORDER BY seq DESC LIMIT ${}",
            conditions.join(" AND "),
            filters.len() + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(t) = &filter.entity_type {
            query = query.bind(t);
        }
        if let Some(id) = &filter.entity_id {
            query = query.bind(id);
        }
        if let Some(seq) = filter.before_seq {
            query = query.bind(seq);
        }
        let rows = query.bind(filter.limit.clamp(1, 1000)).fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(read_event).collect()
    }

    /// The whole histories of these entities of one type, oldest first within each, in one
    /// query per 500 entities (the SLA clocks of a page of tickets, say). Whole: the SLA
    /// clocks used to read a ticket's newest 1,000 events, which for a longer history lost
    /// its opening.
    pub async fn histories(&self, entity_type: &str, ids: &[String]) -> Result<Vec<LoggedEvent>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {COLUMNS} FROM events WHERE entity_type = {} AND entity_id IN ({}) \
                 ORDER BY entity_id, seq",
                crate::placeholder(self.backend, 1),
                crate::placeholders(self.backend, 2, chunk.len())
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(entity_type);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&mut *self.reader().await?).await? {
                out.push(read_event(&row)?);
            }
        }
        Ok(out)
    }

    /// Walks the whole log in sequence order and checks every hash and link against the head.
    /// `Ok(Ok(n))`: `n` events verified; `Ok(Err(break))`: the first row at fault.
    pub async fn verify_event_chain(&self) -> Result<Result<i64, ChainBreak>> {
        // Taking the head first means events appended during the walk are simply not covered.
        let (head_seq, head_hash) = chain_head(&mut *self.reader().await?).await?;
        let mut verifier = ChainVerifier::default();
        let mut last = 0_i64;
        let sql =
            format!("SELECT {COLUMNS} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT 5000");
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(last)
                .bind(head_seq)
                .fetch_all(&mut *self.reader().await?)
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let logged = read_event(row)?;
                if let Err(b) = verifier.push(&logged.event, &logged.prev_hash, &logged.hash) {
                    return Ok(Err(b));
                }
                last = logged.event.seq;
            }
        }
        // Rows past the head were written around the chain, not through it.
        // One statement, so an append committing meanwhile moves row and head together.
        let stray: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM events WHERE seq > (SELECT seq FROM event_chain WHERE id = 1)",
        )
        .fetch_one(&mut *self.reader().await?)
        .await?;
        if stray > 0 {
            return Ok(Err(ChainBreak::HeadMismatch { seq: head_seq }));
        }
        Ok(verifier.finish(head_seq, &head_hash))
    }

    /// The newest sequence number, for consumers tailing the log.
    pub async fn event_head(&self) -> Result<i64> {
        Ok(chain_head(&mut *self.reader().await?).await?.0)
    }

    /// The chain's head: the newest sequence number and its hash.
    pub async fn event_chain_head(&self) -> Result<(i64, String)> {
        chain_head(&mut *self.reader().await?).await
    }

    /// When the event numbered `seq` happened and its stored hash, if it exists.
    pub async fn event_at(&self, seq: i64) -> Result<Option<(Timestamp, String)>> {
        let row = sqlx::query("SELECT at, hash FROM events WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&mut *self.reader().await?)
            .await?;
        row.map(|r| Ok((crate::from_ms(r.try_get("at")?)?, r.try_get("hash")?))).transpose()
    }
}
