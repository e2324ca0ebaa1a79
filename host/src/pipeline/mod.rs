//! The event pipeline: from an event accepted (already durable in the [`Store`]) to
//! its plugins' decisions applied to the ticket, audited and committed.
//!
//! Ordering and fairness: events wait in one lane per (tenant, ticket) and a fixed
//! set of worker threads takes them (see `lanes`): the events of one ticket are
//! processed one at a time, in the order they were accepted, while different
//! tickets proceed in parallel; tenants take turns for free workers, and none may
//! hold more than [`PipelineConfig::max_workers_per_tenant`] of them, nor, while
//! several tenants are active, more than its share of the machine's cores, so one
//! tenant's slow plugins or flood of events cannot hold up another tenant's events.
//!
//! Processing an event: the stored ticket is brought up to date by the event; the
//! tenant's enabled automation plugins subscribed to the event's kind run in their
//! order, each seeing the ticket as the previous ones left it; their actions are
//! applied; the resulting ticket, one audit record per plugin call, the plugins'
//! storage writes and the follow-up events (status, assignment and tag changes) are
//! committed in one transaction. Follow-ups run like any event, one cascade level
//! deeper; past [`PipelineConfig::cascade_limit`] they are not created and the audit
//! says so. A merge's messages reach its target as a `merged_in` event in the
//! target's lane (never dropped by the cascade limit), and a message for a merged
//! ticket is sent on, in the same way, to the end of its chain of merges (`merge`,
//! `landing`). When plugins returned actions, one delivery per webhook of the
//! tenant joins the same transaction (the `outbox` module delivers them).
//!
//! Crash safety: an event leaves the pending list only in the transaction that
//! commits its effects, so after a crash [`Pipeline::start`] finds the unprocessed
//! events and processes them again.
//!
//! Several workers on one store (PostgreSQL): the lanes order a ticket's events
//! within this process only, so a worker also asks the store, before it processes
//! an event, whether an earlier event of its ticket is still pending (with another
//! worker); such an event goes to the back of its lane and is looked at again
//! shortly. A commit the store refuses (another worker got there first) is looked
//! at again the same way. Every second a thread takes over the pending events of
//! workers that died ([`Workers::take_over`](crate::store::Workers::take_over)).
//!
//! Stopping ([`Pipeline::shutdown`]) is bounded: the workers go on for at most
//! [`PipelineConfig::drain`] to finish what is queued, then stop; an event still
//! queued, or one whose plugins were still running, is left pending (nothing of it
//! was committed) for the next start. The longest a stop takes is the drain, plus
//! one plugin call (its deadline), plus the store's flush.
//!
//! The rules of each step live beside this worker, each in its module, pure where
//! it can be: `apply` (how an event and actions change a ticket, which follow-ups
//! that makes), `timers` (which timer changes actions may make, and what a closed
//! ticket's timers become), `merge` (what a merge may target and what it carries),
//! `landing` (where a merge's messages and a merged ticket's messages land),
//! `audit` (the records of an event, and the host's own
//! wording), `notice` (the typed body that webhooks and the live stream get), `lanes`
//! (order and fairness) and `plugins` (compiled components and what a call may read).
//!
//! This module must not know about HTTP; it reports outcomes through
//! [`Pipeline::submit`]'s receiver.

mod apply;
mod audit;
mod breaker;
pub mod intake;
mod landing;
mod lanes;
pub(crate) mod merge;
mod notice;
mod outbound;
mod plugins;
mod step;
mod timers;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::model::{Action, InboundBatch, IncomingRequest, Ticket, Timestamp};
use crate::runtime::{CallLimits, CallReport, Runtime, World};
use crate::store::{InstalledPlugin, PluginLimits, Store, StoreError, StoredEvent};
use crate::timekeeper::{Bell, Dispatch};

use lanes::Lanes;

pub use apply::{
    apply_actions, effective, follow_ups, land_merged, overtaken, stays_merged, ticket_after_event,
};
pub use notice::ActionsNotice;
pub use plugins::{PluginCache, PluginCacheError};
pub use timers::{MAX_TIMERS_PER_TICKET, MIN_TIMER_DELAY};

