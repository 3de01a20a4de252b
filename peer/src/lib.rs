//! The peer side of the race: arbiter's default criteria written in Rego (`peer/policies/`, one
//! file per script of the bench's frozen bundle) and evaluated by regorus, Microsoft's Rego
//! engine in Rust, then combined by the engine's own pure [`combine`] — so a decision differs
//! from [`arbiter_engine::decide`] only in how the verdicts are computed.
//!
//! What each side gets, the same for both:
//!
//! - the catalog, prepared once per catalog (as the engine prepares its models for the scripts):
//!   each model as a Rego object in `data.catalog.models`, with what the host gives scripts —
//!   its fields, the `active_parameters_m` and `layer_parameters_m` getters (the engine's
//!   [`cost`] functions), its context limit and the words naming it, the language codes it
//!   covers with their macrolanguage equivalents, and its benchmark figures both as published
//!   and normalised across the catalog by the engine's own [`normalised_benchmarks`];
//! - the task, normalised and converted once per decision (as the engine builds its `TaskView`),
//!   into the Rego `input`: the fields the scripts read, the accepted precisions, the output
//!   tokens;
//! - the host functions, as regorus extensions calling the engine, never rewritten in Rego:
//!   `arbiter.estimate(task, model, precision)` ([`cost::estimate_call`] on the bundle's device
//!   profile), `arbiter.device_memory_mb(deployment)` and `arbiter.translates(model, from, to)`
//!   ([`Model::translates`]); and `arbiter.ln`, Rhai's `ln` (`f64::ln`), which Rego lacks.
//!
//! Why the catalog is `data` and the task `input`, rather than one evaluation per model with
//! the model in `input`: it is Rego's usual division (reference data loaded once, the request as
//! input), it converts only the task per decision as the engine does, and it is the faster one
//! for regorus — each criterion's task-level rules (`kind`, `relevant`, `mem_limit`, …) are
//! computed once per evaluation and cached, where an evaluation per model resets the interpreter
//! and recomputes them for every model. Measured once on the default catalog and the Chinese
//! task, one engine on one thread: 7.3–8.0 ms per decision as data, 15–19 ms model by model.
//!
//! Evaluation: one engine per shard of the catalog, prepared once (policies parsed and analysed,
//! the shard's models loaded as data, the extensions added), reused for every decision — regorus
//! resets its evaluation state at each `eval_rule`, so a prepared engine needs no fresh copy (the
//! bench measures the alternatives: cloning the prepared engine per decision, and regorus's
//! `CompiledPolicy`, which builds an engine per evaluation). The shards are evaluated in
//! parallel with rayon, as `decide` evaluates the models in parallel: with one shard per thread
//! of the pool both sides use the same cores.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use arbiter_engine::bundle::OnError;
use arbiter_engine::cost::{self, CallCost, Precision};
use arbiter_engine::decide::{Combined, CriterionInfo, combine};
use arbiter_engine::host::{Devices, Verdict, normalised_benchmarks};
use arbiter_engine::script::ScriptFault;
use arbiter_engine::{Bundle, Catalog, Deployment, Model, Span, Task, lang};
use rayon::prelude::*;
use regorus::{Engine, Value};

/// The rule every evaluation asks for: every criterion's verdicts by criterion name, each an
/// array in catalog order. [`Peer::new`] writes it for the bundle's criteria.
pub const ENTRY_POINT: &str = "data.arbiter.verdicts";

/// `peer/policies/`: the criteria in Rego, one file each, named as the bundle names them.
pub fn policies_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// A Rego string.
fn s(x: &str) -> Value {
    Value::from(x)
}

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::from(items.into_iter().map(Value::from).collect::<Vec<_>>())
}

fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::from(
        entries
            .into_iter()
            .map(|(k, v)| (Value::from(k), v))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn opt_f64(x: Option<f64>) -> Value {
    x.map_or(Value::Null, Value::from)
}

/// Each model of the catalog as the Rego rules see it, in catalog order, prepared once per
/// catalog. `index` is the model's position in the catalog, which the extensions use to find it.
pub fn catalog_data(catalog: &Catalog) -> Vec<Value> {
    catalog
        .models
        .iter()
        .zip(normalised_benchmarks(catalog))
        .enumerate()
        .map(|(index, (m, normal))| {
            let context = m.context_limit();
            object([
                ("index", Value::from(index)),
                ("id", s(&m.id)),
                ("family", s(m.family.as_str())),
                ("domain", s(m.domain.as_str())),
                ("license", m.license.as_deref().map_or(Value::Null, s)),
                ("parameters_m", Value::from(m.parameters_m)),
                (
                    "active_parameters_m",
                    Value::from(cost::active_parameters_m(m)),
                ),
                (
                    "layer_parameters_m",
                    Value::from(cost::layer_parameters_m(m)),
                ),
                ("instruction_tuned", Value::from(m.instruction_tuned)),
                ("tasks", strings(m.tasks.iter().map(String::as_str))),
                (
                    "objectives",
                    strings(m.objectives.iter().map(String::as_str)),
                ),
                ("languages", strings(m.languages.iter().map(|l| l.as_str()))),
                (
                    "covered",
                    strings(
                        m.languages
                            .iter()
                            .flat_map(|l| lang::equivalents(l.as_str())),
                    ),
                ),
                (
                    "translates_from",
                    strings(m.translates_from.iter().map(|l| l.as_str())),
                ),
                (
                    "translates_into",
                    strings(m.translates_into.iter().map(|l| l.as_str())),
                ),
                (
                    "context_limit",
                    context.as_ref().map_or(Value::Null, |c| Value::from(c.0)),
                ),
                (
                    "context_basis",
                    context.as_ref().map_or(Value::Null, |c| s(&c.1)),
                ),
                (
                    "benchmarks",
                    Value::from(
                        m.benchmarks
                            .iter()
                            .map(|(k, b)| (s(k.as_str()), Value::from(b.score)))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                ),
                (
                    "normalised",
                    Value::from(
                        normal
                            .into_iter()
                            .map(|(k, x)| (s(k), Value::from(x)))
                            .collect::<BTreeMap<_, _>>(),
                    ),
                ),
            ])
        })
        .collect()
}

/// The normalised task as the Rego `input`: what the scripts' `Task` getters return.
pub fn task_input(task: &Task) -> Value {
    let r = &task.resources;
    object([
        ("task", s(task.task.as_str())),
        ("domain", s(task.domain.as_str())),
        ("labeled_examples", Value::from(task.data.labeled_examples)),
        ("deployment", s(r.deployment.as_str())),
        ("max_latency_ms", opt_f64(r.max_latency_ms)),
        ("max_memory_mb", opt_f64(r.max_memory_mb)),
        ("max_parameters_m", opt_f64(r.max_parameters_m)),
        ("sequence_length", Value::from(r.sequence_length)),
        ("batch_size", Value::from(r.batch_size)),
        ("output_tokens", Value::from(r.output_tokens_for(task.task))),
        (
            "precisions",
            strings(r.accepted_precisions().into_iter().map(Precision::as_str)),
        ),
        (
            "languages",
            strings(task.languages.iter().map(|l| l.as_str())),
        ),
        (
            "source_languages",
            strings(task.source_languages.iter().map(|l| l.as_str())),
        ),
        (
            "benchmarks",
            Value::from(
                task.benchmarks
                    .iter()
                    .map(|(k, w)| (s(k.as_str()), Value::from(w.0)))
                    .collect::<BTreeMap<_, _>>(),
            ),
        ),
    ])
}

/// The keys the extensions and the verdict conversion look up, made once.
#[derive(Clone)]
struct Keys {
    index: Value,
    deployment: Value,
    sequence_length: Value,
    output_tokens: Value,
    batch_size: Value,
    score: Value,
    reason: Value,
    precision: Value,
    veto: Value,
    abstain: Value,
    prefill_ms: Value,
    token_ms: Value,
    latency_ms: Value,
    memory_mb: Value,
}

impl Keys {
    fn new() -> Keys {
        Keys {
            index: s("index"),
            deployment: s("deployment"),
            sequence_length: s("sequence_length"),
            output_tokens: s("output_tokens"),
            batch_size: s("batch_size"),
            score: s("score"),
            reason: s("reason"),
            precision: s("precision"),
            veto: s("veto"),
            abstain: s("abstain"),
            prefill_ms: s("prefill_ms"),
            token_ms: s("token_ms"),
            latency_ms: s("latency_ms"),
            memory_mb: s("memory_mb"),
        }
    }
}

fn deployment(name: &str) -> Result<Deployment> {
    Deployment::ALL
        .iter()
        .copied()
        .find(|d| d.as_str() == name)
        .ok_or_else(|| anyhow!("unknown deployment `{name}`"))
}

fn model<'a>(catalog: &'a Catalog, keys: &Keys, m: &Value) -> Result<&'a Model> {
    let i = m[&keys.index]
        .as_u64()
        .context("a model without its index")?;
    usize::try_from(i)
        .ok()
        .and_then(|i| catalog.models.get(i))
        .ok_or_else(|| anyhow!("no model at index {i}"))
}

