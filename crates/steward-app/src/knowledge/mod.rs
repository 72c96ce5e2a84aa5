//! The knowledge base (issue 19): write, version, review and publish articles; readers see the
//! published version of the articles meant for them; ratings, views, attaching to tickets,
//! drafting an article from a resolved incident or a known error; review-date reminders
//! (`reminders.rs`) and import/export (`transfer.rs`).

mod reminders;
mod transfer;

use steward_core::events::{DomainEvent, Fields};
use steward_core::identity::Permission;
use steward_core::ids::TicketId;
use steward_core::knowledge::{
    ArticleEvent, ArticleState, Audience, Content, DiffLine, Step, StepError, article_fields, diff_lines,
    step,
};
use steward_core::tickets::{Tags, TicketKind};
use steward_store::{ArticleFilter, ArticleRecord, ArticleVersion};

use crate::events::record;
use crate::{Actor, AppError, Result};

pub use reminders::REVIEW_REMINDERS;
pub use transfer::{ImportLine, ImportReport};

/// The entity name articles carry in the event log.
pub const ENTITY: &str = "article";

/// An article as one reader sees it.
#[derive(Debug, Clone)]
pub struct ArticleView {
    pub record: ArticleRecord,
    /// What this reader is shown: the newest version to writers, the published one to readers.
    pub shown: Content,
    pub shown_version: i64,
    /// Whether the reader may edit and move it (agents, admins).
    pub writer: bool,
    /// The reader's own "was this helpful?" answer, if any.
    pub rated: Option<bool>,
}

/// A new article as typed, with where it came from.
#[derive(Debug, Clone)]
pub struct NewArticle {
    pub content: Content,
    pub source_ticket: Option<TicketId>,
}

fn writer(actor: &Actor) -> bool {
    actor.can(Permission::WorkTickets)
}

fn not_found() -> AppError {
    AppError::NotFound("article")
}

