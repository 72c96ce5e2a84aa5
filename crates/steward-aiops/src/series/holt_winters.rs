//! Additive Holt-Winters (level, trend and a season of `period` points), fitted by a small grid
//! search over its three smoothing factors (least one-step squared error), with an anomaly band
//! of ± `width` residual deviations around each one-step forecast.

use super::Direction;

#[derive(Debug, Clone)]
pub struct Fit {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    /// One-step forecasts, one per value from the second season on (earlier ones are `None`).
    pub forecasts: Vec<Option<f64>>,
    /// Robust deviation of the one-step residuals.
    pub sigma: f64,
    level: f64,
    trend: f64,
    season: Vec<f64>,
    period: usize,
}

/// Fits `values` (evenly spaced; at least two seasons); `None` for too few.
pub fn fit(values: &[f64], period: usize) -> Option<Fit> {
    if period < 2 || values.len() < 2 * period {
        return None;
    }
    let grid = [0.05, 0.2, 0.5, 0.8];
    let mut best: Option<(f64, Fit)> = None;
    for &alpha in &grid {
        for &beta in &[0.0, 0.05, 0.2] {
            for &gamma in &[0.05, 0.2, 0.5] {
                let f = run(values, period, alpha, beta, gamma);
                let sse: f64 =
                    f.forecasts.iter().zip(values).filter_map(|(f, v)| f.map(|f| (v - f) * (v - f))).sum();
                if best.as_ref().is_none_or(|(b, _)| sse < *b) {
                    best = Some((sse, f));
                }
            }
        }
    }
    best.map(|(_, f)| f)
}

fn run(values: &[f64], period: usize, alpha: f64, beta: f64, gamma: f64) -> Fit {
    let first: f64 = values[..period].iter().sum::<f64>() / period as f64;
    let second: f64 = values[period..2 * period].iter().sum::<f64>() / period as f64;
    let mut level = first;
    let mut trend = (second - first) / period as f64;
    let mut season: Vec<f64> = values[..period].iter().map(|v| v - first).collect();
    let mut forecasts = vec![None; values.len()];
    for (i, &v) in values.iter().enumerate().skip(period) {
        let s = season[i % period];
        forecasts[i] = Some(level + trend + s);
        let previous = level;
        level = alpha * (v - s) + (1.0 - alpha) * (level + trend);
        trend = beta * (level - previous) + (1.0 - beta) * trend;
        season[i % period] = gamma * (v - level) + (1.0 - gamma) * s;
    }
    let mut residuals: Vec<f64> =
        forecasts.iter().zip(values).filter_map(|(f, v)| f.map(|f| (v - f).abs())).collect();
    let sigma = super::median(&mut residuals) * 1.4826;
    Fit { alpha, beta, gamma, forecasts, sigma, level, trend, season, period }
}

impl Fit {
    /// The forecast `steps` points after the last value.
    pub fn forecast(&self, steps: usize) -> f64 {
        let n = self.forecasts.len();
        self.level + self.trend * steps as f64 + self.season[(n + steps - 1) % self.period]
    }

    /// Whether `values[i]` lies outside ± `width` σ of its one-step forecast (σ floored at
    /// `floor`, so a perfectly regular series does not flag noise).
    pub fn outside(&self, values: &[f64], i: usize, width: f64, floor: f64) -> Option<Direction> {
        let f = (*self.forecasts.get(i)?)?;
        let band = width * self.sigma.max(floor);
        let v = values[i];
        if v > f + band {
            Some(Direction::Above)
        } else if v < f - band {
            Some(Direction::Below)
        } else {
            None
        }
    }
}

/// The band a series' newest value is judged against.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The one-step forecast of the newest value.
    pub expected: f64,
    pub low: f64,
    pub high: f64,
    /// Where the newest value lies outside the band, if it does.
    pub outside: Option<Direction>,
}

/// Fits `values` with a season of `period` points and judges the newest value against ±
/// `width` residual deviations around its forecast. The deviation is floored at 1 % of the
/// series' typical size, so a perfectly regular series does not flag noise. `None` with fewer
/// than two seasons.
pub fn band(values: &[f64], period: usize, width: f64) -> Option<Band> {
    let fit = fit(values, period)?;
    let last = values.len().checked_sub(1)?;
    let expected = (*fit.forecasts.get(last)?)?;
    let mut sizes: Vec<f64> = values.iter().map(|v| v.abs()).collect();
    let floor = (super::median(&mut sizes) * 0.01).max(f64::MIN_POSITIVE);
    let half = width * fit.sigma.max(floor);
    Some(Band {
        expected,
        low: expected - half,
        high: expected + half,
        outside: fit.outside(values, last, width, floor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two weeks of hourly values, busy on weekdays and quiet at weekends.
    fn weekly() -> Vec<f64> {
        (0..24 * 14)
            .map(|h| {
                let weekend = (h / 24) % 7 >= 5;
                let day = (h % 24) as f64 / 24.0 * std::f64::consts::TAU;
                let base = if weekend { 20.0 } else { 100.0 };
                base + 0.3 * base * day.sin() + (h % 3) as f64
            })
            .collect()
    }

    #[test]
    fn a_weekly_season_knows_a_busy_saturday_from_a_busy_monday() {
        let mut values = weekly();
        // The last hour is Sunday evening: quiet.
        assert_eq!(band(&values, 24 * 7, 4.0).unwrap().outside, None);
        // Monday's traffic on a Sunday is an anomaly a weekly season sees.
        let last = values.len() - 1;
        values[last] = values[last - 24 * 6];
        let b = band(&values, 24 * 7, 4.0).unwrap();
        assert_eq!(b.outside, Some(Direction::Above), "{b:?}");
        assert!(b.low < b.expected && b.expected < b.high);
        assert!(band(&values[..24 * 10], 24 * 7, 4.0).is_none(), "two weeks are needed");
    }

    #[test]
    fn a_daily_season_is_learned_and_a_spike_stands_out() {
        let mut values: Vec<f64> = (0..24 * 7)
            .map(|h| 50.0 + 30.0 * ((h % 24) as f64 / 24.0 * std::f64::consts::TAU).sin() + (h % 5) as f64)
            .collect();
        let fit = fit(&values, 24).unwrap();
        let next = fit.forecast(1);
        let expected = 50.0 + 30.0 * 0.0f64.sin() + ((24 * 7) % 5) as f64;
        assert!((next - expected).abs() < 8.0, "forecast {next} vs {expected}");
        let quiet = (24 * 2..values.len()).filter(|&i| fit.outside(&values, i, 4.0, 1.0).is_some()).count();
        assert!(quiet <= 2, "a regular series flags (almost) nothing: {quiet}");
        values[24 * 5 + 3] += 80.0;
        let fit = super::fit(&values, 24).unwrap();
        assert_eq!(fit.outside(&values, 24 * 5 + 3, 4.0, 1.0), Some(Direction::Above));
        assert!(super::fit(&values[..30], 24).is_none());
    }
}
