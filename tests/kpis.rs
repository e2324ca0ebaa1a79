//! The managers' KPIs through the real service, on a simulated clock: a week of events
//! of tenant `acme` (`tests/fixtures/kpis/week.json`, Paris time, with the change to
//! summer time on Sunday 29 March 2026 and a holiday on Wednesday 25 March) run
//! through the `sla` reference plugin, then every KPI read back and compared with
//! figures worked out by hand below, each with its arithmetic; and a replay of the
//! week with a stricter SLA policy, whose KPI deltas are worked out by hand too.
//!
//! The week, in UTC (Paris is UTC+1 until Sunday 01:00 UTC, then UTC+2); business
//! hours are 09:00-18:00 Paris, Monday to Friday, so 08:00-17:00 UTC this week:
//!
//! | ticket | channel, group, agent, priority | what happens |
//! |---|---|---|
//! | T7 | web form, no group | created Sun 22 23:30 (Monday 00:30 in Paris), solved Mon 07:30 |
//! | T1 | e-mail, care, ana | created Mon 08:30; ana replies 10:30; requester 13:00; ana 14:00; solved 15:00; reopened Tue 09:00; solved Tue 10:45 |
//! | T5 | phone, no group | missed call Mon 09:15 (opens it); calls logged Mon 10:00, Thu 09:00, Fri 09:30; missed calls Tue 19:30 (evening) and Wed 10:00 (holiday); closed Fri 10:00 |
//! | T2 | chat, care, unassigned, urgent | created Mon 16:30; first-reply breach Tue 08:30 (1 working hour); bob replies Tue 09:05; solved Thu 09:30 |
//! | T3 | e-mail, billing, carl | created Tue 16:00; carl replies Thu 10:00; reassigned to dana Thu 10:30; resolution breach Fri 14:00 (16 working hours); solved Fri 16:00 |
//! | T6 | e-mail, care, ana | created Thu 12:00; merged 12:30 |
//! | T4 | WhatsApp, care, ana | created Fri 16:10; ana replies Sun 09:00 (summer time); solved Sun 10:00 |

mod common;

use serde_json::{Value, json};

use common::desk::Desk;

/// Monday 23 March 2026, 00:00 in Paris.
const FROM: &str = "2026-03-22T23:00:00Z";
/// Monday 30 March 2026, 00:00 in Paris (summer time).
const UNTIL: &str = "2026-03-29T22:00:00Z";

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

/// The `sla` configuration: `urgent` tickets get a 1-hour first reply; e-mail, chat
/// and WhatsApp tickets a `first_reply` one (4h live), a 2-hour next reply and a
/// 16-hour resolution, all in office hours with the holiday.
fn sla(first_reply: &str) -> Value {
    json!({
        "calendars": {"office": office()},
        "policies": [
            {"name": "urgent", "match": {"priorities": ["urgent"]}, "calendar": "office",
             "first_reply": "1h"},
            {"name": "standard", "match": {"channels": ["email", "chat", "whatsapp"]},
             "calendar": "office", "first_reply": first_reply, "next_reply": "2h",
             "resolution": "16h"}
        ]
    })
}

fn office() -> Value {
    json!({"time_zone": "Europe/Paris", "hours": {"mon-fri": ["09:00-18:00"]},
           "holidays": ["2026-03-25"]})
}

/// The service after the fixture's week: tenant `acme` in Paris with the office
/// calendar, `sla` enabled, every event posted at its time on the simulated clock
/// (so that the plugin's timers fire in between), and the clock at `UNTIL`.
fn week(name: &str) -> Desk {
    let desk = Desk::start(
        name,
        FROM,
        "sla",
        sla("4h"),
        &[
            "ticket_created",
            "message_added",
            "status_changed",
            "assignment_changed",
            "fields_changed",
        ],
    );
    let settings = desk.service.json(
        "PUT",
        "/v1/tenants/acme/settings",
        &desk.admin,
        json!({"time_zone": "Europe/Paris",
               "business_calendar": {"hours": {"mon-fri": ["09:00-18:00"]},
                                     "holidays": ["2026-03-25"]}}),
    );
    assert_eq!(settings.status, 200, "{}", settings.body);
    assert_eq!(
        settings.body["business_calendar"]["time_zone"], "Europe/Paris",
        "the calendar takes the tenant's time zone"
    );
    let events: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../tests/fixtures/kpis/week.json"),
        )
        .unwrap(),
    )
    .unwrap();
    for event in events {
        desk.advance_to(event["occurred_at"].as_str().unwrap());
        let decisions = desk.post(event.clone());
        for decision in &decisions {
            assert!(decision["error"].is_null(), "{event}: {decision}");
        }
    }
    desk.advance_to(UNTIL);
    desk
}

