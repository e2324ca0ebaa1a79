//! The adapter's configuration: the webhook's basic-auth credentials and what the
//! Postmark send-email API needs. Read by hand from a JSON value, so that every
//! problem is reported with its JSON Pointer, not only the first.

use serde_json::{Map, Value};

/// Postmark's API, where `POST /email` sends a message.
pub const DEFAULT_API_BASE_URL: &str = "https://api.postmarkapp.com";
/// Postmark's default transactional stream.
pub const DEFAULT_MESSAGE_STREAM: &str = "outbound";

const KEYS: [&str; 6] = [
    "username",
    "password",
    "server_token",
    "from_address",
    "api_base_url",
    "message_stream",
];

/// The configuration as the adapter uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// User name of the webhook's basic auth (in the inbound webhook URL).
    pub username: String,
    /// Password of the webhook's basic auth.
    pub password: String,
    /// Postmark server API token, sent as `X-Postmark-Server-Token`.
    pub server_token: String,
    /// The `From` of the replies (a sender signature or an address of a verified
    /// domain), `support@example.com` or `Support <support@example.com>`.
    pub from_address: String,
    /// Base URL of Postmark's API, without the trailing `/`.
    pub api_base_url: String,
    /// The message stream the replies are sent on.
    pub message_stream: String,
}

/// A problem found in a configuration: a JSON Pointer and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

fn problem(path: &str, message: impl Into<String>) -> Problem {
    Problem {
        path: path.to_string(),
        message: message.into(),
    }
}

impl Config {
    /// Reads `text`, returning every problem found when it cannot be used.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![problem(
                "",
                format!("the email configuration is not valid JSON: {e}"),
            )]
        })?;
        let Value::Object(map) = value else {
            return Err(vec![problem(
                "",
                "the email configuration must be a JSON object",
            )]);
        };
        let mut problems = Vec::new();
        for key in map.keys() {
            if !KEYS.contains(&key.as_str()) {
                problems.push(problem(
                    &format!("/{}", pointer_escape(key)),
                    format!("unknown key `{key}`; expected one of {}", KEYS.join(", ")),
                ));
            }
        }
        let username = required(&map, "username", &mut problems);
        if username.contains(':') {
            problems.push(problem(
                "/username",
                "the basic-auth user name cannot contain `:`",
            ));
        }
        let password = required(&map, "password", &mut problems);
        let server_token = required(&map, "server_token", &mut problems);
        let from_address = required(&map, "from_address", &mut problems);
        if !from_address.is_empty() && !from_address.contains('@') {
            problems.push(problem(
                "/from_address",
                format!("`{from_address}` is not an e-mail address"),
            ));
        }
        let api_base_url = optional(&map, "api_base_url", DEFAULT_API_BASE_URL, &mut problems);
        if !(api_base_url.starts_with("https://") || api_base_url.starts_with("http://"))
            || api_base_url.contains(['?', '#'])
        {
            problems.push(problem(
                "/api_base_url",
                format!("`{api_base_url}` is not an http(s) base URL"),
            ));
        }
        let message_stream = optional(
            &map,
            "message_stream",
            DEFAULT_MESSAGE_STREAM,
            &mut problems,
        );
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Config {
            username,
            password,
            server_token,
            from_address,
            api_base_url: api_base_url.trim_end_matches('/').to_string(),
            message_stream,
        })
    }
}

/// The problems as one line, for an error message.
pub fn summary(problems: &[Problem]) -> String {
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

fn required(map: &Map<String, Value>, key: &str, problems: &mut Vec<Problem>) -> String {
    match map.get(key) {
        None | Some(Value::Null) => {
            problems.push(problem(&format!("/{key}"), format!("`{key}` is required")));
            String::new()
        }
        Some(value) => non_empty_string(value, key, problems),
    }
}

fn optional(
    map: &Map<String, Value>,
    key: &str,
    default: &str,
    problems: &mut Vec<Problem>,
) -> String {
    match map.get(key) {
        None | Some(Value::Null) => default.to_string(),
        Some(value) => non_empty_string(value, key, problems),
    }
}

fn non_empty_string(value: &Value, key: &str, problems: &mut Vec<Problem>) -> String {
    match value {
        Value::String(s) if !s.trim().is_empty() => s.trim().to_string(),
        Value::String(_) => {
            problems.push(problem(&format!("/{key}"), format!("`{key}` is empty")));
            String::new()
        }
        other => {
            problems.push(problem(
                &format!("/{key}"),
                format!("`{key}` must be a string, not `{other}`"),
            ));
            String::new()
        }
    }
}

/// `key` escaped for a JSON Pointer (RFC 6901).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_configuration_is_read_with_defaults() {
        let config = Config::parse(
            r#"{"username": "postmark", "password": "s3cret", "server_token": "T",
                "from_address": "Support <support@example.com>"}"#,
        )
        .unwrap();
        assert_eq!(config.api_base_url, "https://api.postmarkapp.com");
        assert_eq!(config.message_stream, "outbound");
        let config = Config::parse(
            r#"{"username": "u", "password": "p", "server_token": "T",
                "from_address": "a@b.c", "api_base_url": "https://pm.example/",
                "message_stream": "support"}"#,
        )
        .unwrap();
        assert_eq!(config.api_base_url, "https://pm.example");
        assert_eq!(config.message_stream, "support");
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let problems = Config::parse(
            r#"{"username": "a:b", "password": "", "from_adress": "x",
                "from_address": "nobody", "api_base_url": "ftp://x", "server_token": 3}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/from_adress",
                "/username",
                "/password",
                "/server_token",
                "/from_address",
                "/api_base_url"
            ]
        );
        assert!(problems[0].message.contains("unknown key `from_adress`"));
    }

    #[test]
    fn not_an_object_is_one_problem() {
        assert_eq!(Config::parse("[]").unwrap_err().len(), 1);
        assert_eq!(Config::parse("{").unwrap_err()[0].path, "");
        let problems = Config::parse("{}").unwrap_err();
        assert_eq!(problems.len(), 4);
        assert!(summary(&problems).contains("/username: `username` is required"));
    }
}
