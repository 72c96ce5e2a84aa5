//! The conversation on a ticket: public replies, internal work notes, mentions, attachments.

use jiff::Timestamp;
use sqlx::Row;

use steward_core::ids::{TicketId, UserId};

use crate::{Result, Store, StoreError, Tx, from_ms, id_at, to_ms};

#[derive(Debug, Clone)]
pub struct NewComment {
    pub ticket_id: TicketId,
    pub author_id: UserId,
    pub body: String,
    /// `body` rendered to safe HTML.
    pub body_html: String,
    pub internal: bool,
    pub mentions: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: i64,
    pub ticket_id: TicketId,
    pub author_id: UserId,
    pub author: String,
    pub body: String,
    /// `body` rendered when written; `None` for comments older than that.
    pub body_html: Option<String>,
    pub internal: bool,
    pub created_at: Timestamp,
    /// The number of the incident it was written on, when it came over in a merge.
    pub merged_from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub ticket_id: TicketId,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub internal: bool,
    pub uploaded_by: UserId,
    pub data: Vec<u8>,
}

/// An attachment's description; its bytes are fetched separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: TicketId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub internal: bool,
    pub uploaded_by: UserId,
    pub created_at: Timestamp,
}

fn attachment(row: &sqlx::any::AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: row.try_get("id")?,
        ticket_id: id_at(row, "ticket_id")?,
        filename: row.try_get("filename")?,
        content_type: row.try_get("content_type")?,
        size: row.try_get("size")?,
        sha256: row.try_get("sha256")?,
        internal: row.try_get::<i64, _>("internal")? != 0,
        uploaded_by: id_at(row, "uploaded_by")?,
        created_at: from_ms(row.try_get("created_at")?)?,
    })
}

const ATTACHMENT_COLUMNS: &str =
    "id, ticket_id, filename, content_type, size, sha256, internal, uploaded_by, created_at";

impl Store {
    /// A ticket's description as rendered when written; `None` if it was written before
    /// descriptions were rendered (or is empty).
    pub async fn description_html(&self, ticket_id: TicketId) -> Result<Option<String>> {
        let html: Option<Option<String>> =
            sqlx::query_scalar("SELECT description_html FROM tickets WHERE id = $1")
                .bind(ticket_id.get())
                .fetch_optional(&mut *self.reader().await?)
                .await?;
        Ok(html.flatten())
    }

    /// Comments in order; work notes only when `internal` is allowed.
    /// The bodies of the comments on `tickets`: (ticket, internal, body), in comment order —
    /// what the search index takes in, many tickets per query.
    pub async fn comment_texts(&self, tickets: &[TicketId]) -> Result<Vec<(TicketId, bool, String)>> {
        let mut out = Vec::new();
        for chunk in tickets.chunks(1_000) {
            let sql = format!(
                "SELECT ticket_id, internal, body FROM comments WHERE ticket_id IN ({}) ORDER BY id",
                crate::id_list(chunk)
            );
            let rows: Vec<(i64, i64, String)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            out.extend(rows.into_iter().map(|(t, i, b)| (TicketId(t), i != 0, b)));
        }
        Ok(out)
    }

    pub async fn comments(&self, ticket_id: TicketId, with_internal: bool) -> Result<Vec<Comment>> {
        let rows = sqlx::query(
            "SELECT c.id, c.ticket_id, c.author_id, u.username, c.body, c.body_html, c.internal, c.created_at, \
             m.number AS merged_number FROM comments c JOIN users u ON u.id = c.author_id \
             LEFT JOIN tickets m ON m.id = c.merged_from WHERE c.ticket_id = $1 AND ($2 = 1 OR c.internal = 0) ORDER BY c.id",
        )
        .bind(ticket_id.get())
        .bind(i64::from(with_internal))
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    id: r.try_get("id")?,
                    ticket_id: id_at(r, "ticket_id")?,
                    author_id: id_at(r, "author_id")?,
                    author: r.try_get("username")?,
                    body: r.try_get("body")?,
                    body_html: r.try_get("body_html")?,
                    internal: r.try_get::<i64, _>("internal")? != 0,
                    created_at: from_ms(r.try_get("created_at")?)?,
                    merged_from: r.try_get("merged_number")?,
                })
            })
            .collect()
    }

    pub async fn attachments(&self, ticket_id: TicketId, with_internal: bool) -> Result<Vec<Attachment>> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE ticket_id = $1 AND ($2 = 1 OR internal = 0) ORDER BY id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket_id.get())
            .bind(i64::from(with_internal))
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(attachment).collect()
    }

    /// One attachment with its bytes.
    pub async fn attachment(&self, id: i64) -> Result<Option<(Attachment, Vec<u8>)>> {
        let sql = format!("SELECT {ATTACHMENT_COLUMNS}, data FROM attachments WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.map(|r| Ok((attachment(&r)?, r.try_get::<Vec<u8>, _>("data")?))).transpose()
    }
}

impl Tx {
    /// Stores a ticket's rendered description, with the transaction's other deferred writes.
    pub fn set_description_html(&mut self, ticket_id: TicketId, html: String) {
        let sql = format!(
            "UPDATE tickets SET description_html = {} WHERE id = {}",
            crate::placeholder(self.backend, 1),
            crate::placeholder(self.backend, 2)
        );
        self.defer(sql, vec![html.into(), ticket_id.into()]);
    }

    pub async fn insert_comment(&mut self, now: Timestamp, c: &NewComment) -> Result<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO comments (ticket_id, author_id, body, body_html, internal, created_at) \
             VALUES ($1, $2, $3, $6, $4, $5) RETURNING id",
        )
        .bind(c.ticket_id.get())
        .bind(c.author_id.get())
        .bind(&c.body)
        .bind(i64::from(c.internal))
        .bind(to_ms(now))
        .bind(&c.body_html)
        .fetch_one(self.conn().await?)
        .await?;
        for user in &c.mentions {
            sqlx::query(
                "INSERT INTO comment_mentions (comment_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(user.get())
            .execute(self.conn().await?)
            .await?;
        }
        Ok(id)
    }

    pub async fn insert_attachment(&mut self, now: Timestamp, a: &NewAttachment) -> Result<Attachment> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (ticket_id, filename, content_type, size, sha256, internal, uploaded_by, created_at, data) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(a.ticket_id.get())
        .bind(&a.filename)
        .bind(&a.content_type)
        .bind(a.data.len() as i64)
        .bind(&a.sha256)
        .bind(i64::from(a.internal))
        .bind(a.uploaded_by.get())
        .bind(to_ms(now))
        .bind(&a.data)
        .fetch_one(self.conn().await?)
        .await?;
        let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(self.conn().await?).await?;
        row.as_ref()
            .map(attachment)
            .transpose()?
            .ok_or_else(|| StoreError::Corrupt(format!("attachment {id} is gone after its insert")))
    }
}