fn tokens(task: &Value, key: &Value) -> Result<u32> {
    task[key]
        .as_u32()
        .with_context(|| format!("task field {key} is not a token count"))
}

fn cost_value(c: &CallCost, keys: &Keys) -> Value {
    Value::from(BTreeMap::from([
        (keys.precision.clone(), s(c.precision.as_str())),
        (keys.prefill_ms.clone(), Value::from(c.prefill_ms)),
        (keys.token_ms.clone(), Value::from(c.token_ms)),
        (keys.output_tokens.clone(), Value::from(c.output_tokens)),
        (keys.latency_ms.clone(), Value::from(c.latency_ms)),
        (keys.memory_mb.clone(), Value::from(c.memory_mb)),
    ]))
}

/// Adds the host functions the criteria call, as regorus extensions over the engine's own code.
fn add_extensions(engine: &mut Engine, catalog: Arc<Catalog>, devices: Arc<Devices>) -> Result<()> {
    let keys = Keys::new();
    {
        let (catalog, devices, keys) = (catalog.clone(), devices.clone(), keys.clone());
        // `estimate(task, model, precision)`: one whole call priced by the cost model, on the
        // task's deployment class with the bundle's device profile.
        engine.add_extension(
            "arbiter.estimate".into(),
            3,
            Box::new(move |args: Vec<Value>| {
                let (task, m, precision) = (&args[0], &args[1], &args[2]);
                let m = model(&catalog, &keys, m)?;
                let d = deployment(task[&keys.deployment].as_string()?)?;
                let device = devices
                    .get(&d)
                    .ok_or_else(|| anyhow!("no device profile for `{d}`"))?;
                let p = precision.as_string()?;
                let p = Precision::parse(p).ok_or_else(|| anyhow!("unknown precision `{p}`"))?;
                let c = cost::estimate_call(
                    m,
                    device,
                    p,
                    tokens(task, &keys.sequence_length)?,
                    task[&keys.output_tokens].as_u32()?,
                    tokens(task, &keys.batch_size)?,
                );
                Ok(cost_value(&c, &keys))
            }),
        )?;
    }
    {
        let devices = devices.clone();
        engine.add_extension(
            "arbiter.device_memory_mb".into(),
            1,
            Box::new(move |args: Vec<Value>| {
                let d = deployment(args[0].as_string()?)?;
                let device = devices
                    .get(&d)
                    .ok_or_else(|| anyhow!("no device profile for `{d}`"))?;
                Ok(Value::from(device.memory_mb))
            }),
        )?;
    }
    {
        let keys = keys.clone();
        engine.add_extension(
            "arbiter.translates".into(),
            3,
            Box::new(move |args: Vec<Value>| {
                let m = model(&catalog, &keys, &args[0])?;
                Ok(Value::from(
                    m.translates(args[1].as_string()?, args[2].as_string()?),
                ))
            }),
        )?;
    }
    engine.add_extension(
        "arbiter.ln".into(),
        1,
        Box::new(|args: Vec<Value>| Ok(Value::from(args[0].as_f64()?.ln()))),
    )?;
    Ok(())
}

/// A criterion of the bundle as the peer combines it.
#[derive(Clone)]
struct Criterion {
    name: String,
    key: Value,
    weight: f64,
    on_error: OnError,
    script: String,
}

