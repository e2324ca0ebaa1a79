//! The `guichet` command line: argument parsing and printing around the library.
//!
//! What a command prints on stdout is its result (JSON lines for `plugin run`, so
//! that it can be piped); diagnostics and plugin logs go to stderr.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use guichet::harness::{self, Harness};
use guichet::model::{ConfigProblem, Event};
use guichet::outbox::OutboxConfig;
use guichet::pipeline::PipelineConfig;
use guichet::runtime::{
    CallLimits, ComponentInfo, LogLine, PluginComponent, Runtime, RuntimeConfig, World,
};
use guichet::serve::{ServeConfig, Service, ServiceClock};
use guichet::timekeeper::TimekeeperConfig;
use guichet::{reference_plugins, templates};

/// `println!` for a command's result: when stdout is closed early (`guichet plugin
/// run … | head`), the command ends quietly, as command-line tools do, instead of
/// panicking on the broken pipe.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            panic!("cannot write to stdout: {e}");
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "guichet",
    version,
    about = "Automation runtime for customer-care tickets"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service: the HTTP API, the event pipeline and the store.
    Serve {
        /// Where the store and the compiled plugins live; created if absent. With
        /// `--store`, the compiled plugins only (one directory per worker).
        #[arg(long, default_value = "guichet-data")]
        data_dir: PathBuf,
        /// The store: a PostgreSQL URL (`postgres://user@host:5432/db`) that several
        /// workers share; sled in the data directory when absent. The password, if
        /// any, is best given in the environment, as GUICHET_STORE.
        #[arg(long, env = "GUICHET_STORE", hide_env_values = true)]
        store: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The operator token (creates tenants). Without it, the one stored earlier is
        /// kept, or one is generated on the first start and printed once.
        #[arg(long, env = "GUICHET_OPERATOR_TOKEN", hide_env_values = true)]
        operator_token: Option<String>,
        /// Pipeline worker threads.
        #[arg(long, default_value_t = 4)]
        workers: usize,
        /// The most fuel per call a tenant's admin may give one plugin.
        #[arg(long, default_value_t = guichet::runtime::DEFAULT_FUEL)]
        max_plugin_fuel: u64,
        /// The longest deadline per call, in ms, a tenant's admin may give one plugin.
        #[arg(long, default_value_t = 1000)]
        max_plugin_deadline_ms: u64,
        /// The most memory per instance, in bytes, a tenant's admin may give one
        /// plugin.
        #[arg(long, default_value_t = 256 << 20)]
        max_plugin_memory: u64,
        /// After how many failed calls in a row the circuit breaker suspends a plugin
        /// that sets no `suspend_after` of its own; 0: never.
        #[arg(long, default_value_t = 5)]
        suspend_after: u32,
        /// How many of one tenant's events may wait or be processed at once before its
        /// new events are answered `429` with `Retry-After`.
        #[arg(long, default_value_t = 10_000)]
        max_backlog_per_tenant: usize,
    },
    /// Work with plugin components.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
    /// The author's loop: run an automation plugin over a file of events, then again
    /// whenever its component, its configuration or the events file changes, and
    /// print each build's decisions and their diff against the previous build.
    Dev(DevArgs),
    /// Run a candidate version of a tenant's plugin over the events the tenant
    /// received in a time range, at their recorded times (timers fire as they would
    /// have), and compare its decisions with the recorded ones. The tenant's data is
    /// only read. Exit status: 0 when every decision agrees, 1 when some differ, 2
    /// when the replay could not run.
    Replay(ReplayArgs),
}

