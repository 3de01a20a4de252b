//! Model Arbiter's service side: the HTTP decision service over an engine handle, and the bundle
//! file watcher that drives hot reloads.
