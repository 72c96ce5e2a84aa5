//! The knowledge base (issue 19): articles in Markdown for requesters or agents, in English or
//! Chinese, with categories and tags, every save a numbered version, and a workflow — draft →
//! review → published (by someone other than the last editor, or an admin) → retired. Editing a
//! published article starts a new draft while readers keep the published version.

mod diff;
mod events;

use jiff::civil::Date;

use crate::tickets::{FieldError, Tags, Title, parse_description};
use crate::words::word_enum;

pub use diff::{DiffLine, diff_lines};
pub use events::{ArticleEvent, ArticleField, article_fields};

word_enum! {
    /// Who may read an article once published.
    Audience, "audience" {
        Requesters => "requesters",
        Agents => "agents",
    }
}

word_enum! {
    /// Where the newest version of an article stands.
    ArticleState, "state" {
        Draft => "draft",
        Review => "review",
        Published => "published",
        Retired => "retired",
    }
}

word_enum! {
    /// The language an article is written in.
    Lang, "lang" {
        En => "en",
        ZhCn => "zh-CN",
    }
}

impl Lang {
    /// Guesses the language of a text: Chinese when a fifth of its letters are Han.
    pub fn guess(text: &str) -> Lang {
        let (mut han, mut letters) = (0usize, 0usize);
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            letters += 1;
            if ('\u{4e00}'..='\u{9fff}').contains(&c) {
                han += 1;
            }
        }
        if letters > 0 && han * 5 >= letters { Lang::ZhCn } else { Lang::En }
    }
}

/// An article's content as typed: what every version records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub title: String,
    /// Markdown; rendered safely when shown.
    pub body: String,
    pub lang: Lang,
    pub audience: Audience,
    /// A free category path ("Network / VPN"), up to 100 characters; empty for none.
    pub category: String,
    pub tags: Tags,
    /// When the owner should check the article again.
    pub review_by: Option<Date>,
}

/// The longest article body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

impl Content {
    pub fn parse(
        title: &str,
        body: &str,
        lang: Option<&str>,
        audience: &str,
        category: &str,
        tags: &[String],
        review_by: Option<&str>,
    ) -> Result<Content, FieldError> {
        let title = Title::parse(title)?.into_string();
        let body = parse_description("body", body)?;
        if body.trim().is_empty() {
            return Err(FieldError::new("body", "an article needs a body"));
        }
        let lang = match lang.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => Lang::parse(l)?,
            None => Lang::guess(&format!("{title} {body}")),
        };
        let category = category.trim();
        if category.chars().count() > 100 || category.chars().any(char::is_control) {
            return Err(FieldError::new("category", "a category is at most 100 printable characters"));
        }
        let review_by = match review_by.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => Some(
                d.parse::<Date>().map_err(|_| FieldError::new("review_by", "a date such as 2027-06-30"))?,
            ),
            None => None,
        };
        Ok(Content {
            title,
            body,
            lang,
            audience: Audience::parse(if audience.trim().is_empty() { "agents" } else { audience })?,
            category: category.to_owned(),
            tags: Tags::parse(tags)?,
            review_by,
        })
    }
}

/// A move in the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Draft → review.
    Submit,
    /// Review → published: the newest version becomes what readers see.
    Publish,
    /// Review → draft, with a reason.
    Reject,
    /// Published (or draft, review) → retired: readers see it no more.
    Retire,
}

impl Step {
    pub fn parse(s: &str) -> Result<Step, FieldError> {
        match s.trim() {
            "submit" => Ok(Step::Submit),
            "publish" => Ok(Step::Publish),
            "reject" => Ok(Step::Reject),
            "retire" => Ok(Step::Retire),
            other => Err(FieldError::new(
                "action",
                format!(
                    "unknown action `{}`: expected submit, publish, reject or retire",
                    other.chars().take(40).collect::<String>()
                ),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Publish => "publish",
            Step::Reject => "reject",
            Step::Retire => "retire",
        }
    }
}

/// Why a workflow move is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("a {state} article cannot be sent to {step}")]
    NotNow { state: ArticleState, step: &'static str },
    #[error("someone other than the last editor must publish it (four eyes)")]
    OwnWork,
}

/// The state a step leads to from `state`. `own_edit`: the actor made the newest version;
/// `admin`: the actor may publish their own work.
pub fn step(state: ArticleState, step: Step, own_edit: bool, admin: bool) -> Result<ArticleState, StepError> {
    use ArticleState::*;
    let next = match (state, step) {
        (Draft, Step::Submit) => Review,
        (Review, Step::Publish) if own_edit && !admin => return Err(StepError::OwnWork),
        (Review, Step::Publish) => Published,
        (Review, Step::Reject) => Draft,
        (Draft | Review | Published, Step::Retire) => Retired,
        (state, step) => return Err(StepError::NotNow { state, step: step.as_str() }),
    };
    Ok(next)
}

/// An article's number: KB000042.
pub fn article_number(id: i64) -> String {
    format!("KB{id:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(title: &str, body: &str) -> Result<Content, FieldError> {
        Content::parse(title, body, None, "", "Network / VPN", &["vpn".into()], Some("2027-01-31"))
    }

    #[test]
    fn content_is_checked_and_its_language_guessed() {
        let c = content("重置 VPN 密码", "在门户中点击“忘记密码”。").unwrap();
        assert_eq!((c.lang, c.audience), (Lang::ZhCn, Audience::Agents));
        assert_eq!(c.review_by.unwrap().to_string(), "2027-01-31");
        assert_eq!(content("Reset the VPN password", "Use the portal.").unwrap().lang, Lang::En);
        assert_eq!(content(" ", "x").unwrap_err().field, "title");
        assert_eq!(content("t", "  ").unwrap_err().field, "body");
        let bad = Content::parse("t", "b", Some("fr"), "", "", &[], None).unwrap_err();
        assert_eq!(bad.field, "lang");
        let bad = Content::parse("t", "b", None, "everyone", "", &[], None).unwrap_err();
        assert_eq!(bad.field, "audience");
        let bad = Content::parse("t", "b", None, "", "", &[], Some("next week")).unwrap_err();
        assert_eq!(bad.field, "review_by");
    }

    #[test]
    fn the_workflow_has_four_eyes() {
        use ArticleState::*;
        assert_eq!(step(Draft, Step::Submit, true, false), Ok(Review));
        assert_eq!(step(Review, Step::Publish, true, false), Err(StepError::OwnWork));
        assert_eq!(step(Review, Step::Publish, true, true), Ok(Published));
        assert_eq!(step(Review, Step::Publish, false, false), Ok(Published));
        assert_eq!(step(Review, Step::Reject, false, false), Ok(Draft));
        assert!(step(Draft, Step::Publish, false, false).is_err());
        assert!(step(Retired, Step::Submit, false, false).is_err());
        assert_eq!(step(Published, Step::Retire, false, false), Ok(Retired));
        assert_eq!(article_number(42), "KB000042");
    }
}
