//! `meta-webhooks`: what the channel adapters of Meta's Graph API platforms share, as
//! plain Rust (no WIT types: each adapter maps these to its bindings).
//!
//! - [`config`]: the configuration every such adapter reads (the app's secret, the
//!   verify token, an access token, the id of the Graph node that sends and receives,
//!   where the Graph API is), with the adapter's own names for its two keys.
//! - [`webhook`]: what every webhook request goes through before its content is read:
//!   the `hub.challenge` verification handshake and the `X-Hub-Signature-256` check.
//! - [`notification`]: the `{"object":…,"entry":[…]}` envelope of every notification.
//! - [`pieces`]: a reply cut to the platform's longest message.
//! - [`adapter!`]: the WIT glue every such adapter writes the same way.
//!
//! Used by `plugins/whatsapp` and `plugins/messenger`.

mod adapter;
pub mod config;
pub mod notification;
pub mod webhook;

pub use config::{Config, Keys, Problem};
pub use webhook::{Incoming, accept};

/// `text` cut into pieces of at most `max` characters, at a white space when there is
/// one, so that a long reply goes out as several messages rather than not at all.
pub fn pieces(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some((cut, _)) = rest.char_indices().nth(max) {
        let at = rest[..cut]
            .rfind(char::is_whitespace)
            .filter(|&at| at > 0)
            .unwrap_or(cut);
        pieces.push(rest[..at].trim_end());
        rest = rest[at..].trim_start();
    }
    pieces.push(rest);
    pieces.retain(|piece| !piece.is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_cut_on_characters_not_bytes() {
        assert_eq!(pieces("ééé", 2), ["éé", "é"]);
        assert_eq!(pieces("ab cd ef", 5), ["ab", "cd ef"]);
        assert_eq!(pieces("short", 10), ["short"]);
    }

    #[test]
    fn pieces_are_cut_at_white_space() {
        let long = format!("{} {}", "a".repeat(4000), "b".repeat(200));
        assert_eq!(pieces(&long, 4096), ["a".repeat(4000), "b".repeat(200)]);
        let long = format!("{}\n{}", "a".repeat(1990), "b".repeat(30));
        assert_eq!(pieces(&long, 2000), ["a".repeat(1990), "b".repeat(30)]);
        assert!(pieces("", 10).is_empty());
    }
}
