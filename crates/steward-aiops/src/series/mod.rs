//! Time series: a log template's lines per hour, a Prometheus metric's samples. Pure functions
//! over evenly spaced values (the caller buckets them):
//!
//! - `seasonal`: how far a value is from its own history at the same hour of the day and of
//!   the week (robust: median and MAD), for log rates;
//! - `trend`: a least-squares line and when it crosses a threshold ("disk full in 3 days");
//! - `holt_winters`: additive Holt-Winters with a daily or weekly season, its one-step forecasts
//!   and an anomaly band from its residuals.
//!
//! Their precision and recall on generated series with injected anomalies are in `quality.rs`
//! (a test) and `docs/aiops.md`.

pub mod holt_winters;
pub mod seasonal;
pub mod trend;

#[cfg(test)]
mod quality;

/// The median of `values` (0 for none).
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 { values[n / 2] } else { (values[n / 2 - 1] + values[n / 2]) / 2.0 }
}

/// Which way a value departs from what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Above,
    Below,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
        }
    }
}
