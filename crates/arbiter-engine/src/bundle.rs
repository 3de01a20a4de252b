//! Bundles: the manifest, the catalog and the criterion scripts, loaded and checked as one
//! (DESIGN §4–5).
//!
//! A bundle is read into memory whole ([`Files`]) — from a folder or from the copy embedded in
//! the binary — and hashed from those bytes, so the hash names exactly what was evaluated. Then
//! the manifest passes its schema, the catalog its checks, and every script compiles, defines
//! `fn evaluate(task, model)`, has no top-level statements, and survives a smoke call. Any
//! failure rejects the whole bundle and names the file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rhai::{AST, Engine};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::catalog::Catalog;
use crate::cost::DeviceProfile;
use crate::diagnostic::Diagnostic;
use crate::host::{self, Devices, ModelView, TaskView, Verdict};
use crate::load::{self, LoadError, Syntax};
use crate::schema::SchemaKind;
use crate::task::{CriterionName, Deployment, Task};

/// The manifest, `bundle.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter bundle manifest")]
pub struct Manifest {
    /// The bundle's name.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The bundle's version (free form; semantic versioning recommended).
    #[schemars(length(min = 1))]
    pub version: String,
    /// What this bundle is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The catalog file, relative to the bundle folder.
    #[serde(default = "default_catalog")]
    pub catalog: String,
    /// The folder of golden cases, relative to the bundle folder.
    #[serde(default = "default_tests")]
    pub tests: String,
    /// Whether tasks may override criterion weights (`weights:` in a task).
    #[serde(default)]
    pub allow_task_weights: bool,
    /// How verdicts are combined.
    #[serde(default)]
    pub combine: Combine,
    /// Limits on each criterion call.
    #[serde(default)]
    pub limits: Limits,
    /// The criteria, in the order they are reported.
    #[serde(rename = "criterion")]
    #[schemars(length(min = 1))]
    pub criteria: Vec<CriterionSpec>,
    /// Device profiles per deployment class; classes not listed keep their defaults.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub devices: BTreeMap<Deployment, DeviceProfile>,
    /// Task fields masked in decision logs (JSON pointers, e.g. `/name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub redact: Vec<String>,
}

fn default_catalog() -> String {
    "catalog.yaml".into()
}

fn default_tests() -> String {
    "tests".into()
}

/// How verdicts are combined.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Combine {
    /// The combination method.
    #[serde(default)]
    pub method: CombineMethod,
    /// Keys that order models with equal scores, in turn; `id` is always the last resort.
    #[serde(default = "default_tie_break")]
    pub tie_break: Vec<TieBreak>,
}

impl Default for Combine {
    fn default() -> Self {
        Self {
            method: CombineMethod::default(),
            tie_break: default_tie_break(),
        }
    }
}

fn default_tie_break() -> Vec<TieBreak> {
    vec![TieBreak::ParametersM, TieBreak::Id]
}

/// Combination methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::schema::plain_enum)]
pub enum CombineMethod {
    /// Vetoes first; then Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered.
    #[default]
    WeightedSum,
}

/// Tie-break keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = crate::schema::plain_enum)]
pub enum TieBreak {
    /// The smaller model first.
    ParametersM,
    /// The newer model first (by `released`).
    Released,
    /// Alphabetical by id.
    Id,
}

