//! The HTTP decision service: an axum router over the bundle store.
//!
//! - `POST /v1/select` (JSON, or YAML by Content-Type) → the decision, byte-identical to
//!   `arbiter select --format json` apart from `decision_id` and `created_at`; with
//!   `?format=html`, its report as an HTML fragment (`arbiter_report::html::body`).
//! - `POST /v1/check` → the task's problems, every one located, without deciding.
//! - `GET /v1/bundle`, `GET /v1/decisions` (newest first), `GET /v1/decisions/{id}` (the
//!   record) and `/v1/decisions/{id}/report` (its report), `GET /v1/schemas/{kind}`.
//! - `GET /healthz` (alive), `GET /readyz` (a bundle is active), `GET /metrics` (Prometheus).
//! - `GET /` and `GET /ui/{asset}`: the web page (`ui`), open like health and metrics.
//!
//! Bad input is a 4xx with every error located; no response carries a stack trace. Evaluation
//! runs off the async workers (`spawn_blocking`), at most `max_concurrency` at once; a request
//! that cannot start within its deadline, or does not finish within it, gets 503 with
//! `Retry-After`. An optional bearer token guards `/v1/*` (compared in constant time); health,
//! metrics and the page's files stay open. Every response carries an `x-request-id` and the
//! security headers of `ui::security_headers`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arbiter_audit::AuditTrail;
use arbiter_engine::decide::{self, DecideError, Outcome};
use arbiter_engine::load::{self, LoadError, Syntax};
use arbiter_engine::store::BundleStore;
use arbiter_engine::{Bundle, Cancel, Decision, Diagnostic, SchemaKind, Task, decide_until};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::metrics::Metrics;

/// Service settings.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Decisions evaluated at once; more wait (up to the deadline).
    pub max_concurrency: usize,
    /// Per-request deadline: waiting for a slot plus evaluating.
    pub deadline: Duration,
    /// Bearer token required on `/v1/*`, if any.
    pub token: Option<String>,
    /// This replica's name (`--replica-id`), shown by `/v1/bundle` and written into every
    /// record.
    pub replica: Option<String>,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_concurrency: std::thread::available_parallelism().map_or(2, |n| n.get() * 2),
            deadline: Duration::from_secs(10),
            token: None,
            replica: None,
        }
    }
}

/// What the handlers share.
pub struct AppState {
    /// The active bundle.
    pub store: Arc<BundleStore>,
    /// The decision log, if one is configured.
    pub trail: Option<Arc<AuditTrail>>,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    config: ServiceConfig,
    slots: Arc<Semaphore>,
}

/// Builds the router.
pub fn router(
    store: Arc<BundleStore>,
    trail: Option<Arc<AuditTrail>>,
    metrics: Arc<Metrics>,
    config: ServiceConfig,
) -> Router {
    let state = Arc::new(AppState {
        store,
        trail,
        metrics,
        slots: Arc::new(Semaphore::new(config.max_concurrency.max(1))),
        config: config.clone(),
    });
    let v1 = Router::new()
        .route("/v1/select", post(select))
        .route("/v1/check", post(check))
        .route("/v1/bundle", get(bundle_status))
        .route("/v1/decisions", get(recent_decisions))
        .route("/v1/decisions/{id}", get(decision_by_id))
        .route("/v1/decisions/{id}/report", get(decision_report))
        .route("/v1/schemas/{kind}", get(schema))
        .layer(middleware::from_fn_with_state(state.clone(), authorize));
    Router::new()
        .merge(v1)
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .route("/", get(crate::ui::index))
        .route("/ui/{asset}", get(crate::ui::file))
        .fallback(|| async { not_found("no such endpoint; see schemas/openapi.json") })
        .layer(DefaultBodyLimit::max(config.max_body_bytes))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(crate::ui::security_headers))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

/// A JSON error body: `{"error": code, "message": …}`.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"error": code, "message": message.into()})),
    )
        .into_response()
}

/// Every error answer is a JSON body of the documented shape (`{"error", "message"}`): axum's
/// own rejections — a bad query string, a body over the limit or badly chunked — are plain
/// text, and the router's 405 is empty. Their headers (`Allow`, `Retry-After`, …) are kept.
async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        arbiter_engine::diagnostic::lowercase_first(&text)
    };
    let mut r = error(status, code, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            r.headers_mut().insert(name.clone(), value.clone());
        }
    }
    r
}

