//! `model_arbiter._native`: the engine behind PyO3, for the Python package `model_arbiter`.
//!
//! This layer only loads, decides and formats; the Python modules beside it turn its answers
//! into the package's objects. Each function is a thin call into the same library functions the
//! `arbiter` binary uses — the loading gates, `decide`, the golden cases, the counterfactuals,
//! the catalog importer, the report's sentences and tables — so that a decision made here is the
//! decision the command line makes, and its JSON is the command line's `--format json`. The
//! interpreter is released (`Python::detach`) while the engine works, so Python threads decide
//! in parallel.
//!
//! Errors are raised as the package's own exceptions (`model_arbiter.TaskError`, `BundleError`,
//! `CatalogImportError`, defined in `model_arbiter/_errors.py`), each with every problem found.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arbiter_engine::bundle::Files;
use arbiter_engine::decide::DecideError;
use arbiter_engine::{Bundle, BundleError, Decision, Diagnostic, LoadError, Syntax, load};
use arbiter_report::{Report, sentences, text};
use pyo3::exceptions::{
    PyFileNotFoundError, PyOSError, PyPermissionError, PyRuntimeError, PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// A validated task: the result of the loading gates (syntax, schema, semantic checks).
#[pyclass(frozen, module = "model_arbiter._native", name = "Task")]
struct PyTask {
    task: arbiter_engine::Task,
}

#[pymethods]
impl PyTask {
    fn __repr__(&self) -> String {
        format!("<Task {:?} ({})>", self.task.name, self.task.task)
    }
}

/// A loaded, checked bundle: manifest, catalog and compiled criteria.
#[pyclass(frozen, module = "model_arbiter._native", name = "Bundle")]
struct PyBundle {
    bundle: Arc<Bundle>,
}

/// A decision with the bundle that made it.
#[pyclass(frozen, module = "model_arbiter._native", name = "Decision")]
struct PyDecision {
    decision: Decision,
    bundle: Arc<Bundle>,
}

/// One golden case's result: (file, failures, chosen).
type CaseRow = (String, Vec<String>, Option<String>);
/// One counterfactual: (field, value now, value that changes the choice, chosen then).
type CounterfactualRow = (String, String, String, Option<String>);
/// Why a model was not chosen: (text, vetoes as (criterion, reason), its rank and score when
/// ranked, each criterion's gap to the winner as (criterion, gap, reasons)).
type WhyNotRow = (
    String,
    Vec<(String, String)>,
    Option<(usize, f64)>,
    Vec<(String, f64, String)>,
);

/// One imported model: (its catalog entry as JSON, its source, notices as (field, kind,
/// message)).
type ImportedRow = (String, String, Vec<(String, String, String)>);

#[pymethods]
impl PyBundle {
    /// Loads the bundle folder `path`, or the default bundle built into the package when `path`
    /// is None; `catalog` replaces the bundle's catalog file; `cache` keeps verdicts for tasks
    /// that agree on every field a script read.
    #[new]
    #[pyo3(signature = (path=None, catalog=None, cache=true))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        catalog: Option<PathBuf>,
        cache: bool,
    ) -> PyResult<Self> {
        let loaded = py.detach(|| load_bundle(path.as_deref(), catalog.as_deref()));
        let bundle = loaded.map_err(|e| bundle_error(py, &e))?;
        bundle.cache.set_enabled(cache);
        Ok(PyBundle {
            bundle: Arc::new(bundle),
        })
    }

    /// The manifest's name.
    #[getter]
    fn name(&self) -> &str {
        &self.bundle.manifest.name
    }

    /// The manifest's version.
    #[getter]
    fn version(&self) -> &str {
        &self.bundle.manifest.version
    }

    /// The content hash of every file of the bundle.
    #[getter]
    fn hash(&self) -> &str {
        &self.bundle.hash
    }

    /// The content hash of the catalog file.
    #[getter]
    fn catalog_hash(&self) -> &str {
        &self.bundle.catalog_hash
    }

    /// Where the bundle came from: its folder, or `<embedded>`.
    #[getter]
    fn origin(&self) -> &str {
        &self.bundle.origin
    }

    /// The catalog's model ids, in catalog order.
    #[getter]
    fn models(&self) -> Vec<String> {
        let models = &self.bundle.catalog.models;
        models.iter().map(|m| m.id.clone()).collect()
    }

    /// The criteria, in bundle order, with their weights.
    #[getter]
    fn criteria(&self) -> Vec<(String, f64)> {
        let criteria = &self.bundle.criteria;
        criteria
            .iter()
            .map(|c| (c.name.clone(), c.weight))
            .collect()
    }

    /// Decides on a task; `top` keeps the first N ranked models (as `--top N --format json`).
    #[pyo3(signature = (task, top=None))]
    fn decide(&self, py: Python<'_>, task: &PyTask, top: Option<usize>) -> PyResult<PyDecision> {
        let bundle = Arc::clone(&self.bundle);
        let mut decision = py
            .detach(|| arbiter_engine::decide(&bundle, task.task.clone()))
            .map_err(|e| decide_error(py, &e))?;
        if let Some(n) = top {
            decision.ranking.truncate(n);
        }
        Ok(PyDecision { decision, bundle })
    }

    /// Runs the bundle's golden cases: one (file, failures, chosen) per case, in file order.
    fn test(&self, py: Python<'_>) -> Vec<CaseRow> {
        let bundle = Arc::clone(&self.bundle);
        py.detach(|| arbiter_engine::golden::run_cases(&bundle))
            .into_iter()
            .map(|r| (r.name, r.failures, r.chosen))
            .collect()
    }

    /// For each task field, the nearest value that changes the choice: the decision now, the
    /// counterfactuals as (field, from, to, chosen), and the command line's `--what-if` lines.
    #[pyo3(signature = (task, limit=60))]
    fn what_if(
        &self,
        py: Python<'_>,
        task: &PyTask,
        limit: usize,
    ) -> PyResult<(PyDecision, Vec<CounterfactualRow>, String)> {
        let bundle = Arc::clone(&self.bundle);
        let (decision, found) = py
            .detach(|| {
                let decision = arbiter_engine::decide(&bundle, task.task.clone())?;
                let found =
                    arbiter_engine::counterfactual::counterfactuals(&bundle, &decision.task, limit);
                Ok((decision, found))
            })
            .map_err(|e| decide_error(py, &e))?;
        let report = Report::new(&decision, Some(bundle.catalog.models.len()))
            .with_counterfactuals(found.clone());
        let lines = text::what_if(&report, false);
        let rows = found
            .into_iter()
            .map(|c| (c.field, c.from, c.to, c.chosen))
            .collect();
        Ok((PyDecision { decision, bundle }, rows, lines))
    }
}