/// Limits on each criterion call. A script past a limit fails that call; it never hangs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Rhai operations per call.
    #[serde(default = "defaults::max_operations")]
    #[schemars(range(min = 1))]
    pub max_operations: u64,
    /// Wall-clock time per call, in milliseconds.
    #[serde(default = "defaults::timeout_ms")]
    #[schemars(range(min = 1))]
    pub timeout_ms: u64,
    /// Nested function calls. At most 48: deeper recursion could overflow the native stack of
    /// the evaluation threads before Rhai's own limit stops it.
    #[serde(default = "defaults::max_call_levels")]
    #[schemars(range(min = 1, max = 48))]
    pub max_call_levels: usize,
    /// Nesting depth of expressions. At most 256, for the same reason.
    #[serde(default = "defaults::max_expr_depth")]
    #[schemars(range(min = 1, max = 256))]
    pub max_expr_depth: usize,
    /// Length of any string, in bytes.
    #[serde(default = "defaults::max_string_size")]
    #[schemars(range(min = 1))]
    pub max_string_size: usize,
    /// Elements of any array.
    #[serde(default = "defaults::max_array_size")]
    #[schemars(range(min = 1))]
    pub max_array_size: usize,
    /// Entries of any object map.
    #[serde(default = "defaults::max_map_size")]
    #[schemars(range(min = 1))]
    pub max_map_size: usize,
}

mod defaults {
    pub fn max_operations() -> u64 {
        100_000
    }
    pub fn timeout_ms() -> u64 {
        20
    }
    pub fn max_call_levels() -> usize {
        32
    }
    pub fn max_expr_depth() -> usize {
        64
    }
    pub fn max_string_size() -> usize {
        16_384
    }
    pub fn max_array_size() -> usize {
        10_000
    }
    pub fn max_map_size() -> usize {
        1_000
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_operations: defaults::max_operations(),
            timeout_ms: defaults::timeout_ms(),
            max_call_levels: defaults::max_call_levels(),
            max_expr_depth: defaults::max_expr_depth(),
            max_string_size: defaults::max_string_size(),
            max_array_size: defaults::max_array_size(),
            max_map_size: defaults::max_map_size(),
        }
    }
}

/// One criterion of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    /// The criterion's name, unique in the bundle.
    pub name: CriterionName,
    /// The script, relative to the bundle folder.
    #[schemars(length(min = 1))]
    pub script: String,
    /// Its weight in the combination.
    #[schemars(range(min = 0.0))]
    pub weight: f64,
    /// What a run-time error of this criterion does.
    #[serde(default)]
    pub on_error: OnError,
    /// What the criterion judges, for people reading the manifest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a criterion's run-time error does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::schema::plain_enum)]
pub enum OnError {
    /// The decision fails.
    #[default]
    Fail,
    /// The criterion is dropped for that model (weights renormalised; recorded).
    Abstain,
    /// The model is rejected.
    Veto,
}

impl OnError {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Fail => "fail",
            OnError::Abstain => "abstain",
            OnError::Veto => "veto",
        }
    }
}

/// The files of a bundle, in memory: relative `/`-separated paths to contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Files(pub BTreeMap<String, Vec<u8>>);

/// Whether a file name belongs to an editor, a VCS or a Kubernetes ConfigMap's internals
/// rather than to the bundle: hidden names, backups, swap and temporary files.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name.ends_with('~')
        || name.starts_with('#')
        || [".swp", ".swx", ".tmp", ".bak", ".orig"]
            .iter()
            .any(|s| name.ends_with(s))
}

impl Files {
    /// Reads every file under `dir` (following symbolic links), skipping ignored names.
    pub fn read_dir(dir: &Path) -> Result<Files, BundleError> {
        let mut files = Files::default();
        let meta = std::fs::metadata(dir).map_err(|source| BundleError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        if !meta.is_dir() {
            return Err(BundleError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        files.read_into(dir, "", 0)?;
        Ok(files)
    }

    fn read_into(&mut self, dir: &Path, prefix: &str, depth: usize) -> Result<(), BundleError> {
        if depth > 8 {
            return Ok(());
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| BundleError::Io { path, source }
        };
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if is_ignored_name(name) {
                continue;
            }
            let rel = format!("{prefix}{name}");
            // `metadata` follows symbolic links (ConfigMaps are made of them).
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                self.read_into(&path, &format!("{rel}/"), depth + 1)?;
            } else if meta.is_file() {
                let bytes = std::fs::read(&path).map_err(io(&path))?;
                self.0.insert(rel, bytes);
            }
        }
        Ok(())
    }

    /// Files given as (path, contents) pairs, e.g. embedded in a binary. Paths with an ignored
    /// component (see [`is_ignored_name`]) are left out, as [`Files::read_dir`] leaves them out,
    /// so both give the same bundle and the same hash.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Files {
        Files(
            pairs
                .into_iter()
                .filter(|(p, _)| !p.split('/').any(is_ignored_name))
                .map(|(p, b)| (p.to_string(), b.to_vec()))
                .collect(),
        )
    }

