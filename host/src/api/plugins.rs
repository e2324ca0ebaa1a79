//! A tenant's plugins: reference plugins enabled by name, components uploaded, and the
//! settings of each (configuration, order, subscriptions, enabled).

use std::borrow::Cow;
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use super::openapi::{ComponentBytes, CronSchedule, Name};
use super::{
    ApiResult, AppState, Problem, TenantAdmin, TenantIntegration, answer, body_problem, caller,
    check_slug, parse_json,
};
use crate::pipeline::PluginCacheError;
use crate::reference_plugins;
use crate::runtime::CallLimits;
use crate::runtime::{ContractVersion, World};
use crate::store::{
    AuditRecord, InstalledPlugin, PluginLimits, PluginSource, PluginVersion, Scope,
};
use crate::timekeeper::{MAX_SCHEDULES_PER_PLUGIN, parse_schedule};

/// The event kinds a plugin may subscribe to.
const EVENT_KINDS: [&str; 9] = [
    "ticket_created",
    "message_added",
    "status_changed",
    "assignment_changed",
    "tags_changed",
    "fields_changed",
    "timer_fired",
    "scheduled_tick",
    "missed_call",
];

/// The name of an event kind, as subscriptions list them.
pub(super) struct EventKindName;

impl PartialSchema for EventKindName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(EVENT_KINDS))
            .description(Some("an event kind"))
            .into()
    }
}

impl ToSchema for EventKindName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("EventKindName")
    }
}

/// The name of a reference plugin.
pub(super) struct ReferenceName;

impl PartialSchema for ReferenceName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(reference_plugins::ALL.iter().map(|p| p.name)))
            .description(Some(
                "a reference plugin (`GET /v1/reference-plugins` lists them)",
            ))
            .into()
    }
}

impl ToSchema for ReferenceName {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ReferenceName")
    }
}

/// The schema of [`PluginSettings::schedules`]: at most
/// [`MAX_SCHEDULES_PER_PLUGIN`] cron schedules by name.
fn schedules_schema() -> Schema {
    ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
            Type::Object,
            Type::Null,
        ]))
        .property_names(Some(super::openapi::name_schema()))
        .additional_properties(Some(CronSchedule::schema()))
        .max_properties(Some(MAX_SCHEDULES_PER_PLUGIN))
        .description(Some(format!(
            "Cron schedules by name (at most {MAX_SCHEDULES_PER_PLUGIN}), in the `cron` \
             crate's syntax with seconds (`{{\"morning\": \"0 0 9 * * Mon-Fri\"}}`), read in the \
             tenant's time zone; each tick is a `scheduled_tick` event for this plugin \
             alone, at most one a minute. Replaces the plugin's schedules; `{{}}` removes \
             them; absent or null keeps them."
        )))
        .into()
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ReferencePluginView {
    #[schema(value_type = String)]
    name: &'static str,
    #[schema(value_type = String)]
    summary: &'static str,
    /// Size of the component in bytes.
    size: usize,
}

/// The reference plugins every tenant can enable by name.
#[utoipa::path(
    get,
    path = "/v1/reference-plugins",
    tag = "plugins",
    responses((status = 200, description = "The reference plugins", body = Vec<ReferencePluginView>)),
    security(("integration_token" = []), ("admin_token" = []), ("operator_token" = []))
)]
pub(super) async fn list_reference_plugins(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    caller(&state, &headers).await?;
    let list: Vec<_> = reference_plugins::ALL
        .iter()
        .map(|p| ReferencePluginView {
            name: p.name,
            summary: p.summary,
            size: p.component.len(),
        })
        .collect();
    answer(StatusCode::OK, list)
}

