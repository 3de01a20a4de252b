//! Verdicts that are not recomputed.
//!
//! Within one bundle a criterion's verdict on a model depends only on the task fields its
//! script read: the model is fixed at load, and the sandbox offers no clock, randomness or
//! state (no `timestamp`, no `eval`, no modules, no top-level variables). So every call records
//! which fields it read — each task getter and each host function that takes the task marks its
//! fields — and the verdict is kept, per (criterion, model), under the values of exactly those
//! fields. A later task equal in those fields gets the verdict without a call; a task that
//! differs in, say, its latency budget re-runs only the criteria that read the budget.
//!
//! Reads are tracked, not declared, so a script that reads a field only on some branch is still
//! exact: equal values for what was read mean the same branch, hence the same reads. Faults
//! are never cached (a deadline depends on the machine). The cache belongs to its bundle, so a
//! reload starts empty; each (criterion, model) keeps at most [`PER_SLOT`] verdicts, the most
//! recent, which bounds memory by the catalog's size.

use std::cell::Cell;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::task::Task;

/// Verdicts kept per (criterion, model).
pub const PER_SLOT: usize = 4;

/// A task field a script can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Field {
    /// `task.name`.
    Name,
    /// `task.task`, the task type.
    TaskType,
    /// `task.domain`.
    Domain,
    /// `task.labeled_examples`.
    LabeledExamples,
    /// `task.unlabeled_examples`.
    UnlabeledExamples,
    /// `task.deployment`.
    Deployment,
    /// `task.max_latency_ms`.
    MaxLatencyMs,
    /// `task.max_memory_mb`.
    MaxMemoryMb,
    /// `task.max_parameters_m`.
    MaxParametersM,
    /// `task.sequence_length`.
    SequenceLength,
    /// `task.batch_size`.
    BatchSize,
    /// `task.output_tokens` (the stated count, or the task type's default).
    OutputTokens,
    /// `task.precisions` (the accepted precisions, stated or the deployment's default).
    Precisions,
    /// `task.source_languages`.
    SourceLanguages,
    /// `task.languages`.
    Languages,
    /// `task.benchmarks`.
    Benchmarks,
}

impl Field {
    const ALL: [Field; 16] = [
        Field::Name,
        Field::TaskType,
        Field::Domain,
        Field::LabeledExamples,
        Field::UnlabeledExamples,
        Field::Deployment,
        Field::MaxLatencyMs,
        Field::MaxMemoryMb,
        Field::MaxParametersM,
        Field::SequenceLength,
        Field::BatchSize,
        Field::OutputTokens,
        Field::Precisions,
        Field::SourceLanguages,
        Field::Languages,
        Field::Benchmarks,
    ];

    /// The field's value in `task`, written unambiguously after a tag.
    fn write(self, task: &Task, out: &mut String) {
        let r = &task.resources;
        let _ = match self {
            Field::Name => write!(out, "n{:?}", task.name),
            Field::TaskType => write!(out, "t{}", task.task),
            Field::Domain => write!(out, "d{}", task.domain),
            Field::LabeledExamples => write!(out, "l{}", task.data.labeled_examples),
            Field::UnlabeledExamples => write!(out, "u{:?}", task.data.unlabeled_examples),
            Field::Deployment => write!(out, "D{}", r.deployment),
            Field::MaxLatencyMs => write!(out, "L{:?}", r.max_latency_ms.map(f64::to_bits)),
            Field::MaxMemoryMb => write!(out, "M{:?}", r.max_memory_mb.map(f64::to_bits)),
            Field::MaxParametersM => write!(out, "P{:?}", r.max_parameters_m.map(f64::to_bits)),
            Field::SequenceLength => write!(out, "s{}", r.sequence_length),
            Field::BatchSize => write!(out, "b{}", r.batch_size),
            Field::OutputTokens => write!(out, "o{}", r.output_tokens_for(task.task)),
            Field::Precisions => write!(out, "p{:?}", r.accepted_precisions()),
            Field::SourceLanguages => write!(out, "S{:?}", task.source_languages),
            Field::Languages => write!(out, "g{:?}", task.languages),
            Field::Benchmarks => write!(
                out,
                "B{:?}",
                task.benchmarks
                    .iter()
                    .map(|(k, w)| (k.as_str(), w.0.to_bits()))
                    .collect::<Vec<_>>()
            ),
        };
        out.push('\u{1f}');
    }
}

thread_local! {
    /// The fields the script call running on this thread has read, one bit per [`Field`].
    static READS: Cell<u32> = const { Cell::new(0) };
}

