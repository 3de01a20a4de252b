//! Every view of a decision is made from the same facts: what one view says about a decision,
//! the others must not contradict. Run over every example task with the default bundle.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::{Path, PathBuf};

use arbiter_engine::{Bundle, decide, load};
use arbiter_report::{Report, gaps, json, sentences, text};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn decisions() -> Vec<arbiter_engine::Decision> {
    let bundle = Bundle::load(&repo().join("policies"), None).expect("the default bundle loads");
    let mut tasks: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/tasks"))
        .expect("examples/tasks")
        .map(|e| e.expect("entry").path())
        .collect();
    tasks.sort();
    assert!(tasks.len() >= 10, "the examples are the test data");
    tasks
        .iter()
        .map(|t| {
            let task = load::load_task(t).unwrap_or_else(|e| panic!("{e}"));
            decide(&bundle, task).unwrap_or_else(|e| panic!("{}: {e}", t.display()))
        })
        .collect()
}

#[test]
fn the_runner_up_loses_most_where_why_not_says_it_does() {
    let mut compared = 0;
    for d in decisions() {
        let report = Report::new(&d, Some(75));
        let (Some(first), Some(second)) = (d.ranking.first(), d.ranking.get(1)) else {
            continue;
        };
        let largest = &gaps(&d, first, second)[0];
        let why_not = text::why_not(&report, &second.model, false);
        let first_line = why_not
            .lines()
            .find(|l| l.trim_start().starts_with(largest.criterion))
            .unwrap_or_else(|| panic!("why-not lists {}:\n{why_not}", largest.criterion));
        assert!(
            first_line.contains(&format!("{:+.3}", largest.gap)),
            "{first_line}"
        );
        let said = sentences::explain(&report, false);
        if largest.gap > 0.0 {
            assert!(
                said.contains(&format!(
                    "lost most on {} ({:.3}",
                    largest.criterion, largest.gap
                )),
                "{said}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 5,
        "only {compared} decisions had a runner-up behind on some criterion"
    );
}

#[test]
fn the_table_the_sentences_and_the_json_name_the_same_choice() {
    for d in decisions() {
        let report = Report::new(&d, Some(75));
        let table = text::summary(&report, 5, false);
        let said = sentences::explain(&report, false);
        let value = json::explanation(&report);
        assert_eq!(value["decision"]["chosen"].as_str(), d.chosen.as_deref());
        assert_eq!(value["explanation"].as_str(), Some(said.as_str()));
        assert!(table.contains("75 models: "), "{table}");
        match &d.chosen {
            Some(m) => {
                assert!(table.contains(&format!("chosen: {m}")), "{table}");
                assert!(said.contains(&format!("{m} was chosen")), "{said}");
            }
            None => assert!(said.contains("No model was chosen"), "{said}"),
        }
        // Weight sensitivity is computed once, in the report, and shown by --explain.
        let explained = text::explain(&report, 3, false);
        for range in report.sensitivity() {
            assert!(
                explained.contains(&format!("{:<12} ", range.criterion)),
                "{explained}"
            );
        }
        assert_eq!(
            text::what_if(&report, false),
            "",
            "no counterfactuals asked for"
        );
    }
}
