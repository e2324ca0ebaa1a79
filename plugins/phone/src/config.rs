//! The adapter's configuration, as the tenant's admin sets it (see the README).

use serde::Deserialize;

/// Twilio's REST API, where the SMS replies are sent unless the admin points elsewhere.
pub const DEFAULT_API_BASE_URL: &str = "https://api.twilio.com";

/// The configuration, read the same way by `check-config` and by every call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The Twilio account (`AC…`) the SMS replies are sent from.
    pub account_sid: String,
    /// The account's auth token: the key of `X-Twilio-Signature` and the password of
    /// the REST API's Basic authentication.
    pub auth_token: String,
    /// The status callback URL exactly as pasted in Twilio's console (Twilio signs it).
    pub public_url: String,
    /// The Twilio number (E.164) the SMS replies are sent from.
    pub from_number: String,
    /// Twilio's REST API base URL, without a trailing slash.
    #[serde(default = "default_api_base_url")]
    pub api_base_url: String,
    /// The agents whose phones ring on the number, in cascade order (reported as `rang`).
    #[serde(default)]
    pub agents: Vec<String>,
}

fn default_api_base_url() -> String {
    DEFAULT_API_BASE_URL.to_string()
}

/// One problem found in a configuration: a JSON Pointer and a message.
pub type Problem = (String, String);

impl Config {
    /// Reads `text`, or explains the first reason it cannot be read.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = serde_json::from_str(text)
            .map_err(|e| format!("invalid phone adapter configuration: {e}"))?;
        while config.api_base_url.ends_with('/') {
            config.api_base_url.pop();
        }
        Ok(config)
    }

    /// Every problem with `text`, none if the adapter can work with it.
    pub fn check(text: &str) -> Vec<Problem> {
        let config = match Config::parse(text) {
            Ok(config) => config,
            Err(message) => return vec![(String::new(), message)],
        };
        let mut problems = Vec::new();
        if !config.account_sid.starts_with("AC") {
            problems.push((
                "/account_sid".to_string(),
                format!(
                    "account SID `{}` should start with `AC` (Twilio console, Account Info)",
                    config.account_sid
                ),
            ));
        }
        if config.auth_token.is_empty() {
            problems.push((
                "/auth_token".to_string(),
                "the auth token is empty".to_string(),
            ));
        }
        if !is_http_url(&config.public_url) {
            problems.push((
                "/public_url".to_string(),
                format!(
                    "public URL `{}` should be the absolute https:// URL pasted in Twilio's console",
                    config.public_url
                ),
            ));
        }
        if !config.from_number.starts_with('+') || config.from_number.len() < 4 {
            problems.push((
                "/from_number".to_string(),
                format!(
                    "from number `{}` should be a Twilio number in E.164 form (+15005550006)",
                    config.from_number
                ),
            ));
        }
        if !is_http_url(&config.api_base_url) {
            problems.push((
                "/api_base_url".to_string(),
                format!(
                    "API base URL `{}` should start with https:// or http://",
                    config.api_base_url
                ),
            ));
        }
        for (i, agent) in config.agents.iter().enumerate() {
            if agent.is_empty() {
                problems.push((format!("/agents/{i}"), "an agent id is empty".to_string()));
            }
        }
        problems
    }
}

fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    matches!(rest, Some(host) if !host.is_empty() && !host.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"account_sid": "AC123", "auth_token": "t", "public_url": "https://g.example/v1/inbound/x", "from_number": "+15005550006"}"#;

    #[test]
    fn a_minimal_configuration_gets_the_defaults() {
        let config = Config::parse(GOOD).unwrap();
        assert_eq!(config.api_base_url, "https://api.twilio.com");
        assert!(config.agents.is_empty());
        assert!(Config::check(GOOD).is_empty());
    }

    #[test]
    fn a_trailing_slash_on_the_base_url_is_dropped() {
        let text = GOOD.replace('}', r#", "api_base_url": "http://127.0.0.1:9/"}"#);
        assert_eq!(
            Config::parse(&text).unwrap().api_base_url,
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn unknown_keys_and_missing_secrets_are_problems() {
        let problems = Config::check(&GOOD.replace("auth_token", "authtoken"));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].1.contains("authtoken"), "{problems:?}");

        let bad = r#"{"account_sid": "XX1", "auth_token": "", "public_url": "/hook", "from_number": "0612", "agents": [""]}"#;
        let paths: Vec<String> = Config::check(bad).into_iter().map(|p| p.0).collect();
        assert_eq!(
            paths,
            [
                "/account_sid",
                "/auth_token",
                "/public_url",
                "/from_number",
                "/agents/0"
            ]
        );
    }
}
