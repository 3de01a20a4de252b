//! The web page `arbiter serve` answers at `/`: a task editor checked as you type, a decide
//! button showing the decision's report, the latest logged decisions with their reports, and the
//! active bundle's status. One HTML file, one script and one stylesheet, embedded in the binary
//! (`include_str!`): the page loads nothing from the network, and no framework or build step
//! stands between these files and what the browser runs.
//!
//! The page holds no data: everything it shows comes from `/v1/*` with the bearer token the
//! user typed (kept in the tab's `sessionStorage`), so its files are served without one.
//! [`security_headers`] sends a Content-Security-Policy that allows scripts and styles from the
//! page's own origin only — no inline script, no `eval`, no inline style — and connections to
//! that origin only.
//!
//! Reports are rendered here, on the server, by the same [`arbiter_report::html::body`] as
//! `arbiter select --format html`, and inserted into the page as they come.

use std::sync::Arc;

use arbiter_audit::{Archive, Record};
use arbiter_engine::{Bundle, Decision};
use arbiter_report::html::{self, AuditFacts, HtmlOptions, Submitted};
use arbiter_report::{Report, estimates};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every response: scripts, styles and connections from the
/// page's own origin only (no inline script or style, no `eval`), images from it or `data:`,
/// nothing else, no `<base>`, no form submission, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// Adds the security headers to every response: [`CONTENT_SECURITY_POLICY`], `nosniff` and no
/// referrer (harmless on JSON, and what keeps a report fragment opened on its own inert).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            // Revalidated on every load, so that a new binary's page is never mixed with an
            // old script.
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// `GET /`: the page.
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

/// `GET /ui/{asset}`: the page's script, its stylesheet, and the report's stylesheet
/// ([`html::STYLE`]).
pub async fn file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match name.as_str() {
        "app.js" => asset("text/javascript; charset=utf-8", APP_JS),
        "app.css" => asset("text/css; charset=utf-8", APP_CSS),
        "report.css" => asset("text/css; charset=utf-8", html::STYLE),
        _ => crate::http::not_found("no such file of the page; see schemas/openapi.json"),
    }
}

/// How many counterfactuals a report looks for, as `arbiter select --format html`.
const COUNTERFACTUALS: usize = 60;

/// The report of a decision just made with `bundle`, as `arbiter select --format html` shows
/// it (the task as submitted, every ranked model priced, the counterfactuals), as a fragment.
pub fn decided(bundle: &Bundle, d: &Decision, submitted: &str, top: Option<usize>) -> String {
    let report = Report::new(d, Some(bundle.catalog.models.len()))
        .with_estimates(estimates::estimates(bundle, d))
        .with_counterfactuals(arbiter_engine::counterfactual::counterfactuals(
            bundle,
            &d.task,
            COUNTERFACTUALS,
        ));
    html::body(
        &report,
        &HtmlOptions {
            top: top.unwrap_or(10),
            submitted: Some(Submitted {
                name: "the request".into(),
                text: submitted.to_string(),
            }),
            id_prefix: "decided".into(),
            ..HtmlOptions::default()
        },
    )
}

/// Which bundle priced a logged decision's report (the `x-arbiter-priced-by` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricedBy {
    /// The active bundle, which is the one that decided (same hash).
    Active,
    /// The copy of the deciding bundle in the log's archive.
    Archive,
    /// Neither holds it: the report has no cost chart or counterfactuals.
    Nothing,
}

impl PricedBy {
    /// The header's value.
    pub fn as_str(self) -> &'static str {
        match self {
            PricedBy::Active => "active",
            PricedBy::Archive => "archive",
            PricedBy::Nothing => "none",
        }
    }
}

/// The report of a logged decision, as `arbiter audit show --format html` shows it, as a
/// fragment. Costs and counterfactuals come from the bundle that decided: the active one when
/// its hash is the decision's, else the archived copy; without either they are left out. The
/// chain is not verified (that reads the whole log): the record's own hash was checked when it
/// was read, and the report says so. `Err` when the record's decision does not parse.
pub fn logged(
    record: &Record,
    active: Option<Arc<Bundle>>,
    archive: &Archive,
) -> Result<(String, PricedBy), String> {
    let d = record.decision().map_err(|e| {
        format!(
            "the logged decision does not parse (a redacted field?): {e}; see /v1/decisions/{{id}}"
        )
    })?;
    let (bundle, priced_by) = match active {
        Some(b) if b.hash == d.bundle.hash => (Some(b), PricedBy::Active),
        _ => match archive.load(&d.bundle.hash) {
            Ok(b) => (Some(Arc::new(b)), PricedBy::Archive),
            Err(e) => {
                tracing::warn!("report of a logged decision without costs: {e}");
                (None, PricedBy::Nothing)
            }
        },
    };
    let mut report = Report::new(&d, bundle.as_ref().map(|b| b.catalog.models.len()));
    if let Some(b) = &bundle {
        report = report
            .with_estimates(estimates::estimates(b, &d))
            .with_counterfactuals(arbiter_engine::counterfactual::counterfactuals(
                b,
                &d.task,
                COUNTERFACTUALS,
            ));
    }
    let body = html::body(
        &report,
        &HtmlOptions {
            audit: Some(AuditFacts {
                seq: record.seq,
                record_hash: record.hash.clone(),
                chain_verified: None,
                chain_detail: "the service checked this record's own hash; `arbiter audit \
                               verify LOG` checks the chain"
                    .into(),
            }),
            id_prefix: format!("logged-{}", record.seq),
            ..HtmlOptions::default()
        },
    );
    Ok((body, priced_by))
}
