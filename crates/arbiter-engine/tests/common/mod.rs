//! What the differential tests share: the tasks they decide (every example and golden task, and
//! randomised variants of them).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test uses part of it

use arbiter_engine::task::Deployment;
use arbiter_engine::{Task, golden, load};
use arbiter_test_support::{repo, repo_listing};

/// Every example task, then every golden case's task of the bundle in `dir`.
pub fn tasks_of(dir: &str) -> Vec<Task> {
    let mut tasks: Vec<Task> = repo_listing("examples/tasks", |_| true)
        .iter()
        .map(|t| load::load_task(&repo().join(t)).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    for case in repo_listing(&format!("{dir}/tests"), |p| {
        p.extension().is_some_and(|e| e == "yaml")
    }) {
        let path = repo().join(case);
        let text = std::fs::read_to_string(&path).unwrap();
        let case = golden::case_from_str(&text, load::Syntax::Yaml, &path.display().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        tasks.push(case.task);
    }
    tasks
}

/// A small deterministic generator (xorshift), so a failure names a reproducible variant.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// A variant of `base` with budgets, sizes, data and deployment drawn at random.
pub fn variant(base: &Task, rng: &mut Rng) -> Task {
    let mut t = base.clone();
    let r = &mut t.resources;
    r.max_latency_ms = rng.pick(&[None, Some(5.0), Some(50.0), Some(400.0), Some(5000.0)]);
    r.max_memory_mb = rng.pick(&[None, Some(100.0), Some(600.0), Some(4000.0), Some(24000.0)]);
    r.max_parameters_m = rng.pick(&[None, Some(30.0), Some(400.0), Some(9000.0)]);
    r.sequence_length = rng.pick(&[32, 128, 512, 2048]);
    r.batch_size = rng.pick(&[1, 1, 8]);
    r.deployment = rng.pick(&Deployment::ALL);
    t.data.labeled_examples = rng.pick(&[0, 50, 2000, 100_000]);
    t
}

/// `n` variants of the example and golden tasks of `dir`, drawn from `seed`.
pub fn randomised(dir: &str, n: usize, seed: u64) -> Vec<Task> {
    let bases = tasks_of(dir);
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| variant(&bases[i % bases.len()], &mut rng))
        .collect()
}
