//! Macros in the service: the tenant's canned replies listed for agents, and one
//! applied to a ticket by an agent. The reply and the macro's bundled actions go
//! through the pipeline as a `macro_applied` event, like any decision: audited, and
//! sent back through the ticket's adapter or bridge when it has one.
//!
//! A macro is rendered when it is applied, before anything is stored: one that
//! cannot be (a placeholder with no value and no fallback, an unknown macro) is
//! refused with the reason and nothing is sent. Each request calls every enabled
//! `macros` plugin of the tenant once to list (O(plugins)), and the chosen one once
//! to render; the ticket is read by id (O(log n)), following its merges.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::events::EventsQuery;
use super::openapi::{ExternalId, Name};
use super::{ApiResult, AppState, Problem, TenantIntegration, answer, parse_json};
use crate::model::{Action, Channel, Event, EventKind, RenderError};
use crate::pipeline::merge::{self, ChainEnd};
use crate::pipeline::{EventOutcome, Pipeline};
use crate::runtime::{CallError, MacroRequest, World};
use crate::store::{Enqueued, InstalledPlugin, Store};

/// What a macro application's `Idempotency-Key` is stored under: a prefix no key
/// sent to `POST …/events` can have (it holds a control character, which the header
/// refuses).
const MACRO_KEY_PREFIX: &str = "\u{1}macro:";

/// The variable the agent's name is given to a macro as.
pub const AGENT_NAME: &str = "agent.name";

/// A macro one of the tenant's `macros` plugins offers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct MacroEntry {
    /// The plugin that offers it (its name in the tenant).
    plugin: String,
    /// The macro's id, to apply it.
    id: String,
    title: String,
    description: String,
    /// The channels it suits; empty for all.
    #[schema(value_type = Vec<Channel>)]
    channels: Vec<Channel>,
}

/// A `macros` plugin that could not list its macros.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(super) struct MacrosFailure {
    plugin: String,
    error: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct MacrosAnswer {
    macros: Vec<MacroEntry>,
    /// Plugins whose listing failed; their macros are missing above.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    failures: Vec<MacrosFailure>,
}

/// The body of `POST …/tickets/{id}/macros/{macro}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ApplyMacro {
    /// The agent applying the macro: the reply's author, and the value of the
    /// macro's `agent.name` placeholder.
    #[schema(min_length = 1, max_length = 200)]
    agent: String,
    /// The `macros` plugin whose macro this is; needed only when two plugins of the
    /// tenant offer the same id.
    #[serde(default)]
    plugin: Option<String>,
    /// Values for the macro's own placeholders (`amount`, ...).
    #[serde(default)]
    variables: BTreeMap<String, String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AppliedMacro {
    /// The `macro_applied` event that carries it through the pipeline; absent for a
    /// retried request (`duplicate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    event_id: Option<String>,
    /// Its place in the tenant's event log; for a retry, the first request's.
    seq: u64,
    /// The `Idempotency-Key` was seen before: the first request's macro stands and
    /// nothing was applied again (the reply shown is this request's rendering).
    duplicate: bool,
    /// The ticket it was applied to: the one named, or the end of its merges.
    ticket_id: String,
    plugin: String,
    /// The reply as rendered for the ticket.
    reply: String,
    /// The actions bundled with it.
    actions: Vec<Action>,
    /// With `?wait=true`: the event's outcome (the ticket after it).
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<EventOutcome>,
}

