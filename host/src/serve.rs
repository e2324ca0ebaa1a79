//! `guichet serve`: the store, the runtime, the pipeline, the timekeeper and the HTTP
//! API put together, with a clean start (pending events resumed, timers that fell due
//! while stopped fired) and a clean stop.
//!
//! Stopping (SIGTERM, Ctrl-C, or [`Service::shutdown`]) is bounded in time. At once:
//! the service stops accepting connections (in-flight requests finish), stops firing
//! timers, and webhook delivery stops after the attempt in progress (the rest waits
//! in the outbox). The pipeline goes on with queued events for at most
//! [`PipelineConfig::drain`](crate::pipeline::PipelineConfig::drain) (5 s by
//! default), then stops; a `?wait=true` request whose event was not processed by
//! then is answered that it was not. The store is flushed last. So a stop takes at
//! most the drain plus one plugin call's deadline plus the flush, or the webhook
//! timeout if a delivery is under way and that is longer, whatever the plugins
//! are doing. A warm-up of plugin components still under way (see [`WarmUp`]) stops
//! after the component it is loading, which is milliseconds from the compile cache
//! but can be seconds when compiling an interpreter-embedding component. An event
//! acknowledged but not processed (stopped, or the process died) is still pending in
//! the store and is processed at the next start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::clock::{Clock, SimulatedClock, SystemClock};
use crate::metrics::Metrics;
use crate::outbox::{Delivery, OutboxConfig};
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError};
use crate::runtime::{InstancePool, Runtime, RuntimeConfig, RuntimeError};
use crate::store::{SledStore, Store, StoreError};
use crate::tenancy;
use crate::timekeeper::{Bell, Timekeeper, TimekeeperConfig};

/// Which clock the service runs on.
#[derive(Debug, Clone, Default)]
pub enum ServiceClock {
    /// The system clock: production.
    #[default]
    System,
    /// A simulated clock, moved by [`Service::advance_to`]: tests and replays.
    Simulated(Arc<SimulatedClock>),
}

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where the compiled plugins live, and the sled store unless `store` names a
    /// database.
    pub data_dir: PathBuf,
    /// Which store: `None` for sled in `data_dir/store` (one process); a
    /// `postgres://…` URL for PostgreSQL, which several workers may share.
    pub store: Option<String>,
    pub listen: SocketAddr,
    /// The operator token to accept; when `None`, the one stored earlier is kept, or
    /// one is generated on the first start.
    pub operator_token: Option<String>,
    pub pipeline: PipelineConfig,
    pub outbox: OutboxConfig,
    pub clock: ServiceClock,
    pub timekeeper: TimekeeperConfig,
}

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Server(std::io::Error),
}

/// What the warm-up at start did: every tenant's installed plugins (and shadow
/// candidates) have their component loaded once, deduplicated by SHA-256, so that
/// the first events after a start do not wait for a compilation. It runs on a thread
/// of its own while the service serves; an event that needs a component first waits
/// for that component alone (one compilation either way, see
/// [`PluginCache`](crate::pipeline::PluginCache)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarmUp {
    /// Installed plugins and shadow candidates seen, across every tenant.
    pub plugins: usize,
    /// Distinct components among them (by SHA-256).
    pub components: usize,
    /// Components the runtime compiled, and loaded from the compile cache, while the
    /// warm-up ran (events processed meanwhile may load some of them themselves).
    pub compiled: u64,
    pub loaded: u64,
    /// Distinct components that could not be loaded: each is reported (a warning
    /// naming a tenant and plugin that use it) and skipped.
    pub failed: usize,
    /// Whether the service was stopped before the warm-up was over.
    pub interrupted: bool,
    /// From the start of the warm-up to its end.
    pub duration: Duration,
}

