//! Host-side bindings of each version of `guichet:plugin` the host serves, generated
//! from `wit/vX.Y.Z/`, side by side: one module per version, each with its own types,
//! host interfaces and export bindings (`rules`, `macro-library`, `adapter`, and from
//! 0.2.0 `config-check`). `convert` turns each version's types into the host's model,
//! so that the rest of the host never sees a version.
//!
//! In each module one `bindgen!` over a world that includes the three plugin worlds
//! gives a single set of types for the shared interfaces, plus the export bindings of
//! each plugin kind, which are loaded one by one after the kind of a component is
//! known.

/// `guichet:plugin@0.1.0`, frozen: what plugins built before 0.2.0 target.
pub mod v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.1.0",
        inline: "
            package guichet:host-v0-1-0;

            world runtime {
                include guichet:plugin/automation@0.1.0;
                include guichet:plugin/macros@0.1.0;
                include guichet:plugin/channel-adapter@0.1.0;
            }
        ",
        world: "guichet:host-v0-1-0/runtime",
        imports: { default: trappable },
        // Exports are called as futures, so that the call's deadline can cut them at a
        // yield (see `runtime::deadline`); the host interfaces never wait.
        exports: { default: async },
    });

    pub use self::guichet::plugin::{config, log, storage, tickets, types};
    pub use exports::guichet::plugin::{adapter, macro_library, rules};
}

/// `guichet:plugin@0.2.0`: adds the `fields-changed` event and the `config-check`
/// export.
pub mod v0_2_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.2.0",
        inline: "
            package guichet:host-v0-2-0;

            world runtime {
                include guichet:plugin/automation@0.2.0;
                include guichet:plugin/macros@0.2.0;
                include guichet:plugin/channel-adapter@0.2.0;
            }
        ",
        world: "guichet:host-v0-2-0/runtime",
        imports: { default: trappable },
        exports: { default: async },
    });

    pub use self::guichet::plugin::{config, log, storage, tickets, types};
    pub use exports::guichet::plugin::{adapter, config_check, macro_library, rules};
}

/// `guichet:plugin@0.3.0`: the `adapter` export reworked (whole webhook deliveries
/// in, with their delivery id and handshake answer; every action rendered out).
pub mod v0_3_0 {
    wasmtime::component::bindgen!({
        path: "../wit/v0.3.0",
        inline: "
            package guichet:host-v0-3-0;

            world runtime {
                include guichet:plugin/automation@0.3.0;
                include guichet:plugin/macros@0.3.0;
                include guichet:plugin/channel-adapter@0.3.0;
            }
        ",
        world: "guichet:host-v0-3-0/runtime",
        imports: { default: trappable },
        exports: { default: async },
    });

    pub use self::guichet::plugin::{config, log, storage, tickets, types};
    pub use exports::guichet::plugin::{adapter, config_check, macro_library, rules};
}