impl crate::Knowledge<'_> {
    /// The article if the actor may read it: writers see every article at its newest version;
    /// requesters the published version of articles for requesters. Counts a reader's view.
    pub async fn get(self, actor: &Actor, id: i64) -> Result<ArticleView> {
        actor.require(Permission::ReadTickets)?;
        let record = self.store.article(id).await?.ok_or_else(not_found)?;
        let view = self.knowledge().view(actor, record).await?.ok_or_else(not_found)?;
        if !view.writer || view.record.state == ArticleState::Published {
            self.store.count_article_view(id).await?;
        }
        Ok(view)
    }

    /// What `actor` is shown of `record`, or `None` when they may not see it.
    pub async fn view(self, actor: &Actor, record: ArticleRecord) -> Result<Option<ArticleView>> {
        let rated = self.store.article_rating(record.id, actor.user.id).await?;
        if writer(actor) {
            let (shown, shown_version) = (record.content.clone(), record.version);
            return Ok(Some(ArticleView { record, shown, shown_version, writer: true, rated }));
        }
        let readable =
            record.content.audience == Audience::Requesters && record.state != ArticleState::Retired;
        let Some(published) = record.published_version.filter(|_| readable) else { return Ok(None) };
        let shown = match published == record.version {
            true => record.content.clone(),
            false => self.store.article_version(record.id, published).await?.ok_or_else(not_found)?.content,
        };
        Ok(Some(ArticleView { record, shown, shown_version: published, writer: false, rated }))
    }

    /// Articles the actor may see, newest first; requesters see published articles for them.
    pub async fn list(self, actor: &Actor, mut filter: ArticleFilter) -> Result<Vec<ArticleRecord>> {
        actor.require(Permission::ReadTickets)?;
        if !writer(actor) {
            filter.published = true;
            filter.audience = Some(Audience::Requesters);
            if filter.state == Some(ArticleState::Retired) {
                return Ok(Vec::new());
            }
        }
        Ok(self.store.list_articles(&filter).await?)
    }

    pub async fn create(self, actor: &Actor, input: NewArticle) -> Result<ArticleRecord> {
        actor.require(Permission::WorkTickets)?;
        if let Some(t) = input.source_ticket
            && self.store.ticket(t).await?.is_none()
        {
            return Err(AppError::invalid("source_ticket_id", format!("no ticket {t}")));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_article(&input.content, ArticleState::Draft, actor.user.id, input.source_ticket, at)
            .await?;
        let fields = article_fields(&input.content, ArticleState::Draft, 1);
        let event = ArticleEvent::Created { fields, source: input.source_ticket };
        record(&mut tx, at, Some(actor), DomainEvent::Article { id, event }).await?;
        tx.commit().await?;
        self.store.article(id).await?.ok_or_else(not_found)
    }

    /// Saves a new version if the article is still at `expected`. A published article stays
    /// published in its last published version while the new draft is reviewed.
    pub async fn edit(
        self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        content: Content,
    ) -> Result<ArticleRecord> {
        self.knowledge().save(actor, id, expected, content, None).await
    }

    /// Saves version `to` again as the newest version.
    pub async fn rollback(
        self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        to: i64,
    ) -> Result<ArticleRecord> {
        actor.require(Permission::WorkTickets)?;
        let old = self.store.article_version(id, to).await?;
        let old =
            old.ok_or_else(|| AppError::invalid("version", format!("article {id} has no version {to}")))?;
        self.knowledge().save(actor, id, expected, old.content, Some(to)).await
    }

    async fn save(
        self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        content: Content,
        from_version: Option<i64>,
    ) -> Result<ArticleRecord> {
        actor.require(Permission::WorkTickets)?;
        let current = self.store.article(id).await?.ok_or_else(not_found)?;
        let expected = expected.unwrap_or(current.version);
        if expected != current.version {
            return Err(AppError::Stale { current: current.version });
        }
        let before = article_fields(&current.content, current.state, current.version);
        let after = article_fields(&content, ArticleState::Draft, current.version + 1);
        let Some(changes) = Fields::changes_from(&before, &after).filter(|_| current.content != content)
        else {
            return Ok(current);
        };
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.save_article(id, expected, &content, ArticleState::Draft, actor.user.id, at).await?;
        let event = ArticleEvent::Edited { changes, from_version };
        record(&mut tx, at, Some(actor), DomainEvent::Article { id, event }).await?;
        tx.commit().await?;
        self.store.article(id).await?.ok_or_else(not_found)
    }

    /// A workflow move: submit for review, publish (someone other than the last editor, or an
    /// admin), reject with a reason, retire.
    pub async fn step(
        self,
        actor: &Actor,
        id: i64,
        expected: Option<i64>,
        action: Step,
        comment: Option<&str>,
    ) -> Result<ArticleRecord> {
        actor.require(Permission::WorkTickets)?;
        let current = self.store.article(id).await?.ok_or_else(not_found)?;
        if let Some(v) = expected
            && v != current.version
        {
            return Err(AppError::Stale { current: current.version });
        }
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if action == Step::Reject && comment.is_none() {
            return Err(AppError::invalid("comment", "say why the article goes back to its writer"));
        }
        if comment.is_some_and(|c| c.chars().count() > 2_000) {
            return Err(AppError::invalid("comment", "a comment is at most 2,000 characters"));
        }
        let own = current.last_editor_id == actor.user.id;
        let next =
            step(current.state, action, own, actor.can(Permission::ManageDirectory)).map_err(
                |e| match e {
                    StepError::OwnWork => AppError::Forbidden(e.to_string()),
                    StepError::NotNow { .. } => {
                        AppError::Conflict { field: Some("action"), message: e.to_string() }
                    }
                },
            )?;
        let published = match action {
            Step::Publish => Some(Some(current.version)),
            Step::Retire => Some(None),
            _ => None,
        };
        let before = article_fields(&current.content, current.state, current.version);
        let after = article_fields(&current.content, next, current.version);
        let changes = Fields::changes_from(&before, &after)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a move changed nothing")))?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.move_article(id, current.version, next, published, at).await?;
        let event = ArticleEvent::Moved {
            changes,
            step: action.as_str().to_owned(),
            comment: comment.map(str::to_owned),
        };
        record(&mut tx, at, Some(actor), DomainEvent::Article { id, event }).await?;
        tx.commit().await?;
        self.store.article(id).await?.ok_or_else(not_found)
    }

    /// Every version, newest first (writers).
    pub async fn versions(self, actor: &Actor, id: i64) -> Result<Vec<ArticleVersion>> {
        actor.require(Permission::WorkTickets)?;
        self.store.article(id).await?.ok_or_else(not_found)?;
        Ok(self.store.article_versions(id).await?)
    }

    /// The lines that changed from version `from` to version `to` (title and body).
    pub async fn diff(self, actor: &Actor, id: i64, from: i64, to: i64) -> Result<Vec<DiffLine>> {
        actor.require(Permission::WorkTickets)?;
        let version = |v: i64| async move {
            self.store
                .article_version(id, v)
                .await?
                .ok_or_else(|| AppError::invalid("version", format!("no version {v}")))
        };
        let (a, b) = (version(from).await?, version(to).await?);
        let text = |v: &ArticleVersion| format!("# {}\n\n{}\n", v.content.title, v.content.body);
        Ok(diff_lines(&text(&a), &text(&b)))
    }

    /// "Was this helpful?" — one answer per reader, who must be able to read the article.
    pub async fn rate(self, actor: &Actor, id: i64, helpful: bool) -> Result<ArticleRecord> {
        self.knowledge().get(actor, id).await?;
        let before = self.store.article_rating(id, actor.user.id).await?;
        let at = self.now();
        let mut tx = self.store.begin().await?;
        tx.rate_article(id, actor.user.id, helpful, at).await?;
        if before != Some(helpful) {
            record(
                &mut tx,
                at,
                Some(actor),
                DomainEvent::Article { id, event: ArticleEvent::Rated { helpful } },
            )
            .await?;
        }
        tx.commit().await?;
        self.store.article(id).await?.ok_or_else(not_found)
    }

    /// Attaches an article to an incident or a problem the actor works on.
    pub async fn attach(self, actor: &Actor, ticket: TicketId, id: i64) -> Result<bool> {
        actor.require(Permission::WorkTickets)?;
        let t = self.store.ticket(ticket).await?.ok_or(AppError::NotFound("ticket"))?;
        match t.kind {
            TicketKind::Incident => {
                let view = self.incidents().get(actor, ticket).await?;
                if view.access != steward_core::tickets::TicketAccess::Work {
                    return Err(AppError::Forbidden("you may read this incident but not work on it".into()));
                }
            }
            TicketKind::Problem => {
                self.problems().ticket(actor, ticket).await?;
            }
            TicketKind::Change => {
                self.changes().ticket(actor, ticket).await?;
            }
            TicketKind::Request => {
                return Err(AppError::invalid(
                    "ticket_id",
                    "articles attach to incidents, problems and changes",
                ));
            }
        }
        let article = self
            .store
            .article(id)
            .await?
            .ok_or_else(|| AppError::invalid("article_id", format!("no article {id}")))?;
        if article.state == ArticleState::Retired {
            return Err(AppError::invalid("article_id", "a retired article cannot be attached"));
        }
        let at = self.now();
        let mut tx = self.store.begin().await?;
        let added = tx.attach_article(ticket, id, at).await?;
        if added {
            record(
                &mut tx,
                at,
                Some(actor),
                DomainEvent::Article { id, event: ArticleEvent::Attached { ticket_id: ticket } },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// The articles attached to a ticket that the actor may see.
    pub async fn of_ticket(self, actor: &Actor, ticket: TicketId) -> Result<Vec<ArticleView>> {
        let mut out = Vec::new();
        for record in self.store.articles_of_ticket(ticket).await? {
            if let Some(v) = self.knowledge().view(actor, record).await? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// A draft made from a resolved incident (its description and resolution) or a problem
    /// (its root cause and workaround): what the new-article form starts from.
    pub async fn draft_from(self, actor: &Actor, ticket: TicketId) -> Result<Content> {
        actor.require(Permission::WorkTickets)?;
        let t = self.store.ticket(ticket).await?.ok_or(AppError::NotFound("ticket"))?;
        let body = match t.kind {
            TicketKind::Incident => {
                self.incidents().get(actor, ticket).await?;
                let mut body = format!("## Symptom\n\n{}\n", t.description.trim());
                if let Some(note) = &t.resolution_note {
                    body.push_str(&format!("\n## Resolution\n\n{}\n", note.trim()));
                }
                body
            }
            TicketKind::Problem => {
                let a = self.problems().get(actor, ticket).await?.analysis;
                format!(
                    "## Symptom\n\n{}\n\n## Cause\n\n{}\n\n## Workaround\n\n{}\n",
                    t.description.trim(),
                    a.root_cause,
                    a.workaround
                )
            }
            TicketKind::Change | TicketKind::Request => {
                return Err(AppError::invalid(
                    "ticket_id",
                    "articles are drafted from incidents and problems",
                ));
            }
        };
        Ok(Content {
            lang: steward_core::knowledge::Lang::guess(&format!("{} {body}", t.title)),
            title: t.title,
            body,
            audience: Audience::Agents,
            category: t.service.unwrap_or_default(),
            tags: Tags::default(),
            review_by: None,
        })
    }
}
