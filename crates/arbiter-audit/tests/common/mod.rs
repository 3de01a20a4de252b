//! What the audit trail's test files share: the default bundle and the example tasks.

use std::path::PathBuf;

use arbiter_engine::{Bundle, Task, load};
use arbiter_test_support::repo;

/// The default bundle, `policies/`.
pub fn default_bundle() -> Bundle {
    Bundle::load(&repo().join("policies"), None).unwrap()
}

/// Every task of `examples/tasks/`, in file-name order.
pub fn example_tasks() -> Vec<Task> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "json"))
        .collect();
    paths.sort();
    paths.iter().map(|p| load::load_task(p).unwrap()).collect()
}
