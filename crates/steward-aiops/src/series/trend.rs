//! A least-squares line through samples, and when it crosses a threshold.

/// A fitted line `value = intercept + slope × t` (t in seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub slope: f64,
    pub intercept: f64,
    /// Share of the variance the line explains (0–1).
    pub r2: f64,
}

/// Fits a line through `(t, value)` samples; `None` for fewer than 3 or all at one time.
pub fn fit(samples: &[(f64, f64)]) -> Option<Trend> {
    let n = samples.len() as f64;
    if samples.len() < 3 {
        return None;
    }
    let (mt, mv) = samples.iter().fold((0.0, 0.0), |(a, b), (t, v)| (a + t / n, b + v / n));
    let (mut stt, mut stv, mut svv) = (0.0, 0.0, 0.0);
    for (t, v) in samples {
        stt += (t - mt) * (t - mt);
        stv += (t - mt) * (v - mv);
        svv += (v - mv) * (v - mv);
    }
    if stt <= 0.0 {
        return None;
    }
    let slope = stv / stt;
    let r2 = if svv > 0.0 { (stv * stv) / (stt * svv) } else { 1.0 };
    Some(Trend { slope, intercept: mv - slope * mt, r2 })
}

impl Trend {
    pub fn at(&self, t: f64) -> f64 {
        self.intercept + self.slope * t
    }

    /// When the line reaches `threshold` going the way of `rising`, after `now`; `None` when it
    /// is moving away from it (or flat). A line already past it answers `now`.
    pub fn crossing(&self, threshold: f64, rising: bool, now: f64) -> Option<f64> {
        let current = self.at(now);
        let past = if rising { current >= threshold } else { current <= threshold };
        if past {
            return Some(now);
        }
        let toward = if rising { self.slope > 0.0 } else { self.slope < 0.0 };
        if !toward {
            return None;
        }
        Some(now + (threshold - current) / self.slope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filling_disk_is_full_when_the_line_says() {
        // 1 GB free falling by 10 MB a minute, with noise.
        let samples: Vec<(f64, f64)> = (0..60)
            .map(|m| (m as f64 * 60.0, 1000.0 - 10.0 * m as f64 + if m % 2 == 0 { 3.0 } else { -3.0 }))
            .collect();
        let line = fit(&samples).unwrap();
        assert!((line.slope * 60.0 + 10.0).abs() < 0.1, "{line:?}");
        assert!(line.r2 > 0.99);
        let now = 59.0 * 60.0;
        let empty = line.crossing(0.0, false, now).unwrap();
        assert!(((empty - now) / 60.0 - 41.0).abs() < 1.0, "about 41 minutes left: {}", (empty - now) / 60.0);
        assert_eq!(line.crossing(2000.0, true, now), None, "falling never rises to it");
        assert_eq!(line.crossing(2000.0, false, now), Some(now), "already below");
        assert!(fit(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]).is_none());
        assert!(fit(&[(1.0, 1.0)]).is_none());
    }
}