/// Lists the macros of the tenant's enabled `macros` plugins.
#[utoipa::path(
    get,
    path = "/v1/tenants/{tenant}/macros",
    tag = "macros",
    params(("tenant" = Name, Path, description = "The tenant's id")),
    responses(
        (status = 200, description = "The macros, plugin by plugin in the tenant's plugin order", body = MacrosAnswer),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn list_macros(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path(tenant): Path<String>,
) -> ApiResult<Response> {
    let now = state.clock.now();
    let (store, pipeline) = (state.store.clone(), state.pipeline.clone());
    let listed =
        tokio::task::spawn_blocking(move || listing(store.as_ref(), &pipeline, &tenant, now))
            .await
            .map_err(Problem::internal)??;
    answer(StatusCode::OK, listed)
}

/// Every enabled `macros` plugin's macros, and the plugins that failed to list.
fn listing(
    store: &dyn Store,
    pipeline: &Pipeline,
    tenant: &str,
    now: crate::model::Timestamp,
) -> ApiResult<MacrosAnswer> {
    let mut macros = Vec::new();
    let mut failures = Vec::new();
    for installed in macros_plugins(store, pipeline, tenant)? {
        let failed = |error: String| MacrosFailure {
            plugin: installed.name.clone(),
            error,
        };
        match pipeline.list_macros(tenant, &installed, now) {
            Ok(report) => match report.result {
                Ok(list) => macros.extend(list.into_iter().map(|m| MacroEntry {
                    plugin: installed.name.clone(),
                    id: m.id,
                    title: m.title,
                    description: m.description,
                    channels: m.channels,
                })),
                Err(e) => failures.push(failed(e.to_string())),
            },
            Err(e) => failures.push(failed(e.to_string())),
        }
    }
    Ok(MacrosAnswer { macros, failures })
}

/// The tenant's enabled plugins of the `macros` world, in order.
fn macros_plugins(
    store: &dyn Store,
    pipeline: &Pipeline,
    tenant: &str,
) -> ApiResult<Vec<InstalledPlugin>> {
    Ok(store
        .plugins(tenant)?
        .into_iter()
        .filter(|p| p.enabled)
        .filter(|p| {
            pipeline
                .plugins()
                .get(p)
                .is_ok_and(|c| c.world() == World::Macros)
        })
        .collect())
}

/// Applies a macro to a ticket for an agent. The macro is rendered for the ticket
/// (the end of its merges, if it was merged) in the variant of its channel and its
/// requester's language; the reply and the bundled actions are stored as a
/// `macro_applied` event and applied by the pipeline like any decision: audited,
/// sent to the tenant's webhooks and back through the ticket's adapter. A
/// placeholder with no value and no fallback is refused (422, `missing-placeholder`,
/// naming it) and nothing is stored or sent. With an `Idempotency-Key`, a retried
/// request is answered as the first and applies nothing again.
#[utoipa::path(
    post,
    path = "/v1/tenants/{tenant}/tickets/{id}/macros/{macro}",
    tag = "macros",
    params(
        ("tenant" = Name, Path, description = "The tenant's id"),
        ("id" = ExternalId, Path, description = "The ticket's id"),
        ("macro" = ExternalId, Path, description = "The macro's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 256, pattern = "^[!-~]([ -~]*[!-~])?$", description = "1–256 visible ASCII characters (spaces inside only)"),
        EventsQuery,
    ),
    request_body = ApplyMacro,
    responses(
        (status = 200, description = "Applied (`?wait=true`): the reply, the actions and the ticket after them", body = AppliedMacro),
        (status = 202, description = "Rendered and stored; the pipeline applies it", body = AppliedMacro),
        (status = 400, description = "A malformed body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such ticket, or no enabled macros plugin offers the macro", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Two plugins offer the macro (`ambiguous-macro`: name one in `plugin`), the ticket is closed (`ticket-closed`), or its merges do not end (`broken-merge-chain`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The macro cannot be rendered for this ticket (`missing-placeholder` names the placeholder) or bundles an action a macro may not take; nothing was sent", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "The tenant's backlog is full (`backlog-full`): nothing was rendered or stored; send it again after `Retry-After` seconds", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The plugin failed (trap, limit)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("integration_token" = []), ("admin_token" = []))
)]
pub(super) async fn apply_macro(
    State(state): State<AppState>,
    _: TenantIntegration,
    Path((tenant, ticket_id, macro_id)): Path<(String, String, String)>,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Response> {
    let query = super::events::wait_query(query)?;
    let request: ApplyMacro = parse_json(body, "macro application")?;
    state
        .pipeline
        .admit(&tenant, 1)
        .map_err(super::backlogged)?;
    if request.agent.trim().is_empty() {
        return Err(Problem::bad_request(
            "invalid-json",
            "`agent` must name the agent applying the macro, not be blank",
        ));
    }
    let key = super::events::idempotency_key(&headers)?;
    let now = state.clock.now();
    let (store, pipeline) = (state.store.clone(), state.pipeline.clone());
    let wait = query.wait;
    // Rendered, stored and handed over on a task of its own, so that a caller who
    // hangs up cannot leave it stored but not handed over.
    let applied = tokio::spawn(async move {
        tokio::task::spawn_blocking(move || {
            let (applied, stored) = render_and_store(
                store.as_ref(),
                &pipeline,
                &tenant,
                &ticket_id,
                &macro_id,
                request,
                key.as_deref(),
                now,
            )?;
            let waiting = stored.and_then(|stored| pipeline.submit(stored, wait));
            Ok::<_, Problem>((applied, waiting))
        })
        .await
        .map_err(Problem::internal)?
    });
    let (mut applied, waiting) = applied.await.map_err(Problem::internal)??;
    let Some(rx) = waiting.filter(|_| query.wait) else {
        return answer(StatusCode::ACCEPTED, applied);
    };
    let timeout = Duration::from_millis(query.timeout_ms.unwrap_or(10_000));
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(outcome)) => {
            applied.outcome = Some(outcome);
            answer(StatusCode::OK, applied)
        }
        _ => answer(StatusCode::ACCEPTED, applied),
    }
}

/// Renders the macro for the ticket and stores the `macro_applied` event (flushed);
/// the stored event to hand over, `None` for a retried request.
#[allow(clippy::too_many_arguments)]
fn render_and_store(
    store: &dyn Store,
    pipeline: &Pipeline,
    tenant: &str,
    ticket_id: &str,
    macro_id: &str,
    request: ApplyMacro,
    key: Option<&str>,
    now: crate::model::Timestamp,
) -> ApiResult<(AppliedMacro, Option<crate::store::StoredEvent>)> {
    let named = store.ticket(tenant, ticket_id)?.ok_or_else(|| {
        Problem::not_found(format!("no ticket `{ticket_id}` in tenant `{tenant}`"))
    })?;
    let ticket = match merge::chain_end(named, None, |id| store.ticket(tenant, id))? {
        ChainEnd::Ticket(end) => *end,
        ChainEnd::Broken(path) => {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "broken-merge-chain",
                format!(
                    "ticket `{ticket_id}` is merged, but its merges do not end ({})",
                    path.join(" → ")
                ),
            ));
        }
    };
    if ticket.status == crate::model::TicketStatus::Closed {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "ticket-closed",
            format!(
                "ticket `{}` is closed: a macro's reply would reach a requester whose ticket is \
                 done; reopen it first. Nothing was sent",
                ticket.id
            ),
        ));
    }
    let installed = chosen_plugin(
        store,
        pipeline,
        tenant,
        macro_id,
        request.plugin.as_deref(),
        now,
    )?;
    let mut variables = request.variables;
    variables.insert(AGENT_NAME.to_string(), request.agent.clone());
    let report = pipeline
        .render_macro(
            tenant,
            &installed,
            &MacroRequest {
                macro_id,
                ticket: &ticket,
                variables: &variables,
                now,
            },
        )
        .map_err(|e| Problem::new(StatusCode::BAD_GATEWAY, "plugin-failed", e.to_string()))?;
    let rendered = report
        .result
        .map_err(|e| render_problem(&installed.name, macro_id, e))?;
    if let Some(action) = rendered.actions.iter().find(|a| !bundles(a)) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "macro-action-refused",
            format!(
                "macro `{macro_id}` of plugin `{}` bundles a `{}` action; a macro may set the \
                 status, priority, assignment, tags and fields, add a note or close the \
                 ticket, nothing else: nothing was sent",
                installed.name,
                action.name()
            ),
        ));
    }
    let event = Event {
        id: macro_event_id(),
        kind: EventKind::MacroApplied {
            plugin: installed.name.clone(),
            version: installed.version.clone(),
            macro_id: macro_id.to_string(),
            agent: request.agent,
            reply: rendered.body.clone(),
            actions: rendered.actions.clone(),
            fuel_used: report.fuel_used,
        },
        ticket: Some(ticket.clone()),
        occurred_at: now,
    };
    // A key of its own kind: the same text sent to `POST …/events` is another key.
    let key = key.map(|k| format!("{MACRO_KEY_PREFIX}{k}"));
    let enqueued = store.enqueue_event(tenant, &event, key.as_deref(), now)?;
    store.flush()?;
    let (seq, stored, event_id) = match enqueued {
        Enqueued::New(stored) => (stored.seq, Some(*stored), Some(event.id)),
        // A retry: the first request's event stands.
        Enqueued::Duplicate { seq } => (seq, None, None),
    };
    Ok((
        AppliedMacro {
            duplicate: event_id.is_none(),
            event_id,
            seq,
            ticket_id: ticket.id,
            plugin: installed.name,
            reply: rendered.body,
            actions: rendered.actions,
            outcome: None,
        },
        stored,
    ))
}