#[pymethods]
impl PyDecision {
    /// The decision record as `arbiter select --format json` prints it.
    fn json(&self) -> PyResult<String> {
        let mut s = serde_json::to_string_pretty(&self.decision)
            .map_err(|e| PyRuntimeError::new_err(format!("cannot serialise the decision: {e}")))?;
        s.push('\n');
        Ok(s)
    }

    /// The decision in plain sentences for reviewers (as `arbiter audit show`).
    #[pyo3(signature = (markdown=false))]
    fn explain(&self, markdown: bool) -> String {
        sentences::explain(&self.report(), markdown)
    }

    /// The outcome in one sentence.
    fn outcome_sentence(&self) -> String {
        sentences::outcome(&self.report())
    }

    /// The ranking table of `arbiter select` (with `--explain`: every criterion's reasons for
    /// the top models, the weight sensitivity and every veto).
    #[pyo3(signature = (top=5, explain=false, markdown=false))]
    fn summary(&self, top: usize, explain: bool, markdown: bool) -> String {
        let report = self.report();
        let mut s = text::summary(&report, top, markdown);
        if explain {
            s.push_str(&text::explain(&report, top, markdown));
        }
        s
    }

    /// Why `model` was not chosen (as `arbiter select --why-not MODEL`).
    fn why_not(&self, model: &str) -> PyResult<WhyNotRow> {
        let catalog = &self.bundle.catalog;
        if catalog.get(model).is_none() {
            let mut message = format!(
                "`{model}` is not in the catalog ({} models)",
                catalog.models.len()
            );
            let ids = catalog.models.iter().map(|m| m.id.as_str());
            if let Some(near) = arbiter_engine::diagnostic::did_you_mean(model, ids) {
                message.push_str(&format!("; did you mean `{near}`?"));
            }
            return Err(PyValueError::new_err(message));
        }
        let d = &self.decision;
        let report = self.report();
        let lines = text::why_not(&report, model, false);
        let vetoes = d
            .rejected
            .iter()
            .filter(|r| r.model == model)
            .map(|r| (r.criterion.clone(), r.reason.clone()))
            .collect();
        let this = d.ranking.iter().find(|r| r.model == model);
        let gaps = match (d.ranking.first(), this) {
            (Some(winner), Some(this)) if winner.model != model => {
                arbiter_report::gaps(d, winner, this)
                    .into_iter()
                    .map(|g| (g.criterion.to_string(), g.gap, g.reasons))
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok((lines, vetoes, this.map(|r| (r.rank, r.score)), gaps))
    }
}

impl PyDecision {
    fn report(&self) -> Report<'_> {
        Report::new(&self.decision, Some(self.bundle.catalog.models.len()))
    }
}

/// Loads a task from text: `syntax` is "yaml" or "json"; `origin` names it in errors;
/// `located` false drops lines and columns (text made from a mapping has none worth giving).
#[pyfunction]
#[pyo3(signature = (text, syntax="yaml", origin="<task>", located=true))]
fn task_from_text(
    py: Python<'_>,
    text: &str,
    syntax: &str,
    origin: &str,
    located: bool,
) -> PyResult<PyTask> {
    let syntax = match syntax {
        "yaml" => Syntax::Yaml,
        "json" => Syntax::Json,
        other => {
            return Err(PyValueError::new_err(format!(
                "syntax must be \"yaml\" or \"json\", not {other:?}"
            )));
        }
    };
    let text = text.to_string();
    py.detach(|| load::task_from_str(&text, syntax, origin))
        .map(|task| PyTask { task })
        .map_err(|e| task_error(py, &e, located))
}

/// Loads a task file (`.json` as JSON, anything else as YAML).
#[pyfunction]
fn task_from_file(py: Python<'_>, path: PathBuf) -> PyResult<PyTask> {
    py.detach(|| load::load_task(&path))
        .map(|task| PyTask { task })
        .map_err(|e| task_error(py, &e, true))
}

/// Imports Hugging Face model folders (no network): the catalog document `arbiter catalog
/// import` writes, and each model as (its entry as JSON, its source, notices as (field, kind,
/// message)). Raises `CatalogImportError` listing every path that failed, every duplicate id,
/// or why the result is not a valid catalog.
#[pyfunction]
#[pyo3(signature = (paths, id=None, merge=None))]
fn import_catalog(
    py: Python<'_>,
    paths: Vec<PathBuf>,
    id: Option<String>,
    merge: Option<PathBuf>,
) -> PyResult<(String, Vec<ImportedRow>)> {
    if id.is_some() && paths.len() != 1 {
        return Err(PyValueError::new_err(format!(
            "id names one model, but {} paths were given: give a single path with id",
            paths.len()
        )));
    }
    let result = py.detach(|| import(&paths, id.as_deref(), merge.as_deref()));
    let (text, imported) = result.map_err(|errors| catalog_import_error(py, errors))?;
    let mut models = Vec::new();
    for i in imported {
        let entry =
            serde_json::to_string(&i.model).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let notices = i
            .notices
            .into_iter()
            .map(|n| (n.field, n.kind.as_str().to_string(), n.message))
            .collect();
        models.push((entry, i.source, notices));
    }
    Ok((text, models))
}

/// What `import_catalog` does without the interpreter: every error at once, or the catalog.
fn import(
    paths: &[PathBuf],
    id: Option<&str>,
    merge: Option<&Path>,
) -> Result<(String, Vec<arbiter_engine::hf::Imported>), Vec<String>> {
    use arbiter_engine::hf;
    let mut imported = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match hf::import(path, id) {
            Ok(i) => imported.push(i),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let existing = match merge {
        Some(path) => match load::load_catalog(path) {
            Ok(c) => Some((c, path.display().to_string())),
            Err(e) => {
                errors.push(e.to_string());
                None
            }
        },
        None => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    if imported.is_empty() && existing.is_none() {
        return Err(vec!["no path was given".to_string()]);
    }
    let catalog = hf::merge(existing.as_ref().map(|(c, o)| (c, o.as_str())), &imported).map_err(
        |duplicates| {
            duplicates
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        },
    )?;
    let text = hf::catalog_document(&catalog, &imported, merge)
        .map_err(|e| vec![format!("cannot write the catalog as YAML: {e}")])?;
    // The same gates as any catalog: syntax, schema, semantic checks.
    load::catalog_from_str(&text, Syntax::Yaml, "<imported catalog>")
        .map_err(|e| vec![e.to_string()])?;
    Ok((text, imported))
}

/// A folder's bundle, or the default one built in.
fn load_bundle(path: Option<&Path>, catalog: Option<&Path>) -> Result<Bundle, BundleError> {
    match path {
        Some(dir) => Bundle::load(dir, catalog),
        None => {
            let mut files = Files::from_pairs(arbiter_default_bundle::FILES.iter().copied());
            let origin = arbiter_default_bundle::ORIGIN;
            let replaced = catalog
                .map(|c| files.replace_catalog(c, origin))
                .transpose()?;
            Bundle::from_files(files, origin.into())
                .map_err(|e| arbiter_engine::bundle::CatalogOverride::rename(replaced.as_ref(), e))
        }
    }
}

/// The package's exception class `name` (from `model_arbiter._errors`), called with `args`;
/// a plain ValueError with `message` when the package is not importable.
fn package_error<'py>(
    py: Python<'py>,
    name: &str,
    message: &str,
    kwargs: Bound<'py, PyDict>,
) -> PyErr {
    let made = py
        .import("model_arbiter._errors")
        .and_then(|m| m.getattr(name))
        .and_then(|class| class.call((message,), Some(&kwargs)));
    match made {
        Ok(instance) => PyErr::from_value(instance),
        Err(_) => PyValueError::new_err(message.to_string()),
    }
}

/// The problems as `model_arbiter.Problem` objects (dicts if the package is not importable).
fn problems<'py>(
    py: Python<'py>,
    diagnostics: &[Diagnostic],
    located: bool,
) -> PyResult<Bound<'py, PyList>> {
    let class = py
        .import("model_arbiter._errors")
        .and_then(|m| m.getattr("Problem"))
        .ok();
    let list = PyList::empty(py);
    for d in diagnostics {
        let kwargs = PyDict::new(py);
        kwargs.set_item("pointer", &d.path)?;
        kwargs.set_item("message", &d.message)?;
        kwargs.set_item("line", d.line().filter(|_| located))?;
        kwargs.set_item("column", d.column().filter(|_| located))?;
        kwargs.set_item("help", &d.help)?;
        match &class {
            Some(class) => list.append(class.call((), Some(&kwargs))?)?,
            None => list.append(kwargs)?,
        }
    }
    Ok(list)
}

