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
    let values = on_grid(&samples, step as f64, end.as_second() as f64)?;
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

/// The samples placed on their step's grid (a missed scrape keeps its slot, filled with the
/// value before it, so the season does not slide); refused when more than a tenth is missing,
/// or when the newest sample is more than two steps older than `end` (a series that stopped is
/// not judged on its last value).
fn on_grid(samples: &[(f64, f64)], step: f64, end: f64) -> Result<Vec<f64>, String> {
    let (Some(&(first, _)), Some(&(last, _))) = (samples.first(), samples.last()) else {
        return Err("the query returned no samples".into());
    };
    if end - last > 2.0 * step {
        return Err(format!("the series stopped: its newest sample is {:.0} s old", end - last));
    }
    let n = ((last - first) / step).round() as usize + 1;
    let mut slots: Vec<Option<f64>> = vec![None; n];
    for (t, v) in samples {
        if let Some(slot) = slots.get_mut(((t - first) / step).round() as usize) {
            *slot = Some(*v);
        }
    }
    let missing = slots.iter().filter(|s| s.is_none()).count();
    if missing * 10 > n {
        return Err(format!("{missing} of {n} steps have no sample"));
    }
    let mut out = Vec::with_capacity(n);
    let mut before = samples[0].1;
    for s in slots {
        before = s.unwrap_or(before);
        out.push(before);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::on_grid;

    #[test]
    fn missed_scrapes_keep_their_slot_and_a_stopped_series_is_refused() {
        // Twenty steps, the third missing.
        let samples: Vec<(f64, f64)> =
            (0..20).filter(|i| *i != 2).map(|i| (f64::from(i) * 300.0, f64::from(i))).collect();
        let grid = on_grid(&samples, 300.0, 19.0 * 300.0 + 50.0).unwrap();
        assert_eq!((grid.len(), grid[2], grid[3]), (20, 1.0, 3.0));
        assert!(on_grid(&samples, 300.0, 19.0 * 300.0 + 900.0).unwrap_err().contains("stopped"));
        let sparse = [(0.0, 1.0), (3000.0, 2.0)];
        assert!(on_grid(&sparse, 300.0, 3000.0).unwrap_err().contains("no sample"));
        assert!(on_grid(&[], 300.0, 0.0).is_err());
    }
}
