//! Timers and schedules end to end: the service on a simulated clock (and once on the
//! system clock), spoken to over HTTP, with the `timers` test guest doing what each
//! ticket's messages tell it (`tests/guests/timers`).

mod common;

use guichet::store::TicketStore;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use guichet::clock::SimulatedClock;
use guichet::serve::ServiceClock;
use guichet::store::SledStore;

use common::guest_path;
use common::service::{OPERATOR, Running, data_dir};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn millis(text: &str) -> i64 {
    at(text).timestamp_millis()
}

/// A service on a simulated clock set to `start`, with tenant `acme` (in `zone`) and
/// the timers guest installed under the name `timers`.
fn service(name: &str, start: &str, zone: &str, config: Value) -> (Running, String) {
    let s = Running::start_on(
        data_dir(name),
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(at(start)))),
    );
    let created = s.json(
        "POST",
        "/v1/tenants",
        OPERATOR,
        json!({"id": "acme", "time_zone": zone}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let admin = created.body["admin_token"].as_str().unwrap().to_string();
    install_timers_guest(
        &s,
        &admin,
        json!({"enabled": true, "config": config,
               "subscriptions": ["ticket_created", "message_added"]}),
    );
    (s, admin)
}

/// Uploads the timers guest to tenant `acme` as plugin `timers`, with `settings`.
fn install_timers_guest(s: &Running, admin: &str, settings: Value) {
    let wasm = std::fs::read(guest_path("timers")).unwrap();
    let uploaded = s.call(
        "PUT",
        "/v1/tenants/acme/plugins/timers/component",
        Some(admin),
        Some(wasm),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    set_plugin(s, admin, settings);
}

/// Changes the timers guest's settings (schedules, enabled…); they must be accepted.
fn set_plugin(s: &Running, admin: &str, settings: Value) {
    let answer = s.json("PUT", "/v1/tenants/acme/plugins/timers", admin, settings);
    assert_eq!(answer.status, 200, "{}", answer.body);
}

fn created(ticket: &str, when: &str, body: &str) -> Value {
    json!({
        "id": format!("{ticket}-created"),
        "kind": {"type": "ticket_created"},
        "occurred_at": when,
        "ticket": {
            "id": ticket, "channel": "email",
            "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
            "created_at": when, "updated_at": when,
            "messages": [{"id": "m-0", "author_role": "requester", "channel": "email",
                          "body": body, "created_at": when}]
        }
    })
}

fn message(ticket: &str, n: u32, when: &str, body: &str) -> Value {
    json!({
        "id": format!("{ticket}-m{n}"),
        "kind": {"type": "message_added", "message": {
            "id": format!("m-{n}"), "author_role": "requester", "channel": "email",
            "body": body, "created_at": when}},
        "occurred_at": when,
        "ticket": {"id": ticket, "channel": "email", "requester": {"identities": []},
                   "created_at": when, "updated_at": when}
    })
}

fn post(s: &Running, token: &str, event: Value) -> Value {
    let answer = s.json("POST", "/v1/tenants/acme/events?wait=true", token, event);
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

fn get(s: &Running, token: &str, path: &str) -> Value {
    let answer = s.call("GET", path, Some(token), None);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.body
}

/// The ticket's pending timers as (name, due time).
fn pending(s: &Running, token: &str, ticket: &str) -> Vec<(String, String)> {
    get(
        s,
        token,
        &format!("/v1/tenants/acme/tickets/{ticket}/timers"),
    )
    .as_array()
    .unwrap()
    .iter()
    .map(|t| {
        (
            t["name"].as_str().unwrap().to_string(),
            t["due_at"].as_str().unwrap().to_string(),
        )
    })
    .collect()
}

/// The timer's name in a timer event's id: `timer:<ticket>:<plugin>:<due>:<name>`.
fn timer_of(event_id: &Value) -> &str {
    event_id.as_str().unwrap().splitn(5, ':').nth(4).unwrap()
}

/// The timer events in a ticket's audit trail, as (timer, when it was processed).
fn fired(s: &Running, token: &str, ticket: &str) -> Vec<(String, DateTime<Utc>)> {
    get(
        s,
        token,
        &format!("/v1/tenants/acme/tickets/{ticket}/audit"),
    )
    .as_array()
    .unwrap()
    .iter()
    .filter(|r| r["event_kind"] == "timer_fired")
    .map(|r| {
        let name = r["event_id"]
            .as_str()
            .unwrap()
            .splitn(5, ':')
            .nth(4)
            .unwrap();
        (name.to_string(), r["at"].as_str().unwrap().parse().unwrap())
    })
    .collect()
}

fn tags(s: &Running, token: &str, ticket: &str) -> Vec<String> {
    get(s, token, &format!("/v1/tenants/acme/tickets/{ticket}"))["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn timers_fire_at_their_due_time_soonest_first_across_tickets() {
    let (s, admin) = service("timers-order", "2026-11-20T17:55:00Z", "UTC", json!({}));
    post(
        &s,
        &admin,
        created("t-1", "2026-11-20T17:55:00Z", "set a +3600\nset b +60"),
    );
    post(
        &s,
        &admin,
        created("t-2", "2026-11-20T17:55:00Z", "set c +1800"),
    );
    assert_eq!(
        pending(&s, &admin, "t-1"),
        vec![
            ("b".to_string(), "2026-11-20T17:56:00Z".to_string()),
            ("a".to_string(), "2026-11-20T18:55:00Z".to_string())
        ]
    );

    // One second before b is due, nothing; at its due time, b alone.
    assert_eq!(s.advance_to("2026-11-20T17:55:59Z"), 0);
    assert!(fired(&s, &admin, "t-1").is_empty());
    assert_eq!(s.advance_to("2026-11-20T17:56:00Z"), 1);
    assert_eq!(
        fired(&s, &admin, "t-1"),
        vec![("b".to_string(), at("2026-11-20T17:56:00Z"))]
    );
    assert!(tags(&s, &admin, "t-1").contains(&"fired:b".to_string()));
    let ticket = get(&s, &admin, "/v1/tenants/acme/tickets/t-1");
    let note = ticket["messages"].as_array().unwrap().last().unwrap()["body"].clone();
    assert_eq!(
        note,
        format!(
            "b fired at {} (due {})",
            millis("2026-11-20T17:56:00Z"),
            millis("2026-11-20T17:56:00Z")
        )
    );

    // Over an hour at once: c (18:25 on t-2), then a (18:55 on t-1), each at its time.
    assert_eq!(s.advance_to("2026-11-20T19:00:00Z"), 2);
    assert_eq!(
        fired(&s, &admin, "t-2"),
        vec![("c".to_string(), at("2026-11-20T18:25:00Z"))]
    );
    assert_eq!(
        fired(&s, &admin, "t-1"),
        vec![
            ("b".to_string(), at("2026-11-20T17:56:00Z")),
            ("a".to_string(), at("2026-11-20T18:55:00Z"))
        ]
    );
    assert!(pending(&s, &admin, "t-1").is_empty());
    assert!(pending(&s, &admin, "t-2").is_empty());
}

#[test]
fn timers_move_cancel_chain_and_go_with_a_closed_ticket() {
    let (s, admin) = service(
        "timers-changes",
        "2026-11-20T17:55:00Z",
        "UTC",
        json!({"chain": {"c": ["d", 30]}}),
    );
    post(
        &s,
        &admin,
        created(
            "t-1",
            "2026-11-20T17:55:00Z",
            "set a +60\nset b +60\nset c +60",
        ),
    );
    // a is moved, b cancelled; c, when it fires, sets d 30 s later.
    post(
        &s,
        &admin,
        message("t-1", 1, "2026-11-20T17:55:10Z", "set a +120"),
    );
    post(
        &s,
        &admin,
        message("t-1", 2, "2026-11-20T17:55:20Z", "cancel b"),
    );
    assert_eq!(
        pending(&s, &admin, "t-1"),
        vec![
            ("c".to_string(), "2026-11-20T17:56:00Z".to_string()),
            ("a".to_string(), "2026-11-20T17:57:10Z".to_string())
        ]
    );
    assert_eq!(s.advance_to("2026-11-20T18:00:00Z"), 3);
    assert_eq!(
        fired(&s, &admin, "t-1"),
        vec![
            ("c".to_string(), at("2026-11-20T17:56:00Z")),
            ("d".to_string(), at("2026-11-20T17:56:30Z")),
            ("a".to_string(), at("2026-11-20T17:57:10Z"))
        ]
    );

    // A ticket closed with timers pending drops them, and says so in its audit.
    post(
        &s,
        &admin,
        created("t-2", "2026-11-20T18:00:00Z", "set x +60\nset y +120"),
    );
    post(
        &s,
        &admin,
        message("t-2", 1, "2026-11-20T18:00:30Z", "close"),
    );
    assert!(pending(&s, &admin, "t-2").is_empty());
    let audit = get(&s, &admin, "/v1/tenants/acme/tickets/t-2/audit");
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["plugin"] == "guichet"
                && r["logs"][0]
                    .as_str()
                    .unwrap()
                    .contains("closed: 2 pending timer(s) dropped")),
        "{audit}"
    );
    assert_eq!(s.advance_to("2026-11-20T19:00:00Z"), 0);
    assert!(fired(&s, &admin, "t-2").is_empty());
}

#[test]
fn a_plugin_cannot_pile_up_timers_on_a_ticket_nor_set_one_in_the_past() {
    let (s, admin) = service("timers-cap", "2026-11-20T17:55:00Z", "UTC", json!({}));
    let answer = post(
        &s,
        &admin,
        created("t-1", "2026-11-20T17:55:00Z", "many 65"),
    );
    let error = answer["outcomes"][0]["decisions"][0]["error"]
        .as_str()
        .unwrap();
    assert!(error.contains("at most 64 timers"), "{error}");
    assert!(pending(&s, &admin, "t-1").is_empty());
    // A timer due in the past fires a second after it is set, not in a busy loop.
    s.advance_to("2026-11-20T17:55:10Z");
    post(
        &s,
        &admin,
        message("t-1", 1, "2026-11-20T17:55:10Z", "set late -5"),
    );
    assert_eq!(
        pending(&s, &admin, "t-1"),
        vec![("late".to_string(), "2026-11-20T17:55:11Z".to_string())]
    );
    post(
        &s,
        &admin,
        message("t-1", 2, "2026-11-20T17:55:10Z", "cancel late\nmany 64"),
    );
    assert_eq!(pending(&s, &admin, "t-1").len(), 64);
}

#[test]
fn timers_survive_a_restart_and_those_due_meanwhile_fire_at_start_in_due_order() {
    let (s, admin) = service("timers-restart", "2026-11-20T17:55:00Z", "UTC", json!({}));
    post(
        &s,
        &admin,
        created(
            "t-1",
            "2026-11-20T17:55:00Z",
            "set a +60\nset b +180\nset z +3600",
        ),
    );
    post(
        &s,
        &admin,
        created("t-2", "2026-11-20T17:55:00Z", "set c +120"),
    );
    let dir = s.stop();

    // Back ten minutes later: a, c and b fell due while the service was down.
    let s = Running::start_on(
        dir,
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(at("2026-11-20T18:05:00Z")))),
    );
    assert_eq!(pending(&s, &admin, "t-1").len(), 3);
    assert_eq!(s.advance_to("2026-11-20T18:05:00Z"), 3);
    let mut all: Vec<(String, u64)> = ["t-1", "t-2"]
        .iter()
        .flat_map(|t| {
            get(&s, &admin, &format!("/v1/tenants/acme/tickets/{t}/audit"))
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["event_kind"] == "timer_fired")
                .map(|r| {
                    (
                        timer_of(&r["event_id"]).to_string(),
                        r["event_seq"].as_u64().unwrap(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    all.sort_by_key(|(_, seq)| *seq);
    let order: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(order, ["a", "c", "b"]);
    assert_eq!(
        pending(&s, &admin, "t-1"),
        vec![("z".to_string(), "2026-11-20T18:55:00Z".to_string())]
    );
    assert_eq!(s.advance_to("2026-11-20T18:55:00Z"), 1);
}

#[test]
fn the_system_clock_fires_a_timer_by_itself() {
    let s = Running::start(data_dir("timers-system"));
    let admin = s.tenant("acme");
    install_timers_guest(
        &s,
        &admin,
        json!({"enabled": true, "subscriptions": ["ticket_created"]}),
    );
    let now = Utc::now().to_rfc3339();
    post(&s, &admin, created("t-1", &now, "set soon +1"));
    // Due in a second; give it ten before calling it lost.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !tags(&s, &admin, "t-1").contains(&"fired:soon".to_string()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the timer did not fire within 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let fired_at = fired(&s, &admin, "t-1")[0].1;
    let due = at(&now) + chrono::Duration::seconds(1);
    assert!(fired_at >= due, "fired at {fired_at}, before {due}");
}

/// The ticks a stopped service's store recorded, as the plugin saw them.
fn ticks(dir: &std::path::Path) -> Vec<i64> {
    ticks_named(dir, "morning")
}

/// The ticks of one schedule a stopped service's store recorded.
fn ticks_named(dir: &std::path::Path, schedule: &str) -> Vec<i64> {
    let store = SledStore::open(&dir.join("store")).unwrap();
    store
        .audit("acme", "")
        .unwrap()
        .iter()
        .filter(|r| r.event_kind == "scheduled_tick")
        .filter_map(|r| {
            let action = serde_json::to_value(&r.actions[0]).unwrap();
            let message = action["message"].as_str().unwrap();
            message
                .strip_prefix(&format!("{schedule} at "))
                .map(|at| at.parse().unwrap())
        })
        .collect()
}

#[test]
fn schedules_tick_in_the_tenants_time_zone_and_missed_ticks_fire_once_after_a_restart() {
    // 09:00 on weekdays in Paris: 08:00 UTC in November.
    let (s, admin) = service(
        "schedules",
        "2026-11-20T07:30:00Z",
        "Europe/Paris",
        json!({}),
    );
    set_plugin(
        &s,
        &admin,
        json!({"schedules": {"morning": "0 0 9 * * Mon-Fri"}}),
    );
    assert_eq!(s.advance_to("2026-11-20T07:59:59Z"), 0);
    assert_eq!(s.advance_to("2026-11-20T08:00:00Z"), 1);
    // The weekend: nothing until Monday 09:00 in Paris.
    assert_eq!(s.advance_to("2026-11-23T07:59:59Z"), 0);
    // The plugin's ticks are read over HTTP, with what it did on each.
    let ticks_read = get(&s, &admin, "/v1/tenants/acme/plugins/timers/ticks");
    let ticks_read = ticks_read.as_array().unwrap();
    assert_eq!(ticks_read.len(), 1, "{ticks_read:?}");
    assert_eq!(ticks_read[0]["event_kind"], "scheduled_tick");
    assert_eq!(ticks_read[0]["actions"][0]["type"], "notify");
    let dir = s.stop();
    assert_eq!(ticks(&dir), vec![millis("2026-11-20T08:00:00Z")]);

    // Down from Monday 08:59 (Paris) to Wednesday 13:00: Monday's, Tuesday's and
    // Wednesday's ticks were missed. One catch-up tick, for the latest, then the
    // rhythm goes on.
    let s = Running::start_on(
        dir,
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(at("2026-11-25T12:00:00Z")))),
    );
    assert_eq!(s.advance_to("2026-11-25T12:00:00Z"), 1);
    assert_eq!(s.advance_to("2026-11-26T07:59:59Z"), 0);
    assert_eq!(s.advance_to("2026-11-26T08:00:00Z"), 1);
    let dir = s.stop();
    assert_eq!(
        ticks(&dir),
        vec![
            millis("2026-11-20T08:00:00Z"),
            millis("2026-11-25T08:00:00Z"),
            millis("2026-11-26T08:00:00Z")
        ]
    );
}

#[test]
fn bad_schedules_zones_and_host_made_events_are_refused() {
    let (s, admin) = service("timers-refusals", "2026-11-20T07:30:00Z", "UTC", json!({}));
    let answer = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &admin,
        json!({"schedules": {"morning": "at nine"}}),
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("`/schedules/morning`: `at nine` is not a cron expression"),
        "{}",
        answer.body
    );
    let answer = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &admin,
        json!({"schedules": {"often": "*/30 * * * * *"}}),
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("the second (one number, so that it ticks at most once a minute)"),
        "{}",
        answer.body
    );
    let many: serde_json::Map<String, Value> = (0..11)
        .map(|n| (format!("s{n}"), json!("0 0 * * * *")))
        .collect();
    let answer = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &admin,
        json!({"schedules": many}),
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("`/schedules`: may have at most 10 entries"),
        "{}",
        answer.body
    );
    let answer = s.json(
        "POST",
        "/v1/tenants",
        OPERATOR,
        json!({"id": "globex", "time_zone": "Mars/Olympus"}),
    );
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("`Mars/Olympus` is not an IANA time zone"),
        "{}",
        answer.body
    );
    let mut forged = created("t-1", "2026-11-20T07:30:00Z", "");
    forged["kind"] = json!({"type": "timer_fired", "name": "a", "due_at": "2026-11-20T07:30:00Z"});
    let answer = s.json("POST", "/v1/tenants/acme/events", &admin, forged);
    assert_eq!(answer.status, 400);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("the host makes those"),
        "{}",
        answer.body
    );
}

