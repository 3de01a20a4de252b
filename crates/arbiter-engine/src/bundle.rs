//! Bundles: the manifest, the catalog and the criterion scripts, loaded and checked as one.
//!
//! A bundle is read into memory whole ([`Files`]) — from a folder or from the copy embedded in
//! the binary — and hashed from those bytes, so the hash names exactly what was evaluated. Then
//! the manifest passes its schema, the catalog its checks, and every script compiles, defines
//! `fn evaluate(task, model)`, has no top-level statements, and survives a smoke call. Any
//! failure rejects the whole bundle and names the file, line and column.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rhai::{AST, Engine};

use crate::cache::VerdictCache;
use crate::catalog::Catalog;
use crate::compiled::{Compiled, NotCompiled};
use crate::cost::DeviceProfile;
use crate::diagnostic::Diagnostic;
pub use crate::files::{Files, FilesError, is_ignored_name};
pub use crate::hash::sha256;
use crate::host::{self, Devices, ModelView, TaskView, Verdict};
use crate::load::{self, LoadError, Syntax};
pub use crate::manifest::{
    Combine, CombineMethod, CriterionSpec, Limits, Manifest, OnError, TieBreak,
};
use crate::schema::{self, SchemaKind};
use crate::script;
pub use crate::script::ScriptFault;
pub use crate::signature::{SignatureError, TrustedKeys};
use crate::span::Span;
use crate::task::{Deployment, Task};

/// A catalog given in place of the bundle's own (`--catalog`): errors about it name the file
/// given, not the bundle's catalog file it stands in for.
#[derive(Debug, Clone)]
pub struct CatalogOverride {
    /// The name errors would use: the bundle's origin and its catalog's path.
    inside: String,
    /// The file given.
    path: String,
}

impl CatalogOverride {
    /// `e`, naming the file given where it named the catalog it replaced (if one was).
    pub fn rename(replaced: Option<&CatalogOverride>, e: BundleError) -> BundleError {
        let Some(r) = replaced else { return e };
        match e {
            BundleError::Document(
                LoadError::Syntax { ref origin, .. } | LoadError::Invalid { ref origin, .. },
            ) if *origin == r.inside => {
                let BundleError::Document(mut inner) = e else {
                    return e;
                };
                if let LoadError::Syntax { origin, .. } | LoadError::Invalid { origin, .. } =
                    &mut inner
                {
                    origin.clone_from(&r.path);
                }
                BundleError::Document(inner)
            }
            other => other,
        }
    }
}

impl Files {
    /// Puts the file at `path` in place of the catalog the manifest names (`--catalog`): the
    /// bundle hash then covers the catalog actually used. The result renames errors about the
    /// catalog after `path`, the file the user gave.
    pub fn replace_catalog(
        &mut self,
        path: &Path,
        origin: &str,
    ) -> Result<CatalogOverride, BundleError> {
        let bytes =
            crate::ceilings::read_file(path, crate::ceilings::CATALOG_BYTES, "a catalog document")
                .map_err(|source| BundleError::Io {
                    path: path.to_path_buf(),
                    source,
                })?;
        let manifest = self.text("bundle.toml", origin, "the bundle layout")?;
        let name = parse_manifest(manifest, &format!("{origin}/bundle.toml"))?.catalog;
        let inside = format!("{origin}/{name}");
        self.0.insert(name, bytes);
        Ok(CatalogOverride {
            inside,
            path: path.display().to_string(),
        })
    }

