//! The `sla` reference plugin on a simulated clock, through the real service: exact
//! warning and breach times in a business calendar, pauses while waiting on the
//! requester, holidays, internal targets and policies chosen by priority.

mod common;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use guichet::clock::SimulatedClock;
use guichet::serve::ServiceClock;

use common::service::{Running, data_dir};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Paris office hours, Monday to Friday; `holidays` as given.
fn office(holidays: Value) -> Value {
    json!({"time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
           "holidays": holidays})
}

/// A service on a simulated clock at `start`, tenant `acme` with `sla` enabled.
fn service(name: &str, start: &str, config: Value) -> (Running, String) {
    let s = Running::start_on(
        data_dir(name),
        ServiceClock::Simulated(Arc::new(SimulatedClock::new(at(start)))),
    );
    let admin = s.tenant("acme");
    let enabled = s.json(
        "PUT",
        "/v1/tenants/acme/plugins/sla",
        &admin,
        json!({"reference": "sla", "enabled": true, "config": config,
               "subscriptions": ["ticket_created", "message_added", "status_changed",
                                 "assignment_changed"]}),
    );
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    (s, admin)
}

fn created(ticket: &str, when: &str, priority: &str) -> Value {
    json!({
        "id": format!("{ticket}-created"),
        "kind": {"type": "ticket_created"},
        "occurred_at": when,
        "ticket": {
            "id": ticket, "channel": "email", "priority": priority,
            "assignee": "ana", "group": "care",
            "requester": {"identities": [{"kind": "email", "value": "zoe@example.fr"}]},
            "created_at": when, "updated_at": when,
            "messages": [{"id": "m-0", "author_role": "requester", "channel": "email",
                          "body": "Bonjour, ma commande n'est pas arrivée.", "created_at": when}]
        }
    })
}

fn message(ticket: &str, n: u32, when: &str, role: &str) -> Value {
    json!({
        "id": format!("{ticket}-m{n}"),
        "kind": {"type": "message_added", "message": {
            "id": format!("m-{n}"), "author_role": role, "author": "ana", "channel": "email",
            "body": "…", "created_at": when}},
        "occurred_at": when,
        "ticket": {"id": ticket, "channel": "email", "requester": {"identities": []},
                   "created_at": when, "updated_at": when}
    })
}

fn status(ticket: &str, n: u32, when: &str, previous: &str, current: &str) -> Value {
    json!({
        "id": format!("{ticket}-s{n}"),
        "kind": {"type": "status_changed", "previous": previous, "current": current},
        "occurred_at": when,
        "ticket": {"id": ticket, "channel": "email", "requester": {"identities": []},
                   "created_at": when, "updated_at": when}
    })
}

fn post(s: &Running, token: &str, event: Value) -> Value {
    let answer = s.json("POST", "/v1/tenants/acme/events?wait=true", token, event);
    assert_eq!(answer.status, 200, "{}", answer.body);
    let decision = &answer.body["outcomes"][0]["decisions"][0];
    assert!(decision["error"].is_null(), "{decision}");
    answer.body
}

fn get(s: &Running, token: &str, path: &str) -> Value {
    let answer = s.call("GET", path, Some(token), None);
    assert_eq!(answer.status, 200, "{path}: {}", answer.body);
    answer.body
}

/// The ticket's pending timers, as (name, due).
fn timers(s: &Running, token: &str, ticket: &str) -> Vec<(String, DateTime<Utc>)> {
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
            t["due_at"].as_str().unwrap().parse().unwrap(),
        )
    })
    .collect()
}

/// What the plugin did on timer events: (when, the actions).
fn on_timers(s: &Running, token: &str, ticket: &str) -> Vec<(DateTime<Utc>, Value)> {
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
        (
            r["at"].as_str().unwrap().parse().unwrap(),
            r["actions"].clone(),
        )
    })
    .collect()
}

fn ticket(s: &Running, token: &str, id: &str) -> Value {
    get(s, token, &format!("/v1/tenants/acme/tickets/{id}"))
}

fn has_tag(ticket: &Value, tag: &str) -> bool {
    ticket["tags"].as_array().unwrap().iter().any(|t| t == tag)
}

fn four_hour_first_reply(holidays: Value) -> Value {
    json!({
        "calendars": {"office": office(holidays)},
        "policies": [{"name": "standard", "calendar": "office", "first_reply": "4h",
                      "warnings": ["1h"], "on_breach": {"raise_priority": "high"}}]
    })
}

