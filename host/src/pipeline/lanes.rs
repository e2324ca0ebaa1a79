//! Which event a pipeline worker takes next.
//!
//! Events wait in *lanes*, one per (tenant, ticket): a lane hands out one event at a
//! time and the next only once that one is done, so the events of a ticket are
//! processed in the order they were queued, while other lanes go on in parallel on
//! other workers. Tenants take turns: a worker that is free serves the next tenant in
//! a round, one event each, and no tenant may occupy more than its share of the
//! workers at once. So a tenant whose plugins run to their deadline on every event,
//! or who sends a flood of events, slows itself down and leaves the other workers to
//! the other tenants: another tenant's event waits at most for a worker to finish the
//! event it is on.
//!
//! A tenant's share is `max_per_tenant` workers while it is the only active tenant
//! (one that sent an event or had one taken in the last [`ACTIVE_FOR`]); with
//! several active tenants it is also at most the machine's cores divided among them
//! (at least one). Workers are not cores: a plugin call that runs to its deadline
//! keeps a core busy, so on a 2-core machine a tenant holding 3 of 4 workers with
//! such calls would take both cores and slow every other tenant's calls, though they
//! have a worker of their own. Calls are not preempted: a tenant over its share
//! keeps the calls it is running (each ends by its deadline) and gets no new one
//! until it is under it.
//!
//! Every operation is O(1) amortised (hash maps and queues), whatever the number of
//! tickets, tenants or queued events.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::store::StoredEvent;

/// A lane: (tenant, ticket id), the ticket id empty for a scheduled tick.
pub(super) type LaneKey = (String, String);

/// The lane an event belongs to.
pub(super) fn lane_of(event: &StoredEvent) -> LaneKey {
    (
        event.tenant.clone(),
        event
            .event
            .ticket
            .as_ref()
            .map(|t| t.id.clone())
            .unwrap_or_default(),
    )
}

/// The queues of events waiting for a worker, shared by the workers.
pub(super) struct Lanes {
    state: Mutex<State>,
    wake: Condvar,
    max_per_tenant: usize,
    /// The cores the active tenants share (see the module documentation).
    cores: usize,
    /// How long a tenant counts as active after its last event arrived or started.
    active_for: Duration,
}

/// How long a tenant counts as active after its last event arrived or was taken:
/// long enough that a tenant sending an event every few hundred milliseconds keeps
/// its share between two events.
pub(super) const ACTIVE_FOR: Duration = Duration::from_secs(1);

/// A tenant's activity is written down at most this often (the `recent` queue
/// then holds at most ten entries per tenant and second).
const ACTIVITY_GRAIN: Duration = Duration::from_millis(100);

#[derive(Default)]
struct State {
    /// Events waiting, per lane (the one being processed is not in here).
    queues: HashMap<LaneKey, VecDeque<StoredEvent>>,
    /// Lanes whose event is being processed.
    running: HashSet<LaneKey>,
    /// Per tenant: its lanes ready to hand out an event, and its busy workers.
    tenants: HashMap<String, TenantLanes>,
    /// Tenants with a ready lane and a worker to spare, in turn order.
    turn: VecDeque<String>,
    in_turn: HashSet<String>,
    /// Set by [`Lanes::close`]: nothing more is handed out.
    closed: bool,
    /// Per tenant: its events queued or being processed (its backlog).
    backlog: HashMap<String, usize>,
    /// Active tenants: when each was last seen (an event pushed or taken).
    active: HashMap<String, Instant>,
    /// The same, in the order they were written, to forget tenants in O(1)
    /// amortised once [`ACTIVE_FOR`] has passed.
    seen: VecDeque<(Instant, String)>,
}

impl State {
    /// Notes that `tenant` is active now.
    fn touch(&mut self, tenant: &str, now: Instant) {
        match self.active.get_mut(tenant) {
            Some(at) if now.saturating_duration_since(*at) < ACTIVITY_GRAIN => {}
            Some(at) => {
                *at = now;
                self.seen.push_back((now, tenant.to_string()));
            }
            None => {
                self.active.insert(tenant.to_string(), now);
                self.seen.push_back((now, tenant.to_string()));
            }
        }
    }

