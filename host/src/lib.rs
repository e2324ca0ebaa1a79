//! guichet: an automation runtime for customer-care tickets.
//!
//! A host receives ticket events and runs sandboxed WebAssembly component plugins,
//! written and loaded per tenant, that decide what happens to those tickets. The
//! plugins' contract is the WIT package `guichet:plugin` in `wit/`.
//!
//! Modules:
//! - [`model`]: tickets, events and actions as the host and its JSON speak them;
//! - [`clock`]: the one source of time, real or simulated;
//! - [`diff`]: two versions' decisions on the same events, side by side;
//! - [`replay`]: a candidate version run again over a tenant's recorded events;
//! - [`runtime`]: loading, validating and calling plugin components under limits;
//! - [`harness`]: runs a plugin over a file of events (the integrator's local loop);
//! - [`dev`]: `guichet dev`, a plugin re-run over events on each build, with the diff;
//! - [`reference_plugins`]: the plugins shipped with guichet, built with it;
//! - [`templates`]: the plugin projects `guichet plugin new` writes;
//! - [`store`]: the service's durable state behind a trait, on sled;
//! - [`tenancy`]: tenant and operator tokens;
//! - [`pipeline`]: events to decisions, in order per ticket, audited;
//! - [`timekeeper`]: timers and cron schedules fired as events at their due time;
//! - [`kpi`]: the managers' KPIs, derived as events are committed;
//! - [`outbox`]: signed webhook deliveries of applied actions, with retries;
//! - [`metrics`]: counters and gauges for `GET /metrics`;
//! - [`api`]: the HTTP API; [`serve`]: the service put together.

pub mod api;
pub mod clock;
pub mod dev;
pub mod diff;
pub mod harness;
pub mod kpi;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod pipeline;
pub mod reference_plugins;
pub mod replay;
pub mod runtime;
pub mod serve;
pub mod store;
pub mod templates;
pub mod tenancy;
pub mod timekeeper;
