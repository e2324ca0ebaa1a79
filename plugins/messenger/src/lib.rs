//! `messenger`: a channel adapter for Facebook Messenger (the Messenger Platform).
//!
//! Inbound: Meta's verification handshake, then Page notifications signed with
//! `X-Hub-Signature-256`; each message a person sends to the Page becomes a message on
//! their open Messenger ticket. Outbound: public replies go out through the Send API.
//! The pieces: `messages.rs` (notifications), `replies.rs` (requests), `config.rs`
//! (Messenger's keys); what every Meta adapter does (handshake, signature, the
//! configuration's reading, and the WIT glue, written by its `adapter!` macro) is in
//! the `meta-webhooks` crate. See `plugins/messenger/README.md`.

mod config;
mod messages;
mod replies;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

meta_webhooks::adapter!(Messenger, Messenger, "Page");