#[test]
fn a_friday_evening_ticket_is_warned_and_breached_on_monday_in_business_hours() {
    // Friday 20 November 2026, 17:55 in Paris (16:55 UTC): five minutes of Friday, then
    // 3 h 55 on Monday from 09:00. Warned at 11:55, breached at 12:55, Paris time.
    let (s, admin) = service(
        "sla-friday",
        "2026-11-20T16:55:00Z",
        four_hour_first_reply(json!([])),
    );
    post(&s, &admin, created("t-1", "2026-11-20T16:55:00Z", "normal"));
    assert_eq!(
        timers(&s, &admin, "t-1"),
        vec![
            (
                "sla:first_reply:warning".to_string(),
                at("2026-11-23T10:55:00Z")
            ),
            (
                "sla:first_reply:breach".to_string(),
                at("2026-11-23T11:55:00Z")
            ),
        ]
    );

    s.advance_to("2026-11-23T10:54:59Z");
    assert!(!has_tag(
        &ticket(&s, &admin, "t-1"),
        "sla-warning:first_reply"
    ));
    s.advance_to("2026-11-23T10:55:00Z");
    let t = ticket(&s, &admin, "t-1");
    assert!(has_tag(&t, "sla-warning:first_reply"), "{t}");
    assert!(!has_tag(&t, "sla-breached:first_reply"));
    let (when, actions) = on_timers(&s, &admin, "t-1").remove(0);
    assert_eq!(when, at("2026-11-23T10:55:00Z"));
    assert_eq!(actions[1]["type"], "notify");
    assert_eq!(actions[1]["recipient"], json!({"agent": "ana"}));
    assert!(
        actions[1]["message"]
            .as_str()
            .unwrap()
            .contains("1h of working time left"),
        "{actions}"
    );

    s.advance_to("2026-11-23T11:54:59Z");
    assert!(!has_tag(
        &ticket(&s, &admin, "t-1"),
        "sla-breached:first_reply"
    ));
    s.advance_to("2026-11-23T11:55:00Z");
    let t = ticket(&s, &admin, "t-1");
    assert!(has_tag(&t, "sla-breached:first_reply"), "{t}");
    assert_eq!(t["priority"], "high");
    let (when, actions) = on_timers(&s, &admin, "t-1").remove(1);
    assert_eq!(when, at("2026-11-23T11:55:00Z"));
    assert!(
        actions
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["recipient"] == json!({"group_lead": "care"})),
        "{actions}"
    );
    // Breached: nothing more is due.
    assert!(timers(&s, &admin, "t-1").is_empty());
}

#[test]
fn a_holiday_is_skipped() {
    // Monday 23 November is a holiday: the same ticket is due on Tuesday instead.
    let (s, admin) = service(
        "sla-holiday",
        "2026-11-20T16:55:00Z",
        four_hour_first_reply(json!(["2026-11-23"])),
    );
    post(&s, &admin, created("t-1", "2026-11-20T16:55:00Z", "normal"));
    assert_eq!(
        timers(&s, &admin, "t-1"),
        vec![
            (
                "sla:first_reply:warning".to_string(),
                at("2026-11-24T10:55:00Z")
            ),
            (
                "sla:first_reply:breach".to_string(),
                at("2026-11-24T11:55:00Z")
            ),
        ]
    );
    s.advance_to("2026-11-23T23:00:00Z");
    assert!(on_timers(&s, &admin, "t-1").is_empty());
    s.advance_to("2026-11-24T12:00:00Z");
    let fired: Vec<DateTime<Utc>> = on_timers(&s, &admin, "t-1")
        .into_iter()
        .map(|(when, _)| when)
        .collect();
    assert_eq!(
        fired,
        [at("2026-11-24T10:55:00Z"), at("2026-11-24T11:55:00Z")]
    );
}

#[test]
fn waiting_on_the_requester_pauses_the_clocks_and_their_reply_shifts_the_deadlines() {
    let config = json!({
        "calendars": {"office": office(json!([]))},
        "policies": [{"name": "standard", "calendar": "office",
                      "first_reply": "1h", "next_reply": "2h", "resolution": "8h"}]
    });
    // Monday 23 November, 09:00 in Paris (08:00 UTC).
    let (s, admin) = service("sla-pause", "2026-11-23T08:00:00Z", config);
    post(&s, &admin, created("t-1", "2026-11-23T08:00:00Z", "normal"));
    assert_eq!(
        timers(&s, &admin, "t-1"),
        vec![
            (
                "sla:first_reply:breach".to_string(),
                at("2026-11-23T09:00:00Z")
            ),
            (
                "sla:resolution:breach".to_string(),
                at("2026-11-23T16:00:00Z")
            ),
        ]
    );
    // 09:30: the agent answers and waits on the requester. First reply met; the
    // resolution clock stops at 30 minutes.
    s.advance_to("2026-11-23T08:30:00Z");
    post(
        &s,
        &admin,
        message("t-1", 1, "2026-11-23T08:30:00Z", "agent"),
    );
    post(
        &s,
        &admin,
        status(
            "t-1",
            1,
            "2026-11-23T08:30:00Z",
            "open",
            "waiting_on_requester",
        ),
    );
    assert!(timers(&s, &admin, "t-1").is_empty());

    // 13:30: the requester answers; the ticket is open again. Resolution has 7 h 30
    // left from 13:30: 4 h 30 on Monday and 3 h on Tuesday, so Tuesday 12:00 in Paris;
    // the next reply is due two hours on, at 15:30.
    s.advance_to("2026-11-23T12:30:00Z");
    post(
        &s,
        &admin,
        message("t-1", 2, "2026-11-23T12:30:00Z", "requester"),
    );
    post(
        &s,
        &admin,
        status(
            "t-1",
            2,
            "2026-11-23T12:30:00Z",
            "waiting_on_requester",
            "open",
        ),
    );
    assert_eq!(
        timers(&s, &admin, "t-1"),
        vec![
            (
                "sla:next_reply:breach".to_string(),
                at("2026-11-23T14:30:00Z")
            ),
            (
                "sla:resolution:breach".to_string(),
                at("2026-11-24T11:00:00Z")
            ),
        ]
    );
    s.advance_to("2026-11-24T12:00:00Z");
    let fired: Vec<(DateTime<Utc>, Value)> = on_timers(&s, &admin, "t-1");
    assert_eq!(fired.len(), 2, "{fired:?}");
    assert_eq!(fired[0].0, at("2026-11-23T14:30:00Z"));
    assert_eq!(fired[0].1[0]["tags"], json!(["sla-breached:next_reply"]));
    assert_eq!(fired[1].0, at("2026-11-24T11:00:00Z"));
    assert_eq!(fired[1].1[0]["tags"], json!(["sla-breached:resolution"]));
}