/// One engine, prepared, over a contiguous run of the catalog's models.
#[derive(Clone)]
struct Shard {
    engine: Engine,
    models: usize,
}

/// The peer: the bundle's criteria in Rego, ready to decide. A clone shares the prepared
/// policies and data.
#[derive(Clone)]
pub struct Peer<'b> {
    bundle: &'b Bundle,
    shards: Vec<Shard>,
    criteria: Vec<Criterion>,
    keys: Keys,
}

impl<'b> Peer<'b> {
    /// Parses the policies once, adds the extensions, and loads the bundle's catalog as data,
    /// split into `shards` engines of consecutive models (one per thread to evaluate in
    /// parallel; 1 evaluates the whole catalog in one engine).
    pub fn new(bundle: &'b Bundle, shards: usize) -> Result<Peer<'b>> {
        // The bundle's criteria, each from its file of `policies/`, and the entry point that
        // gathers their verdicts, written for this bundle: the Rego rules run are the bundle's.
        let mut base = Engine::new();
        let dir = policies_dir();
        let mut criteria = Vec::new();
        let mut entry = String::from(
            "# Generated by arbiter-peer from the bundle's criteria.\npackage arbiter\n\nverdicts := {\n",
        );
        for c in &bundle.criteria {
            let path = dir.join(format!("{}.rego", c.name));
            base.add_policy_from_file(&path)
                .with_context(|| format!("criterion `{}`: {}", c.name, path.display()))?;
            entry += &format!(
                "\t{:?}: data.arbiter.criteria.{}.verdicts,\n",
                c.name, c.name
            );
            criteria.push(Criterion {
                name: c.name.clone(),
                key: s(&c.name),
                weight: c.weight,
                on_error: c.on_error,
                script: format!("peer/policies/{}.rego", c.name),
            });
        }
        entry += "}\n";
        base.add_policy("entry.rego".into(), entry)?;
        add_extensions(&mut base, bundle.catalog.clone(), bundle.devices.clone())?;

        let models = catalog_data(&bundle.catalog);
        let per_shard = models.len().div_ceil(shards.max(1)).max(1);
        let mut out = Vec::new();
        for chunk in models.chunks(per_shard) {
            let mut engine = base.clone();
            engine.add_data(object([(
                "catalog",
                object([("models", Value::from(chunk.to_vec()))]),
            )]))?;
            out.push(Shard {
                engine,
                models: chunk.len(),
            });
        }
        Ok(Peer {
            bundle,
            shards: out,
            criteria,
            keys: Keys::new(),
        })
    }

    /// How many engines the catalog is split into.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// One decision: the task normalised and converted into `input`, every shard evaluated
    /// (in parallel), the verdicts combined by the engine's [`combine`] with the bundle's
    /// weights (the task's where it sets them) and tie-break.
    pub fn decide(&mut self, task: &Task) -> Result<Combined> {
        let task = task.clone().normalised();
        let input = task_input(&task);
        let results: Vec<Result<Value>> = self
            .shards
            .par_iter_mut()
            .map(|shard| {
                shard.engine.set_input(input.clone());
                shard.engine.eval_rule(ENTRY_POINT.into())
            })
            .collect();
        self.combine(&task, results)
    }

    /// Evaluates one rule of the policies for a task on every shard, in parallel (for instance
    /// `data.arbiter.criteria.resources.verdicts`, one criterion alone): each shard's value.
    pub fn evaluate(&mut self, task: &Task, rule: &str) -> Result<Vec<Value>> {
        let input = task_input(&task.clone().normalised());
        self.shards
            .par_iter_mut()
            .map(|shard| {
                shard.engine.set_input(input.clone());
                shard.engine.eval_rule(rule.into())
            })
            .collect()
    }

    /// [`Peer::decide`] with a fresh clone of each prepared engine per decision, for the bench's
    /// measure of what reusing the engine saves.
    pub fn decide_cloning(&self, task: &Task) -> Result<Combined> {
        let task = task.clone().normalised();
        let input = task_input(&task);
        let results: Vec<Result<Value>> = self
            .shards
            .par_iter()
            .map(|shard| {
                let mut engine = shard.engine.clone();
                engine.set_input(input.clone());
                engine.eval_rule(ENTRY_POINT.into())
            })
            .collect();
        self.combine(&task, results)
    }

    /// Each shard compiled for [`ENTRY_POINT`] with regorus's `compile_with_entrypoint`, whose
    /// `eval_with_input` builds an engine per evaluation: the other way regorus offers to
    /// evaluate a prepared policy many times.
    pub fn compiled(&mut self) -> Result<Vec<regorus::CompiledPolicy>> {
        self.shards
            .iter_mut()
            .map(|s| s.engine.compile_with_entrypoint(&ENTRY_POINT.into()))
            .collect()
    }

    /// [`Peer::decide`] through [`Peer::compiled`] policies.
    pub fn decide_compiled(
        &self,
        compiled: &[regorus::CompiledPolicy],
        task: &Task,
    ) -> Result<Combined> {
        let task = task.clone().normalised();
        let input = task_input(&task);
        let results: Vec<Result<Value>> = compiled
            .par_iter()
            .map(|c| c.eval_with_input(input.clone()))
            .collect();
        self.combine(&task, results)
    }

    fn combine(&self, task: &Task, results: Vec<Result<Value>>) -> Result<Combined> {
        let mut verdicts = Vec::with_capacity(self.bundle.catalog.models.len());
        for (shard, result) in self.shards.iter().zip(results) {
            let result = result?;
            // Each criterion's verdicts, walked in step: model by model.
            let mut columns = Vec::with_capacity(self.criteria.len());
            for c in &self.criteria {
                let column = result[&c.key]
                    .as_array()
                    .with_context(|| format!("criterion `{}` returned no verdicts", c.name))?;
                if column.len() != shard.models {
                    bail!(
                        "criterion `{}` returned {} verdicts for {} models",
                        c.name,
                        column.len(),
                        shard.models
                    );
                }
                columns.push(column.iter());
            }
            for _ in 0..shard.models {
                verdicts.push(
                    columns
                        .iter_mut()
                        .map(|c| self.verdict(c.next().unwrap_or(&Value::Undefined)))
                        .collect(),
                );
            }
        }
        let models: Vec<&Model> = self.bundle.catalog.models.iter().collect();
        let infos: Vec<CriterionInfo<'_>> = self
            .criteria
            .iter()
            .map(|c| CriterionInfo {
                name: &c.name,
                weight: task
                    .weights
                    .iter()
                    .find(|(k, _)| k.as_str() == c.name)
                    .map_or(c.weight, |(_, w)| w.0),
                on_error: c.on_error,
                script: &c.script,
            })
            .collect();
        Ok(combine(
            &models,
            &infos,
            verdicts,
            &self.bundle.manifest.combine.tie_break,
        ))
    }

    /// A Rego verdict as the engine's: a score must lie in [0, 1] and a precision must be one
    /// (what the host checks of a script's verdict), else the call is a fault.
    fn verdict(&self, v: &Value) -> Result<Verdict, ScriptFault> {
        let k = &self.keys;
        let fault = |message: String| ScriptFault {
            message,
            span: Span::START,
        };
        let text = |key: &Value| -> Result<String, ScriptFault> {
            v[key]
                .as_string()
                .map(|s| s.to_string())
                .map_err(|_| fault(format!("a verdict without a text {key}: {v}")))
        };
        if v[&k.veto] != Value::Undefined {
            return Ok(Verdict::Veto {
                reason: text(&k.veto)?,
            });
        }
        if v[&k.abstain] != Value::Undefined {
            return Ok(Verdict::Abstain {
                reason: text(&k.abstain)?,
            });
        }
        let value = v[&k.score]
            .as_f64()
            .map_err(|_| fault(format!("not a verdict: {v}")))?;
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            return Err(fault(format!("score {value} is outside [0, 1]")));
        }
        let precision = match &v[&k.precision] {
            Value::Undefined => None,
            p => {
                let p = p
                    .as_string()
                    .map_err(|_| fault(format!("not a precision: {p}")))?;
                Some(Precision::parse(p).ok_or_else(|| fault(format!("unknown precision `{p}`")))?)
            }
        };
        Ok(Verdict::Score {
            value,
            reason: text(&k.reason)?,
            precision,
        })
    }
}