/// The warm-up's thread: its report once over, the flag that stops it early, and the
/// thread to wait for at a stop (it holds the store until it ends).
struct WarmUpTask {
    done: tokio::sync::watch::Receiver<Option<WarmUp>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl WarmUpTask {
    fn start(store: Arc<dyn Store>, runtime: Arc<Runtime>, pipeline: Pipeline) -> WarmUpTask {
        let (report, done) = tokio::sync::watch::channel(None);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let spawned = std::thread::Builder::new()
            .name("guichet-warm-up".into())
            .spawn(move || {
                let warm = warm_up(store.as_ref(), &runtime, &pipeline, &stopping);
                // Let go of the store before anyone is told it is over.
                drop((store, runtime, pipeline));
                tracing::info!(
                    plugins = warm.plugins,
                    components = warm.components,
                    compiled = warm.compiled,
                    loaded = warm.loaded,
                    failed = warm.failed,
                    interrupted = warm.interrupted,
                    ms = warm.duration.as_millis() as u64,
                    "plugin components warmed up"
                );
                let _ = report.send(Some(warm));
            });
        let thread = spawned
            .inspect_err(|e| {
                // Components are then loaded on first use, as without a warm-up.
                tracing::warn!(error = %e, "cannot start the warm-up of plugin components");
            })
            .ok();
        WarmUpTask { done, stop, thread }
    }
}

/// Loads the component of every tenant's installed plugins and shadow candidates,
/// each distinct component once, until `stop` is set. Cost: listing every tenant's
/// plugins (O(tenants + plugins) store reads), then per distinct component a few
/// milliseconds from the compile cache or 0.2–8 s compiling.
fn warm_up(store: &dyn Store, runtime: &Runtime, pipeline: &Pipeline, stop: &AtomicBool) -> WarmUp {
    let started = Instant::now();
    let before = runtime.compilations();
    let mut warm = WarmUp::default();
    let mut seen = std::collections::HashSet::new();
    let tenants = match store.tenants() {
        Ok(tenants) => tenants,
        Err(e) => {
            tracing::warn!(error = %e, "cannot list the tenants to warm their plugins up");
            Vec::new()
        }
    };
    'tenants: for tenant in tenants {
        let plugins = match store.plugins(&tenant.id) {
            Ok(plugins) => plugins,
            Err(e) => {
                tracing::warn!(
                    tenant = %tenant.id,
                    error = %e,
                    "cannot list the tenant's plugins to warm them up"
                );
                continue;
            }
        };
        for plugin in plugins {
            let shadow = plugin.shadow.as_ref().map(|s| &s.source);
            for source in std::iter::once(&plugin.source).chain(shadow) {
                warm.plugins += 1;
                let cache = pipeline.plugins();
                // Distinct components by the SHA-256 of their bytes; a reference
                // this binary does not have is one failure per name.
                let key = cache
                    .sha256_of(source)
                    .unwrap_or_else(|_| format!("{source:?}"));
                if !seen.insert(key) {
                    continue;
                }
                if stop.load(Ordering::Relaxed) {
                    warm.interrupted = true;
                    break 'tenants;
                }
                if let Err(e) = cache.get_source(source) {
                    warm.failed += 1;
                    tracing::warn!(
                        tenant = %tenant.id,
                        plugin = %plugin.name,
                        source = ?source,
                        error = %e,
                        "plugin component cannot be loaded; skipped at start"
                    );
                }
            }
        }
    }
    let after = runtime.compilations();
    warm.components = seen.len();
    warm.compiled = after.compiled - before.compiled;
    warm.loaded = after.loaded - before.loaded;
    warm.duration = started.elapsed();
    warm
}

/// A running service.
pub struct Service {
    warm_up: WarmUpTask,
    addr: SocketAddr,
    generated_operator_token: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServeError>>,
    timekeeper: Arc<Timekeeper>,
    simulated: Option<Arc<SimulatedClock>>,
    pipeline: Pipeline,
}