/// Settings of the pipeline.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Worker threads, shared by all tenants.
    pub workers: usize,
    /// Most workers one tenant's events may occupy at once (at least 1); `None`,
    /// the default, is all of them but one (at least 1): a single tenant keeps
    /// nearly all the throughput, and a worker is always left to the other tenants
    /// whatever one tenant sends or its plugins do. While several tenants are
    /// active, each also holds at most the cores divided among them (at least one
    /// worker; see `lanes`).
    pub max_workers_per_tenant: Option<usize>,
    /// How many levels of follow-up events one outside event may cause.
    pub cascade_limit: u32,
    /// The limits of a call, unless the plugin has its own (see [`limits_for`]).
    ///
    /// [`limits_for`]: PipelineConfig::limits_for
    pub limits: CallLimits,
    /// The most a tenant's admin may give one plugin (fuel, deadline, memory): the
    /// operator's maxima. Settings beyond them are refused.
    pub max_limits: CallLimits,
    /// After how many failed calls in a row a plugin is suspended, unless it sets
    /// its own `suspend_after`; 0: never.
    pub suspend_after: u32,
    /// How many of a tenant's events may wait or be processed at once (follow-ups,
    /// timers and ticks included) before its new events are refused until the backlog
    /// shrinks (see [`Pipeline::admit`]).
    pub max_backlog_per_tenant: usize,
    /// At shutdown, how long the workers go on with queued events before they
    /// stop; what is left stays pending in the store for the next start.
    pub drain: Duration,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            workers: 4,
            max_workers_per_tenant: None,
            cascade_limit: 5,
            limits: CallLimits::default(),
            max_limits: default_maxima(),
            suspend_after: 5,
            max_backlog_per_tenant: 10_000,
            drain: Duration::from_secs(5),
        }
    }
}

/// The operator's maxima unless set: the default fuel (the deadline binds first), a
/// 1,000 ms deadline and 256 MiB of memory.
pub fn default_maxima() -> CallLimits {
    CallLimits {
        deadline: Duration::from_millis(1000),
        memory_bytes: 256 << 20,
        ..CallLimits::default()
    }
}

impl PipelineConfig {
    /// The limits of a call of a plugin with `own` limits: each one it sets (checked
    /// against [`max_limits`](PipelineConfig::max_limits) when it was set, and capped
    /// by them here too), the service's default for the others.
    pub fn limits_for(&self, own: &PluginLimits) -> CallLimits {
        let mut limits = self.limits.clone();
        if let Some(fuel) = own.fuel {
            limits.fuel = fuel.min(self.max_limits.fuel);
        }
        if let Some(ms) = own.deadline_ms {
            limits.deadline = Duration::from_millis(ms).min(self.max_limits.deadline);
        }
        if let Some(bytes) = own.memory_bytes {
            let bytes = usize::try_from(bytes).unwrap_or(usize::MAX);
            limits.memory_bytes = bytes.min(self.max_limits.memory_bytes);
        }
        limits
    }
}

/// What processing one event decided: what `?wait=true` answers.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct EventOutcome {
    pub seq: u64,
    pub event_id: String,
    /// One entry per plugin that ran, in order.
    pub decisions: Vec<Decision>,
    /// The ticket after the event (none for a scheduled tick).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<Ticket>,
}

/// One plugin's part in an [`EventOutcome`].
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub plugin: String,
    pub actions: Vec<Action>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A tenant's backlog is full: its new events wait for it to shrink.
#[derive(Debug, thiserror::Error)]
#[error(
    "the tenant has {backlog} events waiting to be processed and may have at most {limit}; \
     nothing of this request was stored: send it again in a moment"
)]
pub struct Backlogged {
    pub backlog: usize,
    pub limit: usize,
}

/// Why an event could not be processed (it stays pending and is retried at the next
/// start).
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("event {0} names no ticket")]
    NoTicket(String),
    /// The pipeline is stopping: the event was left as it was, pending.
    #[error("the pipeline is stopping; event left pending for the next start")]
    Stopping,
}