#[test]
fn urgent_tickets_get_their_own_policy_with_an_internal_target_and_a_share_warning() {
    let config = json!({
        "policies": [
            {"name": "urgent", "match": {"priorities": ["urgent"]}, "first_reply": "1h",
             "internal": {"first_reply": "30m"}, "warnings": ["75%"]},
            {"name": "standard", "first_reply": "1d"}
        ]
    });
    // Calendar hours: a Sunday counts like any day.
    let (s, admin) = service("sla-urgent", "2026-11-22T10:00:00Z", config);
    post(&s, &admin, created("t-1", "2026-11-22T10:00:00Z", "urgent"));
    post(&s, &admin, created("t-2", "2026-11-22T10:00:00Z", "normal"));
    assert_eq!(
        timers(&s, &admin, "t-2"),
        vec![(
            "sla:first_reply:breach".to_string(),
            at("2026-11-23T10:00:00Z")
        )]
    );
    s.advance_to("2026-11-22T10:59:59Z");
    let fired = on_timers(&s, &admin, "t-1");
    let times: Vec<DateTime<Utc>> = fired.iter().map(|(when, _)| *when).collect();
    assert_eq!(
        times,
        [at("2026-11-22T10:30:00Z"), at("2026-11-22T10:45:00Z")]
    );
    assert_eq!(fired[0].1[0]["tags"], json!(["sla-internal:first_reply"]));
    assert_eq!(fired[1].1[0]["tags"], json!(["sla-warning:first_reply"]));
    // An agent reply before the breach: the clock stops, nothing more is due.
    post(
        &s,
        &admin,
        message("t-1", 1, "2026-11-22T10:59:59Z", "agent"),
    );
    assert!(timers(&s, &admin, "t-1").is_empty());
    s.advance_to("2026-11-22T12:00:00Z");
    assert!(!has_tag(
        &ticket(&s, &admin, "t-1"),
        "sla-breached:first_reply"
    ));
}

#[test]
fn a_configuration_error_names_what_to_fix() {
    let (s, admin) = service(
        "sla-config",
        "2026-11-22T10:00:00Z",
        json!({"policies": [{"name": "x", "first_reply": "4 hours"}]}),
    );
    let answer = s.json(
        "POST",
        "/v1/tenants/acme/events?wait=true",
        &admin,
        created("t-1", "2026-11-22T10:00:00Z", "normal"),
    );
    let error = answer.body["outcomes"][0]["decisions"][0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("sla policy `x`: `4 hours` is not a duration"),
        "{error}"
    );
}

#[test]
fn a_ticket_routed_later_gets_its_groups_policy_counted_from_its_creation() {
    let config = json!({
        "policies": [{"name": "care", "match": {"groups": ["care"]}, "first_reply": "4h"}]
    });
    let (s, admin) = service("sla-routed", "2026-11-23T09:00:00Z", config);
    let mut ticket = created("t-1", "2026-11-23T09:00:00Z", "normal");
    ticket["ticket"]["group"] = Value::Null;
    post(&s, &admin, ticket);
    assert!(timers(&s, &admin, "t-1").is_empty());
    s.advance_to("2026-11-23T10:00:00Z");
    post(
        &s,
        &admin,
        json!({
            "id": "t-1-routed",
            "kind": {"type": "assignment_changed", "previous_group": null,
                     "current_group": "care", "previous_assignee": "ana",
                     "current_assignee": "ana"},
            "occurred_at": "2026-11-23T10:00:00Z",
            "ticket": {"id": "t-1", "channel": "email", "requester": {"identities": []},
                       "created_at": "2026-11-23T09:00:00Z",
                       "updated_at": "2026-11-23T10:00:00Z"}
        }),
    );
    assert_eq!(
        timers(&s, &admin, "t-1"),
        vec![(
            "sla:first_reply:breach".to_string(),
            at("2026-11-23T13:00:00Z")
        )]
    );
}