#[test]
fn a_disabled_plugin_loses_its_timers_with_a_trace_and_comes_back_without_catching_up() {
    let (s, admin) = service("timers-disabled", "2026-11-20T07:30:00Z", "UTC", json!({}));
    set_plugin(&s, &admin, json!({"schedules": {"morning": "0 0 9 * * *"}}));
    post(
        &s,
        &admin,
        created("t-1", "2026-11-20T07:30:00Z", "set a +3600"),
    );
    let disable = json!({"enabled": false});
    assert_eq!(
        s.json("PUT", "/v1/tenants/acme/plugins/timers", &admin, disable)
            .status,
        200
    );
    // The timer comes due (08:30) and the morning tick (09:00) passes while the plugin
    // is disabled: the timer is dropped and its ticket's audit trail says so.
    assert_eq!(s.advance_to("2026-11-20T10:00:00Z"), 1);
    assert!(!tags(&s, &admin, "t-1").contains(&"fired:a".to_string()));
    let audit = get(&s, &admin, "/v1/tenants/acme/tickets/t-1/audit");
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["plugin"] == "guichet"
                && r["event_kind"] == "timer_fired"
                && r["logs"][0]
                    .as_str()
                    .unwrap()
                    .contains("for plugin `timers`, which is not enabled; dropped")),
        "{audit}"
    );
    // Enabled again at 10:00, the schedule starts from then: no catch-up tick for
    // 09:00, the next one tomorrow.
    let enable = json!({"enabled": true});
    assert_eq!(
        s.json("PUT", "/v1/tenants/acme/plugins/timers", &admin, enable)
            .status,
        200
    );
    assert_eq!(s.advance_to("2026-11-21T08:59:59Z"), 0);
    assert_eq!(s.advance_to("2026-11-21T09:00:00Z"), 1);
    let dir = s.stop();
    assert_eq!(
        ticks_named(&dir, "morning"),
        vec![millis("2026-11-21T09:00:00Z")]
    );
}

