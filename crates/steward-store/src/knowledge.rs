//! The knowledge base's rows (issue 19): articles with their newest version, every version,
//! and the tickets they are attached to.

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use steward_core::ids::{TicketId, UserId};
use steward_core::knowledge::{ArticleState, Audience, Content, Lang};
use steward_core::tickets::Tags;

use crate::{Result, Store, StoreError, Tx, from_ms, to_ms};

/// An article as stored: its newest version and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleRecord {
    pub id: i64,
    pub content: Content,
    pub state: ArticleState,
    pub version: i64,
    /// The version readers see, if one was ever published (and not retired since).
    pub published_version: Option<i64>,
    pub owner_id: UserId,
    pub last_editor_id: UserId,
    pub source_ticket_id: Option<TicketId>,
    pub views: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// One saved version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleVersion {
    pub version: i64,
    pub content: Content,
    pub editor_id: UserId,
    pub created_at: Timestamp,
}

/// Which articles a list shows.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    pub state: Option<ArticleState>,
    /// Only articles with a published version (what readers may see).
    pub published: bool,
    /// Only articles for this audience.
    pub audience: Option<Audience>,
    pub category: Option<String>,
    pub tag: Option<String>,
    /// Articles after this id (paging by id, newest first when `None`).
    pub before: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "id, title, body, lang, audience, category, tags, review_by, state, version, published_version, \
                       owner_id, last_editor_id, source_ticket_id, views, helpful, unhelpful, created_at, updated_at";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn date(text: Option<String>) -> Result<Option<Date>> {
    text.map(|d| d.parse::<Date>().map_err(|e| corrupt(format!("date {d}: {e}")))).transpose()
}

fn content_of(r: &sqlx::any::AnyRow) -> Result<Content> {
    Ok(Content {
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        lang: Lang::parse(&r.try_get::<String, _>("lang")?).map_err(corrupt)?,
        audience: Audience::parse(&r.try_get::<String, _>("audience")?).map_err(corrupt)?,
        category: r.try_get("category")?,
        tags: Tags::from_stored(&r.try_get::<String, _>("tags")?),
        review_by: date(r.try_get("review_by")?)?,
    })
}

fn record(r: &sqlx::any::AnyRow) -> Result<ArticleRecord> {
    Ok(ArticleRecord {
        id: r.try_get("id")?,
        content: content_of(r)?,
        state: ArticleState::parse(&r.try_get::<String, _>("state")?).map_err(corrupt)?,
        version: r.try_get("version")?,
        published_version: r.try_get("published_version")?,
        owner_id: UserId(r.try_get("owner_id")?),
        last_editor_id: UserId(r.try_get("last_editor_id")?),
        source_ticket_id: r.try_get::<Option<i64>, _>("source_ticket_id")?.map(TicketId),
        views: r.try_get("views")?,
        helpful: r.try_get("helpful")?,
        unhelpful: r.try_get("unhelpful")?,
        created_at: from_ms(r.try_get("created_at")?)?,
        updated_at: from_ms(r.try_get("updated_at")?)?,
    })
}

fn version_of(r: &sqlx::any::AnyRow) -> Result<ArticleVersion> {
    Ok(ArticleVersion {
        version: r.try_get("version")?,
        content: content_of(r)?,
        editor_id: UserId(r.try_get("editor_id")?),
        created_at: from_ms(r.try_get("created_at")?)?,
    })
}

