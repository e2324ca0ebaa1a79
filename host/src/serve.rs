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
//! are doing. An event acknowledged but not processed (stopped, or the process
//! died) is still pending in the store and is processed at the next start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{self, AppState};
use crate::clock::{Clock, SimulatedClock, SystemClock};
use crate::metrics::Metrics;
use crate::outbox::{Delivery, OutboxConfig};
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError};
use crate::runtime::{Runtime, RuntimeConfig, RuntimeError};
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
    pub data_dir: PathBuf,
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

/// A running service.
pub struct Service {
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
        let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.data_dir.join("store"))?);

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
            ..RuntimeConfig::default()
        })?);
        let metrics = Arc::new(Metrics::default());
        let (clock, simulated): (Arc<dyn Clock>, _) = match &config.clock {
            ServiceClock::System => (Arc::new(SystemClock), None),
            ServiceClock::Simulated(clock) => (clock.clone(), Some(clock.clone())),
        };
        let bell = Arc::new(Bell::default());
        let pipeline = Pipeline::start(
            store.clone(),
            runtime,
            config.pipeline.clone(),
            metrics.clone(),
            clock.clone(),
            bell.clone(),
        )?;
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

    /// Stops the service as described in the module documentation, and waits.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ServeError::Server(std::io::Error::other(e))),
        }
    }
}
