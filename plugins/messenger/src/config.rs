//! The adapter's configuration: [`meta_webhooks::Config`] (the app's secret, where the
//! Graph API is), with Messenger's names for the Page and its token: `page_access_token`
//! (a Page access token with `pages_messaging`) and `page_id`, read as the config's
//! `access_token` and `node_id`.

pub use meta_webhooks::{Config, Problem};

/// Messenger's keys.
pub const KEYS: meta_webhooks::Keys = meta_webhooks::Keys {
    adapter: "messenger",
    access_token: "page_access_token",
    node_id: "page_id",
    node_id_is: "a Page id (digits, as the Page's About section shows it)",
};

/// Reads the configuration's JSON text, or says everything wrong with it.
pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
    Config::parse(text, &KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_token_have_messengers_names() {
        let config = parse(
            r#"{"app_secret":"s","verify_token":"v","page_access_token":"t","page_id":"682498302938465"}"#,
        )
        .unwrap();
        assert_eq!(config.access_token, "t");
        assert_eq!(config.node_id, "682498302938465");
        assert_eq!(config.graph_base_url, "https://graph.facebook.com");
        assert_eq!(config.api_version, "v21.0");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let problems = parse(
            r#"{"app_secret":"","verify_token":3,"page_id":"my-page","api_version":"21","grpah_base_url":"x"}"#,
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
            problems[4].message,
            "`my-page` is not a Page id (digits, as the Page's About section shows it)"
        );
    }
}
