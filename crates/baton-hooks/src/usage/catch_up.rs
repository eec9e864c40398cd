//! Reading the record files of live sessions outside their hook calls: what a hook call left
//! (it reads at most a few MB), what a client writes after its last hook call of a turn (Codex
//! counts a response's tokens after the tool it asked for ran), and a long transcript's first
//! reading. The app and `baton watch` do it every few seconds (beside their hook socket), and
//! `baton usage` before it answers.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use baton_store::Store;
use chrono::Utc;

use super::TranscriptFeed;

/// Sessions seen within this long are caught up.
const LIVE_HOURS: i64 = 24;
/// How often the background reading looks.
pub const EVERY: Duration = Duration::from_secs(2);

/// Reads what the record files of the sessions seen in the last day hold past their cursors,
/// on this machine (a file that is not here is passed by). The warnings, one line each.
pub fn catch_up(store: &mut Store) -> Vec<String> {
    let now = Utc::now();
    let Ok(sources) = store.usage_sources(now - chrono::Duration::hours(LIVE_HOURS)) else {
        return Vec::new();
    };
    let mut warnings = Vec::new();
    for source in sources {
        let path = Path::new(&source.cursor.path);
        let Ok(meta) = std::fs::metadata(path) else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        let same = format!("{}:{}", meta.dev(), meta.ino()) == source.cursor.file_key;
        if same && meta.len() == source.cursor.read_to {
            continue;
        }
        let mut feed = TranscriptFeed::whole(path);
        match store.catch_up_usage(source.agent_id, &mut feed, Utc::now()) {
            Ok(said) => warnings.extend(said),
            Err(err) => warnings.push(format!(
                "cannot record the usage of {}: {err}",
                path.display()
            )),
        }
    }
    warnings
}

/// Catches up every [`EVERY`] on a thread of its own until `stop` is set; each warning goes to
/// the process' stderr.
pub fn spawn(
    mut store: Store,
    stop: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("baton-usage".into())
        .spawn(move || {
            while !stop.load(Ordering::Acquire) {
                for warning in catch_up(&mut store) {
                    eprintln!("baton: usage: {warning}");
                }
                let mut slept = Duration::ZERO;
                while slept < EVERY && !stop.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(100));
                    slept += Duration::from_millis(100);
                }
            }
        })
}
