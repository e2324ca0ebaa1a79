//! The `sla` reference plugin on a simulated clock, through the real service: exact
//! warning and breach times in a business calendar, pauses while waiting on the
//! requester, holidays, internal targets and policies chosen by priority.

mod common;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use common::desk::{
    Desk, agent_wrote, assignment_changed, calls, created, fields_changed, requester_wrote,
    status_changed, timer,
};

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Paris office hours, Monday to Friday; `holidays` as given.
fn office(holidays: Value) -> Value {
    json!({"time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
           "holidays": holidays})
}

/// A service on a simulated clock at `start`, tenant `acme` with `sla` enabled.
fn service(name: &str, start: &str, config: Value) -> Desk {
    Desk::start(
        name,
        start,
        "sla",
        config,
        &[
            "ticket_created",
            "message_added",
            "status_changed",
            "assignment_changed",
            "fields_changed",
        ],
    )
}

/// A new ticket of group `care`, assigned to ana.
fn new_ticket(ticket: &str, when: &str, priority: &str) -> Value {
    created(
        ticket,
        when,
        json!({"priority": priority, "assignee": "ana", "group": "care"}),
    )
}

/// Posts an event; the plugin must not fail on it.
fn post(desk: &Desk, event: Value) -> Vec<Value> {
    Desk::actions(&desk.post(event))
}

/// What the plugin did on timer events: (when, the actions).
fn on_timers(desk: &Desk, ticket: &str) -> Vec<(DateTime<Utc>, Value)> {
    calls(&desk.audit(ticket), "sla", "timer_fired")
        .into_iter()
        .map(|r| {
            (
                r["at"].as_str().unwrap().parse().unwrap(),
                r["actions"].clone(),
            )
        })
        .collect()
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
    let desk = service(
        "sla-friday",
        "2026-11-20T16:55:00Z",
        four_hour_first_reply(json!([])),
    );
    post(&desk, new_ticket("t-1", "2026-11-20T16:55:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:warning", "2026-11-23T10:55:00Z"),
            timer("sla:first_reply:breach", "2026-11-23T11:55:00Z"),
        ]
    );

    desk.advance_to("2026-11-23T10:54:59Z");
    assert!(!has_tag(&desk.ticket("t-1"), "sla-warning:first_reply"));
    desk.advance_to("2026-11-23T10:55:00Z");
    let t = desk.ticket("t-1");
    assert!(has_tag(&t, "sla-warning:first_reply"), "{t}");
    assert!(!has_tag(&t, "sla-breached:first_reply"));
    let (when, actions) = on_timers(&desk, "t-1").remove(0);
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

    desk.advance_to("2026-11-23T11:54:59Z");
    assert!(!has_tag(&desk.ticket("t-1"), "sla-breached:first_reply"));
    desk.advance_to("2026-11-23T11:55:00Z");
    let t = desk.ticket("t-1");
    assert!(has_tag(&t, "sla-breached:first_reply"), "{t}");
    assert_eq!(t["priority"], "high");
    let (when, actions) = on_timers(&desk, "t-1").remove(1);
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
    assert!(desk.timers("t-1").is_empty());
}

#[test]
fn a_calendar_time_warning_comes_at_its_absolute_instant() {
    // The Friday 17:55 Paris ticket again, breached on Monday at 12:55 Paris (11:55
    // UTC); "2h calendar" warns two clock hours before: Monday 10:55 Paris, 09:55 UTC.
    let desk = service(
        "sla-calendar-lead",
        "2026-11-20T16:55:00Z",
        json!({
            "calendars": {"office": office(json!([]))},
            "policies": [{"name": "standard", "calendar": "office", "first_reply": "4h",
                          "warnings": ["2h calendar"]}]
        }),
    );
    post(&desk, new_ticket("t-1", "2026-11-20T16:55:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:warning", "2026-11-23T09:55:00Z"),
            timer("sla:first_reply:breach", "2026-11-23T11:55:00Z"),
        ]
    );
    desk.advance_to("2026-11-23T09:54:59Z");
    assert!(!has_tag(&desk.ticket("t-1"), "sla-warning:first_reply"));
    desk.advance_to("2026-11-23T09:55:00Z");
    assert!(has_tag(&desk.ticket("t-1"), "sla-warning:first_reply"));
    let (when, actions) = on_timers(&desk, "t-1").remove(0);
    assert_eq!(when, at("2026-11-23T09:55:00Z"));
    assert_eq!(actions[1]["recipient"], json!({"agent": "ana"}));
    let message = actions[1]["message"].as_str().unwrap();
    assert!(
        message.contains("2h of working time left, breach at 2026-11-23 11:55:00 UTC"),
        "{message}"
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![timer("sla:first_reply:breach", "2026-11-23T11:55:00Z")]
    );
}

