//! The configuration of a Meta adapter: the app's secret and verify token, an access
//! token, the id of the Graph node messages go through (a WhatsApp phone number, a
//! Facebook Page), and where the Graph API is. Read the same way by `check-config`
//! (every problem, each with a JSON Pointer) and by each call (the first problem is
//! enough to refuse).

use serde_json::{Map, Value};

/// The Graph API's address when `graph_base_url` is not set.
pub const DEFAULT_GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version when `api_version` is not set.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// What an adapter calls the keys that are its own.
#[derive(Debug, Clone, Copy)]
pub struct Keys {
    /// The adapter's name, in the message of an invalid configuration.
    pub adapter: &'static str,
    /// The key of the access token, e.g. `page_access_token`.
    pub access_token: &'static str,
    /// The key of the node id, e.g. `page_id`.
    pub node_id: &'static str,
    /// What a node id is, after "is not": `a Page id (digits, …)`.
    pub node_id_is: &'static str,
}

impl Keys {
    /// Every key the configuration may have, in the order they are read.
    fn all(&self) -> [&'static str; 6] {
        [
            "app_secret",
            "verify_token",
            self.access_token,
            self.node_id,
            "graph_base_url",
            "api_version",
        ]
    }
}

/// A configuration that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The Meta app's secret: the key of the `X-Hub-Signature-256` HMAC.
    pub app_secret: String,
    /// The string typed in the app dashboard's "Verify token" field.
    pub verify_token: String,
    /// The token the requests are sent with (`Authorization: Bearer …`).
    pub access_token: String,
    /// The id of the Graph node that sends and receives: the business phone number's
    /// id (WhatsApp), the Page's id (Messenger). Digits.
    pub node_id: String,
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
    pub fn parse(text: &str, keys: &Keys) -> Result<Config, Vec<Problem>> {
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
        let all = keys.all();
        let mut problems = Vec::new();
        for key in object.keys().filter(|key| !all.contains(&key.as_str())) {
            problems.push(Problem::at(
                key,
                format!("unknown key `{key}`; expected one of {}", all.join(", ")),
            ));
        }
        let mut read = |key: &str,
                        default: Option<&str>,
                        check: &dyn Fn(&str) -> Option<String>| match text_at(
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
        let check_id = |id: &str| {
            (!id.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("`{id}` is not {}", keys.node_id_is))
        };
        let config = Config {
            app_secret: read("app_secret", None, &|_| None),
            verify_token: read("verify_token", None, &|_| None),
            access_token: read(keys.access_token, None, &|_| None),
            node_id: read(keys.node_id, None, &check_id),
            graph_base_url: read("graph_base_url", Some(DEFAULT_GRAPH_BASE_URL), &check_url)
                .trim_end_matches('/')
                .to_string(),
            api_version: read("api_version", Some(DEFAULT_API_VERSION), &check_version),
        };
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// The configuration, or one line saying everything wrong with it (`invalid
    /// <adapter> configuration: <path> <message>; …`).
    pub fn load(text: &str, keys: &Keys) -> Result<Config, String> {
        Config::parse(text, keys).map_err(|problems| {
            let list: Vec<String> = problems
                .iter()
                .map(|p| format!("{} {}", p.path, p.message))
                .collect();
            format!(
                "invalid {} configuration: {}",
                keys.adapter,
                list.join("; ")
            )
        })
    }

    /// Where messages are sent: `{graph_base_url}/{api_version}/{node_id}/messages`.
    pub fn messages_url(&self) -> String {
        format!(
            "{}/{}/{}/messages",
            self.graph_base_url, self.api_version, self.node_id
        )
    }

    /// The headers of a request to [`Config::messages_url`]: the token, and a JSON body.
    pub fn send_headers(&self) -> [(&'static str, String); 2] {
        [
            ("authorization", format!("Bearer {}", self.access_token)),
            ("content-type", "application/json".to_string()),
        ]
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

    const KEYS: Keys = Keys {
        adapter: "test",
        access_token: "page_access_token",
        node_id: "page_id",
        node_id_is: "a Page id (digits)",
    };

    const MINIMAL: &str = r#"{"app_secret":"s","verify_token":"v","page_access_token":"t","page_id":"682498302938465"}"#;

    #[test]
    fn defaults_fill_the_optional_keys() {
        let config = Config::parse(MINIMAL, &KEYS).unwrap();
        assert_eq!(config.graph_base_url, "https://graph.facebook.com");
        assert_eq!(config.api_version, "v21.0");
        assert_eq!(config.access_token, "t");
        assert_eq!(config.node_id, "682498302938465");
    }

    #[test]
    fn a_trailing_slash_is_dropped() {
        let text = MINIMAL.replace('}', r#","graph_base_url":"http://127.0.0.1:9/graph/"}"#);
        assert_eq!(
            Config::parse(&text, &KEYS).unwrap().graph_base_url,
            "http://127.0.0.1:9/graph"
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let problems = Config::parse(
            r#"{"app_secret":"","verify_token":3,"page_id":"my-page","api_version":"21","grpah_base_url":"x"}"#,
            &KEYS,
        )
        .unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/grpah_base_url",
                "/app_secret",
                "/verify_token",
                "/page_access_token",
                "/page_id",
                "/api_version"
            ]
        );
        assert_eq!(
            problems[0].message,
            "unknown key `grpah_base_url`; expected one of app_secret, verify_token, \
             page_access_token, page_id, graph_base_url, api_version"
        );
        assert!(problems[3].message.contains("required"));
        assert_eq!(problems[4].message, "`my-page` is not a Page id (digits)");
    }

    #[test]
    fn not_an_object_is_one_problem() {
        let problems = Config::parse("[]", &KEYS).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].path, "");
        assert!(
            Config::parse("{", &KEYS).unwrap_err()[0]
                .message
                .contains("not JSON")
        );
    }

    #[test]
    fn a_base_url_needs_a_scheme() {
        let text = MINIMAL.replace('}', r#","graph_base_url":"graph.facebook.com"}"#);
        assert_eq!(
            Config::parse(&text, &KEYS).unwrap_err()[0].path,
            "/graph_base_url"
        );
    }

    #[test]
    fn load_says_every_problem_on_one_line() {
        assert_eq!(
            Config::load(
                r#"{"app_secret":"s","verify_token":"v","page_id":"1","x/y":1}"#,
                &KEYS
            )
            .unwrap_err(),
            "invalid test configuration: /x~1y unknown key `x/y`; expected one of app_secret, \
             verify_token, page_access_token, page_id, graph_base_url, api_version; \
             /page_access_token `page_access_token` is required"
        );
    }

    #[test]
    fn requests_go_to_the_nodes_messages_with_the_token() {
        let config = Config::parse(MINIMAL, &KEYS).unwrap();
        assert_eq!(
            config.messages_url(),
            "https://graph.facebook.com/v21.0/682498302938465/messages"
        );
        assert_eq!(
            config.send_headers(),
            [
                ("authorization", "Bearer t".to_string()),
                ("content-type", "application/json".to_string())
            ]
        );
    }
}