fn kpis(desk: &Desk, query: &str) -> Value {
    let answer = desk.service.call(
        "GET",
        &format!("/v1/tenants/acme/kpis?from={FROM}&until={UNTIL}{query}"),
        Some(&desk.admin),
        None,
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body
}

/// The entry of `group` in a grouped report.
fn group<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == key)
        .map(|g| &g["kpis"])
        .unwrap_or_else(|| panic!("no group `{key}` in {}", report["groups"]))
}

fn sla_kpi<'a>(kpis: &'a Value, policy: &str, metric: &str) -> &'a Value {
    kpis["sla"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["policy"] == policy && s["metric"] == metric)
        .unwrap_or_else(|| panic!("no SLA figure for {policy}/{metric} in {}", kpis["sla"]))
}

fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"));
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

#[test]
fn a_week_of_kpis_matches_the_figures_worked_out_by_hand() {
    let desk = week("kpis-week");
    let report = kpis(&desk, "");
    let totals = &report["totals"];
    assert_eq!(report["time_zone"], "Europe/Paris");
    assert_eq!(report["business_calendar"], true);

    // Seven tickets: T7 (Monday 00:30 in Paris), T1, T5, T2, T3, T6, T4.
    assert_eq!(totals["tickets_created"], 7);

    // First response, calendar time, sorted:
    //   T1 08:30 -> 10:30                        =  2h
    //   T2 Mon 16:30 -> Tue 09:05                = 16h35m
    //   T4 Fri 16:10 -> Sun 09:00 (the clocks go forward on Sunday, but UTC does not:
    //      41h50m on Paris wall clocks, 40h50m elapsed)  = 40h50m
    //   T3 Tue 16:00 -> Thu 10:00                = 42h
    // Nearest rank: the median is the 2nd of 4, p90 the 4th (⌈0.9·4⌉).
    let first = &totals["first_response"];
    assert_eq!(first["count"], 4);
    assert_eq!(first["calendar"]["median_ms"], 16 * HOUR + 35 * MINUTE);
    assert_eq!(first["calendar"]["p90_ms"], 42 * HOUR);
    // Business time (08:00-17:00 UTC on working days, Wednesday a holiday):
    //   T4 Fri 16:10-17:00 = 50m (the weekend is closed)
    //   T2 Mon 16:30-17:00 + Tue 08:00-09:05     = 1h35m
    //   T1 08:30-10:30                           = 2h
    //   T3 Tue 16:00-17:00 + (Wed closed) + Thu 08:00-10:00 = 3h
    assert_eq!(first["business"]["median_ms"], HOUR + 35 * MINUTE);
    assert_eq!(first["business"]["p90_ms"], 3 * HOUR);

    // Next reply: T1's requester wrote at 13:00, ana answered at 14:00.
    let next = &totals["next_reply"];
    assert_eq!(next["count"], 1);
    assert_eq!(next["calendar"]["median_ms"], HOUR);
    assert_eq!(next["business"]["p90_ms"], HOUR);

    // Resolution, from creation to each solve or close, calendar time, sorted:
    //   T1 08:30 -> 15:00 = 6h30m; T7 23:30 -> 07:30 = 8h; T1 again, Mon 08:30 -> Tue
    //   10:45 = 26h15m; T4 Fri 16:10 -> Sun 10:00 = 41h50m; T2 Mon 16:30 -> Thu 09:30 =
    //   65h; T3 Tue 16:00 -> Fri 16:00 = 72h; T5 Mon 09:15 -> Fri 10:00 = 96h45m.
    // Median: the 4th of 7; p90: the 7th (⌈6.3⌉).
    let resolution = &totals["resolution"];
    assert_eq!(resolution["count"], 7);
    assert_eq!(resolution["calendar"]["median_ms"], 41 * HOUR + 50 * MINUTE);
    assert_eq!(resolution["calendar"]["p90_ms"], 96 * HOUR + 45 * MINUTE);
    // Business time, sorted: T7 0 (before opening); T4 50m; T1 6h30m; T2 30m + 9h +
    // 1h30m = 11h; T1 again 8h30m + 2h45m = 11h15m; T3 1h + 9h + 8h = 18h; T5 7h45m + 9h
    // + 9h + 2h = 27h45m.
    assert_eq!(resolution["business"]["median_ms"], 11 * HOUR);
    assert_eq!(resolution["business"]["p90_ms"], 27 * HOUR + 45 * MINUTE);

    // SLA attainment per policy. `standard` (T1, T3, T4, T6): first replies of T1 (2h),
    // T3 (3 working hours, due Thu 10:00+1h thanks to the holiday) and T4 (50m) in
    // time; T1's next reply in time; resolutions: T1 twice and T4 in time, T3
    // breached on Friday at 14:00 (16 working hours after Tuesday 16:00).
    let standard_first = sla_kpi(totals, "standard", "first_reply");
    assert_eq!(
        (
            standard_first["completed"].clone(),
            standard_first["attained"].clone()
        ),
        (json!(3), json!(3))
    );
    assert_eq!(standard_first["breaches"], 0);
    let standard_next = sla_kpi(totals, "standard", "next_reply");
    assert_eq!(standard_next["attainment"], 1.0);
    let standard_resolution = sla_kpi(totals, "standard", "resolution");
    assert_eq!(standard_resolution["completed"], 4);
    assert_eq!(standard_resolution["attained"], 3);
    close(&standard_resolution["attainment"], 0.75);
    assert_eq!(standard_resolution["breaches"], 1);
    // `urgent` (T2): due one working hour after Monday 16:30, so Tuesday 08:30;
    // answered at 09:05: breached. It sets no resolution target: T2's resolution is
    // not counted for it.
    let urgent_first = sla_kpi(totals, "urgent", "first_reply");
    assert_eq!(urgent_first["completed"], 1);
    assert_eq!(urgent_first["attained"], 0);
    assert_eq!(urgent_first["attainment"], 0.0);
    assert_eq!(urgent_first["breaches"], 1);
    assert_eq!(
        totals["sla"].as_array().unwrap().len(),
        4,
        "{}",
        totals["sla"]
    );

    // Calls during business hours: Monday's missed call and three logged calls; the
    // missed calls of Tuesday evening and of the holiday do not count.
    assert_eq!(totals["calls"]["calls"], 4);
    assert_eq!(totals["calls"]["missed"], 1);
    close(&totals["calls"]["missed_rate"], 0.25);

    // Seven resolutions, one reopening (T1).
    assert_eq!(totals["reopens"]["resolved"], 7);
    assert_eq!(totals["reopens"]["reopened"], 1);
    close(&totals["reopens"]["reopen_rate"], 1.0 / 7.0);

    // Agents: 5 public replies, 9 status changes, 1 reassignment = 15. The `sla`
    // plugin: the tags of its 2 breaches (timers, notifications and the policy it
    // writes on each ticket are not actions on the ticket).
    assert_eq!(totals["actions"]["by_agents"], 15);
    assert_eq!(totals["actions"]["by_plugins"], 2);
    close(&totals["actions"]["plugin_share"], 2.0 / 17.0);

    assert_eq!(totals["merged"], 1, "T6");
    assert_eq!(totals["reassigned"], 1, "T3, carl to dana");

    // Tickets waiting on the team, day by day (Paris days):
    //   Mon: T7 comes (Monday 00:30) and is solved at 08:30: zero; then T1, T5, T2
    //        arrive, T1 is solved: 2 unsolved at the end (T5, T2).
    //   Tue: T1 reopened and solved again; T3 arrives: 3.   Wed: nothing changes: 3.
    //   Thu: T2 solved; T6 arrives and is merged: 2.
    //   Fri: T5 closed, T3 solved: zero at 17:00 Paris; T4 arrives: 1.
    //   Sat: T4 waits all day: 1.   Sun: T4 solved: zero.
    let days: Vec<(String, i64, bool)> = report["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_string(),
                d["backlog"].as_i64().unwrap(),
                d["inbox_zero"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, i64, bool)> = [
        ("2026-03-23", 2, true),
        ("2026-03-24", 3, false),
        ("2026-03-25", 3, false),
        ("2026-03-26", 2, false),
        ("2026-03-27", 1, true),
        ("2026-03-28", 1, false),
        ("2026-03-29", 0, true),
    ]
    .into_iter()
    .map(|(d, b, z)| (d.to_string(), b, z))
    .collect();
    assert_eq!(days, expected);
    assert_eq!(report["inbox_zero_days"], 3);

    // A range that starts between T2's first-reply breach (Tuesday 08:30) and its
    // answer (09:05): the clock stops in the range, breached before it.
    let late = desk.service.call(
        "GET",
        &format!("/v1/tenants/acme/kpis?from=2026-03-24T09:00:00Z&until={UNTIL}"),
        Some(&desk.admin),
        None,
    );
    assert_eq!(late.status, 200, "{}", late.body);
    let urgent = sla_kpi(&late.body["totals"], "urgent", "first_reply");
    assert_eq!(
        (
            urgent["completed"].clone(),
            urgent["attained"].clone(),
            urgent["breaches"].clone()
        ),
        (json!(1), json!(0), json!(0))
    );

    // By day, in Paris time: T7 was created on Sunday in UTC but Monday in Paris.
    let by_day = kpis(&desk, "&group_by=day");
    assert_eq!(group(&by_day, "2026-03-23")["tickets_created"], 4);
    assert_eq!(group(&by_day, "2026-03-29")["first_response"]["count"], 1);
    // By channel: the calls are the phone's; e-mail has T1, T3 and T6.
    let by_channel = kpis(&desk, "&group_by=channel");
    assert_eq!(group(&by_channel, "phone")["calls"]["calls"], 4);
    assert_eq!(group(&by_channel, "email")["tickets_created"], 3);
    // By agent, as assigned when the clock stopped: ana answered T1 (2h) and T4
    // (40h50m); T2 had no assignee; carl still had T3 when he answered.
    let by_agent = kpis(&desk, "&group_by=agent");
    assert_eq!(group(&by_agent, "ana")["first_response"]["count"], 2);
    assert_eq!(
        group(&by_agent, "ana")["first_response"]["calendar"]["median_ms"],
        2 * HOUR
    );
    assert_eq!(
        group(&by_agent, "(unassigned)")["first_response"]["count"],
        1
    );
    assert_eq!(group(&by_agent, "carl")["first_response"]["count"], 1);
    // By priority and group.
    let by_priority = kpis(&desk, "&group_by=priority");
    assert_eq!(group(&by_priority, "urgent")["resolution"]["count"], 1);
    let by_group = kpis(&desk, "&group_by=group");
    assert_eq!(group(&by_group, "billing")["reassigned"], 1);
    assert_eq!(group(&by_group, "care")["merged"], 1);

    // The same as CSV, the range given as dates (midnights in Paris): the totals' row.
    let url = format!(
        "{}/v1/tenants/acme/kpis?from=2026-03-23&until=2026-03-30&format=csv",
        desk.service.base
    );
    let mut response = desk
        .service
        .http
        .get(&url)
        .header("Authorization", format!("Bearer {}", desk.admin))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{:?}",
        response.headers()
    );
    let csv = response.body_mut().read_to_string().unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let total: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| {
        total[header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("no column {name} in {header:?}"))]
    };
    assert_eq!(column("key"), "total");
    assert_eq!(column("tickets_created"), "7");
    assert_eq!(
        column("first_response_median_ms"),
        (16 * HOUR + 35 * MINUTE).to_string()
    );
    assert_eq!(column("missed_call_rate"), "0.25");
    assert_eq!(column("sla:standard:resolution:attainment"), "0.75");
    desk.stop();
}

