//! The real Baton app under Xvfb and tauri-driver, one data dir each, for end-to-end tests.

use std::path::PathBuf;
use std::process::Command;

use crate::display::{TauriDriver, Xvfb};
use crate::webdriver::Session;
use crate::{screenshot_dir, target_dir, workspace_root};

/// The app binary: `BATON_APP_BIN`, else the workspace's debug build (built once if missing).
pub fn app_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BATON_APP_BIN") {
        return PathBuf::from(path);
    }
    let path = target_dir().join("debug/baton-app");
    if !path.exists() {
        // A plain `cargo test` does not build other packages' binaries: build the app once.
        let status = Command::new(env!("CARGO"))
            .args(["build", "-p", "baton-app"])
            .current_dir(workspace_root())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build -p baton-app failed");
    }
    path
}

/// Launches one app at a time per test binary.
pub static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// One app under its own display, driver and data dir; torn down in order when dropped.
pub struct RunningApp {
    session: Option<Session>,
    _driver: TauriDriver,
    xvfb: Xvfb,
    _data: tempfile::TempDir,
}

impl RunningApp {
    pub async fn launch() -> RunningApp {
        RunningApp::launch_in(tempfile::tempdir().unwrap()).await
    }

    /// Launches the app on an existing data dir (to see what survives a restart).
    pub async fn launch_in(data: tempfile::TempDir) -> RunningApp {
        RunningApp::launch_with(data, &[]).await
    }

    /// Launches the app on `data` with more environment (`BATON_USER`, `BATON_HOST`, …).
    pub async fn launch_with(data: tempfile::TempDir, env: &[(&str, &str)]) -> RunningApp {
        assert!(
            workspace_root().join("ui/dist/index.html").exists(),
            "ui/dist is missing: run `npm --prefix ui run build` (make test does)"
        );
        RunningApp::launch_binary(&app_binary(), data, env).await
    }

    /// Launches another Tauri binary as the app is (the floor app of `floor_bench`): the same
    /// display, driver, data dir and environment.
    pub async fn launch_binary(
        app: &std::path::Path,
        data: tempfile::TempDir,
        env: &[(&str, &str)],
    ) -> RunningApp {
        let data_dir = data.path().to_str().unwrap().to_owned();
        let xvfb = Xvfb::start().expect("Xvfb");
        let mut envs = vec![
            ("DISPLAY", xvfb.display.as_str()),
            ("BATON_DATA_DIR", data_dir.as_str()),
            // Keep window state and WebKit caches out of the user's home.
            ("XDG_CONFIG_HOME", data_dir.as_str()),
            ("XDG_DATA_HOME", data_dir.as_str()),
            ("XDG_CACHE_HOME", data_dir.as_str()),
            ("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        ];
        envs.extend_from_slice(env);
        let driver = TauriDriver::start(&envs).expect("tauri-driver");
        let session = Session::start(&driver.url(), app)
            .await
            .expect("WebDriver session");
        // Keep the page's uncaught errors, to explain a failure (see `capture_failure`).
        let _ = session
            .execute(
                "window.__batonErrors = [];\
                 window.addEventListener('error', e => window.__batonErrors.push(String(e.message || e.error)));\
                 window.addEventListener('unhandledrejection', e => window.__batonErrors.push(String(e.reason)));",
                vec![],
            )
            .await;
        RunningApp {
            session: Some(session),
            _driver: driver,
            xvfb,
            _data: data,
        }
    }

    pub fn session(&self) -> &Session {
        self.session.as_ref().expect("session open")
    }

    /// The app's data directory (its store; `BATON_DATA_DIR`).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data.path()
    }

    /// Saves a screenshot of the display to target/e2e-screenshots/NAME.png.
    pub fn screenshot(&self, name: &str) -> Result<(), String> {
        self.xvfb
            .screenshot(&screenshot_dir().join(format!("{name}.png")))
    }

    /// Saves a screenshot and what the page holds, to explain a failure.
    pub async fn capture_failure(&self, name: &str) -> String {
        let session = self.session();
        let _ = self.screenshot(&format!("failure-{name}"));
        let page = session
            .execute(
                "return document.location.href + ' :: ' + document.body.innerText.slice(0, 500)\
                   + ' :: errors: ' + JSON.stringify(window.__batonErrors || []);",
                vec![],
            )
            .await
            .map(|v| v.to_string())
            .unwrap_or_else(|e| e);
        format!("page: {page}; screenshot target/e2e-screenshots/failure-{name}.png")
    }

    /// Ends a test's drive: on failure a screenshot and the page explain it (`failure-NAME`),
    /// then the app closes; panics with `name` and the error.
    pub async fn finish(self, name: &str, result: Result<(), String>) {
        let result = match result {
            Ok(()) => Ok(()),
            Err(err) => Err(format!("{err}; {}", self.capture_failure(name).await)),
        };
        self.close().await;
        if let Err(err) = result {
            panic!("{name}: {err}");
        }
    }

    /// Ends the WebDriver session (which closes the app) before the driver stops; hands back
    /// the data dir.
    pub async fn close(mut self) -> tempfile::TempDir {
        if let Some(session) = self.session.take() {
            let _ = session.end().await;
        }
        let RunningApp {
            _driver,
            xvfb,
            _data,
            ..
        } = self;
        drop(_driver);
        drop(xvfb);
        _data
    }
}

/// Adds an agent as a person would, by its URL alone (polled every second): Test connection
/// must find A2A and fill in `card_name` from the agent's card. What the form said it found
/// (e.g. "A2A 1.0 over JSON-RPC"); a screenshot `agent-form-<shot>` before saving.
pub async fn add_a2a_agent_by_url(
    app: &RunningApp,
    url: &str,
    card_name: &str,
    shot: &str,
) -> Result<String, String> {
    const LONG: std::time::Duration = std::time::Duration::from_secs(30);
    let session = app.session();
    session.wait_for("[data-testid=start-demo]", LONG).await?;
    session
        .click_first("[data-testid=nav-agents]", LONG)
        .await?;
    session.click_first("[data-testid=add-agent]", LONG).await?;
    for (field, value) in [
        ("agent-url", url),
        ("agent-interval", "1000"),
        ("agent-timeout", "900"),
    ] {
        let input = session
            .wait_for(&format!("[data-testid={field}]"), LONG)
            .await?;
        session.type_into(&input, value).await?;
    }
    session
        .click_first("[data-testid=agent-test]", LONG)
        .await?;
    let detected = session
        .wait_for("[data-testid=agent-detected][data-adapter=a2a]", LONG)
        .await?;
    let detected = session.text(&detected).await?;
    let name = session.wait_for("[data-testid=agent-name]", LONG).await?;
    let name = session.property(&name, "value").await?;
    if name != card_name {
        return Err(format!("the name was not taken from the card: {name}"));
    }
    app.screenshot(&format!("agent-form-{shot}"))?;
    session
        .click_first("[data-testid=agent-save]", LONG)
        .await?;
    Ok(detected)
}