/// A 404 of the documented shape.
pub(crate) fn not_found(message: &str) -> Response {
    error(StatusCode::NOT_FOUND, "not_found", message)
}

fn retry_later(message: &str) -> Response {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    r
}

fn invalid(errors: &[Diagnostic]) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": "invalid_task", "errors": errors})),
    )
        .into_response()
}

async fn request_id(req: Request, next: Next) -> Response {
    use tracing::Instrument as _;
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string);
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = async move {
        let res = next.run(req).await;
        tracing::info!(status = res.status().as_u16(), "response");
        res
    }
    .instrument(span)
    .await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Constant-time equality of two byte strings (the length is not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authorize(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(token) = &state.config.token {
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !constant_time_eq(given.as_bytes(), token.as_bytes()) {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid bearer token is required",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    next.run(req).await
}

/// What the blocking part of a select produced.
enum Job {
    Invalid(Vec<Diagnostic>),
    /// Stopped at the deadline (the answer was 503 already).
    Cancelled,
    NotRecorded {
        /// Why.
        message: String,
        /// The store is unreachable for now (503, retry), rather than broken (500).
        unavailable: bool,
    },
    /// The decision, and what its report needs when one was asked for.
    Decided(Box<Decision>, Option<ToReport>),
}

/// What the report of a decision just made needs: the slot the decision held (the report's
/// counterfactuals are decisions too), the bundle that decided, and the task as submitted.
struct ToReport {
    permit: OwnedSemaphorePermit,
    bundle: Arc<Bundle>,
    submitted: Bytes,
}

#[derive(Debug, Deserialize)]
struct SelectQuery {
    top: Option<usize>,
    #[serde(default)]
    explain: bool,
    #[serde(default)]
    format: Format,
}

/// What `POST /v1/select` answers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Format {
    /// The decision (or, with `explain`, the decision and its explanation).
    #[default]
    Json,
    /// The decision's report, an HTML fragment.
    Html,
}

/// A slot of the concurrency limit, waited for until `deadline`.
async fn slot(state: &AppState, deadline: Instant) -> Option<OwnedSemaphorePermit> {
    tokio::time::timeout_at(deadline.into(), state.slots.clone().acquire_owned())
        .await
        .ok()?
        .ok()
}

/// A request body read as a task through every gate (syntax, schema, semantic checks).
fn parse_task(body: &[u8], syntax: Syntax) -> Result<Task, Vec<Diagnostic>> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Err(vec![Diagnostic::new("", "the body is not UTF-8 text")]);
    };
    match load::task_from_str(text, syntax, "<request>") {
        Ok(t) => Ok(t),
        Err(e @ LoadError::Io { .. }) => Err(vec![Diagnostic::new("", e.to_string())]),
        Err(e) => Err(e.diagnostics()),
    }
}

/// The decision as `arbiter select --format json` prints it.
pub fn decision_json(d: &Decision) -> String {
    let mut s = serde_json::to_string_pretty(d).unwrap_or_default();
    s.push('\n');
    s
}

/// The syntax a Content-Type announces, or the refusal message.
fn syntax_of(headers: &HeaderMap) -> Result<Syntax, String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" | "" => Ok(Syntax::Json),
        "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml" => Ok(Syntax::Yaml),
        other => Err(format!(
            "Content-Type `{other}` is not accepted: send application/json or application/yaml"
        )),
    }
}

/// The 415 of a Content-Type [`syntax_of`] refused.
fn unsupported(message: String) -> Response {
    error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        message,
    )
}

