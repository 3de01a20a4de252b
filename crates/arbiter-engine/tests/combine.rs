//! Properties of the combination: scores in [0, 1], scaling every weight changes
//! nothing, a zero weight has no influence, the order of criteria does not matter, abstentions
//! renormalise, ties are broken deterministically, per-task weights only where allowed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use arbiter_engine::bundle::{Bundle, Files};
use arbiter_engine::decide::{DecideError, Status};
use arbiter_engine::{Decision, decide, load};

const CATALOG: &str = include_str!("../../../tests/cases/hostile/catalog.yaml");

const SIZE: &str = r#"fn evaluate(task, model) { score(model.parameters_m / 200.0, "size") }"#;
const FAMILY: &str = r#"fn evaluate(task, model) { score(if model.family == "encoder" { 0.9 } else { 0.2 }, "family") }"#;
const PICKY: &str = r#"fn evaluate(task, model) { if model.id == "x/first" { return abstain("no opinion"); } score(0.3, "picky") }"#;
const SAME: &str = r#"fn evaluate(task, model) { score(0.5, "same for all") }"#;

fn bundle(criteria: &[(&str, &str, f64)], allow_task_weights: bool) -> Bundle {
    let mut manifest =
        format!("name = \"t\"\nversion = \"0\"\nallow_task_weights = {allow_task_weights}\n");
    let mut files: Vec<(String, Vec<u8>)> =
        vec![("catalog.yaml".into(), CATALOG.as_bytes().to_vec())];
    for (name, script, weight) in criteria {
        manifest.push_str(&format!(
            "[[criterion]]\nname = \"{name}\"\nscript = \"criteria/{name}.rhai\"\nweight = {weight:?}\n"
        ));
        files.push((format!("criteria/{name}.rhai"), script.as_bytes().to_vec()));
    }
    files.push(("bundle.toml".into(), manifest.into_bytes()));
    Bundle::from_files(Files(files.into_iter().collect()), "test".into()).unwrap()
}

fn task(extra: &str) -> arbiter_engine::Task {
    let text = format!(
        "name: t\ntask: text-classification\nlanguages: [en]\ndata: {{labeled_examples: 10}}\n{extra}"
    );
    load::task_from_str(&text, load::Syntax::Yaml, "t").unwrap()
}

fn scores(d: &Decision) -> Vec<(String, f64)> {
    d.ranking
        .iter()
        .map(|r| (r.model.clone(), r.score))
        .collect()
}

fn same(a: &[(String, f64)], b: &[(String, f64)]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.0, y.0);
        assert!((x.1 - y.1).abs() < 1e-12, "{x:?} vs {y:?}");
    }
}

#[test]
fn scores_are_weighted_means_in_the_unit_interval() {
    let d = decide(
        &bundle(&[("size", SIZE, 2.0), ("family", FAMILY, 1.0)], false),
        task(""),
    )
    .unwrap();
    for r in &d.ranking {
        assert!((0.0..=1.0).contains(&r.score), "{r:?}");
        let sum: f64 = r.criteria.values().map(|c| c.contribution).sum();
        assert!((sum - r.score).abs() < 1e-12);
    }
    // x/trigger: (2·110/200 + 1·0.9) / 3.
    let t = d.ranking.iter().find(|r| r.model == "x/trigger").unwrap();
    assert!((t.score - (2.0 * 0.55 + 0.9) / 3.0).abs() < 1e-12);
}

#[test]
fn scaling_every_weight_changes_nothing() {
    let a = decide(
        &bundle(&[("size", SIZE, 2.0), ("family", FAMILY, 1.0)], false),
        task(""),
    )
    .unwrap();
    let b = decide(
        &bundle(&[("size", SIZE, 20.0), ("family", FAMILY, 10.0)], false),
        task(""),
    )
    .unwrap();
    same(&scores(&a), &scores(&b));
}

#[test]
fn a_zero_weight_has_no_influence() {
    let a = decide(
        &bundle(&[("size", SIZE, 2.0), ("family", FAMILY, 1.0)], false),
        task(""),
    )
    .unwrap();
    let b = decide(
        &bundle(
            &[
                ("size", SIZE, 2.0),
                ("family", FAMILY, 1.0),
                ("picky", PICKY, 0.0),
            ],
            false,
        ),
        task(""),
    )
    .unwrap();
    same(&scores(&a), &scores(&b));
}

#[test]
fn the_order_of_criteria_does_not_matter() {
    let a = decide(
        &bundle(
            &[
                ("size", SIZE, 2.0),
                ("family", FAMILY, 1.0),
                ("picky", PICKY, 1.5),
            ],
            false,
        ),
        task(""),
    )
    .unwrap();
    let b = decide(
        &bundle(
            &[
                ("picky", PICKY, 1.5),
                ("family", FAMILY, 1.0),
                ("size", SIZE, 2.0),
            ],
            false,
        ),
        task(""),
    )
    .unwrap();
    same(&scores(&a), &scores(&b));
}

#[test]
fn an_abstention_spreads_its_weight_over_the_others() {
    let d = decide(
        &bundle(&[("family", FAMILY, 1.0), ("picky", PICKY, 3.0)], false),
        task(""),
    )
    .unwrap();
    let first = d.ranking.iter().find(|r| r.model == "x/first").unwrap();
    assert_eq!(first.criteria["picky"].status, Status::Abstained);
    assert!(
        (first.score - 0.9).abs() < 1e-12,
        "only `family` answered: {first:?}"
    );
}

#[test]
fn ties_go_to_the_smaller_model_then_by_id() {
    let d = decide(&bundle(&[("same", SAME, 1.0)], false), task("")).unwrap();
    let order: Vec<&str> = d.ranking.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(order, ["x/first", "x/trigger", "x/third"]);
    assert_eq!(d.ranking[0].margin, Some(0.0));
    assert_eq!(d.ranking[2].margin, None);
}

#[test]
fn task_weights_only_where_the_bundle_allows_them() {
    let criteria = [("size", SIZE, 1.0), ("family", FAMILY, 1.0)];
    let weighted = task("weights: {size: 0}\n");
    let err = decide(&bundle(&criteria, false), weighted.clone()).unwrap_err();
    assert!(
        matches!(err, DecideError::TaskWeightsNotAllowed { .. }),
        "{err}"
    );

    let allowed = bundle(&criteria, true);
    let d = decide(&allowed, weighted).unwrap();
    let only_family = decide(&bundle(&[("family", FAMILY, 1.0)], false), task("")).unwrap();
    same(&scores(&d), &scores(&only_family));
    assert_eq!(
        d.criteria[0].weight, 0.0,
        "the decision records the weight used"
    );

    let err = decide(&allowed, task("weights: {colour: 2}\n")).unwrap_err();
    assert!(
        err.to_string()
            .contains("`colour`, which is not a criterion"),
        "{err}"
    );
}
