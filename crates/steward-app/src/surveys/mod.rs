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

pub use csat::{CSAT_FEED, CsatLink, CsatWaiting};
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

/// The address links in mails start with.
fn base_url(app: &crate::App) -> String {
    app.config.public_url.as_deref().unwrap_or_default().trim_end_matches('/').to_owned()
}
