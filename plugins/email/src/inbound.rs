//! Postmark's inbound webhook: the JSON Postmark posts for each e-mail its inbound
//! stream receives (<https://postmarkapp.com/developer/webhooks/inbound-webhook>),
//! read into one guichet message.

use serde::Deserialize;

use crate::exports::guichet::plugin::adapter::{
    AdapterError, Header, Inbound, InboundBatch, InboundMessage, IncomingRequest,
};
use crate::guichet::plugin::types::{AuthorRole, Channel, Identity, IdentityKind, Requester};
use crate::{auth, config::Config, date, html, threading};

/// The fields of Postmark's inbound JSON the adapter reads. Every field is optional
/// here, and `null` is read as absent: which ones are required is decided in
/// [`read`], with a message naming the missing one.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct PostmarkInbound {
    from: Option<String>,
    from_name: Option<String>,
    from_full: Option<Address>,
    subject: Option<String>,
    #[serde(rename = "MessageID")]
    message_id: Option<String>,
    date: Option<String>,
    text_body: Option<String>,
    html_body: Option<String>,
    stripped_text_reply: Option<String>,
    headers: Option<Vec<MailHeader>>,
    attachments: Option<Vec<Attachment>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase")]
struct Address {
    email: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct MailHeader {
    name: String,
    value: Option<String>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct Attachment {
    name: Option<String>,
}

impl PostmarkInbound {
    /// The value of the mail header `name` (case-insensitive), the first if several.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .as_deref()?
            .iter()
            .find(|h| h.name.trim().eq_ignore_ascii_case(name))
            .and_then(|h| h.value.as_deref())
    }
}

/// Authenticates a webhook delivery and reads it: the work of `handle-inbound`, apart
/// from reading the configuration. `now_ms` stands for a `Date` that cannot be read.
pub fn handle(
    config: &Config,
    request: &IncomingRequest,
    now_ms: i64,
) -> Result<InboundBatch, AdapterError> {
    let authorization = header(&request.headers, "authorization");
    auth::check_basic(authorization, &config.username, &config.password)
        .map_err(AdapterError::Rejected)?;
    if !request.method.eq_ignore_ascii_case("POST") {
        return Err(AdapterError::Malformed(format!(
            "Postmark posts its inbound webhook; got {}",
            request.method
        )));
    }
    read(&request.body, now_ms).map_err(AdapterError::Malformed)
}

/// The first value of the request header `name` (names are lower case).
fn header<'a>(headers: &'a [Header], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// Reads one inbound e-mail. `Err` names what makes the body unreadable.
pub fn read(body: &[u8], now_ms: i64) -> Result<InboundBatch, String> {
    let mail: PostmarkInbound =
        serde_json::from_slice(body).map_err(|e| format!("not Postmark inbound JSON: {e}"))?;

    let sender = mail
        .from_full
        .as_ref()
        .and_then(|a| a.email.as_deref())
        .filter(|e| !e.trim().is_empty())
        .or(mail.from.as_deref())
        .map(address_of)
        .filter(|e| e.contains('@'))
        .ok_or("no sender address (FromFull.Email, From)")?;
    let name = mail
        .from_full
        .as_ref()
        .and_then(|a| a.name.as_deref())
        .or(mail.from_name.as_deref())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);

    let postmark_id = mail
        .message_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty());
    let message_id = mail
        .header("Message-ID")
        .and_then(|value| threading::msg_ids(value).into_iter().next())
        .or_else(|| postmark_id.map(str::to_string))
        .ok_or("no message id (MessageID, or a Message-ID header)")?;
    let thread = threading::thread_root(
        &message_id,
        mail.header("In-Reply-To"),
        mail.header("References"),
    );

    let subject = mail
        .subject
        .as_deref()
        .map(one_line)
        .filter(|s| !s.is_empty());
    let ticket_ref = subject.as_deref().and_then(threading::ticket_ref);
    let created_at = mail
        .date
        .as_deref()
        .or(mail.header("Date"))
        .and_then(date::parse)
        .unwrap_or(now_ms);

    let message = InboundMessage {
        external_ticket_id: Some(thread),
        external_message_id: message_id,
        channel: Channel::Email,
        requester: Requester {
            name,
            identities: vec![Identity {
                kind: IdentityKind::Email,
                value: normalise_address(&sender),
            }],
            language: None,
        },
        author_role: AuthorRole::Requester,
        author: None,
        subject,
        body: body_text(&mail),
        public: true,
        created_at,
        ticket_ref,
        fields: Vec::new(),
    };
    Ok(InboundBatch {
        // Postmark's id of the inbound message: a retried delivery carries it again.
        delivery_id: postmark_id.map(str::to_string),
        items: vec![Inbound::Message(message)],
        answer: None,
    })
}

