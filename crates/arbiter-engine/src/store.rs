//! The bundle store: the active bundle, swapped atomically, all or nothing (ARCHITECTURE.md, invariant "reload is all or nothing").
//!
//! `reload` reads the folder whole, skips the work when the content hash is unchanged, loads
//! and checks manifest, catalog and scripts, runs the bundle's golden cases, and only then
//! swaps. A failure at any step leaves the last good bundle serving and is kept, with its file,
//! line and column, for status reports. A decision takes one [`snapshot`](BundleStore::snapshot)
//! and uses it throughout, so no decision ever mixes two bundles.
//!
//! With trusted keys ([`BundleStore::trusting`]) the folder's signature must verify over its
//! content hash before anything of it is loaded; a missing or failing signature is a refused
//! reload like any other, its message naming the signature file. The signature is part of what
//! a reload compares, so re-signing unchanged content (a key rotation) is noticed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;

use crate::bundle::{Bundle, BundleError, CatalogOverride, Files};
use crate::golden;
use crate::signature::{self, SignatureError, TrustedKeys};
use crate::span::Span;

/// Why a reload was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReloadFailure {
    /// When it happened.
    pub at: SystemTime,
    /// Content hash of the refused files (empty when they could not be read).
    pub hash: String,
    /// The file at fault, when known.
    pub file: Option<String>,
    /// Where in that file, when known.
    pub span: Option<Span>,
    /// The whole message.
    pub message: String,
}

/// What a reload did.
#[derive(Debug, Clone)]
pub enum ReloadOutcome {
    /// A new bundle is active.
    Activated {
        /// Its content hash.
        hash: String,
        /// The new generation number.
        generation: u64,
        /// The hash it replaced, if any.
        previous: Option<String>,
        /// How long reading, checking and testing took.
        took: Duration,
    },
    /// The content hash equals the active bundle's, or the content last refused: nothing to do.
    Unchanged {
        /// The hash.
        hash: String,
    },
    /// The new content was refused; the previous bundle (if any) keeps serving.
    Rejected(ReloadFailure),
}

/// Counters of reload attempts.
#[derive(Debug, Default)]
pub struct ReloadCounters {
    /// Reloads that activated a bundle.
    pub activated: AtomicU64,
    /// Reloads refused.
    pub rejected: AtomicU64,
    /// Reloads skipped because nothing changed.
    pub unchanged: AtomicU64,
}

/// The active bundle with its generation and activation time, swapped as one, so that a reader
/// never sees a bundle with another bundle's generation.
#[derive(Debug)]
pub struct Active {
    /// The bundle.
    pub bundle: Arc<Bundle>,
    /// How many bundles had been activated when this one was (1 for the first).
    pub generation: u64,
    /// When it was activated.
    pub loaded_at: SystemTime,
}

/// The active bundle and its history.
pub struct BundleStore {
    dir: PathBuf,
    catalog: Option<PathBuf>,
    trusted: Option<TrustedKeys>,
    active: ArcSwapOption<Active>,
    last_failure: Mutex<Option<ReloadFailure>>,
    /// What the active bundle was read as: its hash, and with trusted keys its signature too
    /// (see [`seen`]), so that a reload of the same content and signature is a no-op.
    active_seen: Mutex<Option<String>>,
    /// The same for the content last refused, so that the same broken content is not retried
    /// (and reported) on every rescan.
    last_refused: Mutex<Option<String>>,
    /// Reload counters.
    pub counters: ReloadCounters,
    reloading: Mutex<()>,
}

impl std::fmt::Debug for BundleStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleStore")
            .field("dir", &self.dir)
            .field("generation", &self.generation())
            .finish_non_exhaustive()
    }
}

impl BundleStore {
    /// A store for the bundle folder `dir` (and an optional catalog that replaces the bundle's),
    /// with nothing active yet.
    pub fn new(dir: impl Into<PathBuf>, catalog: Option<PathBuf>) -> BundleStore {
        BundleStore {
            dir: dir.into(),
            catalog,
            trusted: None,
            active: ArcSwapOption::empty(),
            last_failure: Mutex::new(None),
            active_seen: Mutex::new(None),
            last_refused: Mutex::new(None),
            counters: ReloadCounters::default(),
            reloading: Mutex::new(()),
        }
    }