#[test]
fn working_calendar_and_zero_leads_each_warn_at_their_own_instant() {
    // Friday 20 November 2026, 17:00 Paris (16:00 UTC), office hours, first reply in
    // 4h: one hour on Friday, three on Monday from 09:00, so the breach is Monday 12:00
    // Paris (11:00 UTC). "3h30m" of working time left is Friday 17:30 Paris (16:30
    // UTC); "3h30m calendar" before the breach is Monday 08:30 Paris (07:30 UTC),
    // before the office opens; "0m" is at the breach, reported just before it.
    let desk = service(
        "sla-three-leads",
        "2026-11-20T16:00:00Z",
        json!({
            "calendars": {"office": office(json!([]))},
            "policies": [{"name": "standard", "calendar": "office", "first_reply": "4h",
                          "warnings": ["3h30m", "3h30m calendar", "0m"],
                          "on_breach": {"raise_priority": "high"}}]
        }),
    );
    post(&desk, new_ticket("t-1", "2026-11-20T16:00:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:warning", "2026-11-20T16:30:00Z"),
            timer("sla:first_reply:breach", "2026-11-23T11:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-20T16:30:00Z");
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:warning", "2026-11-23T07:30:00Z"),
            timer("sla:first_reply:breach", "2026-11-23T11:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-23T07:29:59Z");
    assert_eq!(on_timers(&desk, "t-1").len(), 1);
    desk.advance_to("2026-11-23T07:30:00Z");
    assert_eq!(
        desk.timers("t-1"),
        vec![timer("sla:first_reply:breach", "2026-11-23T11:00:00Z")]
    );
    desk.advance_to("2026-11-23T11:00:00Z");
    let fired = on_timers(&desk, "t-1");
    let times: Vec<DateTime<Utc>> = fired.iter().map(|(when, _)| *when).collect();
    assert_eq!(
        times,
        [
            at("2026-11-20T16:30:00Z"),
            at("2026-11-23T07:30:00Z"),
            at("2026-11-23T11:00:00Z")
        ]
    );
    let text = |actions: &Value, i: usize| actions[i]["message"].as_str().unwrap().to_string();
    assert!(
        text(&fired[0].1, 1).contains("3h30m of working time left"),
        "{}",
        fired[0].1
    );
    // Monday 08:30 Paris: the office is closed, one hour counted, three left.
    assert!(
        text(&fired[1].1, 1).contains("3h of working time left, breach at 2026-11-23 11:00:00 UTC"),
        "{}",
        fired[1].1
    );
    // At the breach: the warning's tag and message first, then the breach's.
    let actions = &fired[2].1;
    assert_eq!(
        actions[0]["tags"],
        json!(["sla-warning:first_reply", "sla-breached:first_reply"])
    );
    assert_eq!(actions[1]["recipient"], json!({"agent": "ana"}));
    assert!(text(actions, 1).starts_with("SLA warning"), "{actions}");
    assert!(
        text(actions, 1).contains("the target is reached now"),
        "{actions}"
    );
    assert_eq!(actions[2]["recipient"], json!({"group_lead": "care"}));
    assert!(text(actions, 2).starts_with("SLA breached"), "{actions}");
    assert_eq!(desk.ticket("t-1")["priority"], "high");
    assert!(desk.timers("t-1").is_empty());
}

#[test]
fn a_calendar_time_warning_moves_with_a_pause() {
    // Calendar hours, resolution in 10h from Sunday 22 November 2026 10:00 UTC, warned
    // "1h calendar" before: due at 19:00. Waiting on the requester from 12:00 to 14:00
    // moves the breach to 22:00 and the warning to 21:00; while paused, nothing is due.
    let desk = service(
        "sla-calendar-pause",
        "2026-11-22T10:00:00Z",
        json!({"policies": [{"name": "all", "resolution": "10h",
                             "warnings": ["1h calendar"]}]}),
    );
    post(&desk, new_ticket("t-1", "2026-11-22T10:00:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:resolution:warning", "2026-11-22T19:00:00Z"),
            timer("sla:resolution:breach", "2026-11-22T20:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-22T12:00:00Z");
    post(
        &desk,
        status_changed(
            "t-1",
            "2026-11-22T12:00:00Z",
            "open",
            "waiting_on_requester",
        ),
    );
    assert!(desk.timers("t-1").is_empty());
    desk.advance_to("2026-11-22T14:00:00Z");
    post(
        &desk,
        status_changed(
            "t-1",
            "2026-11-22T14:00:00Z",
            "waiting_on_requester",
            "open",
        ),
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:resolution:warning", "2026-11-22T21:00:00Z"),
            timer("sla:resolution:breach", "2026-11-22T22:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-22T22:00:00Z");
    let times: Vec<DateTime<Utc>> = on_timers(&desk, "t-1").iter().map(|(w, _)| *w).collect();
    assert_eq!(
        times,
        [at("2026-11-22T21:00:00Z"), at("2026-11-22T22:00:00Z")]
    );
}

#[test]
fn a_holiday_is_skipped() {
    // Monday 23 November is a holiday: the same ticket is due on Tuesday instead.
    let desk = service(
        "sla-holiday",
        "2026-11-20T16:55:00Z",
        four_hour_first_reply(json!(["2026-11-23"])),
    );
    post(&desk, new_ticket("t-1", "2026-11-20T16:55:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:warning", "2026-11-24T10:55:00Z"),
            timer("sla:first_reply:breach", "2026-11-24T11:55:00Z"),
        ]
    );
    desk.advance_to("2026-11-23T23:00:00Z");
    assert!(on_timers(&desk, "t-1").is_empty());
    desk.advance_to("2026-11-24T12:00:00Z");
    let fired: Vec<DateTime<Utc>> = on_timers(&desk, "t-1")
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
    let desk = service("sla-pause", "2026-11-23T08:00:00Z", config);
    post(&desk, new_ticket("t-1", "2026-11-23T08:00:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:breach", "2026-11-23T09:00:00Z"),
            timer("sla:resolution:breach", "2026-11-23T16:00:00Z"),
        ]
    );
    // 09:30: the agent answers and waits on the requester. First reply met; the
    // resolution clock stops at 30 minutes.
    desk.advance_to("2026-11-23T08:30:00Z");
    post(
        &desk,
        agent_wrote("t-1", "m-1", "ana", "2026-11-23T08:30:00Z", true),
    );
    post(
        &desk,
        status_changed(
            "t-1",
            "2026-11-23T08:30:00Z",
            "open",
            "waiting_on_requester",
        ),
    );
    assert!(desk.timers("t-1").is_empty());

    // 13:30: the requester answers; the ticket is open again. Resolution has 7 h 30
    // left from 13:30: 4 h 30 on Monday and 3 h on Tuesday, so Tuesday 12:00 in Paris;
    // the next reply is due two hours on, at 15:30.
    desk.advance_to("2026-11-23T12:30:00Z");
    post(&desk, requester_wrote("t-1", "m-2", "2026-11-23T12:30:00Z"));
    post(
        &desk,
        status_changed(
            "t-1",
            "2026-11-23T12:30:00Z",
            "waiting_on_requester",
            "open",
        ),
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:next_reply:breach", "2026-11-23T14:30:00Z"),
            timer("sla:resolution:breach", "2026-11-24T11:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-24T12:00:00Z");
    let fired: Vec<(DateTime<Utc>, Value)> = on_timers(&desk, "t-1");
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
    let desk = service("sla-urgent", "2026-11-22T10:00:00Z", config);
    post(&desk, new_ticket("t-1", "2026-11-22T10:00:00Z", "urgent"));
    post(&desk, new_ticket("t-2", "2026-11-22T10:00:00Z", "normal"));
    assert_eq!(
        desk.timers("t-2"),
        vec![timer("sla:first_reply:breach", "2026-11-23T10:00:00Z")]
    );
    desk.advance_to("2026-11-22T10:59:59Z");
    let fired = on_timers(&desk, "t-1");
    let times: Vec<DateTime<Utc>> = fired.iter().map(|(when, _)| *when).collect();
    assert_eq!(
        times,
        [at("2026-11-22T10:30:00Z"), at("2026-11-22T10:45:00Z")]
    );
    assert_eq!(fired[0].1[0]["tags"], json!(["sla-internal:first_reply"]));
    assert_eq!(fired[1].1[0]["tags"], json!(["sla-warning:first_reply"]));
    // An agent reply before the breach: the clock stops, nothing more is due.
    post(
        &desk,
        agent_wrote("t-1", "m-1", "ana", "2026-11-22T10:59:59Z", true),
    );
    assert!(desk.timers("t-1").is_empty());
    desk.advance_to("2026-11-22T12:00:00Z");
    assert!(!has_tag(&desk.ticket("t-1"), "sla-breached:first_reply"));
}

#[test]
fn a_configuration_error_names_what_to_fix() {
    let desk = service(
        "sla-config",
        "2026-11-22T10:00:00Z",
        json!({"policies": [{"name": "x", "first_reply": "4h"}]}),
    );
    for (config, expected) in [
        (
            json!({"policies": [{"name": "x", "first_reply": "4 hours"}]}),
            "sla policy `x`: `4 hours` is not a duration",
        ),
        // A warning's kind of time is `working` (the default) or `calendar`.
        (
            json!({"policies": [{"name": "x", "first_reply": "4h", "warnings": ["2h wall"]}]}),
            "warning `2h wall`: `wall` is not a kind of time",
        ),
    ] {
        let refused = desk.try_configure("sla", config, &["ticket_created"]);
        assert_eq!(refused.status, 422, "{}", refused.body);
        let detail = refused.body["detail"].as_str().unwrap();
        assert!(detail.contains(expected), "{detail}");
    }
    // The configuration in place is the one that was accepted.
    let decisions = desk.post(new_ticket("t-1", "2026-11-22T10:00:00Z", "normal"));
    assert!(decisions[0]["error"].is_null(), "{decisions:?}");
}

/// Field report: a status that does not exist and a misspelt priority were installed
/// with 200, and the urgent ticket silently got the standard policy.
#[test]
fn unknown_statuses_and_priorities_are_refused_when_the_configuration_is_set() {
    let desk = service(
        "sla-unknown-names",
        "2026-11-22T10:00:00Z",
        json!({"policies": [{"name": "standard", "first_reply": "4h"}]}),
    );
    let refused = desk.try_configure(
        "sla",
        json!({
            "pause_on": ["waiting_on_customer"],
            "policies": [
                {"name": "urgent", "match": {"priorities": ["urgnet"]}, "first_reply": "1h"},
                {"name": "standard", "first_reply": "4h"}
            ]
        }),
        &["ticket_created"],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(
        refused.body["type"],
        "https://guichet.dev/problems/invalid-config"
    );
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("`waiting_on_customer`"), "{detail}");
    assert!(detail.contains("`urgnet`"), "{detail}");
    let places: Vec<&str> = refused.body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(places, ["/pause_on/0", "/policies/0/match/priorities/0"]);

    // Of the same kind: a channel, a breach's priority and a calendar that do not
    // exist, each named, all at once.
    let refused = desk.try_configure(
        "sla",
        json!({"policies": [{"name": "chat", "match": {"channels": ["webchat"]},
                             "calendar": "office", "first_reply": "1h",
                             "on_breach": {"raise_priority": "critical"}}]}),
        &["ticket_created"],
    );
    assert_eq!(refused.status, 422, "{}", refused.body);
    let places: Vec<&str> = refused.body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        places,
        [
            "/policies/0/calendar",
            "/policies/0/on_breach/raise_priority",
            "/policies/0/match/channels/0"
        ]
    );
    let detail = refused.body["detail"].as_str().unwrap();
    for named in ["`office`", "`critical`", "`webchat`"] {
        assert!(detail.contains(named), "{named}: {detail}");
    }
    // The plugin still runs with the configuration it had.
    let plugin = desk.service.json(
        "GET",
        "/v1/tenants/acme/plugins/sla",
        &desk.admin,
        Value::Null,
    );
    let config: Value = serde_json::from_str(plugin.body["config"].as_str().unwrap()).unwrap();
    assert_eq!(
        config,
        json!({"policies": [{"name": "standard", "first_reply": "4h"}]})
    );
}

/// The field report's two policies: urgent tickets in calendar hours, the others in
/// Paris office hours with their priority raised at a breach.
fn urgent_and_standard() -> Value {
    json!({
        "calendars": {"office": office(json!([]))},
        "policies": [
            {"name": "urgent", "match": {"priorities": ["urgent"]}, "resolution": "8h"},
            {"name": "standard", "calendar": "office", "first_reply": "4h", "resolution": "3d",
             "on_breach": {"raise_priority": "urgent"}}
        ]
    })
}

/// Field report: the priority raised at the first-reply breach left the resolution
/// clock on the standard policy, eleven days late.
#[test]
fn a_priority_raised_at_a_breach_re_arms_the_clocks_for_the_stricter_policy_at_once() {
    let desk = service("sla-raised", "2026-11-20T08:00:00Z", urgent_and_standard());
    // Friday 20 November, 09:00 in Paris.
    post(&desk, new_ticket("t-1", "2026-11-20T08:00:00Z", "normal"));
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:breach", "2026-11-20T12:00:00Z"),
            timer("sla:resolution:breach", "2026-12-01T17:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-20T12:00:00Z");
    let ticket = desk.ticket("t-1");
    assert_eq!(ticket["priority"], "urgent");
    assert!(has_tag(&ticket, "sla-breached:first_reply"));
    // Eight calendar hours from the creation.
    assert_eq!(
        desk.timers("t-1"),
        vec![timer("sla:resolution:breach", "2026-11-20T16:00:00Z")]
    );
    // The raise reached the plugin as a `fields_changed` event, beside those that
    // report the policy it wrote on the ticket (at the creation, and `urgent` now).
    let reported = calls(&desk.audit("t-1"), "sla", "fields_changed").len();
    assert_eq!(reported, 3);
    assert_eq!(
        desk.ticket("t-1")["fields"],
        json!([{"name": "sla_policy", "value": {"text": "urgent"}},
               {"name": "sla_targets", "value": {"text": "resolution"}}])
    );
    desk.advance_to("2026-11-20T16:00:00Z");
    assert!(has_tag(&desk.ticket("t-1"), "sla-breached:resolution"));
}

/// Of the same kind: an agent raises the priority in the helpdesk, which tells
/// guichet with a `fields_changed` event; a late copy of an older change does not
/// undo it.
#[test]
fn a_priority_an_agent_changes_in_the_helpdesk_reaches_the_plugin() {
    let desk = service(
        "sla-agent-raise",
        "2026-11-23T08:00:00Z",
        urgent_and_standard(),
    );
    post(&desk, new_ticket("t-1", "2026-11-23T08:00:00Z", "normal"));
    desk.advance_to("2026-11-23T09:30:00Z");
    let actions = post(
        &desk,
        fields_changed(
            "t-1",
            "2026-11-23T09:30:00Z",
            json!({"priority": {"previous": "normal", "current": "urgent"}}),
        ),
    );
    assert!(!actions.is_empty());
    assert_eq!(desk.ticket("t-1")["priority"], "urgent");
    // The urgent policy has no first-reply target: its timer goes.
    assert_eq!(
        desk.timers("t-1"),
        vec![timer("sla:resolution:breach", "2026-11-23T16:00:00Z")]
    );
    // A change made at 09:10 and delivered late is overtaken by the one of 09:30.
    let late = desk.post(fields_changed(
        "t-1",
        "2026-11-23T09:10:00Z",
        json!({"priority": {"previous": "normal", "current": "high"}}),
    ));
    assert!(late.is_empty(), "{late:?}");
    assert_eq!(desk.ticket("t-1")["priority"], "urgent");
    // Lowered again by the agent: the standard policy's deadlines, counted from the
    // creation in office hours (first reply at 13:00 Paris).
    post(
        &desk,
        fields_changed(
            "t-1",
            "2026-11-23T10:00:00Z",
            json!({"priority": {"previous": "urgent", "current": "normal"}}),
        ),
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:first_reply:breach", "2026-11-23T12:00:00Z"),
            timer("sla:resolution:breach", "2026-12-02T17:00:00Z"),
        ]
    );
}

