//! Rules of the job queue: how long a failed job waits before its next attempt.

/// Retry policy for one kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after which the job is given up and kept as dead for inspection.
    pub max_attempts: u32,
    /// Delay after the first failure; each later failure doubles it.
    pub base_delay_ms: i64,
    /// Upper bound on any single delay.
    pub max_delay_ms: i64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 8, base_delay_ms: 5_000, max_delay_ms: 3_600_000 }
    }
}

/// What to do with a job whose attempt number `attempts` (1-based) just failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryIn { delay_ms: i64 },
    GiveUp,
}

impl RetryPolicy {
    pub fn after_failure(&self, attempts: u32) -> AfterFailure {
        if attempts >= self.max_attempts {
            return AfterFailure::GiveUp;
        }
        let exponent = attempts.saturating_sub(1).min(40);
        let delay_ms = self.base_delay_ms.saturating_mul(1_i64 << exponent).min(self.max_delay_ms);
        AfterFailure::RetryIn { delay_ms }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_backoff_capped_then_gives_up() {
        let policy = RetryPolicy { max_attempts: 5, base_delay_ms: 1_000, max_delay_ms: 5_000 };
        let got: Vec<_> = (1..=5).map(|a| policy.after_failure(a)).collect();
        assert_eq!(
            got,
            vec![
                AfterFailure::RetryIn { delay_ms: 1_000 },
                AfterFailure::RetryIn { delay_ms: 2_000 },
                AfterFailure::RetryIn { delay_ms: 4_000 },
                AfterFailure::RetryIn { delay_ms: 5_000 },
                AfterFailure::GiveUp,
            ]
        );
        let big = RetryPolicy { max_attempts: 1000, ..policy };
        assert_eq!(big.after_failure(999), AfterFailure::RetryIn { delay_ms: 5_000 });
    }
}
