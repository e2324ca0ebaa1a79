//! Delivery of applied actions to the tenants' webhooks, at least once, from the
//! durable outbox that the pipeline fills in the same transaction as the actions.
//!
//! A delivery is a JSON `POST` signed with HMAC-SHA256: the header
//! `X-Guichet-Signature: sha256=<hex>` is the HMAC, keyed by the webhook's secret, of
//! `<X-Guichet-Timestamp>.<body>`, so a receiver can check both the origin and the
//! freshness. A 2xx answer removes the item; anything else (or no answer within the
//! timeout) schedules a retry after an exponentially growing delay; after
//! [`OutboxConfig::max_attempts`] the item goes to the tenant's dead letters, which
//! an admin can read and replay. Items survive restarts: the worker resumes them.
//!
//! Deliveries to different endpoints never wait on each other. A dispatcher reads
//! what is due from the store's index by due time (never the whole outbox) every
//! [`OutboxConfig::poll`], and as soon as an endpoint is free again; it hands each
//! endpoint (a tenant's webhook) with due items to one of [`DELIVERY_WORKERS`]
//! workers, with at most [`BATCH`] of its items in due order. An endpoint has at most
//! one attempt in flight, so its deliveries keep their order, and one that hangs
//! holds only its own worker, for at most [`OutboxConfig::timeout`] per attempt,
//! while the other endpoints' deliveries go on. Only when more endpoints than there
//! are workers have due items at once do some wait for a free worker.
//!
//! The delivery owns delivery only, and never changes tickets.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::clock::Clock;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::metrics::{Metrics, Outcome};
use crate::store::{OutboxItem, Store, StoreError};

/// How many endpoints are delivered to at once, each by its own worker thread.
pub const DELIVERY_WORKERS: usize = 32;
/// The most items of one endpoint handed to its worker at once.
pub const BATCH: usize = 64;
/// Due items read from the store per page.
const PAGE: usize = 256;

/// Settings of webhook delivery.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// The delay before the first retry; each further retry waits twice as long.
    pub first_retry: Duration,
    /// The longest wait between two attempts.
    pub max_retry: Duration,
    /// Attempts before an item goes to the dead letters.
    pub max_attempts: u32,
    /// How long a receiver has to answer (connection, request and answer).
    pub timeout: Duration,
    /// How often the dispatcher looks for due items when no worker wakes it sooner.
    pub poll: Duration,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            first_retry: Duration::from_secs(1),
            max_retry: Duration::from_secs(600),
            max_attempts: 10,
            timeout: Duration::from_secs(10),
            poll: Duration::from_millis(100),
        }
    }
}

/// The signature header's value for `body` sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// An endpoint: tenant and webhook name.
type Endpoint = (String, String);

/// What the dispatcher and the workers share.
struct Shared {
    store: Arc<dyn Store>,
    config: OutboxConfig,
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    stop: AtomicBool,
    state: Mutex<State>,
    /// Workers wait here for a job.
    work: Condvar,
    /// The dispatcher waits here for the next poll, or an endpoint set free.
    freed: Condvar,
}

#[derive(Default)]
struct State {
    /// Endpoints whose items are handed to a worker (queued or in progress); their
    /// other items are not handed out until the worker is done with these.
    busy: HashSet<Endpoint>,
    /// Items of one endpoint each, waiting for a worker.
    jobs: VecDeque<Vec<OutboxItem>>,
    /// An endpoint was set free since the dispatcher last looked.
    freed: bool,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A worker that panicked leaves the state consistent: each change is one
        // statement.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The running delivery: a dispatcher and its workers.
pub struct Delivery {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Delivery {
    /// Starts delivering. Due times and signature timestamps come from `clock`: on a
    /// simulated clock, a retry waits until the clock is moved past it.
    pub fn start(
        store: Arc<dyn Store>,
        config: OutboxConfig,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
    ) -> Delivery {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .build()
            .into();
        let shared = Arc::new(Shared {
            store,
            config,
            metrics,
            clock,
            stop: AtomicBool::new(false),
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            freed: Condvar::new(),
        });
        let mut threads = Vec::with_capacity(DELIVERY_WORKERS + 1);
        for n in 0..DELIVERY_WORKERS {
            let (shared, agent) = (shared.clone(), agent.clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("guichet-outbox-{n}"))
                    .spawn(move || work(&shared, &agent))
                    .expect("spawn an outbox worker"),
            );
        }
        let dispatcher = shared.clone();
        threads.push(
            std::thread::Builder::new()
                .name("guichet-outbox".to_string())
                .spawn(move || dispatch_until_stopped(&dispatcher))
                .expect("spawn the outbox dispatcher"),
        );
        Delivery { shared, threads }
    }

