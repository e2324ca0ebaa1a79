//! A plugin's lifecycle: its versions (listed, made, activated, rolled back to), its
//! shadow run (a candidate version beside the active one, and what each decided),
//! and its resumption after the circuit breaker suspended it.
//!
//! Activation is a write of the plugin's record: each event reads the tenant's
//! plugins once, when its step starts, so an event runs whole on the version it
//! started with and every later event on the new one.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::openapi::Name;
use super::plugins::{PluginView, ReferenceName, activated, checked_label, made_by, version_of};
use super::{ApiResult, AppState, Problem, TenantAdmin, TenantIntegration, answer, parse_json};
use crate::diff::{DiffSummary, EventDiff};
use crate::reference_plugins;
use crate::runtime::World;
use crate::store::{InstalledPlugin, PluginSource, PluginVersion, Scope, Shadow, shadow_name};

/// The most diffs one page of a shadow run lists.
const MAX_SHADOW_PAGE: usize = 1000;

fn no_plugin(name: &str) -> Problem {
    Problem::not_found(format!("no plugin `{name}`"))
}

fn no_version(name: &str, number: u64) -> Problem {
    Problem::not_found(format!(
        "plugin `{name}` has no version {number}; GET its versions to list them"
    ))
}

/// Lists a plugin's versions, oldest first.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins/{name}/versions",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses((status = 200, description = "Every version of the plugin, oldest first; the configuration is shown to admin tokens only", body = Vec<PluginVersion>)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn list_versions(
    State(state): State<AppState>,
    TenantIntegration(scope): TenantIntegration,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    if state.store.plugin(&tenant, &name)?.is_none() {
        return Err(no_plugin(&name));
    }
    let mut versions = state.store.plugin_versions(&tenant, &name)?;
    if scope != Scope::Admin {
        for version in &mut versions {
            version.config = String::new();
        }
    }
    answer(StatusCode::OK, versions)
}

/// A new version to make, not activated.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct NewVersion {
    /// The component, by the SHA-256 an upload answered; absent: the active
    /// version's. Not with `reference`.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    component: Option<String>,
    /// A reference plugin's component instead.
    #[serde(default)]
    #[schema(value_type = Option<ReferenceName>)]
    reference: Option<String>,
    /// The configuration; absent: the active version's.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    /// A label, at most 100 characters, no control characters.
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    label: Option<String>,
}

