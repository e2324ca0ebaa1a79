//! Loading a plugin: validation against the worlds of each version of
//! `guichet:plugin` the host serves (0.1.0, 0.2.0 and 0.3.0),
//! compilation, and what `guichet plugin check` reports about a component.

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{InstancePre, Linker};

use super::bindings::{v0_1_0, v0_2_0, v0_3_0};
use super::call::CallState;
use super::compiled::{CompiledCache, Origin};
use super::error::LoadError;

/// The version of the WIT package new plugins target: the latest this host serves.
pub const WIT_PACKAGE: &str = "guichet:plugin@0.3.0";

/// `\0asm`, version 1, layer 0: a core module.
const CORE_MODULE_HEADER: &[u8] = b"\0asm\x01\0\0\0";
/// `\0asm`, version 0x0d, layer 1: a component.
const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

/// A version of the `guichet:plugin` package the host serves, side by side (see
/// `wit/README.md`): a component built against any of them runs unchanged.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema,
)]
pub enum ContractVersion {
    /// `guichet:plugin@0.1.0`: no `fields-changed` events (its plugins are not sent
    /// them) and no `check-config` (its configurations are checked as JSON only).
    #[serde(rename = "0.1.0")]
    V0_1_0,
    /// `guichet:plugin@0.2.0`: adds the `fields-changed` event and the `config-check`
    /// export.
    #[serde(rename = "0.2.0")]
    V0_2_0,
    /// `guichet:plugin@0.3.0`: reworks the `adapter` export (whole deliveries in,
    /// every action rendered out); the other worlds are 0.2.0's.
    #[serde(rename = "0.3.0")]
    V0_3_0,
}

impl ContractVersion {
    /// Every version served, oldest first.
    pub const ALL: [ContractVersion; 3] = [
        ContractVersion::V0_1_0,
        ContractVersion::V0_2_0,
        ContractVersion::V0_3_0,
    ];

    /// The version number, e.g. `0.2.0`.
    pub fn number(self) -> &'static str {
        match self {
            ContractVersion::V0_1_0 => "0.1.0",
            ContractVersion::V0_2_0 => "0.2.0",
            ContractVersion::V0_3_0 => "0.3.0",
        }
    }

    /// Whether a plugin of this version is sent events of `kind`: a kind added in a
    /// later version is one its plugins could not read.
    pub fn receives(self, kind: &crate::model::EventKind) -> bool {
        if kind.is_host_made() {
            // The host's own: plugins get the change events it causes instead.
            return false;
        }
        match self {
            ContractVersion::V0_1_0 => {
                !matches!(kind, crate::model::EventKind::FieldsChanged { .. })
            }
            ContractVersion::V0_2_0 | ContractVersion::V0_3_0 => true,
        }
    }

    /// Whether its plugins can be sent events of the kind named `kind` (as JSON and
    /// subscriptions name them, e.g. `fields_changed`).
    pub fn knows_kind(self, kind: &str) -> bool {
        !(self == ContractVersion::V0_1_0 && kind == "fields_changed")
    }

    /// Whether its plugins export `config-check`.
    pub fn checks_config(self) -> bool {
        self >= ContractVersion::V0_2_0
    }
}

impl fmt::Display for ContractVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guichet:plugin@{}", self.number())
    }
}

/// The kind of a plugin: the world of `guichet:plugin` its component targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum World {
    /// Events in, actions out.
    Automation,
    /// Canned replies.
    Macros,
    /// A channel's or helpdesk's wire format in and out.
    ChannelAdapter,
}

impl World {
    pub const ALL: [World; 3] = [World::Automation, World::Macros, World::ChannelAdapter];