    /// Puts the file at `path` in place of the catalog the manifest names (`--catalog`): the
    /// bundle hash then covers the catalog actually used.
    pub fn replace_catalog(&mut self, path: &Path, origin: &str) -> Result<(), BundleError> {
        let bytes = std::fs::read(path).map_err(|source| BundleError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let manifest = self.text("bundle.toml", origin, "the bundle layout")?;
        let name = parse_manifest(manifest, &format!("{origin}/bundle.toml"))?.catalog;
        self.0.insert(name, bytes);
        Ok(())
    }

    /// Writes every file under `dir` (creating folders as needed).
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        for (rel, bytes) in &self.0 {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
        }
        Ok(())
    }

    /// The content hash: SHA-256 over every (path, length, bytes) in path order.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        for (path, bytes) in &self.0 {
            h.update(path.as_bytes());
            h.update([0]);
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        }
        format!("sha256:{}", hex(&h.finalize()))
    }

    fn text(&self, path: &str, origin: &str, referenced_by: &str) -> Result<&str, BundleError> {
        let bytes = self.0.get(path).ok_or_else(|| BundleError::MissingFile {
            bundle: origin.to_string(),
            path: path.to_string(),
            referenced_by: referenced_by.to_string(),
        })?;
        std::str::from_utf8(bytes).map_err(|_| BundleError::Script {
            file: format!("{origin}/{path}"),
            line: 1,
            column: 1,
            message: "not valid UTF-8 text".into(),
        })
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of bytes, as `sha256:<hex>`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Why a bundle was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A file or folder could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bundle path is not a folder.
    #[error("`{}` is not a folder: a bundle is a folder holding bundle.toml", path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// A file the manifest names is missing.
    #[error("{bundle}: `{path}` is missing (named by {referenced_by})")]
    MissingFile {
        /// The bundle.
        bundle: String,
        /// The missing file.
        path: String,
        /// Where it is named.
        referenced_by: String,
    },
    /// The manifest or the catalog is invalid.
    #[error("{0}")]
    Document(#[from] LoadError),
    /// A manifest rule the schema cannot express.
    #[error("{file}: {message}")]
    Manifest {
        /// The manifest file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// A golden case of the bundle failed: the bundle must not go live.
    #[error("{file}: golden case failed: {}{}", .failures.join("; "),
        if *.others > 0 { format!(" (and {} more failing case{})", .others, if *.others == 1 { "" } else { "s" }) } else { String::new() })]
    GoldenCase {
        /// The case file.
        file: String,
        /// What did not hold.
        failures: Vec<String>,
        /// How many other cases failed.
        others: usize,
    },
    /// A script failed to compile, broke the contract, or failed its smoke call.
    #[error("{file}:{line}:{column}: {message}")]
    Script {
        /// The script file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl BundleError {
    /// Where the problem is, as (file, line, column), when known.
    pub fn location(&self) -> Option<(String, usize, usize)> {
        match self {
            BundleError::Script {
                file, line, column, ..
            } => Some((file.clone(), *line, *column)),
            BundleError::GoldenCase { file, .. } => Some((file.clone(), 1, 1)),
            BundleError::MissingFile { bundle, path, .. } => {
                Some((format!("{bundle}/{path}"), 1, 1))
            }
            BundleError::Document(LoadError::Syntax {
                origin,
                line,
                column,
                ..
            }) => Some((origin.clone(), *line, *column)),
            BundleError::Document(LoadError::Invalid {
                origin,
                diagnostics,
                ..
            }) => diagnostics
                .first()
                .map(|d| (origin.clone(), d.line.unwrap_or(1), d.column.unwrap_or(1))),
            _ => None,
        }
    }
}

/// A criterion ready to run.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// Its name.
    pub name: String,
    /// Its weight (before any task override).
    pub weight: f64,
    /// What its errors do.
    pub on_error: OnError,
    /// The script's path inside the bundle.
    pub script: String,
    /// The compiled script.
    pub ast: Arc<AST>,
}

