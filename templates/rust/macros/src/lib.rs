//! {{name}}: a guichet macros plugin.
//!
//! One macro, `thanks`: greets the requester by name and says which agent (the
//! `agent` variable) looks after the request, signed with the configured signature.
//! Configuration: `{"signature": "The support team"}`.

wit_bindgen::generate!({
    path: "wit",
    world: "{{world}}",
});

use exports::guichet::plugin::config_check::{self, ConfigProblem};
use exports::guichet::plugin::macro_library::{
    Guest, MacroInfo, RenderError, Rendered, Variable,
};
use guichet::plugin::config;
use guichet::plugin::types::{Action, Ticket};

struct Plugin;

impl Guest for Plugin {
    fn list_macros() -> Vec<MacroInfo> {
        vec![MacroInfo {
            id: "thanks".to_string(),
            title: "Thank the requester".to_string(),
            description: "Greets the requester and names the agent in charge.".to_string(),
            channels: Vec::new(),
        }]
    }

    fn render(id: String, ticket: Ticket, variables: Vec<Variable>) -> Result<Rendered, RenderError> {
        if id != "thanks" {
            return Err(RenderError::UnknownMacro(id));
        }
        let agent = variables
            .iter()
            .find(|v| v.name == "agent")
            .map(|v| v.value.clone())
            .ok_or_else(|| RenderError::MissingValue("agent".to_string()))?;
        let config: serde_json::Value = serde_json::from_str(&config::get())
            .map_err(|e| RenderError::Failed(format!("configuration is not valid JSON: {e}")))?;
        let signature = config["signature"].as_str().unwrap_or("The support team");
        let name = ticket.requester.name.as_deref().unwrap_or("there");
        Ok(Rendered {
            body: format!(
                "Hello {name},\n\nThank you for your message. {agent} will look after your request.\n\n{signature}"
            ),
            actions: vec![Action::AddTags(vec!["thanked".to_string()])],
        })
    }
}

/// What is wrong with a configuration, before the service sets it (`check-config`).
impl config_check::Guest for Plugin {
    fn check_config(config: String) -> Vec<ConfigProblem> {
        let problem = |path: &str, message: String| ConfigProblem {
            path: path.to_string(),
            message,
        };
        match serde_json::from_str::<serde_json::Value>(&config) {
            Err(e) => vec![problem("", format!("not valid JSON: {e}"))],
            Ok(config) if !config["signature"].is_null() && !config["signature"].is_string() => {
                vec![problem("/signature", "`signature` must be a string".to_string())]
            }
            Ok(_) => Vec::new(),
        }
    }
}

export!(Plugin);