    /// The world's name in WIT.
    pub fn name(self) -> &'static str {
        match self {
            World::Automation => "automation",
            World::Macros => "macros",
            World::ChannelAdapter => "channel-adapter",
        }
    }

    /// The interface a component of this world exports, in `version`
    /// (`guichet:plugin/rules@0.2.0`).
    pub fn export(self, version: ContractVersion) -> String {
        let interface = match self {
            World::Automation => "rules",
            World::Macros => "macro-library",
            World::ChannelAdapter => "adapter",
        };
        format!("guichet:plugin/{interface}@{}", version.number())
    }

    /// The functions of the world's export in `version`, as WIT, for error messages.
    pub fn export_functions(self, version: ContractVersion) -> &'static str {
        match self {
            World::ChannelAdapter if version >= ContractVersion::V0_3_0 => {
                "served-channel: func() -> channel; handle-inbound: func(request: \
                 incoming-request) -> result<inbound-batch, adapter-error>; render-actions: \
                 func(outbound: outbound) -> result<list<outgoing-request>, adapter-error>"
            }
            World::Automation => "on-event: func(event: event) -> result<list<action>, string>",
            World::Macros => {
                "list-macros: func() -> list<macro-info>; render: func(id: string, ticket: ticket, \
                 variables: list<variable>) -> result<rendered, render-error>"
            }
            World::ChannelAdapter => {
                "served-channel: func() -> channel; parse-inbound: func(request: incoming-request) \
                 -> result<list<inbound>, adapter-error>; render-outbound: func(reply: \
                 outbound-reply) -> result<outgoing-request, adapter-error>"
            }
        }
    }

    /// The guichet interfaces a component of this world may import, in `version`.
    pub fn imports(self, version: ContractVersion) -> Vec<String> {
        let interfaces: &[&str] = match self {
            World::Automation | World::Macros => &["types", "tickets", "storage", "config", "log"],
            World::ChannelAdapter => &["types", "storage", "config", "log"],
        };
        interfaces
            .iter()
            .map(|i| format!("guichet:plugin/{i}@{}", version.number()))
            .collect()
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The export every component of 0.2.0 and later gives beside its world's, in
/// `version`.
pub(crate) fn config_check_export(version: ContractVersion) -> String {
    format!("guichet:plugin/config-check@{}", version.number())
}
/// Its function, for error messages.
pub(crate) const CONFIG_CHECK_FUNCTION: &str =
    "check-config: func(config: string) -> list<config-problem>";

/// One export's typed entry points, in the version the component targets.
#[derive(Clone)]
pub(crate) enum Versioned<A, B, C> {
    V0_1_0(A),
    V0_2_0(B),
    V0_3_0(C),
}

/// The typed entry points of a loaded component, by world.
#[derive(Clone)]
pub(crate) enum Exports {
    Automation(
        Versioned<
            v0_1_0::rules::GuestIndices,
            v0_2_0::rules::GuestIndices,
            v0_3_0::rules::GuestIndices,
        >,
    ),
    Macros(
        Versioned<
            v0_1_0::macro_library::GuestIndices,
            v0_2_0::macro_library::GuestIndices,
            v0_3_0::macro_library::GuestIndices,
        >,
    ),
    ChannelAdapter(
        Versioned<
            v0_1_0::adapter::GuestIndices,
            v0_2_0::adapter::GuestIndices,
            v0_3_0::adapter::GuestIndices,
        >,
    ),
}

/// `check-config`'s typed entry point, from 0.2.0 on (none in 0.1.0).
#[derive(Clone)]
pub(crate) enum ConfigCheck {
    V0_2_0(v0_2_0::config_check::GuestIndices),
    V0_3_0(v0_3_0::config_check::GuestIndices),
}

/// A validated, compiled plugin component, ready to instantiate. Cheap to share: the
/// compiled code is reference-counted by wasmtime.
pub struct PluginComponent {
    pub(crate) pre: InstancePre<CallState>,
    pub(crate) exports: Exports,
    /// `check-config`, from 0.2.0 on.
    pub(crate) config_check: Option<ConfigCheck>,
    info: ComponentInfo,
    /// For a snapshot taken after `wizer-initialize` (see `preinit`): the bytes of
    /// linear memory it starts with.
    pre_initialised: Option<usize>,
}

/// What `guichet plugin check` prints about a component.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComponentInfo {
    /// The world the component targets.
    pub world: World,
    /// The version of `guichet:plugin` it targets.
    pub contract: ContractVersion,
    /// Every interface the component imports ([`import_provision`] says what the
    /// host gives each).
    pub imports: Vec<String>,
    /// What the host calls: the world's export.
    pub exports: Vec<String>,
    /// Whatever else the component exports: `wizer-initialize`, which the host runs
    /// once per configuration to pre-initialise the plugin (see
    /// `Runtime::pre_initialise`), or a toolchain's own entry points, which the host
    /// never calls, such as the `exports` interface that componentize-py leaves in
    /// every Python component (its `init`, run while the component is built, to load
    /// the Python code into it).
    pub other_exports: Vec<String>,
    /// Size of the component file in bytes.
    pub size: usize,
    /// SHA-256 of the component file, hex: the component's identity.
    pub sha256: String,
}

