//! Task and catalog documents through every gate (syntax, schema, types, semantic checks), in
//! YAML and in JSON; what loads is written back (JSON, and YAML by the engine's emitter) and
//! must load again to the same value; a sample of the valid ones is decided.

use std::sync::Arc;

use arbiter_engine::bundle::Files;
use arbiter_engine::load::{self, LoadError, Syntax};
use arbiter_engine::{Bundle, Catalog, Task};

use crate::corpus;
use crate::harness::{Target, Verdict, class_of, sampled};

/// A class for a refused document: the gate, and the kinds of problem found.
fn error_class(syntax: Syntax, e: &LoadError) -> u64 {
    match e {
        LoadError::Syntax { message, .. } => {
            // The parser's message without the quoted parts that vary.
            let head: String = message.split(['`', '"', '\'']).next().unwrap_or("").into();
            class_of((syntax == Syntax::Json, 1, head))
        }
        LoadError::Invalid { diagnostics, .. } => {
            let mut kinds: Vec<String> = diagnostics
                .iter()
                .map(|d| {
                    let shape: String = d
                        .path
                        .split('/')
                        .map(|s| if s.parse::<u64>().is_ok() { "#" } else { s })
                        .collect::<Vec<_>>()
                        .join("/");
                    let words: Vec<&str> = d.message.split_whitespace().take(3).collect();
                    format!("{shape} {}", words.join(" "))
                })
                .collect();
            kinds.sort();
            kinds.dedup();
            class_of((syntax == Syntax::Json, 2, kinds))
        }
        _ => class_of((syntax == Syntax::Json, 3)),
    }
}

/// Properties every refusal must have: diagnostics to show, each line within the text, at most
/// the cap plus its "and more" line.
fn check_error(text: &str, e: &LoadError) -> Result<(), String> {
    let diags = e.diagnostics();
    if diags.is_empty() {
        return Err(format!("a refusal without a diagnostic: {e}"));
    }
    if diags.len() > load::MAX_DIAGNOSTICS + 1 {
        return Err(format!("{} diagnostics, over the cap", diags.len()));
    }
    // Lines as YAML counts them (LF, CR LF and CR break a line): the upper bound.
    let lines =
        text.matches('\n').count() + text.matches('\r').count() - text.matches("\r\n").count() + 1;
    for d in &diags {
        if d.line().is_some_and(|l| l == 0 || l > lines) || d.column() == Some(0) {
            return Err(format!(
                "diagnostic at {:?}:{:?}, outside a text of {lines} lines: {} {}",
                d.line(),
                d.column(),
                d.path,
                d.message
            ));
        }
    }
    let _ = e.to_string();
    Ok(())
}

/// A loaded document, written back as JSON and as YAML, must load again to the same value.
fn round_trip<T: PartialEq + serde::Serialize + std::fmt::Debug>(
    doc: &T,
    load: impl Fn(&str, Syntax) -> Result<T, LoadError>,
) -> Result<(), String> {
    let value = serde_json::to_value(doc).map_err(|e| format!("cannot serialise: {e}"))?;
    let json = value.to_string();
    match load(&json, Syntax::Json) {
        Ok(again) if again == *doc => {}
        Ok(again) => {
            return Err(format!(
                "written as JSON and read back, it changed: {doc:?} became {again:?}"
            ));
        }
        Err(e) => return Err(format!("written as JSON, it no longer loads: {e}\n{json}")),
    }
    let yaml = arbiter_engine::yaml::to_string(&value);
    match load(&yaml, Syntax::Yaml) {
        Ok(again) if again == *doc => Ok(()),
        Ok(again) => Err(format!(
            "written as YAML and read back, it changed: {doc:?} became {again:?}\n{yaml}"
        )),
        Err(e) => Err(format!("written as YAML, it no longer loads: {e}\n{yaml}")),
    }
}

