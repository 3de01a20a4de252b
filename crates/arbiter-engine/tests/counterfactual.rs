//! Counterfactuals are real: applying each reported change to the task makes the reported model
//! the choice, and the current choice is not it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use arbiter_engine::counterfactual::counterfactuals;
use arbiter_engine::{Bundle, Task, decide, load};
use arbiter_test_support::repo;

/// The task with the field at `pointer` set to `value` (parsed as JSON, else as a string).
fn changed(task: &Task, pointer: &str, value: &str) -> Task {
    let mut v = serde_json::to_value(task).unwrap();
    let new =
        serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.into()));
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        &mut v
    } else {
        v.pointer_mut(parent).unwrap()
    };
    target[key] = new;
    serde_json::from_value(v).unwrap()
}

#[test]
fn each_counterfactual_changes_the_choice_as_reported() {
    let bundle = Bundle::load(&repo().join("policies"), None).unwrap();
    let mut seen = 0;
    for name in [
        "english-classification-phone.yaml",
        "legal-classification.yaml",
        "chinese-sentiment-cpu.yaml",
    ] {
        let task = load::load_task(&repo().join("examples/tasks").join(name)).unwrap();
        let now = decide(&bundle, task.clone()).unwrap().chosen;
        for c in counterfactuals(&bundle, &task, 60) {
            assert_ne!(c.chosen, now, "{name}: {c:?}");
            let d = decide(&bundle, changed(&task, &c.field, &c.to)).unwrap();
            assert_eq!(d.chosen, c.chosen, "{name}: {c:?}");
            seen += 1;
        }
    }
    assert!(seen >= 4, "too few counterfactuals to be a test: {seen}");
}