#[test]
fn a_tenant_moving_time_zone_moves_its_schedules() {
    let (s, admin) = service("schedules-zone", "2026-11-20T06:00:00Z", "UTC", json!({}));
    set_plugin(&s, &admin, json!({"schedules": {"morning": "0 0 9 * * *"}}));
    assert_eq!(s.advance_to("2026-11-20T06:00:00Z"), 0);
    let refused = s.json(
        "PUT",
        "/v1/tenants/acme/settings",
        &admin,
        json!({"time_zone": "Paris"}),
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    let moved = s.json(
        "PUT",
        "/v1/tenants/acme/settings",
        &admin,
        json!({"time_zone": "Europe/Paris"}),
    );
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.body["time_zone"], "Europe/Paris");
    // 09:00 in Paris is 08:00 UTC: the tick comes an hour before 09:00 UTC.
    assert_eq!(s.advance_to("2026-11-20T07:59:59Z"), 0);
    assert_eq!(s.advance_to("2026-11-20T08:00:00Z"), 1);
    assert_eq!(s.advance_to("2026-11-20T09:30:00Z"), 0);
}

// Schedules and daylight-saving changes: the rules in the README ("Schedules and
// daylight-saving changes"), each checked at its exact instants. Every expected
// instant below is worked out by hand from the zone's offsets, written beside it.