impl PluginComponent {
    /// Validates `bytes` as a plugin of one of the worlds and compiles it, or loads its
    /// compiled code from `compiled` (the disk cache), saying which it did.
    pub(crate) fn load(
        engine: &Engine,
        linker: &Linker<CallState>,
        compiled: &CompiledCache,
        bytes: &[u8],
        max_size: usize,
    ) -> Result<(PluginComponent, Origin), LoadError> {
        if bytes.len() > max_size {
            return Err(LoadError::TooLarge {
                size: bytes.len(),
                limit: max_size,
            });
        }
        match bytes.get(..8) {
            Some(header) if header == CORE_MODULE_HEADER => return Err(LoadError::CoreModule),
            Some(header) if header == COMPONENT_HEADER => {}
            _ => {
                return Err(LoadError::Invalid(
                    "the file does not start with the WebAssembly component header \
                     (\\0asm, version 0x0d, layer 1)"
                        .to_string(),
                ));
            }
        }
        let sha256 = sha256_hex(bytes);
        let (component, origin) = compiled
            .component(engine, bytes, &sha256)
            .map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports: Vec<String> = ty
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();

        let (world, contract) = detect_world(&exports)?;
        check_imports(world, contract, &imports)?;

        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let export = world.export(contract);
        let mismatch = |e: wasmtime::Error| LoadError::ExportMismatch {
            export: export.clone(),
            reason: format!("{e:#}"),
            expected: world.export_functions(contract),
        };
        let config_export = config_check_export(contract);
        let missing = |reason: String| LoadError::ExportMismatch {
            export: config_export.clone(),
            reason,
            expected: CONFIG_CHECK_FUNCTION,
        };
        if contract.checks_config() && !exports.contains(&config_export) {
            return Err(missing(format!(
                "it is missing: a {contract} component exports it beside `{export}`"
            )));
        }
        use ContractVersion as V;
        let typed = match (world, contract) {
            (World::Automation, V::V0_1_0) => Exports::Automation(Versioned::V0_1_0(
                v0_1_0::rules::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::Automation, V::V0_2_0) => Exports::Automation(Versioned::V0_2_0(
                v0_2_0::rules::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::Macros, V::V0_1_0) => Exports::Macros(Versioned::V0_1_0(
                v0_1_0::macro_library::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::Macros, V::V0_2_0) => Exports::Macros(Versioned::V0_2_0(
                v0_2_0::macro_library::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::ChannelAdapter, V::V0_1_0) => Exports::ChannelAdapter(Versioned::V0_1_0(
                v0_1_0::adapter::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::ChannelAdapter, V::V0_2_0) => Exports::ChannelAdapter(Versioned::V0_2_0(
                v0_2_0::adapter::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::Automation, V::V0_3_0) => Exports::Automation(Versioned::V0_3_0(
                v0_3_0::rules::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::Macros, V::V0_3_0) => Exports::Macros(Versioned::V0_3_0(
                v0_3_0::macro_library::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
            (World::ChannelAdapter, V::V0_3_0) => Exports::ChannelAdapter(Versioned::V0_3_0(
                v0_3_0::adapter::GuestIndices::new(&pre).map_err(mismatch)?,
            )),
        };
        let config_check = match contract {
            V::V0_1_0 => None,
            V::V0_2_0 => Some(ConfigCheck::V0_2_0(
                v0_2_0::config_check::GuestIndices::new(&pre)
                    .map_err(|e| missing(format!("{e:#}")))?,
            )),
            V::V0_3_0 => Some(ConfigCheck::V0_3_0(
                v0_3_0::config_check::GuestIndices::new(&pre)
                    .map_err(|e| missing(format!("{e:#}")))?,
            )),
        };
        let (exports, other_exports) = exports
            .into_iter()
            .partition(|e| *e == export || (contract.checks_config() && *e == config_export));
        let plugin = PluginComponent {
            pre,
            exports: typed,
            config_check,
            info: ComponentInfo {
                world,
                contract,
                imports,
                exports,
                other_exports,
                size: bytes.len(),
                sha256,
            },
            pre_initialised: None,
        };
        Ok((plugin, origin))
    }

    /// Takes `original`'s identity (hash, size, exports): a pre-initialised snapshot
    /// is the uploaded component as far as anyone outside the runtime can tell.
    pub(crate) fn take_identity(&mut self, original: ComponentInfo, memory_bytes: usize) {
        self.info = original;
        self.pre_initialised = Some(memory_bytes);
    }

    /// Whether instances start from a snapshot taken after `wizer-initialize` ran
    /// (see `Runtime::pre_initialise`).
    pub fn is_pre_initialised(&self) -> bool {
        self.pre_initialised.is_some()
    }

    /// The bytes of linear memory an instance of this snapshot starts with (what the
    /// initialiser left), or `None` for a plain component. A call whose memory limit
    /// is below it cannot start from the snapshot.
    pub fn start_memory_bytes(&self) -> Option<usize> {
        self.pre_initialised
    }

    /// What the component is: world, imports, exports, size and hash.
    pub fn info(&self) -> &ComponentInfo {
        &self.info
    }

    /// The world the component targets.
    pub fn world(&self) -> World {
        self.info.world
    }
}

fn detect_world(exports: &[String]) -> Result<(World, ContractVersion), LoadError> {
    let found: Vec<(World, ContractVersion)> = World::ALL
        .into_iter()
        .flat_map(|w| ContractVersion::ALL.map(|v| (w, v)))
        .filter(|(w, v)| exports.iter().any(|e| *e == w.export(*v)))
        .collect();
    match found.as_slice() {
        [found] => Ok(*found),
        [] => Err(LoadError::NoWorld {
            expected: World::ALL
                .iter()
                .map(|w| {
                    let versions: Vec<String> = ContractVersion::ALL
                        .iter()
                        .map(|v| format!("`{}`", w.export(*v)))
                        .collect();
                    format!("{} (world `{}`)", versions.join(" or "), w.name())
                })
                .collect::<Vec<_>>()
                .join(", or "),
            found: if exports.is_empty() {
                "nothing".to_string()
            } else {
                exports
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        }),
        several => Err(LoadError::SeveralWorlds(
            several
                .iter()
                .map(|(w, v)| format!("`{}`", w.export(*v)))
                .collect::<Vec<_>>()
                .join(" and "),
        )),
    }
}

/// A plugin may import its world's guichet interfaces and WASI 0.2; anything else
/// (another guichet interface, another version, an unknown package) is named in the
/// error so that the integrator knows which binding to remove or update.
fn check_imports(
    world: World,
    contract: ContractVersion,
    imports: &[String],
) -> Result<(), LoadError> {
    let allowed_list = world.imports(contract);
    let allowed: BTreeSet<&str> = allowed_list.iter().map(String::as_str).collect();
    for import in imports {
        if import.starts_with("wasi:") || allowed.contains(import.as_str()) {
            continue;
        }
        return Err(LoadError::UnsupportedImport {
            world,
            import: import.clone(),
            provided: allowed_list
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

impl ComponentInfo {
    /// Each import with what the host gives the plugin for it (see
    /// [`import_provision`]), as `plugin check` prints them.
    pub fn provisions(&self) -> Vec<(&str, &'static str)> {
        self.imports
            .iter()
            .map(|i| (i.as_str(), import_provision(i)))
            .collect()
    }
}

/// What the host gives a plugin for `import` (`wasi:sockets/tcp@0.2.9`): the contract's
/// interfaces, and for WASI, which a toolchain's standard library imports whether the
/// plugin uses it or not, what is left of it in the sandbox (nothing of the machine:
/// see `sandbox`).
fn import_provision(import: &str) -> &'static str {
    let interface = import.split('@').next().unwrap_or(import);
    match interface {
        "guichet:plugin/types" => "the contract's types",
        "guichet:plugin/tickets" => "the tenant's tickets, read only",
        "guichet:plugin/storage" => "the plugin's own key-value storage in its tenant",
        "guichet:plugin/config" => "the configuration the tenant's admin set",
        "guichet:plugin/log" => "the call's log",
        "wasi:clocks/wall-clock" => "reads the event's time, not the machine's",
        "wasi:clocks/monotonic-clock" => {
            "the call's own clock, kept by the host, not the machine's"
        }
        "wasi:random/random" | "wasi:random/insecure" | "wasi:random/insecure-seed" => {
            "seeded from the plugin and the event: a replay draws the same numbers"
        }
        "wasi:cli/stdout" | "wasi:cli/stderr" => "captured into the call's log, capped",
        "wasi:cli/stdin" => "empty: closed from the start",
        "wasi:cli/environment" => "no variables, no arguments",
        "wasi:cli/exit" => "ends the call: there is no process to exit",
        "wasi:filesystem/preopens" => "no preopened directories: no file can be reached",
        "wasi:filesystem/types" => "unused: without a preopened directory there is no file",
        "wasi:sockets/network" | "wasi:sockets/instance-network" => {
            "no network: every socket operation on it is denied"
        }
        "wasi:sockets/tcp"
        | "wasi:sockets/tcp-create-socket"
        | "wasi:sockets/udp"
        | "wasi:sockets/udp-create-socket" => "denied: no socket can be opened",
        "wasi:sockets/ip-name-lookup" => "denied: no name can be looked up",
        _ if interface.starts_with("wasi:cli/terminal-") => "no terminal",
        _ if interface.starts_with("wasi:io/") => "streams and polling, for the other interfaces",
        _ => "provided without access to the machine",
    }
}

/// The SHA-256 of `bytes` in lower-case hex: a component's identity and version.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
