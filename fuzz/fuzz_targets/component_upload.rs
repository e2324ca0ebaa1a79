//! `PUT /v1/tenants/{tenant}/plugins/{name}/component`: any bytes as an uploaded
//! component, through `Runtime::load`, which validates them as a component of one of
//! the worlds (every contract version), compiles them and instantiates them once
//! under the runtime's limits (kept small here: 16 MiB of memory, 50 ms, 10 million
//! fuel, components of at most 4 MiB).
//!
//! Invariants: nothing panics; an accepted component's identity is its bytes'
//! SHA-256 and size, and it exports its world's interface.
//!
//! Seeds: with `GUICHET_FUZZ_WRITE_SEEDS=<dir>`, the target writes the reference
//! plugins (`guichet::reference_plugins`) of at most 600 KB and the `.wat` fixtures of
//! `tests/fixtures`, assembled, into `<dir>` and exits; `scripts/fuzz` does this
//! before the first run.

#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use guichet::runtime::{CallLimits, Runtime, RuntimeConfig, sha256_hex};
use libfuzzer_sys::fuzz_target;

/// The `.wat` fixtures, assembled into seeds by [`write_seeds`].
const WAT_FIXTURES: &[(&str, &str)] = &[
    (
        "core-module",
        include_str!("../../tests/fixtures/core-module.wat"),
    ),
    (
        "no-config-check",
        include_str!("../../tests/fixtures/no-config-check.wat"),
    ),
    (
        "no-world",
        include_str!("../../tests/fixtures/no-world.wat"),
    ),
    (
        "unsupported-import",
        include_str!("../../tests/fixtures/unsupported-import.wat"),
    ),
    (
        "wrong-signature",
        include_str!("../../tests/fixtures/wrong-signature.wat"),
    ),
];

/// Reference plugins larger than this are left out of the seeds: each run that keeps
/// a component valid compiles it, and with debug assertions a component of a
/// megabyte takes over ten seconds. (Leaving out those over 200 KB as well ran 60%
/// more inputs in 600 s but reached less: 94,000 features instead of 109,000.)
const MAX_SEED_BYTES: usize = 600_000;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::new(RuntimeConfig {
            default_limits: CallLimits {
                fuel: 10_000_000,
                deadline: Duration::from_millis(50),
                memory_bytes: 16 << 20,
                table_elements: 10_000,
                output_bytes: 64 << 10,
                log_bytes: 4 << 10,
            },
            max_component_bytes: 4 << 20,
            max_wasm_stack: 256 << 10,
            compile_cache: None,
            ..RuntimeConfig::default()
        })
        .expect("the runtime starts")
    })
}

fn write_seeds(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).expect("create the seed directory");
    for plugin in guichet::reference_plugins::ALL {
        if plugin.component.len() <= MAX_SEED_BYTES {
            let path = dir.join(format!("reference-{}.wasm", plugin.name));
            std::fs::write(path, plugin.component).expect("write a seed");
        }
    }
    for (name, text) in WAT_FIXTURES {
        let bytes = wat::parse_str(text).expect("the fixtures assemble");
        std::fs::write(dir.join(format!("fixture-{name}.wasm")), bytes).expect("write a seed");
    }
}

fuzz_target!(
    init: {
        if let Some(dir) = std::env::var_os("GUICHET_FUZZ_WRITE_SEEDS") {
            write_seeds(std::path::Path::new(&dir));
            std::process::exit(0);
        }
        runtime();
    },
    |data: &[u8]| {
        match runtime().load(data) {
            Ok(plugin) => {
                let info = plugin.info();
                assert_eq!(info.sha256, sha256_hex(data));
                assert_eq!(info.size, data.len());
                assert_eq!(plugin.world(), info.world);
                assert!(
                    info.exports.contains(&info.world.export(info.contract)),
                    "{info:?}"
                );
                let _ = info.provisions();
                let _ = info.contract.number();
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
            }
        }
    }
);