/// A loaded, checked bundle: immutable, shared by every decision that uses it.
pub struct Bundle {
    /// The manifest.
    pub manifest: Manifest,
    /// Where it came from (a folder, or `<embedded>`).
    pub origin: String,
    /// Content hash of every file of the bundle, the catalog included.
    pub hash: String,
    /// Content hash of the catalog file.
    pub catalog_hash: String,
    /// The catalog.
    pub catalog: Arc<Catalog>,
    /// The criteria, in manifest order.
    pub criteria: Vec<Criterion>,
    /// The bundle's files, as loaded.
    pub files: Files,
    /// Device profiles for every deployment class.
    pub devices: Arc<Devices>,
    pub(crate) engine: Engine,
    pub(crate) models: Vec<ModelView>,
}

impl fmt::Debug for Bundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bundle")
            .field("name", &self.manifest.name)
            .field("version", &self.manifest.version)
            .field("hash", &self.hash)
            .field("models", &self.catalog.models.len())
            .finish_non_exhaustive()
    }
}

/// The fixture of the smoke call every script must survive at load: an English
/// text-classification task with 10 000 examples and default resources.
fn fixture_task() -> Task {
    Task {
        name: "smoke test".into(),
        task: crate::task::TaskType::TextClassification,
        languages: vec![crate::task::LanguageCode("en".into())],
        source_languages: Vec::new(),
        domain: Default::default(),
        data: crate::task::Data {
            labeled_examples: 10_000,
            unlabeled_examples: None,
        },
        resources: Default::default(),
        benchmarks: Default::default(),
        weights: Default::default(),
    }
}

impl Bundle {
    /// Loads a bundle folder. `catalog` replaces the manifest's catalog file.
    pub fn load(dir: &Path, catalog: Option<&Path>) -> Result<Bundle, BundleError> {
        let mut files = Files::read_dir(dir)?;
        let origin = dir.display().to_string();
        if let Some(path) = catalog {
            files.replace_catalog(path, &origin)?;
        }
        Bundle::from_files(files, origin)
    }