/// `guichet dev`'s arguments.
#[derive(clap::Args)]
struct DevArgs {
    /// The plugin's component file (`.wasm`), watched for new builds.
    plugin: PathBuf,
    /// The events, one JSON object a line, as for `plugin run`; watched.
    #[arg(long)]
    events: PathBuf,
    /// The plugin's configuration (a JSON file), `{}` when absent; watched.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Fuel per call (about one unit per Wasm instruction).
    #[arg(long)]
    fuel: Option<u64>,
    /// Wall-clock deadline per call, in milliseconds.
    #[arg(long)]
    deadline_ms: Option<u64>,
    /// Apply events and actions to each build's copy of the tickets, and run the
    /// change events they cause, as `plugin run --apply` does.
    #[arg(long)]
    apply: bool,
    /// Run the first build and exit: 0 when every call succeeded, 1 when some
    /// failed, 2 when it could not run.
    #[arg(long)]
    once: bool,
    /// Stop after this many builds were run.
    #[arg(long, hide = true)]
    builds: Option<u64>,
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Check that a file is a valid guichet plugin; print its world, imports, exports
    /// and size.
    Check {
        /// A component file, or the name of a reference plugin (e.g. `triage`).
        plugin: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a plugin over a file of events (automation) or requests (macros, channel
    /// adapters) and print what it returned as JSON lines. Exit status: 0 when every
    /// call succeeded, 1 when some returned an error or the plugin refused its
    /// configuration (no call is made then), 2 when nothing could run (a bad file).
    Run {
        /// A component file, or the name of a reference plugin (e.g. `triage`).
        plugin: String,
        /// One JSON object a line: events for an automation plugin; for a macros
        /// plugin, requests such as `{"type": "list_macros"}` or `{"type": "render",
        /// "macro": "…", "ticket": {…}, "variables": {…}}`; for a channel adapter,
        /// `{"type": "served_channel"}`, `{"type": "inbound", "request": {…}}` or
        /// `{"type": "outbound", "reply": {…}}`.
        #[arg(long, visible_alias = "requests")]
        events: PathBuf,
        /// The plugin's configuration (a JSON file); `{}` when absent.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Fuel per call (about one unit per Wasm instruction).
        #[arg(long)]
        fuel: Option<u64>,
        /// Wall-clock deadline per call, in milliseconds.
        #[arg(long)]
        deadline_ms: Option<u64>,
        /// Apply each event and the automation plugin's actions to the run's copy of
        /// the tickets, as the service does (a merge moves messages to its target),
        /// so that later events see what earlier calls decided; the change events
        /// the actions cause are run too, printed after their event.
        #[arg(long)]
        apply: bool,
    },
    /// Upload a component to a tenant of a running service, set its settings and
    /// enable it.
    Push {
        /// The component file (`.wasm`).
        file: PathBuf,
        /// The plugin's name in the tenant; by default the file's stem with `_`
        /// written `-` (`my_rules.wasm` is `my-rules`), as plugin names allow.
        #[arg(long)]
        name: Option<String>,
        /// The service's base URL.
        #[arg(long, env = "GUICHET_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The tenant to install it in.
        #[arg(long, env = "GUICHET_TENANT")]
        tenant: String,
        /// An admin token of the tenant.
        #[arg(long, env = "GUICHET_TOKEN", hide_env_values = true)]
        token: String,
        /// The plugin's configuration (a JSON file).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Its place in the tenant's order (plugins run in ascending order).
        #[arg(long)]
        order: Option<i64>,
        /// Event kinds it runs on (repeat or separate with commas); all when absent.
        #[arg(long, value_delimiter = ',')]
        subscribe: Vec<String>,
        /// Upload and configure, but leave it disabled.
        #[arg(long)]
        disabled: bool,
    },
    /// Write a new plugin project that builds as it is, with a sample input file.
    New {
        /// The plugin's name: lower-case letters, digits and dashes.
        name: String,
        /// The language to write it in.
        #[arg(long, value_enum)]
        lang: LangArg,
        /// The kind of plugin (its WIT world).
        #[arg(long, value_enum)]
        kind: KindArg,
        /// Where to write it; `./NAME` by default. Must be absent or empty.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LangArg {
    Rust,
    Python,
    Js,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum KindArg {
    Automation,
    Macros,
    ChannelAdapter,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // The service logs what it does; the plugin tools print results and only warn.
    let default_filter = match cli.command {
        Command::Serve { .. } => "info",
        Command::Plugin { .. } | Command::Dev(_) | Command::Replay(_) => "warn",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .init();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // 2, not 1: `plugin run` exits 1 when the plugin ran and some calls
            // failed, which a script must be able to tell from this.
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Serve {
            data_dir,
            store,
            listen,
            operator_token,
            workers,
            max_plugin_fuel,
            max_plugin_deadline_ms,
            max_plugin_memory,
            suspend_after,
            max_backlog_per_tenant,
        } => serve(ServeConfig {
            data_dir,
            store,
            listen,
            operator_token,
            pipeline: PipelineConfig {
                workers,
                max_limits: CallLimits {
                    fuel: max_plugin_fuel,
                    deadline: std::time::Duration::from_millis(max_plugin_deadline_ms),
                    memory_bytes: usize::try_from(max_plugin_memory).unwrap_or(usize::MAX),
                    ..CallLimits::default()
                },
                suspend_after,
                max_backlog_per_tenant,
                ..PipelineConfig::default()
            },
            outbox: OutboxConfig::default(),
            clock: ServiceClock::System,
            timekeeper: TimekeeperConfig::default(),
        }),
        Command::Plugin { command } => match command {
            PluginCommand::Check { plugin, json } => check(&plugin, json),
            PluginCommand::Run {
                plugin,
                events,
                config,
                fuel,
                deadline_ms,
                apply,
            } => run_plugin(
                &plugin,
                &events,
                config.as_deref(),
                fuel,
                deadline_ms,
                apply,
            ),
            PluginCommand::New {
                name,
                lang,
                kind,
                dir,
            } => new_plugin(&name, lang, kind, dir),
            PluginCommand::Push {
                file,
                name,
                url,
                tenant,
                token,
                config,
                order,
                subscribe,
                disabled,
            } => push_plugin(Push {
                file,
                name,
                url,
                tenant,
                token,
                config,
                order,
                subscribe,
                enabled: !disabled,
            }),
        },
        Command::Dev(args) => dev(&args),
        Command::Replay(args) => replay(&args),
    }
}

/// Reads a plugin given as a file path, or as the name of a reference plugin when no
/// such file exists.
fn read_plugin(plugin: &str) -> Result<(String, Vec<u8>)> {
    let path = Path::new(plugin);
    if path.exists() {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {plugin}"))?;
        return Ok((plugin.to_string(), bytes));
    }
    if let Some(reference) = reference_plugins::find(plugin) {
        return Ok((
            format!("reference plugin `{}`", reference.name),
            reference.component.to_vec(),
        ));
    }
    let names: Vec<&str> = reference_plugins::ALL.iter().map(|p| p.name).collect();
    bail!(
        "{plugin}: no such file, and no reference plugin has that name (reference plugins: {})",
        names.join(", ")
    )
}

fn check(plugin: &str, json: bool) -> Result<ExitCode> {
    let (origin, bytes) = read_plugin(plugin)?;
    let runtime = Runtime::new(runtime_config())?;
    let component = runtime
        .load(&bytes)
        .with_context(|| format!("{origin} is not a valid guichet plugin"))?;
    let info = component.info();
    if json {
        say!("{}", serde_json::to_string_pretty(info)?);
    } else {
        print_info(&origin, info);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_info(origin: &str, info: &ComponentInfo) {
    say!("{origin}: a valid guichet plugin");
    say!("world:   {} {}", info.contract, info.world);
    say!("size:    {} bytes", info.size);
    say!("sha256:  {}", info.sha256);
    say!("exports:");
    for export in &info.exports {
        say!("  {export}");
    }
    let (initialiser, others): (Vec<&String>, Vec<&String>) = info
        .other_exports
        .iter()
        .partition(|e| *e == guichet::runtime::INIT_EXPORT);
    if !initialiser.is_empty() {
        say!(
            "pre-initialisable: yes (exports {}: the service runs it once per configuration and starts each instance from its snapshot)",
            guichet::runtime::INIT_EXPORT
        );
    }
    if !others.is_empty() {
        say!("other exports (never called by the host; a toolchain's own):");
        for export in others {
            say!("  {export}");
        }
    }
    say!("imports (and what the sandbox gives each):");
    let width = info.imports.iter().map(String::len).max().unwrap_or(0);
    for (import, provision) in info.provisions() {
        say!("  {import:width$}  {provision}");
    }
}

fn run_plugin(
    plugin: &str,
    events: &Path,
    config: Option<&Path>,
    fuel: Option<u64>,
    deadline_ms: Option<u64>,
    apply: bool,
) -> Result<ExitCode> {
    let (origin, bytes) = read_plugin(plugin)?;
    let config = read_config(config)?;
    let runtime = Runtime::new(runtime_config())?;
    let component = runtime
        .load(&bytes)
        .with_context(|| format!("{origin} is not a valid guichet plugin"))?;
    let world = component.world();
    let limits = call_limits(&runtime, fuel, deadline_ms);
    let automation_events = match world {
        World::Automation => harness::read_events(events)?,
        _ => Vec::new(),
    };
    let problems = config_problems(
        &runtime,
        &component,
        &origin,
        &config,
        &automation_events,
        &limits,
    )?;
    if !problems.is_empty() {
        print_config_problems(&problems);
        eprintln!(
            "the plugin refuses this configuration ({} problem(s)); the service would \
             refuse it too",
            problems.len()
        );
        return Ok(ExitCode::FAILURE);
    }
    // As the service does: a plugin that exports `wizer-initialize` runs from the
    // snapshot of its configuration (and from its plain component if there is none).
    let component = if Runtime::pre_initialisable(&component) {
        match runtime.pre_initialise(&component, &bytes, &config) {
            Ok(snapshot) => snapshot,
            Err(e) => {
                eprintln!(
                    "the plugin cannot be pre-initialised ({e}); the service runs it from \
                     its plain component, reading its configuration on every call"
                );
                component
            }
        }
    } else {
        component
    };
    let mut harness = Harness::new(&runtime, component, config).with_limits(limits);
    if apply {
        harness = harness.applying_actions();
    }

    let mut failures = 0;
    let mut calls = 0;
    match world {
        World::Automation => {
            for event in &automation_events {
                // With --apply, the change events the actions caused follow.
                for outcome in harness.run_with_follow_ups(event) {
                    calls += 1;
                    print_logs(&outcome.event, &outcome.logs);
                    failures += usize::from(outcome.error.is_some());
                    say!("{}", serde_json::to_string(&outcome)?);
                }
            }
        }
        World::Macros => {
            for (index, call) in harness::read_macro_calls(events)?.iter().enumerate() {
                calls += 1;
                let outcome = harness.run_macro_call(call, index + 1);
                print_logs(&outcome.request, &outcome.logs);
                failures += usize::from(outcome.error.is_some());
                say!("{}", serde_json::to_string(&outcome)?);
            }
        }
        World::ChannelAdapter => {
            for (index, call) in harness::read_adapter_calls(events)?.iter().enumerate() {
                calls += 1;
                let outcome = harness.run_adapter_call(call, index + 1);
                print_logs(&outcome.request, &outcome.logs);
                failures += usize::from(outcome.error.is_some());
                say!("{}", serde_json::to_string(&outcome)?);
            }
        }
    }
    let events_len = calls;
    if failures > 0 {
        eprintln!("{failures} of {events_len} calls failed (see the `error` field of their lines)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The configuration file's text, once it is known to be JSON; `{}` when absent.
fn read_config(config: Option<&Path>) -> Result<String> {
    let Some(path) = config else {
        return Ok("{}".to_string());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration {}", path.display()))?;
    serde_json::from_str::<serde_json::Value>(&text)
        .with_context(|| format!("the configuration {} is not valid JSON", path.display()))?;
    Ok(text)
}

/// The runtime's default per-call limits, with `fuel` and `deadline_ms` when given.
fn call_limits(runtime: &Runtime, fuel: Option<u64>, deadline_ms: Option<u64>) -> CallLimits {
    let mut limits: CallLimits = runtime.default_limits().clone();
    if let Some(fuel) = fuel {
        limits.fuel = fuel;
    }
    if let Some(ms) = deadline_ms {
        limits.deadline = Duration::from_millis(ms);
    }
    limits
}

/// What the service does when the configuration is set: a plugin of contract 0.2.0
/// or later is asked what is wrong with it, and it is not run with a refused one (a
/// 0.1.0 plugin has no check: no problems). The check's clock reads the first
/// event's time, so that a run is reproducible.
fn config_problems(
    runtime: &Runtime,
    component: &PluginComponent,
    origin: &str,
    config: &str,
    events: &[Event],
    limits: &CallLimits,
) -> Result<Vec<ConfigProblem>> {
    let now = events
        .first()
        .map_or(chrono::DateTime::UNIX_EPOCH, |e| e.occurred_at);
    match runtime.check_config(component, config, now, limits) {
        Some(report) => report
            .result
            .with_context(|| format!("{origin} could not check its configuration")),
        None => Ok(Vec::new()),
    }
}

/// A refused configuration's problems on stderr, one a line.
fn print_config_problems(problems: &[ConfigProblem]) {
    for problem in problems {
        match problem.path.as_str() {
            "" => eprintln!("configuration: {}", problem.message),
            path => eprintln!("configuration {path}: {}", problem.message),
        }
    }
}

/// `guichet dev`: a build is run when the loop starts, then each time the watched
/// files change and settle; each report goes to stdout, the plugin's log to stderr.
/// A build that cannot run (a component that does not load, a refused
/// configuration, a bad events file) is reported and the loop goes on, the last
/// build that ran staying the reference.
fn dev(args: &DevArgs) -> Result<ExitCode> {
    let runtime = Runtime::new(runtime_config())?;
    let limits = call_limits(&runtime, args.fuel, args.deadline_ms);
    let origin = args.plugin.display().to_string();
    let watched = [args.plugin.clone(), args.events.clone()];
    let mut watch = guichet::dev::Watch::new(watched.into_iter().chain(args.config.clone()));
    let mut session = guichet::dev::Session::default();
    loop {
        match dev_build(&runtime, args, &limits) {
            Ok((sha256, decisions)) => {
                let failed = decisions
                    .iter()
                    .any(|d| d.decided.as_ref().is_some_and(|d| d.error.is_some()));
                for line in session.record(&origin, &sha256, decisions) {
                    say!("{line}");
                }
                if args.once {
                    return Ok(if failed {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    });
                }
                if args.builds.is_some_and(|n| session.builds() >= n) {
                    return Ok(ExitCode::SUCCESS);
                }
            }
            Err(e) if args.once => return Err(e),
            Err(e) => {
                say!("== no build: {e:#}");
                if let Some(previous) = session.previous() {
                    say!("build {} stays the reference", previous.number);
                }
            }
        }
        say!("watching for changes (Ctrl-C ends)");
        watch.wait_for_change();
    }
}

/// One build of `guichet dev`, as `plugin run` runs a plugin: the component loaded,
/// its configuration checked, every event (and with `--apply` the change events its
/// actions cause) run in a fresh harness; the component's SHA-256 and the decisions.
fn dev_build(
    runtime: &Runtime,
    args: &DevArgs,
    limits: &CallLimits,
) -> Result<(String, Vec<guichet::dev::EventDecision>)> {
    let (origin, bytes) = read_plugin(&args.plugin.to_string_lossy())?;
    let config = read_config(args.config.as_deref())?;
    let component = runtime
        .load(&bytes)
        .with_context(|| format!("{origin} is not a valid guichet plugin"))?;
    if component.world() != World::Automation {
        bail!(
            "{origin} is a {} plugin: `guichet dev` runs automation plugins over events \
             (`guichet plugin run` runs the others)",
            component.world().name()
        );
    }
    let events = harness::read_events(&args.events)?;
    let problems = config_problems(runtime, &component, &origin, &config, &events, limits)?;
    if !problems.is_empty() {
        print_config_problems(&problems);
        bail!(
            "the plugin refuses this configuration ({} problem(s), on stderr); the service \
             would refuse it too",
            problems.len()
        );
    }
    let sha256 = component.info().sha256.clone();
    let mut harness = Harness::new(runtime, component, config).with_limits(limits.clone());
    if args.apply {
        harness = harness.applying_actions();
    }
    let mut decisions = Vec::new();
    for event in &events {
        for outcome in harness.run_with_follow_ups(event) {
            print_logs(&outcome.event, &outcome.logs);
            decisions.push(guichet::dev::EventDecision::from_outcome(&outcome, &sha256));
        }
    }
    Ok((sha256, decisions))
}

/// A call's log on stderr, each line prefixed with the event or request it belongs to.
fn print_logs(call: &str, logs: &[LogLine]) {
    for line in logs {
        eprintln!("[{call}] {}: {}", line.level, line.message);
    }
}

/// The runtime's settings for a command: the defaults, with compiled components kept
/// in `$GUICHET_CACHE_DIR`, else `$XDG_CACHE_HOME/guichet/compiled`, else
/// `~/.cache/guichet/compiled`, so that running a large plugin again does not compile
/// it again. `GUICHET_CACHE_DIR=off` compiles every time.
fn runtime_config() -> RuntimeConfig {
    let dir = match std::env::var_os("GUICHET_CACHE_DIR") {
        Some(dir) if dir == "off" => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|cache| cache.join("guichet").join("compiled")),
    };
    RuntimeConfig {
        compile_cache: dir,
        ..RuntimeConfig::default()
    }
}

fn new_plugin(name: &str, lang: LangArg, kind: KindArg, dir: Option<PathBuf>) -> Result<ExitCode> {
    let lang = match lang {
        LangArg::Rust => templates::Lang::Rust,
        LangArg::Python => templates::Lang::Python,
        LangArg::Js => templates::Lang::Js,
    };
    let world = match kind {
        KindArg::Automation => World::Automation,
        KindArg::Macros => World::Macros,
        KindArg::ChannelAdapter => World::ChannelAdapter,
    };
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let project = templates::create(name, lang, world, &dir)?;
    say!(
        "created a {lang} {} plugin in {}",
        world.name(),
        project.dir.display()
    );
    say!("needs: {}", project.needs);
    say!("next:");
    say!("  cd {}", project.dir.display());
    say!("  {}", project.build);
    say!("  {}", project.run);
    Ok(ExitCode::SUCCESS)
}

fn serve(config: ServeConfig) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let service = Service::start(config).await?;
        if let Some(token) = service.generated_operator_token() {
            // Shown once: only its hash is stored.
            eprintln!(
                "operator token (shown once, keep it; it creates tenants): {token}\n\
                 listening on http://{}",
                service.addr()
            );
        }
        shutdown_signal().await;
        tracing::info!("shutdown requested");
        service.shutdown().await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

struct Push {
    file: PathBuf,
    name: Option<String>,
    url: String,
    tenant: String,
    token: String,
    config: Option<PathBuf>,
    order: Option<i64>,
    subscribe: Vec<String>,
    enabled: bool,
}

fn push_plugin(push: Push) -> Result<ExitCode> {
    let bytes = std::fs::read(&push.file)
        .with_context(|| format!("cannot read {}", push.file.display()))?;
    let name = match push.name {
        Some(name) => name,
        None => push
            .file
            .file_stem()
            .and_then(|s| s.to_str())
            .map(|s| s.replace('_', "-"))
            .context("give the plugin a name with --name")?,
    };
    let mut settings = serde_json::Map::new();
    if let Some(path) = &push.config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the configuration {}", path.display()))?;
        let config: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("the configuration {} is not valid JSON", path.display()))?;
        settings.insert("config".into(), config);
    }
    if let Some(order) = push.order {
        settings.insert("order".into(), order.into());
    }
    if !push.subscribe.is_empty() {
        settings.insert("subscriptions".into(), push.subscribe.clone().into());
    }
    settings.insert("enabled".into(), push.enabled.into());

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let base = format!(
        "{}/v1/tenants/{}/plugins/{name}",
        push.url.trim_end_matches('/'),
        push.tenant
    );
    let auth = format!("Bearer {}", push.token);
    // The token first, with an admin-only read: the service refuses an upload from a
    // caller without access before reading its body, which leaves a client still
    // sending with a broken pipe instead of the reason.
    send(
        agent
            .get(format!(
                "{}/v1/tenants/{}/tokens",
                push.url.trim_end_matches('/'),
                push.tenant
            ))
            .header("Authorization", &auth)
            .call(),
        "access",
    )?;
    // Stored first without being run, then switched to together with its settings in
    // one request, which the service checks as a pair: a component and a configuration
    // in a new format change at once, and a refused pair changes nothing.
    let uploaded = send(
        agent
            .put(format!("{base}/component?activate=false"))
            .header("Authorization", &auth)
            .header("Content-Type", "application/wasm")
            .send(&bytes[..]),
        "upload",
    )?;
    let sha256 = uploaded["sha256"]
        .as_str()
        .context("upload: the service did not name the stored component")?;
    settings.insert("component".into(), sha256.into());
    let configured = send(
        agent
            .put(&base)
            .header("Authorization", &auth)
            .header("Content-Type", "application/json")
            .send(serde_json::Value::Object(settings).to_string()),
        "settings",
    )?;
    say!(
        "pushed {} to tenant {} as `{name}`: {} plugin, version {}, {}",
        push.file.display(),
        push.tenant,
        uploaded["world"].as_str().unwrap_or("?"),
        configured["version"].as_str().unwrap_or("?"),
        if configured["enabled"] == true {
            "enabled"
        } else {
            "disabled"
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The JSON of a successful answer, or an error carrying the service's problem detail.
fn send(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    step: &str,
) -> Result<serde_json::Value> {
    let mut response = response.with_context(|| format!("{step}: cannot reach the service"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("{step}: unreadable answer"))?;
    let body: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        let detail = body["detail"].as_str().unwrap_or(text.as_str());
        bail!("{step} refused ({status}): {detail}");
    }
    Ok(body)
}

/// `guichet replay`'s arguments.
#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("against").required(true).args(["data_dir", "url"])))]
struct ReplayArgs {
    /// Replay against this data directory (the one `guichet serve --data-dir` uses),
    /// read directly; the service must not be running on it.
    #[arg(long, conflicts_with = "url")]
    data_dir: Option<PathBuf>,
    /// Replay through this running service instead (its base URL, e.g.
    /// `http://127.0.0.1:8080`).
    #[arg(long, requires = "token")]
    url: Option<String>,
    /// An admin token of the tenant, with `--url`.
    #[arg(long, env = "GUICHET_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// The tenant whose events are replayed.
    #[arg(long, env = "GUICHET_TENANT")]
    tenant: String,
    /// The plugin the candidate stands in for (its name in the tenant).
    #[arg(long)]
    plugin: String,
    /// The candidate: one of the plugin's versions, by number. Without it or
    /// `--component`, the plugin's active version.
    #[arg(long, conflicts_with = "component")]
    version: Option<u64>,
    /// The candidate: a component file (`.wasm`), not uploaded; with `--url` it is
    /// stored on the service without being activated.
    #[arg(long)]
    component: Option<PathBuf>,
    /// The candidate's configuration (a JSON file); by default the version's, or the
    /// plugin's active one.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Events received at or after this time (RFC 3339, e.g. 2026-11-23T00:00:00Z).
    #[arg(long)]
    from: chrono::DateTime<chrono::Utc>,
    /// Events received before this time; timers due up to it fire. At most 31 days
    /// after `--from`.
    #[arg(long)]
    until: chrono::DateTime<chrono::Utc>,
    /// Print the whole report as JSON instead of the summary.
    #[arg(long)]
    json: bool,
}

/// Runs a replay and prints its report; exits 0 when every decision agrees, 1 when
/// some differ (or the candidate failed), 2 when it could not run (as `diff` does).
fn replay(args: &ReplayArgs) -> Result<ExitCode> {
    use guichet::replay::{self, Candidate, ReplayReport};

    let config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the configuration {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
                format!("the configuration {} is not valid JSON", path.display())
            })?;
            if !value.is_object() {
                bail!("the configuration {} is not a JSON object", path.display());
            }
            Some(value)
        }
        None => None,
    };
    let component = match &args.component {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?)
        }
        None => None,
    };
    replay::check_range(args.from, args.until)?;
    let report: ReplayReport = match (&args.data_dir, &args.url) {
        (Some(dir), _) => {
            let candidate = match (args.version, component) {
                (Some(number), _) => Candidate::Version(number),
                (None, Some(bytes)) => Candidate::Component { bytes },
                (None, None) => Candidate::Active,
            };
            replay_in_data_dir(args, dir, candidate, config)?
        }
        (None, Some(url)) => replay_through_service(args, url, component, config)?,
        (None, None) => bail!("give --data-dir DIR, or --url URL and --token TOKEN"),
    };
    if args.json {
        say!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_replay(&report);
    }
    let agreed = report.summary.differ == 0 && report.summary.candidate_failed == 0;
    Ok(if agreed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A replay run here on the data directory's store, with a progress bar on stderr.
fn replay_in_data_dir(
    args: &ReplayArgs,
    dir: &Path,
    candidate: guichet::replay::Candidate,
    config: Option<serde_json::Value>,
) -> Result<guichet::replay::ReplayReport> {
    use guichet::replay::{self, ReplayOptions, ReplayRequest};
    use guichet::store::{SledStore, Store};

    let store_dir = dir.join("store");
    if !store_dir.is_dir() {
        bail!(
            "{} holds no guichet store (no {}): give the --data-dir that `guichet serve` uses",
            dir.display(),
            store_dir.display()
        );
    }
    let store = SledStore::open(&store_dir).map_err(|e| {
        let text = e.to_string();
        if text.contains("lock") || text.contains("temporarily unavailable") {
            anyhow::anyhow!(
                "the store in {} is in use, most likely by a running `guichet serve`: stop \
                 it, or replay through the service with --url and --token ({text})",
                dir.display()
            )
        } else {
            anyhow::Error::new(e)
        }
    })?;
    let request = ReplayRequest {
        tenant: args.tenant.clone(),
        plugin: args.plugin.clone(),
        candidate,
        config: config.map(|c| c.to_string()),
        from: args.from,
        until: args.until,
        now: chrono::Utc::now(),
    };
    let options = ReplayOptions {
        compile_cache: Some(dir.join("compiled")),
        count_first: true,
        ..ReplayOptions::default()
    };
    let bar = indicatif::ProgressBar::with_draw_target(
        None,
        indicatif::ProgressDrawTarget::stderr_with_hz(4),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} events, at {msg} (eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(args.from.format("%Y-%m-%d %H:%M:%S").to_string());
    let report = replay::replay(&store as &dyn Store, &request, &options, &mut |p| {
        if let Some(total) = p.total {
            bar.set_length(total);
        }
        bar.set_position(p.done);
        bar.set_message(p.at.format("%Y-%m-%d %H:%M:%S").to_string());
    });
    bar.finish_and_clear();
    Ok(report?)
}

/// A replay run by the service at `url`: the component file, if any, is stored there
/// first without being activated.
fn replay_through_service(
    args: &ReplayArgs,
    url: &str,
    component: Option<Vec<u8>>,
    config: Option<serde_json::Value>,
) -> Result<guichet::replay::ReplayReport> {
    let token = args
        .token
        .as_deref()
        .context("give --token, an admin token of the tenant")?;
    let auth = format!("Bearer {token}");
    let base = format!("{}/v1/tenants/{}", url.trim_end_matches('/'), args.tenant);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut body = serde_json::json!({
        "plugin": args.plugin,
        "from": args.from,
        "until": args.until,
    });
    if let Some(number) = args.version {
        body["version"] = number.into();
    }
    if let Some(bytes) = component {
        // The token first, with an admin-only read (see `push_plugin`).
        send(
            agent
                .get(format!("{base}/tokens"))
                .header("Authorization", &auth)
                .call(),
            "access",
        )?;
        let uploaded = send(
            agent
                .put(format!(
                    "{base}/plugins/{}/component?activate=false",
                    args.plugin
                ))
                .header("Authorization", &auth)
                .header("Content-Type", "application/wasm")
                .send(&bytes[..]),
            "upload",
        )?;
        body["component"] = uploaded["sha256"].clone();
    }
    if let Some(config) = config {
        body["config"] = config;
    }
    let spinner = indicatif::ProgressBar::new_spinner();
    spinner.set_message("the service is replaying");
    spinner.enable_steady_tick(Duration::from_millis(200));
    let answered = agent
        .post(format!("{base}/replays"))
        .header("Authorization", &auth)
        .header("Content-Type", "application/json")
        .send(body.to_string());
    spinner.finish_and_clear();
    let mut response = answered.context("replay: cannot reach the service")?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_to_string()
        .context("replay: unreadable answer")?;
    if !status.is_success() {
        let body: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        bail!(
            "replay refused ({status}): {}",
            body["detail"].as_str().unwrap_or(text.as_str())
        );
    }
    serde_json::from_str(&text).context("replay: the service's report is not one")
}

/// The report as a person reads it: the counts, then each differing event.
fn print_replay(report: &guichet::replay::ReplayReport) {
    let version = |v: &guichet::replay::ReplayedVersion| match v.number {
        Some(n) => format!("version {n} ({})", short_sha(&v.sha256)),
        None => format!("component {}", short_sha(&v.sha256)),
    };
    say!(
        "replay of `{}` on tenant {}, {} to {}",
        report.plugin,
        report.tenant,
        report.from.to_rfc3339(),
        report.ended_at.to_rfc3339()
    );
    say!(
        "active {}, candidate {}",
        version(&report.active),
        version(&report.candidate)
    );
    say!(
        "{} events replayed, {} timers fired, {} tickets compared",
        report.events_replayed,
        report.timers_fired,
        report.tickets_compared
    );
    say!("");
    say!("{:<18} {:>8}", "verdict", "calls");
    for (name, count) in [
        ("agree", report.summary.agree),
        ("differ", report.summary.differ),
        ("candidate_failed", report.summary.candidate_failed),
        ("total", report.summary.events),
    ] {
        say!("{name:<18} {count:>8}");
    }
    let changes = &report.kpi_deltas.changes;
    if !changes.is_empty() {
        let figure = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"));
        let width = changes
            .iter()
            .map(|c| c.kpi.len())
            .max()
            .unwrap_or(0)
            .max(3);
        say!("");
        say!("KPIs that change ({}):", changes.len());
        say!(
            "{:<width$} {:>14} {:>14} {:>14}",
            "kpi",
            "active",
            "candidate",
            "delta"
        );
        for c in changes {
            say!(
                "{:<width$} {:>14} {:>14} {:>14}",
                c.kpi,
                figure(c.before),
                figure(c.after),
                figure(c.delta)
            );
        }
    }
    let differing: Vec<_> = report
        .diffs
        .iter()
        .filter(|d| d.verdict != guichet::diff::Verdict::Agree)
        .collect();
    print_diffs("differing events", &differing, false);
    let others: Vec<_> = report.other_plugins.iter().collect();
    print_diffs(
        "other plugins' decisions that differ from the recorded ones",
        &others,
        true,
    );
}

/// A table of `diffs`: event, ticket, kind and verdict, then the active and the
/// candidate's actions on two lines; with `plugins`, the plugin on a third.
fn print_diffs(title: &str, diffs: &[&guichet::diff::EventDiff], plugins: bool) {
    if diffs.is_empty() {
        return;
    }
    say!("");
    say!("{title} ({}):", diffs.len());
    let width = |f: fn(&guichet::diff::EventDiff) -> &str, header: &str| {
        diffs
            .iter()
            .map(|d| f(d).chars().count())
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let (event, ticket, kind) = (
        width(|d| &d.event_id, "event"),
        width(|d| &d.ticket_id, "ticket"),
        width(|d| &d.event_kind, "kind"),
    );
    say!(
        "{:<event$}  {:<ticket$}  {:<kind$}  {:<16}  actions",
        "event",
        "ticket",
        "kind",
        "verdict"
    );
    for diff in diffs {
        let verdict = serde_json::to_value(diff.verdict)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        say!(
            "{:<event$}  {:<ticket$}  {:<kind$}  {verdict:<16}  active:    {}",
            diff.event_id,
            diff.ticket_id,
            diff.event_kind,
            decided_text(diff.active.as_ref())
        );
        say!(
            "{:<event$}  {:<ticket$}  {:<kind$}  {:<16}  candidate: {}",
            "",
            "",
            "",
            "",
            decided_text(diff.candidate.as_ref())
        );
        if plugins {
            say!(
                "{:<event$}  {:<ticket$}  {:<kind$}  {:<16}  (plugin `{}`)",
                "",
                "",
                "",
                "",
                diff.plugin
            );
        }
    }
}

/// A decision in one line: each action as its type and fields (`add_tags
/// tags=["vip"]`), `;` between them; the error if the call failed; `(did not run)`.
fn decided_text(decided: Option<&guichet::diff::Decided>) -> String {
    let Some(decided) = decided else {
        return "(did not run)".to_string();
    };
    if let Some(error) = &decided.error {
        return format!("error: {error}");
    }
    if decided.actions.is_empty() {
        return "(no action)".to_string();
    }
    decided
        .actions
        .iter()
        .map(|action| match serde_json::to_value(action) {
            Ok(serde_json::Value::Object(fields)) => {
                let kind = fields
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("?")
                    .to_string();
                let rest: Vec<String> = fields
                    .iter()
                    .filter(|(k, v)| *k != "type" && !v.is_null())
                    .map(|(k, v)| match v {
                        serde_json::Value::String(s) => format!("{k}={s}"),
                        v => format!("{k}={v}"),
                    })
                    .collect();
                if rest.is_empty() {
                    kind
                } else {
                    format!("{kind} {}", rest.join(" "))
                }
            }
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The first 12 hex digits of a SHA-256, enough to tell versions apart.
fn short_sha(sha256: &str) -> &str {
    &sha256[..sha256.len().min(12)]
}