/// A fresh event id for a macro applied: `macro-` and 64 random bits, hex.
fn macro_event_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("macro-{:016x}", u64::from_be_bytes(bytes))
}

/// Whether a macro may bundle `action` with its reply: changes an agent makes to
/// the ticket by hand, not timers, merges or notifications.
fn bundles(action: &Action) -> bool {
    matches!(
        action,
        Action::SetStatus { .. }
            | Action::SetPriority { .. }
            | Action::Assign { .. }
            | Action::Unassign
            | Action::AddTags { .. }
            | Action::RemoveTags { .. }
            | Action::SetField { .. }
            | Action::InternalNote { .. }
            | Action::Close
    )
}

/// The `macros` plugin whose macro `macro_id` is meant: `named`, or the only one
/// that lists it.
fn chosen_plugin(
    store: &dyn Store,
    pipeline: &Pipeline,
    tenant: &str,
    macro_id: &str,
    named: Option<&str>,
    now: crate::model::Timestamp,
) -> ApiResult<InstalledPlugin> {
    let plugins = macros_plugins(store, pipeline, tenant)?;
    if let Some(name) = named {
        return plugins.into_iter().find(|p| p.name == name).ok_or_else(|| {
            Problem::not_found(format!(
                "tenant `{tenant}` has no enabled macros plugin `{name}`"
            ))
        });
    }
    let mut offering: Vec<InstalledPlugin> = plugins
        .into_iter()
        .filter(|p| {
            pipeline
                .list_macros(tenant, p, now)
                .ok()
                .and_then(|r| r.result.ok())
                .is_some_and(|list| list.iter().any(|m| m.id == macro_id))
        })
        .collect();
    match offering.len() {
        0 => Err(Problem::not_found(format!(
            "no enabled macros plugin of tenant `{tenant}` offers macro `{macro_id}`; \
             GET /v1/tenants/{tenant}/macros lists them"
        ))),
        1 => Ok(offering.remove(0)),
        _ => Err(Problem::new(
            StatusCode::CONFLICT,
            "ambiguous-macro",
            format!(
                "plugins {} all offer macro `{macro_id}`: name one in `plugin`",
                offering
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// The answer to a macro that could not be rendered.
fn render_problem(plugin: &str, macro_id: &str, error: CallError) -> Problem {
    match error {
        CallError::Render(RenderError::MissingValue(name)) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing-placeholder",
            format!(
                "macro `{macro_id}` needs a value for the placeholder `{name}`, which has no \
                 value for this ticket and no fallback; give it in `variables` (or set a \
                 fallback in plugin `{plugin}`'s configuration): nothing was sent"
            ),
        ),
        CallError::Render(RenderError::UnknownMacro(id)) => {
            Problem::not_found(format!("plugin `{plugin}` has no macro `{id}`"))
        }
        CallError::Render(RenderError::Failed(why)) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "macro-failed",
            format!(
                "macro `{macro_id}` could not be rendered for this ticket: {why}; nothing was sent"
            ),
        ),
        other => Problem::new(
            StatusCode::BAD_GATEWAY,
            "plugin-failed",
            format!("plugin `{plugin}` failed to render macro `{macro_id}`: {other}"),
        ),
    }
}
