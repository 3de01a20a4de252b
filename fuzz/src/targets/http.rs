//! `http`: requests through the service's router (no socket), in a current-thread runtime.
//!
//! An input is a request in a plain text form: `METHOD TARGET` on the first line, header lines
//! `name: value`, an empty line, then the body. Bytes the `http` crate would refuse in a target
//! are percent-encoded and refused header lines are dropped, so that nearly every input reaches
//! the router. Three routers: the plain service; one with a decision log (GETs only, so the log
//! does not grow with every case); one with a bearer token, a 2 KiB body limit and one slot.

use std::sync::Arc;
use std::time::Duration;

use arbiter_audit::{AuditTrail, Sync};
use arbiter_engine::store::BundleStore;
use arbiter_server::{Metrics, ServiceConfig, router};
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri};
use tower::ServiceExt as _;

use crate::corpus;
use crate::harness::{Target, Verdict, class_of};

const TOKEN: &str = "fuzz-token";

/// The routers, the runtime, and the ids of the logged decisions.
pub struct HttpTarget {
    runtime: tokio::runtime::Runtime,
    plain: Router,
    logged: Router,
    guarded: Router,
    ids: Vec<String>,
    decided: u64,
    _dir: tempfile::TempDir,
}

impl HttpTarget {
    /// Loads the default bundle once and logs three decisions for `GET /v1/decisions/{id}`.
    pub fn new() -> HttpTarget {
        let store = Arc::new(BundleStore::new(corpus::repo().join("policies"), None));
        store.reload();
        let Some(bundle) = store.snapshot() else {
            panic!("policies/ does not load: {:?}", store.last_failure());
        };
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("no temporary folder: {e}"));
        let mut trail = AuditTrail::open(&dir.path().join("decisions.log"), Sync::Batch(1 << 20))
            .unwrap_or_else(|e| panic!("cannot open a log: {e}"));
        trail.record_top = Some(2);
        let mut ids = Vec::new();
        for path in corpus::files("examples/tasks", &["yaml", "json"])
            .iter()
            .take(3)
        {
            if let Ok(task) = arbiter_engine::load::load_task(path)
                && let Ok(d) = arbiter_engine::decide(&bundle, task)
                && trail.record(&bundle, &d).is_ok()
            {
                ids.push(d.decision_id.clone());
            }
        }
        let _ = trail.flush();
        let metrics = Arc::new(Metrics::default());
        let plain = router(
            store.clone(),
            None,
            metrics.clone(),
            ServiceConfig::default(),
        );
        let logged = router(
            store.clone(),
            Some(Arc::new(trail)),
            metrics.clone(),
            ServiceConfig::default(),
        );
        let guarded = router(
            store,
            None,
            metrics,
            ServiceConfig {
                max_body_bytes: 2048,
                max_concurrency: 1,
                deadline: Duration::from_secs(2),
                token: Some(TOKEN.into()),
                replica: None,
            },
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap_or_else(|e| panic!("no runtime: {e}"));
        HttpTarget {
            runtime,
            plain,
            logged,
            guarded,
            ids,
            decided: 0,
            _dir: dir,
        }
    }
}

/// Percent-encodes what a request target may not hold.
fn encode_target(raw: &[u8]) -> String {
    let mut s = String::new();
    for &b in raw {
        if b.is_ascii_graphic() && b != b'#' {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The request an input describes, and which router takes it.
fn request(input: &[u8]) -> (Request<Body>, usize) {
    let (head, body) = match input.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&input[..i], &input[i + 2..]),
        None => (input, &[][..]),
    };
    let mut lines = head.split(|b| *b == b'\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = match first.iter().position(|b| *b == b' ') {
        Some(i) => (&first[..i], &first[i + 1..]),
        None => (first, &b"/"[..]),
    };
    let method = Method::from_bytes(method).unwrap_or(Method::GET);
    let mut target = encode_target(target);
    if !target.starts_with('/') {
        target.insert(0, '/');
    }
    let uri = Uri::try_from(target.as_str()).unwrap_or_else(|_| Uri::from_static("/"));
    let mut req = Request::new(Body::from(body.to_vec()));
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let mut which = 0;
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let name = line[..colon].trim_ascii();
        let value = line[colon + 1..].trim_ascii();
        if name.eq_ignore_ascii_case(b"x-fuzz-router") {
            which = value.first().map_or(0, |b| usize::from(*b) % 3);
            continue;
        }
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            req.headers_mut().append(n, v);
        }
    }
    (req, which)
}

