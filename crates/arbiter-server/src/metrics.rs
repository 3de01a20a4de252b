//! Prometheus metrics in the text exposition format, without a metrics library: a few atomic
//! counters and one histogram are all the service needs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use arbiter_engine::store::BundleStore;

/// Upper bounds of the decision-latency histogram buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The service's metrics.
#[derive(Default)]
pub struct Metrics {
    decisions: Mutex<BTreeMap<String, u64>>,
    latency: Mutex<Histogram>,
    script_errors: Mutex<BTreeMap<String, u64>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Counts a decision request by outcome and observes its latency.
    pub fn decision(&self, outcome: &str, took: Duration) {
        if let Ok(mut m) = self.decisions.lock() {
            *m.entry(outcome.to_string()).or_default() += 1;
        }
        if let Ok(mut h) = self.latency.lock() {
            let secs = took.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        }
    }

    /// Counts a script error of a criterion.
    pub fn script_error(&self, criterion: &str) {
        if let Ok(mut m) = self.script_errors.lock() {
            *m.entry(criterion.to_string()).or_default() += 1;
        }
    }

    /// The exposition text.
    pub fn render(&self, store: &BundleStore) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "# HELP arbiter_decisions_total Decision requests by outcome."
        );
        let _ = writeln!(s, "# TYPE arbiter_decisions_total counter");
        if let Ok(m) = self.decisions.lock() {
            for (outcome, n) in m.iter() {
                let _ = writeln!(s, "arbiter_decisions_total{{outcome=\"{outcome}\"}} {n}");
            }
        }
        let _ = writeln!(
            s,
            "# HELP arbiter_decision_duration_seconds Time to answer a decision request."
        );
        let _ = writeln!(s, "# TYPE arbiter_decision_duration_seconds histogram");
        if let Ok(h) = self.latency.lock() {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    s,
                    "arbiter_decision_duration_seconds_bucket{{le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                s,
                "arbiter_decision_duration_seconds_bucket{{le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(s, "arbiter_decision_duration_seconds_sum {}", h.sum);
            let _ = writeln!(s, "arbiter_decision_duration_seconds_count {}", h.count);
        }
        let c = &store.counters;
        let _ = writeln!(
            s,
            "# HELP arbiter_reloads_total Bundle reload attempts by result."
        );
        let _ = writeln!(s, "# TYPE arbiter_reloads_total counter");
        for (result, n) in [
            ("activated", c.activated.load(Ordering::Relaxed)),
            ("rejected", c.rejected.load(Ordering::Relaxed)),
            ("unchanged", c.unchanged.load(Ordering::Relaxed)),
        ] {
            let _ = writeln!(s, "arbiter_reloads_total{{result=\"{result}\"}} {n}");
        }
        let _ = writeln!(
            s,
            "# HELP arbiter_bundle_generation Bundles activated since start."
        );
        let _ = writeln!(s, "# TYPE arbiter_bundle_generation gauge");
        let _ = writeln!(s, "arbiter_bundle_generation {}", store.generation());
        let _ = writeln!(
            s,
            "# HELP arbiter_script_errors_total Criterion script failures at run time."
        );
        let _ = writeln!(s, "# TYPE arbiter_script_errors_total counter");
        if let Ok(m) = self.script_errors.lock() {
            for (criterion, n) in m.iter() {
                let _ = writeln!(
                    s,
                    "arbiter_script_errors_total{{criterion=\"{criterion}\"}} {n}"
                );
            }
        }
        s
    }
}
