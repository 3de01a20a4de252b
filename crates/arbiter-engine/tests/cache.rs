//! The verdict cache changes no decision: every example task, every golden task of the shipped
//! bundles and hundreds of randomised variants are decided with the cache (twice: filling it,
//! then from it) and without, and the decisions must agree field for field. A repeated task
//! makes no script call; a task differing only in its latency budget re-runs only what read it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use arbiter_engine::task::Deployment;
use arbiter_engine::{Bundle, Task, decide, load};
use arbiter_test_support::repo;

use common::{randomised, tasks_of};

fn bundle(dir: &str, cached: bool) -> Bundle {
    let b = Bundle::load(&repo().join(dir), None).unwrap_or_else(|e| panic!("{e}"));
    b.cache.set_enabled(cached);
    b
}

fn assert_same(bundle_dir: &str, tasks: &[Task]) {
    let cached = bundle(bundle_dir, true);
    let plain = bundle(bundle_dir, false);
    for (i, task) in tasks.iter().enumerate() {
        let fill = decide(&cached, task.clone());
        let again = decide(&cached, task.clone());
        let fresh = decide(&plain, task.clone());
        match (fill, again, fresh) {
            (Ok(a), Ok(b), Ok(c)) => {
                assert_eq!(
                    a.differences(&c),
                    Vec::<&str>::new(),
                    "task {i} ({}), filling",
                    task.name
                );
                assert_eq!(
                    b.differences(&c),
                    Vec::<&str>::new(),
                    "task {i} ({}), cached",
                    task.name
                );
            }
            (Err(a), Err(b), Err(c)) => {
                assert_eq!(
                    (a.to_string(), b.to_string()),
                    (c.to_string(), c.to_string())
                );
            }
            (a, b, c) => panic!("task {i}: {a:?} / {b:?} / {c:?}"),
        }
    }
    assert!(cached.cache.hits() > 0, "the cache was used");
    assert_eq!(
        plain.cache.hits() + plain.cache.misses(),
        0,
        "the plain bundle never cached"
    );
}

#[test]
fn cached_and_uncached_decisions_agree_on_every_example_and_golden_task() {
    for dir in ["policies", "examples/bundles/commercial"] {
        assert_same(dir, &tasks_of(dir));
    }
}

#[test]
fn cached_and_uncached_decisions_agree_on_randomised_tasks() {
    assert_same("policies", &randomised("policies", 300, 0x5eed_cafe_f00d));
}

#[test]
fn a_repeated_task_calls_no_script_and_a_new_budget_reruns_only_what_read_it() {
    let b = bundle("policies", true);
    let task = load::load_task(&repo().join("examples/tasks/legal-classification.yaml")).unwrap();
    let calls = b.models().len() * b.criteria.len();
    decide(&b, task.clone()).unwrap();
    assert_eq!((b.cache.hits(), b.cache.misses()), (0, calls as u64));
    decide(&b, task.clone()).unwrap();
    assert_eq!(
        b.cache.misses(),
        calls as u64,
        "no script call for the same task"
    );
    assert_eq!(b.cache.hits(), calls as u64);

    let mut tighter = task.clone();
    tighter.resources.max_latency_ms = Some(7.0);
    let before = b.cache.misses();
    decide(&b, tighter).unwrap();
    let reran = (b.cache.misses() - before) as usize;
    assert!(reran > 0, "the criterion reading the budget ran again");
    assert!(
        reran <= b.models().len(),
        "only one criterion reads the latency budget, {reran} calls re-ran"
    );
}

/// Host functions that take the task note what they read: a criterion that sees the task only
/// through `estimate` must still be re-run when any input of the estimate changes.
#[test]
fn a_task_read_through_a_host_function_is_tracked() {
    let script = r#"fn evaluate(task, model) {
        let c = estimate(task, model, "fp32");
        score(1.0 / (1.0 + c.latency_ms + c.memory_mb), `${c.latency_ms} ms, ${c.memory_mb} MB`)
    }"#;
    let catalog = std::fs::read(repo().join("policies/catalog.yaml")).unwrap();
    let files = |cached: bool| {
        let manifest = "name = \"t\"\nversion = \"0\"\n[[criterion]]\nname = \"cost\"\nscript = \"criteria/cost.rhai\"\nweight = 1.0\n";
        let b = Bundle::from_files(
            arbiter_engine::files::Files(
                [
                    ("bundle.toml".to_string(), manifest.as_bytes().to_vec()),
                    ("catalog.yaml".to_string(), catalog.clone()),
                    ("criteria/cost.rhai".to_string(), script.as_bytes().to_vec()),
                ]
                .into_iter()
                .collect(),
            ),
            "t".into(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        b.cache.set_enabled(cached);
        b
    };
    let (cached, plain) = (files(true), files(false));
    let base = load::load_task(&repo().join("examples/tasks/news-summarization.yaml")).unwrap();
    let mut tasks = vec![base.clone()];
    for change in 0..4 {
        let mut t = tasks.last().unwrap().clone();
        match change {
            0 => t.resources.sequence_length *= 2,
            1 => t.resources.batch_size = 4,
            2 => t.resources.output_tokens = Some(512),
            _ => t.resources.deployment = Deployment::Mobile,
        }
        tasks.push(t);
    }
    for t in &tasks {
        let a = decide(&cached, t.clone()).unwrap();
        let b = decide(&plain, t.clone()).unwrap();
        assert_eq!(a.differences(&b), Vec::<&str>::new(), "{:?}", t.resources);
    }
    assert_eq!(cached.cache.hits(), 0, "every change re-ran the estimate");
}