    /// The store, requiring every bundle it activates to be signed by one of `keys`: a
    /// reload whose signature is missing or does not verify is refused (the last good bundle
    /// keeps serving), and a bundle activated directly must have passed them.
    pub fn trusting(self, keys: TrustedKeys) -> BundleStore {
        BundleStore {
            trusted: Some(keys),
            ..self
        }
    }

    /// The trusted keys, if the store requires signed bundles.
    pub fn trusted_keys(&self) -> Option<&TrustedKeys> {
        self.trusted.as_ref()
    }

    /// The bundle folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The catalog file that replaces the bundle's own, if any.
    pub fn catalog_override(&self) -> Option<&Path> {
        self.catalog.as_deref()
    }

    /// The active bundle, if one was ever loaded. Hold on to it for a whole decision.
    pub fn snapshot(&self) -> Option<Arc<Bundle>> {
        self.active.load().as_ref().map(|a| a.bundle.clone())
    }

    /// The active bundle with its generation and activation time, read together.
    pub fn active(&self) -> Option<Arc<Active>> {
        self.active.load_full()
    }

    /// How many bundles have been activated (0 before the first).
    pub fn generation(&self) -> u64 {
        self.active.load().as_ref().map_or(0, |a| a.generation)
    }

    /// When the active bundle was activated.
    pub fn loaded_at(&self) -> Option<SystemTime> {
        self.active.load().as_ref().map(|a| a.loaded_at)
    }

    /// Makes `bundle` the active one; called with the reload lock held.
    fn install(&self, bundle: Bundle) -> u64 {
        let generation = self.generation() + 1;
        self.active.store(Some(Arc::new(Active {
            bundle: Arc::new(bundle),
            generation,
            loaded_at: SystemTime::now(),
        })));
        generation
    }

    /// The most recent refused reload, if any (kept after later successes, for the record).
    pub fn last_failure(&self) -> Option<ReloadFailure> {
        self.last_failure.lock().ok().and_then(|g| g.clone())
    }

    /// Reads the folder and activates it if it differs, loads, checks and passes its golden
    /// cases. Concurrent calls are serialised.
    pub fn reload(&self) -> ReloadOutcome {
        let _one_at_a_time = self.reloading.lock();
        let started = Instant::now();
        let (outcome, seen) = self.try_reload(started);
        self.record(&outcome, started, seen);
        outcome
    }

    /// Activates an already loaded bundle (e.g. the one built into the binary) without
    /// reading the folder; its golden cases must pass, and with trusted keys it must have
    /// passed them ([`Bundle::load_trusting`]).
    pub fn activate(&self, bundle: Bundle) -> ReloadOutcome {
        let _one_at_a_time = self.reloading.lock();
        let started = Instant::now();
        let seen = Some(bundle.hash.clone());
        let outcome = if self.trusted.is_some() && bundle.signed_by.is_none() {
            let e = match bundle.origin.as_str() {
                "<embedded>" => SignatureError::Embedded,
                _ => SignatureError::Unsigned {
                    path: self.dir.join(signature::SIGNATURE_FILE),
                    keys: self.trusted_keys_name(),
                },
            };
            rejected(bundle.hash.clone(), &e.into())
        } else {
            self.go_live(bundle, started)
        };
        self.record(&outcome, started, seen);
        outcome
    }

    fn trusted_keys_name(&self) -> String {
        self.trusted
            .as_ref()
            .map(|t| t.path().display().to_string())
            .unwrap_or_default()
    }

