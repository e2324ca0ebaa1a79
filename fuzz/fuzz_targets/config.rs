//! The configuration a tenant's admin and the operator send, read as the handlers
//! read it. The input's first byte chooses what the rest is:
//!
//! - 0: a `PUT …/plugins/{name}` body (configuration, order, subscriptions,
//!   schedules, endpoints, limits, label, …), checked as far as it can be without a
//!   store or a component;
//! - 1: a `POST /v1/tenants` body (id, name, time zone);
//! - 2: a `PUT …/settings` body (name, time zone);
//! - 3: a `PUT …/webhooks/{name}` body (URL, secret);
//! - 4: a schedule as the timekeeper reads it, one item a line: a cron expression, a
//!   time zone, and two optional RFC 3339 times `after` and `now`; its next tick
//!   after `after` and its latest in `(after, now]`.
//!
//! Invariants: nothing panics; a refusal is a 4xx; what is accepted holds what the
//! description promises (a tenant id is a name, a time zone is an IANA one, a
//! secret has 16 characters or more); a plugin's configuration, written as the
//! plugin reads it, is accepted again unchanged; ticks fall inside their window.

#![no_main]

use chrono::{DateTime, TimeDelta, Utc};
use guichet::api::{Problem, fuzzing};
use guichet::runtime::ContractVersion;
use guichet::store::Tenant;
use guichet::timekeeper::{latest_tick, next_tick, parse_schedule, parse_time_zone};
use libfuzzer_sys::fuzz_target;

fn refused(problem: Problem) {
    assert!(
        (400..500).contains(&problem.status),
        "a refused body is the caller's fault: {problem:?}"
    );
}

fn plugin_settings(body: &[u8]) {
    let (config, subscriptions) = match fuzzing::plugin_settings(body) {
        Ok(read) => read,
        Err(problem) => return refused(problem),
    };
    for kind in subscriptions.iter().flatten() {
        for version in [
            ContractVersion::V0_1_0,
            ContractVersion::V0_2_0,
            ContractVersion::V0_3_0,
        ] {
            let _ = version.knows_kind(kind);
        }
    }
    if let Some(config) = config {
        let value: serde_json::Value =
            serde_json::from_str(&config).expect("the plugin reads its configuration as JSON");
        assert!(value.is_object(), "{config}");
        let again = serde_json::json!({ "config": value }).to_string();
        let (config_again, _) = fuzzing::plugin_settings(again.as_bytes())
            .unwrap_or_else(|p| panic!("an accepted configuration is refused: {p:?}\n{again}"));
        assert_eq!(config_again.as_deref(), Some(config.as_str()));
    }
}

fn new_tenant(body: &[u8]) {
    match fuzzing::new_tenant(body) {
        Ok(tenant) => {
            assert!(fuzzing::is_name(&tenant.id), "{tenant:?}");
            assert!(parse_time_zone(&tenant.time_zone).is_ok(), "{tenant:?}");
        }
        Err(problem) => refused(problem),
    }
}

fn tenant_settings(body: &[u8]) {
    let record = Tenant {
        id: "acme".to_string(),
        name: "Acme".to_string(),
        time_zone: "Europe/Paris".to_string(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    };
    match fuzzing::tenant_settings(body, record) {
        Ok(tenant) => {
            assert_eq!(tenant.id, "acme");
            assert!(parse_time_zone(&tenant.time_zone).is_ok(), "{tenant:?}");
        }
        Err(problem) => refused(problem),
    }
}

fn webhook_settings(body: &[u8]) {
    match fuzzing::webhook_settings(body) {
        Ok((url, secret)) => {
            assert!(url.starts_with("http://") || url.starts_with("https://"));
            if let Some(secret) = secret {
                assert!(secret.chars().count() >= 16, "{secret:?}");
            }
        }
        Err(problem) => refused(problem),
    }
}

fn schedule(text: &[u8]) {
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let mut lines = text.lines();
    let expression = lines.next().unwrap_or_default();
    let zone = lines.next().unwrap_or("UTC");
    let time = |line: Option<&str>| line.and_then(|t| t.parse::<DateTime<Utc>>().ok());
    let after = time(lines.next()).unwrap_or_else(|| "2026-03-29T00:00:00Z".parse().unwrap());
    let now = time(lines.next()).unwrap_or(after + TimeDelta::days(3));
    let (Ok(schedule), Ok(zone)) = (parse_schedule(expression), parse_time_zone(zone)) else {
        return;
    };
    if let Some(next) = next_tick(&schedule, zone, after) {
        assert!(next > after, "{expression} in {zone}: {next} after {after}");
    }
    if now > after {
        if let Some(latest) = latest_tick(&schedule, zone, after, now) {
            assert!(
                after < latest && latest <= now,
                "{expression} in {zone}: {latest} not in ({after}, {now}]"
            );
            let next = next_tick(&schedule, zone, after).expect("a tick in the window");
            assert!(next <= latest);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => plugin_settings(rest),
        1 => new_tenant(rest),
        2 => tenant_settings(rest),
        3 => webhook_settings(rest),
        _ => schedule(rest),
    }
});