/// The ticks of schedules declared at `from` (tenant `acme` in `zone`), the
/// simulated clock moved on to `to`, one due time after another; returns the
/// stopped service's data directory.
fn run_schedules(
    name: &str,
    zone: &str,
    from: &str,
    to: &str,
    schedules: Value,
) -> std::path::PathBuf {
    let (s, admin) = service(name, from, zone, json!({}));
    set_plugin(&s, &admin, json!({ "schedules": schedules }));
    assert_eq!(s.advance_to(from), 0);
    s.advance_to(to);
    s.stop()
}

fn instants(list: &[&str]) -> Vec<i64> {
    list.iter().map(|t| millis(t)).collect()
}

/// The ticks of one schedule in `[from, to]`.
fn ticks_within(dir: &std::path::Path, schedule: &str, from: &str, to: &str) -> Vec<i64> {
    ticks_named(dir, schedule)
        .into_iter()
        .filter(|t| (millis(from)..=millis(to)).contains(t))
        .collect()
}

#[test]
fn a_daily_schedule_in_the_spring_forward_gap_ticks_at_the_end_of_the_gap() {
    // The field report's case. Paris, 29 March 2026: at 01:00 UTC, 02:00 CET (UTC+1)
    // becomes 03:00 CEST (UTC+2); 02:30 does not happen that day.
    let (s, admin) = service(
        "schedules-spring-gap",
        "2026-03-27T00:00:00Z",
        "Europe/Paris",
        json!({}),
    );
    set_plugin(&s, &admin, json!({"schedules": {"daily": "0 30 2 * * *"}}));
    assert_eq!(s.advance_to("2026-03-27T00:00:00Z"), 0);
    // 27 and 28 March: 02:30 CET = 01:30 UTC.
    assert_eq!(s.advance_to("2026-03-27T01:29:59Z"), 0);
    assert_eq!(s.advance_to("2026-03-27T01:30:00Z"), 1);
    assert_eq!(s.advance_to("2026-03-28T01:30:00Z"), 1);
    // 29 March: at the end of the gap, 03:00 CEST = 01:00 UTC, once.
    assert_eq!(s.advance_to("2026-03-29T00:59:59Z"), 0);
    assert_eq!(s.advance_to("2026-03-29T01:00:00Z"), 1);
    assert_eq!(s.advance_to("2026-03-30T00:29:59Z"), 0);
    // 30 March: 02:30 CEST = 00:30 UTC.
    assert_eq!(s.advance_to("2026-03-30T00:30:00Z"), 1);
    assert_eq!(s.advance_to("2026-03-31T00:00:00Z"), 0);
    let dir = s.stop();
    assert_eq!(
        ticks_named(&dir, "daily"),
        instants(&[
            "2026-03-27T01:30:00Z",
            "2026-03-28T01:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:30:00Z",
        ])
    );
}

