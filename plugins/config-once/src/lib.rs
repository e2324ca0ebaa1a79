//! The configuration read once. A plugin that exports `wizer-initialize` has it run
//! by the host once per configuration; the host snapshots the instance and starts
//! every later instance from that snapshot. Whatever `wizer-initialize` keeps in a
//! `static` is then already there when an event arrives.
//!
//! ```text
//! static CONFIG: ConfigOnce<Config> = ConfigOnce::new();
//!
//! impl Guest for Plugin {
//!     fn wizer_initialize() {
//!         CONFIG.read(config::get(), Config::parse);
//!     }
//! }
//!
//! fn on_event(event: Event) -> Result<Vec<Action>, String> {
//!     CONFIG.with(&config::get(), Config::parse, |config| decide(config, &event))?
//! }
//! ```
//!
//! The text read is kept beside the configuration and compared on every call, so a
//! plain instance (no snapshot yet, or a host that does not pre-initialise) and a
//! configuration changed since the snapshot both read the text they are given.

use std::sync::OnceLock;

/// A configuration of type `C` parsed from its text once, for every later call.
pub struct ConfigOnce<C> {
    read: OnceLock<(String, C)>,
}

impl<C> ConfigOnce<C> {
    /// Nothing read yet.
    pub const fn new() -> Self {
        ConfigOnce {
            read: OnceLock::new(),
        }
    }

    /// Parses `text` and keeps the result, for `wizer-initialize`. A text that does
    /// not parse is not kept: each call then parses it and reports its error.
    pub fn read<E>(&self, text: String, parse: impl FnOnce(&str) -> Result<C, E>) {
        if self.read.get().is_none()
            && let Ok(config) = parse(&text)
        {
            let _ = self.read.set((text, config));
        }
    }

    /// Runs `use_it` on the configuration of `text`: the one kept when it was read
    /// from the same text (one comparison of the two texts), else `parse(text)`.
    pub fn with<T, E>(
        &self,
        text: &str,
        parse: impl FnOnce(&str) -> Result<C, E>,
        use_it: impl FnOnce(&C) -> T,
    ) -> Result<T, E> {
        match self.read.get() {
            Some((read_from, config)) if read_from == text => Ok(use_it(config)),
            _ => Ok(use_it(&parse(text)?)),
        }
    }
}

impl<C> Default for ConfigOnce<C> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<u32, String> {
        text.parse().map_err(|_| format!("not a number: {text}"))
    }

    #[test]
    fn the_kept_configuration_serves_its_own_text_only() {
        let once = ConfigOnce::new();
        assert_eq!(once.with("7", parse, |n| n + 1), Ok(8));
        once.read("41".to_string(), parse);
        let mut parsed = false;
        let kept = once.with(
            "41",
            |t| {
                parsed = true;
                parse(t)
            },
            |n| n + 1,
        );
        assert_eq!((kept, parsed), (Ok(42), false));
        assert_eq!(once.with("1", parse, |n| n + 1), Ok(2));
        assert_eq!(
            once.with("x", parse, |n| n + 1),
            Err("not a number: x".into())
        );
    }

    #[test]
    fn a_text_that_does_not_parse_is_not_kept() {
        let once = ConfigOnce::<u32>::new();
        once.read("x".to_string(), parse);
        assert_eq!(once.with("x", parse, |n| *n), Err("not a number: x".into()));
    }
}
