//! guichet's actions rendered as Chatwoot Application API requests.
//!
//! Endpoints (Chatwoot's routes and controllers under
//! app/controllers/api/v1/accounts/conversations*; `{id}` is the conversation's
//! `display_id`, what the webhooks call `id`; authentication: header
//! `api_access_token`):
//! - `POST …/conversations/{id}/messages` `{"content", "message_type": "outgoing", "private"}`
//! - `POST …/conversations/{id}/toggle_status` `{"status": "open"|"resolved"|"pending"|"snoozed"}`
//! - `POST …/conversations/{id}/toggle_priority` `{"priority": "low"|"medium"|"high"|"urgent"}`
//! - `POST …/conversations/{id}/assignments` `{"assignee_id": n|null}` or `{"team_id": n}`:
//!   the controller reads `assignee_id` first and only then `team_id`, so an agent
//!   and a team take two requests (the team first: changing the team drops an
//!   assignee who is not a member of it).
//! - `POST …/conversations/{id}/labels` `{"labels": [...]}`: replaces the whole list.
//! - `POST …/conversations/{id}/custom_attributes` `{"custom_attributes": {...}}`:
//!   replaces the whole object.

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::inbound::DISPLAY_ID_FIELD;
use crate::model::{Action, Error, FieldValue, Priority, Request, Status, TicketView};
use crate::time;

/// Chatwoot's status for a guichet status; `None` for `merged`, which only
/// `merge-into` sets.
pub fn chatwoot_status(status: Status) -> Option<&'static str> {
    Some(match status {
        Status::New => "pending",
        Status::Open | Status::WaitingOnAgent | Status::WaitingOnRequester => "open",
        Status::OnHold => "snoozed",
        Status::Solved | Status::Closed => "resolved",
        Status::Merged => return None,
    })
}

/// Chatwoot's priority for a guichet priority.
pub fn chatwoot_priority(priority: Priority) -> &'static str {
    match priority {
        Priority::Low => "low",
        Priority::Normal => "medium",
        Priority::High => "high",
        Priority::Urgent => "urgent",
    }
}

fn field_json(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(s) => json!(s),
        FieldValue::Number(n) => json!(n),
        FieldValue::Flag(b) => json!(b),
        FieldValue::Time(ms) => json!(time::format_rfc3339(*ms)),
    }
}