#[test]
fn schedules_across_the_spring_forward_gap_in_paris() {
    // 29 March 2026, 01:00 UTC: 02:00 CET (UTC+1) becomes 03:00 CEST (UTC+2).
    let dir = run_schedules(
        "schedules-paris-spring",
        "Europe/Paris",
        "2026-03-28T12:00:00Z",
        "2026-03-30T12:00:00Z",
        json!({
            "sundays": "0 30 2 * * Sun",
            "the-29th": "0 30 2 29 * *",
            "twice": "0 0,30 2 * * *",
            "range": "0 0 1-3 * * *",
            "hourly": "0 0 * * * *",
            "quarter-past": "0 15 * * * *",
            "half-hourly": "0 */30 * * * *",
        }),
    );
    // Day-of-week and day-of-month fields: the catch-up is on the day itself.
    assert_eq!(
        ticks_named(&dir, "sundays"),
        instants(&["2026-03-29T01:00:00Z"])
    );
    assert_eq!(
        ticks_named(&dir, "the-29th"),
        instants(&["2026-03-29T01:00:00Z"])
    );
    // Two set times in the gap: one tick at its end. 28 March 02:00 and 02:30 CET
    // are before the window; 30 March 02:00 and 02:30 CEST are 00:00 and 00:30 UTC.
    assert_eq!(
        ticks_named(&dir, "twice"),
        instants(&[
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:00:00Z",
            "2026-03-30T00:30:00Z",
        ])
    );
    // 01:00, 02:00 and 03:00: 01:00 CET = 00:00 UTC; 02:00 and 03:00 both come out
    // at 03:00 CEST = 01:00 UTC, one tick; then 01:00 CEST on the 30th = 23:00 UTC.
    assert_eq!(
        ticks_within(
            &dir,
            "range",
            "2026-03-28T23:30:00Z",
            "2026-03-29T23:00:00Z"
        ),
        instants(&[
            "2026-03-29T00:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T23:00:00Z",
        ])
    );
    // Schedules that recur through the day: every wall-clock time that exists, no
    // catch-up for 02:xx. Hourly: 01:00 CET, 03:00 CEST, 04:00 CEST, and every UTC
    // hour of the window (48) has its tick.
    assert_eq!(
        ticks_within(
            &dir,
            "hourly",
            "2026-03-28T23:30:00Z",
            "2026-03-29T02:30:00Z"
        ),
        instants(&[
            "2026-03-29T00:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T02:00:00Z",
        ])
    );
    assert_eq!(ticks_named(&dir, "hourly").len(), 48);
    // 01:15 CET, then 03:15 CEST: no tick at 03:00 for the 02:15 that never was.
    assert_eq!(
        ticks_within(
            &dir,
            "quarter-past",
            "2026-03-28T23:30:00Z",
            "2026-03-29T02:30:00Z"
        ),
        instants(&[
            "2026-03-29T00:15:00Z",
            "2026-03-29T01:15:00Z",
            "2026-03-29T02:15:00Z",
        ])
    );
    // 01:00, 01:30 CET, then 03:00, 03:30 CEST: every 30 minutes of real time.
    assert_eq!(
        ticks_within(
            &dir,
            "half-hourly",
            "2026-03-28T23:50:00Z",
            "2026-03-29T01:30:00Z"
        ),
        instants(&[
            "2026-03-29T00:00:00Z",
            "2026-03-29T00:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-29T01:30:00Z",
        ])
    );
}

