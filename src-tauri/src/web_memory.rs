//! A memory limit for WebKit's web process (the one that runs the UI). Past a fraction of it,
//! the process frees its caches, collects JavaScript's garbage and hands freed heap back to the
//! system; it is never killed. WebKit's own limit is sized for a browser (gigabytes, from the
//! machine's RAM), so a dashboard never reaches it and keeps what it once needed. With 50 MB
//! the web process held about 12 MiB less in the demo, for no more CPU: docs/performance.md
//! ("The app's memory").
//!
//! WebKitGTK takes these settings only when a web context is built, and the context is built
//! inside wry with no way to pass them; so the context's class constructor is wrapped (the
//! GObject way a subclass overrides it) to add the settings when the builder gave none.
//!
//! `BATON_WEB_MEMORY_LIMIT_MB` sets the limit; `0` turns it off (WebKit's own sizing).

/// The limit when the user gives none, in MB.
const DEFAULT_LIMIT_MB: u32 = 50;
const LIMIT_VAR: &str = "BATON_WEB_MEMORY_LIMIT_MB";

/// The limit to apply, if any: the user's (`0`: none), else the default.
fn limit_mb(var: Option<&str>) -> Option<u32> {
    match var.map(str::trim) {
        None | Some("") => Some(DEFAULT_LIMIT_MB),
        Some(v) => match v.parse::<u32>() {
            Ok(0) => None,
            Ok(mb) => Some(mb),
            Err(_) => {
                tracing::warn!(
                    value = v,
                    "{LIMIT_VAR} is not a number of MB: the default applies"
                );
                Some(DEFAULT_LIMIT_MB)
            }
        },
    }
}

/// Applies the limit to the web processes of every web context built from now on. Call on the
/// main thread before the window is built.
pub fn limit_web_process() {
    #[cfg(target_os = "linux")]
    if let Some(mb) = limit_mb(std::env::var(LIMIT_VAR).ok().as_deref()) {
        // SAFETY: called once, on the main thread, before any web context exists.
        unsafe { linux::install(mb) };
        tracing::info!(limit_mb = mb, "web process memory limit");
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CStr;
    use std::sync::OnceLock;

    use webkit2gtk::ffi;
    use webkit2gtk::glib::ffi::GType;
    use webkit2gtk::glib::gobject_ffi::{
        g_type_class_ref, g_value_get_boxed, g_value_set_boxed, GObject, GObjectClass,
        GObjectConstructParam,
    };

    type Constructor = unsafe extern "C" fn(GType, u32, *mut GObjectConstructParam) -> *mut GObject;

    /// WebKit's constructor, and the settings (a pointer kept for the app's life) to add.
    static ORIGINAL: OnceLock<(Constructor, usize)> = OnceLock::new();

    const PROPERTY: &CStr = c"memory-pressure-settings";

    /// Wraps `WebKitWebContext`'s constructor so that a context built without memory-pressure
    /// settings gets `limit_mb`'s. The fractions: free caches from WebKit's default third of
    /// the limit, harder from 80 % (WebKit's 50 % raised), never kill; checked every 10 s.
    pub unsafe fn install(limit_mb: u32) {
        let settings = ffi::webkit_memory_pressure_settings_new();
        ffi::webkit_memory_pressure_settings_set_memory_limit(settings, limit_mb);
        // Each threshold must stay below the next one at the moment it is set.
        ffi::webkit_memory_pressure_settings_set_strict_threshold(settings, 0.8);
        ffi::webkit_memory_pressure_settings_set_kill_threshold(settings, 0.0);
        ffi::webkit_memory_pressure_settings_set_poll_interval(settings, 10.0);
        // The class is referenced for the app's life: its vtable must outlive every context.
        let class = g_type_class_ref(ffi::webkit_web_context_get_type()) as *mut GObjectClass;
        let Some(original) = (*class).constructor else {
            return;
        };
        if ORIGINAL.set((original, settings as usize)).is_ok() {
            (*class).constructor = Some(construct);
        }
    }

    unsafe extern "C" fn construct(
        type_: GType,
        n_params: u32,
        params: *mut GObjectConstructParam,
    ) -> *mut GObject {
        let (original, settings) = *ORIGINAL.get().expect("installed before use");
        for i in 0..n_params as usize {
            let param = &*params.add(i);
            let name = CStr::from_ptr((*param.pspec).name);
            if name == PROPERTY && g_value_get_boxed(param.value).is_null() {
                // GObject copies the boxed value and frees its copy after construction.
                g_value_set_boxed(param.value, settings as *const _);
            }
        }
        original(type_, n_params, params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_the_users_zero_turns_it_off_and_nonsense_keeps_the_default() {
        assert_eq!(limit_mb(None), Some(DEFAULT_LIMIT_MB));
        assert_eq!(limit_mb(Some("")), Some(DEFAULT_LIMIT_MB));
        assert_eq!(limit_mb(Some("160")), Some(160));
        assert_eq!(limit_mb(Some(" 160 ")), Some(160));
        assert_eq!(limit_mb(Some("0")), None);
        assert_eq!(limit_mb(Some("lots")), Some(DEFAULT_LIMIT_MB));
    }
}
