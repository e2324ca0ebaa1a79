//! Loading components: each kind of invalid input is refused with an error that says
//! what is wrong, and a valid plugin loads with its world and interfaces reported.

mod common;

use guichet::runtime::{ContractVersion, LoadError, Runtime, RuntimeConfig, World};

use common::{guest_path, root, runtime};

fn fixture(name: &str) -> Vec<u8> {
    wat::parse_file(root().join("tests/fixtures").join(name)).expect("fixture parses")
}

#[test]
fn the_triage_plugin_is_an_automation_plugin() {
    let bytes = std::fs::read(guest_path("triage")).unwrap();
    let plugin = runtime().load(&bytes).unwrap();
    let info = plugin.info();
    assert_eq!(info.world, World::Automation);
    assert_eq!(info.contract, ContractVersion::V0_2_0);
    assert_eq!(
        info.exports,
        [
            "guichet:plugin/rules@0.2.0",
            "guichet:plugin/config-check@0.2.0"
        ]
    );
    // Wizer's entry point: the host runs it once per configuration (pre-initialisation).
    assert_eq!(info.other_exports, ["wizer-initialize"]);
    // Every import says what the host gives it: nothing of the machine.
    for (import, provision) in info.provisions() {
        assert!(!provision.is_empty(), "{import}");
    }
    assert!(
        info.imports
            .contains(&"guichet:plugin/config@0.2.0".to_string())
    );
    assert_eq!(info.size, bytes.len());
    assert_eq!(info.sha256.len(), 64);
}

#[test]
fn a_plugin_built_against_the_first_contract_still_loads() {
    let bytes = std::fs::read(guest_path("timers")).unwrap();
    let runtime = runtime();
    let plugin = runtime.load(&bytes).unwrap();
    let info = plugin.info();
    assert_eq!(info.world, World::Automation);
    assert_eq!(info.contract, ContractVersion::V0_1_0);
    assert_eq!(info.exports, ["guichet:plugin/rules@0.1.0"]);
    // It cannot be asked to check a configuration.
    let limits = runtime.default_limits().clone();
    let now = "2026-11-23T09:00:00Z".parse().unwrap();
    assert!(runtime.check_config(&plugin, "{}", now, &limits).is_none());
}

#[test]
fn a_component_of_the_second_contract_without_config_check_is_refused() {
    let err = runtime()
        .load(&fixture("no-config-check.wat"))
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::ExportMismatch { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("`guichet:plugin/config-check@0.2.0`"),
        "{message}"
    );
    assert!(
        message.contains("check-config: func(config: string)"),
        "{message}"
    );
}

#[test]
fn a_core_module_is_refused_with_a_hint() {
    let err = runtime().load(&fixture("core-module.wat")).err().unwrap();
    assert!(matches!(err, LoadError::CoreModule), "{err:?}");
    assert!(err.to_string().contains("wasm32-wasip2"), "{err}");
}

#[test]
fn random_bytes_are_refused() {
    let mut seed: u32 = 0x9e37_79b9;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as u8
        })
        .collect();
    let err = runtime().load(&bytes).err().unwrap();
    assert!(matches!(err, LoadError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("component header"), "{err}");
}

#[test]
fn a_truncated_component_is_refused() {
    let bytes = std::fs::read(guest_path("triage")).unwrap();
    let err = runtime().load(&bytes[..bytes.len() / 2]).err().unwrap();
    assert!(matches!(err, LoadError::Invalid(_)), "{err:?}");
}

#[test]
fn a_component_of_no_known_world_names_what_it_exports() {
    let err = runtime().load(&fixture("no-world.wat")).err().unwrap();
    assert!(matches!(err, LoadError::NoWorld { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("guichet:plugin/rules@0.1.0"), "{message}");
    assert!(message.contains("guichet:plugin/rules@0.2.0"), "{message}");
    assert!(message.contains("it exports: `run`"), "{message}");
}

#[test]
fn a_wrong_export_signature_is_named() {
    let err = runtime()
        .load(&fixture("wrong-signature.wat"))
        .err()
        .unwrap();
    assert!(matches!(err, LoadError::ExportMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains("on-event"), "{err}");
}

#[test]
fn an_import_the_world_does_not_provide_is_named() {
    let err = runtime()
        .load(&fixture("unsupported-import.wat"))
        .err()
        .unwrap();
    match &err {
        LoadError::UnsupportedImport { world, import, .. } => {
            assert_eq!(*world, World::Automation);
            assert_eq!(import, "acme:crm/lookup@1.0.0");
        }
        other => panic!("expected UnsupportedImport, got {other:?}"),
    }
}

#[test]
fn an_oversized_component_is_refused_before_compilation() {
    let small = Runtime::new(RuntimeConfig {
        max_component_bytes: 1024,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let bytes = std::fs::read(guest_path("triage")).unwrap();
    let err = small.load(&bytes).err().unwrap();
    assert!(
        matches!(err, LoadError::TooLarge { size, limit: 1024 } if size == bytes.len()),
        "{err:?}"
    );
}
