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

/// Workers of the engine's runtime: one. The pollers mostly wait (on the agents, on timers)
/// and the heavy work runs on threads of its own (the store's writer and readers, the
/// detectors); with a worker per core, each timer and each answer woke another worker to
/// steal the task: 1,000 static agents at 1 s cost 14.5 % of a core with two workers and 11.8 %
/// with one (`vs_prometheus`, 2026-11-29), and 1,000 busy agents the same (121 / 125 %, every
/// poll on time). `TOKIO_WORKER_THREADS` still sets another count.
pub const ENGINE_WORKERS: usize = 1;

/// The runtime an engine runs on: tokio's threaded scheduler with [`ENGINE_WORKERS`] workers
/// (a blocking call inside a task may move off the worker: `block_in_place`), every driver on
/// and the blocking pool bounded, built after the allocator is set (see the module docs).
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    limit_malloc_arenas();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        builder.worker_threads(ENGINE_WORKERS);
    }
    builder
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