/// The text of the message: Postmark's `StrippedTextReply` (the reply without the
/// quoted thread) when it has one, else `TextBody`, else `HtmlBody` as text; when
/// all are empty, the names of the attachments.
fn body_text(mail: &PostmarkInbound) -> String {
    let non_empty = |text: &Option<String>| {
        text.as_deref()
            .map(|t| t.replace("\r\n", "\n"))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    non_empty(&mail.stripped_text_reply)
        .or_else(|| non_empty(&mail.text_body))
        .or_else(|| {
            mail.html_body
                .as_deref()
                .map(html::to_text)
                .filter(|t| !t.is_empty())
        })
        .unwrap_or_else(|| {
            let names: Vec<&str> = mail
                .attachments
                .iter()
                .flatten()
                .filter_map(|a| a.name.as_deref())
                .collect();
            if names.is_empty() {
                String::new()
            } else {
                format!("(attachments: {})", names.join(", "))
            }
        })
}

/// The address in `Name <address>`, or the whole value trimmed.
fn address_of(value: &str) -> String {
    match (value.rfind('<'), value.rfind('>')) {
        (Some(start), Some(end)) if start < end => value[start + 1..end].trim().to_string(),
        _ => value.trim().to_string(),
    }
}

/// An address as the requester's identity: the domain in lower case (domains are
/// case-insensitive, RFC 5321 section 2.4), the local part as written (it is
/// case-sensitive in principle: only the receiving domain may fold it).
pub fn normalise_address(address: &str) -> String {
    let address = address.trim();
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_string(),
    }
}

