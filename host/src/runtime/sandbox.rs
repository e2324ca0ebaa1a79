//! The WASI environment a plugin call runs in: nothing from the machine.
//!
//! No preopened directories, no environment variables, no arguments, no stdin, no
//! network (sockets and name lookups denied). The wall clock reads the call's
//! logical time and the monotonic clock starts at zero, both set by the host;
//! randomness comes from a generator seeded by the host. Given the same event and
//! state, a call therefore behaves the same way, which is what makes replays and
//! the local harness trustworthy. stdout and stderr are captured, capped, into the
//! call's log.
//!
//! # Nothing waits in real time
//!
//! A plugin has no real clock, so it has nothing to wait for: `wasi:clocks`'
//! `subscribe-duration` and `subscribe-instant` (what `sleep` becomes in every
//! language) give a pollable that is ready as soon as it is polled, and polling it
//! moves the call's monotonic clock to its due time ([`MonotonicClock`]). A plugin
//! that sleeps 30 s therefore returns at once, reading 30 s more on its monotonic
//! clock, and the same event gives the same result however fast the host runs. The
//! wall clock stays at the event's time. Every other pollable a plugin can reach
//! (stdin, which is closed; stdout and stderr, which never push back) is ready at
//! once too, and anything that still waited would be cut by the call's deadline
//! like Wasm code (see `deadline`).

use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::bindings::clocks::monotonic_clock;
use wasmtime_wasi::p2::{DynPollable, OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder};

/// The logical time of a call, in milliseconds since the Unix epoch, as the plugin's
/// wall clock reads it. Shared, so that a warm instance can be moved to the next
/// call's time.
#[derive(Clone, Default)]
pub struct LogicalClock(Arc<AtomicI64>);

impl LogicalClock {
    pub fn set(&self, millis: i64) {
        self.0.store(millis, Ordering::Relaxed);
    }
}

/// Builds the WASI context of one store, with stdout and stderr captured into
/// `output`, the wall clock reading `clock`, the monotonic clock reading
/// `monotonic` and randomness seeded with `random_seed`.
pub fn wasi_context(
    clock: &LogicalClock,
    monotonic: &MonotonicClock,
    random_seed: u64,
    output: &CapturedOutput,
) -> WasiCtx {
    let mut builder = WasiCtxBuilder::new();
    builder
        .stdout(output.stream(Stream::Stdout))
        .stderr(output.stream(Stream::Stderr))
        .wall_clock(clock.clone())
        .monotonic_clock(monotonic.clone())
        .secure_random(StdRng::seed_from_u64(random_seed))
        .insecure_random(StdRng::seed_from_u64(random_seed.rotate_left(17)))
        .insecure_random_seed(u128::from(random_seed))
        .max_random_size(64 * 1024)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    builder.build()
}

impl HostWallClock for LogicalClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }

    fn now(&self) -> Duration {
        // WASI's wall clock cannot express times before 1970.
        Duration::from_millis(u64::try_from(self.0.load(Ordering::Relaxed)).unwrap_or(0))
    }
}

/// The monotonic clock of a call, in nanoseconds: it starts at zero and moves only
/// when the plugin waits on one of its timers, straight to that timer's due time, so
/// that a plugin can neither measure how fast the host runs it nor make the host
/// wait. Shared between the WASI context and the timers it hands out.
#[derive(Clone, Default)]
pub struct MonotonicClock(Arc<AtomicU64>);

impl MonotonicClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Moves the clock forward to `instant` (never back).
    fn advance_to(&self, instant: u64) {
        self.0.fetch_max(instant, Ordering::Relaxed);
    }

    /// Back to zero, for the next call on a warm instance.
    pub fn reset(&self) {
        self.0.store(0, Ordering::Relaxed);
    }
}

impl HostMonotonicClock for MonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        MonotonicClock::now(self)
    }
}

/// A timer of the monotonic clock: ready as soon as it is polled, which moves the
/// clock to its due time. O(1), never blocks. Timers polled together are all ready
/// at once, and the clock ends at the latest of them.
struct VirtualTimer {
    clock: MonotonicClock,
    due: u64,
}

