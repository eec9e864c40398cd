//! The environment WebKitGTK's processes start with. The web process (which runs the UI) and
//! the network process inherit the app's environment, so these are set first thing in `run`,
//! before GTK or any other thread starts. A variable the user has set (to anything, `0` or
//! the empty string included) is left alone. What each saves is measured in
//! docs/performance.md ("The app's memory").

/// Each variable, the value Baton starts WebKit with, and why.
const DEFAULTS: &[(&str, &str)] = &[
    // The DMA-BUF renderer costs the web process about 60 MB more, which a dashboard gains
    // nothing from (and it draws blank windows on some GPUs).
    (DMABUF_OFF, "1"),
    // JavaScriptCore's JIT compilers keep their code, profiles and compilers' heaps: the web
    // process held about 45 MiB more after 10 minutes of the demo fleet (184 against 140
    // MiB). Baton's UI redraws what change events bring, never a long computation; the
    // interpreter cost the web process about a quarter more CPU in a walk of the views.
    // (JavaScriptCore reads its options from `JSC_<option>` variables; a user sets
    // JSC_useJIT=1 to have the JIT back.)
    ("JSC_useJIT", "0"),
    // GTK 3 on X11 loads the GL driver at start only to pick visuals for GL windows; Baton's
    // window draws no GL of its own (the web process renders the page). Without a GPU that
    // driver is Mesa's llvmpipe, which maps libLLVM into the app process.
    ("GDK_GL", "disable"),
];

const DMABUF_OFF: &str = "WEBKIT_DISABLE_DMABUF_RENDERER";

/// Names the GPU the web process would render on. Unset, WebKit's UI process opens an EGL
/// display just to ask which GPU that is, loading the GL driver (and with llvmpipe libLLVM)
/// into the app process for the app's whole life. It only matters to the DMA-BUF renderer,
/// so it is set only while that is off.
const RENDER_DEVICE: &str = "WEBKIT_WEB_RENDER_DEVICE_FILE";

/// Sets every default the user has not set. Call before any thread starts (`set_var`).
pub fn prepare_environment() {
    #[cfg(target_os = "linux")]
    {
        let set = |name: &str| std::env::var_os(name).is_some();
        for (name, value) in missing(set) {
            std::env::set_var(name, value);
        }
        let dmabuf_off = std::env::var(DMABUF_OFF).is_ok_and(|v| v != "0");
        let nodes = || render_nodes(std::path::Path::new("/dev/dri"));
        if let Some(node) = render_device(set, dmabuf_off, nodes) {
            std::env::set_var(RENDER_DEVICE, node);
        }
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

/// What `WEBKIT_WEB_RENDER_DEVICE_FILE` is set to, if anything: the first render node (what
/// WebKit itself falls back to), or `none` on a machine without one (where WebKit's EGL query
/// answers no device either).
fn render_device(
    is_set: impl Fn(&str) -> bool,
    dmabuf_off: bool,
    nodes: impl FnOnce() -> Vec<String>,
) -> Option<String> {
    if is_set(RENDER_DEVICE) || !dmabuf_off {
        return None;
    }
    Some(
        nodes()
            .into_iter()
            .next()
            .unwrap_or_else(|| "none".to_owned()),
    )
}

/// The DRM render nodes in `dir` (`/dev/dri`: `renderD128`, …), in number order.
fn render_nodes(dir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut nodes: Vec<(u32, String)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let number = name.strip_prefix("renderD")?.parse().ok()?;
            Some((number, e.path().to_string_lossy().into_owned()))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, path)| path).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_the_user_set_is_left_alone() {
        let all = missing(|_| false);
        assert!(all.contains(&(DMABUF_OFF, "1")));
        assert!(all.contains(&("JSC_useJIT", "0")));
        assert!(all.contains(&("GDK_GL", "disable")));
        let jit_kept = missing(|name| name == "JSC_useJIT");
        assert!(jit_kept.iter().all(|(name, _)| *name != "JSC_useJIT"));
        assert_eq!(jit_kept.len(), DEFAULTS.len() - 1);
    }

    #[test]
    fn the_render_device_is_named_only_while_the_dmabuf_renderer_is_off() {
        let nodes = || {
            vec![
                "/dev/dri/renderD128".to_owned(),
                "/dev/dri/renderD129".into(),
            ]
        };
        assert_eq!(
            render_device(|_| false, true, nodes).as_deref(),
            Some("/dev/dri/renderD128")
        );
        assert_eq!(
            render_device(|_| false, true, Vec::new).as_deref(),
            Some("none")
        );
        assert_eq!(render_device(|_| false, false, nodes), None);
        assert_eq!(
            render_device(|name| name == RENDER_DEVICE, true, nodes),
            None
        );
    }

    #[test]
    fn render_nodes_are_the_render_d_files_in_number_order() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["card0", "renderD129", "renderD128", "renderDx", "by-path"] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        let found = render_nodes(dir.path());
        let names: Vec<&str> = found.iter().map(|p| &p[p.len() - 10..]).collect();
        assert_eq!(names, ["renderD128", "renderD129"]);
        assert!(render_nodes(&dir.path().join("absent")).is_empty());
    }
}