async fn select(
    State(state): State<Arc<AppState>>,
    Query(q): Query<SelectQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    if q.top.is_some_and(|n| n as u64 > MAX_SAFE_INTEGER) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("top must be at most {MAX_SAFE_INTEGER}"),
        );
    }
    let syntax = match syntax_of(&headers) {
        Ok(s) => s,
        Err(message) => return unsupported(message),
    };
    // Parsing, validation and evaluation all run off the async workers and inside the
    // concurrency limit: a large task with thousands of mistakes costs CPU too. The permit
    // moves into the job, so a request that timed out still holds its slot until the work
    // really stops.
    let deadline = started + state.config.deadline;
    let Some(permit) = slot(&state, deadline).await else {
        state.metrics.decision("overloaded", started.elapsed());
        return retry_later("too many decisions in progress; retry shortly");
    };
    let Some(bundle) = state.store.snapshot() else {
        return retry_later("no bundle is active yet");
    };
    // Parsing needs no bundle; but a request while none is active is answered the same way
    // whatever its body, so that readiness is the only thing a client must wait for.
    let worker_state = state.clone();
    // Raised when the deadline passes, so that a decision nobody waits for stops at once
    // instead of holding its slot and a core until its scripts end.
    let cancel = Cancel::new();
    let worker_cancel = cancel.clone();
    let html = q.format == Format::Html;
    let job = tokio::task::spawn_blocking(move || {
        let permit = permit;
        let task = match parse_task(&body, syntax) {
            Ok(t) => t,
            Err(diagnostics) => return Job::Invalid(diagnostics),
        };
        let d = match decide_until(&bundle, task, &worker_cancel) {
            Ok(d) => d,
            Err(DecideError::Cancelled) => return Job::Cancelled,
            Err(e) => return Job::Invalid(vec![Diagnostic::new(e.pointer(), e.to_string())]),
        };
        if let Some(trail) = &worker_state.trail
            && let Err(e) = trail.record(&bundle, &d)
        {
            return Job::NotRecorded {
                message: e.to_string(),
                unavailable: e.unavailable(),
            };
        }
        let report = if html {
            Some(ToReport {
                permit,
                bundle,
                submitted: body,
            })
        } else {
            None
        };
        Job::Decided(Box::new(d), report)
    });
    let (mut d, report) = match tokio::time::timeout_at(deadline.into(), job).await {
        Err(_) | Ok(Ok(Job::Cancelled)) => {
            cancel.cancel();
            state.metrics.decision("timeout", started.elapsed());
            return retry_later("the decision did not finish within the deadline");
        }
        Ok(Err(join)) => {
            tracing::error!("decision worker failed: {join}");
            state.metrics.decision("error", started.elapsed());
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the decision could not be made",
            );
        }
        Ok(Ok(Job::Invalid(diagnostics))) => {
            state.metrics.decision("invalid", started.elapsed());
            return invalid(&diagnostics);
        }
        Ok(Ok(Job::NotRecorded {
            message,
            unavailable: true,
        })) => {
            tracing::error!("decision store unreachable: {message}");
            state.metrics.decision("error", started.elapsed());
            let mut r = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                "the decision store is unreachable, so the decision was not recorded (and is not answered); retry later",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return r;
        }
        Ok(Ok(Job::NotRecorded { message, .. })) => {
            tracing::error!("decision log: {message}");
            state.metrics.decision("error", started.elapsed());
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "not_recorded",
                "the decision could not be recorded in the decision log",
            );
        }
        Ok(Ok(Job::Decided(d, report))) => (*d, report),
    };
    for err in &d.errors {
        state.metrics.script_error(&err.criterion);
    }
    state
        .metrics
        .decision(d.outcome.as_str(), started.elapsed());
    if let Some(r) = report {
        // The deadline bounds the decision, which is made and logged by now; its report follows
        // in the same slot: up to 60 decisions more (the counterfactuals), each within the
        // bundle's limits. It states the outcome, a failed one included.
        let id = d.decision_id.clone();
        let top = q.top;
        let made = tokio::task::spawn_blocking(move || {
            let _permit = r.permit;
            crate::ui::decided(&r.bundle, &d, &String::from_utf8_lossy(&r.submitted), top)
        })
        .await;
        return match made {
            Ok(report) => html_fragment(report, &[("x-decision-id", &id)]),
            Err(join) => {
                tracing::error!("report worker failed: {join}");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("decision {id} was made, but its report could not be"),
                )
            }
        };
    }
    if let Some(n) = q.top {
        d.ranking.truncate(n);
    }
    let status = if d.outcome == Outcome::Failed {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    let body = if q.explain {
        let explained = arbiter_report::json::explanation(&arbiter_report::Report::new(&d, None));
        let mut s = serde_json::to_string_pretty(&explained).unwrap_or_default();
        s.push('\n');
        s
    } else {
        decision_json(&d)
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// An HTML fragment (a report), with extra headers.
fn html_fragment(body: String, headers: &[(&'static str, &str)]) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(*name, v);
        }
    }
    r
}

/// The problems of a task, every one located, as `POST /v1/select` would refuse it — checked
/// against the active bundle too (per-task weights), when one is active — without deciding.
fn problems(body: &[u8], syntax: Syntax, bundle: Option<&Bundle>) -> Vec<Diagnostic> {
    match parse_task(body, syntax) {
        Err(diagnostics) => diagnostics,
        Ok(task) => match bundle.map(|b| decide::effective_weights(b, &task.normalised())) {
            Some(Err(e)) => vec![Diagnostic::new(e.pointer(), e.to_string())],
            _ => Vec::new(),
        },
    }
}

/// `POST /v1/check`: the task's problems, for the page's editor as the user types. Parsing a
/// large body costs CPU as a decision does, so it takes a slot of the same limit.
async fn check(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let syntax = match syntax_of(&headers) {
        Ok(s) => s,
        Err(message) => return unsupported(message),
    };
    let deadline = Instant::now() + state.config.deadline;
    let Some(permit) = slot(&state, deadline).await else {
        return retry_later("too many requests in progress; retry shortly");
    };
    let bundle = state.store.snapshot();
    let job = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        problems(&body, syntax, bundle.as_deref())
    });
    match tokio::time::timeout_at(deadline.into(), job).await {
        Ok(Ok(errors)) => {
            Json(json!({"valid": errors.is_empty(), "errors": errors})).into_response()
        }
        Ok(Err(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the task could not be checked",
        ),
        Err(_) => retry_later("the check did not finish within the deadline"),
    }
}

async fn bundle_status(State(state): State<Arc<AppState>>) -> Response {
    let store = &state.store;
    // One read, so that name, hash and generation belong to the same bundle.
    let active = store.active();
    let bundle = active.as_ref().map(|a| &a.bundle);
    let c = &store.counters;
    let failure = store.last_failure().map(|f| {
        json!({
            "at": humantime_rfc3339(f.at),
            "hash": f.hash,
            "file": f.file,
            "line": f.span.map(|s| s.line),
            "column": f.span.map(|s| s.column),
            "message": f.message,
        })
    });
    Json(json!({
        "name": bundle.map(|b| b.manifest.name.clone()),
        "version": bundle.map(|b| b.manifest.version.clone()),
        "hash": bundle.map(|b| b.hash.clone()),
        "catalog_hash": bundle.map(|b| b.catalog_hash.clone()),
        "models": bundle.map(|b| b.catalog.models.len()),
        "signed_by": bundle.and_then(|b| b.signed_by.clone()),
        "trusted_keys": store.trusted_keys().map(|t| t.path().display().to_string()),
        "generation": active.as_ref().map_or(0, |a| a.generation),
        "replica": state.config.replica,
        "loaded_at": active.as_ref().map(|a| humantime_rfc3339(a.loaded_at)),
        "reloads": {
            "activated": c.activated.load(std::sync::atomic::Ordering::Relaxed),
            "rejected": c.rejected.load(std::sync::atomic::Ordering::Relaxed),
            "unchanged": c.unchanged.load(std::sync::atomic::Ordering::Relaxed),
        },
        "last_failure": failure,
    }))
    .into_response()
}

fn humantime_rfc3339(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

async fn decision_by_id(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Some(trail) = state.trail.clone() else {
        return no_log();
    };
    // One line read at its indexed place, checked against its own hash.
    let found = tokio::task::spawn_blocking(move || trail.lookup(&id)).await;
    match found {
        Ok(Ok(Some(record))) => Json(record).into_response(),
        Ok(Ok(None)) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no decision with this id in the log",
        ),
        Ok(Err(e)) => log_unreadable(&e),
        Err(_) => log_unreadable(&"the lookup failed"),
    }
}

/// What the blocking part of a logged decision's report produced.
enum Logged {
    NotFound,
    Unreadable(String),
    Unparsable(String),
    Report(String, crate::ui::PricedBy),
}

/// `GET /v1/decisions/{id}/report`: a logged decision's report, an HTML fragment (`ui::logged`).
/// Pricing it loads a bundle and its counterfactuals are decisions, so it takes a slot (waited
/// for until the deadline); the work itself is bounded by the bundle's limits, as a report's
/// after a decision.
async fn decision_report(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let Some(trail) = state.trail.clone() else {
        return no_log();
    };
    let deadline = Instant::now() + state.config.deadline;
    let Some(permit) = slot(&state, deadline).await else {
        return retry_later("too many requests in progress; retry shortly");
    };
    let active = state.store.snapshot();
    let job = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        match trail.lookup(&id) {
            Ok(None) => Logged::NotFound,
            Err(e) => Logged::Unreadable(e.to_string()),
            Ok(Some(record)) => match crate::ui::logged(&record, active, &trail.archive) {
                Ok((body, by)) => Logged::Report(body, by),
                Err(message) => Logged::Unparsable(message),
            },
        }
    });
    match job.await {
        Ok(Logged::Report(body, by)) => {
            html_fragment(body, &[("x-arbiter-priced-by", by.as_str())])
        }
        Ok(Logged::NotFound) => not_found("no decision with this id in the log"),
        Ok(Logged::Unparsable(message)) => error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unparsable_record",
            message,
        ),
        Ok(Logged::Unreadable(message)) => log_unreadable(&message),
        Err(_) => log_unreadable(&"the report failed"),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecentQuery {
    limit: Option<usize>,
    before: Option<u64>,
}

