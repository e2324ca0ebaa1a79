//! The runtime's typed errors: why a component was refused at load, and why a call
//! ended without a result.

use std::time::Duration;

use super::World;

/// Why a component could not be loaded as a plugin. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("the file is {size} bytes, over the {limit}-byte limit for a plugin component")]
    TooLarge { size: usize, limit: usize },

    #[error(
        "this is a core WebAssembly module, not a component: build the plugin for \
         wasm32-wasip2 (or wrap the module with `wasm-tools component new`)"
    )]
    CoreModule,

    #[error("not a valid WebAssembly component: {0}")]
    Invalid(String),

    #[error(
        "the component exports none of guichet's plugin interfaces: it should export \
         {expected} (it exports: {found})"
    )]
    NoWorld { expected: String, found: String },

    #[error("the component exports {0}: a plugin is of one kind, so it exports one of them")]
    SeveralWorlds(String),

    #[error(
        "the component imports `{import}`, which the `{world}` world does not provide \
         (it provides {provided} and WASI 0.2)"
    )]
    UnsupportedImport {
        world: World,
        import: String,
        provided: String,
    },

    #[error(
        "the component's `{export}` export does not match the contract ({reason}); it \
         should provide {expected}"
    )]
    ExportMismatch {
        export: String,
        reason: String,
        expected: &'static str,
    },

    #[error("the component fails when it starts: {0}")]
    Instantiate(String),

    #[error("the component cannot be linked against the host: {0}")]
    Link(String),
}

/// Why a call into a plugin ended without a result. The call is over; the runtime and
/// the plugin's other calls are unaffected.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("the plugin ran out of fuel ({limit} units) before it returned")]
    OutOfFuel { limit: u64 },

    #[error("the plugin did not return within its {deadline:?} deadline")]
    DeadlineExceeded { deadline: Duration },

    #[error("the plugin tried to grow its memory past the {limit}-byte limit")]
    MemoryLimit { limit: usize },

    #[error("the plugin tried to grow a table past the {limit}-element limit")]
    TableLimit { limit: usize },

    #[error("the plugin overflowed its stack (recursion too deep)")]
    StackOverflow,

    /// `size` is what was counted before giving up: at least that many bytes of
    /// JSON, not necessarily all of them.
    #[error("the plugin returned at least {size} bytes, over the {limit}-byte limit on its output")]
    OutputTooLarge { size: usize, limit: usize },

    #[error("the plugin trapped: {0}")]
    Trap(String),

    #[error("the plugin returned an error: {0}")]
    Plugin(String),

    #[error("the plugin could not render the macro: {0}")]
    Render(crate::model::RenderError),

    #[error("the adapter refused the request: {0}")]
    Adapter(crate::model::AdapterError),

    #[error("the plugin is a `{actual}` plugin, not a `{expected}` plugin")]
    WrongWorld { expected: World, actual: World },

    #[error("a {version} plugin is not sent `{kind}` events: its contract has no such event")]
    NotInContract {
        kind: &'static str,
        version: super::ContractVersion,
    },

    #[error("the plugin could not be instantiated: {0}")]
    Instantiate(String),

    #[error("a host service failed during the call: {0}")]
    Host(String),

    /// The call returned, but the host cannot carry out its actions (a merge into
    /// a closed ticket, for one): the call is refused whole, as in the service.
    #[error("the host refused the plugin's actions: {0}")]
    Refused(String),
}

impl CallError {
    /// Whether the call was ended by one of the runtime's limits (as opposed to a bug
    /// or a refusal in the plugin itself).
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            Self::OutOfFuel { .. }
                | Self::DeadlineExceeded { .. }
                | Self::MemoryLimit { .. }
                | Self::TableLimit { .. }
                | Self::StackOverflow
                | Self::OutputTooLarge { .. }
        )
    }
}
