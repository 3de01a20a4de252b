//! Unit tests of the combination and of determinism under a fixed stamp.

use super::*;
use crate::catalog::Model;
use crate::manifest::{OnError, TieBreak};

fn model(id: &str, params: f64) -> Model {
    crate::yaml::from_str(&format!(
        "{{id: {id}, name: x, family: encoder, parameters_m: {params}, layers: 1, \
             hidden_size: 8, attention_heads: 1, tasks: [fill-mask], sources: [x]}}"
    ))
    .unwrap()
}

fn score(x: f64) -> Result<Verdict, ScriptFault> {
    Ok(Verdict::Score {
        value: x,
        reason: format!("{x}"),
        precision: None,
    })
}

fn info(name: &str, weight: f64, on_error: OnError) -> CriterionInfo<'_> {
    CriterionInfo {
        name,
        weight,
        on_error,
        script: name,
    }
}

/// The same task, bundle and stamp give the same decision, field for field.
#[test]
fn decide_stamped_is_deterministic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let bundle = Bundle::load(&dir, None).unwrap();
    let text =
        std::fs::read_to_string(dir.join("../examples/tasks/chinese-sentiment-cpu.yaml")).unwrap();
    let task: Task = crate::yaml::from_str(&text).unwrap();
    let stamp = Stamp {
        decision_id: "0".into(),
        created_at: "2026-12-03T00:00:00.000Z".into(),
    };
    let a = decide_stamped(&bundle, task.clone(), stamp.clone()).unwrap();
    let b = decide_stamped(&bundle, task, stamp).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.decision_id, "0");
}

/// Outcome names are the wire's, as serde writes them.
#[test]
fn outcome_names_are_the_wire_names() {
    for o in [Outcome::Chosen, Outcome::AllVetoed, Outcome::Failed] {
        assert_eq!(serde_json::to_value(o).unwrap(), o.as_str());
    }
}

/// Combination by hand, no scripts: a veto removes a model; an abstention spreads its
/// weight; a fault follows `on_error`; equal scores go to the smaller model.
#[test]
fn combine_by_hand() {
    let (a, b, c, d) = (
        model("a", 10.0),
        model("b", 20.0),
        model("c", 30.0),
        model("d", 5.0),
    );
    let models = [&a, &b, &c, &d];
    let criteria = [
        info("x", 1.0, OnError::Abstain),
        info("y", 3.0, OnError::Abstain),
    ];
    let fault = ScriptFault {
        message: "boom".into(),
        span: crate::span::Span::point(2, 3),
    };
    let verdicts = vec![
        vec![score(1.0), score(0.5)],
        vec![
            score(0.0),
            Ok(Verdict::Veto {
                reason: "no".into(),
            }),
        ],
        vec![Ok(Verdict::Abstain { reason: "-".into() }), score(0.625)],
        vec![Err(fault), score(0.625)],
    ];
    let out = combine(&models, &criteria, verdicts, &[TieBreak::ParametersM]);
    assert_eq!(out.outcome, Outcome::Chosen);
    // a: (1·1 + 3·0.5) / 4 = 0.625; c: abstained x, so 0.625; d: x failed (abstain), 0.625.
    let order: Vec<&str> = out.ranking.iter().map(|r| r.model.as_str()).collect();
    assert_eq!(order, ["d", "a", "c"], "ties by parameters_m");
    assert!(out.ranking.iter().all(|r| (r.score - 0.625).abs() < 1e-12));
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].model, "b");
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].at, "x:2:3");
    assert_eq!(out.ranking[0].margin, Some(0.0));
    // With on_error = fail, the same fault fails the decision.
    let criteria = [
        info("x", 1.0, OnError::Fail),
        info("y", 3.0, OnError::Abstain),
    ];
    let verdicts = vec![vec![
        Err(ScriptFault {
            message: "boom".into(),
            span: crate::span::Span::point(1, 1),
        }),
        score(1.0),
    ]];
    let out = combine(&[&a], &criteria, verdicts, &[]);
    assert_eq!(out.outcome, Outcome::Failed);
    assert!(out.ranking.is_empty() && out.chosen.is_none());
}