/// The largest integer a query parameter takes: the largest JavaScript holds exactly (2⁵³ − 1),
/// as `schemas/openapi.json` states.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The most decisions a page lists.
const MAX_PAGE: usize = 100;

/// The latest logged decisions, newest first, a page at a time: a summary of each (for the
/// web page's list; the whole record is at `/v1/decisions/{id}`).
async fn recent_decisions(
    State(state): State<Arc<AppState>>,
    Query(q): Query<RecentQuery>,
) -> Response {
    let Some(trail) = state.trail.clone() else {
        return no_log();
    };
    if q.before.is_some_and(|b| b == 0 || b > MAX_SAFE_INTEGER) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("before must be a record number, 1 to {MAX_SAFE_INTEGER}"),
        );
    }
    let limit = q.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&limit) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("limit must be 1 to {MAX_PAGE}, got {limit}"),
        );
    }
    let page = tokio::task::spawn_blocking(move || trail.recent(limit, q.before)).await;
    match page {
        Ok(Ok((records, next))) => Json(json!({
            "decisions": records.iter().map(summary).collect::<Vec<_>>(),
            "next_before": next,
        }))
        .into_response(),
        Ok(Err(e)) => log_unreadable(&e),
        Err(_) => log_unreadable(&"the listing failed"),
    }
}