impl Store {
    pub async fn article(&self, id: i64) -> Result<Option<ArticleRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM articles WHERE id = $1");
        let row =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *self.reader().await?).await?;
        row.as_ref().map(record).transpose()
    }

    pub async fn article_version(&self, id: i64, version: i64) -> Result<Option<ArticleVersion>> {
        let row = sqlx::query(
            "SELECT version, title, body, lang, audience, category, tags, review_by, editor_id, created_at \
             FROM article_versions WHERE article_id = $1 AND version = $2",
        )
        .bind(id)
        .bind(version)
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        row.as_ref().map(version_of).transpose()
    }

    /// Every version of an article, newest first.
    pub async fn article_versions(&self, id: i64) -> Result<Vec<ArticleVersion>> {
        let rows = sqlx::query(
            "SELECT version, title, body, lang, audience, category, tags, review_by, editor_id, created_at \
             FROM article_versions WHERE article_id = $1 ORDER BY version DESC",
        )
        .bind(id)
        .fetch_all(&mut *self.reader().await?)
        .await?;
        rows.iter().map(version_of).collect()
    }

    /// Articles, newest first.
    pub async fn list_articles(&self, f: &ArticleFilter) -> Result<Vec<ArticleRecord>> {
        let mut conditions = vec!["1 = 1".to_owned()];
        let mut args: Vec<String> = Vec::new();
        let mut bind = |conditions: &mut Vec<String>, sql: &str, v: String| {
            args.push(v);
            conditions.push(sql.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = f.state {
            bind(&mut conditions, "state = ?", s.as_str().to_owned());
        }
        if f.published {
            conditions.push("published_version IS NOT NULL AND state <> 'retired'".to_owned());
        }
        if let Some(a) = f.audience {
            bind(&mut conditions, "audience = ?", a.as_str().to_owned());
        }
        if let Some(c) = &f.category {
            bind(&mut conditions, "category = ?", c.clone());
        }
        if let Some(t) = &f.tag {
            bind(&mut conditions, "(' ' || tags || ' ') LIKE ?", format!("% {t} %"));
        }
        let before = f.before.unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {COLUMNS} FROM articles WHERE {} AND id < {before} ORDER BY id DESC LIMIT {}",
            conditions.join(" AND "),
            f.limit.clamp(1, 10_000)
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in &args {
            q = q.bind(a.as_str());
        }
        let rows = q.fetch_all(&mut *self.reader().await?).await?;
        rows.iter().map(record).collect()
    }

    /// Articles with ids in `ids`, in no order.
    pub async fn articles_by_ids(&self, ids: &[i64]) -> Result<Vec<ArticleRecord>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!("SELECT {COLUMNS} FROM articles WHERE id IN ({})", crate::id_list(chunk));
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&mut *self.reader().await?).await?;
            for r in &rows {
                out.push(record(r)?);
            }
        }
        Ok(out)
    }

    /// Articles after `after` in id order, at most `limit` (reindex, export).
    pub async fn articles_after(&self, after: i64, limit: i64) -> Result<Vec<ArticleRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM articles WHERE id > $1 ORDER BY id LIMIT $2");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(record).collect()
    }

    /// The articles attached to a ticket.
    pub async fn articles_of_ticket(&self, ticket: TicketId) -> Result<Vec<ArticleRecord>> {
        let cols: Vec<String> = COLUMNS.split(", ").map(|c| format!("a.{c}")).collect();
        let sql = format!(
            "SELECT {} FROM ticket_articles l JOIN articles a ON a.id = l.article_id WHERE l.ticket_id = $1 ORDER BY l.linked_at",
            cols.join(", ")
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(ticket.get())
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(record).collect()
    }

    /// Articles whose review date is `today` or past and whose owner was not reminded of it.
    pub async fn articles_due_review(&self, today: Date, limit: i64) -> Result<Vec<ArticleRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM articles WHERE review_by IS NOT NULL AND review_by <= $1 AND state <> 'retired' \
             AND (reminded_for IS NULL OR reminded_for <> review_by) ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(today.to_string())
            .bind(limit)
            .fetch_all(&mut *self.reader().await?)
            .await?;
        rows.iter().map(record).collect()
    }

    /// A reader's "was this helpful?" answer, if they gave one.
    pub async fn article_rating(&self, id: i64, user: UserId) -> Result<Option<bool>> {
        // As a number: sqlx's Any driver reads no SQLite BOOLEAN column.
        let row: Option<i64> = sqlx::query_scalar(
            "SELECT CASE WHEN helpful THEN 1 ELSE 0 END FROM article_ratings WHERE article_id = $1 AND user_id = $2",
        )
                .bind(id)
                .bind(user.get())
        .fetch_optional(&mut *self.reader().await?)
        .await?;
        Ok(row.map(|h| h == 1))
    }

    /// Counts a reader's view.
    pub async fn count_article_view(&self, id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        tx.execute("UPDATE articles SET views = views + 1 WHERE id = $1", vec![id.into()]).await?;
        tx.commit().await
    }
}

fn content_args(c: &Content) -> Vec<crate::tx::Value> {
    vec![
        c.title.clone().into(),
        c.body.clone().into(),
        c.lang.as_str().into(),
        c.audience.as_str().into(),
        c.category.clone().into(),
        c.tags.to_string().into(),
        c.review_by.map(|d| d.to_string()).into(),
    ]
}