#[test]
fn a_tick_in_the_gap_missed_while_the_service_was_down_fires_once_at_start() {
    let (s, admin) = service(
        "schedules-gap-restart",
        "2026-03-28T00:00:00Z",
        "Europe/Paris",
        json!({}),
    );
    set_plugin(&s, &admin, json!({"schedules": {"daily": "0 30 2 * * *"}}));
    assert_eq!(s.advance_to("2026-03-28T00:00:00Z"), 0);
    assert_eq!(s.advance_to("2026-03-28T12:00:00Z"), 1);
    let dir = s.stop();
    // Down until 29 March, 08:00 CEST: the missed tick is the gap's end.
    let s = Running::start_on(
        dir,
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(at("2026-03-29T06:00:00Z")))),
    );
    assert_eq!(s.advance_to("2026-03-29T06:00:00Z"), 1);
    assert_eq!(s.advance_to("2026-03-30T00:30:00Z"), 1);
    let dir = s.stop();
    assert_eq!(
        ticks_named(&dir, "daily"),
        instants(&[
            "2026-03-28T01:30:00Z",
            "2026-03-29T01:00:00Z",
            "2026-03-30T00:30:00Z",
        ])
    );
}

#[test]
fn schedules_across_the_fall_back_change_in_paris() {
    // 25 October 2026, 01:00 UTC: 03:00 CEST (UTC+2) becomes 02:00 CET (UTC+1);
    // 02:00-02:59 happens at 00:00-00:59 UTC, then again at 01:00-01:59 UTC.
    let dir = run_schedules(
        "schedules-paris-fall",
        "Europe/Paris",
        "2026-10-24T12:00:00Z",
        "2026-10-26T12:00:00Z",
        json!({
            "daily": "0 30 2 * * *",
            "hourly": "0 0 * * * *",
            "quarterly": "0 */15 * * * *",
        }),
    );
    // 02:30 CEST on the 25th is 00:30 UTC, its first occurrence, once; 02:30 CET on
    // the 26th is 01:30 UTC.
    assert_eq!(
        ticks_named(&dir, "daily"),
        instants(&["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"])
    );
    // 02:00 CEST (00:00 UTC), not 02:00 CET again (01:00 UTC), then 03:00 CET.
    assert_eq!(
        ticks_within(
            &dir,
            "hourly",
            "2026-10-24T23:30:00Z",
            "2026-10-25T03:00:00Z"
        ),
        instants(&[
            "2026-10-25T00:00:00Z",
            "2026-10-25T02:00:00Z",
            "2026-10-25T03:00:00Z",
        ])
    );
    assert_eq!(
        ticks_within(
            &dir,
            "quarterly",
            "2026-10-25T00:00:00Z",
            "2026-10-25T02:15:00Z"
        ),
        instants(&[
            "2026-10-25T00:00:00Z",
            "2026-10-25T00:15:00Z",
            "2026-10-25T00:30:00Z",
            "2026-10-25T00:45:00Z",
            "2026-10-25T02:00:00Z",
            "2026-10-25T02:15:00Z",
        ])
    );
}

