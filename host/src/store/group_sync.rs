//! Group commit: callers who need what they wrote to be durable share one sync.
//!
//! A sync (sled's flush followed by an `fdatasync`, see [`super::SledStore`]) costs
//! the same whether it covers one write or a thousand, so concurrent callers should
//! not queue one sync each. [`GroupSync::sync`] makes the first caller the leader:
//! it runs the sync while later callers wait; when it ends, every caller whose
//! writes happened before it *started* is done, and one of those still waiting leads
//! the next sync, which covers everyone who arrived meanwhile. Under load, a sync
//! covers all the requests that arrived during the previous one, so the syncs per
//! second stay bounded by the disk while the requests per second grow.
//!
//! This is the classic group commit of databases (PostgreSQL's `commit_delay`
//! without the delay; MySQL's binary log group commit).

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Shares syncs between concurrent callers. See the module documentation.
#[derive(Default)]
pub struct GroupSync {
    state: Mutex<State>,
    finished: Condvar,
}

#[derive(Default)]
struct State {
    /// Number of syncs started so far; the one running, if any, is this number.
    started: u64,
    /// The number of the last sync that ended.
    ended: u64,
    running: bool,
    /// The error of the last sync that ended, if it failed.
    last_error: Option<String>,
    /// Syncs run and callers served, for the figures in the benchmarks.
    syncs: u64,
    callers: u64,
}

impl GroupSync {
    /// Returns once a sync that started after this call began has ended, running it
    /// (`sync`) if no other caller is: what the caller wrote before calling is then
    /// as durable as `sync` makes it. The result is that sync's, or a later one's (a
    /// later sync covers the same writes). Waits at most the length of two syncs.
    pub fn sync(&self, sync: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        let mut state = self.lock();
        state.callers += 1;
        // A sync already running may have started before this caller's writes: only
        // the next one is sure to cover them.
        let needed = state.started + 1;
        let mut sync = Some(sync);
        loop {
            if state.ended >= needed {
                return match &state.last_error {
                    None => Ok(()),
                    Some(e) => Err(e.clone()),
                };
            }
            if !state.running {
                state.running = true;
                state.started += 1;
                state.syncs += 1;
                let number = state.started;
                drop(state);
                let result = (sync.take().expect("a caller leads at most one sync"))();
                state = self.lock();
                state.running = false;
                state.ended = number;
                state.last_error = result.err();
                self.finished.notify_all();
                continue;
            }
            state = self
                .finished
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// (syncs run, callers served) since the start: their ratio is how many callers a
    /// sync covered on average.
    pub fn counts(&self) -> (u64, u64) {
        let state = self.lock();
        (state.syncs, state.callers)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    #[test]
    fn a_lone_caller_runs_its_own_sync_and_gets_its_result() {
        let group = GroupSync::default();
        assert_eq!(group.sync(|| Ok(())), Ok(()));
        assert_eq!(
            group.sync(|| Err("disk full".into())),
            Err("disk full".into())
        );
        assert_eq!(group.counts(), (2, 2));
    }

    /// Every caller's write is covered by a sync that started after it: the "disk"
    /// here is a counter of writes made durable, copied from the writes counter when
    /// a sync starts.
    #[test]
    fn every_caller_is_covered_by_a_sync_that_started_after_its_write() {
        let group = Arc::new(GroupSync::default());
        let written = Arc::new(AtomicU64::new(0));
        let durable = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (group, written, durable) = (group.clone(), written.clone(), durable.clone());
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let mine = written.fetch_add(1, Ordering::SeqCst) + 1;
                        group
                            .sync(|| {
                                let upto = written.load(Ordering::SeqCst);
                                std::thread::sleep(Duration::from_micros(200));
                                durable.fetch_max(upto, Ordering::SeqCst);
                                Ok(())
                            })
                            .unwrap();
                        assert!(
                            durable.load(Ordering::SeqCst) >= mine,
                            "write {mine} was acknowledged before a sync covered it"
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        let (syncs, callers) = group.counts();
        assert_eq!(callers, 1_600);
        // Concurrent callers shared syncs (each sync takes 200 µs, long enough for
        // the others to queue behind it).
        assert!(syncs < callers, "{syncs} syncs for {callers} callers");
    }
}