/// Makes a version of a plugin from a component and a configuration, without
/// activating it: a candidate to shadow, or to activate later. The component must
/// load, and a component of contract 0.2.0 or later must accept the configuration.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/plugins/{name}/versions",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    request_body = NewVersion,
    responses(
        (status = 201, description = "The version made", body = PluginVersion),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The component was not uploaded (`unknown-component`) or cannot be loaded (`invalid-plugin`), or it refuses the configuration (`invalid-config`)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn create_version(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let asked: NewVersion = parse_json(
        body,
        "a version (`{\"component\": \"<sha256>\", \"config\": {…}, \"label\": \"v2\"}`)",
    )?;
    let label = checked_label(asked.label)?;
    let mut candidate = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    match (asked.component, asked.reference) {
        (Some(_), Some(_)) => {
            return Err(Problem::bad_request(
                "invalid-settings",
                "give `reference` or `component`, not both: a version runs one component",
            ));
        }
        (Some(sha256), None) => {
            candidate.source = PluginSource::Uploaded {
                sha256: sha256.clone(),
            };
            candidate.version = sha256;
        }
        (None, Some(reference)) => {
            let found = reference_plugins::find(&reference).ok_or_else(|| {
                Problem::bad_request(
                    "unknown-reference-plugin",
                    format!("no reference plugin `{reference}`"),
                )
            })?;
            candidate.version = crate::runtime::sha256_hex(found.component);
            candidate.source = PluginSource::Reference { name: reference };
        }
        (None, None) => {}
    }
    if let Some(config) = asked.config {
        candidate.config = Value::Object(config).to_string();
    }
    check_candidate(&state, &tenant, &candidate).await?;
    let now = state.clock.now();
    let version = state.store.add_plugin_version(
        &tenant,
        &name,
        &version_of(&candidate, label, made_by(&headers), now),
    )?;
    state.store.flush()?;
    tracing::info!(%tenant, plugin = %name, version = version.number, "plugin version made");
    answer(StatusCode::CREATED, version)
}

/// Loads `candidate`'s component and has it check its configuration; the problems
/// the settings route gives for the same faults.
async fn check_candidate(
    state: &AppState,
    tenant: &str,
    candidate: &InstalledPlugin,
) -> Result<World, Problem> {
    let component = super::plugins::loaded(state, tenant, candidate).await?;
    let world = component.world();
    super::plugins::refuse_bad_config(
        state,
        component,
        &candidate.name,
        &candidate.config,
        state.clock.now(),
    )
    .await?;
    Ok(world)
}

/// Makes a version the one the plugin runs: activation, or a rollback to an earlier
/// one. Atomic: an event already started finishes on the version it started with,
/// every later event runs this one, and the audit trail names the version of every
/// call (`plugin_version`, `version_number`). A suspension is lifted.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/plugins/{name}/versions/{number}/activate",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
        ("number" = u64, Path, description = "The version's number"),
    ),
    responses(
        (status = 200, description = "The plugin, now running the version", body = PluginView),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The version's component cannot be loaded, or it refuses its configuration", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn activate_version(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name, number)): Path<(String, String, u64)>,
) -> ApiResult<Response> {
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let mut plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    let version = state
        .store
        .plugin_version(&tenant, &name, number)?
        .ok_or_else(|| no_version(&name, number))?;
    let mut candidate = plugin.clone();
    activated(&mut candidate, &version);
    check_candidate(&state, &tenant, &candidate).await?;
    let from = plugin.active_version;
    plugin = candidate;
    plugin.updated_at = state.clock.now();
    let plugin = state.store.change_plugin(&tenant, &plugin, true)?;
    state.store.flush()?;
    state.pipeline.reset_breaker(&tenant, &name);
    tracing::info!(%tenant, plugin = %name, from, to = number, "plugin version activated");
    answer(StatusCode::OK, PluginView::of(&state, plugin).await?)
}

/// The candidate of a shadow run.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ShadowRequest {
    /// The number of the version to run beside the active one (from 1).
    #[schema(value_type = i64, minimum = 1)]
    version: u64,
}

/// Starts a shadow run: the version runs beside the active one on every event the
/// plugin runs on; what it decides is recorded next to what the active version
/// decided, never applied, never sent. Its storage and timers are its own (under
/// `<name>~shadow`), started empty; a shadow run already going is replaced, and its
/// diffs forgotten.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant}/plugins/{name}/shadow",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    request_body = ShadowRequest,
    responses(
        (status = 200, description = "The plugin, with its shadow", body = PluginView),
        (status = 404, description = "No such plugin or version", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The version cannot be loaded or refuses its configuration", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn put_shadow(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let asked: ShadowRequest = parse_json(body, "a shadow run (`{\"version\": 3}`)")?;
    let mut plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    let version = state
        .store
        .plugin_version(&tenant, &name, asked.version)?
        .ok_or_else(|| no_version(&name, asked.version))?;
    let mut candidate = plugin.clone();
    candidate.source = version.source.clone();
    candidate.version = version.sha256.clone();
    candidate.config = version.config.clone();
    let world = check_candidate(&state, &tenant, &candidate).await?;
    if world != World::Automation {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-automation",
            format!(
                "version {} is a {world} plugin: only automation plugins run on events, and \
                 so only they can be shadowed",
                version.number
            ),
        ));
    }
    state.store.clear_shadow(&tenant, &name)?;
    // 64 random bits: what the run's storage, timers and diffs are kept under.
    let run = crate::tenancy::random_secret()[..16].to_string();
    plugin.shadow = Some(Shadow {
        run,
        version: version.number,
        sha256: version.sha256,
        source: version.source,
        config: version.config,
        since: state.clock.now(),
    });
    let plugin = state.store.change_plugin(&tenant, &plugin, false)?;
    state.store.flush()?;
    tracing::info!(%tenant, plugin = %name, candidate = asked.version, "shadow run started");
    answer(StatusCode::OK, PluginView::of(&state, plugin).await?)
}