    /// Loads a bundle from files in memory.
    pub fn from_files(files: Files, origin: String) -> Result<Bundle, BundleError> {
        let manifest_text = files.text("bundle.toml", &origin, "the bundle layout")?;
        let manifest_origin = format!("{origin}/bundle.toml");
        let manifest = parse_manifest(manifest_text, &manifest_origin)?;

        let catalog_text = files.text(&manifest.catalog, &origin, "bundle.toml `catalog`")?;
        let catalog_origin = format!("{origin}/{}", manifest.catalog);
        let syntax = Syntax::for_path(Path::new(&manifest.catalog));
        let catalog = Arc::new(load::catalog_from_str(
            catalog_text,
            syntax,
            &catalog_origin,
        )?);
        let catalog_hash = crate::bundle::sha256(catalog_text.as_bytes());

        let mut devices: Devices = Deployment::ALL
            .iter()
            .map(|d| (*d, DeviceProfile::default_for(*d)))
            .collect();
        devices.extend(manifest.devices.iter().map(|(k, v)| {
            let mut v = *v;
            if v.memory_bandwidth_gbs.is_none() {
                v.memory_bandwidth_gbs = DeviceProfile::default_for(*k).memory_bandwidth_gbs;
            }
            (*k, v)
        }));
        let devices = Arc::new(devices);

        let engine = host::build_engine(
            &manifest.limits,
            devices.clone(),
            Arc::from(origin.as_str()),
        );
        let models = host::prepare_models(&catalog);
        let mut criteria = Vec::new();
        for spec in &manifest.criteria {
            let file = format!("{origin}/{}", spec.script);
            let text = files.text(
                &spec.script,
                &origin,
                &format!("criterion `{}` in bundle.toml", spec.name),
            )?;
            let ast = compile(&engine, text, &file)?;
            criteria.push(Criterion {
                name: spec.name.as_str().to_string(),
                weight: spec.weight,
                on_error: spec.on_error,
                script: spec.script.clone(),
                ast: Arc::new(ast),
            });
        }
        let bundle = Bundle {
            hash: files.hash(),
            manifest,
            origin,
            catalog_hash,
            catalog,
            criteria,
            files,
            devices,
            engine,
            models,
        };
        bundle.smoke_test()?;
        Ok(bundle)
    }

    /// Every script must return a verdict for a fixture task and the catalog's first model.
    fn smoke_test(&self) -> Result<(), BundleError> {
        let task = TaskView::new(fixture_task());
        let Some(model) = self.models.first() else {
            return Ok(());
        };
        for c in &self.criteria {
            let file = format!("{}/{}", self.origin, c.script);
            self.call(c, &task, model).map_err(|e| BundleError::Script {
                file,
                line: e.line,
                column: e.column,
                message: format!(
                    "the smoke call (a fixture English text-classification task, model `{}`) failed: {}",
                    model.0.model.id, e.message
                ),
            })?;
        }
        Ok(())
    }

    /// Runs one criterion on one model, within the bundle's limits and deadline.
    pub(crate) fn call(
        &self,
        c: &Criterion,
        task: &TaskView,
        model: &ModelView,
    ) -> Result<Verdict, ScriptFault> {
        let timeout = Duration::from_millis(self.manifest.limits.timeout_ms);
        let result = host::with_deadline(timeout, || {
            let mut scope = rhai::Scope::new();
            let options = rhai::CallFnOptions::new()
                .eval_ast(false)
                .rewind_scope(false);
            self.engine.call_fn_with_options::<rhai::Dynamic>(
                options,
                &mut scope,
                &c.ast,
                "evaluate",
                (task.clone(), model.clone()),
            )
        });
        match result {
            Ok(value) => {
                let type_name = value.type_name();
                value.try_cast::<Verdict>().ok_or_else(|| ScriptFault {
                    message: format!(
                        "`evaluate` returned {} instead of a verdict: end it with score(x, reason), veto(reason) or abstain(reason)",
                        friendly_type(type_name)
                    ),
                    line: 1,
                    column: 1,
                })
            }
            Err(e) => Err(ScriptFault::from_eval(&e, &self.manifest.limits)),
        }
    }

    /// The prepared models, in catalog order.
    pub fn models(&self) -> &[ModelView] {
        &self.models
    }
}

fn friendly_type(rust_name: &str) -> String {
    match rust_name {
        "()" => "nothing (`()`)".into(),
        n if n.contains("ImmutableString") || n == "string" => "a string".into(),
        n if n.contains("f64") || n == "f64" => "a number".into(),
        "i64" => "an integer".into(),
        "bool" => "a boolean".into(),
        n if n.contains("Array") || n.contains("Vec<") => "an array".into(),
        n if n.contains("Map") => "a map".into(),
        n => format!("`{n}`"),
    }
}

