//! guichet: an automation runtime for customer-care tickets.
//!
//! A host receives ticket events and runs sandboxed WebAssembly component plugins,
//! written and loaded per tenant, that decide what happens to those tickets. The
//! plugins' contract is the WIT package `guichet:plugin` in `wit/`.
//!
//! Modules:
//! - [`model`]: tickets, events and actions as the host and its JSON speak them;
//! - [`runtime`]: loading, validating and calling plugin components under limits;
//! - [`harness`]: runs a plugin over a file of events (the integrator's local loop);
//! - [`reference_plugins`]: the plugins shipped with guichet, built with it;
//! - [`templates`]: the plugin projects `guichet plugin new` writes.

pub mod harness;
pub mod model;
pub mod reference_plugins;
pub mod runtime;
pub mod templates;
