//! What the plugin asks of the host, as a trait: the WIT imports in the component,
//! an in-memory stand-in in the native tests.

use crate::guichet::plugin::log::Level;
use crate::guichet::plugin::types::{Identity, Ticket};

/// The host calls the decision uses. Every method costs O(log n) in the tenant's
/// tickets or the plugin's keys, plus what it returns.
pub trait Host {
    /// One ticket by id, with its messages.
    fn get(&self, id: &str) -> Option<Ticket>;
    /// Open tickets (not solved, closed or merged) whose requester has `identity`
    /// (exact kind and value, e-mail without case), newest first, at most 50.
    fn open_by_identity(&self, identity: &Identity) -> Vec<Ticket>;
    /// The plugin's stored value under `key`.
    fn storage_get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `value` under `key`; the error names the key and the reason.
    fn storage_set(&self, key: &str, value: &[u8]) -> Result<(), String>;
    /// Removes `key`.
    fn storage_delete(&self, key: &str);
    /// Writes a log line.
    fn log(&self, level: Level, message: &str);
}
