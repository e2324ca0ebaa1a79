//! Running one call's work (instantiation, the export, everything the host does on
//! its behalf) under its wall-clock deadline.
//!
//! Every call into a plugin is a future (wasmtime's `*_async` entry points) driven
//! here on the calling thread. Wasm code yields back to this loop every
//! [`FUEL_YIELD_INTERVAL`] fuel units, and a host call that waits (a WASI pollable)
//! yields while it waits; at each yield the loop checks the deadline and, once it has
//! passed, drops the future, which ends the call where it stood. So the deadline
//! covers Wasm code and waiting host calls alike, and the fuel the store reports
//! afterwards is exact: wasmtime writes its fuel counter back to the store at every
//! yield and every host call, which it does not do when an epoch interruption
//! traps (a trap out of a tight loop would report the fuel of the loop's first
//! iteration).
//!
//! Two limits of this: a host call that computes without waiting (copying a large
//! string out of the plugin's memory, say) cannot be cut in the middle, so its
//! length is bounded by what it copies (at most the plugin's memory limit); and Wasm
//! code that burns little fuel per second (bulk memory copies in a loop) yields
//! rarely, so the epoch interruption armed a little past the deadline stops it
//! instead (see `arm` in the parent module). A call stopped that way reports the fuel
//! counted at its last yield or host call, since an epoch trap does not write the
//! counter back: at most [`FUEL_YIELD_INTERVAL`] short for plain Wasm code.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::Instant;

/// Fuel between two yields of a running call to the deadline check: about 0.1 ms
/// of a tight loop on the project's machine (18 billion units a second), so a call
/// overruns its deadline by about that much at most while it runs Wasm code.
pub const FUEL_YIELD_INTERVAL: u64 = 2_000_000;

/// Drives `work` on this thread until it completes (`Some`) or `deadline` passes
/// (`None`, the future dropped unfinished).
///
/// Futures that wait on tokio (timers, sockets) find wasmtime-wasi's fallback tokio
/// runtime, or the caller's, in their context.
pub fn run_until<F: Future>(deadline: Instant, work: F) -> Option<F::Output> {
    wasmtime_wasi::runtime::with_ambient_tokio_runtime(|| {
        let mut work = pin!(work);
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut context = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = work.as_mut().poll(&mut context) {
                return Some(output);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            // A yield wakes at once (the park returns immediately); a real wait
            // sleeps until woken or until the deadline.
            std::thread::park_timeout(deadline - now);
        }
    })
}

/// Wakes the thread that drives a call.
struct Unpark(Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_ready_future_completes() {
        let deadline = Instant::now() + Duration::from_secs(5);
        assert_eq!(run_until(deadline, async { 7 }), Some(7));
    }

    #[test]
    fn a_future_that_never_completes_is_dropped_at_the_deadline() {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(50);
        let out = run_until(deadline, std::future::pending::<()>());
        let elapsed = started.elapsed();
        assert_eq!(out, None);
        assert!(elapsed >= Duration::from_millis(50), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
    }

    #[test]
    fn a_tokio_sleep_past_the_deadline_is_cut() {
        let started = Instant::now();
        let deadline = started + Duration::from_millis(30);
        // Made inside the future, where the ambient runtime is entered.
        let out = run_until(deadline, async {
            tokio::time::sleep(Duration::from_secs(30)).await
        });
        assert_eq!(out, None);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn a_tokio_sleep_within_the_deadline_completes() {
        let deadline = Instant::now() + Duration::from_secs(5);
        let out = run_until(deadline, async {
            tokio::time::sleep(Duration::from_millis(10)).await
        });
        assert_eq!(out, Some(()));
    }
}
