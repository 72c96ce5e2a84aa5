//! Steward's AIOps algorithms (issue 22), pure code with no I/O, no clock and no database:
//!
//! - `mining`: online log template mining — every line becomes a template with its variables as
//!   it arrives (`Miner`);
//! - `series`: seasonal baselines, trends to a threshold and Holt-Winters bands for log rates
//!   and metrics;
//! - `triage`: classifiers that suggest a new ticket's category, service, team and priority.
//! - `duplicates`: how much a new incident resembles the open ones.
//!
//! The app feeds these with what it stored and stores what they answer.

pub mod duplicates;
pub mod mining;
pub mod series;
pub mod triage;

pub use mining::{Change, Miner, MinerConfig, Parsed, TemplateId};