impl Target for HttpTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds: Vec<String> = [
            "GET /healthz",
            "GET /readyz",
            "GET /metrics",
            "GET /v1/bundle",
            "GET /v1/bundle\nx-fuzz-router: 2\nauthorization: Bearer fuzz-token",
            "GET /v1/schemas/task",
            "GET /v1/schemas/catalog",
            "GET /v1/schemas/bundle",
            "GET /v1/schemas/decision",
            "GET /v1/schemas/case",
            "GET /v1/schemas/nothing",
            "GET /nowhere?x=1",
            "DELETE /v1/select",
            "GET /v1/decisions/00000000-0000-0000-0000-000000000000\nx-fuzz-router: 1",
        ]
        .map(String::from)
        .into();
        for id in &self.ids {
            seeds.push(format!(
                "GET /v1/decisions/{id}\nx-fuzz-router: 1\nx-request-id: r1"
            ));
        }
        let mut out: Vec<Vec<u8>> = seeds.into_iter().map(String::into_bytes).collect();
        for (i, path) in corpus::files("examples/tasks", &["yaml", "json"])
            .iter()
            .enumerate()
        {
            let body = std::fs::read(path).unwrap_or_default();
            let json = path.extension().is_some_and(|e| e == "json");
            let ct = if json {
                "application/json"
            } else {
                "application/yaml; charset=utf-8"
            };
            let query = ["", "?top=2", "?explain=true", "?top=0&explain=false"][i % 4];
            let router = if i % 5 == 4 {
                "\nx-fuzz-router: 2\nauthorization: Bearer fuzz-token"
            } else {
                ""
            };
            let mut seed =
                format!("POST /v1/select{query}\ncontent-type: {ct}{router}\n\n").into_bytes();
            seed.extend_from_slice(&body);
            out.push(seed);
        }
        let invalid = corpus::text("tests/cases/invalid/four-errors-at-once.yaml");
        out.push(format!("POST /v1/select\ncontent-type: text/yaml\n\n{invalid}").into_bytes());
        out
    }

    fn tokens(&self) -> Vec<String> {
        let mut t: Vec<String> = [
            "GET ",
            "POST ",
            "PUT ",
            "HEAD ",
            "OPTIONS ",
            "PATCH ",
            "/v1/select",
            "/v1/bundle",
            "/v1/decisions/",
            "/v1/schemas/",
            "/healthz",
            "/readyz",
            "/metrics",
            "?top=",
            "&explain=",
            "explain=true",
            "top=18446744073709551616",
            "top=-1",
            "%00",
            "%FF",
            "%2F",
            "/..",
            "//",
            "\ncontent-type: ",
            "application/json",
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "text/x-yaml",
            "text/plain",
            ";charset=utf-8",
            "\nauthorization: Bearer ",
            TOKEN,
            "\nauthorization: ",
            "Basic ",
            "\nx-request-id: ",
            "\ncontent-length: 0",
            "\ncontent-length: 99999999999",
            "\ntransfer-encoding: chunked",
            "\ncontent-encoding: gzip",
            "\naccept: ",
            "\nx-fuzz-router: 0",
            "\nx-fuzz-router: 1",
            "\nx-fuzz-router: 2",
            "\n\n",
        ]
        .map(String::from)
        .into();
        t.extend(corpus::schema_tokens("schemas/task.schema.json"));
        t.extend(self.ids.iter().cloned());
        t
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        let (req, mut which) = request(input);
        if which == 1 && req.method() != Method::GET {
            which = 0;
        }
        let route = req
            .uri()
            .path()
            .split('/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        let method = req.method().clone();
        let app = [&self.plain, &self.logged, &self.guarded][which].clone();
        let (status, headers, body) = self.runtime.block_on(async move {
            let res = app
                .oneshot(req)
                .await
                .map_err(|e| format!("the router failed: {e}"))?;
            let (parts, body) = res.into_parts();
            let bytes = to_bytes(body, 64 << 20)
                .await
                .map_err(|e| format!("the body could not be read: {e}"))?;
            Ok::<_, String>((parts.status, parts.headers, bytes))
        })?;
        let text = String::from_utf8_lossy(&body);
        if !headers.contains_key("x-request-id") {
            return Err(format!("{status} without an x-request-id"));
        }
        if text.contains("panicked") || text.contains("backtrace") {
            return Err(format!("{status} carries a stack trace: {text}"));
        }
        if status.is_server_error() && status.as_u16() != 503 {
            // A decision that failed says why in its `errors`; anything else, in its body.
            let why = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("errors").map(|e| format!("errors: {e}")))
                .unwrap_or_else(|| text.chars().take(2000).collect());
            return Err(format!("{status} for {method} {route}: {why}"));
        }
        if route == "/v1/select" && status.is_success() {
            self.decided += 1;
        }
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string));
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok(class_of((
            which,
            method.as_str().to_string(),
            route,
            status.as_u16(),
            code,
            content_type,
        )))
    }

    fn extension(&self) -> &'static str {
        "http"
    }

    fn stats(&self) -> String {
        format!("{} requests answered with a decision", self.decided)
    }
}
