//! Replies as Twilio SMS: `POST {api_base_url}/2010-04-01/Accounts/{account_sid}/Messages.json`
//! with the form `To`, `From`, `Body` and HTTP Basic authentication (account SID and
//! auth token) (<https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource>).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::config::Config;

/// A request for the host to send, before conversion to the WIT record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// A public reply found among the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The text.
    pub body: String,
    /// Whether it is to be sent on the phone or SMS channel (the reply's channel, or
    /// the ticket's when the reply names none); a reply meant for another channel is
    /// not this adapter's to send.
    pub by_sms: bool,
}

/// The SMS requests for `replies`, in order, to the caller `to`. Other actions have no
/// counterpart in Twilio and are not given here.
pub fn render(
    config: &Config,
    to: Option<&str>,
    replies: &[Reply],
) -> Result<Vec<Request>, String> {
    let mut requests = Vec::new();
    for reply in replies.iter().filter(|r| r.by_sms) {
        let to = to.ok_or("the ticket's requester has no phone number to text")?;
        requests.push(sms(config, to, &reply.body));
    }
    Ok(requests)
}

/// One SMS to `to` from the configured number.
pub fn sms(config: &Config, to: &str, body: &str) -> Request {
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("To", to)
        .append_pair("From", &config.from_number)
        .append_pair("Body", body)
        .finish();
    let credentials = STANDARD.encode(format!("{}:{}", config.account_sid, config.auth_token));
    Request {
        method: "POST".to_string(),
        url: format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            config.api_base_url,
            url_segment(&config.account_sid)
        ),
        headers: vec![
            ("authorization".to_string(), format!("Basic {credentials}")),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
        ],
        body: form,
    }
}

/// `text` safe as one path segment (an account SID is letters and digits anyway).
fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config::parse(
            r#"{"account_sid": "AC0123", "auth_token": "secret", "public_url": "https://g.example/x",
                "from_number": "+14155550100", "api_base_url": "https://api.twilio.com/"}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_reply_is_an_sms_with_basic_auth() {
        let requests = render(
            &config(),
            Some("+33612345678"),
            &[Reply {
                body: "Sorry we missed you & will call back: 10 min".into(),
                by_sms: true,
            }],
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(r.method, "POST");
        assert_eq!(
            r.url,
            "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages.json"
        );
        // base64("AC0123:secret")
        assert_eq!(
            r.headers[0],
            ("authorization".into(), "Basic QUMwMTIzOnNlY3JldA==".into())
        );
        assert_eq!(
            r.body,
            "To=%2B33612345678&From=%2B14155550100&Body=Sorry+we+missed+you+%26+will+call+back%3A+10+min"
        );
    }

    #[test]
    fn replies_for_other_channels_are_left_out() {
        let replies = [
            Reply {
                body: "one".into(),
                by_sms: true,
            },
            Reply {
                body: "by e-mail".into(),
                by_sms: false,
            },
            Reply {
                body: "two".into(),
                by_sms: true,
            },
        ];
        let requests = render(&config(), Some("+1"), &replies).unwrap();
        let bodies: Vec<&str> = requests.iter().map(|r| r.body.as_str()).collect();
        assert_eq!(
            bodies,
            [
                "To=%2B1&From=%2B14155550100&Body=one",
                "To=%2B1&From=%2B14155550100&Body=two"
            ]
        );
        assert!(render(&config(), None, &replies[1..2]).unwrap().is_empty());
        assert!(render(&config(), None, &replies).is_err());
    }
}