/// Settings of a plugin; absent (or null) fields keep their value.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PluginSettings {
    /// Install this reference plugin under the name (or switch to it).
    #[serde(default)]
    #[schema(value_type = Option<ReferenceName>, example = "triage")]
    reference: Option<String>,
    /// Switch to this uploaded component, by its SHA-256 (lower-case hex, as an upload
    /// with `?activate=false` answers), checked together with the `config` of the
    /// same request: how a component and a configuration in a new format change at
    /// once. Not with `reference`.
    #[serde(default)]
    #[schema(pattern = "^[0-9a-f]{64}$")]
    component: Option<String>,
    /// The configuration the plugin reads, a JSON object whose fields are the plugin's
    /// own (each reference plugin's README lists them). The plugin gets it as JSON
    /// text from `config.get`; anything but an object is refused.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    config: Option<Map<String, Value>>,
    /// Plugins run in ascending order (ties by name).
    #[serde(default)]
    order: Option<i64>,
    /// Event kinds to run on; empty for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventKindName>>)]
    subscriptions: Option<Vec<String>>,
    /// Cron schedules by name; see the schema.
    #[serde(default)]
    #[schema(schema_with = schedules_schema)]
    schedules: Option<BTreeMap<String, String>>,
    /// Whether the plugin runs on the tenant's events.
    #[serde(default)]
    enabled: Option<bool>,
    /// A channel adapter's endpoints: the URL prefixes (`http://` or `https://`,
    /// e.g. `https://acme.zammad.com/api/v1/`) its rendered requests may be sent to;
    /// anything else is refused. At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    endpoints: Option<Vec<String>>,
    /// The plugin's own limits per call (`fuel`, `deadline_ms`, `memory_bytes`), each
    /// at most the operator's maximum; `{}` returns to the service's defaults.
    #[serde(default)]
    limits: Option<PluginLimits>,
    /// After how many failed calls in a row the circuit breaker suspends the plugin;
    /// 0: never. Default 5 (the service's setting).
    #[serde(default)]
    suspend_after: Option<u32>,
    /// A label for the version this change makes (when it changes the component or
    /// the configuration), e.g. `v2.1`; at most 100 characters, no control
    /// characters.
    #[serde(default)]
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    label: Option<String>,
}

/// A plugin as the API shows it: its settings and the kind of plugin it is.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct PluginView {
    #[serde(flatten)]
    plugin: InstalledPlugin,
    /// The world (kind) of its component: `automation` plugins run on events;
    /// `macros` and `channel-adapter` plugins are called by their users. Null when the
    /// component cannot be loaded.
    world: Option<World>,
    /// The version of `guichet:plugin` its component targets. Null when the component
    /// cannot be loaded.
    contract: Option<ContractVersion>,
    /// A channel adapter's inbound path, `/v1/inbound/{address}`: the URL to give its
    /// platform, after the service's public origin. Keep it secret: whoever has it
    /// can post to the adapter, which checks the platform's signature with the secret
    /// in its configuration. Shown to admin tokens only.
    #[serde(skip_serializing_if = "Option::is_none")]
    inbound_path: Option<String>,
}

impl PluginView {
    /// `plugin` with its world, which loading its component tells (from the
    /// compiled-component cache once loaded).
    pub(super) async fn of(state: &AppState, plugin: InstalledPlugin) -> ApiResult<PluginView> {
        let pipeline = state.pipeline.clone();
        tokio::task::spawn_blocking(move || {
            let (world, contract) = match pipeline.plugins().get(&plugin) {
                Ok(component) => (Some(component.world()), Some(component.info().contract)),
                Err(error) => {
                    tracing::warn!(plugin = %plugin.name, %error, "plugin cannot be loaded");
                    (None, None)
                }
            };
            PluginView {
                inbound_path: plugin
                    .inbound_address
                    .as_ref()
                    .map(|a| format!("/v1/inbound/{a}")),
                plugin,
                world,
                contract,
            }
        })
        .await
        .map_err(Problem::internal)
    }
}

