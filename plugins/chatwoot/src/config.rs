//! The adapter's configuration, read the same way by `check-config` and by every
//! call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// The configuration an admin sets (see README.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The Chatwoot installation, without a trailing `/`
    /// (`https://app.chatwoot.com`).
    pub base_url: String,
    /// The account the conversations live in, as digits.
    pub account_id: String,
    /// An access token of a Chatwoot user (Profile settings → Access token).
    pub api_access_token: String,
    /// The webhook's secret (never empty): every delivery must carry a valid
    /// `X-Chatwoot-Signature`.
    pub webhook_secret: String,
    /// guichet agent name → Chatwoot user id.
    pub agents: BTreeMap<String, u64>,
    /// guichet group name → Chatwoot team id.
    pub teams: BTreeMap<String, u64>,
    /// The Chatwoot user id the token belongs to: its messages are guichet's own
    /// replies and are not read back.
    pub api_user_id: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    base_url: String,
    account_id: Value,
    api_access_token: String,
    /// Required; read as optional so that its absence is a problem at its own path.
    #[serde(default)]
    webhook_secret: Option<String>,
    #[serde(default)]
    agents: BTreeMap<String, Value>,
    #[serde(default)]
    teams: BTreeMap<String, Value>,
    #[serde(default)]
    api_user_id: Option<Value>,
}

/// A problem found in a configuration: a JSON Pointer and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl Problem {
    fn new(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A JSON Pointer token (RFC 6901 escaping).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A positive id given as a number or as digits.
fn id_of(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().filter(|id| *id > 0),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u64>().ok().filter(|id| *id > 0)
        }
        _ => None,
    }
}

