//! A minimal W3C WebDriver client over reqwest: sessions, elements, clicks, keys, scripts and
//! screenshots. Every call has a timeout, so a wedged driver fails the test instead of hanging it.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Keys of an element reference in JSON: the legacy one, and the W3C one.
const ELEMENT_KEY: &str = "ELEMENT";
const ELEMENT_KEY_W3C: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    http: reqwest::Client,
    base: String,
    id: String,
}

#[derive(Debug, Clone)]
pub struct Element(String);

pub type Result<T> = std::result::Result<T, String>;

impl Session {
    /// Opens a session that launches `application` (the Tauri app binary) through tauri-driver.
    pub async fn start(driver_url: &str, application: &Path) -> Result<Session> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string())?;
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "wry",
                    "tauri:options": { "application": application.display().to_string() }
                }
            }
        });
        // tauri-driver starts WebKitWebDriver on the first request; on a busy machine it can
        // drop that request while the native driver is still coming up. Try again a few times.
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            match http
                .post(format!("{driver_url}/session"))
                .json(&capabilities)
                .send()
                .await
            {
                Ok(response) => break response,
                Err(err) if attempt < 5 && (err.is_connect() || err.is_request()) => {
                    eprintln!("new session, attempt {attempt}: {err}; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(err) => return Err(format!("new session: {err}")),
            }
        };
        let answer: Value = response
            .json()
            .await
            .map_err(|e| format!("new session answer: {e}"))?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no session id in {answer}"))?
            .to_owned();
        Ok(Session {
            http,
            base: driver_url.to_owned(),
            id,
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let url = format!("{}/session/{}{}", self.base, self.id, path);
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{path}: HTTP {status}: {}", value["value"]));
        }
        Ok(value["value"].clone())
    }

    pub async fn find_all(&self, css: &str) -> Result<Vec<Element>> {
        // WebKitWebDriver answers a lookup with "stale element reference" when a matched node
        // is re-rendered while it builds the handles; a lookup can always be made again.
        let mut tries = 0;
        let found = loop {
            let answer = self
                .call(
                    reqwest::Method::POST,
                    "/elements",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            match answer {
                Err(err) if err.contains("stale element reference") && tries < 5 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => break other?,
            }
        };
        if std::env::var_os("BATON_E2E_DEBUG").is_some() {
            eprintln!("find_all {css}: {found}");
        }
        Ok(found
            .as_array()
            .map(|items| items.iter().filter_map(element_id).map(Element).collect())
            .unwrap_or_default())
    }

    /// Waits until `css` matches at least one element, and returns the first.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(first) = self.find_all(css).await?.into_iter().next() {
                return Ok(first);
            }
            if Instant::now() > deadline {
                return Err(format!("nothing matched {css} within {timeout:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the first element matching `css` has text containing `needle`; returns it.
    pub async fn wait_for_text(
        &self,
        css: &str,
        needle: &str,
        timeout: Duration,
    ) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::new();
        loop {
            if let Some(first) = self.find_all(css).await?.into_iter().next() {
                last = self.text(&first).await.unwrap_or_default();
                if last.contains(needle) {
                    return Ok(last);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{css} never said {needle:?} within {timeout:?}; last text {last:?}"
                ));
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Clicks the first element matching `css`, finding it again if the page re-rendered it
    /// between finding and clicking (a live board replaces cards as they move).
    pub async fn click_first(&self, css: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let element = self.wait_for(css, timeout).await?;
            match self.click(&element).await {
                Err(err) if err.contains("stale element") && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    pub async fn click(&self, element: &Element) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", element.0),
            Some(json!({})),
        )
        .await
        .map(drop)
    }

    /// Replaces an input's value by typing, the way a person would: go to the end, backspace
    /// over what is there, type. (WebDriver's "clear" bypasses the page's input events, so React
    /// would not see it.)
    pub async fn type_into(&self, element: &Element, text: &str) -> Result<()> {
        const END: char = '\u{E010}';
        const BACKSPACE: char = '\u{E003}';
        self.click(element).await?;
        let current = self.property(element, "value").await?;
        let length = current.as_str().map(|v| v.chars().count()).unwrap_or(0);
        let mut keys = String::new();
        keys.push(END);
        keys.extend(std::iter::repeat_n(BACKSPACE, length));
        keys.push_str(text);
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", element.0),
            Some(json!({ "text": keys })),
        )
        .await
        .map(drop)
    }

    pub async fn text(&self, element: &Element) -> Result<String> {
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{}/text", element.0),
                None,
            )
            .await?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    pub async fn property(&self, element: &Element, name: &str) -> Result<Value> {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{}/property/{name}", element.0),
            None,
        )
        .await
    }

    /// Runs a script in the page and returns its result.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// Resizes the app's window to `width` × `height` CSS pixels (the window's outer size).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await
        .map(drop)
    }

    /// Sends keys to the focused element (e.g. keyboard shortcuts).
    pub async fn keys(&self, text: &str) -> Result<()> {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                [
                    json!({"type": "keyDown", "value": c.to_string()}),
                    json!({"type": "keyUp", "value": c.to_string()}),
                ]
            })
            .collect();
        self.call(
            reqwest::Method::POST,
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        )
        .await
        .map(drop)
    }

    /// Presses a view's keyboard shortcut (`1`–`7`, as the nav shows them) and waits until the
    /// nav marks the view its key names as the one shown. A key pressed before the page
    /// listens for it (a loaded machine, the app just started) goes nowhere: it is pressed
    /// again until the view shows, for up to 30 s.
    pub async fn show_view_by_key(&self, key: &str) -> Result<()> {
        let timeout = Duration::from_secs(30);
        let shown = format!("nav [aria-keyshortcuts='{key}'][aria-current=page]");
        let deadline = Instant::now() + timeout;
        loop {
            self.keys(key).await?;
            let wait =
                Duration::from_secs(2).min(deadline.saturating_duration_since(Instant::now()));
            if self.wait_for(&shown, wait).await.is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "key {key} did not show its view within {timeout:?}"
                ));
            }
        }
    }

    /// Ends the session (and with it the app). Always call before stopping the driver.
    pub async fn end(self) -> Result<()> {
        self.http
            .delete(format!("{}/session/{}", self.base, self.id))
            .send()
            .await
            .map(drop)
            .map_err(|e| e.to_string())
    }
}

fn element_id(value: &Value) -> Option<String> {
    value
        .get(ELEMENT_KEY_W3C)
        .or_else(|| value.get(ELEMENT_KEY))
        .and_then(Value::as_str)
        .map(str::to_owned)
}
