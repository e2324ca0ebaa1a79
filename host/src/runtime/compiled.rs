//! Compiled components kept on disk between runs, shared by every tenant.
//!
//! An entry is the file `<dir>/<component sha256>-<engine key>.cwasm`: the component's
//! machine code as [`Component::serialize`] writes it. The engine key is the SHA-256
//! (hex) of wasmtime's [`Engine::precompile_compatibility_hash`], which covers the
//! wasmtime version, the target and every engine setting that changes the code (fuel,
//! epoch interruption, features, tunables): an entry written by another version or
//! configuration has another name and is never read. Such entries stay in the
//! directory until the operator removes them; the directory can be emptied at any
//! time (the next start compiles again).
//!
//! Costs, on 2 cores (`guichet plugin check`, the whole command, debug build):
//! compiling `triage` (320 KB) takes 0.17 s, `dedupe` (520 KB) 0.34 s, the Python and
//! JavaScript examples (18 and 12 MB, an interpreter embedded) 6.4 and 8.3 s; with
//! their entries in the cache the same commands take 0.01 to 0.03 s (the file is
//! mapped, not copied). An entry is 2 to 3 times the size of the `.wasm`: 0.8 MB for
//! `triage`, 43 and 40 MB for the Python and JavaScript examples.
//!
//! Entries are written through a temporary file in the same directory and a rename,
//! so a reader sees a whole entry or none, and a file once mapped is never changed in
//! place (a rewrite replaces the name, not the mapped inode). A corrupt or unreadable
//! entry is reported and the component compiled again and rewritten. A directory
//! that cannot be used (cannot be created, read-only, a full disk) is reported once,
//! and compilation goes on without it: the cache only saves time.

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use prometheus_client::metrics::counter::Counter;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How many components were compiled and how many loaded from the disk cache since
/// the runtime started: shared handles, cloned into the service's metrics.
#[derive(Debug, Clone, Default)]
pub struct CompileCounters {
    /// Components compiled from their bytes (a cache miss, or no cache).
    pub compiled: Counter,
    /// Components loaded from an entry of the disk cache, not compiled.
    pub loaded: Counter,
}

/// The counts of [`CompileCounters`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compilations {
    pub compiled: u64,
    pub loaded: u64,
}

impl CompileCounters {
    /// The counts now.
    pub fn get(&self) -> Compilations {
        Compilations {
            compiled: self.compiled.get(),
            loaded: self.loaded.get(),
        }
    }
}

/// Where a component's code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Compiled now: worth keeping once the component is validated.
    Compiled,
    /// Loaded from the disk cache.
    Loaded,
}

/// The disk cache of compiled components of one engine. See the module documentation.
pub(crate) struct CompiledCache {
    /// `None` when there is no cache, or its directory could not be created.
    dir: Option<PathBuf>,
    /// Hex SHA-256 of the engine's compatibility hash.
    engine_key: String,
    /// Set once the directory failed: it is reported once, then left alone.
    unusable: AtomicBool,
    counters: CompileCounters,
}

/// Feeds what `Hash` writes into SHA-256, so that the engine key is a digest that does
/// not depend on the standard library's hasher (whose algorithm may change).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Unused: the key is the whole digest (see [`engine_key`]).
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("a SHA-256 has 32 bytes"))
    }
}

