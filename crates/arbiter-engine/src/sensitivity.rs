//! Weight sensitivity: how far each criterion's weight may move, the others fixed, before the
//! chosen model changes.
//!
//! It needs no script call: vetoes do not depend on weights, and a decision records every
//! criterion's score for every ranked model, so each model's score is a function of one weight
//! `x`: `(A + a·x) / (B + b·x)`, with `a` its score and `b` = 1 where the criterion answered for
//! it. The winner keeps winning against a rival while `(A₁ + a₁x)(B₂ + b₂x) ≥ (A₂ + a₂x)(B₁ + b₁x)`,
//! a quadratic inequality; the answer is the interval around the current weight where it holds
//! against every rival.

use crate::decide::{Decision, Ranked, Status};

/// The range of one criterion's weight within which the choice stays the same.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightRange {
    /// The criterion.
    pub criterion: String,
    /// Its weight in the decision.
    pub weight: f64,
    /// The smallest weight that keeps the choice (0 when any lower weight does).
    pub low: f64,
    /// The largest weight that keeps the choice (`None`: any higher weight does).
    pub high: Option<f64>,
    /// The model that would be chosen past the nearest bound, if any.
    pub next: Option<String>,
}

/// `(A, a, B, b)`: the model's score as `(A + a·x) / (B + b·x)` in the weight `x` of `criterion`.
fn linear_parts(d: &Decision, r: &Ranked, criterion: &str) -> (f64, f64, f64, f64) {
    let (mut num, mut den, mut a, mut b) = (0.0, 0.0, 0.0, 0.0);
    for c in &d.criteria {
        let Some(res) = r.criteria.get(&c.name) else {
            continue;
        };
        let (Status::Ok, Some(s)) = (res.status, res.score) else {
            continue;
        };
        if c.name == criterion {
            a = s;
            b = 1.0;
        } else {
            num += c.weight * s;
            den += c.weight;
        }
    }
    (num, a, den, b)
}

/// The roots of `p·x² + q·x + r` in ascending order (a linear or constant function has fewer).
fn roots(p: f64, q: f64, r: f64) -> Vec<f64> {
    const EPS: f64 = 1e-15;
    if p.abs() < EPS {
        return if q.abs() < EPS { vec![] } else { vec![-r / q] };
    }
    let disc = q * q - 4.0 * p * r;
    if disc < 0.0 {
        return vec![];
    }
    let s = disc.sqrt();
    let mut v = vec![(-q - s) / (2.0 * p), (-q + s) / (2.0 * p)];
    v.sort_by(f64::total_cmp);
    v
}

/// For every criterion, the weights within which the decision's chosen model stays chosen.
/// Empty when nothing was chosen.
pub fn weight_ranges(d: &Decision) -> Vec<WeightRange> {
    let Some(winner) = d.ranking.first() else {
        return Vec::new();
    };
    d.criteria
        .iter()
        .map(|c| {
            let x0 = c.weight;
            let (a1_num, a1, b1_den, b1) = linear_parts(d, winner, &c.name);
            let (mut low, mut high): (f64, Option<f64>) = (0.0, None);
            let (mut low_by, mut high_by) = (None, None);
            for rival in &d.ranking[1..] {
                let (a2_num, a2, b2_den, b2) = linear_parts(d, rival, &c.name);
                // q(x) = (A1 + a1 x)(B2 + b2 x) − (A2 + a2 x)(B1 + b1 x) ≥ 0 keeps the winner.
                let p = a1 * b2 - a2 * b1;
                let q = a1_num * b2 + a1 * b2_den - a2_num * b1 - a2 * b1_den;
                let r = a1_num * b2_den - a2_num * b1_den;
                for root in roots(p, q, r) {
                    if root < x0 - 1e-12 && root > low {
                        low = root.max(0.0);
                        low_by = Some(rival.model.clone());
                    } else if root > x0 + 1e-12 && high.is_none_or(|h| root < h) {
                        high = Some(root);
                        high_by = Some(rival.model.clone());
                    }
                }
            }
            let next = match (high, low > 0.0) {
                (Some(h), true) if h - x0 < x0 - low => high_by,
                (_, true) => low_by,
                (Some(_), false) => high_by,
                (None, false) => None,
            };
            WeightRange {
                criterion: c.name.clone(),
                weight: x0,
                low,
                high,
                next,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::roots;

    #[test]
    fn roots_of_quadratics_lines_and_constants() {
        assert_eq!(roots(1.0, -3.0, 2.0), vec![1.0, 2.0]);
        assert_eq!(roots(0.0, 2.0, -4.0), vec![2.0]);
        assert!(roots(0.0, 0.0, 1.0).is_empty());
        assert!(roots(1.0, 0.0, 1.0).is_empty());
    }
}
