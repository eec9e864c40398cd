//! The memory of a running app, read from /proc: the app's process (found by its data folder)
//! and every process under it (WebKit's web and network processes, anything else it started),
//! each with its proportional set size (PSS) and what that is made of. Used by `soak_bench`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// One process's memory in KiB, from its `smaps_rollup`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProcessMemory {
    pub pid: u32,
    /// The kernel's name for it (`comm`: at most 15 characters, e.g. `WebKitWebProces`).
    pub name: String,
    pub pss: u64,
    /// PSS of anonymous memory (heaps, JS, caches, private copies of library data).
    pub pss_anon: u64,
    /// PSS of file-backed memory (the binary and shared libraries, shared with other processes).
    pub pss_file: u64,
    pub rss: u64,
}

/// The app whose environment holds `BATON_DATA_DIR=<data>` and its descendants, sorted by pid
/// (the app first: its children start after it). Empty when the app is not running.
pub fn app_processes(data: &Path) -> Vec<ProcessMemory> {
    let wanted = format!("BATON_DATA_DIR={}", data.display());
    let mut parents: HashMap<u32, u32> = HashMap::new();
    let mut app = None;
    for pid in pids() {
        let Some(parent) = parent_of(pid) else {
            continue;
        };
        parents.insert(pid, parent);
        if app.is_none() && name_of(pid).starts_with("baton-app") && has_env(pid, &wanted) {
            app = Some(pid);
        }
    }
    let Some(app) = app else {
        return Vec::new();
    };
    let mut found: Vec<ProcessMemory> = parents
        .keys()
        .filter(|&&pid| descends_from(pid, app, &parents))
        .filter_map(|&pid| memory_of(pid))
        .collect();
    found.sort_by_key(|p| p.pid);
    found
}

/// PSS per process name, summed over processes of one name (two web processes are one line).
pub fn by_name(processes: &[ProcessMemory]) -> BTreeMap<String, u64> {
    let mut sums = BTreeMap::new();
    for p in processes {
        *sums.entry(p.name.clone()).or_insert(0) += p.pss;
    }
    sums
}

/// A short label for a process name: `app`, `web`, `network`, or the name itself.
pub fn label(name: &str) -> &str {
    if name.starts_with("baton-app") {
        "app"
    } else if name.starts_with("WebKitWebProces") {
        "web"
    } else if name.starts_with("WebKitNetworkPr") {
        "network"
    } else {
        name
    }
}

/// Whether the process maps a file whose path holds `needle` (`libLLVM`: Mesa's llvmpipe).
pub fn maps_file(pid: u32, needle: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/maps"))
        .is_ok_and(|maps| maps.lines().any(|l| l.contains('/') && l.contains(needle)))
}

/// Where a process' PSS is, by what is mapped (a file's name, `[heap]`, `[anon]` for unnamed
/// memory), largest first: `(what, PSS KiB, of it anonymous KiB)`, from `/proc/PID/smaps`.
pub fn mappings(pid: u32) -> Vec<(String, u64, u64)> {
    let Ok(smaps) = std::fs::read_to_string(format!("/proc/{pid}/smaps")) else {
        return Vec::new();
    };
    let mut sums: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut current = String::new();
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        let kib = || -> u64 {
            line.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        match first {
            "Pss:" => sums.entry(current.clone()).or_default().0 += kib(),
            "Anonymous:" => sums.entry(current.clone()).or_default().1 += kib(),
            _ if first.contains('-') && !first.ends_with(':') => {
                // A mapping's header: range, perms, offset, device, inode, then the path.
                let path = words.nth(4).unwrap_or("[anon]");
                current = path.rsplit('/').next().unwrap_or(path).to_owned();
            }
            _ => {}
        }
    }
    let mut found: Vec<(String, u64, u64)> = sums
        .into_iter()
        .map(|(what, (pss, anon))| (what, pss, anon))
        .collect();
    found.sort_by_key(|(_, pss, _)| std::cmp::Reverse(*pss));
    found
}

fn pids() -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

fn name_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn has_env(pid: u32, wanted: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .map(|env| env.split(|b| *b == 0).any(|v| v == wanted.as_bytes()))
        .unwrap_or(false)
}

/// The parent's pid, from `/proc/PID/stat` (the field after the `(comm)`, which may hold spaces).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

fn descends_from(mut pid: u32, ancestor: u32, parents: &HashMap<u32, u32>) -> bool {
    for _ in 0..64 {
        if pid == ancestor {
            return true;
        }
        match parents.get(&pid) {
            Some(&parent) if parent != 0 && parent != pid => pid = parent,
            _ => return false,
        }
    }
    false
}

fn memory_of(pid: u32) -> Option<ProcessMemory> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let field = |name: &str| -> u64 {
        rollup
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse().ok())
            .unwrap_or(0)
    };
    Some(ProcessMemory {
        pid,
        name: name_of(pid),
        pss: field("Pss:"),
        pss_anon: field("Pss_Anon:"),
        pss_file: field("Pss_File:"),
        rss: field("Rss:"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_read_and_is_no_app() {
        let me = memory_of(std::process::id()).expect("our own smaps_rollup");
        assert!(me.pss > 0 && me.rss >= me.pss, "{me:?}");
        assert!(me.pss_anon + me.pss_file <= me.pss + 1, "{me:?}");
        assert_eq!(
            parent_of(std::process::id()),
            Some(std::os::unix::process::parent_id())
        );
        let nowhere = std::env::temp_dir().join("no-baton-app-runs-here");
        assert!(app_processes(&nowhere).is_empty());
        let mine = mappings(std::process::id());
        assert!(mine
            .iter()
            .any(|(what, _, _)| what == "[heap]" || what == "[anon]"));
        // The mappings' anonymous memory against the rollup's: this process's own pages, which
        // no other process shares. (Its file pages' PSS moves whenever another process mapping
        // the same files starts or ends, as the suite's other test processes do, between the
        // two reads.)
        let anon: u64 = mine.iter().map(|(_, _, anon)| anon).sum();
        assert!(
            anon.abs_diff(me.pss_anon) <= me.pss_anon / 10 + 64,
            "{anon} against {me:?}"
        );
        assert!(mine.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn descendants_and_labels() {
        let parents = HashMap::from([(10, 1), (11, 10), (12, 11), (20, 1)]);
        assert!(descends_from(12, 10, &parents));
        assert!(descends_from(10, 10, &parents));
        assert!(!descends_from(20, 10, &parents));
        assert_eq!(label("WebKitWebProces"), "web");
        assert_eq!(label("WebKitNetworkPr"), "network");
        assert_eq!(label("baton-app"), "app");
        assert_eq!(label("git"), "git");
        let two_webs = [
            ProcessMemory {
                name: "WebKitWebProces".into(),
                pss: 3,
                ..Default::default()
            },
            ProcessMemory {
                name: "WebKitWebProces".into(),
                pss: 4,
                ..Default::default()
            },
        ];
        assert_eq!(by_name(&two_webs)["WebKitWebProces"], 7);
    }
}