/// A document through every gate, as YAML and as JSON: a refusal is checked and classed; a
/// valid document is written back and read again, then handed to `valid` with its syntax and
/// text, which returns its class.
fn through_gates<T: PartialEq + serde::Serialize + std::fmt::Debug>(
    input: &[u8],
    load: impl Fn(&str, Syntax) -> Result<T, LoadError>,
    mut valid: impl FnMut(T, Syntax, &str) -> Result<u64, String>,
) -> Verdict {
    let text = String::from_utf8_lossy(input);
    let mut class = 0u64;
    for syntax in [Syntax::Yaml, Syntax::Json] {
        match load(&text, syntax) {
            Ok(doc) => {
                round_trip(&doc, &load)?;
                class ^= valid(doc, syntax, &text)?;
            }
            Err(e) => {
                check_error(&text, &e)?;
                class ^= error_class(syntax, &e);
            }
        }
    }
    Ok(class)
}

/// `task`: task documents, then a sample of the valid ones decided by the default bundle.
pub struct TaskTarget {
    bundle: Bundle,
    /// The same bundle, caching no verdict.
    uncached: Bundle,
    valid: u64,
    decided: u64,
    /// One valid task in this many is decided, with and without the verdict cache (a decision
    /// costs a millisecond or two, a refused document some microseconds).
    decide_every: u64,
}

impl TaskTarget {
    /// The default bundle, loaded once with its verdict cache and once without.
    pub fn new() -> TaskTarget {
        let load = || match Bundle::load(&corpus::repo().join("policies"), None) {
            Ok(b) => b,
            Err(e) => panic!("policies/ does not load: {e}"),
        };
        let bundle = load();
        let uncached = load();
        uncached.cache.set_enabled(false);
        TaskTarget {
            bundle,
            uncached,
            valid: 0,
            decided: 0,
            decide_every: 2,
        }
    }

    fn decide(&mut self, task: Task) -> Result<u64, String> {
        self.decided += 1;
        let again =
            arbiter_engine::decide::decide_stamped(&self.uncached, task.clone(), corpus::stamp());
        match arbiter_engine::decide::decide_stamped(&self.bundle, task, corpus::stamp()) {
            Ok(d) => {
                // The same task and bundle give the same decision, whatever the verdict cache
                // holds from the tasks before: a bundle that caches nothing must agree.
                if let Ok(again) = &again
                    && *again != d
                {
                    let (a, b) = (serde_json::to_value(again), serde_json::to_value(&d));
                    let differ: Vec<String> = match (a, b) {
                        (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) => a
                            .iter()
                            .filter(|(k, v)| b.get(*k) != Some(*v))
                            .map(|(k, v)| {
                                format!("{k}: {v} then {}", b.get(k).cloned().unwrap_or_default())
                            })
                            .collect(),
                        _ => Vec::new(),
                    };
                    return Err(format!(
                        "the bundle without a cache decided otherwise (its value, then the cached one's): {}",
                        differ.join("; ").chars().take(4000).collect::<String>()
                    ));
                }
                if again.is_err() {
                    return Err("the bundle without a cache refused the task".into());
                }
                if d.outcome == arbiter_engine::decide::Outcome::Failed {
                    return Err(format!(
                        "a valid task fails the default bundle: {:?}",
                        d.errors
                    ));
                }
                let json = serde_json::to_string(&d).map_err(|e| e.to_string())?;
                let again: arbiter_engine::Decision =
                    serde_json::from_str(&json).map_err(|e| format!("decision JSON: {e}"))?;
                if again != d {
                    return Err("the decision does not round-trip through JSON".into());
                }
                let value: serde_json::Value =
                    serde_json::from_str(&json).map_err(|e| e.to_string())?;
                let errors = arbiter_engine::SchemaKind::Decision.validate(&value);
                if !errors.is_empty() {
                    return Err(format!("the decision breaks its schema: {errors:?}"));
                }
                Ok(class_of((
                    4,
                    d.outcome.as_str().to_string(),
                    d.errors.len().min(3),
                    d.rejected.len() / 8,
                )))
            }
            Err(e) => Ok(class_of((5, e.pointer()))),
        }
    }
}