#[test]
fn schedules_across_both_changes_in_new_york() {
    // 8 March 2026, 07:00 UTC: 02:00 EST (UTC-5) becomes 03:00 EDT (UTC-4).
    let dir = run_schedules(
        "schedules-new-york-spring",
        "America/New_York",
        "2026-03-07T00:00:00Z",
        "2026-03-10T00:00:00Z",
        json!({"daily": "0 30 2 * * *", "hourly": "0 0 * * * *"}),
    );
    // 02:30 EST = 07:30 UTC; the gap's end, 03:00 EDT = 07:00 UTC; 02:30 EDT = 06:30.
    assert_eq!(
        ticks_named(&dir, "daily"),
        instants(&[
            "2026-03-07T07:30:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-09T06:30:00Z",
        ])
    );
    // 01:00 EST, 03:00 EDT, 04:00 EDT.
    assert_eq!(
        ticks_within(
            &dir,
            "hourly",
            "2026-03-08T05:30:00Z",
            "2026-03-08T08:00:00Z"
        ),
        instants(&[
            "2026-03-08T06:00:00Z",
            "2026-03-08T07:00:00Z",
            "2026-03-08T08:00:00Z",
        ])
    );

    // 1 November 2026, 06:00 UTC: 02:00 EDT (UTC-4) becomes 01:00 EST (UTC-5);
    // 01:00-01:59 happens at 05:00-05:59 UTC, then again at 06:00-06:59 UTC.
    let dir = run_schedules(
        "schedules-new-york-fall",
        "America/New_York",
        "2026-10-31T00:00:00Z",
        "2026-11-03T00:00:00Z",
        json!({"daily": "0 30 1 * * *", "hourly": "0 0 * * * *"}),
    );
    // 01:30 EDT = 05:30 UTC, on the 31st and (first occurrence) on the 1st; then
    // 01:30 EST = 06:30 UTC.
    assert_eq!(
        ticks_named(&dir, "daily"),
        instants(&[
            "2026-10-31T05:30:00Z",
            "2026-11-01T05:30:00Z",
            "2026-11-02T06:30:00Z",
        ])
    );
    // 00:00 EDT, 01:00 EDT, not 01:00 EST (06:00 UTC), 02:00 EST.
    assert_eq!(
        ticks_within(
            &dir,
            "hourly",
            "2026-11-01T03:30:00Z",
            "2026-11-01T07:00:00Z"
        ),
        instants(&[
            "2026-11-01T04:00:00Z",
            "2026-11-01T05:00:00Z",
            "2026-11-01T07:00:00Z",
        ])
    );
}