struct Shared {
    metrics: Arc<Metrics>,
    clock: Arc<dyn Clock>,
    /// Rung when a plugin sets a timer (see the `timekeeper` module).
    bell: Arc<Bell>,
    /// Notices of applied actions, for live listeners (the API's stream).
    actions: notice::NoticeSender,
    store: Arc<dyn Store>,
    runtime: Arc<Runtime>,
    plugins: PluginCache,
    config: PipelineConfig,
    waiters: Mutex<HashMap<(String, u64), oneshot::Sender<EventOutcome>>>,
    /// Events waiting for an earlier event of their ticket (with another worker):
    /// how many times each was looked at, for its next wait.
    waiting: Mutex<HashMap<(String, u64), u32>>,
    /// Events handed to workers and not finished yet (including follow-ups).
    in_flight: AtomicUsize,
    lanes: Lanes,
    breaker: breaker::Breaker,
}

/// The running pipeline. Cheap to clone.
#[derive(Clone)]
pub struct Pipeline {
    shared: Arc<Shared>,
    workers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Pipeline {
    /// Starts the workers and hands them every event left pending by an earlier run,
    /// in sequence order per tenant.
    pub fn start(
        store: Arc<dyn Store>,
        runtime: Arc<Runtime>,
        config: PipelineConfig,
        metrics: Arc<Metrics>,
        clock: Arc<dyn Clock>,
        bell: Arc<Bell>,
    ) -> Result<Pipeline, PipelineError> {
        let plugins = PluginCache::new(runtime.clone(), store.clone());
        let lanes = Lanes::new(
            config
                .max_workers_per_tenant
                .unwrap_or(config.workers.saturating_sub(1))
                .max(1),
        );
        let shared = Arc::new(Shared {
            metrics,
            clock,
            bell,
            // Listeners that fall this far behind skip ahead (and are told so).
            actions: tokio::sync::broadcast::channel(1024).0,
            store: store.clone(),
            runtime,
            plugins,
            config,
            waiters: Mutex::new(HashMap::new()),
            waiting: Mutex::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
            lanes,
            breaker: breaker::Breaker::default(),
        });
        let workers = (0..shared.config.workers.max(1))
            .map(|n| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("guichet-pipeline-{n}"))
                    .spawn(move || worker(shared))
                    .expect("spawn a pipeline worker")
            })
            .collect();
        let pipeline = Pipeline {
            shared,
            workers: Arc::new(Mutex::new(workers)),
        };
        // The events left pending by an earlier run (on a shared store: by workers
        // that stopped), then, while running, those of workers that die.
        loop {
            let pending = store.take_over(TAKE_OVER_BATCH)?;
            if pending.is_empty() {
                break;
            }
            tracing::info!(events = pending.len(), "resuming events left pending");
            pipeline
                .shared
                .metrics
                .events_taken_over
                .inc_by(pending.len() as u64);
            for event in pending {
                pipeline.dispatch(event);
            }
        }
        let sweeper = pipeline.shared.clone();
        lock(&pipeline.workers).push(
            std::thread::Builder::new()
                .name("guichet-take-over".to_string())
                .spawn(move || take_over_until_closed(&sweeper))
                .expect("spawn the take-over thread"),
        );
        Ok(pipeline)
    }

    /// The pipeline's settings.
    pub fn config(&self) -> &PipelineConfig {
        &self.shared.config
    }

    /// Whether `tenant` may hand in `count` more events: refused while its backlog
    /// (events queued or being processed) and them would pass
    /// [`PipelineConfig::max_backlog_per_tenant`]. A tenant with nothing waiting is
    /// always admitted, however large its batch. Requests checked at the same moment
    /// may pass the bound by their own sizes. O(1).
    pub fn admit(&self, tenant: &str, count: usize) -> Result<(), Backlogged> {
        let backlog = self.shared.lanes.backlog(tenant);
        let limit = self.shared.config.max_backlog_per_tenant;
        if backlog > 0 && backlog + count > limit {
            return Err(Backlogged { backlog, limit });
        }
        Ok(())
    }

    /// The runtime the pipeline calls plugins on (with its compiled components).
    pub fn runtime(&self) -> Arc<Runtime> {
        self.shared.runtime.clone()
    }

    /// Forgets the failures the circuit breaker counted for a tenant's plugin: called
    /// when an admin resumes it or changes its code or configuration. O(1).
    pub fn reset_breaker(&self, tenant: &str, plugin: &str) {
        self.shared.breaker.reset(tenant, plugin);
    }

    /// Counts an admin's lifting of a suspension (`/metrics`).
    pub fn resumed(&self) {
        self.shared.metrics.plugin_resumptions.inc();
    }

    /// The cache of compiled plugins, shared with the API (uploads validate there).
    pub fn plugins(&self) -> &PluginCache {
        &self.shared.plugins
    }

    /// Hands an event already stored as pending to its worker. With `wait`, the
    /// returned receiver gets the outcome once it is committed.
    pub fn submit(
        &self,
        event: StoredEvent,
        wait: bool,
    ) -> Option<oneshot::Receiver<EventOutcome>> {
        let receiver = wait.then(|| {
            let (tx, rx) = oneshot::channel();
            lock(&self.shared.waiters).insert((event.tenant.clone(), event.seq), tx);
            rx
        });
        self.dispatch(event);
        receiver
    }

    fn dispatch(&self, event: StoredEvent) {
        dispatch(&self.shared, event);
    }

    /// Has channel adapter `installed` of `tenant` check and read `request`, its
    /// platform's webhook delivery (see `Runtime::handle_inbound`), at `now`, under
    /// its call limits. Its storage writes are kept with the delivery (see `EventLog::enqueue_inbound`).
    pub fn read_inbound(
        &self,
        tenant: &str,
        installed: &InstalledPlugin,
        request: &IncomingRequest,
        now: Timestamp,
    ) -> Result<CallReport<InboundBatch>, PluginCacheError> {
        let component = self.shared.plugins.get(installed)?;
        if component.world() != World::ChannelAdapter {
            return Err(PluginCacheError::WrongWorld {
                plugin: installed.name.clone(),
                expected: World::ChannelAdapter,
                actual: component.world(),
            });
        }
        let env = plugins::env_for(&self.shared.store, tenant, installed);
        Ok(self.shared.runtime.handle_inbound(
            &component,
            env,
            request,
            now,
            &self.shared.config.limits_for(&installed.limits),
        ))
    }

    /// The compiled `macros` plugin `installed` of `tenant`, refused when it is of
    /// another world.
    fn macros_component(
        &self,
        installed: &InstalledPlugin,
    ) -> Result<Arc<crate::runtime::PluginComponent>, PluginCacheError> {
        let component = self.shared.plugins.get(installed)?;
        if component.world() != World::Macros {
            return Err(PluginCacheError::WrongWorld {
                plugin: installed.name.clone(),
                expected: World::Macros,
                actual: component.world(),
            });
        }
        Ok(component)
    }

    /// Asks `macros` plugin `installed` of `tenant` for its macros, at `now`, under
    /// its call limits.
    pub fn list_macros(
        &self,
        tenant: &str,
        installed: &InstalledPlugin,
        now: Timestamp,
    ) -> Result<CallReport<Vec<crate::model::MacroInfo>>, PluginCacheError> {
        let component = self.macros_component(installed)?;
        let env = plugins::env_for(&self.shared.store, tenant, installed);
        Ok(self.shared.runtime.list_macros(
            &component,
            env,
            now,
            &self.shared.config.limits_for(&installed.limits),
        ))
    }

    /// Has `macros` plugin `installed` of `tenant` render `request` under the
    /// pipeline's call limits. Nothing is applied: the caller enqueues the result as
    /// a `macro_applied` event.
    pub fn render_macro(
        &self,
        tenant: &str,
        installed: &InstalledPlugin,
        request: &crate::runtime::MacroRequest<'_>,
    ) -> Result<CallReport<crate::model::Rendered>, PluginCacheError> {
        let component = self.macros_component(installed)?;
        let env = plugins::env_for(&self.shared.store, tenant, installed);
        Ok(self.shared.runtime.render_macro(
            &component,
            env,
            request,
            &self.shared.config.limits_for(&installed.limits),
        ))
    }

    /// The events and links of what adapter `adapter` of `tenant` read in one
    /// delivery (see `intake`); new tickets get fresh ids (`tk-` and 64 random bits,
    /// hex). The caller stores them with `EventLog::enqueue_inbound` and hands them over,
    /// one delivery of an adapter at a time and on a task that a caller who hangs up
    /// cannot stop, so that two deliveries never open the same ticket twice.
    pub fn intake(
        &self,
        tenant: &str,
        adapter: &str,
        batch: InboundBatch,
    ) -> Result<intake::Intake, StoreError> {
        let lookup = intake::StoreLookup {
            store: self.shared.store.as_ref(),
            tenant,
            adapter,
        };
        intake::intake(adapter, batch, &lookup, new_ticket_id)
    }

    /// Notices of applied actions from now on, every tenant's (what the webhooks
    /// get). Receivers filter by tenant.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Arc<ActionsNotice>> {
        self.shared.actions.subscribe()
    }

    /// Events accepted and not yet committed.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// Returns once nothing is in flight: every event handed to the workers is
    /// committed, follow-ups included.
    pub fn wait_idle(&self) {
        while self.in_flight() > 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// Stops the workers, in bounded time: they go on with queued events (follow-ups
    /// included) for at most [`PipelineConfig::drain`], then stop. Events still
    /// queued, those of which a plugin was running, and those submitted from then
    /// on are left pending in the store for the next start; their `?wait=true`
    /// callers are told the outcome is not coming. Takes at most the drain, one
    /// plugin call and the store's flush.
    pub fn shutdown(&self) {
        let drain_until = Instant::now() + self.shared.config.drain;
        while self.in_flight() > 0 && Instant::now() < drain_until {
            std::thread::sleep(Duration::from_millis(1));
        }
        let left = self.shared.lanes.close();
        if !left.is_empty() {
            tracing::info!(
                events = left.len(),
                "stopping: queued events left pending for the next start"
            );
        }
        for event in left {
            lock(&self.shared.waiters).remove(&(event.tenant.clone(), event.seq));
            self.shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        }
        for handle in lock(&self.workers).drain(..) {
            let _ = handle.join();
        }
        if let Err(e) = self.shared.store.flush() {
            tracing::error!(error = %e, "flushing the store at shutdown failed");
        }
    }
}

