//! Headless Chromium driven over the DevTools protocol: one WebSocket, JSON commands, blocking.
//! No WebDriver server in between and no second async runtime: the browser is started here with
//! `--remote-debugging-port=0`, its address read from its standard error, and one page target
//! attached in flattened mode (every command of the page carries its session id).

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// How long a command, or a condition waited for, may take.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// The Chromium binary: `$ARBITER_CHROMIUM`, else the first of Debian's and others' names on
/// the `PATH`. Fails the test, saying how to install it, when there is none: browser tests
/// never skip.
pub fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("ARBITER_CHROMIUM") {
        return PathBuf::from(path);
    }
    let names = ["chromium", "chromium-browser", "google-chrome", "chrome"];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "the browser tests need Chromium, and none is installed (looked for {} on the PATH, \
         and $ARBITER_CHROMIUM). Run `scripts/test`, which installs it (Debian: `apt-get \
         install chromium`) and runs every test; the browser tests never skip.",
        names.join(", ")
    );
}

/// A headless Chromium with one page open; closed (and its processes killed) when dropped.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Every event the page sent, in order (`{"method", "params"}`).
    pub events: Vec<Value>,
    stderr: Arc<Mutex<Vec<String>>>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium headless with a fresh profile and opens a blank page of `width` ×
    /// `height` CSS pixels, with the page, network, runtime and log domains enabled.
    pub fn start(width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().expect("a temporary profile folder");
        let binary = chromium();
        let mut cmd = Command::new(&binary);
        cmd.args([
            "--headless=new",
            // CI runs as root, where Chromium's sandbox cannot start; the pages are our own.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={width},{height}"))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
        // Its own process group, so that every process it forks is killed with it.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        if let Some(err) = child.stderr.take() {
            let lines = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("DevTools listening on ") {
                        let _ = tx.send(url.trim().to_string());
                    }
                    if let Ok(mut l) = lines.lock() {
                        l.push(line);
                    }
                }
            });
        }
        let url = match rx.recv_timeout(DEADLINE) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let said = stderr.lock().map(|l| l.join("\n")).unwrap_or_default();
                panic!("Chromium did not open its DevTools port; it said:\n{said}");
            }
        };
        let ws = connect(&url);
        let mut browser = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
            stderr,
            _profile: profile,
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap_or_default().to_string();
        let attached = browser.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {attached}"))
            .to_string();
        for domain in [
            "Page.enable",
            "Network.enable",
            "Runtime.enable",
            "Log.enable",
        ] {
            browser.call(domain, json!({}));
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        browser
    }

    fn send(&mut self, method: &str, params: Value, session: bool) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if session {
            message["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .unwrap_or_else(|e| panic!("{method}: cannot send: {e}"));
        let deadline = Instant::now() + DEADLINE;
        loop {
            assert!(
                Instant::now() < deadline,
                "{method}: no answer within {DEADLINE:?}"
            );
            let text = match self.ws.read() {
                Ok(Message::Text(t)) => t.to_string(),
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e))
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    continue;
                }
                Err(e) => panic!(
                    "{method}: the browser connection failed: {e}\n{}",
                    self.said()
                ),
            };
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            if v["id"] == json!(id) {
                if let Some(err) = v.get("error") {
                    panic!("{method} failed: {err}");
                }
                return v["result"].clone();
            }
            if v.get("method").is_some() {
                self.events.push(v);
            }
        }
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, false)
    }

    /// A command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, true)
    }

    /// What Chromium wrote on its standard error, for failure messages.
    fn said(&self) -> String {
        self.stderr
            .lock()
            .map(|l| {
                l.iter()
                    .rev()
                    .take(30)
                    .rev()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// Runs a script that runs before the page's own on every document (not subject to its
    /// Content-Security-Policy: it is the browser's, not the page's).
    pub fn before_each_document(&mut self, source: &str) {
        self.call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({"source": source}),
        );
    }

    /// Opens `url` and waits until the document and its resources have loaded.
    pub fn open(&mut self, url: &str) {
        let r = self.call("Page.navigate", json!({"url": url}));
        if let Some(e) = r.get("errorText") {
            panic!("cannot open {url}: {e}");
        }
        self.wait_for(
            &format!("opened {url}"),
            "document.readyState === 'complete'",
        );
    }

    /// The value of a JavaScript expression in the page (promises awaited); fails the test
    /// on an exception.
    pub fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(ex) = r.get("exceptionDetails") {
            panic!("{expression}\nthrew: {ex}");
        }
        r["result"]["value"].clone()
    }

    /// Waits until `condition` (a JavaScript expression) is true; fails the test after
    /// [`DEADLINE`], naming `what`.
    pub fn wait_for(&mut self, what: &str, condition: &str) {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if self.eval(&format!("!!({condition})")) == json!(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "waited {DEADLINE:?} for: {what} ({condition})"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The text of the first element matching `selector` (`innerText`, as a person reads it;
    /// `textContent` in an SVG, which has no `innerText`).
    pub fn text(&mut self, selector: &str) -> String {
        let v = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); return e ? (e.innerText ?? e.textContent) : null; }})()",
            json!(selector)
        ));
        v.as_str()
            .unwrap_or_else(|| panic!("no element {selector}"))
            .to_string()
    }

    /// Clicks the middle of the first element matching `selector` with the mouse, as a person
    /// does (scrolled into view first; whatever lies on top of it gets the click).
    pub fn click(&mut self, selector: &str) {
        let at = self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return null; \
             e.scrollIntoView({{block: 'center', inline: 'center'}}); \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            json!(selector)
        ));
        let (x, y) = match at.as_array().map(|a| (a[0].as_f64(), a[1].as_f64())) {
            Some((Some(x), Some(y))) => (x, y),
            _ => panic!("nothing to click: {selector}"),
        };
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// Replaces the whole text of the field matching `selector` by `text`, as pasting does
    /// (one `input` event).
    pub fn paste_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({}); e.focus(); e.select(); }})()",
            json!(selector)
        ));
        self.call("Input.insertText", json!({"text": text}));
    }

    /// Types `text` into the focused element, character by character.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyDown", "text": c.to_string()}),
            );
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": "keyUp", "text": c.to_string()}),
            );
        }
    }

    /// Presses Enter in the focused element.
    pub fn press_enter(&mut self) {
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                       "text": if kind == "keyDown" { "\r" } else { "" }}),
            );
        }
    }

    /// Saves a PNG of the viewport to `path`; its size in bytes.
    pub fn screenshot(&mut self, path: &Path) -> usize {
        let r = self.call(
            "Page.captureScreenshot",
            json!({"format": "png", "captureBeyondViewport": false}),
        );
        let data = r["data"].as_str().unwrap_or_default();
        let png = data_encoding::BASE64
            .decode(data.as_bytes())
            .unwrap_or_else(|e| panic!("the screenshot is not base64: {e}"));
        std::fs::write(path, &png)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        png.len()
    }

    /// The events named `method` received so far (their `params`).
    pub fn events_named(&self, method: &str) -> Vec<Value> {
        self.events
            .iter()
            .filter(|e| e["method"] == method)
            .map(|e| e["params"].clone())
            .collect()
    }

    /// Reads the events that arrived since the last command.
    pub fn drain(&mut self) {
        // A cheap command: events queued before its answer are collected on the way.
        self.call("Runtime.evaluate", json!({"expression": "0"}));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.ws.send(Message::text(
            json!({"id": 0, "method": "Browser.close"}).to_string(),
        ));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of its process group (renderers, the zygote).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebSocket to `url` (`ws://127.0.0.1:PORT/devtools/browser/…`), reads waiting at most a
/// second at a time.
fn connect(url: &str) -> WebSocket<TcpStream> {
    let addr = url
        .strip_prefix("ws://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("not a ws:// address: {url}"));
    let stream =
        TcpStream::connect(addr).unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    let (ws, _) = tungstenite::client::client(url, stream)
        .unwrap_or_else(|e| panic!("no WebSocket at {url}: {e}"));
    ws.get_ref()
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("a read timeout");
    ws
}