    /// Counts, traces and remembers an outcome; `seen` is what the content was read as.
    fn record(&self, outcome: &ReloadOutcome, started: Instant, seen: Option<String>) {
        match outcome {
            ReloadOutcome::Activated {
                hash,
                generation,
                took,
                ..
            } => {
                self.counters.activated.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut g) = self.active_seen.lock() {
                    *g = seen;
                }
                tracing::info!(dir = %self.dir.display(), %hash, generation, took_ms = took.as_secs_f64() * 1000.0, "bundle reload: activated");
            }
            ReloadOutcome::Unchanged { hash } => {
                self.counters.unchanged.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(dir = %self.dir.display(), %hash, took_ms = started.elapsed().as_secs_f64() * 1000.0, "bundle reload: unchanged");
            }
            ReloadOutcome::Rejected(f) => {
                self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(dir = %self.dir.display(), hash = %f.hash, file = f.file.as_deref().unwrap_or(""), line = f.span.map(|s| s.line), column = f.span.map(|s| s.column), took_ms = started.elapsed().as_secs_f64() * 1000.0, "bundle reload: rejected: {}", f.message);
                if let Ok(mut g) = self.last_failure.lock() {
                    *g = Some(f.clone());
                }
                if let Ok(mut g) = self.last_refused.lock() {
                    *g = seen.filter(|_| !f.hash.is_empty());
                }
            }
        }
    }

    /// The outcome, and what the content was read as (see [`seen`]).
    fn try_reload(&self, started: Instant) -> (ReloadOutcome, Option<String>) {
        if self.trusted.is_some() && self.catalog.is_some() {
            return (
                rejected(String::new(), &SignatureError::CatalogOverride.into()),
                None,
            );
        }
        let (files, replaced) = match self.read_files() {
            Ok(f) => f,
            Err(e) => return (rejected(String::new(), &e), None),
        };
        let hash = files.hash();
        // Read after the files: a signer writes the content, then the signature.
        let signature = match self.trusted {
            None => None,
            Some(_) => match signature::read_signature(&self.dir) {
                Ok(s) => Some(s),
                Err(e) => return (rejected(hash, &e.into()), None),
            },
        };
        let seen = seen(&hash, signature.as_ref());
        let previous = self.active_seen.lock().ok().and_then(|g| g.clone());
        let refused = self.last_refused.lock().ok().and_then(|g| g.clone());
        if previous.as_ref() == Some(&seen) || refused.as_ref() == Some(&seen) {
            return (ReloadOutcome::Unchanged { hash }, Some(seen));
        }
        let signed_by = match (&self.trusted, &signature) {
            (Some(keys), Some(bytes)) => match keys.verify(&self.dir, &hash, bytes.as_deref()) {
                Ok(id) => Some(id),
                Err(e) => return (rejected(hash, &e.into()), Some(seen)),
            },
            _ => None,
        };
        let outcome = match Bundle::from_files(files, self.dir.display().to_string()) {
            Ok(mut bundle) => {
                bundle.signed_by = signed_by;
                self.go_live(bundle, started)
            }
            Err(e) => rejected(hash, &CatalogOverride::rename(replaced.as_ref(), e)),
        };
        (outcome, Some(seen))
    }

    /// The gate every bundle passes before it is active: its golden cases.
    fn go_live(&self, bundle: Bundle, started: Instant) -> ReloadOutcome {
        if let Err(e) = check_golden_cases(&bundle) {
            return rejected(bundle.hash.clone(), &e);
        }
        let hash = bundle.hash.clone();
        let previous = self.snapshot().map(|b| b.hash.clone());
        let generation = self.install(bundle);
        ReloadOutcome::Activated {
            hash,
            generation,
            previous,
            took: started.elapsed(),
        }
    }

    fn read_files(&self) -> Result<(Files, Option<CatalogOverride>), BundleError> {
        let mut files = Files::read_dir(&self.dir)?;
        let replaced = self
            .catalog
            .as_deref()
            .map(|path| files.replace_catalog(path, &self.dir.display().to_string()))
            .transpose()?;
        Ok((files, replaced))
    }
}

/// What content was read as, for telling a reload with nothing new: its hash, and when
/// trusted keys are configured the SHA-256 of its signature file (or `unsigned`).
fn seen(hash: &str, signature: Option<&Option<Vec<u8>>>) -> String {
    match signature {
        None => hash.to_string(),
        Some(None) => format!("{hash} unsigned"),
        Some(Some(bytes)) => format!("{hash} signature {}", crate::hash::sha256(bytes)),
    }
}

/// The outcome of refused content, located where the error says.
fn rejected(hash: String, e: &BundleError) -> ReloadOutcome {
    let loc = e.location();
    ReloadOutcome::Rejected(ReloadFailure {
        at: SystemTime::now(),
        hash,
        file: loc.as_ref().map(|l| l.0.clone()),
        span: loc.as_ref().map(|l| l.1),
        message: e.to_string(),
    })
}

/// Runs a bundle's golden cases; the first failing case rejects it.
pub fn check_golden_cases(bundle: &Bundle) -> Result<(), BundleError> {
    let failed: Vec<_> = golden::run_cases(bundle)
        .into_iter()
        .filter(|r| !r.passed())
        .collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => Err(BundleError::GoldenCase {
            file: format!("{}/{}", bundle.origin, first.name),
            failures: first.failures.clone(),
            others: failed.len() - 1,
        }),
    }
}