/// A task that did not pass the gates: `TaskError` with every problem, or an `OSError` when the
/// file could not be read.
fn task_error(py: Python<'_>, e: &LoadError, located: bool) -> PyErr {
    if let LoadError::Io { source, .. } = e {
        return os_error(source, e.to_string());
    }
    let origin = match e {
        LoadError::Syntax { origin, .. } | LoadError::Invalid { origin, .. } => origin.clone(),
        _ => String::new(),
    };
    let message = if located {
        e.to_string()
    } else {
        // Without positions: the same lines, less `line:column`.
        match e {
            LoadError::Syntax { message, .. } => format!("{origin}: {message}"),
            LoadError::Invalid {
                kind, diagnostics, ..
            } => {
                let n = diagnostics.len();
                let mut s = format!(
                    "{origin}: invalid {kind}, {n} problem{}:",
                    if n == 1 { "" } else { "s" }
                );
                for d in diagnostics {
                    let mut unlocated = d.clone();
                    unlocated.span = None;
                    s.push_str(&format!("\n  {origin}: {unlocated}"));
                }
                s
            }
            other => other.to_string(),
        }
    };
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("problems", problems(py, &e.diagnostics(), located)?)?;
        kwargs.set_item("origin", &origin)?;
        Ok(package_error(py, "TaskError", &message, kwargs))
    };
    build().unwrap_or_else(|err| err)
}

