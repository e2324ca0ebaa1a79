//! The circuit breaker: a plugin whose calls fail a number of times in a row is
//! suspended for its tenant, so that a broken upload does not fail every event (and
//! fill every trail) until someone notices. This module counts; the step suspends
//! (it writes the plugin's [`Suspension`](crate::store::Suspension)) and the API
//! resumes.
//!
//! The counts live in memory: a restart gives a failing plugin its threshold again,
//! which only delays a suspension. A suspension itself is stored with the plugin.

use std::collections::HashMap;
use std::sync::Mutex;

/// How many errors a suspension keeps, newest last.
pub const KEPT_ERRORS: usize = 5;

/// Failed calls in a row, per tenant and plugin.
#[derive(Default)]
pub(super) struct Breaker {
    failures: Mutex<HashMap<(String, String), Vec<String>>>,
}

impl Breaker {
    /// Counts one call of `plugin`: a success (`error` is `None`) starts the count
    /// again. Returns the last errors (at most [`KEPT_ERRORS`], oldest first) and
    /// the count when this failure makes `threshold` in a row (or more); `None`
    /// otherwise, and always when `threshold` is 0 (never suspend). O(1).
    pub(super) fn record(
        &self,
        tenant: &str,
        plugin: &str,
        error: Option<&str>,
        threshold: u32,
    ) -> Option<(u32, Vec<String>)> {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let id = (tenant.to_string(), plugin.to_string());
        let Some(error) = error else {
            failures.remove(&id);
            return None;
        };
        let errors = failures.entry(id).or_default();
        errors.push(error.to_string());
        // The count is kept as the length, capped so that it cannot grow without end:
        // past the threshold the plugin is suspended anyway.
        let count = errors.len() as u32;
        let tripped = threshold > 0 && count >= threshold;
        let kept = errors[errors.len().saturating_sub(KEPT_ERRORS)..].to_vec();
        if errors.len() > KEPT_ERRORS.max(threshold as usize) {
            errors.remove(0);
        }
        tripped.then_some((count, kept))
    }

    /// Forgets the failures of `plugin` (an admin resumed it, or it changed). O(1).
    pub(super) fn reset(&self, tenant: &str, plugin: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(tenant.to_string(), plugin.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trips_after_the_threshold_in_a_row_and_a_success_starts_again() {
        let breaker = Breaker::default();
        assert_eq!(breaker.record("a", "p", Some("trap 1"), 3), None);
        assert_eq!(breaker.record("a", "p", Some("trap 2"), 3), None);
        // Another tenant's plugin of the same name counts apart.
        assert_eq!(breaker.record("b", "p", Some("trap"), 3), None);
        assert_eq!(breaker.record("a", "p", None, 3), None);
        assert_eq!(breaker.record("a", "p", Some("e1"), 3), None);
        assert_eq!(breaker.record("a", "p", Some("e2"), 3), None);
        assert_eq!(
            breaker.record("a", "p", Some("e3"), 3),
            Some((3, vec!["e1".into(), "e2".into(), "e3".into()]))
        );
        breaker.reset("a", "p");
        assert_eq!(breaker.record("a", "p", Some("e4"), 3), None);
        // 0: never.
        for _ in 0..10 {
            assert_eq!(breaker.record("a", "q", Some("e"), 0), None);
        }
    }
}
