//! Compiled scripts answer as Rhai does. Every criterion of the shipped bundles compiles; on
//! every example and golden task and hundreds of randomised variants, each call the compiled
//! code answers returns Rhai's verdict, bit for bit, within Rhai's operation count times
//! `OPS_FACTOR`, and whole decisions with compiled scripts equal decisions on Rhai alone.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

mod common;

use arbiter_engine::compiled::OPS_FACTOR;
use arbiter_engine::differential::compare;
use arbiter_engine::{Bundle, Task, decide};
use arbiter_test_support::repo;

use common::{randomised, tasks_of};

fn bundle(dir: &str) -> Bundle {
    let b = Bundle::load(&repo().join(dir), None).unwrap_or_else(|e| panic!("{e}"));
    b.cache.set_enabled(false);
    b
}

fn assert_compiled_as_rhai(dir: &str, tasks: &[Task]) {
    let b = bundle(dir);
    let c = compare(&b, tasks);
    eprintln!(
        "{dir}: {} calls, {} answered compiled, {} handed to Rhai, Rhai counted at most {:.2} operations per compiled one (factor {OPS_FACTOR}); handed to Rhai by criterion: {:?}",
        c.calls, c.answered, c.bailed, c.max_ops_ratio, c.bailed_by
    );
    assert_eq!(
        c.not_compiled,
        Vec::<String>::new(),
        "{dir}: every criterion compiles"
    );
    assert_eq!(c.differences, Vec::<String>::new(), "{dir}");
    // The shipped policies stay inside what compiles: a call handed to Rhai is the exception.
    assert!(
        c.bailed * 100 <= c.calls,
        "{dir}: {} of {} calls handed to Rhai",
        c.bailed,
        c.calls
    );
}

#[test]
fn compiled_calls_answer_as_rhai_on_every_example_and_golden_task() {
    for dir in ["policies", "examples/bundles/commercial"] {
        assert_compiled_as_rhai(dir, &tasks_of(dir));
    }
}

#[test]
fn compiled_calls_answer_as_rhai_on_randomised_tasks() {
    assert_compiled_as_rhai("policies", &randomised("policies", 150, 0xc0de_feed_1234));
}

#[test]
fn decisions_with_compiled_scripts_equal_decisions_on_rhai_alone() {
    let compiled = bundle("policies");
    let rhai = bundle("policies");
    rhai.set_compiled(false);
    let mut tasks = tasks_of("policies");
    tasks.extend(randomised("policies", 60, 0xdec1_de00));
    for (i, task) in tasks.iter().enumerate() {
        match (decide(&compiled, task.clone()), decide(&rhai, task.clone())) {
            (Ok(a), Ok(b)) => assert_eq!(
                a.differences(&b),
                Vec::<&str>::new(),
                "task {i} ({})",
                task.name
            ),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("task {i}: {a:?} / {b:?}"),
        }
    }
}