/// A task the bundle cannot decide on as asked (weights it does not allow): a `TaskError` at
/// the field at fault.
fn decide_error(py: Python<'_>, e: &DecideError) -> PyErr {
    let diagnostic = Diagnostic::new(e.pointer(), e.to_string());
    let message = format!("<task>: {diagnostic}");
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item(
            "problems",
            problems(py, std::slice::from_ref(&diagnostic), false)?,
        )?;
        kwargs.set_item("origin", "<task>")?;
        Ok(package_error(py, "TaskError", &message, kwargs))
    };
    build().unwrap_or_else(|err| err)
}

/// A bundle that did not load: `BundleError` with its problems and where the first one is.
fn bundle_error(py: Python<'_>, e: &BundleError) -> PyErr {
    let (message, diagnostics) = match e {
        BundleError::Document(inner) => (inner.to_string(), inner.diagnostics()),
        BundleError::Script { span, message, .. } => (
            e.to_string(),
            vec![Diagnostic::new("", message.clone()).at_span(*span)],
        ),
        other => (format!("invalid bundle: {other}"), Vec::new()),
    };
    let location = e.location();
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("problems", problems(py, &diagnostics, true)?)?;
        kwargs.set_item("file", location.as_ref().map(|(f, _)| f.clone()))?;
        kwargs.set_item("line", location.as_ref().map(|(_, s)| s.line))?;
        kwargs.set_item("column", location.as_ref().map(|(_, s)| s.column))?;
        Ok(package_error(py, "BundleError", &message, kwargs))
    };
    build().unwrap_or_else(|err| err)
}

/// `CatalogImportError` listing every error.
fn catalog_import_error(py: Python<'_>, errors: Vec<String>) -> PyErr {
    let message = errors.join("\n");
    let build = || -> PyResult<PyErr> {
        let kwargs = PyDict::new(py);
        kwargs.set_item("errors", errors)?;
        Ok(package_error(py, "CatalogImportError", &message, kwargs))
    };
    build().unwrap_or_else(|err| err)
}

/// The `OSError` subclass Python raises for this kind of failure.
fn os_error(source: &std::io::Error, message: String) -> PyErr {
    match source.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}

/// The engine of Model Arbiter, for `model_arbiter` (use that package, not this module).
#[pymodule]
mod _native {
    #[pymodule_export]
    use super::{PyBundle, PyDecision, PyTask, import_catalog, task_from_file, task_from_text};

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        Ok(())
    }
}