impl Target for TaskTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = corpus::read_all("examples/tasks", &["yaml", "yml", "json"]);
        seeds.extend(corpus::read_all(
            "tests/cases/invalid",
            &["yaml", "yml", "json"],
        ));
        seeds.push(corpus::text("tests/cases/watch-task.yaml").into_bytes());
        seeds.extend(corpus::golden_tasks());
        seeds.push(corpus::text("schemas/task.schema.json").into_bytes());
        seeds
    }

    fn tokens(&self) -> Vec<String> {
        corpus::schema_tokens("schemas/task.schema.json")
    }

    fn stats(&self) -> String {
        format!(
            "{} valid tasks (YAML or JSON), {} decided (with and without the cache)",
            self.valid, self.decided
        )
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        through_gates(
            input,
            |t, s| load::task_from_str(t, s, "fuzz"),
            |task, syntax, text| {
                self.valid += 1;
                if syntax == Syntax::Yaml && sampled(text.as_bytes(), self.decide_every) {
                    self.decide(task)
                } else {
                    Ok(class_of(6))
                }
            },
        )
    }

    fn extension(&self) -> &'static str {
        "yaml"
    }
}

/// `catalog`: catalog documents; a sample of the valid ones becomes the catalog of the default
/// bundle (its seven scripts judge the mutated models) and decides on a fixed task.
pub struct CatalogTarget {
    policies: Files,
    task: Task,
    valid: u64,
    decided: u64,
    decide_every: u64,
}

impl CatalogTarget {
    /// The default bundle's files, for the sampled decisions.
    pub fn new() -> CatalogTarget {
        CatalogTarget {
            policies: corpus::small_policies(4),
            task: corpus::fixed_task(),
            valid: 0,
            decided: 0,
            decide_every: 8,
        }
    }

    fn decide(&mut self, catalog_text: &str) -> Result<u64, String> {
        self.decided += 1;
        let mut files = self.policies.clone();
        files
            .0
            .insert("catalog.yaml".into(), catalog_text.as_bytes().to_vec());
        match Bundle::from_files(files, "fuzz".into()) {
            Ok(bundle) => {
                let bundle = Arc::new(bundle);
                match arbiter_engine::decide::decide_stamped(
                    &bundle,
                    self.task.clone(),
                    corpus::stamp(),
                ) {
                    Ok(d) if d.outcome == arbiter_engine::decide::Outcome::Failed => Err(format!(
                        "a valid catalog fails the default bundle's scripts: {:?}",
                        d.errors
                    )),
                    Ok(d) => Ok(class_of((
                        7,
                        d.outcome.as_str().to_string(),
                        d.errors.len().min(3),
                    ))),
                    Err(e) => Ok(class_of((8, e.pointer()))),
                }
            }
            Err(e) => Ok(class_of((
                9,
                e.to_string().split(':').nth(3).map(str::to_string),
            ))),
        }
    }
}

impl Target for CatalogTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = corpus::read_all("tests/cases/invalid-catalog", &["yaml", "yml", "json"]);
        seeds.push(corpus::text("tests/cases/hostile/catalog.yaml").into_bytes());
        seeds.extend(corpus::catalog_slices(3));
        seeds
    }

    fn tokens(&self) -> Vec<String> {
        let mut t = corpus::schema_tokens("schemas/catalog.schema.json");
        t.extend(["\n  - id: a/b\n", "\n  - ", "    "].map(String::from));
        t
    }

    fn stats(&self) -> String {
        format!(
            "{} valid catalogs (YAML or JSON), {} decided on",
            self.valid, self.decided
        )
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        through_gates(
            input,
            |t, s| load::catalog_from_str(t, s, "fuzz"),
            |catalog: Catalog, syntax, text| {
                self.valid += 1;
                let class = class_of((10, catalog.models.len().min(5)));
                if syntax == Syntax::Yaml && sampled(text.as_bytes(), self.decide_every) {
                    Ok(class ^ self.decide(text)?)
                } else {
                    Ok(class)
                }
            },
        )
    }

    fn extension(&self) -> &'static str {
        "yaml"
    }
}
