//! Review-date reminders: an article whose review date came is mailed to its owner once per
//! date, and the event log says so.

use jiff::tz::TimeZone;
use steward_core::events::DomainEvent;
use steward_core::knowledge::{ArticleEvent, article_number};

use crate::events::record;
use crate::{App, Result};

/// The periodic job's kind.
pub const REVIEW_REMINDERS: &str = "article_review_reminders";

impl App {
    /// Reminds the owners of articles due for review; returns how many were reminded.
    pub async fn remind_article_reviews(&self) -> Result<usize> {
        let today = TimeZone::UTC.to_datetime(self.now()).date();
        let due = self.store.articles_due_review(today, 500).await?;
        let mut reminded = 0;
        for article in due {
            let Some(review_by) = article.content.review_by else { continue };
            let owner = self.store.user(article.owner_id).await?;
            let at = self.now();
            let mut tx = self.store.begin().await?;
            tx.mark_review_reminded(article.id, review_by).await?;
            record(
                &mut tx,
                at,
                None,
                DomainEvent::Article { id: article.id, event: ArticleEvent::ReviewDue },
            )
            .await?;
            if let Some(email) = owner.and_then(|u| u.email).filter(|_| self.config.mail.is_some()) {
                let number = article_number(article.id);
                let subject = format!("{number} is due for review: {}", article.content.title);
                let link =
                    self.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned();
                let body = format!(
                    "The article {number} \"{}\" was to be reviewed by {review_by}.\n\nCheck that it is still right, edit it or retire it: {link}/kb/{}\n",
                    article.content.title, article.id
                );
                crate::mail::enqueue(&mut tx, at, crate::mail::payload(email.as_str(), &subject, &body))
                    .await?;
            }
            tx.commit().await?;
            reminded += 1;
        }
        Ok(reminded)
    }
}
