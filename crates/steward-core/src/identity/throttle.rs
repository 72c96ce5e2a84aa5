//! Slowing and locking repeated failed sign-ins.
//!
//! A failure counts against throttle keys: the name tried (whether or not such a user exists,
//! so the answers cannot tell real names from made-up ones), the client's address, or instead
//! of both a browser that this user already signed in from (so nobody who merely knows a
//! username can lock its owner out of a device that proved itself; see `docs/security.md`).
//! After a few free failures each further failure makes the key wait twice as long before
//! the next attempt is even checked; at the lock threshold it is locked outright for a while.
//! The counter starts again when the lock is set, so a locked key gets its free attempts
//! back afterwards, and a successful sign-in clears the name's and the device's keys.

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

impl LoginPolicy {
    /// The policy for one client address: it sees many names, so it allows more before
    /// slowing (a shared office address signs in often) and stops password spraying.
    pub fn per_client() -> LoginPolicy {
        LoginPolicy { free_failures: 20, base_delay_ms: 1_000, lock_after: 100, lock_ms: 15 * 60 * 1_000 }
    }
}

/// What a failure counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// The username as typed, case-folded, whether or not the user exists.
    Name(String),
    /// The client's network address.
    Client(String),
    /// A browser's device cookie, by the hash of its secret.
    Device(String),
}

impl ThrottleKey {
    /// Longest stored part of a key: a name longer than any valid username is still one key.
    pub const MAX_LEN: usize = 128;

    pub fn name(typed: &str) -> ThrottleKey {
        ThrottleKey::Name(typed_name(typed).to_lowercase())
    }

    /// The key as stored.
    pub fn as_stored(&self) -> String {
        match self {
            ThrottleKey::Name(n) => format!("name:{n}"),
            ThrottleKey::Client(c) => format!("client:{c}"),
            ThrottleKey::Device(d) => format!("device:{d}"),
        }
    }
}

/// What a stranger typed as a username, fit to store: trimmed, without control characters
/// (PostgreSQL's text refuses NUL) and no longer than any name could be.
pub fn typed_name(typed: &str) -> String {
    typed.trim().chars().filter(|c| !c.is_control()).take(ThrottleKey::MAX_LEN).collect()
}

/// Whole seconds to wait before `wait_ms` has passed, rounded up: a client that waits this long
/// is not refused again.
pub fn retry_after_secs(wait_ms: i64) -> i64 {
    (wait_ms.max(1) + 999) / 1000
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
    fn retry_after_rounds_up() {
        assert_eq!([0, 1, 999, 1000, 1001, 59_001].map(retry_after_secs), [1, 1, 1, 1, 2, 60]);
    }

    #[test]
    fn names_fold_to_one_key() {
        assert_eq!(ThrottleKey::name(" Alice "), ThrottleKey::name("alice"));
        assert_eq!(ThrottleKey::name(&"x".repeat(1000)).as_stored().len(), 5 + 128);
        assert_eq!(ThrottleKey::name("a\u{0}b\u{96}c"), ThrottleKey::name("abc"));
    }

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