#[async_trait::async_trait]
impl Pollable for VirtualTimer {
    async fn ready(&mut self) {
        self.clock.advance_to(self.due);
    }
}

/// `wasi:clocks/monotonic-clock` on a [`MonotonicClock`]: replaces wasmtime-wasi's
/// own, whose timers sleep in real time.
pub struct VirtualTime;

impl HasData for VirtualTime {
    type Data<'a> = VirtualTimeView<'a>;
}

/// What [`VirtualTime`] needs of a store: the clock, and the table its timers go in.
pub struct VirtualTimeView<'a> {
    /// The call's monotonic clock.
    pub clock: &'a MonotonicClock,
    /// The store's resource table, where timers are pushed.
    pub table: &'a mut ResourceTable,
}

impl VirtualTimeView<'_> {
    fn timer(&mut self, due: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let timer = self.table.push(VirtualTimer {
            clock: self.clock.clone(),
            due,
        })?;
        wasmtime_wasi::p2::subscribe(self.table, timer)
    }
}

impl monotonic_clock::Host for VirtualTimeView<'_> {
    fn now(&mut self) -> wasmtime::Result<u64> {
        Ok(self.clock.now())
    }

    fn resolution(&mut self) -> wasmtime::Result<u64> {
        Ok(1)
    }

    fn subscribe_instant(&mut self, when: u64) -> wasmtime::Result<Resource<DynPollable>> {
        self.timer(when)
    }

    fn subscribe_duration(&mut self, duration: u64) -> wasmtime::Result<Resource<DynPollable>> {
        let due = self.clock.now().saturating_add(duration);
        self.timer(due)
    }
}

/// Which standard stream a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// stdout and stderr of one call, kept in memory up to a cap. Output past the cap is
/// dropped (and the drop noted) instead of failing the plugin's write: a chatty
/// plugin is not a broken one.
#[derive(Clone)]
pub struct CapturedOutput {
    inner: Arc<Mutex<Captured>>,
}

struct Captured {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    cap: usize,
    dropped: usize,
}

impl CapturedOutput {
    pub fn new(cap: usize) -> Self {
        CapturedOutput {
            inner: Arc::new(Mutex::new(Captured {
                stdout: Vec::new(),
                stderr: Vec::new(),
                cap,
                dropped: 0,
            })),
        }
    }

    fn stream(&self, stream: Stream) -> CapturedStream {
        CapturedStream {
            inner: self.inner.clone(),
            stream,
        }
    }

    /// What was written to each stream, and how many bytes were dropped over the cap.
    pub fn take(&self) -> (Vec<u8>, Vec<u8>, usize) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (
            std::mem::take(&mut c.stdout),
            std::mem::take(&mut c.stderr),
            std::mem::take(&mut c.dropped),
        )
    }
}

struct CapturedStream {
    inner: Arc<Mutex<Captured>>,
    stream: Stream,
}

impl IsTerminal for CapturedStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl CapturedStream {
    fn another(&self) -> CapturedStream {
        CapturedStream {
            inner: self.inner.clone(),
            stream: self.stream,
        }
    }

    /// Keeps what fits under the cap; always reports the whole write as done.
    fn keep(&self, buf: &[u8]) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let room = c.cap.saturating_sub(c.stdout.len() + c.stderr.len());
        let kept = room.min(buf.len());
        c.dropped += buf.len() - kept;
        match self.stream {
            Stream::Stdout => c.stdout.extend_from_slice(&buf[..kept]),
            Stream::Stderr => c.stderr.extend_from_slice(&buf[..kept]),
        }
    }
}

impl StdoutStream for CapturedStream {
    // The WASI 0.2 stream is written synchronously, so that everything a plugin
    // printed is in the log when its call returns.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.another())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.another())
    }
}

#[async_trait::async_trait]
impl Pollable for CapturedStream {
    async fn ready(&mut self) {}
}

impl OutputStream for CapturedStream {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.keep(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl tokio::io::AsyncWrite for CapturedStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
