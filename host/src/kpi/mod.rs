//! The managers' KPIs per tenant: first response, next reply and resolution times,
//! SLA attainment, missed-call rate, reopen rate, backlog and inbox-zero days,
//! plugins' share of actions, merges and reassignments.
//!
//! Computed incrementally: each processed event's contribution is derived when it is
//! committed ([`fact::derive`], called by the pipeline's step) and stored in the same
//! transaction, keyed by time; a report of a range ([`report::report`]) reads that
//! range's facts only, and the backlog at its start from per-day sums. The
//! definitions of every KPI are in [`report`].

pub mod fact;
pub mod report;

pub use fact::{
    Actor, Fact, FactKind, ReplyClock, SLA_BREACH_TAG, SLA_POLICY_FIELD, SLA_TARGETS_FIELD,
    SlaTargets, Step, derive,
};
pub use report::{Backlog, GroupBy, Kpis, Report, Settings, report};

use std::collections::HashMap;
use std::sync::Arc;

use business_hours::{Calendar, CalendarConfig};
use chrono::TimeDelta;
use serde::Deserialize as _;

use crate::model::Timestamp;
use crate::store::{KpiFacts, StoreError, Tenant};

/// The longest range one report covers: 366 days.
pub const MAX_RANGE: TimeDelta = TimeDelta::days(366);

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error("`until` ({until}) must not be before `from` ({from}), and at most 366 days after it")]
    Range { from: Timestamp, until: Timestamp },
    #[error("the tenant's business calendar: {0}")]
    Calendar(String),
    #[error("the tenant's time zone `{0}` is not an IANA time zone")]
    TimeZone(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's business calendar, read; none when it has none.
pub fn calendar_of(tenant: &Tenant) -> Result<Option<Calendar>, KpiError> {
    tenant
        .business_calendar
        .as_ref()
        .map(read_calendar)
        .transpose()
}

/// A business calendar as `Tenant::business_calendar` holds it, read; the error says
/// what to fix.
pub fn read_calendar(value: &serde_json::Value) -> Result<Calendar, KpiError> {
    let config =
        CalendarConfig::deserialize(value).map_err(|e| KpiError::Calendar(e.to_string()))?;
    Calendar::from_config(&config).map_err(KpiError::Calendar)
}

/// `tenant`'s KPIs over `[from, until)` (empty when `until` is `from`), grouped by
/// `group_by`, from its facts in `store`. O(f log n + d) for the f facts of the range and d days of history (see
/// [`KpiFacts`]).
pub fn compute(
    store: &dyn KpiFacts,
    tenant: &Tenant,
    from: Timestamp,
    until: Timestamp,
    group_by: GroupBy,
) -> Result<Report, KpiError> {
    if until < from || until - from > MAX_RANGE {
        return Err(KpiError::Range { from, until });
    }
    let zone = tenant
        .time_zone
        .parse()
        .map_err(|_| KpiError::TimeZone(tenant.time_zone.clone()))?;
    let calendar = calendar_of(tenant)?;
    let facts = store.kpi_facts(&tenant.id, from, until)?;
    // The clocks of the range that started before it may have been breached before
    // it: those breaches are read by ticket, from the earliest start.
    let mut started: HashMap<(Arc<str>, &'static str), Timestamp> = HashMap::new();
    for fact in &facts {
        if let Some((metric, since)) = report::metric_of(&fact.kind)
            && since < from
            && fact.sla_policy.is_some()
            && fact.sla_targets.has(metric)
        {
            let earliest = started
                .entry((fact.ticket.clone(), metric))
                .or_insert(since);
            *earliest = (*earliest).min(since);
        }
    }
    let mut earlier_breaches = Vec::new();
    for ((ticket, metric), since) in started {
        for at in store.kpi_breaches(&tenant.id, &ticket, metric, since, from)? {
            earlier_breaches.push((ticket.clone(), metric, at));
        }
    }
    let settings = Settings {
        zone,
        calendar: calendar.as_ref(),
        from,
        until,
        group_by,
        backlog_at_start: store.kpi_backlog_at(&tenant.id, from)?,
        earlier_breaches,
    };
    Ok(report(&facts, &settings))
}

/// The report as CSV (RFC 4180): a header, then one row for the totals (`key`
/// `total`) and one per group. SLA columns are named `sla:<policy>:<metric>:…` for
/// every policy and metric of the report; durations are in milliseconds, rates from
/// 0 to 1, empty when null.
pub fn to_csv(report: &Report) -> String {
    let mut sla_columns: Vec<(String, String)> = report
        .totals
        .sla
        .iter()
        .map(|s| (s.policy.clone(), s.metric.clone()))
        .collect();
    sla_columns.sort();
    sla_columns.dedup();
    let mut header: Vec<String> = [
        "group_by",
        "key",
        "tickets_created",
        "first_response_count",
        "first_response_median_ms",
        "first_response_p90_ms",
        "first_response_business_median_ms",
        "first_response_business_p90_ms",
        "next_reply_count",
        "next_reply_median_ms",
        "next_reply_p90_ms",
        "next_reply_business_median_ms",
        "next_reply_business_p90_ms",
        "resolution_count",
        "resolution_median_ms",
        "resolution_p90_ms",
        "resolution_business_median_ms",
        "resolution_business_p90_ms",
        "calls",
        "missed_calls",
        "missed_call_rate",
        "resolved",
        "reopened",
        "reopen_rate",
        "actions_by_plugins",
        "actions_by_agents",
        "plugin_share",
        "merged",
        "reassigned",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (policy, metric) in &sla_columns {
        for part in ["completed", "attained", "attainment", "breaches"] {
            header.push(format!("sla:{policy}:{metric}:{part}"));
        }
    }
    let group_by = serde_json::to_value(report.group_by)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let mut writer = csv::Writer::from_writer(Vec::new());
    let rows = std::iter::once(("total", &report.totals))
        .chain(report.groups.iter().map(|g| (g.key.as_str(), &g.kpis)));
    let mut lines = vec![header];
    for (key, k) in rows {
        let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
        let rate = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut row = vec![
            group_by.clone(),
            key.to_string(),
            k.tickets_created.to_string(),
        ];
        for d in [&k.first_response, &k.next_reply, &k.resolution] {
            row.push(d.count.to_string());
            row.push(opt(d.calendar.median_ms));
            row.push(opt(d.calendar.p90_ms));
            row.push(opt(d.business.as_ref().and_then(|b| b.median_ms)));
            row.push(opt(d.business.as_ref().and_then(|b| b.p90_ms)));
        }
        row.extend([
            k.calls.calls.to_string(),
            k.calls.missed.to_string(),
            rate(k.calls.missed_rate),
            k.reopens.resolved.to_string(),
            k.reopens.reopened.to_string(),
            rate(k.reopens.reopen_rate),
            k.actions.by_plugins.to_string(),
            k.actions.by_agents.to_string(),
            rate(k.actions.plugin_share),
            k.merged.to_string(),
            k.reassigned.to_string(),
        ]);
        for (policy, metric) in &sla_columns {
            match k
                .sla
                .iter()
                .find(|s| &s.policy == policy && &s.metric == metric)
            {
                Some(s) => row.extend([
                    s.completed.to_string(),
                    s.attained.to_string(),
                    rate(s.attainment),
                    s.breaches.to_string(),
                ]),
                None => row.extend(["0".into(), "0".into(), String::new(), "0".into()]),
            }
        }
        lines.push(row);
    }
    for line in lines {
        writer.write_record(&line).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 fields")
}

/// One KPI of two reports side by side (see [`changes`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct KpiChange {
    /// The KPI's path in a report's `totals`, e.g. `first_response.calendar.median_ms`
    /// or `sla.standard.first_reply.attainment`.
    pub kpi: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    /// `after - before`; null when either is null.
    pub delta: Option<f64>,
}

/// The totals of `before` and `after` that differ, in a fixed order: counts,
/// durations (ms), rates (0 to 1), and every SLA policy and metric of either.
pub fn changes(before: &Kpis, after: &Kpis) -> Vec<KpiChange> {
    let (b, a) = (figures(before), figures(after));
    let mut names: Vec<&String> = b.iter().map(|(n, _)| n).collect();
    for (name, _) in &a {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let value = |list: &[(String, Option<f64>)], name: &str| {
        list.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
    };
    names
        .into_iter()
        .filter_map(|name| {
            let (before, after) = (value(&b, name), value(&a, name));
            (before != after).then(|| KpiChange {
                kpi: name.clone(),
                before,
                after,
                delta: before.zip(after).map(|(b, a)| a - b),
            })
        })
        .collect()
}

/// Every figure of `k`, by path.
fn figures(k: &Kpis) -> Vec<(String, Option<f64>)> {
    let n = |v: u64| Some(v as f64);
    let ms = |v: Option<i64>| v.map(|v| v as f64);
    let mut out = vec![("tickets_created".to_string(), n(k.tickets_created))];
    for (name, d) in [
        ("first_response", &k.first_response),
        ("next_reply", &k.next_reply),
        ("resolution", &k.resolution),
    ] {
        out.push((format!("{name}.count"), n(d.count)));
        out.push((
            format!("{name}.calendar.median_ms"),
            ms(d.calendar.median_ms),
        ));
        out.push((format!("{name}.calendar.p90_ms"), ms(d.calendar.p90_ms)));
        if let Some(b) = &d.business {
            out.push((format!("{name}.business.median_ms"), ms(b.median_ms)));
            out.push((format!("{name}.business.p90_ms"), ms(b.p90_ms)));
        }
    }
    for s in &k.sla {
        let path = format!("sla.{}.{}", s.policy, s.metric);
        out.push((format!("{path}.completed"), n(s.completed)));
        out.push((format!("{path}.attained"), n(s.attained)));
        out.push((format!("{path}.attainment"), s.attainment));
        out.push((format!("{path}.breaches"), n(s.breaches)));
    }
    out.extend([
        ("calls.calls".to_string(), n(k.calls.calls)),
        ("calls.missed".to_string(), n(k.calls.missed)),
        ("calls.missed_rate".to_string(), k.calls.missed_rate),
        ("reopens.resolved".to_string(), n(k.reopens.resolved)),
        ("reopens.reopened".to_string(), n(k.reopens.reopened)),
        ("reopens.reopen_rate".to_string(), k.reopens.reopen_rate),
        ("actions.by_plugins".to_string(), n(k.actions.by_plugins)),
        ("actions.by_agents".to_string(), n(k.actions.by_agents)),
        ("actions.plugin_share".to_string(), k.actions.plugin_share),
        ("merged".to_string(), n(k.merged)),
        ("reassigned".to_string(), n(k.reassigned)),
    ]);
    out
}
