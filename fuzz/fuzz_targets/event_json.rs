//! `POST /v1/tenants/{tenant}/events`: any bytes as the body, read as the handler
//! reads it (JSON, the description's `EventsBody` schema, then the model's events,
//! one or a batch). The input's first line is also tried as the query string and as
//! the `Idempotency-Key` header, and the whole input as the local harness's events
//! file.
//!
//! Invariants: nothing panics; a refusal is a 4xx, never the service's fault; an
//! accepted event written back as JSON reads back the same, and is accepted again
//! (on its own and in a batch).

#![no_main]

use guichet::api::fuzzing;
use guichet::model::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or_default();
    if let Ok(query) = std::str::from_utf8(first_line) {
        if let Err(problem) = fuzzing::events_query(query) {
            assert_eq!(problem.status, 400, "{problem:?}");
        }
    }
    if let Some(Err(problem)) = fuzzing::idempotency_key(first_line) {
        assert_eq!(problem.status, 400, "{problem:?}");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = guichet::harness::parse_events(text, "fuzz");
    }

    let (events, batch) = match fuzzing::events_body(data) {
        Ok(read) => read,
        Err(problem) => {
            assert!(
                (400..500).contains(&problem.status),
                "a refused body is the caller's fault: {problem:?}"
            );
            return;
        }
    };
    assert!(!events.is_empty(), "an accepted body has an event");
    assert!(batch || events.len() == 1);
    for event in &events {
        let _ = event.kind.name();
        let _ = event.kind.is_host_made();
        let json = serde_json::to_value(event).expect("an event is JSON");
        let back: Event = serde_json::from_value(json.clone()).expect("an event reads back");
        assert_eq!(&back, event, "serde round trip of {json}");
        let text = json.to_string();
        let again = fuzzing::events_body(text.as_bytes());
        let (again, again_batch) = again.unwrap_or_else(|problem| {
            panic!("an accepted event, written back, is refused: {problem:?}\n{text}")
        });
        assert!(!again_batch);
        assert_eq!(again, vec![event.clone()], "{text}");
    }
    let all = serde_json::to_string(&events).expect("events are JSON");
    let (again, again_batch) = fuzzing::events_body(all.as_bytes()).unwrap_or_else(|problem| {
        panic!("accepted events, written back as a batch, are refused: {problem:?}\n{all}")
    });
    assert!(again_batch);
    assert_eq!(again, events);
});
