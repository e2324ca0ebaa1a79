//! guichet's actions as Zammad REST API requests.
//!
//! - status, priority, assignment, close and custom fields: one
//!   `PUT /api/v1/tickets/{id}` with the attributes that changed;
//! - replies and notes: `POST /api/v1/ticket_articles`, one per action, in order;
//! - tags: `POST /api/v1/tags/add` / `DELETE /api/v1/tags/remove`, one per tag;
//! - merge: `PUT /api/v1/ticket_merge/{id}/{target number}`, last.

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::exports::guichet::plugin::adapter::{AdapterError, Header, Outbound, OutgoingRequest};
use crate::guichet::plugin::types::{
    Action, Channel, FieldValue, IdentityKind, Ticket, TicketStatus,
};
use crate::inbound::NUMBER_FIELD;
use crate::text::format_timestamp;

/// Zammad's system user: owning a ticket means nobody owns it.
const NOBODY_ID: u64 = 1;

/// Ticket attributes a `set-field` may not overwrite: those other actions set, and
/// the ids Zammad keeps.
const RESERVED_FIELDS: [&str; 17] = [
    "id",
    "number",
    "state",
    "state_id",
    "priority",
    "priority_id",
    "group",
    "group_id",
    "owner",
    "owner_id",
    "customer",
    "customer_id",
    "organization",
    "organization_id",
    "article",
    "tags",
    NUMBER_FIELD,
];

fn malformed(what: String) -> AdapterError {
    AdapterError::Malformed(what)
}

fn field_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(text) => json!(text),
        FieldValue::Number(n) => json!(n),
        FieldValue::Flag(b) => json!(b),
        FieldValue::Time(t) => json!(format_timestamp(*t)),
    }
}

/// The Zammad number of a guichet ticket, from its `zammad_number` field.
fn number_of(ticket: &Ticket) -> Option<String> {
    ticket
        .fields
        .iter()
        .find(|f| f.name == NUMBER_FIELD)
        .and_then(|f| match &f.value {
            FieldValue::Text(t) if !t.trim().is_empty() => Some(t.trim().to_string()),
            FieldValue::Number(n) => Some(n.to_string()),
            _ => None,
        })
}

struct Requests<'a> {
    config: &'a Config,
    out: Vec<OutgoingRequest>,
}

impl Requests<'_> {
    fn push(&mut self, method: &str, path: &str, body: Option<Value>) {
        let mut headers = vec![Header {
            name: "authorization".into(),
            value: format!("Token token={}", self.config.api_token),
        }];
        let body = match body {
            Some(body) => {
                headers.push(Header {
                    name: "content-type".into(),
                    value: "application/json".into(),
                });
                serde_json::to_vec(&body).unwrap_or_default()
            }
            None => Vec::new(),
        };
        self.out.push(OutgoingRequest {
            method: method.into(),
            url: format!("{}{path}", self.config.base_url),
            headers,
            body,
        });
    }
}

