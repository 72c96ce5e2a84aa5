//! Slowing and locking repeated failed sign-ins to one account.
//!
//! After a few free failures each further failure makes the account wait twice as long before
//! the next attempt is even checked; at the lock threshold it is locked outright for a while.
//! The counter starts again when the lock is set, so a locked account gets its free attempts
//! back afterwards, and any successful sign-in clears it.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginPolicy {
    pub free_failures: u32,
    pub base_delay_ms: i64,
    pub lock_after: u32,
    pub lock_ms: i64,
}

impl Default for LoginPolicy {
    fn default() -> Self {
        LoginPolicy { free_failures: 3, base_delay_ms: 1_000, lock_after: 10, lock_ms: 15 * 60 * 1_000 }
    }
}

/// What the store records after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Consecutive failures to remember.
    pub failures: u32,
    /// No attempt is checked before this many milliseconds from now (0: at once).
    pub wait_ms: i64,
    pub locked: bool,
}

impl LoginPolicy {
    /// The throttle after one more failure on top of `previous_failures`.
    pub fn after_failure(&self, previous_failures: u32) -> LoginThrottle {
        let failures = previous_failures.saturating_add(1);
        if failures >= self.lock_after {
            return LoginThrottle { failures: 0, wait_ms: self.lock_ms, locked: true };
        }
        if failures <= self.free_failures {
            return LoginThrottle { failures, wait_ms: 0, locked: false };
        }
        let exponent = (failures - self.free_failures - 1).min(30);
        let wait_ms = self.base_delay_ms.saturating_mul(1 << exponent).min(self.lock_ms);
        LoginThrottle { failures, wait_ms, locked: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slows_then_locks() {
        let policy = LoginPolicy { free_failures: 2, base_delay_ms: 100, lock_after: 6, lock_ms: 10_000 };
        let mut failures = 0;
        let mut waits = Vec::new();
        for _ in 0..7 {
            let t = policy.after_failure(failures);
            failures = t.failures;
            waits.push((t.wait_ms, t.locked));
        }
        assert_eq!(
            waits,
            vec![
                (0, false),
                (0, false),
                (100, false),
                (200, false),
                (400, false),
                (10_000, true),
                // After the lock the account starts again with its free attempts.
                (0, false),
            ]
        );
    }
}
