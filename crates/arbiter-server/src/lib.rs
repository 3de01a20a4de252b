//! Model Arbiter's service side: the HTTP decision service over the bundle store, its metrics,
//! and the bundle file watcher that drives hot reloads.
//!
//! The engine owns what a reload means ([`arbiter_engine::store`]: all or nothing, gated on
//! golden cases); this crate decides when to reload and serves decisions over HTTP.

pub mod http;
pub mod metrics;
pub mod serve;
pub mod ui;
pub mod watch;

pub use http::{ServiceConfig, router};
pub use metrics::Metrics;
pub use watch::{BundleWatcher, WatchConfig, WatchError, WatchMode};