#[test]
fn schedules_across_changes_at_midnight_in_santiago() {
    // Chile, 6 September 2026, 04:00 UTC: midnight (UTC-4) becomes 01:00 (UTC-3);
    // the whole 00:xx hour of Sunday the 6th does not happen.
    let dir = run_schedules(
        "schedules-santiago-spring",
        "America/Santiago",
        "2026-09-04T12:00:00Z",
        "2026-09-08T00:00:00Z",
        json!({
            "midnight": "0 0 0 * * *",
            "sunday": "0 30 0 * * Sun",
            "six-hourly": "0 0 */6 * * *",
            "hourly": "0 0 * * * *",
        }),
    );
    // 00:00 UTC-4 on the 5th = 04:00 UTC; the gap's end on the 6th, 01:00 UTC-3 =
    // 04:00 UTC; 00:00 UTC-3 on the 7th = 03:00 UTC.
    assert_eq!(
        ticks_named(&dir, "midnight"),
        instants(&[
            "2026-09-05T04:00:00Z",
            "2026-09-06T04:00:00Z",
            "2026-09-07T03:00:00Z",
        ])
    );
    // Still on Sunday: 01:00 UTC-3.
    assert_eq!(
        ticks_named(&dir, "sunday"),
        instants(&["2026-09-06T04:00:00Z"])
    );
    // Saturday 12:00 and 18:00 UTC-4, then Sunday 06:00 and 12:00 UTC-3: the 00:00
    // that never was is not caught up.
    assert_eq!(
        ticks_within(
            &dir,
            "six-hourly",
            "2026-09-05T12:00:00Z",
            "2026-09-06T15:00:00Z"
        ),
        instants(&[
            "2026-09-05T16:00:00Z",
            "2026-09-05T22:00:00Z",
            "2026-09-06T09:00:00Z",
            "2026-09-06T15:00:00Z",
        ])
    );
    // 23:00 UTC-4, then 01:00 and 02:00 UTC-3.
    assert_eq!(
        ticks_within(
            &dir,
            "hourly",
            "2026-09-06T02:30:00Z",
            "2026-09-06T05:00:00Z"
        ),
        instants(&[
            "2026-09-06T03:00:00Z",
            "2026-09-06T04:00:00Z",
            "2026-09-06T05:00:00Z",
        ])
    );

    // 5 April 2026, 03:00 UTC: midnight (UTC-3) becomes 23:00 on Saturday the 4th
    // (UTC-4); 23:00-23:59 on the 4th happens at 02:00-02:59 UTC, then again at
    // 03:00-03:59 UTC.
    let dir = run_schedules(
        "schedules-santiago-fall",
        "America/Santiago",
        "2026-04-03T12:00:00Z",
        "2026-04-07T00:00:00Z",
        json!({"late": "0 30 23 * * *", "midnight": "0 0 0 * * *"}),
    );
    // 23:30 UTC-3 on the 3rd and (first occurrence) the 4th; 23:30 UTC-4 on the 5th.
    assert_eq!(
        ticks_named(&dir, "late"),
        instants(&[
            "2026-04-04T02:30:00Z",
            "2026-04-05T02:30:00Z",
            "2026-04-06T03:30:00Z",
        ])
    );
    // 00:00 UTC-3 on the 4th, then 00:00 UTC-4 on the 5th and 6th.
    assert_eq!(
        ticks_named(&dir, "midnight"),
        instants(&[
            "2026-04-04T03:00:00Z",
            "2026-04-05T04:00:00Z",
            "2026-04-06T04:00:00Z",
        ])
    );
}