    /// Stops after the attempts in progress (each ends within
    /// [`OutboxConfig::timeout`]); queued items stay in the store.
    pub fn stop(self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        {
            // Under the lock, so that no thread misses the wake-up between its
            // check and its wait.
            let _state = self.shared.state();
            self.shared.work.notify_all();
            self.shared.freed.notify_all();
        }
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn dispatch_until_stopped(shared: &Shared) {
    while !shared.stopping() {
        if let Err(e) = dispatch(shared) {
            tracing::error!(error = %e, "outbox: cannot read the store");
        }
        let mut state = shared.state();
        if !state.freed && !shared.stopping() {
            state = shared
                .freed
                .wait_timeout(state, shared.config.poll)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        state.freed = false;
    }
}

/// Hands the due items of free endpoints to the workers: O(log n + d) in the
/// outbox for the d items due, at most one job per free worker.
fn dispatch(shared: &Shared) -> Result<(), StoreError> {
    // Only this thread makes endpoints busy: a copy can only be too cautious (an
    // endpoint set free meanwhile waits for the next round).
    let busy = shared.state().busy.clone();
    let free = DELIVERY_WORKERS.saturating_sub(busy.len());
    if free == 0 {
        return Ok(());
    }
    let now = shared.clock.now();
    let mut jobs: Vec<Vec<OutboxItem>> = Vec::new();
    let mut slot: HashMap<Endpoint, usize> = HashMap::new();
    let mut after: Option<OutboxItem> = None;
    loop {
        let page = shared.store.due_outbox(now, after.as_ref(), PAGE)?;
        let more = page.len() == PAGE;
        after = page.last().cloned();
        for item in page {
            let endpoint = (item.tenant.clone(), item.webhook.clone());
            if busy.contains(&endpoint) {
                continue;
            }
            match slot.get(&endpoint) {
                Some(&i) if jobs[i].len() < BATCH => jobs[i].push(item),
                Some(_) => {}
                None if jobs.len() < free => {
                    slot.insert(endpoint, jobs.len());
                    jobs.push(vec![item]);
                }
                None => {}
            }
        }
        // Every free worker has a job: what is left waits for the next round.
        if !more || jobs.len() >= free {
            break;
        }
    }
    if jobs.is_empty() {
        return Ok(());
    }
    let mut state = shared.state();
    for job in jobs {
        state
            .busy
            .insert((job[0].tenant.clone(), job[0].webhook.clone()));
        state.jobs.push_back(job);
    }
    shared.work.notify_all();
    Ok(())
}

/// A worker: takes one endpoint's items at a time and attempts each in order.
fn work(shared: &Shared, agent: &ureq::Agent) {
    loop {
        let job = {
            let mut state = shared.state();
            loop {
                if shared.stopping() {
                    return;
                }
                if let Some(job) = state.jobs.pop_front() {
                    break job;
                }
                state = shared.work.wait(state).unwrap_or_else(|e| e.into_inner());
            }
        };
        let endpoint = (job[0].tenant.clone(), job[0].webhook.clone());
        for item in job {
            if shared.stopping() {
                break;
            }
            if let Err(e) = attempt(shared, agent, item) {
                tracing::error!(error = %e, "outbox: cannot write to the store");
            }
        }
        // Every item of the job is removed or rescheduled in the store before its
        // endpoint is free again, so that none is handed out twice.
        let mut state = shared.state();
        state.busy.remove(&endpoint);
        state.freed = true;
        shared.freed.notify_one();
    }
}

/// One attempt at one delivery, and what follows from its outcome in the store.
fn attempt(shared: &Shared, agent: &ureq::Agent, item: OutboxItem) -> Result<(), StoreError> {
    let (store, config, clock) = (shared.store.as_ref(), &shared.config, &shared.clock);
    let Some(webhook) = store.webhook(&item.tenant, &item.webhook)? else {
        let mut item = item;
        item.last_error = Some("the webhook was removed".to_string());
        return store.dead_letter(&item);
    };
    let timestamp = clock.now().timestamp();
    let answer = agent
        .post(&webhook.url)
        .header("Content-Type", "application/json")
        .header("X-Guichet-Delivery", &item.id)
        .header("X-Guichet-Timestamp", timestamp.to_string())
        .header(
            "X-Guichet-Signature",
            signature(&webhook.secret, timestamp, &item.body),
        )
        .send(item.body.as_str());
    let failure = match answer {
        Ok(response) if response.status().is_success() => None,
        Ok(response) => Some(format!("the receiver answered {}", response.status())),
        Err(e) => Some(format!("no answer: {e}")),
    };
    let outcome = if failure.is_none() { "ok" } else { "error" };
    shared
        .metrics
        .deliveries
        .get_or_create(&Outcome { outcome })
        .inc();
    match failure {
        None => {
            tracing::info!(tenant = %item.tenant, webhook = %item.webhook, id = %item.id, "delivered");
            store.remove_outbox(&item.tenant, &item.id)
        }
        Some(error) => {
            let mut item = item;
            item.attempts += 1;
            tracing::warn!(
                tenant = %item.tenant, webhook = %item.webhook, id = %item.id,
                attempts = item.attempts, %error, "delivery failed"
            );
            item.last_error = Some(error);
            if item.attempts >= config.max_attempts {
                store.dead_letter(&item)
            } else {
                let wait = config
                    .first_retry
                    .saturating_mul(1 << (item.attempts - 1).min(20))
                    .min(config.max_retry);
                item.next_attempt_at =
                    clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                store.update_outbox(&item)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_an_hmac_of_the_timestamp_and_the_body() {
        // Computed independently: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
        assert_eq!(
            signature("key", 1_700_000_000, "{}"),
            "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