impl Config {
    /// Reads `text`; every problem found, or the configuration.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        let raw: Raw = serde_json::from_str(text).map_err(|e| {
            vec![Problem::new(
                "",
                format!("invalid chatwoot configuration: {e}"),
            )]
        })?;
        let mut problems = Vec::new();

        let base_url = raw.base_url.trim().trim_end_matches('/').to_string();
        let scheme_ok = base_url.starts_with("https://") || base_url.starts_with("http://");
        let host = base_url.split("://").nth(1).unwrap_or("");
        if !scheme_ok || host.is_empty() || base_url.contains(['?', '#', ' ']) {
            problems.push(Problem::new(
                "/base_url",
                format!(
                    "`{}` is not a base URL; expected e.g. https://app.chatwoot.com",
                    raw.base_url
                ),
            ));
        }

        let account_id = match id_of(&raw.account_id) {
            Some(id) => id.to_string(),
            None => {
                problems.push(Problem::new(
                    "/account_id",
                    format!(
                        "`{}` is not a Chatwoot account id; expected a positive number",
                        raw.account_id
                    ),
                ));
                String::new()
            }
        };

        let token = raw.api_access_token.trim().to_string();
        if token.is_empty() || token.contains(['\r', '\n']) {
            problems.push(Problem::new(
                "/api_access_token",
                "the access token is empty or spans several lines",
            ));
        }

        let webhook_secret = match raw.webhook_secret {
            Some(secret) if !secret.trim().is_empty() => secret,
            _ => {
                problems.push(Problem::new(
                    "/webhook_secret",
                    "the webhook secret is missing or empty; copy the secret Chatwoot shows when the webhook is created (Settings → Integrations → Webhooks): deliveries without a valid X-Chatwoot-Signature are refused",
                ));
                String::new()
            }
        };

        let mut ids = |section: &str, map: BTreeMap<String, Value>| -> BTreeMap<String, u64> {
            let mut out = BTreeMap::new();
            for (name, value) in map {
                match id_of(&value) {
                    Some(id) if !name.is_empty() => {
                        out.insert(name, id);
                    }
                    _ => problems.push(Problem::new(
                        format!("/{section}/{}", pointer_token(&name)),
                        format!(
                            "`{value}` is not a Chatwoot {} id for `{name}`; expected a positive number",
                            if section == "agents" { "user" } else { "team" }
                        ),
                    )),
                }
            }
            out
        };
        let agents = ids("agents", raw.agents);
        let teams = ids("teams", raw.teams);

        let api_user_id = match raw.api_user_id {
            None | Some(Value::Null) => None,
            Some(value) => match id_of(&value) {
                Some(id) => Some(id),
                None => {
                    problems.push(Problem::new(
                        "/api_user_id",
                        format!("`{value}` is not a Chatwoot user id; expected a positive number"),
                    ));
                    None
                }
            },
        };

        if problems.is_empty() {
            Ok(Config {
                base_url,
                account_id,
                api_access_token: token,
                webhook_secret,
                agents,
                teams,
                api_user_id,
            })
        } else {
            Err(problems)
        }
    }

    /// The guichet agent name of a Chatwoot user id, if the configuration maps one
    /// (the first name in alphabetical order when several do).
    pub fn agent_named(&self, user_id: u64) -> Option<&str> {
        self.agents
            .iter()
            .find(|(_, id)| **id == user_id)
            .map(|(name, _)| name.as_str())
    }

    /// The guichet group name of a Chatwoot team id, likewise.
    pub fn group_named(&self, team_id: u64) -> Option<&str> {
        self.teams
            .iter()
            .find(|(_, id)| **id == team_id)
            .map(|(name, _)| name.as_str())
    }

    /// The account's API prefix: `{base_url}/api/v1/accounts/{account_id}`.
    pub fn account_url(&self) -> String {
        format!("{}/api/v1/accounts/{}", self.base_url, self.account_id)
    }

    /// All problems as one line, for an error.
    pub fn describe(problems: &[Problem]) -> String {
        problems
            .iter()
            .map(|p| {
                if p.path.is_empty() {
                    p.message.clone()
                } else {
                    format!("{}: {}", p.path, p.message)
                }
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
        "base_url": "https://chatwoot.example.com/",
        "account_id": 1,
        "api_access_token": "TEST-TOKEN",
        "webhook_secret": "s3cret",
        "agents": {"marie": 12, "paul": "13"},
        "teams": {"billing/L1": 3},
        "api_user_id": 99
    }"#;

    #[test]
    fn reads_a_full_configuration() {
        let config = Config::parse(GOOD).unwrap();
        assert_eq!(config.base_url, "https://chatwoot.example.com");
        assert_eq!(config.account_id, "1");
        assert_eq!(config.agents["paul"], 13);
        assert_eq!(config.agent_named(12), Some("marie"));
        assert_eq!(config.group_named(3), Some("billing/L1"));
        assert_eq!(config.group_named(4), None);
        assert_eq!(config.api_user_id, Some(99));
        assert_eq!(
            config.account_url(),
            "https://chatwoot.example.com/api/v1/accounts/1"
        );
    }

    #[test]
    fn optional_keys_may_be_left_out() {
        let config = Config::parse(
            r#"{"base_url":"http://localhost:3000","account_id":"7","api_access_token":"t",
                "webhook_secret":"s"}"#,
        )
        .unwrap();
        assert_eq!(config.webhook_secret, "s");
        assert!(config.agents.is_empty());
        assert_eq!(config.api_user_id, None);
        assert_eq!(config.account_id, "7");
    }

    #[test]
    fn the_webhook_secret_is_required() {
        for secret in [
            "",
            r#","webhook_secret":null"#,
            r#","webhook_secret":"""#,
            r#","webhook_secret":" ""#,
        ] {
            let problems = Config::parse(&format!(
                r#"{{"base_url":"http://localhost:3000","account_id":"7","api_access_token":"t"{secret}}}"#
            ))
            .unwrap_err();
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].path, "/webhook_secret");
            assert!(
                problems[0].message.contains("when the webhook is created"),
                "{}",
                problems[0].message
            );
        }
    }

    #[test]
    fn names_each_problem() {
        let problems = Config::parse(
            r#"{"base_url":"chatwoot.example.com","account_id":"1/../2","api_access_token":"",
                "agents":{"marie":"douze"},"teams":{"a/b":0},"webhook_secret":""}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/base_url",
                "/account_id",
                "/api_access_token",
                "/webhook_secret",
                "/agents/marie",
                "/teams/a~1b"
            ]
        );
    }

    #[test]
    fn refuses_unknown_keys() {
        let problems = Config::parse(
            r#"{"base_url":"https://x.example","account_id":1,"api_access_token":"t","secret":"x",
                "webhook_secret":"s"}"#,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("unknown field `secret`"));
    }
}
