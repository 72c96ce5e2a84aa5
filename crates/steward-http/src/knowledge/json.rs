//! The knowledge API's answers.

use serde::Serialize;
use steward_app::knowledge::ArticleView;
use steward_core::ids::{TicketId, UserId};
use steward_core::knowledge::{DiffLine, article_number};
use steward_store::{ArticleRecord, ArticleVersion};
use utoipa::ToSchema;

use crate::api::time;

/// An article in a list.
#[derive(Serialize, ToSchema)]
#[schema(as = ArticleSummary)]
pub struct ArticleJson {
    id: i64,
    /// `KB000042`.
    number: String,
    title: String,
    /// `en` or `zh-CN`.
    lang: &'static str,
    /// `requesters` or `agents`.
    audience: &'static str,
    category: String,
    tags: Vec<String>,
    /// The newest version's: `draft`, `review`, `published` or `retired`.
    state: &'static str,
    version: i64,
    /// The version readers see; `null` when never published (or retired).
    published_version: Option<i64>,
    review_by: Option<String>,
    views: i64,
    helpful: i64,
    unhelpful: i64,
    owner_id: UserId,
    source_ticket_id: Option<TicketId>,
    updated_at: String,
}

impl From<&ArticleRecord> for ArticleJson {
    fn from(a: &ArticleRecord) -> ArticleJson {
        ArticleJson {
            id: a.id,
            number: article_number(a.id),
            title: a.content.title.clone(),
            lang: a.content.lang.as_str(),
            audience: a.content.audience.as_str(),
            category: a.content.category.clone(),
            tags: a.content.tags.iter().map(str::to_owned).collect(),
            state: a.state.as_str(),
            version: a.version,
            published_version: a.published_version,
            review_by: a.content.review_by.map(|d| d.to_string()),
            views: a.views,
            helpful: a.helpful,
            unhelpful: a.unhelpful,
            owner_id: a.owner_id,
            source_ticket_id: a.source_ticket_id,
            updated_at: time(a.updated_at),
        }
    }
}

/// An article as one reader sees it: writers the newest version, readers the published one.
#[derive(Serialize, ToSchema)]
#[schema(as = Article)]
pub struct ArticleDetailJson {
    #[serde(flatten)]
    summary: ArticleJson,
    /// The version shown here.
    shown_version: i64,
    /// Markdown as written (of the shown version).
    body: String,
    /// The body rendered and sanitized.
    body_html: String,
    /// The reader's own answer to "was this helpful?".
    rated: Option<bool>,
}

impl From<&ArticleView> for ArticleDetailJson {
    fn from(v: &ArticleView) -> ArticleDetailJson {
        let mut summary = ArticleJson::from(&v.record);
        summary.title = v.shown.title.clone();
        ArticleDetailJson {
            summary,
            shown_version: v.shown_version,
            body: v.shown.body.clone(),
            body_html: steward_app::markdown::to_safe_html(&v.shown.body),
            rated: v.rated,
        }
    }
}

/// One saved version.
#[derive(Serialize, ToSchema)]
#[schema(as = ArticleVersion)]
pub struct VersionJson {
    version: i64,
    title: String,
    editor_id: UserId,
    created_at: String,
}

impl From<&ArticleVersion> for VersionJson {
    fn from(v: &ArticleVersion) -> VersionJson {
        VersionJson {
            version: v.version,
            title: v.content.title.clone(),
            editor_id: v.editor_id,
            created_at: time(v.created_at),
        }
    }
}

/// One line of a diff.
#[derive(Serialize, ToSchema)]
#[schema(as = DiffLine)]
pub struct DiffJson {
    /// `same`, `removed` or `added`.
    op: &'static str,
    text: String,
}

impl From<&DiffLine> for DiffJson {
    fn from(d: &DiffLine) -> DiffJson {
        let (op, text) = match d {
            DiffLine::Same(t) => ("same", t),
            DiffLine::Removed(t) => ("removed", t),
            DiffLine::Added(t) => ("added", t),
        };
        DiffJson { op, text: text.clone() }
    }
}

/// A draft's content (from a ticket), for the new-article form.
#[derive(Serialize, ToSchema)]
#[schema(as = ArticleDraft)]
pub struct DraftJson {
    pub title: String,
    pub body: String,
    pub lang: &'static str,
    pub audience: &'static str,
    pub category: String,
}
