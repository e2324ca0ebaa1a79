//! Replays of a tenant's recorded events with a candidate version of one of its
//! plugins (see [`crate::replay`]): what it would have decided, beside what was.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::openapi::Name;
use super::{ApiResult, AppState, Problem, TenantAdmin, answer, check_slug, parse_json};
use crate::pipeline::PipelineConfig;
use crate::replay::{self, Candidate, ReplayError, ReplayOptions, ReplayReport, ReplayRequest};

/// A replay to run.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ReplayBody {
    /// The plugin the candidate stands in for: the name of one of the tenant's
    /// automation plugins.
    #[schema(example = "triage")]
    plugin: String,
    /// The candidate: one of the plugin's versions, by number. Not with `component`;
    /// without either, the plugin's active version (which reproduces what was
    /// recorded, when replayed from the tenant's first event).
    #[serde(default)]
    version: Option<u64>,
    /// The candidate: a component uploaded with `?activate=false` (or earlier), by
    /// its SHA-256 (lower-case hex, as the upload answers). Not with `version`.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    component: Option<String>,
    /// The configuration the candidate runs with, a JSON object; by default the
    /// version's (with `version`), else the plugin's active one. The candidate checks
    /// it first, as when it is set.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    /// Events received at or after this time are replayed (RFC 3339).
    #[schema(example = "2026-11-23T00:00:00Z")]
    from: DateTime<Utc>,
    /// Events received before this time are replayed, and timers due up to it fire
    /// (never past the present). At most 31 days after `from`.
    #[schema(example = "2026-11-30T00:00:00Z")]
    until: DateTime<Utc>,
}