/// Notes that the running call read `field` (task getters and host functions call this).
pub(crate) fn read(field: Field) {
    READS.with(|r| r.set(r.get() | 1 << field as u8));
}

/// Runs `f`, returning what it returned and the fields it read.
pub(crate) fn tracking<T>(f: impl FnOnce() -> T) -> (T, u32) {
    let before = READS.with(|r| r.replace(0));
    let out = f();
    let read = READS.with(|r| r.replace(before));
    (out, read)
}

/// Every field's value in one task, written once per decision so that a lookup compares
/// without allocating.
#[derive(Debug, Clone)]
pub struct FieldValues([String; 16]);

impl FieldValues {
    /// The values of `task`'s fields.
    pub fn of(task: &Task) -> FieldValues {
        FieldValues(Field::ALL.map(|f| {
            let mut s = String::new();
            f.write(task, &mut s);
            s
        }))
    }

    /// The values of the fields in `mask`, as a key.
    fn key(&self, mask: u32) -> String {
        let mut out = String::new();
        for (i, v) in self.0.iter().enumerate() {
            if mask & (1 << i) != 0 {
                out.push_str(v);
            }
        }
        out
    }

    /// Whether `key` is the key of these values under `mask`.
    fn matches(&self, mask: u32, key: &str) -> bool {
        let mut rest = key;
        for (i, v) in self.0.iter().enumerate() {
            if mask & (1 << i) != 0 {
                match rest.strip_prefix(v.as_str()) {
                    Some(r) => rest = r,
                    None => return false,
                }
            }
        }
        rest.is_empty()
    }
}

struct Entry<V> {
    mask: u32,
    key: String,
    verdict: V,
}

/// Cached verdicts `V` of one bundle, per (model, criterion).
pub struct VerdictCache<V> {
    criteria: usize,
    slots: Vec<Mutex<Vec<Entry<V>>>>,
    enabled: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl<V: Clone> std::fmt::Debug for VerdictCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("enabled", &self.enabled())
            .field("hits", &self.hits())
            .field("misses", &self.misses())
            .finish_non_exhaustive()
    }
}

/// Whether new bundles cache verdicts (`--no-cache` turns it off for the process).
static ENABLED_BY_DEFAULT: AtomicBool = AtomicBool::new(true);

/// Sets whether bundles loaded from now on cache verdicts.
pub fn set_enabled_by_default(enabled: bool) {
    ENABLED_BY_DEFAULT.store(enabled, Ordering::Relaxed);
}

impl<V: Clone> VerdictCache<V> {
    /// An empty cache for `models` × `criteria` verdicts.
    pub(crate) fn new(models: usize, criteria: usize) -> VerdictCache<V> {
        VerdictCache {
            criteria,
            slots: (0..models * criteria)
                .map(|_| Mutex::new(Vec::new()))
                .collect(),
            enabled: AtomicBool::new(ENABLED_BY_DEFAULT.load(Ordering::Relaxed)),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Turns caching on or off for this bundle.
    pub fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::Relaxed);
    }

    /// Whether this bundle caches verdicts.
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// Verdicts served from the cache.
    pub fn hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }

    /// Verdicts computed by a script call (while caching is on).
    pub fn misses(&self) -> u64 {
        self.misses.load(Ordering::Relaxed)
    }

    /// The verdict of criterion `criterion` on model `model` for `task`: cached, or computed by
    /// `call` (which reports the fields it read) and kept.
    pub(crate) fn get_or_call<E>(
        &self,
        model: usize,
        criterion: usize,
        task: &FieldValues,
        call: impl FnOnce() -> (Result<V, E>, u32),
    ) -> Result<V, E> {
        if !self.enabled() {
            return call().0;
        }
        let Some(slot) = self.slots.get(model * self.criteria + criterion) else {
            return call().0;
        };
        if let Ok(entries) = slot.lock()
            && let Some(e) = entries.iter().find(|e| task.matches(e.mask, &e.key))
        {
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(e.verdict.clone());
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let (result, mask) = call();
        if let (Ok(verdict), Ok(mut entries)) = (&result, slot.lock()) {
            let key = task.key(mask);
            if !entries.iter().any(|e| e.mask == mask && e.key == key) {
                if entries.len() >= PER_SLOT {
                    entries.remove(0);
                }
                entries.push(Entry {
                    mask,
                    key,
                    verdict: verdict.clone(),
                });
            }
        }
        result
    }
}
