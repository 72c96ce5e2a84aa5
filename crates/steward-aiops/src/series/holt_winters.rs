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

#[cfg(test)]
mod tests {
    use super::*;

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
