//! {{name}}: a guichet automation plugin.
//!
//! On a new ticket whose subject or requester messages contain one of the configured
//! keywords, it adds the configured tag and raises the priority to high.
//! Configuration: `{"keywords": ["urgent", "asap"], "tag": "urgent"}`.

wit_bindgen::generate!({
    path: "wit",
    world: "{{world}}",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::rules::Guest;
use guichet::plugin::types::{Action, AuthorRole, Event, EventKind, Priority};
use guichet::plugin::{config, log};

struct Plugin;

impl Guest for Plugin {
    fn on_event(event: Event) -> Result<Vec<Action>, String> {
        let (EventKind::TicketCreated, Some(ticket)) = (&event.kind, &event.ticket) else {
            return Ok(Vec::new());
        };
        let config: serde_json::Value = serde_json::from_str(&config::get())
            .map_err(|e| format!("configuration is not valid JSON: {e}"))?;
        let keywords: Vec<String> = config["keywords"]
            .as_array()
            .ok_or("configuration: `keywords` must be a list of words")?
            .iter()
            .filter_map(|k| k.as_str().map(str::to_lowercase))
            .collect();
        let tag = config["tag"].as_str().unwrap_or("urgent").to_string();

        let mut text = ticket.subject.clone().unwrap_or_default();
        for message in &ticket.messages {
            if message.author_role == AuthorRole::Requester {
                text.push(' ');
                text.push_str(&message.body);
            }
        }
        let text = text.to_lowercase();
        if !keywords.iter().any(|k| text.contains(k.as_str())) {
            return Ok(Vec::new());
        }
        log::log(log::Level::Info, &format!("ticket {} looks urgent", ticket.id));
        Ok(vec![Action::AddTags(vec![tag]), Action::SetPriority(Priority::High)])
    }
}

/// What is wrong with a configuration, before the service sets it (`check-config`).
impl config_check::Guest for Plugin {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        let problem = |path: String, message: String| ConfigProblem { path, message };
        let config: serde_json::Value = match serde_json::from_str(&config) {
            Ok(config) => config,
            Err(e) => return vec![problem(String::new(), format!("not valid JSON: {e}"))],
        };
        let mut problems = Vec::new();
        match config["keywords"].as_array() {
            Some(words) => {
                for (n, word) in words.iter().enumerate() {
                    if !word.is_string() {
                        problems.push(problem(
                            format!("/keywords/{n}"),
                            format!("a keyword is a string, not {word}"),
                        ));
                    }
                }
            }
            None => problems.push(problem(
                "/keywords".to_string(),
                "`keywords` must be a list of words".to_string(),
            )),
        }
        if !config["tag"].is_null() && !config["tag"].is_string() {
            problems.push(problem("/tag".to_string(), "`tag` must be a string".to_string()));
        }
        problems
    }
}

export!(Plugin);
