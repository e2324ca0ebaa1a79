//! The adapter's configuration: the app's secrets, the business phone number, and where
//! the Graph API is. Read the same way by `check-config` (every problem, each with a
//! JSON Pointer) and by each call (the first problem is enough to refuse).

use serde_json::{Map, Value};

/// The Graph API's address when `graph_base_url` is not set.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version when `api_version` is not set.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// Every key the configuration may have.
const KEYS: [&str; 6] = [
    "app_secret",
    "verify_token",
    "access_token",
    "phone_number_id",
    "graph_base_url",
    "api_version",
];

/// A configuration that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The Meta app's secret: the key of the `X-Hub-Signature-256` HMAC.
    pub app_secret: String,
    /// The string typed in the app dashboard's "Verify token" field.
    pub verify_token: String,
    /// A system user's access token with `whatsapp_business_messaging`.
    pub access_token: String,
    /// The business phone number's id (not the number itself).
    pub phone_number_id: String,
    /// The Graph API's base URL, without a trailing slash.
    pub graph_base_url: String,
    /// The Graph API version, e.g. `v21.0`.
    pub api_version: String,
}

/// Something wrong with a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// A JSON Pointer to the value, empty for the whole configuration.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    fn at(key: &str, message: String) -> Problem {
        let escaped = key.replace('~', "~0").replace('/', "~1");
        Problem {
            path: format!("/{escaped}"),
            message,
        }
    }

    fn whole(message: String) -> Problem {
        Problem {
            path: String::new(),
            message,
        }
    }
}

impl Config {
    /// Reads the configuration's JSON text, or says everything wrong with it.
    pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![Problem::whole(format!(
                "the configuration is not JSON: {e}"
            ))]
        })?;
        let Some(object) = value.as_object() else {
            return Err(vec![Problem::whole(
                "the configuration must be a JSON object".to_string(),
            )]);
        };
        let mut problems = Vec::new();
        for key in object.keys().filter(|key| !KEYS.contains(&key.as_str())) {
            problems.push(Problem::at(
                key,
                format!("unknown key `{key}`; expected one of {}", KEYS.join(", ")),
            ));
        }
        let mut read =
            |key: &str, default: Option<&str>, check: fn(&str) -> Option<String>| match text_at(
                object, key, default,
            ) {
                Ok(value) => match check(&value) {
                    None => value,
                    Some(message) => {
                        problems.push(Problem::at(key, message));
                        String::new()
                    }
                },
                Err(message) => {
                    problems.push(Problem::at(key, message));
                    String::new()
                }
            };
        let config = Config {
            app_secret: read("app_secret", None, |_| None),
            verify_token: read("verify_token", None, |_| None),
            access_token: read("access_token", None, |_| None),
            phone_number_id: read("phone_number_id", None, check_id),
            graph_base_url: read("graph_base_url", Some(DEFAULT_GRAPH_BASE_URL), check_url)
                .trim_end_matches('/')
                .to_string(),
            api_version: read("api_version", Some(DEFAULT_API_VERSION), check_version),
        };
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }
}

/// The non-empty string at `key`, or its default when it is absent.
fn text_at(
    object: &Map<String, Value>,
    key: &str,
    default: Option<&str>,
) -> Result<String, String> {
    match (object.get(key), default) {
        (Some(Value::String(text)), _) if !text.trim().is_empty() => Ok(text.clone()),
        (Some(Value::String(_)), _) => Err(format!("`{key}` is empty")),
        (Some(other), _) => Err(format!("`{key}` must be a string, not {other}")),
        (None, Some(default)) => Ok(default.to_string()),
        (None, None) => Err(format!("`{key}` is required")),
    }
}

/// A Meta object id goes into the URL's path: digits only.
fn check_id(id: &str) -> Option<String> {
    (!id.bytes().all(|b| b.is_ascii_digit())).then(|| {
        format!("`{id}` is not a phone number id (digits, as the WhatsApp Manager shows it)")
    })
}

fn check_url(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.contains(['?', '#', ' ']) => None,
        _ => Some(format!(
            "`{url}` is not a base URL such as {DEFAULT_GRAPH_BASE_URL}"
        )),
    }
}

/// `v` then a number, e.g. `v21.0`.
fn check_version(version: &str) -> Option<String> {
    let ok = version.strip_prefix('v').is_some_and(|number| {
        !number.is_empty()
            && number.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && number.bytes().next().is_some_and(|b| b.is_ascii_digit())
    });
    (!ok).then(|| format!("`{version}` is not a Graph API version such as {DEFAULT_API_VERSION}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"app_secret":"s","verify_token":"v","access_token":"t","phone_number_id":"106540352242922"}"#;

    #[test]
    fn defaults_fill_the_optional_keys() {
        let config = Config::parse(MINIMAL).unwrap();
        assert_eq!(config.graph_base_url, "https://graph.facebook.com");
        assert_eq!(config.api_version, "v21.0");
        assert_eq!(config.phone_number_id, "106540352242922");
    }

    #[test]
    fn a_trailing_slash_is_dropped() {
        let text = MINIMAL.replace('}', r#","graph_base_url":"http://127.0.0.1:9/graph/"}"#);
        assert_eq!(
            Config::parse(&text).unwrap().graph_base_url,
            "http://127.0.0.1:9/graph"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let problems = Config::parse(
            r#"{"app_secret":"","verify_token":3,"phone_number_id":"+33 6","api_version":"21","grpah_base_url":"x"}"#,
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/grpah_base_url",
                "/app_secret",
                "/verify_token",
                "/access_token",
                "/phone_number_id",
                "/api_version"
            ]
        );
        assert!(problems[3].message.contains("required"));
    }

    #[test]
    fn not_an_object_is_one_problem() {
        let problems = Config::parse("[]").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "");
        assert!(
            Config::parse("{").unwrap_err()[0]
                .message
                .contains("not JSON")
        );
    }

    #[test]
    fn a_base_url_needs_a_scheme() {
        let text = MINIMAL.replace('}', r#","graph_base_url":"graph.facebook.com"}"#);
        assert_eq!(Config::parse(&text).unwrap_err()[0].path, "/graph_base_url");
    }
}
