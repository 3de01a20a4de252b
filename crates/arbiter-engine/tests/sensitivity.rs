//! Weight sensitivity against the real thing: just inside each computed bound the choice stays,
//! just outside it changes — checked by deciding again with the weight overridden per task.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use arbiter_engine::sensitivity::weight_ranges;
use arbiter_engine::task::{CriterionName, Weight};
use arbiter_engine::{Bundle, Task, decide, load};
use arbiter_test_support::repo;

fn chosen_with(bundle: &Bundle, task: &Task, criterion: &str, weight: f64) -> Option<String> {
    let mut t = task.clone();
    t.weights
        .insert(CriterionName(criterion.into()), Weight(weight));
    decide(bundle, t).unwrap().chosen
}

#[test]
fn the_choice_holds_inside_each_range_and_changes_outside() {
    let bundle = Bundle::load(&repo().join("policies"), None).unwrap();
    assert!(bundle.manifest.allow_task_weights);
    let mut checked_bounds = 0;
    for name in [
        "legal-classification.yaml",
        "chinese-sentiment-cpu.yaml",
        "english-extractive-qa.yaml",
        "translation-en-de.yaml",
    ] {
        let task = load::load_task(&repo().join("examples/tasks").join(name)).unwrap();
        let d = decide(&bundle, task.clone()).unwrap();
        let winner = d.chosen.clone().unwrap();
        for r in weight_ranges(&d) {
            assert!(
                r.low <= r.weight && r.high.is_none_or(|h| h >= r.weight),
                "{name}: {r:?}"
            );
            let inside = [
                r.low + (r.weight - r.low) * 0.02,
                r.weight,
                r.high
                    .map_or(r.weight * 10.0, |h| r.weight + (h - r.weight) * 0.98),
            ];
            for w in inside {
                assert_eq!(
                    chosen_with(&bundle, &task, &r.criterion, w).as_deref(),
                    Some(winner.as_str()),
                    "{name}: {} at {w} ({r:?})",
                    r.criterion
                );
            }
            if let Some(h) = r.high {
                assert_ne!(
                    chosen_with(&bundle, &task, &r.criterion, h * 1.02 + 1e-6).as_deref(),
                    Some(winner.as_str()),
                    "{name}: {} past {h}",
                    r.criterion
                );
                checked_bounds += 1;
            }
            if r.low > 0.0 {
                assert_ne!(
                    chosen_with(&bundle, &task, &r.criterion, r.low * 0.98).as_deref(),
                    Some(winner.as_str()),
                    "{name}: {} below {}",
                    r.criterion,
                    r.low
                );
                checked_bounds += 1;
            }
        }
    }
    assert!(
        checked_bounds >= 4,
        "too few finite bounds to be a test: {checked_bounds}"
    );
}
