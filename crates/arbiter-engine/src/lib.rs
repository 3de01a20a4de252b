//! Model Arbiter's engine: everything that decides, synchronous and free of I/O beyond reading
//! a bundle folder.
//!
//! - [`task`] and [`catalog`]: the input formats, from which the JSON Schemas in [`schema`] are
//!   generated; [`load`] reads documents through syntax, schema and semantic checks.
//! - [`cost`]: compute, memory and latency estimates from a model's architecture; [`params`]:
//!   parameter counts computed from an architecture.
//! - [`hf`]: catalog entries imported from Hugging Face model folders (no network).
//! - [`bundle`]: manifest, catalog and scripts loaded and checked as one; [`host`]: the Rhai
//!   sandbox; [`decide`]: evaluation and combination into a [`Decision`]; [`golden`]: a
//!   bundle's own test cases; [`sensitivity`]: how far each weight may move before the choice
//!   changes; [`counterfactual`]: the nearest value of each task field that would change it.
//! - [`signature`]: signed bundles, and the trusted keys that judge them.
//!
//! The engine knows nothing of HTTP, async runtimes, command lines, file watching or log files.

pub mod bundle;
pub mod cache;
pub mod catalog;
pub mod ceilings;
pub mod compiled;
pub mod cost;
pub mod counterfactual;
pub mod decide;
pub mod diagnostic;
pub mod differential;
pub mod files;
mod formats;
pub mod golden;
pub mod hash;
pub mod hf;
pub mod host;
pub mod lang;
pub mod load;
pub mod manifest;
pub mod params;
mod plain_enum;
pub mod schema;
pub mod script;
pub mod sensitivity;
pub mod signature;
pub mod span;
pub mod store;
pub mod task;
pub mod value;
pub mod verdict;
pub mod yaml;

pub use bundle::{Bundle, BundleError};
pub use catalog::{Catalog, Family, Model};
pub use decide::{Decision, decide, decide_until};
pub use diagnostic::Diagnostic;
pub use host::Cancel;
pub use load::{LoadError, Syntax};
pub use schema::SchemaKind;
pub use span::Span;
pub use store::{BundleStore, ReloadOutcome};
pub use task::{Deployment, Domain, Task, TaskType};