/// Parses and validates `bundle.toml`: syntax (line and column), schema, then rules the schema
/// cannot express.
pub fn parse_manifest(text: &str, origin: &str) -> Result<Manifest, BundleError> {
    let value: serde_json::Value = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        LoadError::Syntax {
            origin: origin.to_string(),
            line,
            column,
            message: format!("invalid TOML: {}", e.message()),
        }
    })?;
    let errors = SchemaKind::Bundle.validate(&value);
    if !errors.is_empty() {
        return Err(LoadError::Invalid {
            origin: origin.to_string(),
            kind: SchemaKind::Bundle,
            diagnostics: errors,
        }
        .into());
    }
    let manifest: Manifest = serde_json::from_value(value).map_err(|e| LoadError::Invalid {
        origin: origin.to_string(),
        kind: SchemaKind::Bundle,
        diagnostics: vec![Diagnostic::new("", e.to_string())],
    })?;
    let mut seen = std::collections::HashSet::new();
    for c in &manifest.criteria {
        if !seen.insert(c.name.as_str()) {
            return Err(BundleError::Manifest {
                file: origin.to_string(),
                message: format!("criterion `{}` is defined twice", c.name),
            });
        }
    }
    if let Some(p) = manifest.redact.iter().find(|p| !p.starts_with('/')) {
        return Err(BundleError::Manifest {
            file: origin.to_string(),
            message: format!("redact: `{p}` is not a JSON pointer into the task (write `/{p}`)"),
        });
    }
    if manifest.criteria.iter().all(|c| c.weight == 0.0) {
        return Err(BundleError::Manifest {
            file: origin.to_string(),
            message: "every criterion has weight 0: nothing would rank the models".into(),
        });
    }
    Ok(manifest)
}

/// 1-based line and column of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    // The offset comes from the TOML parser; never slice inside a character.
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// Compiles a script and checks the contract: `fn evaluate(task, model)`, nothing at top level.
fn compile(engine: &Engine, text: &str, file: &str) -> Result<AST, BundleError> {
    let script_error = |line: usize, column: usize, message: String| BundleError::Script {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let ast = engine.compile(text).map_err(|e| {
        let p = e.position();
        script_error(
            p.line().unwrap_or(1),
            p.position().unwrap_or(1),
            crate::diagnostic::lowercase_first(&e.err_type().to_string()),
        )
    })?;
    if let Some(stmt) = ast.statements().first() {
        let p = stmt.position();
        return Err(script_error(
            p.line().unwrap_or(1),
            p.position().unwrap_or(1),
            "top-level statements are not allowed: a criterion script only defines functions (move this into `evaluate` or a helper function)".into(),
        ));
    }
    let evaluate: Vec<_> = ast
        .iter_functions()
        .filter(|f| f.name == "evaluate")
        .collect();
    let (line, column) = find_fn(text, "evaluate").unwrap_or((1, 1));
    match evaluate.as_slice() {
        [] => Err(script_error(
            1,
            1,
            "no `fn evaluate(task, model)`: every criterion script must define it".into(),
        )),
        [f] if f.params.len() == 2 => Ok(ast),
        fs => {
            let arities: Vec<String> = fs.iter().map(|f| f.params.len().to_string()).collect();
            Err(script_error(
                line,
                column,
                format!(
                    "`evaluate` must take exactly 2 parameters (task, model); found it with {}",
                    arities.join(" and ")
                ),
            ))
        }
    }
}

/// Line and column of `fn <name>` in a script, for messages.
fn find_fn(text: &str, name: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let col = l.find(&format!("fn {name}"))?;
        Some((i + 1, col + 1))
    })
}

/// A run-time failure of one criterion call.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptFault {
    /// What went wrong, in lower case.
    pub message: String,
    /// 1-based line in the script.
    pub line: usize,
    /// 1-based column in the script.
    pub column: usize,
}

