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
use guichet::outbox::OutboxConfig;
use guichet::pipeline::PipelineConfig;
use guichet::runtime::{CallLimits, ComponentInfo, LogLine, Runtime, RuntimeConfig, World};
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
        /// Where the store and the compiled plugins live; created if absent.
        #[arg(long, default_value = "guichet-data")]
        data_dir: PathBuf,
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
    },
    /// Work with plugin components.
    Plugin {
        #[command(subcommand)]
        command: PluginCommand,
    },
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
        Command::Plugin { .. } => "warn",
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
            listen,
            operator_token,
            workers,
        } => serve(ServeConfig {
            data_dir,
            listen,
            operator_token,
            pipeline: PipelineConfig {
                workers,
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
    if !info.other_exports.is_empty() {
        say!("other exports (never called by the host; a toolchain's own):");
        for export in &info.other_exports {
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
    let config = match config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the configuration {}", path.display()))?;
            serde_json::from_str::<serde_json::Value>(&text).with_context(|| {
                format!("the configuration {} is not valid JSON", path.display())
            })?;
            text
        }
        None => "{}".to_string(),
    };
    let runtime = Runtime::new(runtime_config())?;
    let component = runtime
        .load(&bytes)
        .with_context(|| format!("{origin} is not a valid guichet plugin"))?;
    let world = component.world();
    let mut limits: CallLimits = runtime.default_limits().clone();
    if let Some(fuel) = fuel {
        limits.fuel = fuel;
    }
    if let Some(ms) = deadline_ms {
        limits.deadline = Duration::from_millis(ms);
    }
    // What the service does when the configuration is set: a plugin of contract
    // 0.2.0 is asked what is wrong with it, and it is not run with a refused one.
    // The check's clock reads the first event's time, so that a run is reproducible.
    let automation_events = match world {
        World::Automation => harness::read_events(events)?,
        _ => Vec::new(),
    };
    let now = automation_events
        .first()
        .map_or(chrono::DateTime::UNIX_EPOCH, |e| e.occurred_at);
    if let Some(report) = runtime.check_config(&component, &config, now, &limits) {
        let problems = report
            .result
            .with_context(|| format!("{origin} could not check its configuration"))?;
        if !problems.is_empty() {
            for problem in &problems {
                match problem.path.as_str() {
                    "" => eprintln!("configuration: {}", problem.message),
                    path => eprintln!("configuration {path}: {}", problem.message),
                }
            }
            eprintln!(
                "the plugin refuses this configuration ({} problem(s)); the service would \
                 refuse it too",
                problems.len()
            );
            return Ok(ExitCode::FAILURE);
        }
    }
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
