//! The service's metrics in the Prometheus / OpenMetrics text format, served at
//! `GET /metrics`: events processed, plugin calls by outcome and their durations,
//! calls ended by a trap or a limit, the pipeline's queue depth, webhook deliveries,
//! the outbox backlog, components compiled or loaded from the compile cache,
//! plugins' pre-initialised copies, and for workers sharing a store: events taken
//! over, commit conflicts and the roles held.
//!
//! Counters are updated where things happen (pipeline, outbox); the gauges are read
//! when scraped. No metric carries a tenant or plugin label, so the endpoint reveals
//! nothing of any tenant and its cardinality stays fixed.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::runtime::CompileCounters;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Outcome {
    /// `ok`, `error` (the plugin refused or trapped) or `limit` (a limit ended it).
    pub outcome: &'static str,
}

/// Why the circuit breaker suspended a plugin: `trap`, `limit`, `error` (an error
/// the plugin returned, or actions the host refused) or `load` (its component could
/// not be loaded).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Cause {
    pub cause: &'static str,
}

/// The state of a plugin's pre-initialised copies: `ready`, `making` or `failed`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SnapshotState {
    pub state: &'static str,
}

/// A task one worker among those sharing a store runs: `timekeeper` or `outbox`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RoleLabel {
    pub role: &'static str,
}

/// Every metric of the service.
pub struct Metrics {
    registry: Registry,
    pub events_processed: Counter,
    pub plugin_calls: Family<Outcome, Counter>,
    pub plugin_call_seconds: Histogram,
    pub deliveries: Family<Outcome, Counter>,
    pub timer_lateness_seconds: Histogram,
    /// Inbound webhook requests to channel adapters, by outcome: `accepted`,
    /// `inbound-rejected` (401), `inbound-malformed` (400) or `adapter-failed`.
    pub inbound_requests: Family<Outcome, Counter>,
    /// Plugins suspended by the circuit breaker, by the cause of the failure that
    /// tripped it (no tenant or plugin label: the API names them).
    pub plugin_suspensions: Family<Cause, Counter>,
    /// Suspended plugins resumed by an admin.
    pub plugin_resumptions: Counter,
    /// Pending events this worker took over: at start, those left by the last run;
    /// on a shared store, those of workers that stopped or died.
    pub events_taken_over: Counter,
    /// Commits refused because another worker committed the event, or an earlier
    /// event of its ticket was still pending (looked at again, nothing lost).
    pub commit_conflicts: Counter,
    /// 1 while this worker holds the role, 0 otherwise.
    pub worker_roles: Family<RoleLabel, Gauge>,
    pipeline_in_flight: Gauge,
    outbox_backlog: Gauge,
    plugin_snapshots: Family<SnapshotState, Gauge>,
    /// The runtime's counters of components compiled and loaded from the compile
    /// cache, shared with it (see [`Metrics::with_compilations`]).
    pub compilations: CompileCounters,
}

impl Default for Metrics {
    /// Metrics whose compile counters are their own (nothing counts them): for a
    /// pipeline without the service's runtime.
    fn default() -> Self {
        Metrics::with_compilations(CompileCounters::default())
    }
}