impl Tx {
    /// Inserts an article at version 1 (and that version); returns its id.
    pub async fn insert_article(
        &mut self,
        c: &Content,
        state: ArticleState,
        owner: UserId,
        source: Option<TicketId>,
        at: Timestamp,
    ) -> Result<i64> {
        let published = (state == ArticleState::Published).then_some(1_i64);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO articles (title, body, lang, audience, category, tags, review_by, state, version, \
             published_version, owner_id, last_editor_id, source_ticket_id, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $10, $11, $12, $12) RETURNING id",
        )
        .bind(&c.title)
        .bind(&c.body)
        .bind(c.lang.as_str())
        .bind(c.audience.as_str())
        .bind(&c.category)
        .bind(c.tags.to_string())
        .bind(c.review_by.map(|d| d.to_string()))
        .bind(state.as_str())
        .bind(published)
        .bind(owner.get())
        .bind(source.map(|t| t.get()))
        .bind(to_ms(at))
        .fetch_one(self.conn().await?)
        .await?;
        self.insert_article_version(id, 1, c, owner, at).await?;
        Ok(id)
    }

    async fn insert_article_version(
        &mut self,
        id: i64,
        version: i64,
        c: &Content,
        editor: UserId,
        at: Timestamp,
    ) -> Result<()> {
        let mut args = vec![id.into(), version.into()];
        args.extend(content_args(c));
        args.extend([editor.into(), to_ms(at).into()]);
        self.execute(
            "INSERT INTO article_versions (article_id, version, title, body, lang, audience, category, tags, review_by, \
             editor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            args,
        )
        .await?;
        Ok(())
    }

    /// Saves `c` as the next version if the article is still at `expected`, with `state` for
    /// it; returns the new version (`Stale` when someone saved first).
    pub async fn save_article(
        &mut self,
        id: i64,
        expected: i64,
        c: &Content,
        state: ArticleState,
        editor: UserId,
        at: Timestamp,
    ) -> Result<i64> {
        let mut args = content_args(c);
        args.extend([state.as_str().into(), editor.into(), to_ms(at).into(), id.into(), expected.into()]);
        let done = self
            .execute(
                "UPDATE articles SET title = $1, body = $2, lang = $3, audience = $4, category = $5, tags = $6, \
                 review_by = $7, state = $8, last_editor_id = $9, updated_at = $10, version = version + 1 \
                 WHERE id = $11 AND version = $12",
                args,
            )
            .await?;
        if done == 0 {
            let current: Option<i64> = sqlx::query_scalar("SELECT version FROM articles WHERE id = $1")
                .bind(id)
                .fetch_optional(self.conn().await?)
                .await?;
            return Err(match current {
                Some(current) => StoreError::Stale { current },
                None => StoreError::NotFound,
            });
        }
        self.insert_article_version(id, expected + 1, c, editor, at).await?;
        Ok(expected + 1)
    }

    /// Moves the article to `state` if still at `expected` (a move is no new version);
    /// `published` sets the version readers see (`Some(None)`: none).
    pub async fn move_article(
        &mut self,
        id: i64,
        expected: i64,
        state: ArticleState,
        published: Option<Option<i64>>,
        at: Timestamp,
    ) -> Result<()> {
        let (sql, args): (&'static str, Vec<crate::tx::Value>) = match published {
            Some(p) => (
                "UPDATE articles SET state = $1, published_version = $2, updated_at = $3 WHERE id = $4 AND version = $5",
                vec![state.as_str().into(), p.into(), to_ms(at).into(), id.into(), expected.into()],
            ),
            None => (
                "UPDATE articles SET state = $1, updated_at = $2 WHERE id = $3 AND version = $4",
                vec![state.as_str().into(), to_ms(at).into(), id.into(), expected.into()],
            ),
        };
        if self.execute(sql, args).await? == 0 {
            return Err(StoreError::Stale { current: expected });
        }
        Ok(())
    }

    /// Records a reader's answer (replacing their earlier one) and recounts the article's.
    pub async fn rate_article(&mut self, id: i64, user: UserId, helpful: bool, at: Timestamp) -> Result<()> {
        let flag = if helpful { "TRUE" } else { "FALSE" };
        let sql = format!(
            "INSERT INTO article_ratings (article_id, user_id, helpful, rated_at) VALUES ($1, $2, {flag}, $3) \
             ON CONFLICT (article_id, user_id) DO UPDATE SET helpful = excluded.helpful, rated_at = excluded.rated_at"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user.get())
            .bind(to_ms(at))
            .execute(self.conn().await?)
            .await?;
        self.execute(
            "UPDATE articles SET \
             helpful = (SELECT COUNT(*) FROM article_ratings WHERE article_id = $1 AND helpful), \
             unhelpful = (SELECT COUNT(*) FROM article_ratings WHERE article_id = $1 AND NOT helpful) WHERE id = $1",
            vec![id.into()],
        )
        .await?;
        Ok(())
    }

    /// Attaches an article to a ticket; false when it already was.
    pub async fn attach_article(&mut self, ticket: TicketId, article: i64, at: Timestamp) -> Result<bool> {
        let sql = "INSERT INTO ticket_articles (ticket_id, article_id, linked_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (ticket_id, article_id) DO NOTHING";
        Ok(self.execute(sql, vec![ticket.into(), article.into(), to_ms(at).into()]).await? == 1)
    }

    pub async fn mark_review_reminded(&mut self, id: i64, review_by: Date) -> Result<()> {
        self.execute(
            "UPDATE articles SET reminded_for = $1 WHERE id = $2",
            vec![review_by.to_string().into(), id.into()],
        )
        .await?;
        Ok(())
    }
}