/// Installs a reference plugin or changes a plugin's settings. The plugin is compiled
/// with its new settings before they are stored, and a plugin of contract 0.2.0 is
/// asked to check the configuration (when one is given, and whenever the plugin is
/// left enabled), so a broken one or a configuration it refuses is refused here
/// rather than at its first event; the plugin keeps its settings then.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant}/plugins/{name}",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    request_body = PluginSettings,
    responses(
        (status = 200, description = "The plugin with its new settings", body = PluginView),
        (status = 422, description = "The plugin cannot be loaded (`invalid-plugin`), `component` names none uploaded (`unknown-component`), a subscription names an event its contract does not have (`subscription-not-in-contract`), or it refuses the configuration (`invalid-config`, each problem in `problems`; `config-check-failed` when the check itself failed, e.g. past its deadline)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn put_plugin(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    check_slug("plugin name", &name)?;
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let settings: PluginSettings = parse_json(
        body,
        "plugin settings (`{\"reference\": \"triage\", \"config\": {…}, \"order\": 10, \
         \"subscriptions\": [\"ticket_created\"], \"schedules\": {…}, \"enabled\": true}`)",
    )?;
    check_schedules(settings.schedules.as_ref())?;
    let existing = state.store.plugin(&tenant, &name)?;
    let was_enabled = existing.as_ref().is_some_and(|p| p.enabled);
    // The configuration is checked when it is set, and whenever the plugin is left
    // enabled (new code under it, enabled with it): a plugin never runs with a
    // configuration it refuses.
    let config_given = settings.config.is_some();
    let schedules_changed = settings.schedules.is_some();
    let mut plugin = match (existing, &settings.reference) {
        (existing, Some(reference)) => {
            let found = reference_plugins::find(reference).ok_or_else(|| {
                Problem::bad_request(
                    "unknown-reference-plugin",
                    format!(
                        "no reference plugin `{reference}`; available: {}",
                        reference_plugins::ALL
                            .iter()
                            .map(|p| p.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let version = crate::runtime::sha256_hex(found.component);
            let mut plugin = existing.unwrap_or_else(|| new_plugin(&name, state.clock.now()));
            plugin.source = PluginSource::Reference {
                name: reference.clone(),
            };
            plugin.version = version;
            plugin
        }
        (existing, None) if settings.component.is_some() => {
            existing.unwrap_or_else(|| new_plugin(&name, state.clock.now()))
        }
        (Some(existing), None) => existing,
        (None, None) => {
            return Err(Problem::not_found(format!(
                "no plugin `{name}`: give `reference` to install a reference plugin, or upload \
                 a component to /v1/tenants/{tenant}/plugins/{name}/component"
            )));
        }
    };
    if let Some(sha256) = &settings.component {
        if settings.reference.is_some() {
            return Err(Problem::bad_request(
                "invalid-settings",
                "give `reference` or `component`, not both: a plugin runs one component",
            ));
        }
        // Whether it was uploaded is known when it is loaded below, once.
        plugin.source = PluginSource::Uploaded {
            sha256: sha256.clone(),
        };
        plugin.version = sha256.clone();
    }
    if let Some(config) = settings.config {
        plugin.config = Value::Object(config).to_string();
    }
    if let Some(order) = settings.order {
        plugin.order = order;
    }
    if let Some(subscriptions) = settings.subscriptions {
        plugin.subscriptions = subscriptions;
    }
    if let Some(schedules) = settings.schedules {
        plugin.schedules = schedules;
    }
    if let Some(enabled) = settings.enabled {
        plugin.enabled = enabled;
    }
    if let Some(endpoints) = settings.endpoints {
        plugin.endpoints = checked_endpoints(endpoints)?;
    }
    if let Some(limits) = settings.limits {
        plugin.limits = checked_limits(limits, &state.pipeline.config().max_limits)?;
    }
    if let Some(suspend_after) = settings.suspend_after {
        plugin.suspend_after = Some(suspend_after);
    }
    let label = checked_label(settings.label)?;
    // A change of the code or of the configuration is a new version.
    let versioned = settings.reference.is_some() || settings.component.is_some() || config_given;
    plugin.updated_at = state.clock.now();
    let now = state.clock.now();
    let component = loaded(&state, &tenant, &plugin).await?;
    let contract = component.info().contract;
    if let Some(kind) = plugin
        .subscriptions
        .iter()
        .find(|kind| !contract.knows_kind(kind))
    {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "subscription-not-in-contract",
            format!(
                "the plugin's component targets {contract}, which has no `{kind}` event: \
                 it would never run on it; rebuild it against a later version to receive it"
            ),
        ));
    }
    give_inbound_address(&mut plugin, component.world());
    if config_given || plugin.enabled {
        refuse_bad_config(&state, component, &plugin.name, &plugin.config, now).await?;
    }
    if versioned {
        let version = state.store.add_plugin_version(
            &tenant,
            &name,
            &version_of(&plugin, label, made_by(&headers), now),
        )?;
        activated(&mut plugin, &version);
    }
    let plugin = state.store.change_plugin(&tenant, &plugin, versioned)?;
    if versioned {
        state.pipeline.reset_breaker(&tenant, &name);
    }
    if schedules_changed || (plugin.enabled && !was_enabled) {
        // New schedules, or a plugin back from being disabled, start from now: no
        // catch-up tick for what they did not ask for.
        state.store.clear_schedule_marks(&tenant, &name)?;
    }
    state.store.flush()?;
    tracing::info!(%tenant, plugin = %name, enabled = plugin.enabled, "plugin settings changed");
    answer(StatusCode::OK, PluginView::of(&state, plugin).await?)
}

/// Each schedule read as a cron expression, or the problem naming the first that is
/// not one.
fn check_schedules(schedules: Option<&BTreeMap<String, String>>) -> ApiResult<()> {
    for (schedule, expression) in schedules.into_iter().flatten() {
        parse_schedule(expression).map_err(|e| {
            Problem::bad_request(
                "invalid-schedule",
                format!(
                    "schedule `{schedule}`: {e}; the fields are seconds, minutes, hours, \
                     day of month, month, day of week (e.g. `0 0 9 * * Mon-Fri`)"
                ),
            )
        })?;
    }
    Ok(())
}

/// What [`put_plugin`] checks of its body alone, in its order, before the store and
/// the component have their say: the body against its schema, the schedules, the
/// endpoints, the limits (against `max`) and the label. Returns the configuration
/// text the plugin would read, if the body sets one, and the subscriptions, if it
/// sets them. For the fuzz target `config` (see [`super::fuzzing`]).
pub(super) fn checked_settings_body(
    body: &[u8],
    max: &CallLimits,
) -> ApiResult<(Option<String>, Option<Vec<String>>)> {
    let settings: PluginSettings = parse_json(Ok(Bytes::copy_from_slice(body)), "plugin settings")?;
    check_schedules(settings.schedules.as_ref())?;
    if let Some(endpoints) = settings.endpoints {
        checked_endpoints(endpoints)?;
    }
    if let Some(limits) = settings.limits {
        checked_limits(limits, max)?;
    }
    checked_label(settings.label)?;
    Ok((
        settings
            .config
            .map(|config| Value::Object(config).to_string()),
        settings.subscriptions,
    ))
}

/// The compiled component `plugin` would run, or the problem a change naming it gets:
/// `422 unknown-component` for a component never uploaded, `422 invalid-plugin` for
/// one that cannot be loaded.
pub(super) async fn loaded(
    state: &AppState,
    tenant: &str,
    plugin: &InstalledPlugin,
) -> Result<std::sync::Arc<crate::runtime::PluginComponent>, Problem> {
    let pipeline = state.pipeline.clone();
    let check = plugin.clone();
    tokio::task::spawn_blocking(move || pipeline.plugins().get(&check))
        .await
        .map_err(Problem::internal)?
        .map_err(|e| match e {
            PluginCacheError::MissingComponent(sha256) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown-component",
                format!(
                    "no component {sha256} was uploaded; upload it first with PUT \
                     /v1/tenants/{tenant}/plugins/{}/component?activate=false",
                    plugin.name
                ),
            ),
            e => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-plugin",
                e.to_string(),
            ),
        })
}

/// Asks the plugin's component what is wrong with `config` (contract 0.2.0's
/// `check-config`), and refuses with 422 `invalid-config` naming every problem it
/// finds, or `config-check-failed` when the check itself fails. A component of
/// contract 0.1.0 cannot be asked: its configuration is only checked as JSON.
pub(super) async fn refuse_bad_config(
    state: &AppState,
    component: std::sync::Arc<crate::runtime::PluginComponent>,
    plugin: &str,
    config: &str,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    let pipeline = state.pipeline.clone();
    let text = config.to_string();
    let checked = tokio::task::spawn_blocking(move || {
        pipeline.plugins().check_config(&component, &text, now)
    })
    .await
    .map_err(Problem::internal)?;
    match checked {
        Ok(None) => Ok(()),
        Ok(Some(problems)) if problems.is_empty() => Ok(()),
        Ok(Some(problems)) => {
            let listed: Vec<String> = problems
                .iter()
                .map(|p| {
                    if p.path.is_empty() {
                        p.message.clone()
                    } else {
                        format!("{}: {}", p.path, p.message)
                    }
                })
                .collect();
            let mut problem = Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-config",
                format!(
                    "plugin `{plugin}` refuses this configuration: {}",
                    listed.join("; ")
                ),
            );
            problem.problems = Some(problems);
            Err(problem)
        }
        Err(e) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "config-check-failed",
            format!("plugin `{plugin}` could not check this configuration: {e}"),
        )),
    }
}