#[test]
fn a_replay_with_a_stricter_policy_reports_its_kpi_deltas() {
    let desk = week("kpis-replay");
    // The candidate: `standard` first replies due within 1 working hour, not 4.
    let answer = desk.service.json(
        "POST",
        "/v1/tenants/acme/replays",
        &desk.admin,
        json!({"plugin": "sla", "config": sla("1h"), "from": FROM, "until": UNTIL}),
    );
    assert_eq!(answer.status, 200, "{}", answer.body);
    let deltas = &answer.body["kpi_deltas"];
    // Worked out by hand: with 1 working hour, T1 (created 08:30, answered 10:30) is
    // breached at 09:30, and T3 (created Tuesday 16:00, answered Thursday 10:00) at
    // 17:00 on Tuesday; T4 (created Friday 16:10) would be due Monday 30 at 09:10
    // Paris, after the range, and was answered on Sunday; T6 was merged after 30
    // minutes. So `standard` first replies: 1 attained of 3, 2 breaches; the plugin
    // tags 2 more breaches: 4 actions of 19.
    let changes: Vec<(String, Option<f64>, Option<f64>)> = deltas["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["kpi"].as_str().unwrap().to_string(),
                c["before"].as_f64(),
                c["after"].as_f64(),
            )
        })
        .collect();
    let expected = vec![
        (
            "sla.standard.first_reply.attained".to_string(),
            Some(3.0),
            Some(1.0),
        ),
        (
            "sla.standard.first_reply.attainment".to_string(),
            Some(1.0),
            Some(1.0 / 3.0),
        ),
        (
            "sla.standard.first_reply.breaches".to_string(),
            Some(0.0),
            Some(2.0),
        ),
        ("actions.by_plugins".to_string(), Some(2.0), Some(4.0)),
        (
            "actions.plugin_share".to_string(),
            Some(2.0 / 17.0),
            Some(4.0 / 19.0),
        ),
    ];
    assert_eq!(changes.len(), expected.len(), "{changes:?}");
    for ((kpi, before, after), (want, want_before, want_after)) in changes.iter().zip(&expected) {
        assert_eq!(kpi, want);
        for (got, want) in [(before, want_before), (after, want_after)] {
            assert!(
                (got.unwrap() - want.unwrap()).abs() < 1e-9,
                "{kpi}: {got:?} != {want:?}"
            );
        }
    }
    close(&deltas["changes"][2]["delta"], 2.0);
    // The live side is the report of the week.
    assert_eq!(deltas["active"]["tickets_created"], 7);
    assert_eq!(deltas["candidate"]["tickets_created"], 7);
    desk.stop();
}
