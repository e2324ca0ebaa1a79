//! Replays: a candidate version of one of a tenant's plugins run again over the
//! events the tenant received in a time range, on a simulated clock at the recorded
//! times, and compared with what really happened, as [`EventDiff`]s (the diff format
//! shadow runs use).
//!
//! How: a scratch store (a fresh sled store in a temporary directory, deleted
//! afterwards) gets a copy of the tenant's record and of its installed plugins, with
//! the candidate in place of the named plugin; a pipeline and a timekeeper run on it
//! on a [`SimulatedClock`] started at `from`. Each recorded event (see
//! [`EventLog::recorded_events`](crate::store::EventLog::recorded_events)) is fed in arrival order: the clock first moves to the
//! time it was received, firing the timers and schedule ticks due by then, in order,
//! as they would have fired; then the event is processed with its recorded
//! `received_at`, and the next waits until it and everything it caused are done. At
//! the end the clock moves to `until` (never past the present), so timers due in the
//! range fire. Then, ticket by ticket, the scratch run's audit trail is set beside the
//! live one: one [`EventDiff`] per event and call of the named plugin, its `active`
//! side what the live audit trail recorded, its `candidate` side what the replay did;
//! the other plugins' calls are compared too, and those that differ reported (what
//! the candidate's decisions changed downstream). The candidate runs even if the
//! plugin is disabled or suspended live, and the circuit breaker never suspends it in
//! the replay: each of its failures is a diff.
//!
//! The live store is only read: nothing of a replay reaches it, no webhook or
//! channel adapter is called (the scratch service has no delivery, and no webhooks
//! are copied), and the scratch directory is removed when the replay ends, failed or
//! not.
//!
//! What is not rebuilt: the state before `from`. A ticket first seen by an event of
//! the range starts from what that event carries (the helpdesk's snapshot); plugins'
//! storage starts empty; timers set before `from` do not fire; tickets that no event
//! of the range names are not compared. A replay from the tenant's first event
//! rebuilds everything, and with the active version as the candidate reproduces the
//! recorded decisions. The plugins run with their current settings over the whole
//! range (not with the settings they had at each event's time), and events from
//! outside are fed as they were stored (an adapter's storage writes while reading
//! its platform's deliveries are not replayed).
//!
//! Cost: O(e log n) reads of the live store for e events in the range (read a page
//! of [`PAGE`] at a time, never a scan of the tenant's keys), each event's plugins
//! run once more, and at the end one audit trail read per ticket touched, in both
//! stores: O(t log n + a) for t tickets and a audit records.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SimulatedClock};
use crate::diff::{Decided, DiffSummary, EventDiff, Verdict, verdict};
use crate::kpi;
use crate::metrics::Metrics;
use crate::model::{ConfigProblem, Timestamp};
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError, PluginCacheError};
use crate::runtime::{Runtime, RuntimeConfig, RuntimeError, World, sha256_hex};
use crate::store::{
    AuditRecord, Enqueued, InstalledPlugin, PluginSource, SledStore, Store, StoreError,
    TicketFilter, shadowed_plugin,
};
use crate::timekeeper::{Bell, Timekeeper, TimekeeperConfig};

/// The longest range one replay covers: 31 days. A longer one is replayed in pieces,
/// each rebuilding nothing before its `from`.
pub const MAX_RANGE: TimeDelta = TimeDelta::days(31);

/// Recorded events read from the live store at a time.
pub const PAGE: usize = 500;

/// The name the host's own audit records carry (see `pipeline::audit`): not a
/// plugin's decision, never compared.
const HOST: &str = "guichet";

