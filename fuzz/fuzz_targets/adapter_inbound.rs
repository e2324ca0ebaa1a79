//! `POST`/`GET /v1/inbound/{address}`: a platform's webhook delivery to a channel
//! adapter or a helpdesk bridge, as the host handles it around the adapter. The
//! input is a request written like the adapters' fixtures (`plugins/*/fixtures/
//! *.http`): a request line (`POST /?query HTTP/1.1`), header lines, a blank line,
//! the body. The host turns it into the `IncomingRequest` the adapter reads, and
//! keeps a record of it when the adapter refuses it. When the body is itself what an
//! adapter may make of a delivery (an `InboundBatch` as JSON: messages, missed calls,
//! helpdesk ticket updates, a handshake's answer), the host's intake (events, links
//! to tickets, duplicates) and its answer to the platform run on it too, over a
//! small in-memory tenant.
//!
//! Invariants: nothing panics; the adapter gets the body's bytes and every header
//! as they came; the request reads back from JSON the same; a refusal's record keeps
//! no query string; every event of the intake carries the ticket its group links;
//! the platform is answered a 2xx with `nosniff`, a sandbox policy and a content
//! type from the allowed list.

#![no_main]

use std::collections::HashMap;

use guichet::api::fuzzing;
use guichet::model::{InboundBatch, IncomingRequest, Priority, Ticket, TicketStatus};
use guichet::pipeline::intake::{Lookup, intake};
use guichet::store::StoreError;
use libfuzzer_sys::fuzz_target;

/// HTTP servers stop reading headers well before this.
const MAX_HEADERS: usize = 100;

/// A request line, headers and a body, as the `.http` fixtures write them.
struct Written<'a> {
    method: &'a [u8],
    target: &'a [u8],
    headers: Vec<(&'a [u8], &'a [u8])>,
    body: &'a [u8],
}

fn split_request(data: &[u8]) -> Written<'_> {
    let (head, body) = match find(data, b"\r\n\r\n") {
        Some(at) => (&data[..at], &data[at + 4..]),
        None => match find(data, b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        },
    };
    let mut lines = head
        .split(|b| *b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line));
    let mut request_line = lines.next().unwrap_or_default().split(|b| *b == b' ');
    let method = request_line.next().unwrap_or(b"POST");
    let target = request_line.next().unwrap_or(b"/");
    let headers = lines
        .filter_map(|line| {
            let colon = line.iter().position(|b| *b == b':')?;
            let value = &line[colon + 1..];
            let skip = value
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            Some((&line[..colon], &value[skip..]))
        })
        .take(MAX_HEADERS)
        .collect();
    Written {
        method,
        target,
        headers,
        body,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A tenant with a few tickets (open, closed, merged, merged in a loop) and
/// conversations linked to them; event ids ending in `seen` were stored before.
struct Memory {
    links: HashMap<String, String>,
    tickets: HashMap<String, Ticket>,
}

impl Memory {
    fn new() -> Memory {
        let ticket = |id: &str, status: TicketStatus, merged_into: Option<&str>| {
            let at = "2026-11-30T10:00:00Z";
            let mut ticket: Ticket = serde_json::from_value(serde_json::json!({
                "id": id, "channel": "email",
                "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
                "created_at": at, "updated_at": at,
            }))
            .unwrap();
            ticket.status = status;
            ticket.priority = Priority::Normal;
            ticket.merged_into = merged_into.map(str::to_string);
            ticket
        };
        let tickets = [
            ticket("t-open", TicketStatus::Open, None),
            ticket("t-closed", TicketStatus::Closed, None),
            ticket("t-merged", TicketStatus::Merged, Some("t-open")),
            ticket("t-loop-a", TicketStatus::Merged, Some("t-loop-b")),
            ticket("t-loop-b", TicketStatus::Merged, Some("t-loop-a")),
            ticket("t-lost", TicketStatus::Merged, None),
        ];
        let links = [
            ("ticket:512", "t-open"),
            ("ticket:closed", "t-closed"),
            ("ticket:merged", "t-merged"),
            ("ticket:loop", "t-loop-a"),
            ("ticket:gone", "t-never-stored"),
            ("identity:email:email:zoe@example.fr", "t-open"),
            ("identity:whatsapp:whatsapp:+33612345678", "t-closed"),
        ];
        Memory {
            links: links
                .into_iter()
                .map(|(c, t)| (c.to_string(), t.to_string()))
                .collect(),
            tickets: tickets.into_iter().map(|t| (t.id.clone(), t)).collect(),
        }
    }
}

impl Lookup for Memory {
    fn linked(&self, conversation: &str) -> Result<Option<String>, StoreError> {
        Ok(self.links.get(conversation).cloned())
    }
    fn ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        Ok(self.tickets.get(id).cloned())
    }
    fn seen(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(event_id.ends_with("seen"))
    }
}

