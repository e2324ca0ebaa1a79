//! Host-side bindings of `guichet:plugin@0.1.0`, generated from `wit/`.
//!
//! One `bindgen!` over a world that includes the three plugin worlds gives a single
//! set of types for the shared interfaces, plus the export bindings of each plugin
//! kind (`rules`, `macro-library`, `adapter`), which are loaded one by one after the
//! kind of a component is known.

wasmtime::component::bindgen!({
    path: "../wit",
    inline: "
        package guichet:host;

        world runtime {
            include guichet:plugin/automation@0.1.0;
            include guichet:plugin/macros@0.1.0;
            include guichet:plugin/channel-adapter@0.1.0;
        }
    ",
    world: "guichet:host/runtime",
    imports: { default: trappable },
    // Exports are called as futures, so that the call's deadline can cut them at a
    // yield (see `runtime::deadline`); the host interfaces never wait.
    exports: { default: async },
});

pub use self::guichet::plugin::{config, log, storage, tickets, types};
pub use exports::guichet::plugin::{adapter, macro_library, rules};
