//! The customer's voice (issue 23): CSAT after every resolution (`csat.rs`), the monthly NPS
//! (`nps.rs`) and the monthly service-improvement leaderboard (`leaderboard.rs`).
//!
//! Survey links are random secrets (`csat_…`, `nps_…`), mailed and never stored: the table
//! keeps their SHA-256, so a link cannot be forged or read back from the database; each works
//! once and until it expires.

mod csat;
mod leaderboard;
mod nps;

pub(crate) use nps::{month_of, parse_month};

pub use csat::{CSAT_FEED, CsatLink, CsatMonth, CsatWaiting};
pub use leaderboard::{BoardRow, Leaderboard, Who};
pub use nps::{NPS_MONTHLY, NpsFilter, NpsLink, NpsResults, NpsRow};

use steward_core::surveys::LowScoreAction;

use crate::{AppError, Result};

/// Who is asked and what a low score does.
#[derive(Debug, Clone)]
pub struct SurveyConfig {
    /// Of resolved incidents and requests, the share (0–100 %) whose requester is asked.
    pub csat_percent: u8,
    pub low_score: LowScoreAction,
    /// Of the month's requesters, the share (0–100 %) sent the NPS survey.
    pub nps_percent: u8,
    /// Whether the leaderboard ranks agents as well as teams.
    pub leaderboard_agents: bool,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        SurveyConfig {
            csat_percent: 100,
            low_score: LowScoreAction::Alert,
            nps_percent: 100,
            leaderboard_agents: true,
        }
    }
}

/// A comment or reason as stored: trimmed, at most 2,000 characters, no control characters
/// but line breaks.
fn free_text(field: &'static str, text: &str) -> Result<String> {
    let text = text.trim();
    if text.chars().count() > 2000 {
        return Err(AppError::invalid(field, "at most 2,000 characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(AppError::invalid(field, "control characters are not allowed"));
    }
    Ok(text.to_owned())
}

/// A survey's link works until it is answered or expires; each says so (409, on `token`).
fn still_open(
    answered_at: Option<jiff::Timestamp>,
    expires_at: jiff::Timestamp,
    now: jiff::Timestamp,
) -> Result<()> {
    let message = if answered_at.is_some() {
        "this survey was answered already"
    } else if expires_at <= now {
        "this survey link has expired"
    } else {
        return Ok(());
    };
    Err(AppError::Conflict { field: Some("token"), message: message.into() })
}

/// The instants a month (from its first day) starts and ends at, in the reports' zone.
fn month_bounds(app: &crate::App, first: jiff::civil::Date) -> Result<(jiff::Timestamp, jiff::Timestamp)> {
    use jiff::ToSpan;
    let zone = &app.config.report_zone;
    let at = |d: jiff::civil::Date| {
        zone.to_ambiguous_timestamp(d.at(0, 0, 0, 0)).compatible().map_err(|e| AppError::invalid("month", e))
    };
    let next = first.checked_add(1.month()).map_err(|e| AppError::invalid("month", e))?;
    Ok((at(first)?, at(next)?))
}

/// The month named (`YYYY-MM`), or the current one; a month not yet begun is refused.
fn month_or_now(app: &crate::App, month: Option<&str>) -> Result<jiff::civil::Date> {
    let today = app.config.report_zone.to_datetime(app.now()).date();
    let first = match month.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => parse_month("month", m)?,
        None => today.first_of_month(),
    };
    if first > today {
        return Err(AppError::invalid("month", "that month has not begun"));
    }
    Ok(first)
}

/// The address links in mails start with.
fn base_url(app: &crate::App) -> String {
    app.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned()
}