fn check_request(written: &Written<'_>) {
    let Some(read) = fuzzing::inbound_request(
        written.method,
        written.target,
        &written.headers,
        written.body,
    ) else {
        return;
    };
    let request = &read.request;
    assert_eq!(request.body.as_bytes(), written.body, "the body as it came");
    assert_eq!(request.method.as_bytes(), written.method);
    assert!(
        request.path == "/" || request.path.starts_with("/?"),
        "{request:?}"
    );
    assert_eq!(request.headers.len(), read.headers.len(), "every header");
    for (given, (name, value)) in request.headers.iter().zip(&read.headers) {
        assert_eq!(&given.name, name);
        assert_eq!(given.value, String::from_utf8_lossy(value));
    }
    let json = serde_json::to_string(request).expect("a request is JSON");
    let back: IncomingRequest = serde_json::from_str(&json).expect("a request reads back");
    assert_eq!(&back, request, "{json}");
    assert_eq!(
        read.refusal.path, "/",
        "a refusal keeps no query: {:?}",
        read.refusal
    );
    assert!(read.refusal.reason.len() <= 4096 + '…'.len_utf8());
    let asked_wait = request
        .path
        .strip_prefix("/?")
        .is_some_and(|q| q.split('&').any(|pair| pair == "wait=true"));
    assert_eq!(read.wait, asked_wait, "{request:?}");
}

fn check_batch(batch: InboundBatch) {
    if let Some(answer) = batch.answer.clone() {
        let (status, headers) = fuzzing::adapter_answer(answer);
        assert!((200..300).contains(&status), "{status}");
        let header = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
        };
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(
            header("content-security-policy").as_deref(),
            Some("sandbox")
        );
        let content_type = header("content-type").expect("a content type");
        assert!(
            [
                "text/plain",
                "application/json",
                "application/xml",
                "text/xml",
                "application/octet-stream",
            ]
            .iter()
            .any(|allowed| content_type == *allowed
                || content_type.starts_with(&format!("{allowed};"))),
            "{content_type}"
        );
    }
    let items = batch.items.len();
    let mut n = 0;
    let memory = Memory::new();
    let read = intake("fuzz", batch, &memory, || {
        n += 1;
        format!("t-new-{n}")
    })
    .expect("the in-memory tenant does not fail");
    assert!(read.delivery.groups.len() + read.duplicates + read.ignored.len() <= items);
    for group in &read.delivery.groups {
        assert!(!group.events.is_empty(), "a group has events");
        for event in &group.events {
            let ticket = event
                .ticket
                .as_ref()
                .expect("an inbound event has its ticket");
            if let Some((_, linked)) = &group.link {
                assert_eq!(&ticket.id, linked, "the group links its events' ticket");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let written = split_request(data);
    check_request(&written);
    if let Ok(batch) = serde_json::from_slice::<InboundBatch>(written.body) {
        check_batch(batch);
    }
});