impl Metrics {
    /// Every metric, the compile counters being the runtime's
    /// ([`Runtime::compile_counters`](crate::runtime::Runtime::compile_counters)).
    pub fn with_compilations(compilations: CompileCounters) -> Self {
        let mut registry = Registry::with_prefix("guichet");
        let events_processed = Counter::default();
        let plugin_calls = Family::<Outcome, Counter>::default();
        // 50 µs to about 1.6 s: Rust plugins sit at the bottom, interpreted ones in
        // the middle, the deadline near the top.
        let plugin_call_seconds = Histogram::new(exponential_buckets(0.000_05, 2.0, 16));
        let deliveries = Family::<Outcome, Counter>::default();
        // 1 ms to about 65 s: a timer should fire within milliseconds of its due
        // time; seconds mean the host is overloaded, the top a restart's catch-up.
        let timer_lateness_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        let inbound_requests = Family::<Outcome, Counter>::default();
        let plugin_suspensions = Family::<Cause, Counter>::default();
        let plugin_resumptions = Counter::default();
        let events_taken_over = Counter::default();
        let commit_conflicts = Counter::default();
        let worker_roles = Family::<RoleLabel, Gauge>::default();
        let pipeline_in_flight = Gauge::default();
        let outbox_backlog = Gauge::default();
        registry.register(
            "events_processed",
            "Events whose processing was committed (follow-ups included)",
            events_processed.clone(),
        );
        registry.register(
            "plugin_calls",
            "Plugin calls by outcome: ok, error (refusal or trap) or limit",
            plugin_calls.clone(),
        );
        registry.register(
            "plugin_call_seconds",
            "Duration of a plugin call, instantiation included",
            plugin_call_seconds.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Delivery attempts (webhooks and adapters' requests) by outcome: ok or error",
            deliveries.clone(),
        );
        registry.register(
            "timer_lateness_seconds",
            "How long after its due time a timer or schedule tick was fired",
            timer_lateness_seconds.clone(),
        );
        registry.register(
            "inbound_requests",
            "Inbound webhook requests to channel adapters by outcome: accepted, \
             inbound-rejected, inbound-malformed or adapter-failed",
            inbound_requests.clone(),
        );
        registry.register(
            "plugin_suspensions",
            "Plugins suspended by the circuit breaker, by the cause of the last failure: \
             trap, limit, error or load (GET /v1/tenants/{tenant}/plugins names them)",
            plugin_suspensions.clone(),
        );
        registry.register(
            "plugin_resumptions",
            "Suspended plugins resumed by an admin",
            plugin_resumptions.clone(),
        );
        registry.register(
            "events_taken_over",
            "Pending events taken over: at start those of the last run, and on a shared \
             store those of workers that stopped or died",
            events_taken_over.clone(),
        );
        registry.register(
            "commit_conflicts",
            "Commits refused because another worker got there first (looked at again)",
            commit_conflicts.clone(),
        );
        registry.register(
            "worker_roles",
            "1 while this worker runs the role (timekeeper, outbox) for the workers \
             sharing its store",
            worker_roles.clone(),
        );
        registry.register(
            "pipeline_in_flight",
            "Events accepted and not yet committed",
            pipeline_in_flight.clone(),
        );
        registry.register(
            "outbox_backlog",
            "Webhook deliveries waiting in the outbox",
            outbox_backlog.clone(),
        );
        let plugin_snapshots = Family::<SnapshotState, Gauge>::default();
        registry.register(
            "plugin_snapshots",
            "Pre-initialised copies of plugins (one per component and configuration) by \
             state: ready, making or failed (the plain component serves those)",
            plugin_snapshots.clone(),
        );
        registry.register(
            "components_compiled",
            "Plugin components compiled from their bytes (not found in the compile cache)",
            compilations.compiled.clone(),
        );
        registry.register(
            "components_loaded",
            "Plugin components loaded from the compile cache instead of compiled",
            compilations.loaded.clone(),
        );
        Metrics {
            registry,
            events_processed,
            plugin_calls,
            plugin_call_seconds,
            deliveries,
            timer_lateness_seconds,
            inbound_requests,
            plugin_suspensions,
            plugin_resumptions,
            events_taken_over,
            commit_conflicts,
            worker_roles,
            pipeline_in_flight,
            outbox_backlog,
            plugin_snapshots,
            compilations,
        }
    }

    /// Notes whether this worker holds `role`.
    pub fn role(&self, role: &'static str, held: bool) {
        self.worker_roles
            .get_or_create(&RoleLabel { role })
            .set(i64::from(held));
    }

    /// Counts an inbound request to a channel adapter by `outcome` (no adapter or
    /// tenant label: one per tenant's adapter would grow without bound).
    pub fn inbound(&self, outcome: &'static str) {
        self.inbound_requests
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    /// Sets the counts of pre-initialised copies by state, read before a scrape.
    pub fn set_snapshots(&self, ready: usize, making: usize, failed: usize) {
        for (state, count) in [("ready", ready), ("making", making), ("failed", failed)] {
            self.plugin_snapshots
                .get_or_create(&SnapshotState { state })
                .set(count as i64);
        }
    }

    /// The text exposition, with the gauges set to the values given.
    pub fn render(&self, in_flight: usize, outbox_backlog: usize) -> String {
        self.pipeline_in_flight.set(in_flight as i64);
        self.outbox_backlog.set(outbox_backlog as i64);
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