/// The requests carrying `outbound.actions` to Zammad, in the order they must be sent.
pub fn render(config: &Config, outbound: &Outbound) -> Result<Vec<OutgoingRequest>, AdapterError> {
    let ticket = &outbound.ticket;
    let external = ticket.external_id.as_deref().ok_or_else(|| {
        malformed(format!(
            "ticket {} has no Zammad ticket id (external-id)",
            ticket.id
        ))
    })?;
    let ticket_id: u64 = external.parse().map_err(|_| {
        malformed(format!(
            "ticket {}: external-id `{external}` is not a Zammad ticket id",
            ticket.id
        ))
    })?;

    let mut attributes = Map::new();
    let mut articles: Vec<Value> = Vec::new();
    let mut tags: Vec<(&str, String)> = Vec::new();
    let mut merge: Option<String> = None;

    for action in &outbound.actions {
        match action {
            Action::SetStatus(status) => {
                if *status != TicketStatus::Merged
                    && let Some(state) = config.state_for(*status)
                {
                    attributes.insert("state".into(), json!(state));
                }
            }
            Action::Close => {
                if let Some(state) = config.state_for(TicketStatus::Closed) {
                    attributes.insert("state".into(), json!(state));
                }
            }
            Action::SetPriority(priority) => {
                attributes.insert("priority".into(), json!(config.priority_for(*priority)));
            }
            Action::Assign(assignment) => {
                if let Some(group) = &assignment.group {
                    attributes.insert("group".into(), json!(group));
                }
                if let Some(agent) = &assignment.agent {
                    attributes.remove("owner_id");
                    attributes.insert("owner".into(), json!(agent));
                }
            }
            Action::Unassign => {
                attributes.remove("owner");
                attributes.insert("owner_id".into(), json!(NOBODY_ID));
            }
            Action::SetField(field) => {
                if !RESERVED_FIELDS.contains(&field.name.as_str()) {
                    attributes.insert(field.name.clone(), field_json(&field.value));
                }
            }
            Action::AddTags(list) => tags.extend(list.iter().map(|t| ("POST", t.clone()))),
            Action::RemoveTags(list) => tags.extend(list.iter().map(|t| ("DELETE", t.clone()))),
            Action::InternalNote(body) => articles.push(json!({
                "ticket_id": ticket_id,
                "body": body,
                "content_type": "text/plain",
                "type": "note",
                "internal": true,
            })),
            Action::PublicReply(reply) => {
                let channel = reply.channel.unwrap_or(ticket.channel);
                let email = ticket
                    .requester
                    .identities
                    .iter()
                    .find(|i| i.kind == IdentityKind::Email)
                    .map(|i| i.value.clone());
                let article = match (channel, email) {
                    (Channel::Email, Some(to)) => {
                        let mut article = json!({
                            "ticket_id": ticket_id,
                            "body": reply.body,
                            "content_type": "text/plain",
                            "type": "email",
                            "internal": false,
                            "to": to,
                        });
                        if let Some(subject) = &ticket.subject {
                            article["subject"] = json!(subject);
                        }
                        article
                    }
                    // Any other channel: a public note, which the customer sees in
                    // Zammad's customer interface (Zammad sends other channels' messages
                    // only through their own integrations).
                    _ => json!({
                        "ticket_id": ticket_id,
                        "body": reply.body,
                        "content_type": "text/plain",
                        "type": "note",
                        "internal": false,
                    }),
                };
                articles.push(article);
            }
            Action::MergeInto(target) => {
                let related = outbound
                    .related
                    .iter()
                    .find(|t| t.id == *target)
                    .ok_or_else(|| {
                        malformed(format!(
                            "merge target {target} was not given with the actions"
                        ))
                    })?;
                let number = number_of(related).ok_or_else(|| {
                    malformed(format!(
                        "merge target {target} has no `{NUMBER_FIELD}` field: it is not a Zammad ticket"
                    ))
                })?;
                if !number.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(malformed(format!(
                        "merge target {target}: `{number}` is not a Zammad ticket number"
                    )));
                }
                merge = Some(number);
            }
            Action::Notify(_) | Action::SetTimer(_) | Action::CancelTimer(_) => {}
        }
    }

    let mut requests = Requests {
        config,
        out: Vec::new(),
    };
    if !attributes.is_empty() {
        requests.push(
            "PUT",
            &format!("/api/v1/tickets/{ticket_id}"),
            Some(Value::Object(attributes)),
        );
    }
    for article in articles {
        requests.push("POST", "/api/v1/ticket_articles", Some(article));
    }
    for (method, tag) in tags {
        let path = if method == "POST" {
            "/api/v1/tags/add"
        } else {
            "/api/v1/tags/remove"
        };
        requests.push(
            method,
            path,
            Some(json!({ "object": "Ticket", "o_id": ticket_id, "item": tag })),
        );
    }
    if let Some(number) = merge {
        requests.push(
            "PUT",
            &format!("/api/v1/ticket_merge/{ticket_id}/{number}"),
            None,
        );
    }
    Ok(requests.out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guichet::plugin::types::{
        Assignment, CustomField, FieldUpdate, Identity, Priority, Reply, Requester,
    };

    fn config() -> Config {
        Config::parse(
            r#"{"base_url": "https://zammad.example.com/", "api_token": "TEST-TOKEN", "signature_token": "s"}"#,
        )
            .unwrap()
    }

    fn ticket(id: &str, external: Option<&str>, number: Option<&str>) -> Ticket {
        Ticket {
            id: id.into(),
            external_id: external.map(str::to_string),
            channel: Channel::Email,
            requester: Requester {
                name: Some("Camille Durand".into()),
                identities: vec![Identity {
                    kind: IdentityKind::Email,
                    value: "camille.durand@example.fr".into(),
                }],
                language: None,
            },
            subject: Some("Demande de remboursement".into()),
            status: TicketStatus::Open,
            priority: Priority::Normal,
            assignee: None,
            group: None,
            tags: vec![],
            fields: number
                .map(|n| CustomField {
                    name: NUMBER_FIELD.into(),
                    value: FieldValue::Text(n.into()),
                })
                .into_iter()
                .collect(),
            created_at: 0,
            updated_at: 0,
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: None,
            messages: vec![],
        }
    }

    fn outbound(actions: Vec<Action>, related: Vec<Ticket>) -> Outbound {
        Outbound {
            event_id: "evt-1".into(),
            ticket: ticket("tk-source", Some("81"), Some("10081")),
            actions,
            related,
        }
    }

    fn bodies(requests: &[OutgoingRequest]) -> Vec<(String, String, Value)> {
        requests
            .iter()
            .map(|r| {
                (
                    r.method.clone(),
                    r.url.clone(),
                    serde_json::from_slice(&r.body).unwrap_or(Value::Null),
                )
            })
            .collect()
    }

    #[test]
    fn triage_routing_is_one_put_and_one_request_per_tag() {
        let requests = render(
            &config(),
            &outbound(
                vec![
                    Action::Assign(Assignment {
                        agent: None,
                        group: Some("refunds/L1".into()),
                    }),
                    Action::SetField(FieldUpdate {
                        name: "level".into(),
                        value: FieldValue::Text("L1".into()),
                    }),
                    Action::SetPriority(Priority::High),
                    Action::AddTags(vec!["refund".into(), "billing".into()]),
                ],
                vec![],
            ),
        )
        .unwrap();
        assert_eq!(
            bodies(&requests),
            vec![
                (
                    "PUT".into(),
                    "https://zammad.example.com/api/v1/tickets/81".into(),
                    json!({"group": "refunds/L1", "level": "L1", "priority": "3 high"})
                ),
                (
                    "POST".into(),
                    "https://zammad.example.com/api/v1/tags/add".into(),
                    json!({"object": "Ticket", "o_id": 81, "item": "refund"})
                ),
                (
                    "POST".into(),
                    "https://zammad.example.com/api/v1/tags/add".into(),
                    json!({"object": "Ticket", "o_id": 81, "item": "billing"})
                ),
            ]
        );
        assert_eq!(requests[0].headers[0].value, "Token token=TEST-TOKEN");
        assert_eq!(requests[0].headers[1].value, "application/json");
    }

    #[test]
    fn replies_notes_close_and_unassign() {
        let requests = render(
            &config(),
            &outbound(
                vec![
                    Action::Assign(Assignment {
                        agent: Some("emma@chrispresso.com".into()),
                        group: None,
                    }),
                    Action::InternalNote("Vérifié.".into()),
                    Action::PublicReply(Reply {
                        body: "Bonjour, c'est fait.".into(),
                        channel: None,
                    }),
                    Action::Unassign,
                    Action::SetStatus(TicketStatus::WaitingOnRequester),
                    Action::RemoveTags(vec!["untriaged".into()]),
                    Action::Close,
                    Action::SetTimer(crate::guichet::plugin::types::Timer {
                        name: "x".into(),
                        due_at: 0,
                    }),
                ],
                vec![],
            ),
        )
        .unwrap();
        let got = bodies(&requests);
        assert_eq!(got.len(), 4);
        assert_eq!(got[0].2, json!({"owner_id": 1, "state": "closed"}));
        assert_eq!(
            got[1].2,
            json!({"ticket_id": 81, "body": "Vérifié.", "content_type": "text/plain", "type": "note", "internal": true})
        );
        assert_eq!(
            got[2].2,
            json!({"ticket_id": 81, "body": "Bonjour, c'est fait.", "content_type": "text/plain",
                   "type": "email", "internal": false, "to": "camille.durand@example.fr",
                   "subject": "Demande de remboursement"})
        );
        assert_eq!(got[3].0, "DELETE");
        assert_eq!(got[3].1, "https://zammad.example.com/api/v1/tags/remove");
    }

    #[test]
    fn a_reply_on_another_channel_is_a_public_note() {
        let requests = render(
            &config(),
            &outbound(
                vec![Action::PublicReply(Reply {
                    body: "Hi".into(),
                    channel: Some(Channel::Phone),
                })],
                vec![],
            ),
        )
        .unwrap();
        assert_eq!(
            bodies(&requests)[0].2,
            json!({"ticket_id": 81, "body": "Hi", "content_type": "text/plain", "type": "note", "internal": false})
        );
    }

    #[test]
    fn merge_names_the_targets_number() {
        let target = ticket("tk-target", Some("80"), Some("10080"));
        let requests = render(
            &config(),
            &outbound(vec![Action::MergeInto("tk-target".into())], vec![target]),
        )
        .unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].method, "PUT");
        assert_eq!(
            requests[0].url,
            "https://zammad.example.com/api/v1/ticket_merge/81/10080"
        );
        assert!(requests[0].body.is_empty());

        let not_zammad = ticket("tk-target", None, None);
        assert!(matches!(
            render(
                &config(),
                &outbound(
                    vec![Action::MergeInto("tk-target".into())],
                    vec![not_zammad]
                )
            ),
            Err(AdapterError::Malformed(_))
        ));
        assert!(matches!(
            render(
                &config(),
                &outbound(vec![Action::MergeInto("tk-x".into())], vec![])
            ),
            Err(AdapterError::Malformed(_))
        ));
    }

    #[test]
    fn nothing_to_send_is_an_empty_list_and_no_external_id_is_malformed() {
        assert!(
            render(&config(), &outbound(vec![], vec![]))
                .unwrap()
                .is_empty()
        );
        let mut out = outbound(vec![Action::Close], vec![]);
        out.ticket.external_id = None;
        assert!(matches!(
            render(&config(), &out),
            Err(AdapterError::Malformed(_))
        ));
    }

    #[test]
    fn reserved_fields_are_not_overwritten() {
        let requests = render(
            &config(),
            &outbound(
                vec![
                    Action::SetField(FieldUpdate {
                        name: "state".into(),
                        value: FieldValue::Text("closed".into()),
                    }),
                    Action::SetField(FieldUpdate {
                        name: "due".into(),
                        value: FieldValue::Time(1_605_278_075_282),
                    }),
                ],
                vec![],
            ),
        )
        .unwrap();
        assert_eq!(
            bodies(&requests)[0].2,
            json!({"due": "2020-11-13T14:34:35.282Z"})
        );
    }
}

