//! Loading a plugin: validation against the worlds of `guichet:plugin@0.1.0`,
//! compilation, and what `guichet plugin check` reports about a component.

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::{Component, InstancePre, Linker};

use super::bindings::{adapter, macro_library, rules};
use super::call::CallState;
use super::error::LoadError;

/// The version of the WIT package this host implements.
pub const WIT_PACKAGE: &str = "guichet:plugin@0.1.0";

/// `\0asm`, version 1, layer 0: a core module.
const CORE_MODULE_HEADER: &[u8] = b"\0asm\x01\0\0\0";
/// `\0asm`, version 0x0d, layer 1: a component.
const COMPONENT_HEADER: &[u8] = b"\0asm\x0d\0\x01\0";

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

    /// The interface a component of this world exports.
    pub fn export(self) -> &'static str {
        match self {
            World::Automation => "guichet:plugin/rules@0.1.0",
            World::Macros => "guichet:plugin/macro-library@0.1.0",
            World::ChannelAdapter => "guichet:plugin/adapter@0.1.0",
        }
    }

    /// The functions of the world's export, as WIT, for error messages.
    pub fn export_functions(self) -> &'static str {
        match self {
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

    /// The guichet interfaces a component of this world may import.
    pub fn imports(self) -> &'static [&'static str] {
        match self {
            World::Automation | World::Macros => &[
                "guichet:plugin/types@0.1.0",
                "guichet:plugin/tickets@0.1.0",
                "guichet:plugin/storage@0.1.0",
                "guichet:plugin/config@0.1.0",
                "guichet:plugin/log@0.1.0",
            ],
            World::ChannelAdapter => &[
                "guichet:plugin/types@0.1.0",
                "guichet:plugin/storage@0.1.0",
                "guichet:plugin/config@0.1.0",
                "guichet:plugin/log@0.1.0",
            ],
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The typed entry points of a loaded component, by world.
#[derive(Clone)]
pub(crate) enum Exports {
    Automation(rules::GuestIndices),
    Macros(macro_library::GuestIndices),
    ChannelAdapter(adapter::GuestIndices),
}

/// A validated, compiled plugin component, ready to instantiate. Cheap to share: the
/// compiled code is reference-counted by wasmtime.
pub struct PluginComponent {
    pub(crate) pre: InstancePre<CallState>,
    pub(crate) exports: Exports,
    info: ComponentInfo,
}

/// What `guichet plugin check` prints about a component.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComponentInfo {
    /// The world the component targets.
    pub world: World,
    /// Every interface the component imports ([`import_provision`] says what the
    /// host gives each).
    pub imports: Vec<String>,
    /// What the host calls: the world's export.
    pub exports: Vec<String>,
    /// Whatever else the component exports, which the host never calls: a
    /// toolchain's own entry points, such as the `exports` interface that
    /// componentize-py leaves in every Python component (its `init`, run while the
    /// component is built, to load the Python code into it).
    pub other_exports: Vec<String>,
    /// Size of the component file in bytes.
    pub size: usize,
    /// SHA-256 of the component file, hex: the component's identity.
    pub sha256: String,
}

impl PluginComponent {
    /// Validates `bytes` as a plugin of one of the worlds and compiles it.
    pub(crate) fn load(
        engine: &Engine,
        linker: &Linker<CallState>,
        bytes: &[u8],
        max_size: usize,
    ) -> Result<PluginComponent, LoadError> {
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
        let component =
            Component::new(engine, bytes).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        let ty = component.component_type();
        let imports: Vec<String> = ty
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let exports: Vec<String> = ty
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();

        let world = detect_world(&exports)?;
        check_imports(world, &imports)?;

        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let mismatch = |e: wasmtime::Error| LoadError::ExportMismatch {
            export: world.export().to_string(),
            reason: format!("{e:#}"),
            expected: world.export_functions(),
        };
        let typed = match world {
            World::Automation => {
                Exports::Automation(rules::GuestIndices::new(&pre).map_err(mismatch)?)
            }
            World::Macros => {
                Exports::Macros(macro_library::GuestIndices::new(&pre).map_err(mismatch)?)
            }
            World::ChannelAdapter => {
                Exports::ChannelAdapter(adapter::GuestIndices::new(&pre).map_err(mismatch)?)
            }
        };
        let (exports, other_exports) = exports.into_iter().partition(|e| e == world.export());
        Ok(PluginComponent {
            pre,
            exports: typed,
            info: ComponentInfo {
                world,
                imports,
                exports,
                other_exports,
                size: bytes.len(),
                sha256: sha256_hex(bytes),
            },
        })
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

fn detect_world(exports: &[String]) -> Result<World, LoadError> {
    let found: Vec<World> = World::ALL
        .into_iter()
        .filter(|w| exports.iter().any(|e| e == w.export()))
        .collect();
    match found.as_slice() {
        [world] => Ok(*world),
        [] => Err(LoadError::NoWorld {
            expected: World::ALL
                .iter()
                .map(|w| format!("`{}` (world `{}`)", w.export(), w.name()))
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
                .map(|w| format!("`{}`", w.export()))
                .collect::<Vec<_>>()
                .join(" and "),
        )),
    }
}

/// A plugin may import its world's guichet interfaces and WASI 0.2; anything else
/// (another guichet interface, another version, an unknown package) is named in the
/// error so that the integrator knows which binding to remove or update.
fn check_imports(world: World, imports: &[String]) -> Result<(), LoadError> {
    let allowed: BTreeSet<&str> = world.imports().iter().copied().collect();
    for import in imports {
        if import.starts_with("wasi:") || allowed.contains(import.as_str()) {
            continue;
        }
        return Err(LoadError::UnsupportedImport {
            world,
            import: import.clone(),
            provided: world
                .imports()
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