/// The version `plugin`'s code and configuration make, not numbered yet.
pub(super) fn version_of(
    plugin: &InstalledPlugin,
    label: Option<String>,
    created_by: String,
    now: DateTime<Utc>,
) -> PluginVersion {
    PluginVersion {
        number: 0,
        source: plugin.source.clone(),
        sha256: plugin.version.clone(),
        config: plugin.config.clone(),
        label,
        created_by,
        created_at: now,
    }
}

/// `plugin` switched to `version`: its code and configuration, and a suspension
/// lifted (the failures were another version's). Store it with
/// `change_plugin(…, true)`, then forget the breaker's count.
pub(super) fn activated(plugin: &mut InstalledPlugin, version: &PluginVersion) {
    plugin.source = version.source.clone();
    plugin.version = version.sha256.clone();
    plugin.config = version.config.clone();
    plugin.active_version = version.number;
    plugin.suspended = None;
}

/// Who is making a change, for a version's record: `token:<id>` for a tenant token
/// (the id is the public part of `gch_<id>_<secret>`; the caller was authenticated
/// by the route's extractor).
pub(super) fn made_by(headers: &HeaderMap) -> String {
    super::bearer(headers)
        .and_then(|t| t.strip_prefix("gch_"))
        .and_then(|t| t.split_once('_'))
        .map_or_else(|| "unknown".to_string(), |(id, _)| format!("token:{id}"))
}