/// `fixtures/expect.json`'s renders, checked against `render`: the host's JSON model
/// (`host/src/model.rs`) read into the contract's types.
#[cfg(test)]
mod expect_json {
    use super::*;
    use crate::guichet::plugin::types::{
        Assignment, AuthorRole, CustomField, FieldUpdate, Identity, Message, Notification,
        Priority, Recipient, Reply, Requester, Timer,
    };
    use crate::text::parse_timestamp;

    fn s(v: &Value) -> String {
        v.as_str().unwrap().to_string()
    }
    fn opt(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    fn time(v: &Value) -> i64 {
        parse_timestamp(v.as_str().unwrap()).unwrap()
    }
    fn channel(v: &Value) -> Channel {
        match v.as_str().unwrap() {
            "email" => Channel::Email,
            "chat" => Channel::Chat,
            "whatsapp" => Channel::Whatsapp,
            "messenger" => Channel::Messenger,
            "phone" => Channel::Phone,
            "app_store_review" => Channel::AppStoreReview,
            "sms" => Channel::Sms,
            "web_form" => Channel::WebForm,
            _ => Channel::Api,
        }
    }
    fn status(v: &Value) -> TicketStatus {
        let name = v.as_str().unwrap_or("new");
        crate::config::STATUSES
            .into_iter()
            .find(|st| crate::config::status_name(*st) == name)
            .unwrap()
    }
    fn priority(v: &Value) -> Priority {
        let name = v.as_str().unwrap_or("normal");
        crate::config::PRIORITIES
            .into_iter()
            .find(|p| crate::config::priority_name(*p) == name)
            .unwrap()
    }
    fn field_value(v: &Value) -> FieldValue {
        let (kind, value) = v.as_object().unwrap().iter().next().unwrap();
        match kind.as_str() {
            "text" => FieldValue::Text(s(value)),
            "number" => FieldValue::Number(value.as_i64().unwrap()),
            "flag" => FieldValue::Flag(value.as_bool().unwrap()),
            _ => FieldValue::Time(time(value)),
        }
    }
    fn ticket(v: &Value) -> Ticket {
        let requester = &v["requester"];
        Ticket {
            id: s(&v["id"]),
            external_id: opt(&v["external_id"]),
            channel: channel(&v["channel"]),
            requester: Requester {
                name: opt(&requester["name"]),
                identities: requester["identities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| Identity {
                        kind: match i["kind"].as_str().unwrap() {
                            "email" => IdentityKind::Email,
                            "phone" => IdentityKind::Phone,
                            _ => IdentityKind::External,
                        },
                        value: s(&i["value"]),
                    })
                    .collect(),
                language: opt(&requester["language"]),
            },
            subject: opt(&v["subject"]),
            status: status(&v["status"]),
            priority: priority(&v["priority"]),
            assignee: opt(&v["assignee"]),
            group: opt(&v["group"]),
            tags: v["tags"].as_array().unwrap().iter().map(s).collect(),
            fields: v["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| CustomField {
                    name: s(&f["name"]),
                    value: field_value(&f["value"]),
                })
                .collect(),
            created_at: time(&v["created_at"]),
            updated_at: time(&v["updated_at"]),
            first_agent_response_at: None,
            last_requester_message_at: None,
            last_agent_message_at: None,
            merged_into: opt(&v["merged_into"]),
            messages: v["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| Message {
                    id: s(&m["id"]),
                    author_role: match m["author_role"].as_str().unwrap() {
                        "requester" => AuthorRole::Requester,
                        "agent" => AuthorRole::Agent,
                        "bot" => AuthorRole::Bot,
                        _ => AuthorRole::System,
                    },
                    author: opt(&m["author"]),
                    channel: channel(&m["channel"]),
                    body: s(&m["body"]),
                    public: m["public"].as_bool().unwrap_or(true),
                    created_at: time(&m["created_at"]),
                })
                .collect(),
        }
    }
    fn strings(v: &Value) -> Vec<String> {
        v.as_array().unwrap().iter().map(s).collect()
    }
    fn action(v: &Value) -> Action {
        match v["type"].as_str().unwrap() {
            "set_status" => Action::SetStatus(status(&v["status"])),
            "set_priority" => Action::SetPriority(priority(&v["priority"])),
            "assign" => Action::Assign(Assignment {
                agent: opt(&v["agent"]),
                group: opt(&v["group"]),
            }),
            "unassign" => Action::Unassign,
            "add_tags" => Action::AddTags(strings(&v["tags"])),
            "remove_tags" => Action::RemoveTags(strings(&v["tags"])),
            "set_field" => Action::SetField(FieldUpdate {
                name: s(&v["name"]),
                value: field_value(&v["value"]),
            }),
            "public_reply" => Action::PublicReply(Reply {
                body: s(&v["body"]),
                channel: v.get("channel").filter(|c| !c.is_null()).map(channel),
            }),
            "internal_note" => Action::InternalNote(s(&v["body"])),
            "merge_into" => Action::MergeInto(s(&v["ticket_id"])),
            "notify" => Action::Notify(Notification {
                recipient: Recipient::Group(s(&v["recipient"]["group"])),
                message: s(&v["message"]),
            }),
            "set_timer" => Action::SetTimer(Timer {
                name: s(&v["name"]),
                due_at: time(&v["due_at"]),
            }),
            "cancel_timer" => Action::CancelTimer(s(&v["name"])),
            "close" => Action::Close,
            other => panic!("unknown action {other}"),
        }
    }

    #[test]
    fn the_renders_of_expect_json_are_what_render_returns() {
        let path = format!("{}/fixtures/expect.json", env!("CARGO_MANIFEST_DIR"));
        let expect: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let config = Config::parse(&expect["config"].to_string()).unwrap();
        let endpoints: Vec<String> = strings(&expect["endpoints"]);
        for (n, case) in expect["renders"].as_array().unwrap().iter().enumerate() {
            let outbound = Outbound {
                event_id: format!("evt-{n}"),
                ticket: ticket(&case["ticket"]),
                actions: case["actions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(action)
                    .collect(),
                related: case["related"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(ticket)
                    .collect(),
            };
            let got = render(&config, &outbound).unwrap();
            let want = case["requests"].as_array().unwrap();
            assert_eq!(got.len(), want.len(), "render {n}");
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g.method, s(&w["method"]), "render {n}");
                assert_eq!(g.url, s(&w["url"]), "render {n}");
                assert!(endpoints.iter().any(|e| g.url.starts_with(e.as_str())));
                for h in w["headers"].as_array().unwrap() {
                    assert!(
                        g.headers
                            .iter()
                            .any(|gh| gh.name == s(&h["name"]) && gh.value == s(&h["value"])),
                        "render {n}: header {h}"
                    );
                }
                match &w["body"] {
                    Value::String(text) => assert_eq!(g.body, text.as_bytes(), "render {n}"),
                    body => assert_eq!(
                        &serde_json::from_slice::<Value>(&g.body).unwrap(),
                        body,
                        "render {n}"
                    ),
                }
            }
        }
    }
}