/// The hex SHA-256 of `engine`'s [`Engine::precompile_compatibility_hash`]: equal for
/// two engines exactly when one's compiled code can be loaded by the other.
pub(crate) fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hex(&hasher.0.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A distinct suffix for each temporary file of this process.
static TEMPORARY: AtomicU64 = AtomicU64::new(0);

impl CompiledCache {
    /// The cache in `dir` for `engine`, creating the directory; without `dir`, or if
    /// it cannot be created (reported), components are compiled every time.
    pub(crate) fn new(engine: &Engine, dir: Option<&Path>) -> CompiledCache {
        let cache = CompiledCache {
            dir: dir.map(Path::to_path_buf),
            engine_key: engine_key(engine),
            unusable: AtomicBool::new(false),
            counters: CompileCounters::default(),
        };
        if let Some(dir) = dir
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            cache.give_up(dir, &e.to_string());
        }
        cache
    }

    pub(crate) fn counters(&self) -> &CompileCounters {
        &self.counters
    }

    /// The directory, unless there is none or it failed.
    fn dir(&self) -> Option<&Path> {
        self.dir
            .as_deref()
            .filter(|_| !self.unusable.load(Ordering::Relaxed))
    }

    /// Reports the directory as unusable, the first time only, and stops using it.
    fn give_up(&self, dir: &Path, error: &str) {
        if !self.unusable.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                dir = %dir.display(),
                %error,
                "compile cache unavailable; components are compiled every time"
            );
        }
    }

    /// The path of the entry for the component whose bytes hash to `sha256`.
    fn entry(&self, dir: &Path, sha256: &str) -> PathBuf {
        dir.join(format!("{sha256}-{}.cwasm", self.engine_key))
    }

    /// The compiled component of `bytes` (whose SHA-256 is `sha256`, lower-case hex):
    /// loaded from its entry when there is a readable one, else compiled. A compiled
    /// component is not written yet: [`CompiledCache::keep`] does that once it is
    /// validated, so that what is refused leaves nothing on disk.
    ///
    /// Cost: a file mapping and a header check for a hit (milliseconds), a compilation
    /// otherwise (0.2–8 s).
    pub(crate) fn component(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> wasmtime::Result<(Component, Origin)> {
        if let Some(dir) = self.dir() {
            let path = self.entry(dir, sha256);
            match std::fs::metadata(&path) {
                Ok(_) => {
                    // SAFETY: `deserialize_file` maps the file and runs its code, so
                    // the file must be one `Component::serialize` wrote, and must not
                    // change while mapped. The directory is the operator's (the
                    // service's data directory, or the user's own cache): nothing a
                    // tenant or a plugin can write to. Entries are written by this
                    // module alone, whole, through a temporary file and a rename, and
                    // never modified in place: a rewrite replaces the name with a new
                    // file and leaves the mapped one as it was. And wasmtime checks
                    // the entry again as it loads it (an ELF image with its header:
                    // wasmtime's version, the target and the engine's settings), so a
                    // truncated, corrupt or foreign file is refused, not run.
                    match unsafe { Component::deserialize_file(engine, &path) } {
                        Ok(component) => {
                            self.counters.loaded.inc();
                            return Ok((component, Origin::Loaded));
                        }
                        Err(e) => tracing::warn!(
                            entry = %path.display(),
                            error = %format!("{e:#}"),
                            "compile cache entry unreadable; compiling the component again"
                        ),
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(
                    entry = %path.display(),
                    error = %e,
                    "compile cache entry unreadable; compiling the component again"
                ),
            }
        }
        let component = Component::new(engine, bytes)?;
        self.counters.compiled.inc();
        Ok((component, Origin::Compiled))
    }

    /// Writes `component`'s entry (replacing an unreadable one), atomically. A
    /// failure is reported once and the directory left alone from then on.
    ///
    /// Cost: serialising the code (a copy) and writing it, with an fsync: a few
    /// milliseconds per megabyte, once per compilation.
    pub(crate) fn keep(&self, component: &Component, sha256: &str) {
        let Some(dir) = self.dir() else {
            return;
        };
        let path = self.entry(dir, sha256);
        let temporary = dir.join(format!(
            ".{sha256}-{}.{}.{}.tmp",
            self.engine_key,
            std::process::id(),
            TEMPORARY.fetch_add(1, Ordering::Relaxed)
        ));
        let written = component
            .serialize()
            .map_err(|e| format!("{e:#}"))
            .and_then(|image| {
                write_whole(&temporary, &image)
                    .and_then(|()| std::fs::rename(&temporary, &path))
                    .map_err(|e| e.to_string())
            });
        if let Err(error) = written {
            let _ = std::fs::remove_file(&temporary);
            self.give_up(dir, &error);
        }
    }
}

/// Writes `bytes` to a new file at `path` and syncs it, so that the rename that
/// follows never publishes a partly written entry after a crash.
fn write_whole(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid component: one exported function, no imports.
    const COMPONENT: &str = r#"(component
        (core module $m (func (export "f") (result i32) i32.const 7))
        (core instance $i (instantiate $m))
        (func (export "f") (result u32) (canon lift (core func $i "f")))
    )"#;

    fn engine(fuel: bool) -> Engine {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model(true).consume_fuel(fuel);
        Engine::new(&config).unwrap()
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("guichet-compiled-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn bytes() -> Vec<u8> {
        wat::parse_str(COMPONENT).unwrap()
    }

    /// Compiles or loads, keeping what was compiled, as `Runtime::load` does.
    fn get(cache: &CompiledCache, engine: &Engine, bytes: &[u8]) -> Origin {
        let sha = crate::runtime::sha256_hex(bytes);
        let (component, origin) = cache.component(engine, bytes, &sha).unwrap();
        if origin == Origin::Compiled {
            cache.keep(&component, &sha);
        }
        origin
    }

    #[test]
    fn the_engine_key_changes_with_the_engine_settings_only() {
        assert_eq!(engine_key(&engine(true)), engine_key(&engine(true)));
        assert_ne!(engine_key(&engine(true)), engine_key(&engine(false)));
        assert_eq!(engine_key(&engine(true)).len(), 64);
    }

    #[test]
    fn a_component_is_compiled_once_then_loaded_by_the_next_cache() {
        let dir = temp_dir("reuse");
        let engine = engine(true);
        let bytes = bytes();
        let first = CompiledCache::new(&engine, Some(&dir));
        assert_eq!(get(&first, &engine, &bytes), Origin::Compiled);
        let entry = first.entry(&dir, &crate::runtime::sha256_hex(&bytes));
        assert!(entry.is_file(), "{}", entry.display());
        // Only the entry: no temporary file left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);

        let restarted = CompiledCache::new(&engine, Some(&dir));
        assert_eq!(get(&restarted, &engine, &bytes), Origin::Loaded);
        assert_eq!(
            restarted.counters().get(),
            Compilations {
                compiled: 0,
                loaded: 1
            }
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_entry_of_another_engine_or_a_corrupt_one_is_never_used() {
        let dir = temp_dir("foreign");
        let bytes = bytes();
        let sha = crate::runtime::sha256_hex(&bytes);
        let (with_fuel, without) = (engine(true), engine(false));
        let other = CompiledCache::new(&without, Some(&dir));
        assert_eq!(get(&other, &without, &bytes), Origin::Compiled);

        // Another engine's entry has another name: not even read.
        let cache = CompiledCache::new(&with_fuel, Some(&dir));
        assert_eq!(get(&cache, &with_fuel, &bytes), Origin::Compiled);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);

        // Another engine's code under this engine's name: refused by wasmtime's
        // check, compiled again and rewritten.
        let entry = cache.entry(&dir, &sha);
        std::fs::copy(other.entry(&dir, &sha), &entry).unwrap();
        let cache = CompiledCache::new(&with_fuel, Some(&dir));
        assert_eq!(get(&cache, &with_fuel, &bytes), Origin::Compiled);
        assert_eq!(
            get(
                &CompiledCache::new(&with_fuel, Some(&dir)),
                &with_fuel,
                &bytes
            ),
            Origin::Loaded
        );

        // Garbage, and a truncated entry: the same.
        for damage in [b"not a compiled component".to_vec(), {
            let whole = std::fs::read(&entry).unwrap();
            whole[..whole.len() / 2].to_vec()
        }] {
            std::fs::write(&entry, damage).unwrap();
            let cache = CompiledCache::new(&with_fuel, Some(&dir));
            assert_eq!(get(&cache, &with_fuel, &bytes), Origin::Compiled);
            let cache = CompiledCache::new(&with_fuel, Some(&dir));
            assert_eq!(get(&cache, &with_fuel, &bytes), Origin::Loaded);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_that_cannot_be_used_leaves_compilation_working() {
        let dir = temp_dir("unusable");
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the directory should be: it cannot be created.
        let blocked = dir.join("compiled");
        std::fs::write(&blocked, b"a file").unwrap();
        let engine = engine(true);
        let cache = CompiledCache::new(&engine, Some(&blocked));
        assert!(cache.dir().is_none());
        assert_eq!(get(&cache, &engine, &bytes()), Origin::Compiled);
        assert_eq!(get(&cache, &engine, &bytes()), Origin::Compiled);
        assert_eq!(cache.counters().get().compiled, 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