/// A subject on one line, whitespace collapsed.
fn one_line(subject: &str) -> String {
    subject.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn message(json: &str) -> InboundMessage {
        let batch = read(json.as_bytes(), NOW).unwrap();
        assert_eq!(batch.items.len(), 1);
        match batch.items.into_iter().next().unwrap() {
            Inbound::Message(message) => message,
            other => panic!("not a message: {other:?}"),
        }
    }

    #[test]
    fn a_new_email_starts_a_thread_on_its_message_id() {
        let m = message(
            r#"{"FromName": "Zoé Martin", "From": "Zoe.Martin@Example.COM",
                "FromFull": {"Email": "Zoe.Martin@Example.COM", "Name": "Zoé Martin", "MailboxHash": ""},
                "Subject": "Commande   4521\r\n jamais livrée",
                "MessageID": "0b7c3c1e-5a43-4d0c-9d56-3c1f1b1d2a10",
                "Date": "Mon, 23 Nov 2026 09:30:00 +0100",
                "TextBody": "Bonjour,\r\nma commande n'est pas arrivée.\r\n",
                "HtmlBody": "<p>ignored</p>", "StrippedTextReply": "",
                "Headers": [{"Name": "Message-ID", "Value": "<CAKx7Rp2F9vQ@mail.example.com>"}]}"#,
        );
        assert_eq!(
            m.external_ticket_id.as_deref(),
            Some("<CAKx7Rp2F9vQ@mail.example.com>")
        );
        assert_eq!(m.external_message_id, "<CAKx7Rp2F9vQ@mail.example.com>");
        assert_eq!(m.requester.name.as_deref(), Some("Zoé Martin"));
        assert_eq!(m.requester.identities.len(), 1);
        assert!(matches!(
            m.requester.identities[0].kind,
            IdentityKind::Email
        ));
        assert_eq!(m.requester.identities[0].value, "Zoe.Martin@example.com");
        assert_eq!(m.subject.as_deref(), Some("Commande 4521 jamais livrée"));
        assert_eq!(m.body, "Bonjour,\nma commande n'est pas arrivée.");
        assert_eq!(m.created_at, 1_795_422_600_000);
        assert_eq!(m.ticket_ref, None);
        assert!(m.public);
        assert!(matches!(m.channel, Channel::Email));
        assert!(matches!(m.author_role, AuthorRole::Requester));
    }

    #[test]
    fn a_reply_lands_on_the_root_of_its_references() {
        let m = message(
            r#"{"FromFull": {"Email": "zoe@example.com", "Name": ""}, "Subject": "Re: Commande",
                "MessageID": "pm-2", "Date": "Tue, 24 Nov 2026 10:00:00 +0100",
                "TextBody": "Merci !\n\nOn Mon... wrote:\n> old", "StrippedTextReply": "Merci !",
                "Headers": [
                  {"Name": "Message-ID", "Value": "<reply@example.com>"},
                  {"Name": "In-Reply-To", "Value": "<answer@mtasv.net>"},
                  {"Name": "References", "Value": "<first@example.com>\n <answer@mtasv.net>"}]}"#,
        );
        assert_eq!(m.external_ticket_id.as_deref(), Some("<first@example.com>"));
        assert_eq!(m.external_message_id, "<reply@example.com>");
        assert_eq!(m.body, "Merci !");
        assert_eq!(m.requester.name, None);
    }

    #[test]
    fn in_reply_to_alone_names_the_thread_and_header_names_are_case_insensitive() {
        let m = message(
            r#"{"FromFull": {"Email": "zoe@example.com"}, "MessageID": "pm-3",
                "TextBody": "ok", "Headers": [
                  {"Name": "message-id", "Value": "<r@x>"},
                  {"Name": "IN-REPLY-TO", "Value": "<first@x>"}]}"#,
        );
        assert_eq!(m.external_ticket_id.as_deref(), Some("<first@x>"));
        assert_eq!(m.external_message_id, "<r@x>");
    }

    #[test]
    fn without_a_message_id_header_postmark_s_id_is_used() {
        let batch = read(
            br#"{"FromFull": {"Email": "zoe@example.com"}, "MessageID": "73e6d360-66eb",
                 "TextBody": "hello", "Headers": []}"#,
            NOW,
        )
        .unwrap();
        assert_eq!(batch.delivery_id.as_deref(), Some("73e6d360-66eb"));
        let Inbound::Message(m) = &batch.items[0] else {
            panic!()
        };
        assert_eq!(m.external_message_id, "73e6d360-66eb");
        assert_eq!(m.external_ticket_id.as_deref(), Some("73e6d360-66eb"));
        // No date: the time of the call.
        assert_eq!(m.created_at, NOW);
    }

    #[test]
    fn a_ticket_number_in_the_subject_is_a_ticket_ref() {
        let m = message(
            r#"{"FromFull": {"Email": "zoe@example.com"}, "MessageID": "pm-4",
                "Subject": "Re: Commande 4521 [#tk-8f3kq2m9zt]", "TextBody": "ok"}"#,
        );
        assert_eq!(m.ticket_ref.as_deref(), Some("tk-8f3kq2m9zt"));
        // The subject is kept as written.
        assert_eq!(
            m.subject.as_deref(),
            Some("Re: Commande 4521 [#tk-8f3kq2m9zt]")
        );
        let m = message(
            r#"{"FromFull": {"Email": "zoe@example.com"}, "MessageID": "pm-5",
                "Subject": "Question [#42]", "TextBody": "ok"}"#,
        );
        assert_eq!(m.ticket_ref.as_deref(), Some("42"));
    }

    #[test]
    fn the_body_is_the_stripped_reply_then_text_then_html() {
        let body = |fields: &str| {
            message(&format!(
                r#"{{"FromFull": {{"Email": "a@b.c"}}, "MessageID": "m", {fields}}}"#
            ))
            .body
        };
        assert_eq!(
            body(r#""StrippedTextReply": "short", "TextBody": "long", "HtmlBody": "<p>h</p>""#),
            "short"
        );
        assert_eq!(
            body(r#""StrippedTextReply": " \n", "TextBody": "long", "HtmlBody": "<p>h</p>""#),
            "long"
        );
        assert_eq!(
            body(
                r#""StrippedTextReply": null, "TextBody": "", "HtmlBody": "<p>Hello&nbsp;<b>you</b></p>""#
            ),
            "Hello you"
        );
        assert_eq!(
            body(
                r#""TextBody": "", "HtmlBody": "", "Attachments": [{"Name": "facture.pdf"}, {"Name": "photo.jpg"}]"#
            ),
            "(attachments: facture.pdf, photo.jpg)"
        );
        assert_eq!(body(r#""TextBody": """#), "");
    }

    #[test]
    fn from_is_read_when_from_full_is_missing() {
        let m = message(
            r#"{"From": "\"Zoé\" <zoe@EXAMPLE.com>", "FromName": "Zoé", "MessageID": "m", "TextBody": "x"}"#,
        );
        assert_eq!(m.requester.identities[0].value, "zoe@example.com");
        assert_eq!(m.requester.name.as_deref(), Some("Zoé"));
    }

    #[test]
    fn addresses_keep_their_local_part() {
        assert_eq!(
            normalise_address(" John.Doe@Example.ORG "),
            "John.Doe@example.org"
        );
        assert_eq!(normalise_address("\"a@b\"@X.Y"), "\"a@b\"@x.y");
    }

    #[test]
    fn unreadable_bodies_are_refused_with_a_reason() {
        for (body, reason) in [
            ("{\"From\": ", "not Postmark inbound JSON"),
            ("[]", "not Postmark inbound JSON"),
            (
                "{\"FromFull\": {\"Email\": 3}}",
                "not Postmark inbound JSON",
            ),
            (
                "{\"MessageID\": \"m\", \"TextBody\": \"x\"}",
                "no sender address",
            ),
            (
                "{\"From\": \"nobody\", \"MessageID\": \"m\"}",
                "no sender address",
            ),
            (
                "{\"From\": \"a@b.c\", \"TextBody\": \"x\"}",
                "no message id",
            ),
            (
                "{\"From\": \"a@b.c\", \"MessageID\": \" \"}",
                "no message id",
            ),
        ] {
            let err = read(body.as_bytes(), NOW).unwrap_err();
            assert!(err.contains(reason), "{body}: {err}");
        }
    }
}
