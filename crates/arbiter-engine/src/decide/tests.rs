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

/// Weights at the ends of f64's range rank as ordinary weights in the same proportion do
/// (two weights of 1e308 summed to infinity and zeroed every score; weights of 5e-324 rounded
/// every product to zero), and ordinary weights give bit for bit what Σ wᵢ·sᵢ / Σ wᵢ gives.
#[test]
fn extreme_weights_rank_as_their_proportions_do() {
    let (a, b) = (model("a", 10.0), model("b", 20.0));
    let models = [&a, &b];
    // a: 0.5 then 1.0; b: 1.0 then 0.0.
    let verdicts = || vec![vec![score(0.5), score(1.0)], vec![score(1.0), score(0.0)]];
    let run = |wx: f64, wy: f64| {
        let criteria = [
            info("x", wx, OnError::Abstain),
            info("y", wy, OnError::Abstain),
        ];
        combine(&models, &criteria, verdicts(), &[])
    };
    let ordinary = run(1.0, 1.0);
    assert_eq!(ordinary.chosen.as_deref(), Some("a"));
    assert_eq!(ordinary.ranking[0].score, (1.0 * 0.5 + 1.0 * 1.0) / 2.0);
    for (wx, wy) in [
        (1e308, 1e308),
        (5e-324, 5e-324),
        (1e-300, 1e-300),
        (3.0, 3.0),
    ] {
        let extreme = run(wx, wy);
        let scores = |c: &Combined| -> Vec<(String, f64)> {
            c.ranking
                .iter()
                .map(|r| (r.model.clone(), r.score))
                .collect()
        };
        assert_eq!(
            scores(&extreme),
            scores(&ordinary),
            "weights {wx:e}, {wy:e}"
        );
    }
    // Unequal proportions survive too: y counts three times x.
    let (small, big) = (run(5e-324, 1.5e-323), run(1.0, 3.0));
    assert_eq!(small.ranking[0].score, big.ranking[0].score);
    // And ordinary weights are untouched by the scaling: exactly w·s / Σw.
    let odd = run(0.7, 2.3);
    let expected = (0.7 * 0.5 / (0.7 + 2.3)) + (2.3 * 1.0 / (0.7 + 2.3));
    assert_eq!(odd.ranking[0].score, expected);
}
