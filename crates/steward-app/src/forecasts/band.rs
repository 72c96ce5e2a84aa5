//! A metric anomaly band: the rule's history from Prometheus, fitted by Holt-Winters with a
//! daily season (5-minute steps) or, from two weeks of history on, a weekly one (hourly steps);
//! the newest value outside ± `threshold` residual deviations of its forecast is an anomaly.

use jiff::{SignedDuration, Timestamp};
use steward_aiops::series::holt_winters;
use steward_core::forecasts::WEEKLY_LOOKBACK_MINUTES;
use steward_store::{ForecastOutcome, ForecastRecord};

use super::prometheus;

/// Judges the newest value of `rule`'s query; `end` is Prometheus' now, `now` Steward's (the
/// anomaly is dated on Steward's clock).
pub(super) async fn judge(
    base: &str,
    rule: &ForecastRecord,
    end: Timestamp,
    now: Timestamp,
) -> Result<ForecastOutcome, String> {
    let weekly = rule.lookback_minutes >= WEEKLY_LOOKBACK_MINUTES;
    let (step, period, season) = if weekly { (3600, 168, "weekly") } else { (300, 288, "daily") };
    let lookback = SignedDuration::from_mins(rule.lookback_minutes);
    let samples = prometheus::query_range(base, &rule.query, end - lookback, end, step).await?;
    let values: Vec<f64> = samples.iter().map(|s| s.1).collect();
    let Some(&last) = values.last() else { return Err("the query returned no samples".into()) };
    let band = holt_winters::band(&values, period, rule.threshold).ok_or_else(|| {
        format!("too little history for a {season} season: {} samples, {} needed", values.len(), 2 * period)
    })?;
    Ok(ForecastOutcome {
        predicted_at: band.outside.map(|_| now),
        last_value: Some(last),
        model: format!(
            "holt-winters, {season} season: expected {:.2} ({:.2} – {:.2})",
            band.expected, band.low, band.high
        ),
        error: String::new(),
    })
}
