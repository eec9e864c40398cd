//! `baton`'s allocator: mimalloc, which spends less of a watcher's CPU than glibc's malloc on the
//! many small rows it stores and frees a second on several threads (docs/performance.md, "The
//! allocator"). The app keeps the system's until its memory floor is measured with it.
//!
//! mimalloc gives memory it no longer uses back to the system a while after it was freed (its
//! "purge delay", 1 s by default in mimalloc 3, 10 s for arenas). A watcher frees memory a
//! second after a second (each round of polls, each detector run), so with the delay the freed
//! memory was mostly taken again before it went back: 1,000 static agents polled every second
//! held 8 MiB more (`vs_prometheus`, 96 against 88 MiB mean RSS, the same CPU). `baton`
//! purges at once unless `MIMALLOC_PURGE_DELAY` says otherwise.

use std::ffi::{c_int, c_long};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (its header, `include/mimalloc.h`; the
/// Rust bindings leave it out): the test below checks that mimalloc reads this option from
/// `MIMALLOC_PURGE_DELAY`.
const MI_OPTION_PURGE_DELAY: c_int = 15;

extern "C" {
    fn mi_option_set(option: c_int, value: c_long);
    #[cfg(test)]
    fn mi_option_get(option: c_int) -> c_long;
}

/// Purge freed memory at once (see the module docs), unless the environment sets the delay.
pub fn purge_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one of mimalloc's options (an integer it reads when it purges); called
        // first thing in `main`, before other threads start (mi_option_set is not thread-safe).
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::{mi_option_get, MI_OPTION_PURGE_DELAY};

    const CHILD: &str = "BATON_TEST_PURGE_DELAY_CHILD";

    /// Run again as a child process with `MIMALLOC_PURGE_DELAY` set (mimalloc reads its
    /// environment once): the option numbered [`MI_OPTION_PURGE_DELAY`] has that value.
    #[test]
    fn the_purge_delay_option_is_the_one_mimalloc_reads_from_its_environment() {
        if let Ok(expected) = std::env::var(CHILD) {
            // SAFETY: reads one of mimalloc's options.
            let read = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
            assert_eq!(read.to_string(), expected);
            return;
        }
        let name = "allocator::tests::the_purge_delay_option_is_the_one_mimalloc_reads_from_its_environment";
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", name, "--nocapture"])
            .env("MIMALLOC_PURGE_DELAY", "4321")
            .env(CHILD, "4321")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&child.stdout);
        assert!(child.status.success(), "{said}");
        assert!(said.contains("1 passed"), "the child ran no test: {said}");
    }
}