/// Runs a candidate version of a plugin over the tenant's events received in a time
/// range, on a simulated clock at the recorded times (the timers it sets fire as they
/// would have), and answers one diff per event and call of the plugin: what the live
/// audit trail recorded (`active`) beside what the candidate decided (`candidate`),
/// with a verdict (`agree`, `differ`, `candidate_failed`) and their counts.
///
/// The replay runs on a scratch copy of the tenant's plugins: it changes none of the
/// tenant's data and sends nothing (no webhook, no channel adapter). The state before
/// `from` is not rebuilt: a ticket first seen in the range starts from what its first
/// event carries, plugins' storage starts empty, timers set before `from` do not
/// fire, and tickets no event of the range names are not compared; a replay from the
/// tenant's first event rebuilds everything. The answer comes when the replay is
/// done: as long as the plugins take on the range's events. One replay at a time per
/// tenant.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/replays",
    tag = "plugins",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    request_body = ReplayBody,
    responses(
        (status = 200, description = "The replay's diffs and their summary", body = ReplayReport),
        (status = 400, description = "The body is not valid (`invalid-json`; `invalid-name` for a plugin name that cannot be one), `from` is not before `until` (`empty-range`), the range is longer than 31 days (`range-too-long`), or both `version` and `component` are given (`invalid-replay`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant, plugin (`unknown-plugin`) or version (`unknown-version`), or a token of another tenant", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A replay of the tenant is already running (`replay-running`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No component of that SHA-256 was uploaded (`unknown-component`, as for the plugin's settings), the candidate cannot be loaded (`invalid-plugin`), is not an automation plugin (`not-automation`), or refuses its configuration (`invalid-config`, each problem in `problems`; `config-check-failed` when the check itself failed)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn post_replay(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path(tenant): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let body: ReplayBody = parse_json(
        body,
        "replay (`{\"plugin\": \"triage\", \"version\": 3, \"from\": \"2026-11-23T00:00:00Z\", \
         \"until\": \"2026-11-30T00:00:00Z\"}`)",
    )?;
    check_slug("plugin name", &body.plugin)?;
    let candidate = match (body.version, body.component) {
        (Some(_), Some(_)) => {
            return Err(Problem::bad_request(
                "invalid-replay",
                "give `version` or `component`, not both: a replay runs one candidate",
            ));
        }
        (Some(number), None) => Candidate::Version(number),
        (None, Some(sha256)) => Candidate::Uploaded { sha256 },
        (None, None) => Candidate::Active,
    };
    replay::check_range(body.from, body.until).map_err(problem)?;
    let running = Running::start(&state, &tenant)?;
    let request = ReplayRequest {
        tenant: tenant.clone(),
        plugin: body.plugin,
        candidate,
        config: body.config.map(|c| Value::Object(c).to_string()),
        from: body.from,
        until: body.until,
        now: state.clock.now(),
    };
    let store = state.store.clone();
    // The service's limits and breaker settings, and its runtime with the components
    // it compiled: the calls end as they did live.
    let options = ReplayOptions {
        pipeline: PipelineConfig {
            workers: 2,
            ..state.pipeline.config().clone()
        },
        runtime: Some(state.pipeline.runtime()),
        ..ReplayOptions::default()
    };
    let report = tokio::task::spawn_blocking(move || {
        // Held until the replay ends, even if its caller hangs up before.
        let _running = running;
        replay::replay(store.as_ref(), &request, &options, &mut |_| {})
    })
    .await
    .map_err(Problem::internal)?
    .map_err(problem)?;
    tracing::info!(
        %tenant,
        plugin = %report.plugin,
        events = report.events_replayed,
        agree = report.summary.agree,
        differ = report.summary.differ,
        candidate_failed = report.summary.candidate_failed,
        "replay done"
    );
    answer(StatusCode::OK, report)
}

/// The problem answer to a replay's error.
fn problem(error: ReplayError) -> Problem {
    let detail = error.to_string();
    match error {
        ReplayError::EmptyRange { .. } => Problem::bad_request("empty-range", detail),
        ReplayError::RangeTooLong { .. } => Problem::bad_request("range-too-long", detail),
        ReplayError::UnknownTenant(_) => Problem::not_found(detail),
        ReplayError::UnknownPlugin { .. } => {
            Problem::new(StatusCode::NOT_FOUND, "unknown-plugin", detail)
        }
        ReplayError::UnknownVersion { .. } => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown-version",
            format!("{detail}; its versions are listed with the plugin"),
        ),
        ReplayError::UnknownComponent(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown-component",
            format!(
                "{detail}; upload it first to the plugin's `component` route with \
                 `?activate=false`"
            ),
        ),
        ReplayError::InvalidCandidate(_) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-plugin", detail)
        }
        ReplayError::NotAutomation(_) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "not-automation", detail)
        }
        ReplayError::ConfigNotObject(_) => Problem::bad_request("invalid-json", detail),
        ReplayError::InvalidConfig(problems) => {
            let mut answer =
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-config", detail);
            answer.problems = Some(problems);
            answer
        }
        ReplayError::ConfigCheckFailed(_) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "config-check-failed",
            detail,
        ),
        ReplayError::Kpi(_) => Problem::new(
            StatusCode::CONFLICT,
            "invalid-business-calendar",
            format!("{detail}; set it again with PUT /v1/tenants/{{tenant}}/settings"),
        ),
        ReplayError::Scratch { .. }
        | ReplayError::Store(_)
        | ReplayError::Runtime(_)
        | ReplayError::Pipeline(_) => Problem::internal(error),
    }
}

/// A tenant of one service: the address of the service's store (a process may run
/// several services, as the tests do) and the tenant's id.
type TenantKey = (usize, String);

/// The tenants with a replay running: one at a time per tenant, so that one admin
/// cannot fill the machine with replays.
fn running() -> &'static Mutex<HashSet<TenantKey>> {
    static RUNNING: OnceLock<Mutex<HashSet<TenantKey>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// A tenant's replay under way; the tenant is free again when it is dropped.
struct Running(TenantKey);

impl Running {
    fn start(state: &AppState, tenant: &str) -> ApiResult<Running> {
        let key = (
            std::sync::Arc::as_ptr(&state.store) as *const () as usize,
            tenant.to_string(),
        );
        let mut all = running().lock().unwrap_or_else(|p| p.into_inner());
        if !all.insert(key.clone()) {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "replay-running",
                format!(
                    "a replay of tenant `{tenant}` is already running; try again when it is done"
                ),
            ));
        }
        Ok(Running(key))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        running()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}
