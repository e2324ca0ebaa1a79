//! The one source of time in the host: [`Clock`]. The service runs on
//! [`SystemClock`]; tests and replays run on a [`SimulatedClock`], which stands still
//! until it is moved, so that "what happens at 11:55 on Monday" is a question with an
//! exact, repeatable answer.
//!
//! Nothing in the host reads the wall clock directly: timestamps in stored records,
//! the time plugins see, and the due times of timers and schedules all come from here.
//! This module only tells the time; firing what falls due belongs to the `timekeeper`.

use std::sync::Mutex;

use chrono::{DateTime, Utc};

/// Tells the time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// Whether time moves by itself. A simulated clock moves only when told, so
    /// whoever waits for a due time on it must not sleep on the wall clock.
    fn is_simulated(&self) -> bool;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn is_simulated(&self) -> bool {
        false
    }
}

/// A clock that stands still until [`SimulatedClock::set`] moves it. It never goes
/// back: an earlier time is refused, as real time would never do that either.
#[derive(Debug)]
pub struct SimulatedClock {
    now: Mutex<DateTime<Utc>>,
}

impl SimulatedClock {
    pub fn new(start: DateTime<Utc>) -> SimulatedClock {
        SimulatedClock {
            now: Mutex::new(start),
        }
    }

    /// Moves the clock to `to`. Returns false (and leaves it) if `to` is earlier
    /// than its time.
    pub fn set(&self, to: DateTime<Utc>) -> bool {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        if to < *now {
            return false;
        }
        *now = to;
        true
    }
}

impl Clock for SimulatedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn is_simulated(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn a_simulated_clock_stands_still_and_never_goes_back() {
        let clock = SimulatedClock::new(at("2026-11-20T17:55:00Z"));
        assert_eq!(clock.now(), at("2026-11-20T17:55:00Z"));
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), at("2026-11-20T17:55:00Z"));
        assert!(clock.set(at("2026-11-20T18:00:00Z")));
        assert_eq!(clock.now(), at("2026-11-20T18:00:00Z"));
        assert!(!clock.set(at("2026-11-20T17:00:00Z")));
        assert_eq!(clock.now(), at("2026-11-20T18:00:00Z"));
    }
}