/// What the list shows of a record.
fn summary(r: &arbiter_audit::Record) -> serde_json::Value {
    let d = &r.decision;
    json!({
        "seq": r.seq,
        "hash": r.hash,
        "decision_id": d["decision_id"],
        "created_at": d["created_at"],
        "task": d["task"]["name"],
        "outcome": d["outcome"],
        "chosen": d["chosen"],
        "bundle": {
            "name": d["bundle"]["name"],
            "version": d["bundle"]["version"],
            "hash": d["bundle"]["hash"],
        },
    })
}

fn no_log() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no_log",
        "this service keeps no decision log (start it with --log)",
    )
}

fn log_unreadable(e: &dyn std::fmt::Display) -> Response {
    tracing::error!("decision log: {e}");
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the decision log could not be read",
    )
}

async fn schema(Path(kind): Path<String>) -> Response {
    match SchemaKind::from_name(&kind) {
        Some(k) => (
            [(header::CONTENT_TYPE, "application/schema+json")],
            k.generate_pretty(),
        )
            .into_response(),
        None => {
            let names: Vec<&str> = SchemaKind::ALL.iter().map(|k| k.name()).collect();
            error(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no schema `{kind}`; known: {}", names.join(", ")),
            )
        }
    }
}

async fn ready(State(state): State<Arc<AppState>>) -> Response {
    let Some(b) = state.store.snapshot() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: no bundle is active yet\n",
        )
            .into_response();
    };
    // Decisions are answered only once recorded: while the decision store is unreachable,
    // this replica cannot answer any.
    if let Some(trail) = state.trail.clone() {
        let reachable = tokio::task::spawn_blocking(move || trail.ready()).await;
        let why = match reachable {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some("the check failed".to_string()),
        };
        if let Some(why) = why {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: the decision store is unreachable: {why}\n"),
            )
                .into_response();
        }
    }
    (
        StatusCode::OK,
        format!(
            "ready: {} {} ({})\n",
            b.manifest.name, b.manifest.version, b.hash
        ),
    )
        .into_response()
}

async fn metrics_text(State(state): State<Arc<AppState>>) -> Response {
    let body = state.metrics.render(&state.store);
    (
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        Body::from(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
