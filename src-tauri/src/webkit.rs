//! The environment WebKitGTK's processes start with. The web process (which runs the UI) and
//! the network process inherit the app's environment, so these are set first thing in `run`,
//! before GTK or any other thread starts. A variable the user has set (to anything, `0`
//! included) is left alone. What each saves is measured in docs/performance.md ("The app's
//! memory").

/// Each variable, the value Baton starts WebKit with, and why.
const DEFAULTS: &[(&str, &str)] = &[
    // The DMA-BUF renderer costs the web process about 60 MB more, which a dashboard gains
    // nothing from (and it draws blank windows on some GPUs).
    ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
    // JavaScriptCore's JIT compilers keep their code, profiles and compilers' heaps: the web
    // process held about 45 MiB more after 10 minutes of the demo fleet (184 against 140
    // MiB). Baton's UI redraws what change events bring, never a long computation; the
    // interpreter cost the web process about a quarter more CPU in a walk of the views.
    // (JavaScriptCore reads its options from `JSC_<option>` variables; a user sets
    // JSC_useJIT=1 to have the JIT back.)
    ("JSC_useJIT", "0"),
];

/// Sets every default the user has not set. Call before any thread starts (`set_var`).
pub fn prepare_environment() {
    #[cfg(target_os = "linux")]
    for (name, value) in missing(|name| std::env::var_os(name).is_some()) {
        std::env::set_var(name, value);
    }
}

/// The defaults whose variable is not set.
fn missing(is_set: impl Fn(&str) -> bool) -> Vec<(&'static str, &'static str)> {
    DEFAULTS
        .iter()
        .filter(|(name, _)| !is_set(name))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_the_user_set_is_left_alone() {
        let all = missing(|_| false);
        assert!(all.contains(&("WEBKIT_DISABLE_DMABUF_RENDERER", "1")));
        assert!(all.contains(&("JSC_useJIT", "0")));
        let jit_kept = missing(|name| name == "JSC_useJIT");
        assert!(jit_kept.iter().all(|(name, _)| *name != "JSC_useJIT"));
        assert_eq!(jit_kept.len(), DEFAULTS.len() - 1);
    }
}
