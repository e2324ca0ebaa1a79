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
use crate::diff::{Decided, DiffSummary, EventDiff, verdict};
use crate::reference_plugins;
use crate::store::{InstalledPlugin, PluginSource, PluginVersion, Scope, Shadow};

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
    /// A label, at most 100 characters.
    #[serde(default)]
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
) -> Result<(), Problem> {
    let component = super::plugins::loaded(state, tenant, candidate).await?;
    super::plugins::refuse_bad_config(
        state,
        component,
        &candidate.name,
        &candidate.config,
        state.clock.now(),
    )
    .await
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
    activated(&state, &tenant, &mut candidate, &version);
    check_candidate(&state, &tenant, &candidate).await?;
    let from = plugin.active_version;
    plugin = candidate;
    plugin.updated_at = state.clock.now();
    state.store.put_plugin(&tenant, &plugin)?;
    state.store.flush()?;
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
    check_candidate(&state, &tenant, &candidate).await?;
    state.store.clear_shadow(&tenant, &name)?;
    plugin.shadow = Some(Shadow {
        version: version.number,
        sha256: version.sha256,
        source: version.source,
        config: version.config,
        since: state.clock.now(),
    });
    state.store.put_plugin(&tenant, &plugin)?;
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
        state.store.put_plugin(&tenant, &plugin)?;
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
/// same time, the firing of the active version's and of the candidate's are shown
/// as one diff (on the page where both appear). The summary reads every diff of the
/// run: O(d) in the run's diffs.
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
    let store = state.store.clone();
    let (tenant_id, plugin_name) = (tenant.clone(), name.clone());
    let (mut page, summary) = tokio::task::spawn_blocking(move || {
        let page = store.shadow_diffs(&tenant_id, &plugin_name, query.after, limit + 1)?;
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let chunk = store.shadow_diffs(&tenant_id, &plugin_name, after, MAX_SHADOW_PAGE)?;
            let Some((last, _)) = chunk.last() else { break };
            after = *last;
            all.extend(chunk.into_iter().map(|(_, d)| d));
        }
        Ok::<_, crate::store::StoreError>((page, DiffSummary::of(&paired(all))))
    })
    .await
    .map_err(Problem::internal)??;
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
    let diffs = paired_with_seq(page)
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

/// The pairing key of a timer's firing: `timer:{ticket}:{plugin}:{due}:{name}` with
/// the plugin's name (or its shadow name) left out.
fn timer_pair(diff: &EventDiff) -> Option<String> {
    let rest = diff.event_id.strip_prefix("timer:")?;
    let mut parts = rest.splitn(4, ':');
    let (ticket, _plugin, due, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(format!("{ticket}:{due}:{name}"))
}

/// `diffs` with the firings of the active version's and the candidate's timers of
/// the same name and due time made one diff (the active version's record, with the
/// candidate's decision and a new verdict), in the order of the first of each pair.
fn paired(diffs: Vec<EventDiff>) -> Vec<EventDiff> {
    paired_with_seq(diffs.into_iter().map(|d| (0, d)).collect())
        .into_iter()
        .map(|(_, d)| d)
        .collect()
}

fn paired_with_seq(diffs: Vec<(u64, EventDiff)>) -> Vec<(u64, EventDiff)> {
    let mut out: Vec<(u64, EventDiff)> = Vec::with_capacity(diffs.len());
    let mut open: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (seq, diff) in diffs {
        let one_sided = diff.active.is_none() != diff.candidate.is_none();
        if let (true, Some(key)) = (one_sided, timer_pair(&diff)) {
            if let Some(&at) = open.get(&key) {
                let (_, first) = &mut out[at];
                let fits = first.active.is_none() != diff.active.is_none();
                if fits {
                    merge_halves(first, diff);
                    open.remove(&key);
                    continue;
                }
            }
            open.insert(key, out.len());
        }
        out.push((seq, diff));
    }
    out
}

/// Completes one half of a timer pair with the other's decision.
fn merge_halves(first: &mut EventDiff, other: EventDiff) {
    let take = |slot: &mut Option<Decided>, from: Option<Decided>| {
        if slot.is_none() {
            *slot = from;
        }
    };
    if first.active.is_none() {
        // Name the pair after the active version's firing.
        first.event_id = other.event_id.clone();
        first.at = other.at;
    }
    take(&mut first.active, other.active);
    take(&mut first.candidate, other.candidate);
    first.verdict = verdict(first.active.as_ref(), first.candidate.as_ref());
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
        state.store.put_plugin(&tenant, &plugin)?;
        state.store.flush()?;
        tracing::info!(%tenant, plugin = %name, reason = %suspension.reason, "plugin resumed");
    }
    state.pipeline.reset_breaker(&tenant, &name);
    answer(StatusCode::OK, PluginView::of(&state, plugin).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Verdict;
    use crate::model::Action;

    fn diff(
        event_id: &str,
        active: Option<Vec<Action>>,
        candidate: Option<Vec<Action>>,
    ) -> EventDiff {
        let decided = |actions| Decided {
            version: None,
            sha256: String::new(),
            actions,
            error: None,
        };
        let (active, candidate) = (active.map(decided), candidate.map(decided));
        EventDiff {
            event_id: event_id.to_string(),
            event_kind: "timer_fired".to_string(),
            ticket_id: "t".to_string(),
            at: "2026-11-30T10:00:00Z".parse().unwrap(),
            plugin: "sla".to_string(),
            verdict: verdict(active.as_ref(), candidate.as_ref()),
            active,
            candidate,
        }
    }

    #[test]
    fn the_two_firings_of_a_timer_are_one_diff() {
        let note = vec![Action::AddTags {
            tags: vec!["breach".into()],
        }];
        let diffs = vec![
            diff("timer:t:sla~shadow:1000:frt", None, Some(note.clone())),
            diff("e-1", Some(Vec::new()), Some(Vec::new())),
            diff("timer:t:sla:1000:frt", Some(note.clone()), None),
            diff("timer:t:sla:2000:frt", Some(note.clone()), None),
        ];
        let paired = paired(diffs);
        assert_eq!(paired.len(), 3);
        assert_eq!(paired[0].event_id, "timer:t:sla:1000:frt");
        assert_eq!(paired[0].verdict, Verdict::Agree);
        // The candidate set no timer for 2000: the active version's firing stands alone.
        assert_eq!(paired[2].verdict, Verdict::Differ);
    }
}