impl Service {
    /// Opens the store, resumes pending events and starts listening.
    pub async fn start(config: ServeConfig) -> Result<Service, ServeError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            StoreError::Backend(format!("cannot create {}: {e}", config.data_dir.display()))
        })?;
        let store: Arc<dyn Store> = match &config.store {
            None => Arc::new(SledStore::open(&config.data_dir.join("store"))?),
            Some(url) => Arc::new(crate::store::PgStore::connect(url)?),
        };

        let generated_operator_token = match &config.operator_token {
            Some(token) => {
                store.set_operator_token_sha256(&tenancy::operator_hash(token))?;
                None
            }
            None if store.operator_token_sha256()?.is_none() => {
                let (token, hash) = tenancy::issue_operator();
                store.set_operator_token_sha256(&hash)?;
                Some(token)
            }
            None => None,
        };
        store.flush()?;

        let runtime = Arc::new(Runtime::new(RuntimeConfig {
            compile_cache: Some(config.data_dir.join("compiled")),
            default_limits: config.pipeline.limits.clone(),
            // Slots as large as the largest memory the operator lets a plugin have.
            instance_pool: Some(InstancePool {
                max_memory_bytes: config.pipeline.max_limits.memory_bytes,
                ..InstancePool::default()
            }),
            ..RuntimeConfig::default()
        })?);
        let metrics = Arc::new(Metrics::with_compilations(
            runtime.compile_counters().clone(),
        ));
        let (clock, simulated): (Arc<dyn Clock>, _) = match &config.clock {
            ServiceClock::System => (Arc::new(SystemClock), None),
            ServiceClock::Simulated(clock) => (clock.clone(), Some(clock.clone())),
        };
        let bell = Arc::new(Bell::default());
        let pipeline = Pipeline::start(
            store.clone(),
            runtime.clone(),
            config.pipeline.clone(),
            metrics.clone(),
            clock.clone(),
            bell.clone(),
        )?;
        let warm_up = WarmUpTask::start(store.clone(), runtime, pipeline.clone());
        let timekeeper = Arc::new(Timekeeper::start(
            store.clone(),
            clock.clone(),
            Arc::new(pipeline.clone()),
            bell,
            metrics.clone(),
            config.timekeeper.clone(),
        ));
        let delivery = Delivery::start(
            store.clone(),
            config.outbox.clone(),
            metrics.clone(),
            clock.clone(),
        );

        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(ServeError::Server)?;
        let (closing_tx, closing) = tokio::sync::watch::channel(false);
        let idle = pipeline.clone();
        let leaving = store.clone();
        let app = api::router(AppState {
            store,
            pipeline: pipeline.clone(),
            metrics,
            clock,
            closing,
            plugin_changes: Default::default(),
            intake: Default::default(),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let (halt, halting) = oneshot::channel::<()>();
        let keeper = timekeeper.clone();
        let task = tokio::spawn(async move {
            // The pipeline and the delivery stop while the HTTP server finishes its
            // requests, not after: a request waiting on an event's outcome is
            // answered when the pipeline has stopped.
            let halted = tokio::spawn(async move {
                // Also when the server ended on its own (an error): `halt` dropped.
                let _ = halting.await;
                tracing::info!("stopping: finishing accepted events");
                let delivery = tokio::task::spawn_blocking(move || delivery.stop());
                let pipeline = tokio::task::spawn_blocking(move || {
                    // Timers not fired yet wait in the store for the next start.
                    keeper.stop();
                    pipeline.shutdown();
                });
                // Deliveries not made yet stay in the outbox for the next start.
                let (delivery, pipeline) = tokio::join!(delivery, pipeline);
                // What this worker still holds goes to the others (their next
                // take-over, within a second), and its roles are let go.
                if let Err(e) = leaving.leave() {
                    tracing::error!(error = %e, "leaving the workers failed");
                }
                delivery.and(pipeline)
            });
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                    // End the open streams: the graceful shutdown waits for them.
                    let _ = closing_tx.send(true);
                    let _ = halt.send(());
                })
                .await;
            match halted.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "the pipeline did not stop cleanly"),
                Err(e) => tracing::error!(error = %e, "the pipeline did not stop cleanly"),
            }
            tracing::info!("stopped");
            served.map_err(ServeError::Server)
        });
        tracing::info!(%addr, data_dir = %config.data_dir.display(), "guichet is serving");
        Ok(Service {
            warm_up,
            pipeline: idle,
            addr,
            generated_operator_token,
            stop: Some(stop),
            task,
            timekeeper,
            simulated,
        })
    }

    /// On a simulated clock, moves time to `to`, firing every timer and schedule
    /// tick due on the way, in order, each step's events processed before the next
    /// (see [`Timekeeper::advance_to`]). Returns how many were fired.
    ///
    /// # Panics
    /// On the system clock, which nobody moves.
    pub fn advance_to(&self, to: chrono::DateTime<chrono::Utc>) -> Result<usize, StoreError> {
        let clock = self
            .simulated
            .as_ref()
            .expect("advance_to needs a service on a simulated clock");
        self.timekeeper.advance_to(clock, to)
    }

    /// Returns once the pipeline has committed every event handed to it, the
    /// events they caused included (a merge's messages, change events): for tools
    /// and tests that must see the effects of what they sent. Blocks the thread.
    pub fn wait_idle(&self) {
        self.pipeline.wait_idle();
    }

    /// The address the service listens on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The operator token, when this start generated it (the first start without
    /// one given): to show once.
    pub fn generated_operator_token(&self) -> Option<&str> {
        self.generated_operator_token.as_deref()
    }

    /// What the start's warm-up loaded, once it is over (see [`WarmUp`]): for tools,
    /// tests and benchmarks that must know every installed plugin is ready.
    pub async fn warmed_up(&self) -> WarmUp {
        let mut done = self.warm_up.done.clone();
        if let Ok(report) = done.wait_for(Option::is_some).await {
            return report.clone().unwrap_or_default();
        }
        // The warm-up thread ended without a report: it panicked (logged).
        let report = done.borrow().clone();
        report.unwrap_or_default()
    }

    /// Stops the service as described in the module documentation, and waits.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        self.warm_up.stop.store(true, Ordering::Relaxed);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let stopped = match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServeError::Server(std::io::Error::other(e))),
        };
        // A warm-up under way ends after the component it is loading (usually long
        // done by now): after this, nothing holds the store and it can be reopened.
        if let Some(thread) = self.warm_up.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        stopped
    }
}
