//! `whatsapp`: a channel adapter for the WhatsApp Business Cloud API.
//!
//! Inbound: Meta's verification handshake, then `messages` notifications signed with
//! `X-Hub-Signature-256`; each message a customer sends becomes a message on their open
//! WhatsApp ticket. Outbound: public replies become Cloud API text messages. The
//! pieces: `messages.rs` (notifications), `replies.rs` (requests), `config.rs`
//! (WhatsApp's keys); what every Meta adapter does (handshake, signature, the
//! configuration's reading, and the WIT glue, written by its `adapter!` macro) is in
//! the `meta-webhooks` crate. See `plugins/whatsapp/README.md`.

mod config;
mod messages;
mod replies;

wit_bindgen::generate!({
    path: "../../wit/v0.3.0",
    world: "guichet:plugin/channel-adapter@0.3.0",
});

meta_webhooks::adapter!(WhatsApp, Whatsapp, "phone number");