/// The requests for `actions` on `ticket` (as the actions left it), in order.
pub fn render(
    config: &Config,
    ticket: &TicketView,
    actions: &[Action],
    related: &[TicketView],
) -> Result<Vec<Request>, Error> {
    let sends_something = actions.iter().any(|a| !matches!(a, Action::Other));
    if !sends_something {
        return Ok(Vec::new());
    }
    let conversation = ticket
        .external_id
        .as_deref()
        .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            Error::Malformed(format!(
                "ticket {} has no Chatwoot conversation id (external id {:?})",
                ticket.id, ticket.external_id
            ))
        })?;
    let base = format!("{}/conversations/{conversation}", config.account_url());
    let post = |path: &str, body: Value| Request {
        method: "POST".to_string(),
        url: format!("{base}/{path}"),
        headers: vec![
            (
                "api_access_token".to_string(),
                config.api_access_token.clone(),
            ),
            ("content-type".to_string(), "application/json".to_string()),
        ],
        body: serde_json::to_vec(&body).expect("a JSON value serialises"),
    };
    let message = |content: &str, private: bool| {
        post(
            "messages",
            json!({"content": content, "message_type": "outgoing", "private": private}),
        )
    };

    let mut requests = Vec::new();
    let mut labels_sent = false;
    let mut attributes_sent = false;
    for action in actions {
        match action {
            Action::PublicReply(body) => requests.push(message(body, false)),
            Action::InternalNote(body) => requests.push(message(body, true)),
            Action::SetStatus(status) => {
                if let Some(status) = chatwoot_status(*status) {
                    requests.push(post("toggle_status", json!({"status": status})));
                }
            }
            Action::Close => requests.push(post("toggle_status", json!({"status": "resolved"}))),
            Action::SetPriority(priority) => requests.push(post(
                "toggle_priority",
                json!({"priority": chatwoot_priority(*priority)}),
            )),
            Action::Assign { agent, group } => {
                // An unmapped name is left out: Chatwoot only takes ids.
                if let Some(team) = group.as_deref().and_then(|g| config.teams.get(g)) {
                    requests.push(post("assignments", json!({"team_id": team})));
                }
                if let Some(user) = agent.as_deref().and_then(|a| config.agents.get(a)) {
                    requests.push(post("assignments", json!({"assignee_id": user})));
                }
            }
            Action::Unassign => {
                requests.push(post("assignments", json!({"assignee_id": null})));
            }
            Action::AddTags(_) | Action::RemoveTags(_) => {
                // The endpoint replaces the list: one request with the tags the
                // ticket has after every action.
                if !labels_sent {
                    labels_sent = true;
                    requests.push(post("labels", json!({"labels": ticket.tags})));
                }
            }
            Action::SetField(_) => {
                // The endpoint replaces every custom attribute: send the ticket's
                // fields as the actions left them (but the adapter's own).
                if !attributes_sent {
                    attributes_sent = true;
                    let attributes: Map<String, Value> = ticket
                        .fields
                        .iter()
                        .filter(|f| f.name != DISPLAY_ID_FIELD)
                        .map(|f| (f.name.clone(), field_json(&f.value)))
                        .collect();
                    requests.push(post(
                        "custom_attributes",
                        json!({"custom_attributes": attributes}),
                    ));
                }
            }
            Action::MergeInto(target) => {
                // Chatwoot has no API to merge conversations: say it in a private
                // note and resolve this one.
                let target_ticket = related.iter().find(|t| &t.id == target);
                let note = match target_ticket.and_then(|t| t.external_id.as_deref()) {
                    Some(other) if other.bytes().all(|b| b.is_ascii_digit()) => format!(
                        "Merged in guichet into ticket {target} (Chatwoot conversation #{other}); \
                         continue there."
                    ),
                    _ => format!("Merged in guichet into ticket {target}; continue there."),
                };
                requests.push(message(&note, true));
                requests.push(post("toggle_status", json!({"status": "resolved"})));
            }
            Action::Other => {}
        }
    }
    Ok(requests)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Field;

    fn config() -> Config {
        Config::parse(
            r#"{"base_url":"https://chatwoot.example.com/","account_id":1,
                "api_access_token":"TEST-TOKEN","webhook_secret":"s","agents":{"marie":12},
                "teams":{"billing/L1":3}}"#,
        )
        .unwrap()
    }

    fn ticket() -> TicketView {
        TicketView {
            id: "tk-8f3kq2m9zt".into(),
            external_id: Some("42".into()),
            tags: vec!["remboursement".into(), "vip".into()],
            fields: vec![
                Field {
                    name: DISPLAY_ID_FIELD.into(),
                    value: FieldValue::Number(42),
                },
                Field {
                    name: "level".into(),
                    value: FieldValue::Text("L1".into()),
                },
                Field {
                    name: "due".into(),
                    value: FieldValue::Time(1_773_134_100_000),
                },
            ],
        }
    }

    fn show(requests: &[Request]) -> Vec<(String, String)> {
        requests
            .iter()
            .map(|r| {
                (
                    r.url
                        .trim_start_matches(
                            "https://chatwoot.example.com/api/v1/accounts/1/conversations/42/",
                        )
                        .to_string(),
                    String::from_utf8(r.body.clone()).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn replies_and_notes() {
        let r = render(
            &config(),
            &ticket(),
            &[
                Action::PublicReply("Merci !".into()),
                Action::InternalNote("à rembourser".into()),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            show(&r),
            [
                (
                    "messages".to_string(),
                    r#"{"content":"Merci !","message_type":"outgoing","private":false}"#
                        .to_string()
                ),
                (
                    "messages".to_string(),
                    r#"{"content":"à rembourser","message_type":"outgoing","private":true}"#
                        .to_string()
                ),
            ]
        );
        assert_eq!(r[0].method, "POST");
        assert_eq!(
            r[0].headers[0],
            ("api_access_token".to_string(), "TEST-TOKEN".to_string())
        );
    }

    #[test]
    fn a_triaged_ticket() {
        let r = render(
            &config(),
            &ticket(),
            &[
                Action::Assign {
                    agent: None,
                    group: Some("billing/L1".into()),
                },
                Action::SetField(Field {
                    name: "level".into(),
                    value: FieldValue::Text("L1".into()),
                }),
                Action::SetPriority(Priority::High),
                Action::AddTags(vec!["remboursement".into()]),
                Action::RemoveTags(vec!["x".into()]),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            show(&r),
            [
                ("assignments".into(), r#"{"team_id":3}"#.into()),
                (
                    "custom_attributes".into(),
                    r#"{"custom_attributes":{"due":"2026-03-10T09:15:00Z","level":"L1"}}"#.into()
                ),
                ("toggle_priority".into(), r#"{"priority":"high"}"#.into()),
                (
                    "labels".into(),
                    r#"{"labels":["remboursement","vip"]}"#.into()
                ),
            ]
        );
    }

    #[test]
    fn statuses_assignments_and_what_is_left_out() {
        let r = render(
            &config(),
            &ticket(),
            &[
                Action::SetStatus(Status::WaitingOnRequester),
                Action::SetStatus(Status::OnHold),
                Action::SetStatus(Status::Merged),
                Action::Close,
                Action::Assign {
                    agent: Some("marie".into()),
                    group: Some("billing/L1".into()),
                },
                Action::Assign {
                    agent: Some("nobody".into()),
                    group: Some("unknown".into()),
                },
                Action::Unassign,
                Action::Other,
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            show(&r),
            [
                ("toggle_status".into(), r#"{"status":"open"}"#.into()),
                ("toggle_status".into(), r#"{"status":"snoozed"}"#.into()),
                ("toggle_status".into(), r#"{"status":"resolved"}"#.into()),
                ("assignments".into(), r#"{"team_id":3}"#.into()),
                ("assignments".into(), r#"{"assignee_id":12}"#.into()),
                ("assignments".into(), r#"{"assignee_id":null}"#.into()),
            ]
        );
    }

    #[test]
    fn merge_is_a_note_and_a_resolve() {
        let target = TicketView {
            id: "tk-other".into(),
            external_id: Some("43".into()),
            tags: vec![],
            fields: vec![],
        };
        let r = render(
            &config(),
            &ticket(),
            &[Action::MergeInto("tk-other".into())],
            &[target],
        )
        .unwrap();
        let shown = show(&r);
        assert!(shown[0].1.contains("conversation #43"));
        assert!(shown[0].1.contains(r#""private":true"#));
        assert_eq!(shown[1].1, r#"{"status":"resolved"}"#);
    }

    #[test]
    fn a_ticket_without_conversation() {
        let mut t = ticket();
        t.external_id = None;
        assert!(matches!(
            render(&config(), &t, &[Action::Close], &[]),
            Err(Error::Malformed(_))
        ));
        // Nothing to send: nothing to check.
        assert_eq!(render(&config(), &t, &[Action::Other], &[]), Ok(vec![]));
        t.external_id = Some("42/../43".into());
        assert!(render(&config(), &t, &[Action::Close], &[]).is_err());
    }
}
