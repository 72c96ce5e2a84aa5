//! Importing articles from another tool and exporting them (`steward import kb`, `export kb`).
//! The interface reads the files; here every article is checked as the form checks it, and
//! nothing is written unless every one passes.

use steward_core::events::DomainEvent;
use steward_core::ids::UserId;
use steward_core::knowledge::{ArticleEvent, ArticleState, Content, article_fields};
use steward_store::ArticleRecord;

use crate::events::record_many;
use crate::{AppError, Result};

/// One article as a file gives it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImportLine {
    pub title: String,
    pub body: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub audience: String,
    /// `draft` (the default) or `published`.
    #[serde(default)]
    pub state: Option<String>,
}

/// What an import did, or why it did nothing.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub created: usize,
    /// (where: a line number or a file name, the field, the message)
    pub errors: Vec<(String, String, String)>,
}

/// Articles written per transaction.
const CHUNK: usize = 1_000;

impl crate::Knowledge<'_> {
    /// Checks every article, then writes them all (owned by `owner`), `CHUNK` per transaction,
    /// calling `progress` with the number written so far. With any error nothing is written.
    pub async fn import(
        self,
        owner: UserId,
        lines: Vec<(String, ImportLine)>,
        mut progress: impl FnMut(usize),
    ) -> Result<ImportReport> {
        if self.store.user(owner).await?.is_none() {
            return Err(AppError::invalid("owner", format!("no user {owner}")));
        }
        let mut report = ImportReport::default();
        let mut checked = Vec::with_capacity(lines.len());
        for (place, line) in lines {
            let state = match line.state.as_deref().map(str::trim) {
                None | Some("") | Some("draft") => ArticleState::Draft,
                Some("published") => ArticleState::Published,
                Some(other) => {
                    report.errors.push((
                        place,
                        "state".into(),
                        format!("`{other}`: expected draft or published"),
                    ));
                    continue;
                }
            };
            match Content::parse(
                &line.title,
                &line.body,
                line.lang.as_deref(),
                &line.audience,
                &line.category,
                &line.tags,
                None,
            ) {
                Ok(c) => checked.push((c, state)),
                Err(e) => report.errors.push((place, e.field.to_owned(), e.message)),
            }
        }
        if !report.errors.is_empty() {
            return Ok(report);
        }
        for chunk in checked.chunks(CHUNK) {
            let at = self.now();
            let mut tx = self.store.begin().await?;
            let mut events = Vec::with_capacity(chunk.len());
            for (content, state) in chunk {
                let id = tx.insert_article(content, *state, owner, None, at).await?;
                let fields = article_fields(content, *state, 1);
                events
                    .push(DomainEvent::Article { id, event: ArticleEvent::Created { fields, source: None } });
            }
            record_many(&mut tx, at, None, events).await?;
            tx.commit().await?;
            report.created += chunk.len();
            progress(report.created);
        }
        Ok(report)
    }

    /// Every article at its newest version, by id, a page at a time (`after` the last id).
    pub async fn export_page(self, after: i64, limit: i64) -> Result<Vec<ArticleRecord>> {
        Ok(self.store.articles_after(after, limit).await?)
    }
}

impl ImportLine {
    /// An article as an export line.
    pub fn of(a: &ArticleRecord) -> ImportLine {
        ImportLine {
            title: a.content.title.clone(),
            body: a.content.body.clone(),
            lang: Some(a.content.lang.as_str().to_owned()),
            tags: a.content.tags.iter().map(str::to_owned).collect(),
            category: a.content.category.clone(),
            audience: a.content.audience.as_str().to_owned(),
            state: Some(match a.published_version {
                Some(_) if a.state != ArticleState::Retired => "published".to_owned(),
                _ => "draft".to_owned(),
            }),
        }
    }
}