/// A version's label: at most 100 characters, no control characters (Unicode's
/// `Cc`, as the description's pattern for labels says).
pub(super) fn checked_label(label: Option<String>) -> Result<Option<String>, Problem> {
    match label {
        Some(l) if l.chars().count() > 100 || l.chars().any(char::is_control) => {
            Err(Problem::bad_request(
                "invalid-label",
                "a version's label is at most 100 characters, without control characters",
            ))
        }
        Some(l) if l.trim().is_empty() => Ok(None),
        label => Ok(label),
    }
}

/// `limits` if each is within the operator's `max`; else a 422 `limit-above-maximum`
/// naming the limit and its maximum (or `invalid-limits` for a zero).
fn checked_limits(limits: PluginLimits, max: &CallLimits) -> Result<PluginLimits, Problem> {
    let checks = [
        ("fuel", limits.fuel, max.fuel, "units per call".to_string()),
        (
            "deadline_ms",
            limits.deadline_ms,
            u64::try_from(max.deadline.as_millis()).unwrap_or(u64::MAX),
            "ms".to_string(),
        ),
        (
            "memory_bytes",
            limits.memory_bytes,
            max.memory_bytes as u64,
            format!("bytes ({} MiB)", max.memory_bytes >> 20),
        ),
    ];
    for (limit, asked, maximum, unit) in checks {
        match asked {
            Some(0) => {
                return Err(Problem::bad_request(
                    "invalid-limits",
                    format!("`{limit}` must be at least 1"),
                ));
            }
            Some(asked) if asked > maximum => {
                return Err(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "limit-above-maximum",
                    format!(
                        "`{limit}` {asked} is above the operator's maximum of {maximum} {unit}"
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(limits)
}

fn new_plugin(name: &str, now: DateTime<Utc>) -> InstalledPlugin {
    InstalledPlugin {
        name: name.to_string(),
        source: PluginSource::Reference {
            name: String::new(),
        },
        version: String::new(),
        config: "{}".to_string(),
        order: 0,
        subscriptions: Vec::new(),
        schedules: Default::default(),
        enabled: false,
        updated_at: now,
        inbound_address: None,
        endpoints: Vec::new(),
        active_version: 0,
        shadow: None,
        suspended: None,
        suspend_after: None,
        limits: Default::default(),
    }
}

/// Gives a channel adapter its inbound address if it has none: 256 random bits from
/// the operating system, hex (not guessable). Other plugins have none.
fn give_inbound_address(plugin: &mut InstalledPlugin, world: World) {
    if world == World::ChannelAdapter && plugin.inbound_address.is_none() {
        plugin.inbound_address = Some(crate::tenancy::random_secret());
    }
}

/// An adapter's endpoints as the admin gave them, each an absolute `http://` or
/// `https://` URL with a host, at most 2,048 bytes, 20 at most.
fn checked_endpoints(endpoints: Vec<String>) -> Result<Vec<String>, Problem> {
    if endpoints.len() > 20 {
        return Err(Problem::bad_request(
            "invalid-endpoints",
            format!("{} endpoints given; at most 20", endpoints.len()),
        ));
    }
    for endpoint in &endpoints {
        let rest = endpoint
            .strip_prefix("https://")
            .or_else(|| endpoint.strip_prefix("http://"));
        let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
        if endpoint.len() > 2048
            || host.is_none_or(|h| h.is_empty() || h.contains('@'))
            || endpoint
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(Problem::bad_request(
                "invalid-endpoints",
                format!(
                    "endpoint `{}` is not an absolute http:// or https:// URL with a host \
                     (no credentials, no spaces, at most 2,048 bytes), e.g. \
                     `https://acme.zammad.com/api/v1/`",
                    crate::model::truncate_text(endpoint.clone(), 200)
                ),
            ));
        }
    }
    Ok(endpoints)
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct UploadedComponent {
    /// The plugin as it now stands; absent for an upload with `?activate=false` of a
    /// plugin that does not exist yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    plugin: Option<InstalledPlugin>,
    /// The version the upload made: the component under the plugin's configuration
    /// (`{}` for a new plugin). Activate it later with
    /// `POST …/versions/{number}/activate` when `activate=false`.
    version: PluginVersion,
    /// The kind of plugin the component is.
    world: World,
    /// The version of `guichet:plugin` it targets.
    contract: ContractVersion,
    /// Its SHA-256, lower-case hex: what `component` in the plugin's settings names.
    sha256: String,
    /// Size of the component in bytes.
    size: usize,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(super) struct UploadQuery {
    /// `false` stores the component without changing the plugin, for a later
    /// `PUT` of the settings that switches to it (`component`) together with its
    /// configuration. Default `true`: the plugin runs it from now on.
    #[serde(default = "yes")]
    activate: bool,
    /// A label for the version the upload makes (e.g. `v2.1` or a commit id), at
    /// most 100 characters, no control characters.
    #[serde(default)]
    #[param(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    label: Option<String>,
}

fn yes() -> bool {
    true
}

/// Uploads a component (the bytes of a `.wasm` file) for the plugin, validated and
/// compiled first. A new plugin starts disabled: enable it with its settings.
#[utoipa::path(
    put,
    path = "/v1/tenants/{tenant}/plugins/{name}/component",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
        UploadQuery,
    ),
    request_body(content = ComponentBytes, content_type = "application/wasm", description = "A WebAssembly component of a `guichet:plugin` world, at most 64 MiB"),
    responses(
        (status = 201, description = "Stored; unless `activate=false`, the plugin now runs this component", body = UploadedComponent),
        (status = 422, description = "Not a valid guichet plugin component (`invalid-component`), or the plugin is enabled and the component refuses its configuration (`invalid-config`, each problem in `problems`; `config-check-failed` when the check itself failed): upload with `activate=false` and switch with the new configuration in one `PUT` of the settings", body = Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub(super) async fn upload_component(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
    headers: HeaderMap,
    query: Result<Query<UploadQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    check_slug("plugin name", &name)?;
    let Query(query) = query.map_err(|e| {
        Problem::bad_request(
            "invalid-query",
            format!("{}; parameters: activate, label", e.body_text()),
        )
    })?;
    let label = checked_label(query.label)?;
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let bytes = body.map_err(body_problem)?;
    let pipeline = state.pipeline.clone();
    let compiled =
        tokio::task::spawn_blocking(move || pipeline.plugins().load(&bytes).map(|c| (c, bytes)))
            .await
            .map_err(Problem::internal)?;
    let (component, bytes) = compiled.map_err(|e| {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-component",
            format!("the upload is not a valid guichet plugin: {e}"),
        )
    })?;
    let info = component.info().clone();
    let existing = state.store.plugin(&tenant, &name)?;
    let now = state.clock.now();
    // The new code under the plugin's configuration (`{}` for a new plugin).
    let mut candidate = existing.clone().unwrap_or_else(|| new_plugin(&name, now));
    candidate.source = PluginSource::Uploaded {
        sha256: info.sha256.clone(),
    };
    candidate.version = info.sha256.clone();
    if !query.activate {
        state.store.put_component(&info.sha256, &bytes)?;
        let version = state.store.add_plugin_version(
            &tenant,
            &name,
            &version_of(&candidate, label, made_by(&headers), now),
        )?;
        state.store.flush()?;
        tracing::info!(
            %tenant, plugin = %name, version = version.number, sha256 = %info.sha256,
            "component stored as a version, not activated"
        );
        return answer(
            StatusCode::CREATED,
            UploadedComponent {
                plugin: existing,
                version,
                world: info.world,
                contract: info.contract,
                sha256: info.sha256,
                size: info.size,
            },
        );
    }
    if let Some(existing) = existing.as_ref().filter(|p| p.enabled) {
        // New code under a live configuration: it must accept it.
        refuse_bad_config(
            &state,
            component,
            &name,
            &existing.config,
            state.clock.now(),
        )
        .await?;
    }
    state.store.put_component(&info.sha256, &bytes)?;
    let mut plugin = candidate;
    plugin.updated_at = now;
    let version = state.store.add_plugin_version(
        &tenant,
        &name,
        &version_of(&plugin, label, made_by(&headers), now),
    )?;
    activated(&mut plugin, &version);
    give_inbound_address(&mut plugin, info.world);
    let plugin = state.store.change_plugin(&tenant, &plugin, true)?;
    state.store.flush()?;
    state.pipeline.reset_breaker(&tenant, &name);
    tracing::info!(%tenant, plugin = %name, version = %info.sha256, "component uploaded");
    answer(
        StatusCode::CREATED,
        UploadedComponent {
            plugin: Some(plugin),
            version,
            world: info.world,
            contract: info.contract,
            sha256: info.sha256,
            size: info.size,
        },
    )
}

/// Lists the tenant's plugins with their settings.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins",
    tag = "plugins",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses((status = 200, description = "The tenant's plugins, each with its world (kind)", body = Vec<PluginView>)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn list_plugins(
    State(state): State<AppState>,
    TenantIntegration(scope): TenantIntegration,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
    let mut plugins = Vec::new();
    for plugin in state.store.plugins(&tenant)? {
        plugins.push(PluginView::of(&state, shown_to(plugin, scope)).await?);
    }
    answer(StatusCode::OK, plugins)
}

/// Reads one plugin's settings.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins/{name}",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses((status = 200, description = "The plugin, with its world (kind)", body = PluginView)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_plugin(
    State(state): State<AppState>,
    TenantIntegration(scope): TenantIntegration,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    let plugin = state
        .store
        .plugin(&tenant, &name)?
        .ok_or_else(|| Problem::not_found(format!("no plugin `{name}`")))?;
    answer(
        StatusCode::OK,
        PluginView::of(&state, shown_to(plugin, scope)).await?,
    )
}

/// `plugin` as a caller of `scope` may see it: an integration token does not see
/// the configuration (an adapter's holds its platform's credentials) nor an
/// adapter's inbound address and endpoints, which only the admin sets and gives out.
fn shown_to(mut plugin: InstalledPlugin, scope: Scope) -> InstalledPlugin {
    if scope != Scope::Admin {
        plugin.config = String::new();
        if let Some(shadow) = plugin.shadow.as_mut() {
            shadow.config = String::new();
        }
        plugin.inbound_address = None;
        plugin.endpoints = Vec::new();
    }
    plugin
}

/// Removes a plugin from the tenant.
#[utoipa::path(
    delete,
    path = "/v1/tenants/{tenant}/plugins/{name}",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses((status = 204, description = "Removed")),
    security(("admin_token" = []))
)]
pub(super) async fn delete_plugin(
    State(state): State<AppState>,
    _: TenantAdmin,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    // Not while a change of it, or a delivery to it (an adapter's), is being stored.
    let _one_change = state.plugin_changes.lock(&tenant, &name).await;
    let _no_delivery = state.intake.lock(&tenant, &name).await;
    if !state.store.delete_plugin(&tenant, &name)? {
        return Err(Problem::not_found(format!("no plugin `{name}`")));
    }
    state.store.clear_schedule_marks(&tenant, &name)?;
    // Its shadow run (storage, timers, diffs) goes with it.
    state.store.clear_shadow(&tenant, &name)?;
    state.store.flush()?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Reads what the plugin did on its schedules' ticks, oldest first (ticks concern no
/// ticket, so no ticket's audit trail shows them).
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/plugins/{name}/ticks",
    tag = "plugins",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("name" = Name, Path, description = "The plugin's name within the tenant"),
    ),
    responses((status = 200, description = "The audit records of the plugin's scheduled ticks", body = Vec<AuditRecord>)),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn get_ticks(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path((tenant, name)): Path<(String, String)>,
) -> ApiResult<Response> {
    if state.store.plugin(&tenant, &name)?.is_none() {
        return Err(Problem::not_found(format!("no plugin `{name}`")));
    }
    let ticks: Vec<AuditRecord> = state
        .store
        .audit(&tenant, "")?
        .into_iter()
        .filter(|r| r.plugin == name && r.event_kind == "scheduled_tick")
        .collect();
    answer(StatusCode::OK, ticks)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::checked_label;

    /// The description's pattern for a version's label.
    const LABEL_PATTERN: &str = "^[^\\x00-\\x1f\\x7f-\\x9f]*$";

    /// The `pattern` of the schema at `pointer` (its own, or its string alternative's).
    fn pattern_at(description: &Value, pointer: &str) -> Option<String> {
        let schema = description.pointer(pointer)?;
        schema
            .get("pattern")
            .or_else(|| {
                schema
                    .get("oneOf")?
                    .as_array()?
                    .iter()
                    .find_map(|s| s.get("pattern"))
            })
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    #[test]
    fn the_description_says_which_labels_are_refused() {
        let pattern = regex_automata::meta::Regex::new(LABEL_PATTERN).unwrap();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let label = format!("v{c}");
            assert_eq!(
                pattern.is_match(&label),
                checked_label(Some(label.clone())).is_ok(),
                "{c:?}"
            );
        }
        let description = super::super::openapi::json();
        for pointer in [
            "/components/schemas/PluginSettings/properties/label",
            "/components/schemas/NewVersion/properties/label",
        ] {
            assert_eq!(
                pattern_at(description, pointer).as_deref(),
                Some(LABEL_PATTERN),
                "{pointer}"
            );
        }
        let upload = description
            .pointer("/paths/~1v1~1tenants~1{tenant}~1plugins~1{name}~1component/put/parameters")
            .and_then(Value::as_array)
            .unwrap();
        let names: Vec<_> = upload.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["tenant", "name", "activate", "label"]);
        let label = upload.iter().find(|p| p["name"] == "label").unwrap();
        assert_eq!(label["schema"]["pattern"], LABEL_PATTERN);
        assert_eq!(label["schema"]["maxLength"], 100);
    }
}
