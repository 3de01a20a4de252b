//! Model Arbiter's service side: the bundle file watcher that drives hot reloads, and (to come)
//! the HTTP decision service over an engine handle.
//!
//! The engine owns what a reload means ([`arbiter_engine::store`]: all or nothing, gated on
//! golden cases); this crate only decides when to reload.

pub mod watch;

pub use watch::{BundleWatcher, WatchConfig, WatchError, WatchMode};