/// A plugin built against `guichet:plugin@0.1.0` cannot read a `fields_changed`
/// event: it is not sent one, and keeps working on the others; its configuration is
/// checked as JSON only.
#[test]
fn a_plugin_of_the_older_contract_is_not_sent_fields_changed() {
    let desk = service(
        "sla-old-contract",
        "2026-11-23T08:00:00Z",
        urgent_and_standard(),
    );
    let wasm = std::fs::read(common::guest_path("timers")).unwrap();
    let uploaded = desk.service.call(
        "PUT",
        "/v1/tenants/acme/plugins/timers/component",
        Some(&desk.admin),
        Some(wasm),
    );
    assert_eq!(uploaded.status, 201, "{}", uploaded.body);
    let enabled = desk.service.json(
        "PUT",
        "/v1/tenants/acme/plugins/timers",
        &desk.admin,
        json!({"enabled": true, "config": {"anything": ["goes"]}}),
    );
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let ran = |decisions: Vec<Value>| -> Vec<String> {
        let mut names: Vec<String> = decisions
            .iter()
            .map(|d| d["plugin"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    let on_creation = desk.post(new_ticket("t-1", "2026-11-23T08:00:00Z", "normal"));
    assert_eq!(ran(on_creation), ["sla", "timers"]);
    let on_change = desk.post(fields_changed(
        "t-1",
        "2026-11-23T09:00:00Z",
        json!({"priority": {"previous": "normal", "current": "urgent"},
               "fields": [{"name": "contract", "previous": null, "current": {"text": "gold"}}]}),
    ));
    assert_eq!(ran(on_change), ["sla"]);
    let ticket = desk.ticket("t-1");
    assert_eq!(ticket["priority"], "urgent");
    // The contract, after the policy `sla` wrote on the ticket (`urgent` now).
    assert_eq!(
        ticket["fields"],
        json!([{"name": "sla_policy", "value": {"text": "urgent"}},
               {"name": "sla_targets", "value": {"text": "resolution"}},
               {"name": "contract", "value": {"text": "gold"}}])
    );
}

#[test]
fn a_ticket_routed_later_gets_its_groups_policy_counted_from_its_creation() {
    let config = json!({
        "policies": [{"name": "care", "match": {"groups": ["care"]}, "first_reply": "4h"}]
    });
    let desk = service("sla-routed", "2026-11-23T09:00:00Z", config);
    post(
        &desk,
        created(
            "t-1",
            "2026-11-23T09:00:00Z",
            json!({"assignee": "ana", "group": null}),
        ),
    );
    assert!(desk.timers("t-1").is_empty());
    desk.advance_to("2026-11-23T10:00:00Z");
    post(
        &desk,
        assignment_changed(
            "t-1",
            "2026-11-23T10:00:00Z",
            (Some("ana"), Some("ana")),
            (None, Some("care")),
        ),
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![timer("sla:first_reply:breach", "2026-11-23T13:00:00Z")]
    );
}

/// The field report's policy: calendar hours, first reply in 1h, next reply in 2h,
/// a warning 30 minutes before.
fn reply_targets(extra: Value) -> Value {
    let mut policy = json!({"name": "standard", "first_reply": "1h", "next_reply": "2h",
                            "warnings": ["30m"]});
    for (key, value) in extra.as_object().unwrap() {
        policy[key] = value.clone();
    }
    json!({"policies": [policy]})
}

fn sla_tags(ticket: &Value) -> Vec<Value> {
    ticket["tags"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t.as_str().unwrap().starts_with("sla-"))
        .cloned()
        .collect()
}

#[test]
fn a_thank_you_on_a_solved_ticket_starts_no_clock_and_a_reopening_does() {
    // Created 09:00, answered 09:20, solved 09:25; the requester thanks the team at
    // 09:40 and the ticket stays solved: no next-reply clock, so nothing at 11:40
    // (where the breach used to come). Reopened at 12:00: a next reply is owed from
    // then, warned at 13:30 and breached at 14:00.
    let desk = service(
        "sla-solved-thanks",
        "2026-11-23T09:00:00Z",
        reply_targets(json!({})),
    );
    post(&desk, new_ticket("t-1", "2026-11-23T09:00:00Z", "normal"));
    desk.advance_to("2026-11-23T09:20:00Z");
    post(
        &desk,
        agent_wrote("t-1", "m-1", "ana", "2026-11-23T09:20:00Z", true),
    );
    desk.advance_to("2026-11-23T09:25:00Z");
    assert!(
        post(
            &desk,
            status_changed("t-1", "2026-11-23T09:25:00Z", "open", "solved")
        )
        .is_empty()
    );
    desk.advance_to("2026-11-23T09:40:00Z");
    assert!(post(&desk, requester_wrote("t-1", "m-2", "2026-11-23T09:40:00Z")).is_empty());
    assert_eq!(desk.ticket("t-1")["status"], "solved");
    assert!(desk.timers("t-1").is_empty());

    assert_eq!(desk.advance_to("2026-11-23T11:40:00Z"), 0);
    assert_eq!(desk.advance_to("2026-11-23T12:00:00Z"), 0);
    let t = desk.ticket("t-1");
    assert!(sla_tags(&t).is_empty(), "{t}");
    assert!(on_timers(&desk, "t-1").is_empty());

    post(
        &desk,
        status_changed("t-1", "2026-11-23T12:00:00Z", "solved", "open"),
    );
    assert_eq!(
        desk.timers("t-1"),
        vec![
            timer("sla:next_reply:warning", "2026-11-23T13:30:00Z"),
            timer("sla:next_reply:breach", "2026-11-23T14:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-23T13:59:59Z");
    assert_eq!(
        sla_tags(&desk.ticket("t-1")),
        [json!("sla-warning:next_reply")]
    );
    desk.advance_to("2026-11-23T14:00:00Z");
    let fired = on_timers(&desk, "t-1");
    let times: Vec<DateTime<Utc>> = fired.iter().map(|(when, _)| *when).collect();
    assert_eq!(
        times,
        [at("2026-11-23T13:30:00Z"), at("2026-11-23T14:00:00Z")]
    );
    assert_eq!(fired[1].1[0]["tags"], json!(["sla-breached:next_reply"]));
    assert_eq!(fired[1].1[1]["recipient"], json!({"group_lead": "care"}));
    assert!(desk.timers("t-1").is_empty());
}

#[test]
fn a_ticket_solved_with_its_clocks_running_stops_them_and_a_reopening_starts_them_afresh() {
    // Created 09:00 with first reply (1h) and resolution (4h) running, solved at 09:10
    // without a public reply: both stop, their timers go, nothing comes at 10:00 or
    // 13:00. Reopened at 12:00 (to waiting_on_agent): both count again from the
    // reopening, in full: first reply warned 12:30 and breached 13:00, resolution
    // warned 15:30 and due 16:00 (not 15:50, as if the 10 minutes before the solve
    // still counted).
    let desk = service(
        "sla-solved-reopened",
        "2026-11-23T09:00:00Z",
        reply_targets(json!({"resolution": "4h"})),
    );
    post(&desk, new_ticket("t-2", "2026-11-23T09:00:00Z", "normal"));
    desk.advance_to("2026-11-23T09:10:00Z");
    let actions = post(
        &desk,
        status_changed("t-2", "2026-11-23T09:10:00Z", "open", "solved"),
    );
    assert_eq!(
        common::desk::kinds(&actions),
        [
            "cancel_timer",
            "cancel_timer",
            "cancel_timer",
            "cancel_timer"
        ]
    );
    assert!(desk.timers("t-2").is_empty());
    assert_eq!(desk.advance_to("2026-11-23T12:00:00Z"), 0);

    post(
        &desk,
        status_changed("t-2", "2026-11-23T12:00:00Z", "solved", "waiting_on_agent"),
    );
    assert_eq!(
        desk.timers("t-2"),
        vec![
            timer("sla:first_reply:warning", "2026-11-23T12:30:00Z"),
            timer("sla:first_reply:breach", "2026-11-23T13:00:00Z"),
            timer("sla:resolution:warning", "2026-11-23T15:30:00Z"),
            timer("sla:resolution:breach", "2026-11-23T16:00:00Z"),
        ]
    );
    desk.advance_to("2026-11-23T16:00:00Z");
    let times: Vec<DateTime<Utc>> = on_timers(&desk, "t-2").iter().map(|(w, _)| *w).collect();
    assert_eq!(
        times,
        [
            at("2026-11-23T12:30:00Z"),
            at("2026-11-23T13:00:00Z"),
            at("2026-11-23T15:30:00Z"),
            at("2026-11-23T16:00:00Z")
        ]
    );
}

#[test]
fn the_plugin_keeps_no_state_for_tickets_that_are_done() {
    // Six tickets with clocks running, then two closed, two merged, two solved (one of
    // them thanked afterwards), and a seventh left open: only the open one keeps a
    // key, and nothing fires for the others.
    let desk = service(
        "sla-state-bound",
        "2026-11-23T09:00:00Z",
        reply_targets(json!({"resolution": "4h"})),
    );
    for n in 1..=7 {
        post(
            &desk,
            new_ticket(&format!("t-{n}"), "2026-11-23T09:00:00Z", "normal"),
        );
    }
    desk.advance_to("2026-11-23T09:10:00Z");
    post(
        &desk,
        agent_wrote("t-5", "m-1", "ana", "2026-11-23T09:10:00Z", true),
    );
    for (ticket, status) in common::desk::DONE_TICKETS {
        post(
            &desk,
            status_changed(ticket, "2026-11-23T09:10:00Z", "open", status),
        );
        assert!(desk.timers(ticket).is_empty(), "{ticket}");
    }
    desk.advance_to("2026-11-23T09:15:00Z");
    assert!(post(&desk, requester_wrote("t-5", "m-2", "2026-11-23T09:15:00Z")).is_empty());
    desk.advance_to("2026-11-23T14:00:00Z");
    for n in 1..=6 {
        let ticket = format!("t-{n}");
        assert!(on_timers(&desk, &ticket).is_empty(), "{ticket}");
        assert!(sla_tags(&desk.ticket(&ticket)).is_empty(), "{ticket}");
    }
    let (count, keys) = common::desk::plugin_keys(&desk.stop(), "sla");
    assert_eq!((count, keys), (1, vec!["clocks/t-7".to_string()]));
}