/// Which code (and configuration) runs as the named plugin in a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// The plugin's active settings: its component and configuration as they are.
    /// Reproduces the recorded decisions when replayed from the tenant's first event.
    Active,
    /// One of the plugin's versions, by number (see [`PluginStore::plugin_version`](crate::store::PluginStore::plugin_version)).
    Version(u64),
    /// A component already uploaded to the service, by SHA-256 (lower-case hex),
    /// with the plugin's active configuration unless one is given.
    Uploaded { sha256: String },
    /// The bytes of a component not uploaded (a file), with the plugin's active
    /// configuration unless one is given.
    Component { bytes: Vec<u8> },
}

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayRequest {
    pub tenant: String,
    /// The plugin the candidate stands in for: one of the tenant's automation plugins.
    pub plugin: String,
    pub candidate: Candidate,
    /// The configuration the candidate runs with (JSON text of an object), in place of
    /// the version's or the plugin's.
    pub config: Option<String>,
    /// Events received at or after `from` and before `until` are replayed.
    pub from: Timestamp,
    pub until: Timestamp,
    /// The live service's present: the simulated clock never goes past it, so that
    /// no timer fires in the replay that has not had its chance to fire live.
    pub now: Timestamp,
}

/// How a replay runs.
#[derive(Clone)]
pub struct ReplayOptions {
    /// The scratch pipeline's workers, cascade limit and per-call limits; the limits
    /// should be the live service's, for the calls to end as they did.
    pub pipeline: PipelineConfig,
    /// Where the runtime keeps compiled components between runs (see
    /// [`RuntimeConfig::compile_cache`]); `None` compiles each plugin once per replay.
    pub compile_cache: Option<PathBuf>,
    /// A runtime to run the plugins on (the service's, whose compiled components it
    /// reuses); `None` starts one with `compile_cache`.
    pub runtime: Option<Arc<Runtime>>,
    /// The directory the scratch store is made in (and removed from).
    pub scratch_parent: PathBuf,
    /// Count the events of the range first (one more pass over the range's log, read
    /// only), so that progress reports give a total.
    pub count_first: bool,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            pipeline: PipelineConfig {
                workers: 2,
                ..PipelineConfig::default()
            },
            compile_cache: None,
            runtime: None,
            scratch_parent: std::env::temp_dir(),
            count_first: false,
        }
    }
}

/// How far a replay has got, reported after each event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayProgress {
    /// Recorded events replayed so far.
    pub done: u64,
    /// Events in the range, when counted ([`ReplayOptions::count_first`]).
    pub total: Option<u64>,
    /// The simulated clock.
    pub at: Timestamp,
}

/// A version as a replay names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplayedVersion {
    /// The version's number, when it is one of the plugin's versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// The component's SHA-256 (lower-case hex).
    pub sha256: String,
}

/// What a replay found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReplayReport {
    pub tenant: String,
    pub plugin: String,
    #[schema(value_type = String, format = DateTime)]
    pub from: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    /// Where the simulated clock stopped: `until`, or the present when `until` is
    /// later.
    #[schema(value_type = String, format = DateTime)]
    pub ended_at: Timestamp,
    /// The plugin's active version: what the recorded decisions are compared with.
    pub active: ReplayedVersion,
    pub candidate: ReplayedVersion,
    /// Recorded events run again (events from outside; not counting the follow-ups,
    /// timers and ticks they caused).
    pub events_replayed: u64,
    /// Timer firings and schedule ticks made on the simulated clock.
    pub timers_fired: u64,
    /// Tickets whose audit trails were compared (those the range's events name, and
    /// those they led to).
    pub tickets_compared: u64,
    /// The counts of `diffs` by verdict.
    pub summary: DiffSummary,
    /// One per event and call of the plugin, in the replay's order: `active` is what
    /// the live audit trail recorded, `candidate` what the replay did; a side is
    /// absent where that version did not run on the event.
    pub diffs: Vec<EventDiff>,
    /// The other plugins' decisions that differ from the recorded ones: what the
    /// candidate's decisions changed downstream (or, replaying from later than the
    /// tenant's first event, what the state before `from` had decided). Empty when
    /// everything else agrees.
    pub other_plugins: Vec<EventDiff>,
    /// What the candidate would have done to the KPIs over `[from, ended_at)`: the
    /// live totals, the replay's, and the figures that differ.
    pub kpi_deltas: KpiDeltas,
}