    pub(crate) fn text(
        &self,
        path: &str,
        origin: &str,
        referenced_by: &str,
    ) -> Result<&str, BundleError> {
        let bytes = self.0.get(path).ok_or_else(|| BundleError::MissingFile {
            bundle: origin.to_string(),
            path: path.to_string(),
            referenced_by: referenced_by.to_string(),
        })?;
        std::str::from_utf8(bytes).map_err(|_| BundleError::Script {
            file: format!("{origin}/{path}"),
            span: Span::START,
            message: "not valid UTF-8 text".into(),
        })
    }
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
    /// The bundle's files could not be read.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// The bundle's signature is missing or does not verify with the trusted keys.
    #[error(transparent)]
    Signature(#[from] SignatureError),
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
    #[error("{file}:{span}: {message}")]
    Script {
        /// The script file.
        file: String,
        /// Where in it.
        span: Span,
        /// What is wrong.
        message: String,
    },
}

impl BundleError {
    /// Where the problem is, as (file, place in it), when known.
    pub fn location(&self) -> Option<(String, Span)> {
        match self {
            BundleError::Script { file, span, .. } => Some((file.clone(), *span)),
            BundleError::GoldenCase { file, .. } => Some((file.clone(), Span::START)),
            BundleError::MissingFile { bundle, path, .. } => {
                Some((format!("{bundle}/{path}"), Span::START))
            }
            BundleError::Document(LoadError::Syntax { origin, span, .. }) => {
                Some((origin.clone(), *span))
            }
            BundleError::Document(LoadError::Invalid {
                origin,
                diagnostics,
                ..
            }) => diagnostics
                .first()
                .map(|d| (origin.clone(), d.span.unwrap_or(Span::START))),
            BundleError::Signature(e) => e
                .signature_file()
                .map(|p| (p.display().to_string(), Span::START)),
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
    /// The script lowered for speed ([`crate::compiled`]), or why it runs on Rhai alone.
    pub compiled: Result<Arc<Compiled>, NotCompiled>,
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
    /// Verdicts already computed, by the task fields their script read.
    pub cache: VerdictCache<Verdict>,
    /// The id of the trusted key whose signature this bundle's content passed, when it was
    /// loaded with trusted keys ([`Bundle::load_trusting`]); recorded in every decision.
    pub signed_by: Option<String>,
    /// Whether calls run compiled where a script is ([`Bundle::set_compiled`]).
    use_compiled: std::sync::atomic::AtomicBool,
}

impl Bundle {
    /// Runs every script on Rhai alone (`false`), or compiled where it is (`true`, the
    /// default): for comparing the two, and for measuring.
    pub fn set_compiled(&self, on: bool) {
        self.use_compiled
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }
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
        Bundle::load_trusting(dir, catalog, None)
    }

    /// Loads a bundle folder whose signature, with `trusted` keys, must verify over its content
    /// before anything of it is parsed or run; the bundle then names the key that signed it
    /// ([`Bundle::signed_by`]). A `catalog` in place of the bundle's own is refused with trusted
    /// keys: the signature would not cover it.
    pub fn load_trusting(
        dir: &Path,
        catalog: Option<&Path>,
        trusted: Option<&TrustedKeys>,
    ) -> Result<Bundle, BundleError> {
        let mut files = Files::read_dir(dir)?;
        let signed_by = match trusted {
            None => None,
            Some(_) if catalog.is_some() => return Err(SignatureError::CatalogOverride.into()),
            Some(keys) => {
                let signature = crate::signature::read_signature(dir)?;
                Some(keys.verify(dir, &files.hash(), signature.as_deref())?)
            }
        };
        let origin = dir.display().to_string();
        let replaced = catalog
            .map(|path| files.replace_catalog(path, &origin))
            .transpose()?;
        let mut bundle = Bundle::from_files(files, origin)
            .map_err(|e| CatalogOverride::rename(replaced.as_ref(), e))?;
        bundle.signed_by = signed_by;
        Ok(bundle)
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
        let catalog_hash = crate::hash::sha256(catalog_text.as_bytes());

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
            let ast = script::compile(&engine, text).map_err(|f| BundleError::Script {
                file: file.clone(),
                span: f.span,
                message: f.message,
            })?;
            let compiled = Compiled::new(&ast, &manifest.limits, devices.clone()).map(Arc::new);
            if let Err(why) = &compiled {
                tracing::debug!(criterion = %spec.name.as_str(), reason = %why.0, "runs on Rhai alone");
            }
            criteria.push(Criterion {
                compiled,
                name: spec.name.as_str().to_string(),
                weight: spec.weight,
                on_error: spec.on_error,
                script: spec.script.clone(),
                ast: Arc::new(ast),
            });
        }
        let cache = VerdictCache::new(models.len(), criteria.len());
        let bundle = Bundle {
            cache,
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
            signed_by: None,
            use_compiled: std::sync::atomic::AtomicBool::new(true),
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
                span: e.span,
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
        if self.use_compiled.load(std::sync::atomic::Ordering::Relaxed)
            && let Ok(compiled) = &c.compiled
        {
            script::call_compiled(
                compiled,
                &self.engine,
                &c.ast,
                &self.manifest.limits,
                task,
                model,
            )
        } else {
            script::call(&self.engine, &c.ast, &self.manifest.limits, task, model)
        }
    }

    /// Criterion `c` on `model`, the `index`-th of [`Bundle::models`]: from the verdict cache
    /// when an earlier task agreed on every field the script read, else by a call (whose
    /// verdict is kept).
    pub(crate) fn call_cached(
        &self,
        (criterion, c): (usize, &Criterion),
        (index, model): (usize, &ModelView),
        task: &TaskView,
    ) -> Result<Verdict, ScriptFault> {
        self.cache
            .get_or_call(index, criterion, &task.0.fields, || {
                crate::cache::tracking(|| self.call(c, task, model))
            })
    }

    /// The prepared models, in catalog order.
    pub fn models(&self) -> &[ModelView] {
        &self.models
    }
}

/// Parses and validates `bundle.toml`: syntax (line and column), schema, then rules the schema
/// cannot express.
pub fn parse_manifest(text: &str, origin: &str) -> Result<Manifest, BundleError> {
    let value: serde_json::Value = toml::from_str(text).map_err(|e| LoadError::Syntax {
        origin: origin.to_string(),
        span: e.span().map_or(Span::START, |s| Span::of_bytes(text, s)),
        message: format!("invalid TOML: {}", e.message()),
    })?;
    let errors = schema::validate_as::<Manifest>(SchemaKind::Bundle, &value);
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
    // Scripts and the catalog are files of the bundle: a path that could leave the folder
    // (`../../etc/passwd`, `/dev/zero`) is refused as such, not reported as missing.
    let paths = std::iter::once(("catalog", manifest.catalog.as_str())).chain(
        manifest
            .criteria
            .iter()
            .map(|c| ("script", c.script.as_str())),
    );
    for (key, path) in paths {
        if let Some(why) = outside_the_bundle(path) {
            return Err(BundleError::Manifest {
                file: origin.to_string(),
                message: format!(
                    "{key} `{path}` {why}: a bundle's files are named by paths inside its folder, \
                     like `criteria/language.rhai`"
                ),
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

/// Why a path named in the manifest is not a path inside the bundle folder, if it is not.
fn outside_the_bundle(path: &str) -> Option<&'static str> {
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        Some("is not a relative path")
    } else if path
        .split('/')
        .any(|c| c == ".." || c == "." || c.is_empty())
    {
        Some("is not a plain relative path (no `..`, `.` or empty parts)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Script and catalog paths that would leave the bundle folder are refused as such (they
    /// were reported as missing files).
    #[test]
    fn paths_outside_the_bundle_are_refused_as_such() {
        for (key, path, why) in [
            ("script", "../../etc/passwd", "is not a plain relative path"),
            ("script", "/dev/zero", "is not a relative path"),
            (
                "script",
                "criteria/./x.rhai",
                "is not a plain relative path",
            ),
            ("catalog", "C:\\catalog.yaml", "is not a relative path"),
        ] {
            let (catalog, script) = if key == "catalog" {
                (path, "criteria/a.rhai")
            } else {
                ("catalog.yaml", path)
            };
            let text = format!(
                "name = \"x\"\nversion = \"1\"\ncatalog = '{catalog}'\n\
                 [[criterion]]\nname = \"a\"\nscript = '{script}'\nweight = 1.0\n"
            );
            let e = parse_manifest(&text, "b/bundle.toml")
                .unwrap_err()
                .to_string();
            assert!(e.contains(&format!("{key} `{path}` {why}")), "{path}: {e}");
        }
        let ok = "name = \"x\"\nversion = \"1\"\n[[criterion]]\nname = \"a\"\n\
                  script = \"criteria/a.rhai\"\nweight = 1.0\n";
        assert!(parse_manifest(ok, "b/bundle.toml").is_ok());
    }

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