impl Dispatch for Pipeline {
    fn dispatch(&self, event: StoredEvent) {
        dispatch(&self.shared, event);
    }

    fn wait_idle(&self) {
        Pipeline::wait_idle(self);
    }
}

/// A new ticket's id: `tk-` and 64 random bits, hex.
fn new_ticket_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("tk-{:016x}", u64::from_be_bytes(bytes))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn dispatch(shared: &Shared, event: StoredEvent) {
    shared.in_flight.fetch_add(1, Ordering::SeqCst);
    if let Err(event) = shared.lanes.push(event) {
        // Shutting down: the event stays pending in the store for the next start.
        lock(&shared.waiters).remove(&(event.tenant.clone(), event.seq));
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How many pending events a take-over reads at once.
const TAKE_OVER_BATCH: usize = 1000;

/// How often a worker looks for the events of workers that died (on sled, where it
/// is the only worker, it finds none).
const TAKE_OVER_EVERY: Duration = Duration::from_secs(1);

/// How long a worker waits before it looks again at an event whose ticket has an
/// earlier event pending (with another worker): 1 ms, doubled each time the same
/// event is still waiting, up to [`WAIT_FOR_EARLIER_MAX`] (an earlier event held by
/// a worker that died waits seconds for its take-over).
const WAIT_FOR_EARLIER: Duration = Duration::from_millis(1);

/// The longest wait before an event whose ticket has an earlier event pending is
/// looked at again.
const WAIT_FOR_EARLIER_MAX: Duration = Duration::from_millis(50);

/// Takes over the events of workers that died, until the lanes close.
fn take_over_until_closed(shared: &Arc<Shared>) {
    loop {
        // In steps, so that a stop does not wait for a whole period.
        let started = Instant::now();
        while started.elapsed() < TAKE_OVER_EVERY && !shared.lanes.is_closed() {
            std::thread::sleep(Duration::from_millis(50));
        }
        if shared.lanes.is_closed() {
            break;
        }
        match shared.store.take_over(TAKE_OVER_BATCH) {
            Ok(taken) => {
                shared.metrics.events_taken_over.inc_by(taken.len() as u64);
                for event in taken {
                    dispatch(shared, event);
                }
            }
            Err(e) => tracing::error!(error = %e, "taking over pending events failed"),
        }
    }
}

/// Whether the worker may process `event` now; when not, what it does instead.
fn ready(shared: &Arc<Shared>, event: &StoredEvent) -> bool {
    let lane = lanes::lane_of(event);
    let readiness = shared.store.readiness(&event.tenant, event.seq, &lane.1);
    let key = (event.tenant.clone(), event.seq);
    if !matches!(readiness, Ok(crate::store::Readiness::Waiting { .. })) {
        lock(&shared.waiting).remove(&key);
    }
    match readiness {
        Ok(crate::store::Readiness::Ready) => true,
        Ok(crate::store::Readiness::Done) => {
            // Another worker committed it (it took the event over from this one,
            // thought dead): its outcome is that worker's to tell.
            tracing::info!("already committed by another worker");
            lock(&shared.waiters).remove(&(event.tenant.clone(), event.seq));
            false
        }
        Ok(crate::store::Readiness::Waiting { behind }) => {
            // An earlier event of the ticket is with another worker: this one goes
            // to the back of its lane and is looked at again.
            tracing::debug!(behind, "waiting for an earlier event of the ticket");
            let times = {
                let mut waiting = lock(&shared.waiting);
                let times = waiting.entry(key).or_default();
                *times = times.saturating_add(1);
                *times
            };
            let wait = WAIT_FOR_EARLIER.saturating_mul(1 << times.min(16));
            std::thread::sleep(wait.min(WAIT_FOR_EARLIER_MAX));
            dispatch(shared, event.clone());
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "reading the event's turn failed; trying again");
            // The store is failing: a pause of the longest wait, not a busy loop.
            std::thread::sleep(WAIT_FOR_EARLIER_MAX);
            dispatch(shared, event.clone());
            false
        }
    }
}

fn worker(shared: Arc<Shared>) {
    while let Some(event) = shared.lanes.take() {
        let lane = lanes::lane_of(&event);
        if !ready(&shared, &event) {
            shared.lanes.done(&lane);
            shared.in_flight.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let span = tracing::info_span!(
            "event",
            tenant = %event.tenant,
            ticket = event.event.ticket.as_ref().map_or("", |t| t.id.as_str()),
            seq = event.seq,
            id = %event.event.id,
            kind = event.event.kind.name(),
        );
        let _entered = span.enter();
        match step::process(&shared, &event) {
            Ok((outcome, follow_ups)) => {
                shared.metrics.events_processed.inc();
                for follow_up in follow_ups {
                    dispatch(&shared, follow_up);
                }
                if let Some(waiter) =
                    lock(&shared.waiters).remove(&(event.tenant.clone(), event.seq))
                {
                    let _ = waiter.send(outcome);
                }
            }
            Err(PipelineError::Store(StoreError::Conflict(why))) => {
                // Another worker committed it, or an earlier event of its ticket, in
                // the meantime: nothing was written; its turn is looked at again.
                tracing::info!(%why, "commit conflict; looking at the event again");
                shared.metrics.commit_conflicts.inc();
                dispatch(&shared, event.clone());
            }
            Err(e) => {
                // The event stays pending, retried at the next start; a waiter is
                // dropped, which its caller reports. When the store failed (it may
                // not next time), a shared store's next take-over (a worker's, within
                // a second) tries it again, so that its ticket's later events do not
                // wait for a restart.
                if matches!(e, PipelineError::Stopping) {
                    tracing::info!("stopping: event left pending for the next start");
                } else {
                    tracing::error!(error = %e, "event processing failed; left pending");
                    if matches!(e, PipelineError::Store(StoreError::Backend(_)))
                        && let Err(e) = shared.store.release(&event.tenant, event.seq)
                    {
                        tracing::error!(error = %e, "handing the event back failed");
                    }
                }
                lock(&shared.waiters).remove(&(event.tenant.clone(), event.seq));
            }
        }
        drop(_entered);
        shared.lanes.done(&lane);
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
