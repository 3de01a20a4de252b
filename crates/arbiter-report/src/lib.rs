//! Everything a person reads about a decision, from one place.
//!
//! A [`Report`] holds the facts — the [`Decision`], the catalog's size, the weight sensitivity
//! (computed once, when a view first needs it) and, when they were asked for, the
//! counterfactuals — so presentation only formats. Each view is a function of a report:
//!
//! - [`text`]: the ranking table, the criteria's reasons, why-not and what-if, as plain text or
//!   Markdown (`arbiter select`);
//! - [`sentences`]: the decision in plain sentences for reviewers who do not read Rhai
//!   (`arbiter audit show`, `POST /v1/explain`);
//! - [`json`]: the decision with its explanation, for machines;
//! - [`html`]: one self-contained page — charts of the scores, the cost trade-off and the weight
//!   sensitivity, every table behind them — for a mail, a ticket or a printer.
//!
//! Nothing here decides or computes a score; every figure comes from the decision.

use std::sync::OnceLock;

use arbiter_engine::Decision;
use arbiter_engine::counterfactual::Counterfactual;
use arbiter_engine::decide::{Ranked, Status};
use arbiter_engine::sensitivity::{self, WeightRange};

pub mod estimates;
pub mod html;
pub mod json;
pub mod sentences;
pub mod text;

pub use estimates::Estimate;

/// The facts a view of a decision is made from.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// The decision.
    pub decision: &'a Decision,
    /// How many models the catalog held (ranked, vetoed and unjudged together), when known
    /// (a logged decision does not say).
    pub catalog_models: Option<usize>,
    /// How far each weight may move, alone, before the choice changes ([`Report::sensitivity`]).
    sensitivity: OnceLock<Vec<WeightRange>>,
    /// The nearest change of each task field that changes the choice, when computed.
    pub counterfactuals: Option<Vec<Counterfactual>>,
    /// What one call of each ranked model costs, when priced ([`estimates::estimates`]).
    pub estimates: Option<Vec<Estimate>>,
}

impl<'a> Report<'a> {
    /// The report of a decision over a catalog of `catalog_models` models (the decision's
    /// ranking whole: the sensitivity is solved from it).
    pub fn new(decision: &'a Decision, catalog_models: Option<usize>) -> Self {
        Report {
            decision,
            catalog_models,
            sensitivity: OnceLock::new(),
            counterfactuals: None,
            estimates: None,
        }
    }

    /// How far each weight may move, alone, before the choice changes: solved from the
    /// decision's scores the first time a view asks, then kept.
    pub fn sensitivity(&self) -> &[WeightRange] {
        self.sensitivity
            .get_or_init(|| sensitivity::weight_ranges(self.decision))
    }

    /// The same report with counterfactuals (they cost one decision per value tried, so the
    /// caller computes them only when asked, with its bundle).
    pub fn with_counterfactuals(mut self, found: Vec<Counterfactual>) -> Self {
        self.counterfactuals = Some(found);
        self
    }

    /// The same report with each ranked model's call priced (the cost model needs the bundle's
    /// catalog and device profiles, which a logged decision does not carry).
    pub fn with_estimates(mut self, estimates: Vec<Estimate>) -> Self {
        self.estimates = Some(estimates);
        self
    }
}

/// The first 12 hex digits of a `sha256:` hash, for people.
pub fn short(hash: &str) -> &str {
    let hex = hash.strip_prefix("sha256:").unwrap_or(hash);
    &hex[..hex.len().min(12)]
}

/// Where `other` lost to `winner`, criterion by criterion: the winner's weighted contribution
/// minus `other`'s, largest first, with `other`'s reasons.
pub fn gaps<'d>(d: &'d Decision, winner: &Ranked, other: &'d Ranked) -> Vec<Gap<'d>> {
    let mut gaps: Vec<Gap<'d>> = d
        .criteria
        .iter()
        .map(|c| {
            let contribution = |r: &Ranked| r.criteria.get(&c.name).map_or(0.0, |x| x.contribution);
            Gap {
                criterion: c.name.as_str(),
                gap: contribution(winner) - contribution(other),
                reasons: other
                    .criteria
                    .get(&c.name)
                    .map(|r| r.reasons.join("; "))
                    .unwrap_or_default(),
            }
        })
        .collect();
    gaps.sort_by(|a, b| b.gap.total_cmp(&a.gap));
    gaps
}

/// The ranked model the decision's recorded scores put first were `criterion`'s weight `weight`,
/// the other weights as they were: each score taken again as Σ wᵢ·sᵢ / Σ wᵢ over the criteria
/// that answered for the model. Vetoes do not depend on weights, so this is what the rules would
/// choose then; of equal scores the one ranked higher now is taken (the bundle's tie-break keys
/// are not in the record). It names who takes over past each bound of a weight's range.
pub fn chosen_at<'d>(d: &'d Decision, criterion: &str, weight: f64) -> Option<&'d Ranked> {
    let score = |r: &Ranked| {
        let (mut num, mut den) = (0.0, 0.0);
        for c in &d.criteria {
            let w = if c.name == criterion {
                weight
            } else {
                c.weight
            };
            if let Some(res) = r.criteria.get(&c.name)
                && let (Status::Ok, Some(s)) = (res.status, res.score)
            {
                num += w * s;
                den += w;
            }
        }
        if den > 0.0 { num / den } else { 0.0 }
    };
    let mut best: Option<(&Ranked, f64)> = None;
    for r in &d.ranking {
        let s = score(r);
        if best.is_none_or(|(_, b)| s > b) {
            best = Some((r, s));
        }
    }
    best.map(|(r, _)| r)
}

/// One criterion's share of the distance between two ranked models.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap<'d> {
    /// The criterion.
    pub criterion: &'d str,
    /// The winner's contribution minus the other model's.
    pub gap: f64,
    /// The other model's reasons under this criterion.
    pub reasons: String,
}
