//! The process an engine runs in: its tokio runtime and its allocator's settings, the same for
//! `baton watch`, `baton preview` and the desktop app.
//!
//! Measured with `fleet_load` (docs/performance-log.md, 2026-11-25): the blocking pool grew to its
//! cap (16 threads) under load although at most [`baton_store::handle::DEFAULT_READERS`] reads
//! run at once, because tokio starts a new thread whenever none is idle at the instant of a
//! `spawn_blocking`. glibc gives each thread that allocates an arena of its own (up to eight
//! per core), and memory freed in one arena is not reused by the others: with two arenas the
//! same load ran in 117 MiB instead of 163 MiB.

/// Blocking threads: the store's readers (bounded by a semaphore in the engine) plus keyring
/// calls and git's merge checks. A task beyond them waits for a thread; none is refused.
pub const BLOCKING_THREADS: usize = 8;

/// glibc arenas for the whole process: one for the main thread, one shared by the rest.
const MALLOC_ARENAS: i32 = 2;

/// The runtime an engine runs on: tokio's threaded scheduler with every driver on and the
/// blocking pool bounded, built after the allocator is set (see the module docs).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    limit_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
}

/// Caps glibc's arenas (see the module docs); elsewhere nothing to do. Call it before threads
/// start: the limit applies to arenas made after the call.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tunable of glibc's allocator; any value is valid.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}