/// The KPIs of a replay's range, live and replayed (see [`crate::kpi`]). The live side
/// counts what the live store recorded in the range, so a replay that starts later
/// than the tenant's first event compares with a live history that had the state
/// before `from` (see the module's "What is not rebuilt").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KpiDeltas {
    pub active: kpi::Kpis,
    pub candidate: kpi::Kpis,
    /// The figures that differ, `after` the candidate's.
    pub changes: Vec<kpi::KpiChange>,
}

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("the range is empty: `from` ({from}) must be before `until` ({until})")]
    EmptyRange { from: Timestamp, until: Timestamp },
    #[error(
        "the range is {hours} hours long; a replay covers at most {} days ({} hours): split it",
        MAX_RANGE.num_days(),
        MAX_RANGE.num_hours()
    )]
    RangeTooLong { hours: i64 },
    #[error("no tenant `{0}`")]
    UnknownTenant(String),
    /// The tenant's business calendar or time zone cannot be read (the range is
    /// checked before).
    #[error("the KPIs of the range: {0}")]
    Kpi(kpi::KpiError),
    #[error("tenant `{tenant}` has no plugin `{plugin}`")]
    UnknownPlugin { tenant: String, plugin: String },
    #[error("plugin `{plugin}` has no version {version}")]
    UnknownVersion { plugin: String, version: u64 },
    #[error("no component {0} was uploaded")]
    UnknownComponent(String),
    #[error("the candidate cannot be loaded: {0}")]
    InvalidCandidate(String),
    #[error(
        "the candidate is a {0} plugin: only automation plugins run on events, and only \
         they are replayed"
    )]
    NotAutomation(World),
    #[error("the configuration is not a JSON object: {0}")]
    ConfigNotObject(String),
    #[error("the candidate refuses its configuration: {}", listed(.0))]
    InvalidConfig(Vec<ConfigProblem>),
    #[error("the candidate could not check its configuration: {0}")]
    ConfigCheckFailed(String),
    #[error("the scratch store in {dir}: {reason}")]
    Scratch { dir: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

fn listed(problems: &[ConfigProblem]) -> String {
    problems
        .iter()
        .map(|p| {
            if p.path.is_empty() {
                p.message.clone()
            } else {
                format!("{}: {}", p.path, p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Checks a range: not empty, at most [`MAX_RANGE`].
pub fn check_range(from: Timestamp, until: Timestamp) -> Result<(), ReplayError> {
    if from >= until {
        return Err(ReplayError::EmptyRange { from, until });
    }
    if until - from > MAX_RANGE {
        return Err(ReplayError::RangeTooLong {
            hours: (until - from).num_hours(),
        });
    }
    Ok(())
}

/// Runs `request` (see the module documentation) against `live`, which is only read.
/// `progress` is called after each recorded event. Blocks the thread for as long as
/// the plugins take on the range's events.
pub fn replay(
    live: &dyn Store,
    request: &ReplayRequest,
    options: &ReplayOptions,
    progress: &mut dyn FnMut(ReplayProgress),
) -> Result<ReplayReport, ReplayError> {
    check_range(request.from, request.until)?;
    let tenant = live
        .tenant(&request.tenant)?
        .ok_or_else(|| ReplayError::UnknownTenant(request.tenant.clone()))?;
    let installed = live.plugins(&tenant.id)?;
    let Some(active) = installed.iter().find(|p| p.name == request.plugin).cloned() else {
        return Err(ReplayError::UnknownPlugin {
            tenant: tenant.id.clone(),
            plugin: request.plugin.clone(),
        });
    };
    let resolved = resolve(live, &tenant.id, &active, request)?;
    let total = if options.count_first {
        Some(count_events(live, request)?)
    } else {
        None
    };

    let scratch_dir = ScratchDir::create(&options.scratch_parent)?;
    let scratch: Arc<dyn Store> = Arc::new(SledStore::open(&scratch_dir.path)?);
    scratch.create_tenant(&tenant)?;
    let mut plugins = Vec::with_capacity(installed.len());
    for plugin in &installed {
        let mut copy = plugin.clone();
        copy.shadow = None;
        // Whether it was suspended at `from` is not known; the breaker goes on as live
        // from there.
        copy.suspended = None;
        if copy.name == resolved.plugin.name {
            copy = resolved.plugin.clone();
        } else if let PluginSource::Uploaded { sha256 } = &copy.source {
            // A component missing from the live store fails there too: the scratch
            // run records the same error.
            if let Some(bytes) = live.component(sha256)? {
                scratch.put_component(sha256, &bytes)?;
            }
        }
        plugins.push(copy);
    }
    if let Some((sha256, bytes)) = &resolved.bytes {
        scratch.put_component(sha256, bytes)?;
    }
    for plugin in &plugins {
        scratch.put_plugin(&tenant.id, plugin)?;
    }

    let runtime = match &options.runtime {
        Some(runtime) => runtime.clone(),
        None => Arc::new(Runtime::new(RuntimeConfig {
            compile_cache: options.compile_cache.clone(),
            default_limits: options.pipeline.limits.clone(),
            ..RuntimeConfig::default()
        })?),
    };
    let clock = Arc::new(SimulatedClock::new(request.from));
    let bell = Arc::new(Bell::default());
    let metrics = Arc::new(Metrics::default());
    let pipeline = Pipeline::start(
        scratch.clone(),
        runtime,
        options.pipeline.clone(),
        metrics.clone(),
        clock.clone(),
        bell.clone(),
    )?;
    let run = Run {
        live,
        scratch: scratch.clone(),
        pipeline: pipeline.clone(),
        timekeeper: Timekeeper::start(
            scratch.clone(),
            clock.clone(),
            Arc::new(pipeline.clone()),
            bell,
            metrics,
            TimekeeperConfig::default(),
        ),
        clock,
    };
    let outcome = run
        .check_candidate(&resolved, request.from)
        .and_then(|()| run.feed(request, total, progress));
    run.timekeeper.stop();
    pipeline.shutdown();
    let (events_replayed, timers_fired, ended_at) = outcome?;
    let compared = compare(
        live,
        scratch.as_ref(),
        &tenant.id,
        &active.name,
        request,
        ended_at,
    )?;
    let kpis = |store: &dyn crate::store::KpiFacts| {
        kpi::compute(store, &tenant, request.from, ended_at, kpi::GroupBy::None)
            .map(|report| report.totals)
            .map_err(|e| match e {
                kpi::KpiError::Store(e) => ReplayError::from(e),
                other => ReplayError::Kpi(other),
            })
    };
    let (active_kpis, candidate_kpis) = (kpis(live)?, kpis(scratch.as_ref())?);
    drop(run);
    drop(pipeline);
    drop(scratch);
    drop(scratch_dir);
    Ok(ReplayReport {
        tenant: tenant.id,
        plugin: request.plugin.clone(),
        from: request.from,
        until: request.until,
        ended_at,
        active: ReplayedVersion {
            number: (active.active_version > 0).then_some(active.active_version),
            sha256: active.version.clone(),
        },
        candidate: resolved.version.clone(),
        events_replayed,
        timers_fired,
        tickets_compared: compared.tickets,
        summary: DiffSummary::of(&compared.diffs),
        diffs: compared.diffs,
        other_plugins: compared.others,
        kpi_deltas: KpiDeltas {
            changes: kpi::changes(&active_kpis, &candidate_kpis),
            active: active_kpis,
            candidate: candidate_kpis,
        },
    })
}

/// The candidate as the scratch store installs it.
struct Resolved {
    /// The named plugin's settings with the candidate's component and configuration.
    plugin: InstalledPlugin,
    version: ReplayedVersion,
    /// Bytes to put in the scratch store (a component given as a file).
    bytes: Option<(String, Vec<u8>)>,
    /// The configuration was chosen for this replay (given, or a version's): it is
    /// checked by the candidate before anything runs.
    check_config: bool,
}

fn resolve(
    live: &dyn Store,
    tenant: &str,
    active: &InstalledPlugin,
    request: &ReplayRequest,
) -> Result<Resolved, ReplayError> {
    let mut plugin = active.clone();
    plugin.shadow = None;
    // The candidate runs even if the plugin is disabled or suspended live, and is
    // never suspended in the replay: its diffs show what it would have done on every
    // event, each failure as one.
    plugin.enabled = true;
    plugin.suspended = None;
    plugin.suspend_after = Some(0);
    let mut bytes = None;
    let mut check_config = request.config.is_some();
    let number = match &request.candidate {
        Candidate::Active => (active.active_version > 0).then_some(active.active_version),
        Candidate::Version(number) => {
            let version = live
                .plugin_version(tenant, &active.name, *number)?
                .ok_or_else(|| ReplayError::UnknownVersion {
                    plugin: active.name.clone(),
                    version: *number,
                })?;
            plugin.source = version.source;
            plugin.version = version.sha256;
            plugin.config = version.config;
            check_config = true;
            Some(*number)
        }
        Candidate::Uploaded { sha256 } => {
            let stored = live
                .component(sha256)?
                .ok_or_else(|| ReplayError::UnknownComponent(sha256.clone()))?;
            bytes = Some((sha256.clone(), stored));
            plugin.source = PluginSource::Uploaded {
                sha256: sha256.clone(),
            };
            plugin.version = sha256.clone();
            check_config = true;
            None
        }
        Candidate::Component { bytes: given } => {
            let sha256 = sha256_hex(given);
            plugin.source = PluginSource::Uploaded {
                sha256: sha256.clone(),
            };
            plugin.version = sha256.clone();
            bytes = Some((sha256, given.clone()));
            check_config = true;
            None
        }
    };
    if let PluginSource::Uploaded { sha256 } = &plugin.source
        && bytes.is_none()
    {
        let stored = live
            .component(sha256)?
            .ok_or_else(|| ReplayError::UnknownComponent(sha256.clone()))?;
        bytes = Some((sha256.clone(), stored));
    }
    let mut number = number;
    if let Some(config) = &request.config {
        match serde_json::from_str::<serde_json::Value>(config) {
            Ok(serde_json::Value::Object(_)) => {}
            Ok(_) => return Err(ReplayError::ConfigNotObject(truncate(config))),
            Err(e) => return Err(ReplayError::ConfigNotObject(e.to_string())),
        }
        if !same_json(config, &plugin.config) {
            // Another configuration: another version than the one named, if any.
            number = None;
        }
        plugin.config = config.clone();
    }
    // A component and configuration may be one of the versions all the same.
    let number = number.or_else(|| {
        live.plugin_versions(tenant, &active.name)
            .ok()
            .and_then(|versions| {
                versions
                    .iter()
                    .rev()
                    .find(|v| v.sha256 == plugin.version && same_json(&v.config, &plugin.config))
                    .map(|v| v.number)
            })
    });
    // The scratch run's audit records name the candidate's version, as live ones do.
    plugin.active_version = number.unwrap_or(0);
    Ok(Resolved {
        version: ReplayedVersion {
            number,
            sha256: plugin.version.clone(),
        },
        plugin,
        bytes,
        check_config,
    })
}

/// Whether two JSON texts hold the same value (whatever their spacing and key order).
fn same_json(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<serde_json::Value>(a),
        serde_json::from_str::<serde_json::Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn truncate(text: &str) -> String {
    crate::model::truncate_text(text.to_string(), 200)
}

/// How many events of the range the live store keeps. O(e log n), read only.
fn count_events(live: &dyn Store, request: &ReplayRequest) -> Result<u64, StoreError> {
    let (mut from, mut after_seq, mut count) = (request.from, 0, 0);
    loop {
        let page = live.recorded_events(&request.tenant, from, request.until, after_seq, PAGE)?;
        count += page.len() as u64;
        match page.last() {
            Some(last) if page.len() == PAGE => {
                from = last.received_at;
                after_seq = last.seq;
            }
            _ => return Ok(count),
        }
    }
}

/// A replay under way: the scratch store with its pipeline and timekeeper.
struct Run<'a> {
    live: &'a dyn Store,
    scratch: Arc<dyn Store>,
    pipeline: Pipeline,
    timekeeper: Timekeeper,
    clock: Arc<SimulatedClock>,
}

impl Run<'_> {
    /// The candidate loads, is an automation plugin and accepts its configuration.
    fn check_candidate(&self, resolved: &Resolved, now: Timestamp) -> Result<(), ReplayError> {
        let component = self
            .pipeline
            .plugins()
            .get(&resolved.plugin)
            .map_err(|e| match e {
                PluginCacheError::MissingComponent(sha256) => ReplayError::UnknownComponent(sha256),
                PluginCacheError::Store(e) => ReplayError::Store(e),
                e => ReplayError::InvalidCandidate(e.to_string()),
            })?;
        if component.world() != World::Automation {
            return Err(ReplayError::NotAutomation(component.world()));
        }
        if resolved.check_config {
            match self
                .pipeline
                .plugins()
                .check_config(&component, &resolved.plugin.config, now)
            {
                Ok(Some(problems)) if !problems.is_empty() => {
                    return Err(ReplayError::InvalidConfig(problems));
                }
                Ok(_) => {}
                Err(e) => return Err(ReplayError::ConfigCheckFailed(e.to_string())),
            }
        }
        Ok(())
    }

    /// Feeds the range's recorded events, each at its time; returns how many, how
    /// many timers and ticks fired, and where the clock stopped.
    fn feed(
        &self,
        request: &ReplayRequest,
        total: Option<u64>,
        progress: &mut dyn FnMut(ReplayProgress),
    ) -> Result<(u64, u64, Timestamp), ReplayError> {
        let (mut from, mut after_seq) = (request.from, 0);
        let (mut done, mut fired) = (0u64, 0u64);
        loop {
            let page =
                self.live
                    .recorded_events(&request.tenant, from, request.until, after_seq, PAGE)?;
            let full = page.len() == PAGE;
            for recorded in page {
                from = recorded.received_at;
                after_seq = recorded.seq;
                fired += self
                    .timekeeper
                    .advance_to(&self.clock, recorded.received_at)? as u64;
                match self.scratch.enqueue_event(
                    &request.tenant,
                    &recorded.event,
                    None,
                    recorded.received_at,
                )? {
                    Enqueued::New(stored) => {
                        self.pipeline.submit(*stored, false);
                        self.pipeline.wait_idle();
                    }
                    // Two recorded events of one id cannot be: the live store refused
                    // the second. Nothing to run twice.
                    Enqueued::Duplicate { .. } => {}
                }
                done += 1;
                progress(ReplayProgress {
                    done,
                    total,
                    at: recorded.received_at,
                });
            }
            if !full {
                break;
            }
        }
        // Never past the present, nor back from where the last event left the clock.
        let end = request.until.min(request.now).max(self.clock.now());
        fired += self.timekeeper.advance_to(&self.clock, end)? as u64;
        Ok((done, fired, end))
    }
}

/// One (event, plugin)'s calls: the live audit trail's, then the replay's, in order.
type Calls<'a> = (Vec<&'a AuditRecord>, Vec<&'a AuditRecord>);

/// The diffs of a replay, and how many tickets they came from.
struct Compared {
    diffs: Vec<EventDiff>,
    others: Vec<EventDiff>,
    tickets: u64,
}

/// Sets the scratch run's audit trails beside the live ones, ticket by ticket (and
/// the scheduled ticks, which concern none).
fn compare(
    live: &dyn Store,
    scratch: &dyn Store,
    tenant: &str,
    plugin: &str,
    request: &ReplayRequest,
    ended_at: Timestamp,
) -> Result<Compared, ReplayError> {
    let mut tickets: Vec<String> = scratch
        .tickets(tenant, &TicketFilter::default())?
        .into_iter()
        .map(|t| t.id)
        .collect();
    tickets.push(String::new());
    let mut diffs = Vec::new();
    let mut others = Vec::new();
    let mut compared = 0;
    for ticket in &tickets {
        let replayed = scratch.audit(tenant, ticket)?;
        if replayed.is_empty() && ticket.is_empty() {
            continue;
        }
        compared += u64::from(!ticket.is_empty());
        let replayed_ids: HashSet<&str> = replayed.iter().map(|r| r.event_id.as_str()).collect();
        let recorded: Vec<AuditRecord> = live
            .audit(tenant, ticket)?
            .into_iter()
            .filter(|r| {
                replayed_ids.contains(r.event_id.as_str())
                    || (r.at >= request.from && r.at <= ended_at)
            })
            .collect();
        // Calls by (event, plugin), in the order each trail holds them.
        let mut pairs: BTreeMap<(String, String), Calls<'_>> = BTreeMap::new();
        // A shadow run's candidate is not what happened: not compared.
        let compared_call =
            |r: &&AuditRecord| r.plugin != HOST && shadowed_plugin(&r.plugin).is_none();
        for record in recorded.iter().filter(compared_call) {
            pairs
                .entry((record.event_id.clone(), record.plugin.clone()))
                .or_default()
                .0
                .push(record);
        }
        for record in replayed.iter().filter(compared_call) {
            pairs
                .entry((record.event_id.clone(), record.plugin.clone()))
                .or_default()
                .1
                .push(record);
        }
        for ((_, name), (before, after)) in pairs {
            for i in 0..before.len().max(after.len()) {
                let (was, now) = (before.get(i).copied(), after.get(i).copied());
                let Some(any) = now.or(was) else { continue };
                let (was, now) = (was.map(decided), now.map(decided));
                let diff = EventDiff {
                    event_id: any.event_id.clone(),
                    event_kind: any.event_kind.clone(),
                    ticket_id: any.ticket_id.clone(),
                    at: any.at,
                    plugin: name.clone(),
                    verdict: verdict(was.as_ref(), now.as_ref()),
                    active: was,
                    candidate: now,
                };
                let order = (any.at, after.get(i).map_or(u64::MAX, |r| r.event_seq));
                if name == plugin {
                    diffs.push((order, diff));
                } else if diff.verdict != Verdict::Agree {
                    others.push((order, diff));
                }
            }
        }
    }
    let sorted = |mut list: Vec<((Timestamp, u64), EventDiff)>| {
        list.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.event_id.cmp(&y.event_id)));
        list.into_iter().map(|(_, d)| d).collect::<Vec<_>>()
    };
    Ok(Compared {
        diffs: sorted(diffs),
        others: sorted(others),
        tickets: compared,
    })
}

/// What an audit record says a version decided.
fn decided(record: &AuditRecord) -> Decided {
    Decided {
        version: (record.version_number > 0).then_some(record.version_number),
        sha256: record.plugin_version.clone(),
        actions: record.actions.clone(),
        error: record.error.clone(),
    }
}

/// A directory of its own for the scratch store, removed when dropped.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn create(parent: &Path) -> Result<ScratchDir, ReplayError> {
        let mut bytes = [0u8; 8];
        getrandom::fill(&mut bytes).map_err(|e| ReplayError::Scratch {
            dir: parent.to_path_buf(),
            reason: format!("no random name: {e}"),
        })?;
        let path = parent.join(format!(
            "guichet-replay-{}-{:016x}",
            std::process::id(),
            u64::from_be_bytes(bytes)
        ));
        std::fs::create_dir_all(&path).map_err(|e| ReplayError::Scratch {
            dir: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            tracing::warn!(dir = %self.path.display(), error = %e, "the replay's scratch store was not removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_range_is_not_empty_and_at_most_31_days() {
        assert!(check_range(at("2026-11-01T00:00:00Z"), at("2026-12-02T00:00:00Z")).is_ok());
        assert!(matches!(
            check_range(at("2026-11-01T00:00:00Z"), at("2026-11-01T00:00:00Z")),
            Err(ReplayError::EmptyRange { .. })
        ));
        let long = check_range(at("2026-11-01T00:00:00Z"), at("2026-12-02T00:00:01Z"));
        assert!(matches!(
            long,
            Err(ReplayError::RangeTooLong { hours: 744 })
        ));
        assert!(long.unwrap_err().to_string().contains("at most 31 days"));
    }

    #[test]
    fn a_scratch_directory_is_removed_when_dropped() {
        let dir = ScratchDir::create(&std::env::temp_dir()).unwrap();
        let path = dir.path.clone();
        std::fs::write(path.join("x"), b"1").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
