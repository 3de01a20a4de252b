//! The web page of `arbiter serve` and the report of `arbiter select --format html`, in a real
//! browser: headless Chromium driven over the DevTools protocol (`cdp.rs`). Each step leaves a
//! screenshot in `target/browser-tests/` (the path is printed); with
//! `ARBITER_UPDATE_SCREENSHOTS=1` the README's two screenshots (`docs/images/`) are replaced by
//! this run's.
//!
//! These tests never skip: without Chromium they fail, saying to run `scripts/test`, which
//! installs it. So a green `cargo test --workspace` — and CI, which runs `scripts/test` — has
//! always driven the page.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod cdp;

use std::path::{Path, PathBuf};
use std::time::Instant;

use arbiter_test_support::{Binary, external_references, repo};
use cdp::Browser;
use serde_json::{Value, json};

const ARBITER: Binary = Binary::new(env!("CARGO_BIN_EXE_arbiter"));
const LEGAL: &str = "examples/tasks/legal-classification.yaml";
const FOUR_ERRORS: &str = "tests/cases/invalid/four-errors-at-once.yaml";
const TOKEN: &str = "browser-test-token";

/// Set before the page's own scripts run: every Content-Security-Policy violation is kept in
/// `window.__violations`, so that a test can demand there was none.
const WATCH_VIOLATIONS: &str = "window.__violations = []; \
    document.addEventListener('securitypolicyviolation', \
      (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));";

/// `target/browser-tests/NAME/`, emptied.
fn output_dir(name: &str) -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .unwrap_or(&tmp)
        .join("browser-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Takes a screenshot into `dir`, and copies it to `docs/images/{readme}` when the README's
/// screenshots are being updated.
fn screenshot(b: &mut Browser, dir: &Path, name: &str, readme: Option<&str>) {
    let path = dir.join(name);
    let bytes = b.screenshot(&path);
    eprintln!("  screenshot {} ({} KB)", path.display(), bytes / 1024);
    if let Some(image) = readme
        && std::env::var_os("ARBITER_UPDATE_SCREENSHOTS").is_some_and(|v| v == "1")
    {
        let to = repo().join("docs/images").join(image);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&path, &to).unwrap();
        eprintln!("  updated {}", to.display());
    }
}

/// Logs a step with the time since the test started.
fn step(started: Instant, what: &str) {
    eprintln!("[{:5.1} s] {what}", started.elapsed().as_secs_f64());
}

/// The service's API, called directly with the token, to compare the page with.
struct Api {
    base: String,
}

impl Api {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn post(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let mut res = Self::agent()
            .post(&format!("{}{path}", self.base))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .header("content-type", content_type)
            .send(body)
            .unwrap();
        let text = res.body_mut().read_to_string().unwrap();
        (res.status().as_u16(), serde_json::from_str(&text).unwrap())
    }

    fn get(&self, path: &str) -> Value {
        let mut res = Self::agent()
            .get(&format!("{}{path}", self.base))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .call()
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "GET {path}");
        serde_json::from_str(&res.body_mut().read_to_string().unwrap()).unwrap()
    }
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap()
}