/// Ends the plugin's shadow run and forgets its diffs, storage and timers.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant}/plugins/{name}/shadow",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses(
        (status = 204, description = "Ended (or there was none)"),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn delete_shadow(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let mut plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    if plugin.shadow.take().is_some() {
        state.store.change_plugin(&tenant, &plugin, false)?;
    }
    state.store.clear_shadow(&tenant, &name)?;
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct ShadowQuery {
    /// List the diffs of events after this one (the `next_after` of the previous
    /// page); 0, the default, from the first.
    #[serde(default)]
    after: u64,
    /// At most this many diffs (default 100, at most 1,000).
    #[serde(default)]
    limit: Option<usize>,
}

/// One event's diff in a shadow run.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ShadowDiff {
    /// The event's sequence number in the tenant's log.
    seq: u64,
    #[serde(flatten)]
    diff: EventDiff,
}

/// A shadow run's report.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ShadowReport {
    /// The candidate; absent when no shadow run is going.
    #[serde(skip_serializing_if = "Option::is_none")]
    shadow: Option<Shadow>,
    /// The active version's number.
    active_version: u64,
    /// The counts of the whole run so far, by verdict.
    summary: DiffSummary,
    /// The page's diffs, in event order.
    diffs: Vec<ShadowDiff>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_after: Option<u64>,
}

/// What the shadow candidate and the active version decided, event by event, and
/// their counts by verdict: `agree` (the same actions), `differ`, `candidate_failed`.
///
/// Timers are each version's own: where both set a timer of the same name for the
/// same time, the firing of the active version's and of the candidate's are one
/// diff, made whole when the second fires. O(log n + limit): the counts are kept
/// by the commits.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins/{name}/shadow",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
        ShadowQuery,
    ),
    responses(
        (status = 200, description = "The shadow run's diffs and summary", body = ShadowReport),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_shadow(
    State(state): State<AppState>,
    TenantIntegration(scope): TenantIntegration,
    Path((tenant, name)): Path<(String, String)>,
    query: Result<Query<ShadowQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!("{}; parameters: after, limit", e.body_text()),
        )
    })?;
    let limit = query.limit.unwrap_or(100).clamp(1, MAX_SHADOW_PAGE);
    let plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    let (mut page, summary) = match &plugin.shadow {
        Some(shadow) => {
            let run = shadow_name(&name, &shadow.run);
            (
                state
                    .store
                    .shadow_diffs(&tenant, &run, query.after, limit + 1)?,
                state.store.shadow_summary(&tenant, &run)?,
            )
        }
        None => (Vec::new(), DiffSummary::default()),
    };
    let next_after = (page.len() > limit).then(|| {
        page.truncate(limit);
        page.last().map_or(0, |(seq, _)| *seq)
    });
    let mut shadow = plugin.shadow;
    if scope != Scope::Admin
        && let Some(shadow) = shadow.as_mut()
    {
        shadow.config = String::new();
    }
    let diffs = page
        .into_iter()
        .map(|(seq, diff)| ShadowDiff { seq, diff })
        .collect();
    answer(
        StatusCode::OK,
        ShadowReport {
            shadow,
            active_version: plugin.active_version,
            summary,
            diffs,
            next_after,
        },
    )
}

/// Lifts a suspension by the circuit breaker: the plugin runs again on the next
/// events, and its count of failures starts again.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/plugins/{name}/resume",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses(
        (status = 200, description = "The plugin, no longer suspended", body = PluginView),
        (status = 404, description = "No such plugin", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn resume_plugin(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let mut plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| no_plugin(&name))?;
    if let Some(suspension) = plugin.suspended.take() {
        plugin = state.store.change_plugin(&tenant, &plugin, true)?;
        state.store.flush()?;
        state.pipeline.resumed();
        tracing::info!(%tenant, plugin = %name, reason = %suspension.reason, "plugin resumed");
    }
    state.pipeline.reset_breaker(&tenant, &name);
    answer(StatusCode::OK, PluginView::of(&state, plugin).await?)
}
