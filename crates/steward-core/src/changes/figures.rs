//! The change figures management reads: ITIL's (success rate, emergency ratio, changes that
//! caused incidents, mean approval time) beside DORA's (deployment frequency, change failure
//! rate), over one period.

/// What the store counts over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeCounts {
    /// Changes raised in the period, and how many of them were emergencies.
    pub raised: i64,
    pub emergency: i64,
    /// Changes completed in the period (an outcome recorded), successful, and failed or
    /// backed out.
    pub completed: i64,
    pub successful: i64,
    pub failed: i64,
    /// Deployments recorded by pipelines that completed in the period.
    pub deployments: i64,
    /// Completed changes with an incident on one of their CIs within a day after they started.
    pub caused_incidents: i64,
    /// Approval levels approved in the period, and the milliseconds they waited in all.
    pub approvals: i64,
    pub approval_ms: i64,
}

fn ratio(n: i64, of: i64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

impl ChangeCounts {
    /// Successful ÷ completed.
    pub fn success_rate(&self) -> Option<f64> {
        ratio(self.successful, self.completed)
    }

    /// Failed or backed out ÷ completed (DORA's change failure rate).
    pub fn failure_rate(&self) -> Option<f64> {
        ratio(self.failed, self.completed)
    }

    pub fn emergency_ratio(&self) -> Option<f64> {
        ratio(self.emergency, self.raised)
    }

    /// Mean wait from asking a level to approve to its approval, in seconds.
    pub fn mean_approval_secs(&self) -> Option<f64> {
        ratio(self.approval_ms, self.approvals).map(|ms| ms / 1000.0)
    }

    /// Deployments per day over a period of `days`.
    pub fn deployments_per_day(&self, days: i64) -> f64 {
        if days <= 0 { 0.0 } else { self.deployments as f64 / days as f64 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_absent_without_a_denominator() {
        let none = ChangeCounts::default();
        assert_eq!(
            (none.success_rate(), none.failure_rate(), none.emergency_ratio(), none.mean_approval_secs()),
            (None, None, None, None)
        );
        let c = ChangeCounts {
            raised: 10,
            emergency: 2,
            completed: 8,
            successful: 6,
            failed: 2,
            deployments: 30,
            caused_incidents: 1,
            approvals: 4,
            approval_ms: 4 * 3_600_000,
        };
        assert_eq!(c.success_rate(), Some(0.75));
        assert_eq!(c.failure_rate(), Some(0.25));
        assert_eq!(c.emergency_ratio(), Some(0.2));
        assert_eq!(c.mean_approval_secs(), Some(3600.0));
        assert_eq!(c.deployments_per_day(30), 1.0);
    }
}
