//! Helpers shared by the end-to-end tests: the runtime, the built guests, fixtures.

#![allow(dead_code)]

pub mod desk;
pub mod fixtures;
pub mod postgres;
pub mod recorder;
pub mod service;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use guichet::harness::{self, MemoryStorage, MemoryTickets};
use guichet::model::Event;
use guichet::runtime::{PluginComponent, PluginEnv, Runtime, RuntimeConfig};

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One runtime per test binary, shared by every test in it, as in the service.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::new(RuntimeConfig::default()).expect("runtime"))
}

/// A guest built by host/build.rs (`triage`, `hostile`).
pub fn guest_path(name: &str) -> PathBuf {
    Path::new(env!("GUICHET_GUEST_DIR")).join(format!("{name}.wasm"))
}

/// Loads a built guest into the shared runtime.
pub fn load_guest(name: &str) -> PluginComponent {
    let bytes = std::fs::read(guest_path(name)).expect("guest built by host/build.rs");
    runtime().load(&bytes).expect("guest loads")
}

/// An environment with empty in-memory tickets and storage.
pub fn env(config: &str) -> PluginEnv {
    PluginEnv {
        tickets: Arc::new(MemoryTickets::default()),
        storage: Arc::new(MemoryStorage::default()),
        config: config.to_string(),
    }
}

/// The events of `examples/triage/events.jsonl`.
pub fn triage_events() -> Vec<Event> {
    harness::read_events(&root().join("examples/triage/events.jsonl")).expect("fixture events")
}

/// The configuration of `examples/triage/config.json`.
pub fn triage_config() -> String {
    std::fs::read_to_string(root().join("examples/triage/config.json")).expect("fixture config")
}

/// A language whose plugins are built by a toolchain from outside Cargo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Python,
    JavaScript,
}

/// Why a plugin in another language could not be built here.
const INSTALL_HINT: &str = "run scripts/install-guest-toolchains (it installs the pinned \
     componentize-py and componentize-js under target/toolchains)";

/// Where the pinned toolchain of `lang` is installed by
/// `scripts/install-guest-toolchains`.
pub fn toolchain_path(lang: Lang) -> PathBuf {
    let toolchains = root().join("target/toolchains");
    match lang {
        Lang::Python => toolchains.join("python/bin/componentize-py"),
        Lang::JavaScript => toolchains.join("js/componentize.mjs"),
    }
}

/// Whether the toolchain of `lang` is installed. When it is not: under CI (`CI` set)
/// this panics, failing the test; on a developer's machine it says so on stderr,
/// plainly, and the caller returns without asserting anything else.
pub fn toolchain_present(lang: Lang) -> bool {
    let tool = toolchain_path(lang);
    if tool.exists() {
        return true;
    }
    let message = format!(
        "{lang:?} toolchain missing ({}): {INSTALL_HINT}",
        tool.display()
    );
    if in_ci() {
        panic!("{message}");
    }
    // Straight to the process's stderr: the test harness captures `eprintln!` of
    // passing tests, and this must be seen.
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "NOT TESTED: {message}");
    false
}

/// Whether this is a CI run (`CI` set to anything but empty, `0` or `false`), where a
/// missing toolchain is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// Builds the plugin whose entry file is `source` (an `app.py` module for Python, an
/// ES module for JavaScript) into `target/guests/examples/NAME.wasm`, for `world`
/// (e.g. `automation`), unless that file is newer than every file beside `source`.
/// `None` when the toolchain is missing (see [`toolchain_present`]).
pub fn build_plugin(lang: Lang, source: &Path, world: &str, name: &str) -> Option<PathBuf> {
    static BUILDING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = BUILDING.lock().unwrap_or_else(|p| p.into_inner());

    if !toolchain_present(lang) {
        return None;
    }
    let tool = toolchain_path(lang);

    let out_dir = root().join("target/guests/examples");
    std::fs::create_dir_all(&out_dir).unwrap();
    let output = out_dir.join(format!("{name}.wasm"));
    let dir = source.parent().unwrap();
    if is_newer_than_sources(&output, dir) {
        return Some(output);
    }
    let world = format!("guichet:plugin/{world}@0.1.0");
    // The examples target the first contract, still served unchanged.
    let wit = root().join("wit/v0.1.0");
    let mut command = match lang {
        Lang::Python => {
            let module = source.file_stem().unwrap().to_str().unwrap();
            let mut c = std::process::Command::new(&tool);
            c.arg("-d")
                .arg(&wit)
                .args(["-w", &world, "componentize", module, "-o"])
                .arg(&output)
                .env("PYTHONDONTWRITEBYTECODE", "1");
            c
        }
        Lang::JavaScript => {
            let mut c = std::process::Command::new("node");
            c.arg(&tool).arg(source).arg(&wit).arg(&world).arg(&output);
            c
        }
    };
    let result = command.current_dir(dir).output().unwrap_or_else(|e| {
        let program = match lang {
            Lang::Python => tool.display().to_string(),
            Lang::JavaScript => "node (is Node.js on the PATH?)".to_string(),
        };
        panic!("cannot start {program}: {e}")
    });
    assert!(
        result.status.success(),
        "building {} failed:\n{}\n{}",
        source.display(),
        String::from_utf8_lossy(&result.stdout),
        String::from_utf8_lossy(&result.stderr)
    );
    Some(output)
}

/// Builds the example plugin of `examples/NAME/`, whose entry file is `entry`, for
/// `world`, with [`build_plugin`]: into `target/guests/examples/NAME.wasm`.
pub fn build_example(lang: Lang, name: &str, entry: &str, world: &str) -> Option<PathBuf> {
    build_plugin(
        lang,
        &root().join("examples").join(name).join(entry),
        world,
        name,
    )
}

/// Whether `output` is newer than every file under the plugin's folder, `wit/` and
/// `toolchains/` (a new toolchain pin must rebuild it).
fn is_newer_than_sources(output: &Path, dir: &Path) -> bool {
    let Ok(built) = std::fs::metadata(output).and_then(|m| m.modified()) else {
        return false;
    };
    [
        dir.to_path_buf(),
        root().join("wit"),
        root().join("toolchains"),
    ]
    .iter()
    .all(|d| newest_under(d) <= built)
}

fn newest_under(dir: &Path) -> std::time::SystemTime {
    let mut newest = std::time::SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let modified = if path.is_dir() {
            newest_under(&path)
        } else {
            entry.metadata().unwrap().modified().unwrap()
        };
        newest = newest.max(modified);
    }
    newest
}

/// Every line of a JSON-lines text, parsed, with the `fuel_used` field removed (it
/// changes with the toolchain's version; the actions must not).
pub fn json_lines_without_fuel(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut value: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            if let Some(object) = value.as_object_mut() {
                object.remove("fuel_used");
            }
            value
        })
        .collect()
}

/// Runs the real `guichet` binary from the repository's root. Compiled components
/// are cached under `target/`, so that the large Python and JavaScript components
/// are compiled once per test run, not once per command.
pub fn guichet(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_guichet"))
        .args(args)
        .current_dir(root())
        .env("GUICHET_CACHE_DIR", root().join("target/compile-cache"))
        .output()
        .expect("run guichet")
}

/// A command's output as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
