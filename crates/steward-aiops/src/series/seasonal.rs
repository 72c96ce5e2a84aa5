//! A value against its own seasonal history. The baseline of an hour is the same hour of the
//! week in earlier weeks when there are at least `min_points` of them, else the same hour of the
//! day in earlier days; its spread is the MAD, floored by a Poisson spread for counts (a rate
//! of 4 lines an hour moving to 9 is not news) and by `min_spread`.

use super::{Direction, median};

#[derive(Debug, Clone, Copy)]
pub struct SeasonalConfig {
    /// Robust z-score beyond which a value is an anomaly.
    pub threshold: f64,
    /// Smallest absolute departure that counts (lines an hour).
    pub min_delta: f64,
    /// Earlier points needed for a baseline.
    pub min_points: usize,
}

impl Default for SeasonalConfig {
    fn default() -> Self {
        SeasonalConfig { threshold: 5.0, min_delta: 10.0, min_points: 3 }
    }
}

/// What the baseline says of one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    pub expected: f64,
    pub score: f64,
    /// `Some` when the value is an anomaly.
    pub anomaly: Option<Direction>,
}

/// Judges `history[at]` against the points before it. `history` is hourly, oldest first, and
/// `history.len()` hours long; `None` when there is too little history to say.
pub fn judge(history: &[f64], at: usize, config: &SeasonalConfig) -> Option<Verdict> {
    let value = *history.get(at)?;
    let earlier = |step: usize| -> Vec<f64> { (1..=at / step).map(|k| history[at - k * step]).collect() };
    let mut base = earlier(168);
    if base.len() < config.min_points {
        base = earlier(24);
    }
    if base.len() < config.min_points {
        return None;
    }
    // Only the latest four weeks (or weeks' worth of days) speak for now.
    base.truncate(if base.len() > 28 { 28 } else { base.len() });
    let expected = median(&mut base.clone());
    let mut deviations: Vec<f64> = base.iter().map(|v| (v - expected).abs()).collect();
    let mad = median(&mut deviations) * 1.4826;
    let spread = mad.max(expected.max(0.0).sqrt()).max(1.0);
    let score = (value - expected) / spread;
    let anomaly = (score.abs() >= config.threshold && (value - expected).abs() >= config.min_delta)
        .then_some(if score > 0.0 { Direction::Above } else { Direction::Below });
    Some(Verdict { expected, score, anomaly })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Office hours: busy 9–18 on weekdays, quiet at night and at weekends.
    fn office(weeks: usize) -> Vec<f64> {
        (0..weeks * 168)
            .map(|h| {
                let (day, hour) = ((h / 24) % 7, h % 24);
                if day < 5 && (9..18).contains(&hour) {
                    200.0 + (h % 7) as f64
                } else {
                    10.0 + (h % 3) as f64
                }
            })
            .collect()
    }

    #[test]
    fn the_weekly_rhythm_is_normal_and_departures_are_not() {
        let mut series = office(4);
        let config = SeasonalConfig::default();
        // Monday 10:00 of the fourth week: busy as every Monday.
        let monday = 3 * 168 + 10;
        assert_eq!(judge(&series, monday, &config).unwrap().anomaly, None);
        // Saturday 10:00: quiet as every Saturday, though weekdays are busy at 10.
        let saturday = 3 * 168 + 5 * 24 + 10;
        assert_eq!(judge(&series, saturday, &config).unwrap().anomaly, None);
        // A Saturday as busy as a Monday is an anomaly; so is a silent Monday.
        series[saturday] = 200.0;
        assert_eq!(judge(&series, saturday, &config).unwrap().anomaly, Some(Direction::Above));
        series[monday] = 0.0;
        assert_eq!(judge(&series, monday, &config).unwrap().anomaly, Some(Direction::Below));
        // Too little history: no verdict.
        assert!(judge(&series, 30, &config).is_none());
    }

    #[test]
    fn small_counts_need_a_real_change() {
        let mut series = vec![3.0; 24 * 10];
        let at = series.len() - 1;
        series[at] = 9.0;
        assert_eq!(judge(&series, at, &SeasonalConfig::default()).unwrap().anomaly, None);
        series[at] = 60.0;
        assert_eq!(judge(&series, at, &SeasonalConfig::default()).unwrap().anomaly, Some(Direction::Above));
    }
}
