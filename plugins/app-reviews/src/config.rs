//! The adapter's configuration, as the tenant's admin sets it (see the README).

use serde::Deserialize;

/// App Store Connect's API.
pub const DEFAULT_APP_STORE_BASE_URL: &str = "https://api.appstoreconnect.apple.com";
/// The Google Play Developer API.
pub const DEFAULT_GOOGLE_PLAY_BASE_URL: &str = "https://androidpublisher.googleapis.com";

/// The configuration, read the same way by `check-config` and by every call.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The secret the relay signs its posts with (`X-Relay-Signature`).
    pub relay_secret: String,
    /// Where App Store replies go (App Store Connect, or the relay).
    #[serde(default = "default_app_store")]
    pub app_store_base_url: String,
    /// Where Google Play replies go (the Play Developer API, or the relay).
    #[serde(default = "default_google_play")]
    pub google_play_base_url: String,
    /// The Android package the Google Play reviews are of (needed to reply on them).
    #[serde(default)]
    pub package_name: Option<String>,
    /// An `authorization` header value for both stores' reply requests.
    #[serde(default)]
    pub authorization: Option<String>,
    /// The same for App Store requests only, in place of `authorization`.
    #[serde(default)]
    pub app_store_authorization: Option<String>,
    /// The same for Google Play requests only, in place of `authorization`.
    #[serde(default)]
    pub google_play_authorization: Option<String>,
}

fn default_app_store() -> String {
    DEFAULT_APP_STORE_BASE_URL.to_string()
}

fn default_google_play() -> String {
    DEFAULT_GOOGLE_PLAY_BASE_URL.to_string()
}

/// One problem found in a configuration: a JSON Pointer and a message.
pub type Problem = (String, String);

impl Config {
    /// Reads `text`, or explains why it cannot be read.
    pub fn parse(text: &str) -> Result<Config, String> {
        let mut config: Config = serde_json::from_str(text)
            .map_err(|e| format!("invalid app-reviews configuration: {e}"))?;
        for url in [
            &mut config.app_store_base_url,
            &mut config.google_play_base_url,
        ] {
            while url.ends_with('/') {
                url.pop();
            }
        }
        Ok(config)
    }

    /// The `authorization` header value for App Store requests, if any.
    pub fn app_store_auth(&self) -> Option<&str> {
        self.app_store_authorization
            .as_deref()
            .or(self.authorization.as_deref())
    }

    /// The `authorization` header value for Google Play requests, if any.
    pub fn google_play_auth(&self) -> Option<&str> {
        self.google_play_authorization
            .as_deref()
            .or(self.authorization.as_deref())
    }

    /// Every problem with `text`, none if the adapter can work with it.
    pub fn check(text: &str) -> Vec<Problem> {
        let config = match Config::parse(text) {
            Ok(config) => config,
            Err(message) => return vec![(String::new(), message)],
        };
        let mut problems = Vec::new();
        if config.relay_secret.is_empty() {
            problems.push((
                "/relay_secret".to_string(),
                "the relay secret is empty".to_string(),
            ));
        }
        for (path, url) in [
            ("/app_store_base_url", &config.app_store_base_url),
            ("/google_play_base_url", &config.google_play_base_url),
        ] {
            if !is_http_url(url) {
                problems.push((
                    path.to_string(),
                    format!("base URL `{url}` should start with https:// or http://"),
                ));
            }
        }
        if let Some(package) = &config.package_name
            && (package.is_empty() || !package.contains('.') || package.contains('/'))
        {
            problems.push((
                "/package_name".to_string(),
                format!(
                    "package name `{package}` should be an Android package such as com.example.app"
                ),
            ));
        }
        for (path, value) in [
            ("/authorization", &config.authorization),
            ("/app_store_authorization", &config.app_store_authorization),
            (
                "/google_play_authorization",
                &config.google_play_authorization,
            ),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                problems.push((
                    path.to_string(),
                    "an authorization header value is empty; leave the key out instead".to_string(),
                ));
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

    #[test]
    fn defaults_and_overrides() {
        let config = Config::parse(r#"{"relay_secret": "s"}"#).unwrap();
        assert_eq!(config.app_store_base_url, DEFAULT_APP_STORE_BASE_URL);
        assert_eq!(config.google_play_base_url, DEFAULT_GOOGLE_PLAY_BASE_URL);
        assert_eq!(config.app_store_auth(), None);
        assert!(Config::check(r#"{"relay_secret": "s"}"#).is_empty());

        let config = Config::parse(
            r#"{"relay_secret": "s", "authorization": "Bearer both", "app_store_authorization": "Bearer apple",
                "google_play_base_url": "https://relay.example/play/"}"#,
        )
        .unwrap();
        assert_eq!(config.app_store_auth(), Some("Bearer apple"));
        assert_eq!(config.google_play_auth(), Some("Bearer both"));
        assert_eq!(config.google_play_base_url, "https://relay.example/play");
    }

    #[test]
    fn problems() {
        let problems = Config::check(r#"{"relay_secret": "s", "package": "com.x"}"#);
        assert!(
            problems[0].1.contains("unknown field `package`"),
            "{problems:?}"
        );
        let paths: Vec<String> = Config::check(
            r#"{"relay_secret": "", "app_store_base_url": "ftp://x", "package_name": "nodots",
                "authorization": " "}"#,
        )
        .into_iter()
        .map(|p| p.0)
        .collect();
        assert_eq!(
            paths,
            [
                "/relay_secret",
                "/app_store_base_url",
                "/package_name",
                "/authorization"
            ]
        );
        assert_eq!(Config::check("{}").len(), 1);
    }
}
