//! Builds the guest components the host ships and tests with, so that a fresh clone
//! needs no manual step: the reference plugins in `plugins/` (embedded in the binary)
//! and the test guests in `tests/guests/`.
//!
//! Each guest workspace is built with a nested `cargo build --target wasm32-wasip2` in
//! its own target directory (`target/guests`), so that it never waits on the lock of
//! the build that runs this script. Modelled on wasmtime's
//! `crates/test-programs/artifacts/build.rs`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const GUEST_TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_relative() {
                root.join(dir)
            } else {
                dir
            }
        })
        .unwrap_or_else(|| root.join("target"))
        .join("guests");

    for watched in ["wit", "plugins", "tests/guests"] {
        rerun_if_changed_recursive(&root.join(watched));
    }

    ensure_guest_target_installed();
    for workspace in ["plugins", "tests/guests"] {
        build_guest_workspace(&root.join(workspace), &target_dir);
    }

    let out = target_dir.join(GUEST_TARGET).join("release");
    println!("cargo:rustc-env=GUICHET_GUEST_DIR={}", out.display());
}

/// `rust-toolchain.toml` lists the target, but rustup only installs listed targets
/// when it installs the toolchain itself; a machine that already had the toolchain
/// would otherwise fail here with "can't find crate for `std`".
fn ensure_guest_target_installed() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let libdir = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", GUEST_TARGET])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim().to_string()));
    if libdir.as_deref().is_some_and(Path::exists) {
        return;
    }
    println!(
        "cargo:warning=installing the {GUEST_TARGET} target with rustup (needed to build the plugins)"
    );
    let status = Command::new("rustup")
        .args(["target", "add", GUEST_TARGET])
        .status();
    match status {
        Ok(s) if s.success() => {}
        _ => panic!(
            "the Rust target {GUEST_TARGET} is missing and `rustup target add {GUEST_TARGET}` failed; \
             install it and build again"
        ),
    }
}

fn build_guest_workspace(workspace: &Path, target_dir: &Path) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            GUEST_TARGET,
            "--target-dir",
        ])
        .arg(target_dir);
    // What cargo passes to this script is meant for the host build, not the guests:
    // flags, a clippy or coverage wrapper, or a forced target would break them.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        cmd.env_remove(var);
    }
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not run cargo to build {}: {e}", workspace.display()));
    if !output.status.success() {
        panic!(
            "building the guest components in {} failed:\n{}",
            workspace.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn rerun_if_changed_recursive(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        if path.is_dir() {
            rerun_if_changed_recursive(&path);
        } else {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
