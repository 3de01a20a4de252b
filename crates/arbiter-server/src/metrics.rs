//! Prometheus metrics through the `prometheus-client` crate, served in the Prometheus text
//! format (version 0.0.4): decision requests by outcome, their latency, and criterion script
//! failures are counted here as they happen; reload attempts and the bundle generation are the
//! bundle store's own counters, read at each scrape.

use std::sync::atomic::Ordering;
use std::time::Duration;

use arbiter_engine::store::BundleStore;
use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, MetricEncoder, prometheus_text};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// The `Content-Type` of the exposition [`Metrics::render`] writes.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Upper bounds of the decision-latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CriterionLabel {
    criterion: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    decisions: Family<OutcomeLabel, Counter>,
    latency: Histogram,
    script_errors: Family<CriterionLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            decisions: Family::default(),
            latency: Histogram::new(BUCKETS),
            script_errors: Family::default(),
        }
    }
}

impl Metrics {
    /// Counts a decision request by outcome and observes its latency.
    pub fn decision(&self, outcome: &str, took: Duration) {
        self.decisions
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_string(),
            })
            .inc();
        self.latency.observe(took.as_secs_f64());
    }

    /// Counts a script error of a criterion.
    pub fn script_error(&self, criterion: &str) {
        self.script_errors
            .get_or_create(&CriterionLabel {
                criterion: criterion.to_string(),
            })
            .inc();
    }

    /// The exposition text ([`CONTENT_TYPE`]), with `store`'s reload counters and generation.
    pub fn render(&self, store: &BundleStore) -> String {
        // A registry per scrape: the store's counters are read now.
        let c = &store.counters;
        let reloads = Reloads([
            ("activated", c.activated.load(Ordering::Relaxed)),
            ("rejected", c.rejected.load(Ordering::Relaxed)),
            ("unchanged", c.unchanged.load(Ordering::Relaxed)),
        ]);
        // Names without `_total` and help without the final period: the encoder adds both.
        let mut registry = Registry::default();
        registry.register(
            "arbiter_decisions",
            "Decision requests by outcome",
            Described(self.decisions.clone()),
        );
        registry.register(
            "arbiter_decision_duration_seconds",
            "Time to answer a decision request",
            self.latency.clone(),
        );
        registry.register(
            "arbiter_reloads",
            "Bundle reload attempts by result",
            reloads,
        );
        registry.register(
            "arbiter_bundle_generation",
            "Bundles activated since start",
            ConstGauge::new(store.generation()),
        );
        registry.register(
            "arbiter_script_errors",
            "Criterion script failures at run time",
            Described(self.script_errors.clone()),
        );
        // The active bundle's verdict cache (it starts empty with each bundle: a reload resets
        // these counters, which Prometheus reads as a counter reset).
        let (hits, misses) = store
            .active()
            .map_or((0, 0), |a| (a.bundle.cache.hits(), a.bundle.cache.misses()));
        registry.register(
            "arbiter_verdict_cache_hits",
            "Verdicts served from the active bundle's cache, without a script call",
            ConstCounter::new(hits),
        );
        registry.register(
            "arbiter_verdict_cache_misses",
            "Verdicts computed by a script call while the cache was on",
            ConstCounter::new(misses),
        );
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_text::encode(&mut s, &registry);
        s
    }
}

/// A family described (`# HELP`, `# TYPE`) even before its first series, as this service always
/// did: the registry leaves out a family with no series at all.
#[derive(Debug)]
struct Described<M>(M);

impl<M: EncodeMetric> EncodeMetric for Described<M> {
    fn encode(&self, encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        self.0.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        self.0.metric_type()
    }
}

/// The store's reload counters by result, read at a scrape, in this order.
#[derive(Debug)]
struct Reloads([(&'static str, u64); 3]);

impl EncodeMetric for Reloads {
    fn encode(&self, mut encoder: MetricEncoder) -> Result<(), std::fmt::Error> {
        for &(result, n) in &self.0 {
            ConstCounter::new(n).encode(encoder.encode_family(&ResultLabel { result })?)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exposition of a fresh service, then after one decision and one script error, line
    /// for line (series of a family in any order).
    #[test]
    fn the_exposition_names_every_metric_with_its_type_and_help() {
        let store = BundleStore::new("no/such/bundle", None);
        let metrics = Metrics::default();
        let fresh = metrics.render(&store);
        for line in [
            "# HELP arbiter_decisions_total Decision requests by outcome.",
            "# TYPE arbiter_decisions_total counter",
            "# HELP arbiter_decision_duration_seconds Time to answer a decision request.",
            "# TYPE arbiter_decision_duration_seconds histogram",
            "arbiter_decision_duration_seconds_bucket{le=\"0.0005\"} 0",
            "arbiter_decision_duration_seconds_bucket{le=\"1\"} 0",
            "arbiter_decision_duration_seconds_bucket{le=\"2.5\"} 0",
            "arbiter_decision_duration_seconds_bucket{le=\"+Inf\"} 0",
            "arbiter_decision_duration_seconds_count 0",
            "# HELP arbiter_reloads_total Bundle reload attempts by result.",
            "# TYPE arbiter_reloads_total counter",
            "arbiter_reloads_total{result=\"activated\"} 0",
            "arbiter_reloads_total{result=\"rejected\"} 0",
            "arbiter_reloads_total{result=\"unchanged\"} 0",
            "# HELP arbiter_bundle_generation Bundles activated since start.",
            "# TYPE arbiter_bundle_generation gauge",
            "arbiter_bundle_generation 0",
            "# HELP arbiter_script_errors_total Criterion script failures at run time.",
            "# TYPE arbiter_script_errors_total counter",
        ] {
            assert!(
                fresh.lines().any(|l| l == line),
                "missing {line:?} in\n{fresh}"
            );
        }
        assert!(!fresh.contains("# EOF"), "{fresh}");

        metrics.decision("chosen", Duration::from_millis(3));
        metrics.script_error("domain");
        let after = metrics.render(&store);
        for line in [
            "arbiter_decisions_total{outcome=\"chosen\"} 1",
            "arbiter_decision_duration_seconds_bucket{le=\"0.0025\"} 0",
            "arbiter_decision_duration_seconds_bucket{le=\"0.005\"} 1",
            "arbiter_decision_duration_seconds_bucket{le=\"+Inf\"} 1",
            "arbiter_decision_duration_seconds_count 1",
            "arbiter_script_errors_total{criterion=\"domain\"} 1",
        ] {
            assert!(
                after.lines().any(|l| l == line),
                "missing {line:?} in\n{after}"
            );
        }
    }
}