impl ScriptFault {
    fn from_eval(e: &rhai::EvalAltResult, limits: &Limits) -> ScriptFault {
        use rhai::EvalAltResult as E;
        // The innermost error says what went wrong, and where.
        let mut e = e;
        while let E::ErrorInFunctionCall(_, _, inner, _) = e {
            e = inner;
        }
        let message = match e {
            E::ErrorTooManyOperations(_) => {
                format!(
                    "stopped after {} operations (limits.max_operations)",
                    limits.max_operations
                )
            }
            E::ErrorTerminated(token, _) if host::is_deadline(token) => {
                format!("stopped after {} ms (limits.timeout_ms)", limits.timeout_ms)
            }
            E::ErrorStackOverflow(_) => {
                format!(
                    "calls nested deeper than {} levels (limits.max_call_levels)",
                    limits.max_call_levels
                )
            }
            E::ErrorDataTooLarge(what, _) => format!(
                "{} grew past its limit (limits.max_string_size {}, max_array_size {}, max_map_size {})",
                what.to_lowercase(),
                limits.max_string_size,
                limits.max_array_size,
                limits.max_map_size
            ),
            E::ErrorRuntime(msg, _) => msg.to_string(),
            other => {
                let mut s = other.to_string();
                if let Some(i) = s.rfind(" (line ") {
                    s.truncate(i);
                }
                crate::diagnostic::lowercase_first(&s)
            }
        };
        let p = e.position();
        ScriptFault {
            message,
            line: p.line().unwrap_or(1),
            column: p.position().unwrap_or(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_task_is_valid() {
        let t = fixture_task();
        assert_eq!(t.task.as_str(), "text-classification");
        assert!(load::check_task(&t).is_empty());
    }

    /// A device profile in `bundle.toml` may leave out the memory bandwidth: the class's default
    /// fills it in; one that gives it keeps it.
    #[test]
    fn device_bandwidth_defaults_per_class_and_can_be_overridden() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bundles/tiny");
        let mut files = Files::read_dir(&dir).unwrap();
        let manifest = String::from_utf8(files.0["bundle.toml"].clone()).unwrap();
        let manifest = manifest.replacen(
            "[[criterion]]",
            "[devices.edge]\ngflops = 10\nmemory_mb = 100\n\n\
             [devices.mobile]\ngflops = 10\nmemory_mb = 100\nmemory_bandwidth_gbs = 3\n\n\
             [[criterion]]",
            1,
        );
        files.0.insert("bundle.toml".into(), manifest.into_bytes());
        let b = Bundle::from_files(files, "tiny".into()).unwrap();
        let edge = b.devices[&Deployment::Edge];
        assert_eq!(edge.gflops, 10.0);
        assert_eq!(
            edge.memory_bandwidth_gbs,
            DeviceProfile::default_for(Deployment::Edge).memory_bandwidth_gbs
        );
        assert_eq!(
            b.devices[&Deployment::Mobile].memory_bandwidth_gbs,
            Some(3.0)
        );
        assert_eq!(
            b.devices[&Deployment::CloudGpu],
            DeviceProfile::default_for(Deployment::CloudGpu)
        );
    }

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 1), (1, 1), "inside a character");
    }

    #[test]
    fn hash_depends_on_names_and_contents() {
        let a = Files::from_pairs([("a", &b"1"[..]), ("b", &b"2"[..])]);
        let b = Files::from_pairs([("a", &b"12"[..]), ("b", &b""[..])]);
        let c = Files::from_pairs([("a", &b"1"[..]), ("c", &b"2"[..])]);
        assert_ne!(a.hash(), b.hash());
        assert_ne!(a.hash(), c.hash());
        assert_eq!(a.hash(), a.clone().hash());
    }

    #[test]
    fn editor_and_configmap_files_are_ignored() {
        for n in [
            ".x.rhai.swp",
            "x.rhai~",
            "..data",
            "..2024_01_01",
            "#x#",
            "x.tmp",
        ] {
            assert!(is_ignored_name(n), "{n}");
        }
        assert!(!is_ignored_name("task_type.rhai"));
    }
}
