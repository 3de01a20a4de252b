//! What a criterion says about one model.

use crate::cost::Precision;

/// What a criterion said about one model.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A score in [0, 1] with its reason.
    Score {
        /// The score.
        value: f64,
        /// Why.
        reason: String,
        /// The precision the criterion judged the model at, where it chose one
        /// (`score(…).with_precision("int8")`).
        precision: Option<Precision>,
    },
    /// The model is rejected.
    Veto {
        /// Why.
        reason: String,
    },
    /// The criterion has nothing to say about this model; its weight is spread over the others.
    Abstain {
        /// Why.
        reason: String,
    },
}