    /// Forgets the tenants not seen for `active_for`.
    fn expire(&mut self, now: Instant, active_for: Duration) {
        while let Some((at, _)) = self.seen.front() {
            if now.saturating_duration_since(*at) < active_for {
                break;
            }
            let (at, tenant) = self.seen.pop_front().expect("a front entry");
            if self.active.get(&tenant) == Some(&at) {
                self.active.remove(&tenant);
            }
        }
    }
}

#[derive(Default)]
struct TenantLanes {
    ready: VecDeque<String>,
    running: usize,
}

impl Lanes {
    /// Lanes whose tenants may each occupy at most `max_per_tenant` workers (at
    /// least one), and their share of this machine's cores when several are active.
    pub fn new(max_per_tenant: usize) -> Lanes {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Lanes::sharing(max_per_tenant, cores, ACTIVE_FOR)
    }

    /// Lanes as [`Lanes::new`], for `cores` cores and tenants active for `active_for`
    /// after their last event.
    pub fn sharing(max_per_tenant: usize, cores: usize, active_for: Duration) -> Lanes {
        Lanes {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            max_per_tenant: max_per_tenant.max(1),
            cores: cores.max(1),
            active_for,
        }
    }

    /// The most workers one tenant may occupy now: `max_per_tenant`, and with
    /// several tenants active, at most their share of the cores (at least one).
    fn share(&self, state: &State) -> usize {
        match state.active.len() {
            0 | 1 => self.max_per_tenant,
            active => self.max_per_tenant.min((self.cores / active).max(1)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `event` at the end of its lane. Returns it back when the lanes are
    /// closed.
    pub fn push(&self, event: StoredEvent) -> Result<(), Box<StoredEvent>> {
        let mut state = self.lock();
        if state.closed {
            return Err(Box::new(event));
        }
        let lane = lane_of(&event);
        let now = Instant::now();
        state.expire(now, self.active_for);
        state.touch(&lane.0, now);
        *state.backlog.entry(lane.0.clone()).or_default() += 1;
        let queue = state.queues.entry(lane.clone()).or_default();
        queue.push_back(event);
        let became_ready = queue.len() == 1 && !state.running.contains(&lane);
        if became_ready {
            let (tenant, ticket) = lane;
            state
                .tenants
                .entry(tenant.clone())
                .or_default()
                .ready
                .push_back(ticket);
            self.offer_turn(&mut state, &tenant);
            self.wake.notify_one();
        }
        Ok(())
    }

    /// Puts `tenant` in the round if it has a ready lane and a worker to spare.
    fn offer_turn(&self, state: &mut State, tenant: &str) {
        let Some(lanes) = state.tenants.get(tenant) else {
            return;
        };
        if !lanes.ready.is_empty()
            && lanes.running < self.share(state)
            && !state.in_turn.contains(tenant)
        {
            state.in_turn.insert(tenant.to_string());
            state.turn.push_back(tenant.to_string());
        }
    }

    /// The next event to process, waiting for one; `None` once the lanes are closed.
    /// The caller must call [`Lanes::done`] with its lane when it has finished.
    pub fn take(&self) -> Option<StoredEvent> {
        let mut state = self.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some(tenant) = state.turn.pop_front() {
                state.in_turn.remove(&tenant);
                let now = Instant::now();
                state.expire(now, self.active_for);
                // Its share may have shrunk since it was put in the round (another
                // tenant became active): it is offered a turn again when one of its
                // events is done.
                let running = state.tenants.get(&tenant).map_or(0, |l| l.running);
                if running >= self.share(&state) {
                    continue;
                }
                state.touch(&tenant, now);
                let lanes = state.tenants.get_mut(&tenant).expect("a tenant in turn");
                let ticket = lanes.ready.pop_front().expect("a ready lane");
                lanes.running += 1;
                let lane = (tenant.clone(), ticket);
                let event = state
                    .queues
                    .get_mut(&lane)
                    .and_then(VecDeque::pop_front)
                    .expect("a ready lane has an event");
                state.running.insert(lane);
                self.offer_turn(&mut state, &tenant);
                return Some(event);
            }
            state = self.wake.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Marks the event of `lane` handed out by [`Lanes::take`] as finished: the lane
    /// may hand out its next event.
    pub fn done(&self, lane: &LaneKey) {
        let mut state = self.lock();
        state.expire(Instant::now(), self.active_for);
        state.running.remove(lane);
        let (tenant, ticket) = lane;
        if let Some(backlog) = state.backlog.get_mut(tenant) {
            *backlog -= 1;
            if *backlog == 0 {
                state.backlog.remove(tenant);
            }
        }
        let more = state.queues.get(lane).is_some_and(|q| !q.is_empty());
        if !more {
            state.queues.remove(lane);
        }
        let Some(lanes) = state.tenants.get_mut(tenant) else {
            return;
        };
        lanes.running -= 1;
        if more {
            lanes.ready.push_back(ticket.clone());
        }
        if lanes.ready.is_empty() && lanes.running == 0 {
            state.tenants.remove(tenant);
        } else {
            self.offer_turn(&mut state, tenant);
        }
        self.wake.notify_one();
    }

    /// Stops handing out events, wakes every waiting worker, and returns the events
    /// still queued (they are pending in the store, for the next start).
    pub fn close(&self) -> Vec<StoredEvent> {
        let mut state = self.lock();
        state.closed = true;
        state.turn.clear();
        state.in_turn.clear();
        state.tenants.clear();
        state.backlog.clear();
        state.active.clear();
        state.seen.clear();
        let left = state.queues.drain().flat_map(|(_, queue)| queue).collect();
        self.wake.notify_all();
        left
    }

    /// How many of `tenant`'s events are queued or being processed. O(1).
    pub fn backlog(&self, tenant: &str) -> usize {
        self.lock().backlog.get(tenant).copied().unwrap_or(0)
    }

    /// Whether [`Lanes::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    fn event(tenant: &str, ticket: &str, seq: u64) -> StoredEvent {
        let line = include_str!("../../../examples/triage/events.jsonl")
            .lines()
            .next()
            .expect("an example event");
        let mut event: Event = serde_json::from_str(line).expect("a valid event");
        event.ticket.as_mut().expect("a ticket").id = ticket.to_string();
        StoredEvent {
            seq,
            tenant: tenant.to_string(),
            event,
            depth: 0,
            received_at: chrono::Utc::now(),
            target_plugin: None,
        }
    }

    fn take(lanes: &Lanes) -> (String, String, u64) {
        let e = lanes.take().expect("an event");
        let (tenant, ticket) = lane_of(&e);
        (tenant, ticket, e.seq)
    }

    #[test]
    fn a_ticket_hands_out_one_event_at_a_time_in_order() {
        let lanes = Lanes::new(4);
        for seq in 1..=3 {
            lanes.push(event("a", "t1", seq)).unwrap();
        }
        lanes.push(event("a", "t2", 4)).unwrap();
        assert_eq!(take(&lanes), ("a".into(), "t1".into(), 1));
        // t1 is busy: the next event is t2's, not t1's second.
        assert_eq!(take(&lanes), ("a".into(), "t2".into(), 4));
        lanes.done(&("a".into(), "t1".into()));
        assert_eq!(take(&lanes), ("a".into(), "t1".into(), 2));
        lanes.done(&("a".into(), "t1".into()));
        assert_eq!(take(&lanes), ("a".into(), "t1".into(), 3));
    }

    #[test]
    fn a_tenants_backlog_counts_its_queued_and_running_events() {
        let lanes = Lanes::new(4);
        for seq in 1..=3 {
            lanes.push(event("a", "t1", seq)).unwrap();
        }
        lanes.push(event("b", "t9", 4)).unwrap();
        assert_eq!((lanes.backlog("a"), lanes.backlog("b")), (3, 1));
        let (tenant, ticket, _) = take(&lanes);
        // Taken, not done: still the tenant's.
        assert_eq!(lanes.backlog(&tenant), if tenant == "a" { 3 } else { 1 });
        lanes.done(&(tenant.clone(), ticket));
        assert_eq!(lanes.backlog(&tenant), if tenant == "a" { 2 } else { 0 });
        assert_eq!(lanes.backlog("nobody"), 0);
        lanes.close();
        assert_eq!(lanes.backlog("a"), 0);
    }

    #[test]
    fn tenants_take_turns_and_none_takes_more_than_its_share() {
        // Cores enough that the cap of workers is what binds.
        let lanes = Lanes::sharing(2, 64, ACTIVE_FOR);
        for n in 0..10 {
            lanes.push(event("flood", &format!("t{n}"), n)).unwrap();
        }
        lanes.push(event("quiet", "q", 100)).unwrap();
        let first = take(&lanes);
        let second = take(&lanes);
        let third = take(&lanes);
        assert_eq!(first.0, "flood");
        // The quiet tenant is served second, not after the flood.
        assert_eq!(second.0, "quiet");
        assert_eq!(third.0, "flood");
        // The flooding tenant has its two workers: a fourth worker finds nothing
        // to take until one of them is done.
        let lanes = std::sync::Arc::new(lanes);
        let waiting = {
            let lanes = lanes.clone();
            std::thread::spawn(move || take(&lanes))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !waiting.is_finished(),
            "a third flood worker was handed out"
        );
        lanes.done(&("flood".into(), first.1.clone()));
        let fourth = waiting.join().unwrap();
        assert_eq!(fourth.0, "flood");
    }

    /// On 2 cores, a flooding tenant alone gets its 3 workers; once another tenant
    /// is active it gets one (the share of the cores), and its 3 again once the
    /// other has been quiet for the activity window.
    #[test]
    fn active_tenants_share_the_cores() {
        let window = std::time::Duration::from_millis(300);
        let lanes = Lanes::sharing(3, 2, window);
        for n in 0..10 {
            lanes.push(event("flood", &format!("t{n}"), n)).unwrap();
        }
        let alone: Vec<_> = (0..3).map(|_| take(&lanes)).collect();
        assert!(alone.iter().all(|(tenant, ..)| tenant == "flood"));
        lanes.push(event("quiet", "q", 100)).unwrap();
        for (_, ticket, _) in &alone {
            lanes.done(&("flood".into(), ticket.clone()));
        }
        // Two active tenants on 2 cores: one worker each.
        let first = take(&lanes);
        let second = take(&lanes);
        let mut tenants = [first.0.clone(), second.0.clone()];
        tenants.sort();
        assert_eq!(tenants, ["flood".to_string(), "quiet".to_string()]);
        let lanes = std::sync::Arc::new(lanes);
        let waiting = {
            let lanes = lanes.clone();
            std::thread::spawn(move || take(&lanes))
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(
            !waiting.is_finished(),
            "the flood got a second worker while another tenant was active"
        );
        let quiet = if first.0 == "quiet" { &first } else { &second };
        lanes.done(&("quiet".into(), quiet.1.clone()));
        // Quiet for longer than the window: the flood has its 3 workers again.
        std::thread::sleep(window + std::time::Duration::from_millis(100));
        let flood = if first.0 == "flood" { &first } else { &second };
        lanes.done(&("flood".into(), flood.1.clone()));
        let again = waiting.join().unwrap();
        assert_eq!(again.0, "flood");
        let more: Vec<_> = (0..2).map(|_| take(&lanes)).collect();
        assert!(more.iter().all(|(tenant, ..)| tenant == "flood"));
    }

    #[test]
    fn closing_returns_what_was_queued_and_ends_the_waits() {
        let lanes = std::sync::Arc::new(Lanes::new(1));
        let waiting = {
            let lanes = lanes.clone();
            std::thread::spawn(move || lanes.take().is_none())
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        lanes.push(event("a", "t", 1)).unwrap();
        let _ = waiting.join();
        lanes.push(event("a", "t", 2)).unwrap();
        lanes.push(event("b", "t", 3)).unwrap();
        let left = lanes.close();
        assert!(lanes.is_closed());
        assert!(!left.is_empty());
        assert!(lanes.take().is_none());
        assert!(lanes.push(event("a", "t", 4)).is_err());
    }
}
