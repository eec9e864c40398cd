//! Hands back the code and read-only file pages the app's start touched. Starting maps most
//! of the app's binary and WebKit's UI-process libraries into the process (code run once:
//! parsing the config, building the window, opening the store, the first draw; and the kernel
//! maps 64 KiB around every page faulted in). A little after the start, every read-only
//! file-backed mapping whose pages are all the file's own (never written: code, read-only
//! data) is dropped from the process' page tables with `madvise(MADV_DONTNEED)`; the pages
//! stay in the system's page cache, and what the app still runs is mapped again on its next
//! use (a minor fault). Mappings holding private copies (relocated data) are left alone.
//! What it saves is measured in docs/performance.md ("the floor").
//!
//! `BATON_CODE_PAGES_AFTER_S` sets the delay in seconds; `0` turns it off.

use std::time::Duration;

const DEFAULT_AFTER_S: u64 = 20;
const AFTER_VAR: &str = "BATON_CODE_PAGES_AFTER_S";

/// The delay to apply, if any: the user's (`0`: never), else the default.
fn after(var: Option<&str>) -> Option<Duration> {
    let seconds = match var.map(str::trim) {
        None | Some("") => DEFAULT_AFTER_S,
        Some(v) => v.parse().unwrap_or_else(|_| {
            tracing::warn!(value = v, "{AFTER_VAR} is not a number of seconds");
            DEFAULT_AFTER_S
        }),
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// Once, after the delay, drops the start's code pages (on the app's async runtime).
pub fn release_after_start() {
    let Some(delay) = after(std::env::var(AFTER_VAR).ok().as_deref()) else {
        return;
    };
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(delay).await;
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap_or_default();
        let mut released = 0usize;
        for (start, end) in clean_file_mappings(&smaps) {
            released += advise(start, end);
        }
        tracing::info!(kib = released / 1024, "code pages handed back");
    });
}

/// The address ranges of read-only, file-backed mappings without private copies, from the
/// text of `/proc/self/smaps`.
fn clean_file_mappings(smaps: &str) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    // The mapping being read: its range, and whether it may be dropped so far.
    let mut current: Option<(usize, usize, bool)> = None;
    let mut close = |current: Option<(usize, usize, bool)>| {
        if let Some((start, end, true)) = current {
            found.push((start, end));
        }
    };
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-').filter(|_| !first.ends_with(':')) {
            close(current.take());
            let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            ) else {
                continue;
            };
            let perms = words.next().unwrap_or("");
            let path: Vec<&str> = words.skip(3).collect();
            // A file still on disk (not a device, shared memory or a deleted file).
            let on_disk =
                path.len() == 1 && path[0].starts_with('/') && !path[0].starts_with("/dev/");
            let read_only_file = matches!(perms, "r-xp" | "r--p" | "r-xs" | "r--s") && on_disk;
            current = Some((start, end, read_only_file));
        } else if first == "Anonymous:" && words.next() != Some("0") {
            // Some page was written (relocations): a private copy that must stay.
            if let Some(c) = current.as_mut() {
                c.2 = false;
            }
        }
    }
    close(current);
    found
}

/// Drops `start..end` from this process' page tables; the bytes advised (0 on failure).
fn advise(start: usize, end: usize) -> usize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: the range is a whole read-only mapping of a file whose pages are all the
        // file's (checked in smaps just before): dropping them loses nothing, the next access
        // maps the same bytes again.
        let done =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if done == 0 {
            return end - start;
        }
    }
    let _ = (start, end);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_is_the_users_zero_turns_it_off() {
        assert_eq!(after(None), Some(Duration::from_secs(DEFAULT_AFTER_S)));
        assert_eq!(after(Some(" 5 ")), Some(Duration::from_secs(5)));
        assert_eq!(after(Some("0")), None);
        assert_eq!(
            after(Some("soon")),
            Some(Duration::from_secs(DEFAULT_AFTER_S))
        );
    }

    #[test]
    fn only_read_only_file_mappings_without_private_copies() {
        let smaps = "\
1000-3000 r-xp 00000000 fe:00 12 /usr/lib/libwebkit2gtk.so
Rss:                   8 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me
3000-4000 r--p 00002000 fe:00 12 /usr/lib/libwebkit2gtk.so
Anonymous:             4 kB
4000-5000 rw-p 00003000 fe:00 12 /usr/lib/libwebkit2gtk.so
Anonymous:             0 kB
5000-6000 r--p 00000000 00:00 0 
Anonymous:             0 kB
6000-8000 r--p 00000000 fe:00 13 /usr/share/icu/icudt72l.dat
Anonymous:             0 kB
9000-a000 r--s 00000000 00:01 7 /SYSV00000000 (deleted)
Anonymous:             0 kB
8000-9000 r-xp 00000000 00:00 0 [vdso]
Anonymous:             0 kB
";
        assert_eq!(
            clean_file_mappings(smaps),
            [(0x1000, 0x3000), (0x6000, 0x8000)]
        );
    }

    #[test]
    fn this_process_has_code_to_hand_back_and_survives_it() {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let found = clean_file_mappings(&smaps);
        assert!(!found.is_empty());
        let advised: usize = found.iter().map(|&(s, e)| advise(s, e)).sum();
        assert!(advised > 0);
        // Still running the code just dropped.
        assert_eq!(after(Some("3")), Some(Duration::from_secs(3)));
    }
}
