//! Which event a pipeline worker takes next.
//!
//! Events wait in *lanes*, one per (tenant, ticket): a lane hands out one event at a
//! time and the next only once that one is done, so the events of a ticket are
//! processed in the order they were queued, while other lanes go on in parallel on
//! other workers. Tenants take turns: a worker that is free serves the next tenant in
//! a round, one event each, and no tenant may occupy more than
//! `max_per_tenant` workers at once. So a tenant whose plugins run to their deadline
//! on every event, or who sends a flood of events, slows itself down and leaves the
//! other workers to the other tenants: another tenant's event waits at most for a
//! worker to finish the event it is on.
//!
//! Every operation is O(1) (hash maps and queues), whatever the number of tickets,
//! tenants or queued events.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

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
}

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
}

#[derive(Default)]
struct TenantLanes {
    ready: VecDeque<String>,
    running: usize,
}

impl Lanes {
    /// Lanes whose tenants may each occupy at most `max_per_tenant` workers (at
    /// least one).
    pub fn new(max_per_tenant: usize) -> Lanes {
        Lanes {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            max_per_tenant: max_per_tenant.max(1),
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
            && lanes.running < self.max_per_tenant
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
        let lanes = Lanes::new(2);
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