/// The URL of every request the page made.
fn requests(b: &Browser) -> Vec<String> {
    b.events_named("Network.requestWillBeSent")
        .iter()
        .map(|p| p["request"]["url"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Fails unless the page recorded no Content-Security-Policy violation and threw nothing.
fn assert_clean(b: &mut Browser) {
    let violations = b.eval("window.__violations");
    assert_eq!(violations, json!([]), "CSP violations");
    let thrown = b.events_named("Runtime.exceptionThrown");
    assert!(thrown.is_empty(), "the page threw: {thrown:?}");
}

/// Waits for the report `id` to be shown, and checks that it names `chosen` (the API's choice).
fn report_shown(b: &mut Browser, id: &str, chosen: &str) {
    b.wait_for(
        &format!("the report {id}"),
        &format!("document.querySelector('#report article.arbiter-report#{id}')"),
    );
    let outcome = b.text("#report .outcome");
    assert!(
        outcome.starts_with(&format!("{chosen} was chosen")),
        "the page says: {outcome}; the API chose {chosen}"
    );
}

#[test]
fn the_page_checks_decides_and_shows_logged_decisions_in_a_real_browser() {
    let started = Instant::now();
    let out = output_dir("page");
    eprintln!("screenshots: {}", out.display());
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("decisions.log");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut server = ARBITER.start(&[
        "serve",
        "--bundle",
        "policies",
        "--addr",
        "127.0.0.1:0",
        "--log",
        log.to_str().unwrap(),
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    let base = server.listening_base();
    let api = Api { base: base.clone() };

    // Eleven decisions logged before the page opens, and one more (the one to compare the
    // page's with): the list has two pages of ten.
    let tasks: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    for path in tasks.iter().cycle().take(11) {
        let (status, _) = api.post(
            "/v1/select",
            "application/yaml",
            &std::fs::read_to_string(path).unwrap(),
        );
        assert_eq!(status, 200, "{}", path.display());
    }
    let (status, decision) = api.post("/v1/select", "application/yaml", &read(LEGAL));
    assert_eq!(status, 200);
    let chosen = decision["chosen"].as_str().unwrap().to_string();
    let status_now = api.get("/v1/bundle");
    step(started, "service up, 12 decisions logged");

    let mut b = Browser::start(1280, 1150);
    b.before_each_document(WATCH_VIOLATIONS);
    step(started, "browser up");

    // 1. The page loads; without a token its calls are refused, and it says so.
    b.open(&format!("{base}/"));
    b.wait_for(
        "the page says a token is required",
        "document.getElementById('token-state').textContent === 'a token is required'",
    );
    let document = b
        .events_named("Network.responseReceived")
        .into_iter()
        .find(|p| p["type"] == "Document")
        .expect("the page's own response");
    let headers = document["response"]["headers"].as_object().unwrap();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    };
    assert_eq!(
        header("content-security-policy").as_deref(),
        Some(arbiter_server::ui::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"));
    assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"));
    screenshot(&mut b, &out, "01-token-required.png", None);
    step(
        started,
        "1. page loaded, token asked for, CSP header present",
    );

    // 2. The token, typed and entered: the bundle's status appears, as the API states it.
    b.click("#token");
    b.type_text(TOKEN);
    b.press_enter();
    let hash = status_now["hash"].as_str().unwrap();
    b.wait_for(
        "the bundle's hash",
        &format!(
            "document.querySelector('[data-fact=hash]')?.textContent === {}",
            json!(hash)
        ),
    );
    assert_eq!(
        b.text("[data-fact=generation]"),
        status_now["generation"].to_string()
    );
    assert_eq!(
        b.text("[data-fact=name]"),
        format!(
            "{} {}",
            status_now["name"].as_str().unwrap(),
            status_now["version"].as_str().unwrap()
        )
    );
    assert_eq!(b.text("#token-state"), "token accepted");
    assert_eq!(
        b.eval("sessionStorage.getItem('arbiter-token')"),
        json!(TOKEN)
    );
    screenshot(&mut b, &out, "02-token-set.png", None);
    step(started, "2. token set, bundle status shown");

    // 3. A valid task, pasted: checked as valid; decided: the report of the same choice as the
    // API's, with its charts.
    b.paste_into("#task", &read(LEGAL));
    b.wait_for(
        "the task checked valid",
        "document.getElementById('check-state').textContent === 'valid'",
    );
    b.click("#decide");
    report_shown(&mut b, "decided", &chosen);
    let bars = b.eval(
        "[...document.querySelectorAll('#report svg#decided-scores [data-contribution]')].length",
    );
    assert!(bars.as_u64().unwrap() > 0, "the bar chart has bars: {bars}");
    let chart = b.eval(
        "(() => { const r = document.querySelector('#report svg#decided-scores').getBoundingClientRect(); \
         return r.width > 300 && r.height > 100; })()",
    );
    assert_eq!(
        chart,
        json!(true),
        "the bar chart is drawn at a readable size"
    );
    let first_bar = b.text("#report svg#decided-scores");
    assert!(first_bar.contains(&chosen), "the chart names {chosen}");
    assert_eq!(
        b.eval("!!document.querySelector('#report svg#decided-cost')"),
        json!(true),
        "the cost scatter"
    );
    let note = b.text("#report-note");
    let id = note
        .strip_prefix("Decision ")
        .and_then(|rest| rest.split(',').next())
        .unwrap()
        .to_string();
    // The decision just made heads the list of logged decisions.
    b.wait_for(
        "the new decision at the top of the list",
        &format!(
            "document.querySelector('#recent-rows tr')?.dataset.id === {}",
            json!(id)
        ),
    );
    b.eval("window.scrollTo(0, 0)");
    screenshot(&mut b, &out, "03-decided.png", Some("page.png"));
    step(
        started,
        "3. valid task checked and decided: chosen model and charts shown",
    );

    // 4. An invalid task: every problem listed at its line, as the API locates it, and marked
    // on that line of the gutter.
    b.paste_into("#task", &read(FOUR_ERRORS));
    b.wait_for(
        "four problems",
        "document.getElementById('check-state').textContent === '4 problems'",
    );
    let (_, checked) = api.post("/v1/check", "application/yaml", &read(FOUR_ERRORS));
    let shown = b.eval(
        "[...document.querySelectorAll('#errors li.diag')].map((li) => ({ \
           line: Number(li.dataset.line), path: li.dataset.path, \
           at: li.querySelector('.at').textContent, \
           message: li.querySelector('.message').textContent, \
           help: li.querySelector('.help')?.textContent ?? null }))",
    );
    let shown = shown.as_array().unwrap();
    let expected = checked["errors"].as_array().unwrap();
    assert_eq!(shown.len(), 4, "{shown:?}");
    assert_eq!(shown.len(), expected.len());
    for (s, e) in shown.iter().zip(expected) {
        assert_eq!(s["line"], e["line"], "{s} against {e}");
        assert_eq!(s["path"], e["path"]);
        assert_eq!(s["message"], e["message"]);
        assert_eq!(
            s["at"],
            json!(format!("line {}:{}", e["line"], e["column"]))
        );
        assert_eq!(
            s["help"],
            e.get("help").map_or(Value::Null, |h| json!(format!(
                "help: {}",
                h.as_str().unwrap()
            )))
        );
    }
    let lines: Vec<u64> = shown.iter().map(|s| s["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [11, 12, 14, 15]);
    // The gutter marks exactly those lines, each row level with its line of the text.
    let marked = b.eval(
        "(() => { const area = document.getElementById('task'); \
           const top = area.getBoundingClientRect().top; \
           return [...document.querySelectorAll('#gutter .ln.error')].map((row) => ({ \
             line: Number(row.dataset.line), text: row.textContent, title: row.title, \
             offset: row.getBoundingClientRect().top - top + area.scrollTop })); })()",
    );
    let marked = marked.as_array().unwrap();
    let marked_lines: Vec<u64> = marked.iter().map(|m| m["line"].as_u64().unwrap()).collect();
    assert_eq!(marked_lines, lines);
    for (m, e) in marked.iter().zip(expected) {
        let line = m["line"].as_u64().unwrap();
        assert_eq!(m["text"], json!(line.to_string()));
        assert!(
            m["title"]
                .as_str()
                .unwrap()
                .contains(e["message"].as_str().unwrap())
        );
        // 20 px a line, 6 px of padding above the first, in the gutter and the text alike.
        let want = 6.0 + (line - 1) as f64 * 20.0;
        let got = m["offset"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1.5,
            "line {line}: row at {got} px, text at {want} px"
        );
    }
    // A problem's place takes the cursor to its line.
    b.click("#errors li.diag:nth-child(3) .at");
    assert_eq!(
        b.eval(
            "(() => { const a = document.getElementById('task'); \
             return a.value.slice(0, a.selectionStart).split('\\n').length; })()"
        ),
        json!(14)
    );
    screenshot(&mut b, &out, "04-invalid.png", None);
    step(started, "4. invalid task: each problem shown at its line");

    // 5. The logged decisions, newest first, ten a page; an older one's report, from the log.
    b.click("#recent-refresh");
    b.wait_for(
        "the first page",
        "document.querySelectorAll('#recent-rows tr').length === 10",
    );
    let seqs = |b: &mut Browser| {
        b.eval(
            "[...document.querySelectorAll('#recent-rows tr')].map((tr) => Number(tr.dataset.seq))",
        )
    };
    assert_eq!(seqs(&mut b), json!([13, 12, 11, 10, 9, 8, 7, 6, 5, 4]));
    b.click("#older");
    b.wait_for(
        "the second page",
        "document.querySelectorAll('#recent-rows tr').length === 3",
    );
    assert_eq!(seqs(&mut b), json!([3, 2, 1]));
    assert_eq!(
        b.eval("document.getElementById('older').disabled"),
        json!(true)
    );
    b.click("#newer");
    b.wait_for(
        "the first page again",
        "document.querySelectorAll('#recent-rows tr').length === 10",
    );
    let logged_id = decision["decision_id"].as_str().unwrap();
    b.click(&format!(
        "#recent-rows tr[data-id='{logged_id}'] button.open"
    ));
    report_shown(&mut b, "logged-12", &chosen);
    let facts = b.text("#report dl.facts");
    assert!(facts.contains(logged_id), "{facts}");
    assert!(
        facts.contains("Log record\t12") || facts.contains("Log record\n12"),
        "{facts}"
    );
    let note = b.text("#report-note");
    assert!(note.contains("the active bundle"), "{note}");
    assert_eq!(
        b.eval("document.querySelector('#recent-rows tr.current')?.dataset.seq"),
        json!("12")
    );
    b.eval("document.getElementById('report-panel').scrollIntoView()");
    screenshot(&mut b, &out, "05-logged.png", None);
    step(
        started,
        "5. recent decisions paged; a logged decision's report opened",
    );

    // 6. Nothing came from anywhere but the service, and the policy was never violated.
    b.drain();
    let urls = requests(&b);
    assert!(
        urls.iter().any(|u| u.ends_with("/ui/app.js")),
        "the requests seen: {urls:?}"
    );
    let foreign: Vec<&String> = urls
        .iter()
        .filter(|u| !u.starts_with(&format!("{base}/")) && !u.starts_with("data:"))
        .collect();
    assert!(foreign.is_empty(), "requests elsewhere: {foreign:?}");
    assert_clean(&mut b);

    // 7. The policy is really enforced: an injected inline script does not run, and a
    // connection to another origin is refused before it is made.
    let ran = b.eval(
        "(() => { const s = document.createElement('script'); \
           s.textContent = 'window.__injected = true'; document.body.append(s); \
           return window.__injected === true; })()",
    );
    assert_eq!(ran, json!(false), "an inline script ran");
    let fetched = b
        .eval("fetch('http://127.0.0.2:9/').then(() => 'fetched', (e) => 'refused: ' + e.message)");
    assert!(
        fetched.as_str().unwrap().starts_with("refused"),
        "{fetched}"
    );
    b.wait_for(
        "both violations reported",
        "window.__violations.some((v) => v.startsWith('script-src')) && \
         window.__violations.some((v) => v.startsWith('connect-src'))",
    );
    step(
        started,
        "6-7. same-origin only; inline script and foreign connection refused",
    );
    drop(b);
    server.terminate();
    server.wait();
    step(started, "done");
}

#[test]
fn the_report_of_select_opens_from_a_file_in_a_real_browser() {
    let started = Instant::now();
    let out = output_dir("report");
    eprintln!("screenshots: {}", out.display());
    let run = ARBITER.run(&["select", LEGAL, "--format", "html"]);
    assert!(run.status.success(), "{}", arbiter_test_support::text(&run));
    let page = String::from_utf8(run.stdout).unwrap();
    assert_eq!(external_references(&page), Vec::<String>::new());
    let json = ARBITER.run(&["select", LEGAL, "--format", "json"]);
    let chosen = serde_json::from_slice::<Value>(&json.stdout).unwrap()["chosen"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, &page).unwrap();
    let url = format!("file://{}", file.display());

    let mut b = Browser::start(1100, 1500);
    b.before_each_document(WATCH_VIOLATIONS);
    b.open(&url);
    step(started, "report opened from a file");
    assert_eq!(
        b.eval("document.title"),
        json!(format!(
            "Model decision: Court-decision topic classification — {chosen} chosen"
        ))
    );
    assert!(
        b.text(".outcome")
            .starts_with(&format!("{chosen} was chosen"))
    );
    for chart in ["arbiter-scores", "arbiter-cost", "arbiter-weights"] {
        let size = b.eval(&format!(
            "(() => {{ const r = document.getElementById('{chart}').getBoundingClientRect(); \
             return [r.width, r.height]; }})()"
        ));
        let (w, h) = (size[0].as_f64().unwrap(), size[1].as_f64().unwrap());
        assert!(w > 300.0 && h > 80.0, "{chart} drawn at {w}×{h}");
    }
    // Its own style applies (the page has no other).
    assert_eq!(
        b.eval("getComputedStyle(document.querySelector('article.arbiter-report')).maxWidth"),
        json!("960px")
    );
    b.drain();
    let urls = requests(&b);
    let foreign: Vec<&String> = urls
        .iter()
        .filter(|u| **u != url && !u.starts_with("data:"))
        .collect();
    assert!(foreign.is_empty(), "the report loaded {foreign:?}");
    assert_clean(&mut b);
    screenshot(&mut b, &out, "report-top.png", None);
    // The charts, for the README: from the scores down.
    b.eval("document.getElementById('arbiter-scores').closest('section').scrollIntoView()");
    screenshot(&mut b, &out, "report.png", Some("report.png"));
    step(started, "done");
}
