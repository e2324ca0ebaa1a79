//! The adapter's configuration: [`meta_webhooks::Config`] (the app's secrets, where the
//! Graph API is), with WhatsApp's names for the token and the business phone number:
//! `access_token` (a system user's token with `whatsapp_business_messaging`) and
//! `phone_number_id` (the number's id, not the number itself), read as the config's
//! `access_token` and `node_id`.

pub use meta_webhooks::{Config, Problem};

/// WhatsApp's keys.
pub const KEYS: meta_webhooks::Keys = meta_webhooks::Keys {
    adapter: "whatsapp",
    access_token: "access_token",
    node_id: "phone_number_id",
    node_id_is: "a phone number id (digits, as the WhatsApp Manager shows it)",
};

/// Reads the configuration's JSON text, or says everything wrong with it.
pub fn parse(text: &str) -> Result<Config, Vec<Problem>> {
    Config::parse(text, &KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_and_the_number_have_whatsapps_names() {
        let config = parse(
            r#"{"app_secret":"s","verify_token":"v","access_token":"t","phone_number_id":"106540352242922"}"#,
        )
        .unwrap();
        assert_eq!(config.access_token, "t");
        assert_eq!(config.node_id, "106540352242922");
        assert_eq!(config.graph_base_url, "https://graph.facebook.com");
        assert_eq!(config.api_version, "v21.0");
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let problems = parse(
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
        assert_eq!(
            problems[4].message,
            "`+33 6` is not a phone number id (digits, as the WhatsApp Manager shows it)"
        );
    }
}
