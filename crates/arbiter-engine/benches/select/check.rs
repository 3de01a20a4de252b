//! The differential check: the native rules must decide exactly as the scripts.

use arbiter_engine::decide::{Decision, Ranked, Rejection};

use super::native::NativeDecision;

/// Panics unless the native rules decide exactly as the scripts: same chosen model, same vetoes
/// (model, criterion and reason, in order), same ranking with scores, contributions and margins
/// within 1e-9, the same weights, statuses, reasons and precisions. Returns (ranked, rejected)
/// for the report.
pub(super) fn check_agreement(
    what: &str,
    scripted: &Decision,
    native: &NativeDecision,
) -> (usize, usize) {
    assert!(
        scripted.errors.is_empty(),
        "{what}: the scripts failed: {:?}",
        scripted.errors
    );
    assert_eq!(scripted.chosen, native.chosen, "{what}: chosen model");
    let vetoes = |r: &[Rejection]| -> Vec<(String, String)> {
        r.iter()
            .map(|r| (r.model.clone(), r.criterion.clone()))
            .collect()
    };
    assert_eq!(
        vetoes(&scripted.rejected),
        vetoes(&native.rejected),
        "{what}: vetoed models"
    );
    for (s, n) in scripted.rejected.iter().zip(&native.rejected) {
        assert_eq!(s.reason, n.reason, "{what}: veto reason for {}", s.model);
    }
    assert_eq!(
        scripted.ranking.len(),
        native.ranking.len(),
        "{what}: ranked models"
    );
    for (i, (s, n)) in scripted.ranking.iter().zip(&native.ranking).enumerate() {
        assert_eq!(s.model, n.model, "{what}: model at rank {}", i + 1);
        let names = |r: &Ranked| r.criteria.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(s), names(n), "{what}: criteria of {}", s.model);
        for (name, sc) in &s.criteria {
            let nc = &n.criteria[name];
            let m = &s.model;
            assert_eq!(sc.status, nc.status, "{what}: {name} status for {m}");
            assert_eq!(sc.reasons, nc.reasons, "{what}: {name} reason for {m}");
            assert!(
                close(sc.score, nc.score),
                "{what}: {name} score for {m}: {:?} vs {:?}",
                sc.score,
                nc.score
            );
            assert_eq!(
                sc.precision, nc.precision,
                "{what}: {name} precision for {m}"
            );
            assert!(
                sc.weight == nc.weight,
                "{what}: {name} weight for {m}: {} vs {}",
                sc.weight,
                nc.weight
            );
            assert!(
                (sc.contribution - nc.contribution).abs() <= 1e-9,
                "{what}: {name} contribution for {m}: {} vs {}",
                sc.contribution,
                nc.contribution
            );
        }
        assert_eq!(s.rank, n.rank, "{what}: rank of {}", s.model);
        assert_eq!(s.precision, n.precision, "{what}: precision of {}", s.model);
        assert!(
            close(s.margin, n.margin),
            "{what}: margin of {}: {:?} vs {:?}",
            s.model,
            s.margin,
            n.margin
        );
        assert!(
            (s.score - n.score).abs() <= 1e-9,
            "{what}: score of {} at rank {}: scripted {} native {}",
            s.model,
            i + 1,
            s.score,
            n.score
        );
    }
    (native.ranking.len(), native.rejected.len())
}

/// Both absent, or both present and within 1e-9.
fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
        (a, b) => a == b,
    }
}
