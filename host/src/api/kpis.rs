//! A tenant's KPIs over a time range, as JSON or CSV (see [`crate::kpi`] for what
//! each one counts).

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::openapi::Name;
use super::{ApiResult, AppState, Problem, TenantAdmin, answer};
use crate::kpi::{self, GroupBy, KpiError, Report};

/// The format of a KPI report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum Format {
    #[default]
    Json,
    /// RFC 4180 CSV: a row for the totals, one per group (see `kpi::to_csv`).
    Csv,
}

/// Which KPIs: a range, a grouping and a format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct KpiQuery {
    /// Start of the range, included: an instant (RFC 3339) or a date (`2026-03-23`,
    /// its midnight in the tenant's time zone).
    #[param(example = "2026-03-23")]
    from: String,
    /// End of the range, excluded, likewise (`2026-03-30` ends the range with
    /// Sunday 29); at most 366 days after `from`.
    #[param(example = "2026-03-30")]
    until: String,
    /// How to group: `none` (totals only, the default), `channel`, `group`, `agent`,
    /// `priority` or `day` (local days in the tenant's time zone).
    #[serde(default)]
    #[param(inline)]
    group_by: GroupBy,
    /// `json` (the default) or `csv`.
    #[serde(default)]
    #[param(inline)]
    format: Format,
}

/// The tenant's KPIs over `[from, until)`: first response, next reply and resolution
/// times (median and p90, calendar and business hours), SLA attainment and breaches
/// per policy, missed-call rate, reopen rate, daily backlog and inbox-zero days,
/// plugins' share of actions, merges and reassignments, in totals and per group. Their
/// definitions are in the README's "KPIs" section. Computed from facts recorded as
/// events are committed: the cost is in the range's events, not in the tenant's
/// tickets.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/kpis",
    tag = "kpis",
    params(("tenant" = Name, Path, description = "The tenant's id"), KpiQuery),
    responses(
        (status = 200, description = "The report (as `text/csv` with `format=csv`)", body = Report),
        (status = 400, description = "A bad range, grouping or format", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn get_kpis(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
    query: Result<Query<KpiQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!(
                "{}; parameters: from and until (RFC 3339 instants, or dates such as 2026-11-23), group_by (none, channel, group, agent, priority, day), format (json, csv)",
                e.body_text()
            ),
        )
    })?;
    let record = state
        .store
        .tenant(&tenant)?
        .ok_or_else(|| Problem::not_found(format!("no tenant `{tenant}`")))?;
    let zone: Tz = record.time_zone.parse().unwrap_or(Tz::UTC);
    let (from, until) = (
        instant(&query.from, zone, "from")?,
        instant(&query.until, zone, "until")?,
    );
    if until <= from {
        return Err(Problem::bad_request(
            "invalid-range",
            format!("`until` ({until}) must be after `from` ({from})"),
        ));
    }
    let store = state.store.clone();
    let started = std::time::Instant::now();
    let report = tokio::task::spawn_blocking(move || {
        kpi::compute(&*store, &record, from, until, query.group_by)
    })
    .await
    .map_err(Problem::internal)?
    .map_err(|e| match e {
        KpiError::Store(e) => Problem::from(e),
        KpiError::Range { .. } => Problem::bad_request("invalid-range", e.to_string()),
        KpiError::Calendar(_) | KpiError::TimeZone(_) => Problem::new(
            StatusCode::CONFLICT,
            "invalid-business-calendar",
            format!("{e}; set it again with PUT /v1/tenants/{tenant}/settings"),
        ),
    })?;
    tracing::info!(
        %tenant,
        %from,
        %until,
        group_by = ?query.group_by,
        ms = started.elapsed().as_millis() as u64,
        "KPI report"
    );
    match query.format {
        Format::Json => answer(StatusCode::OK, report),
        Format::Csv => Ok((
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "text/csv; charset=utf-8; header=present",
            )],
            kpi::to_csv(&report),
        )
            .into_response()),
    }
}

/// `text` as an instant: RFC 3339, or a date read as its first moment in `zone`
/// (midnight, or the end of a daylight-saving gap that swallows it).
fn instant(text: &str, zone: Tz, name: &str) -> ApiResult<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        Problem::bad_request(
            "invalid-query",
            format!("`{name}` is `{text}`: an RFC 3339 instant or a date (`2026-03-23`)"),
        )
    })?;
    // A gap lasts at most a few hours: the first minute that exists.
    (0..=24 * 60)
        .find_map(|minute| {
            let local = date.and_hms_opt(0, 0, 0)? + chrono::TimeDelta::minutes(minute);
            zone.from_local_datetime(&local).earliest()
        })
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| Problem::bad_request("invalid-query", format!("`{name}`: no such day")))
}
