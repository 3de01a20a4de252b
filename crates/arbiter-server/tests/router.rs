//! The router without sockets: every endpoint and every error status.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::sync::Arc;
use std::time::Duration;

use arbiter_audit::{AuditTrail, Sync};
use arbiter_engine::store::BundleStore;
use arbiter_server::{Metrics, ServiceConfig, router};
use arbiter_test_support::repo;
use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt as _;

fn loaded_store() -> Arc<BundleStore> {
    let store = Arc::new(BundleStore::new(repo().join("policies"), None));
    store.reload();
    assert!(store.snapshot().is_some());
    store
}

fn app(store: Arc<BundleStore>, trail: Option<AuditTrail>, config: ServiceConfig) -> Router {
    router(
        store,
        trail.map(Arc::new),
        Arc::new(Metrics::default()),
        config,
    )
}

async fn send(app: &Router, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).to_string(),
    )
}

fn post(uri: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, content_type)
        .body(body.into())
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(repo().join("examples/tasks").join(name)).unwrap()
}

/// The decision on `examples/tasks/legal-classification.yaml`, through `POST /v1/select`.
async fn decide_legal(app: &Router) -> serde_json::Value {
    let task = example("legal-classification.yaml");
    let (status, _, body) = send(app, post("/v1/select", "application/yaml", task)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn select_answers_a_json_or_yaml_task_with_the_decision() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let (status, headers, body) = send(
        &app,
        post(
            "/v1/select",
            "application/json",
            example("chinese-reading-comprehension.json"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.contains_key("x-request-id"));
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(arbiter_engine::SchemaKind::Decision.validate(&d).is_empty());
    assert!(d["chosen"].as_str().unwrap().starts_with("hfl/"));

    let (status, _, body) = send(
        &app,
        post(
            "/v1/select?top=2&explain=true",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["decision"]["ranking"].as_array().unwrap().len(), 2);
    assert!(
        v["explanation"]
            .as_str()
            .unwrap()
            .contains("was chosen because")
    );
}

#[tokio::test]
async fn an_invalid_task_gets_400_listing_every_error_with_its_pointer() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let task = std::fs::read_to_string(repo().join("tests/cases/invalid/four-errors-at-once.yaml"))
        .unwrap();
    let (status, _, body) = send(&app, post("/v1/select", "application/yaml", task)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let paths: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/task", "/languages", "/data/labeled_examples", ""]);

    let (status, _, body) = send(&app, post("/v1/select", "application/json", "{\"name\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid JSON"), "{body}");

    let weights = "{\"name\":\"t\",\"task\":\"ner\",\"languages\":[\"en\"],\"data\":{\"labeled_examples\":5},\"weights\":{\"colour\":1}}";
    let (status, _, body) = send(&app, post("/v1/select", "application/json", weights)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("\"/weights\""), "{body}");
}

#[tokio::test]
async fn limits_and_media_types() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let big = vec![b'a'; 2 << 20];
    let (status, _, body) = send(&app, post("/v1/select", "application/json", big)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let (status, _, body) = send(&app, post("/v1/select", "text/plain", "hello")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(body.contains("application/yaml"), "{body}");
    let (status, _, _) = send(&app, get("/v1/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(&app, get("/v1/select")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn every_model_vetoed_is_200_with_chosen_null() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let task = "name: impossible\ntask: translation\nlanguages: [en, sw]\ndata: {labeled_examples: 10}\nresources: {deployment: mobile, max_memory_mb: 50}\n";
    let (status, _, body) = send(&app, post("/v1/select", "application/yaml", task)).await;
    assert_eq!(status, StatusCode::OK);
    let d: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(d["chosen"].is_null());
    assert!(!d["rejected"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn readiness_follows_the_first_good_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(BundleStore::new(dir.path().join("none-yet"), None));
    let app = app(store.clone(), None, ServiceConfig::default());
    let (status, _, _) = send(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, _) = send(&app, get("/healthz")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, _) = send(
        &app,
        post(
            "/v1/select",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(headers.contains_key(header::RETRY_AFTER));
    let (status, _, _) = send(&app, post("/v1/select", "application/yaml", "not: [a task")).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no bundle yet: even a bad body waits for readiness"
    );
    store.reload(); // the folder does not exist: rejected, still not ready
    let (status, _, body) = send(&app, get("/v1/bundle")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["generation"], 0);
    assert_eq!(v["reloads"]["rejected"], 1);
    assert!(
        v["last_failure"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot read")
    );

    arbiter_test_support::copy_dir(
        &repo().join("tests/bundles/tiny"),
        &dir.path().join("none-yet"),
    );
    store.reload();
    let (status, _, _) = send(&app, get("/readyz")).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, body) = send(&app, get("/v1/bundle")).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["name"], "tiny");
    assert_eq!(v["generation"], 1);
    assert!(v["loaded_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn the_bearer_token_guards_v1_but_not_health() {
    let config = ServiceConfig {
        token: Some("s3cret".into()),
        ..ServiceConfig::default()
    };
    let app = app(loaded_store(), None, config);
    let (status, headers, body) = send(&app, get("/v1/bundle")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(!body.contains("panicked") && !body.contains("src/"));
    let wrong = Request::get("/v1/bundle")
        .header(header::AUTHORIZATION, "Bearer s3creT")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, wrong).await.0, StatusCode::UNAUTHORIZED);
    let right = Request::get("/v1/bundle")
        .header(header::AUTHORIZATION, "Bearer s3cret")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, right).await.0, StatusCode::OK);
    // Health, metrics and the web page's files (which hold no data) need no token.
    for open in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/",
        "/ui/app.js",
        "/ui/app.css",
        "/ui/report.css",
    ] {
        assert_eq!(send(&app, get(open)).await.0, StatusCode::OK, "{open}");
    }
    let check = post(
        "/v1/check",
        "application/yaml",
        example("legal-classification.yaml"),
    );
    assert_eq!(send(&app, check).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn schemas_and_logged_decisions_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(&dir.path().join("d.log"), Sync::Always).unwrap();
    let app = app(loaded_store(), Some(trail), ServiceConfig::default());
    let (status, _, body) = send(&app, get("/v1/schemas/task")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, arbiter_engine::SchemaKind::Task.generate_pretty());
    assert_eq!(
        send(&app, get("/v1/schemas/nonsense")).await.0,
        StatusCode::NOT_FOUND
    );

    let id = decide_legal(&app).await["decision_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, body) = send(&app, get(&format!("/v1/decisions/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(record["seq"], 1);
    assert_eq!(record["decision"]["decision_id"], id.as_str());
    assert_eq!(
        send(&app, get("/v1/decisions/unknown")).await.0,
        StatusCode::NOT_FOUND
    );

    let no_log = self::app(loaded_store(), None, ServiceConfig::default());
    let (status, _, body) = send(&no_log, get(&format!("/v1/decisions/{id}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no decision log"), "{body}");
}

#[tokio::test]
async fn past_the_deadline_the_answer_is_503_with_retry_after() {
    let config = ServiceConfig {
        deadline: Duration::from_micros(1),
        max_concurrency: 1,
        ..ServiceConfig::default()
    };
    let app = app(loaded_store(), None, config);
    let (status, headers, body) = send(
        &app,
        post(
            "/v1/select",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(headers[header::RETRY_AFTER], "1");
}

/// A minimal check of the Prometheus text format: comments, or `name{labels} value`.
fn parses_as_prometheus(text: &str) -> Result<(), String> {
    for line in text.lines() {
        if line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or(format!("no value: {line}"))?;
        value
            .parse::<f64>()
            .map_err(|_| format!("bad value: {line}"))?;
        let name = series.split('{').next().unwrap_or("");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            return Err(format!("bad metric name: {line}"));
        }
        let labels = &series[name.len()..];
        if !(labels.is_empty() || labels.starts_with('{') && labels.ends_with('}')) {
            return Err(format!("bad labels: {line}"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn metrics_parse_as_prometheus_text() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    send(
        &app,
        post(
            "/v1/select",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    send(&app, post("/v1/select", "application/yaml", "name: x")).await;
    let (status, headers, body) = send(&app, get("/metrics")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    parses_as_prometheus(&body).unwrap();
    for needle in [
        "arbiter_decisions_total{outcome=\"chosen\"} 1",
        "arbiter_decisions_total{outcome=\"invalid\"} 1",
        "arbiter_decision_duration_seconds_count 2",
        "arbiter_reloads_total{result=\"activated\"} 1",
        "arbiter_bundle_generation 1",
    ] {
        assert!(body.contains(needle), "missing {needle}:\n{body}");
    }
    assert!(parses_as_prometheus("bad line").is_err());
}

/// `schemas/openapi.json` against the router: every documented operation is routed, answers
/// with a documented status, and its JSON bodies match the documented component schemas.
#[tokio::test]
async fn the_openapi_description_matches_the_router() {
    let text = std::fs::read_to_string(repo().join("schemas/openapi.json")).unwrap();
    let spec: serde_json::Value = serde_json::from_str(&text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(&dir.path().join("d.log"), Sync::Always).unwrap();
    let app = app(loaded_store(), Some(trail), ServiceConfig::default());
    let id = decide_legal(&app).await["decision_id"]
        .as_str()
        .unwrap()
        .to_string();

    let paths = spec["paths"].as_object().unwrap();
    assert_eq!(paths.len(), 12);
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let uri = path
                .replace("{id}", &id)
                .replace("{kind}", "task")
                .replace("{asset}", "app.js");
            let req = match method.as_str() {
                "get" => get(&uri),
                "post" => post(
                    &uri,
                    "application/yaml",
                    example("legal-classification.yaml"),
                ),
                other => panic!("undocumented method {other}"),
            };
            let (status, _, body) = send(&app, req).await;
            let documented = op["responses"].as_object().unwrap();
            assert!(
                documented.contains_key(status.as_str()),
                "{method} {path}: {status} is not documented"
            );
            assert!(
                !body.contains("no such endpoint"),
                "{method} {path} is not routed"
            );
            // Component-described JSON bodies must validate against the component.
            let schema =
                &documented[status.as_str()]["content"]["application/json"]["schema"]["$ref"];
            if let Some(name) = schema
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                let mut component = spec["components"]["schemas"][name].clone();
                if let Some(props) = component["properties"].as_object_mut() {
                    for v in props.values_mut() {
                        if v.get("$ref").is_some() {
                            *v = serde_json::json!({});
                        }
                    }
                }
                let validator = jsonschema::draft202012::new(&component).unwrap();
                let value: serde_json::Value = serde_json::from_str(&body).unwrap();
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .map(|e| e.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "{method} {path}: body breaks {name}: {errors:?}"
                );
            }
        }
    }
    // What the description does not list is not served.
    assert_eq!(
        send(&app, get("/v1/undocumented")).await.0,
        StatusCode::NOT_FOUND
    );
}

/// The counter `name`'s value in a Prometheus exposition.
fn counter(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in:\n{metrics}"))
}

#[tokio::test]
async fn a_second_identical_request_makes_no_script_call() {
    let store = loaded_store();
    let calls = {
        let b = store.snapshot().unwrap();
        (b.models().len() * b.criteria.len()) as u64
    };
    let app = app(store, None, ServiceConfig::default());
    // Loading ran the bundle's golden cases, which filled the cache for their own tasks.
    let (_, _, m) = send(&app, get("/metrics")).await;
    let misses = counter(&m, "arbiter_verdict_cache_misses_total");
    let hits = counter(&m, "arbiter_verdict_cache_hits_total");
    let mut task = example("legal-classification.yaml");
    task = task.replace("name: ", "name: not a golden case, ");
    let (status, _, first) = send(&app, post("/v1/select", "application/yaml", task.clone())).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (_, _, m) = send(&app, get("/metrics")).await;
    let computed = counter(&m, "arbiter_verdict_cache_misses_total") - misses;
    let reused = counter(&m, "arbiter_verdict_cache_hits_total") - hits;
    assert_eq!(
        computed + reused,
        calls,
        "every verdict computed or reused once"
    );
    assert!(computed > 0, "a new task needs some script calls");

    let (status, _, second) = send(&app, post("/v1/select", "application/yaml", task)).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let (_, _, m) = send(&app, get("/metrics")).await;
    assert_eq!(
        counter(&m, "arbiter_verdict_cache_misses_total") - misses,
        computed,
        "no script call for the same task"
    );
    assert_eq!(
        counter(&m, "arbiter_verdict_cache_hits_total") - hits,
        reused + calls
    );
    let chosen =
        |body: &str| serde_json::from_str::<serde_json::Value>(body).unwrap()["chosen"].clone();
    assert_eq!(chosen(&first), chosen(&second));
}

/// A decision that passes its deadline is stopped, not left to run: its slot is free again at
/// once. One slot; four criteria that loop (each call up to the ceiling of a second, on two
/// models) would hold the slot for seconds after the first request's 503, and the second
/// request would find no slot ("too many decisions in progress"). Stopped, the first decision
/// frees the slot, and the second runs (and passes its own deadline).
#[tokio::test]
async fn a_decision_past_its_deadline_stops_and_frees_its_slot() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = repo().join("tests/cases/hostile");
    std::fs::copy(
        hostile.join("catalog.yaml"),
        dir.path().join("catalog.yaml"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("criteria")).unwrap();
    std::fs::write(
        dir.path().join("criteria/loops.rhai"),
        "fn evaluate(task, model) {\n    if model.id != \"x/first\" { let x = 0; while true { x += 1; } }\n    score(0.5, \"fine\")\n}\n",
    )
    .unwrap();
    // Four criteria looping on two models: up to eight seconds of CPU if nothing stops them.
    let mut manifest = String::from(
        "name = \"loops\"\nversion = \"1\"\ncatalog = \"catalog.yaml\"\n[limits]\nmax_operations = 10000000\ntimeout_ms = 1000\n",
    );
    for i in 1..=4 {
        manifest.push_str(&format!(
            "[[criterion]]\nname = \"loops{i}\"\nscript = \"criteria/loops.rhai\"\nweight = 1.0\non_error = \"abstain\"\n"
        ));
    }
    std::fs::write(dir.path().join("bundle.toml"), manifest).unwrap();
    let store = Arc::new(BundleStore::new(dir.path().to_path_buf(), None));
    store.reload();
    assert!(store.snapshot().is_some(), "the looping bundle must load");
    let config = ServiceConfig {
        // Long enough that a cancelled decision ends within it even on a loaded machine (it
        // needs milliseconds of CPU), far shorter than what an uncancelled one holds (seconds).
        deadline: Duration::from_millis(1000),
        max_concurrency: 1,
        ..ServiceConfig::default()
    };
    let app = app(store, None, config);
    let task =
        "name: t\ntask: text-classification\nlanguages: [en]\ndata: {labeled_examples: 1000}\n";
    for attempt in ["first", "second"] {
        let (status, _, body) = send(&app, post("/v1/select", "application/yaml", task)).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{attempt}: {body}");
        assert!(
            body.contains("did not finish within the deadline"),
            "{attempt} request: the slot should be free again, got: {body}"
        );
    }
}

/// The latest decisions, newest first, a page at a time, each found again by id; records that
/// were in the log before the service opened it are listed too (the index reads the log once),
/// and a bad query is a JSON 400.
#[tokio::test]
async fn logged_decisions_are_listed_newest_first_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.log");
    let store = loaded_store();
    // Two decisions logged before the service starts.
    {
        let trail = AuditTrail::open(&path, Sync::Always).unwrap();
        let bundle = store.snapshot().unwrap();
        for name in ["legal-classification.yaml", "chinese-sentiment-cpu.yaml"] {
            let task =
                arbiter_engine::load::load_task(&repo().join("examples/tasks").join(name)).unwrap();
            let d = arbiter_engine::decide(&bundle, task).unwrap();
            trail.record(&bundle, &d).unwrap();
        }
    }
    let trail = AuditTrail::open(&path, Sync::Always).unwrap();
    let app = app(store, Some(trail), ServiceConfig::default());
    // Three more through the service.
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, _, body) = send(
            &app,
            post(
                "/v1/select",
                "application/yaml",
                example("legal-classification.yaml"),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let d: serde_json::Value = serde_json::from_str(&body).unwrap();
        ids.push(d["decision_id"].as_str().unwrap().to_string());
    }
    let page = |uri: &str| {
        let app = app.clone();
        let uri = uri.to_string();
        async move {
            let (status, _, body) = send(&app, get(&uri)).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let first = page("/v1/decisions?limit=2").await;
    let seqs = |p: &serde_json::Value| -> Vec<u64> {
        p["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(seqs(&first), [5, 4]);
    assert_eq!(first["decisions"][0]["decision_id"], ids[2].as_str());
    assert_eq!(first["next_before"], 4);
    let second = page("/v1/decisions?limit=2&before=4").await;
    assert_eq!(seqs(&second), [3, 2]);
    let last = page("/v1/decisions?limit=2&before=2").await;
    assert_eq!(seqs(&last), [1]);
    assert_eq!(last["next_before"], serde_json::Value::Null);
    assert_eq!(
        last["decisions"][0]["task"],
        "Court-decision topic classification"
    );
    // Each is found by id, whole.
    for d in [&first, &second, &last]
        .iter()
        .flat_map(|p| p["decisions"].as_array().unwrap())
    {
        let id = d["decision_id"].as_str().unwrap();
        let (status, _, body) = send(&app, get(&format!("/v1/decisions/{id}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let record: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(record["seq"], d["seq"]);
        assert_eq!(record["hash"], d["hash"]);
    }
    for bad in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "before=-1",
        "color=red",
    ] {
        let (status, headers, body) = send(&app, get(&format!("/v1/decisions?{bad}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{bad}");
        assert!(body.contains("\"error\""), "{bad}: {body}");
    }
}

/// Every error answer is JSON of the documented shape, including those axum makes itself: a
/// bad query string, a body over the limit, a method a route does not take (they were plain
/// text, or empty).
#[tokio::test]
async fn errors_axum_makes_itself_are_json_too() {
    let config = ServiceConfig {
        max_body_bytes: 1000,
        ..ServiceConfig::default()
    };
    let app = app(loaded_store(), None, config);
    let task = example("legal-classification.yaml");
    let cases: Vec<(Request<Body>, StatusCode)> = vec![
        (
            post("/v1/select?top=-1", "application/yaml", task.clone()),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("/v1/select?top=abc", "application/yaml", task.clone()),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("/v1/select?top=1&top=2", "application/yaml", task.clone()),
            StatusCode::BAD_REQUEST,
        ),
        (
            post("/v1/select", "application/yaml", "x".repeat(5000)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            Request::delete("/v1/select").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            post("/v1/bundle", "application/json", "{}"),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (req, expected) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let (status, headers, body) = send(&app, req).await;
        assert_eq!(status, expected, "{what}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{what}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert!(
            v["error"].is_string() && v["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert!(headers.contains_key(header::ALLOW), "{what}: Allow is kept");
        }
    }
}

/// Every response, the page's and the API's alike, carries the Content-Security-Policy,
/// `nosniff` and no referrer; the page refers to nothing but its own files, and has no inline
/// script or style for the policy to block. (That the page's files need no token is checked
/// with the token's other rules.)
#[tokio::test]
async fn the_page_is_served_with_a_strict_policy() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let (status, headers, page) = send(&app, get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert_eq!(policy, arbiter_server::ui::CONTENT_SECURITY_POLICY);
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive} in {policy}");
    }
    assert!(!policy.contains("unsafe"), "{policy}");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");

    // What the page refers to: its own files, and a data: icon (no favicon request).
    let mut refs = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for (at, _) in page.match_indices(attr) {
            let rest = &page[at + attr.len()..];
            refs.push(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    refs.sort();
    assert_eq!(
        refs,
        ["/ui/app.css", "/ui/app.js", "/ui/report.css", "data:,"]
    );
    assert!(!page.contains("<style") && !page.contains("style="));
    assert_eq!(page.matches("<script").count(), 1, "one script, by src");
    assert!(!page.contains("http://") && !page.contains("https://"));

    for (file, content_type) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("report.css", "text/css; charset=utf-8"),
    ] {
        let (status, headers, body) = send(&app, get(&format!("/ui/{file}"))).await;
        assert_eq!(status, StatusCode::OK, "{file}");
        assert_eq!(headers[header::CONTENT_TYPE], content_type, "{file}");
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{file}"
        );
        if file == "report.css" {
            assert_eq!(body, arbiter_report::html::STYLE);
        }
        if file == "app.js" {
            // No code from strings, which the policy would block anyway.
            for banned in ["eval(", "new Function", "innerHTML", "document.write"] {
                assert!(!body.contains(banned), "{banned} in app.js");
            }
        }
    }
    let (status, headers, body) = send(&app, get("/ui/secret.txt")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json", "{body}");

    // The API's answers carry the same headers.
    let (_, headers, _) = send(&app, get("/v1/bundle")).await;
    assert_eq!(
        headers[header::CONTENT_SECURITY_POLICY],
        arbiter_server::ui::CONTENT_SECURITY_POLICY
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

/// `POST /v1/check` lists what `POST /v1/select` would refuse, each problem at its line, and
/// decides nothing.
#[tokio::test]
async fn check_lists_every_problem_at_its_line_without_deciding() {
    let dir = tempfile::tempdir().unwrap();
    let trail = AuditTrail::open(&dir.path().join("d.log"), Sync::Always).unwrap();
    let app = app(loaded_store(), Some(trail), ServiceConfig::default());
    let invalid =
        std::fs::read_to_string(repo().join("tests/cases/invalid/four-errors-at-once.yaml"))
            .unwrap();
    let (status, _, body) =
        send(&app, post("/v1/check", "application/yaml", invalid.clone())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["valid"], false);
    let found: Vec<(String, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("/task".to_string(), 11),
            ("/languages".to_string(), 12),
            ("/data/labeled_examples".to_string(), 14),
            (String::new(), 15)
        ]
    );
    // The same problems as the 400 of /v1/select.
    let (status, _, refused) = send(&app, post("/v1/select", "application/yaml", invalid)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let refused: serde_json::Value = serde_json::from_str(&refused).unwrap();
    assert_eq!(refused["errors"], v["errors"]);

    let (status, _, body) = send(
        &app,
        post(
            "/v1/check",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v, serde_json::json!({"valid": true, "errors": []}));

    // A syntax error, located; weights the bundle does not have, as a decision would say.
    let (_, _, body) = send(
        &app,
        post("/v1/check", "application/yaml", "name: x\ntask: [ner\n"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{body}");
    assert!(v["errors"][0]["line"].as_u64().is_some(), "{body}");
    let weights = "{\"name\":\"t\",\"task\":\"ner\",\"languages\":[\"en\"],\"data\":{\"labeled_examples\":5},\"weights\":{\"colour\":1}}";
    let (_, _, body) = send(&app, post("/v1/check", "application/json", weights)).await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["errors"][0]["path"], "/weights", "{body}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("colour")
    );
    let (status, _, _) = send(&app, post("/v1/check", "text/plain", "name: x")).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Nothing was decided or logged by the checks.
    let (_, _, metrics) = send(&app, get("/metrics")).await;
    assert!(
        metrics.contains("arbiter_decisions_total{outcome=\"invalid\"} 1"),
        "{metrics}"
    );
    assert!(!metrics.contains("outcome=\"chosen\"} 1"), "{metrics}");
    let (_, _, list) = send(&app, get("/v1/decisions")).await;
    assert!(list.contains("\"decisions\":[]"), "{list}");
}

/// The text of every element's content in an HTML fragment, tags dropped (enough to look for a
/// model id or a heading).
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `?format=html` answers the report `arbiter select --format html` holds, as a fragment
/// ready to insert: the chosen model, the charts, no script and no inline style (which the
/// page's policy would block).
#[tokio::test]
async fn select_as_html_answers_the_report_fragment() {
    let app = app(loaded_store(), None, ServiceConfig::default());
    let task = example("legal-classification.yaml");
    let chosen = decide_legal(&app).await["chosen"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, headers, body) = send(
        &app,
        post("/v1/select?format=html&top=5", "application/yaml", task),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert!(headers.contains_key("x-decision-id"));
    assert!(
        body.starts_with("<article class=\"arbiter-report\" id=\"decided\">"),
        "{}",
        &body[..200]
    );
    assert!(
        text_of(&body).contains(&format!("{chosen} was chosen")),
        "{chosen}"
    );
    for chart in ["decided-scores", "decided-cost", "decided-weights"] {
        assert!(body.contains(&format!("id=\"{chart}\"")), "{chart}");
    }
    assert!(
        body.contains("data-contribution="),
        "the bar chart has bars"
    );
    for banned in ["<script", " style=", "<style", "http://", "https://"] {
        assert!(!body.contains(banned), "{banned} in the fragment");
    }
    // An invalid task is still a JSON 400 listing its problems; a bad format a JSON 400.
    let (status, headers, _) = send(
        &app,
        post("/v1/select?format=html", "application/yaml", "name: x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let (status, headers, _) = send(
        &app,
        post(
            "/v1/select?format=pdf",
            "application/yaml",
            example("legal-classification.yaml"),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
}

/// A logged decision's report names its record and says which bundle priced it: the active
/// one when it decided, else the archive's copy, else none (and then it has no cost chart).
#[tokio::test]
async fn a_logged_decision_has_its_report_priced_by_the_bundle_that_decided() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.log");
    let trail = AuditTrail::open(&path, Sync::Always).unwrap();
    let app = app(loaded_store(), Some(trail), ServiceConfig::default());
    let d = decide_legal(&app).await;
    let id = d["decision_id"].as_str().unwrap().to_string();
    let report = |app: Router| {
        let uri = format!("/v1/decisions/{id}/report");
        async move { send(&app, get(&uri)).await }
    };
    let (status, headers, body) = report(app.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(headers["x-arbiter-priced-by"], "active");
    assert!(body.starts_with("<article class=\"arbiter-report\" id=\"logged-1\">"));
    let text = text_of(&body);
    assert!(
        text.contains(&format!("{} was chosen", d["chosen"].as_str().unwrap())),
        "{text}"
    );
    assert!(text.contains("Log record1"), "{text}");
    assert!(text.contains("not checked here"), "{text}");
    assert!(body.contains("id=\"logged-1-cost"), "a cost chart");
    assert_eq!(
        send(&app, get("/v1/decisions/nope/report")).await.0,
        StatusCode::NOT_FOUND
    );
    drop(app);

    // Another bundle active: the archive's copy prices it.
    let tiny = Arc::new(BundleStore::new(repo().join("tests/bundles/tiny"), None));
    tiny.reload();
    let reopened = || AuditTrail::open(&path, Sync::Always).unwrap();
    let other = self::app(tiny.clone(), Some(reopened()), ServiceConfig::default());
    let (status, headers, body) = report(other.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-arbiter-priced-by"], "archive");
    assert!(body.contains("id=\"logged-1-cost"), "a cost chart");
    drop(other);

    // Neither: no cost chart, and the report says why.
    std::fs::remove_dir_all(arbiter_audit::archive_for_log(&path).dir().unwrap()).unwrap();
    let bare = self::app(tiny, Some(reopened()), ServiceConfig::default());
    let (status, headers, body) = report(bare).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["x-arbiter-priced-by"], "none");
    assert!(!body.contains("id=\"logged-1-cost"));
    assert!(body.contains("Not drawn"), "the report says why");

    let no_log = self::app(loaded_store(), None, ServiceConfig::default());
    let (status, _, body) = send(&no_log, get(&format!("/v1/decisions/{id}/report"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no decision log"), "{body}");
}

/// With trusted keys, `/v1/bundle` names the key that signed the active bundle; a reload refused
/// for its signature leaves that bundle serving and is the `last_failure`, naming the signature.
#[tokio::test]
async fn bundle_status_names_the_signing_key_and_why_a_signature_was_refused() {
    use arbiter_engine::bundle::Files;
    use arbiter_engine::signature::{SIGNATURE_FILE, SecretKey, TrustedKeys};
    let key = SecretKey::from_seed(&[9; 32]);
    let keys_dir = tempfile::tempdir().unwrap();
    let keys_path = keys_dir.path().join("trusted-keys");
    std::fs::write(&keys_path, key.public().to_line()).unwrap();
    let bundle = arbiter_test_support::BundleCopy::of("tests/bundles/tiny");
    let hash = Files::read_dir(bundle.path()).unwrap().hash();
    std::fs::write(bundle.file(SIGNATURE_FILE), key.sign(&hash)).unwrap();
    let store = Arc::new(
        BundleStore::new(bundle.path(), None).trusting(TrustedKeys::read(&keys_path).unwrap()),
    );
    store.reload();
    let app = app(store.clone(), None, ServiceConfig::default());
    let status = |body: String| serde_json::from_str::<serde_json::Value>(&body).unwrap();
    let v = status(send(&app, get("/v1/bundle")).await.2);
    assert_eq!(v["signed_by"], key.id());
    assert_eq!(v["hash"], hash.as_str());
    assert_eq!(v["trusted_keys"], keys_path.display().to_string());
    assert!(v["last_failure"].is_null(), "{v}");

    bundle.patch_script(
        "size",
        "fn evaluate",
        "// edited after signing\nfn evaluate",
    );
    store.reload();
    let v = status(send(&app, get("/v1/bundle")).await.2);
    assert_eq!(v["hash"], hash.as_str(), "the last good bundle serves");
    assert_eq!(v["signed_by"], key.id());
    assert_eq!(v["reloads"]["rejected"], 1);
    let message = v["last_failure"]["message"].as_str().unwrap();
    assert!(
        message.contains(SIGNATURE_FILE) && message.contains("changed after signing"),
        "{message}"
    );
    assert!(
        v["last_failure"]["file"]
            .as_str()
            .unwrap()
            .ends_with(SIGNATURE_FILE),
        "{v}"
    );
}
