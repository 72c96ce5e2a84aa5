//! What happens to an article, as its history records it.

use super::{ArticleState, Content};
use crate::events::{Changes, Field, FieldValue, Fields};
use crate::ids::TicketId;

/// An article's fields as events record them (the stored names never change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArticleField {
    Title,
    Body,
    Lang,
    Audience,
    Category,
    Tags,
    ReviewBy,
    State,
    Version,
}

impl Field for ArticleField {
    const ALL: &'static [ArticleField] = &[
        ArticleField::Title,
        ArticleField::Body,
        ArticleField::Lang,
        ArticleField::Audience,
        ArticleField::Category,
        ArticleField::Tags,
        ArticleField::ReviewBy,
        ArticleField::State,
        ArticleField::Version,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ArticleField::Title => "title",
            ArticleField::Body => "body",
            ArticleField::Lang => "lang",
            ArticleField::Audience => "audience",
            ArticleField::Category => "category",
            ArticleField::Tags => "tags",
            ArticleField::ReviewBy => "review_by",
            ArticleField::State => "state",
            ArticleField::Version => "version",
        }
    }
}

/// An article's content, state and version as named fields.
pub fn article_fields(c: &Content, state: ArticleState, version: i64) -> Fields<ArticleField> {
    let text = |s: &str| FieldValue::Text(s.to_owned());
    Fields(vec![
        (ArticleField::Title, text(&c.title)),
        (ArticleField::Body, text(&c.body)),
        (ArticleField::Lang, text(c.lang.as_str())),
        (ArticleField::Audience, text(c.audience.as_str())),
        (ArticleField::Category, text(&c.category)),
        (ArticleField::Tags, FieldValue::Text(c.tags.to_string())),
        (ArticleField::ReviewBy, c.review_by.map_or(FieldValue::Null, |d| FieldValue::Text(d.to_string()))),
        (ArticleField::State, text(state.as_str())),
        (ArticleField::Version, FieldValue::Int(version)),
    ])
}

/// One change to an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleEvent {
    /// Written: every field of its first version; `source` the ticket it was made from.
    Created { fields: Fields<ArticleField>, source: Option<TicketId> },
    /// A new version saved (an edit, or a rollback to `from_version`).
    Edited { changes: Changes<ArticleField>, from_version: Option<i64> },
    /// A workflow move; `comment` is a reviewer's reason when rejecting.
    Moved { changes: Changes<ArticleField>, step: String, comment: Option<String> },
    /// A reader said whether it helped.
    Rated { helpful: bool },
    /// Attached to a ticket, so the ticket's people see it.
    Attached { ticket_id: TicketId },
    /// Its review date passed; the owner was reminded.
    ReviewDue,
}
