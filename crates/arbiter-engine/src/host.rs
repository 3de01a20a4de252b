//! The sandboxed Rhai host: one frozen engine per bundle, the values scripts see, and the
//! helpers they may call.
//!
//! Sandbox: `import` is compiled out (`no_module`), `eval` is disabled, Rhai has no file or
//! network access, and every limit is set explicitly (debug and release builds of Rhai default
//! differently). A deadline per call, in CPU time of the calling thread, is kept in a
//! thread-local and checked from `on_progress`, so a call is cut off by whichever comes first:
//! its operation budget or its time. CPU time, not wall-clock time: a busy machine preempting
//! the thread must not turn a verdict into a timeout, or the same task would get different
//! decisions under load and replay would disagree with the log. `print` and `debug` go to the trace, never to stdout. The string interner is off: it
//! is a lock shared by every thread.
//!
//! Scripts receive a `Task` and a `Model` as custom types with getters, built once per catalog
//! load (models) or per decision (the task), so a call converts nothing.

use std::cell::Cell;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{
    Dynamic, Engine, EvalAltResult, FuncRegistration, ImmutableString, NativeCallContext, Position,
    RhaiNativeFunc, Variant,
};

use crate::catalog::{Catalog, Model};
use crate::cost::{self, CallCost, DeviceProfile, Precision};
use crate::lang;
use crate::manifest::Limits;
use crate::task::{Deployment, Task};
use crate::value::Value;
pub use crate::verdict::Verdict;

/// A model as scripts see it: the catalog entry plus values prepared once per catalog load.
#[derive(Debug)]
pub struct ModelData {
    /// The catalog entry.
    pub model: Model,
    /// The text fields scripts read most, made once: a getter then shares them instead of
    /// allocating a string per read.
    id: Value,
    name: Value,
    family: Value,
    domain: Value,
    license: Value,
    released: Value,
    positional: Value,
    languages: Value,
    /// Every code the model covers, with macrolanguage equivalents (`arb` and `ar`).
    covered: HashSet<String>,
    translates_from: Value,
    translates_into: Value,
    context_limit: Value,
    context_basis: Value,
    tasks: Value,
    objectives: Value,
    /// Benchmark scores by key (a map), and min–max normalised across the catalog.
    benchmarks: Value,
    normalised: BTreeMap<String, f64>,
}

/// A cheap-to-clone handle on a prepared model (`Model` in scripts).
#[derive(Debug, Clone)]
pub struct ModelView(pub Arc<ModelData>);

/// A task as scripts see it (`Task` in scripts).
#[derive(Debug)]
pub struct TaskData {
    /// The normalised task.
    pub task: Task,
    /// Its fields' values, for the verdict cache.
    pub(crate) fields: crate::cache::FieldValues,
    /// The text fields, made once (see [`ModelData`]).
    name: Value,
    task_type: Value,
    domain: Value,
    deployment: Value,
    languages: Value,
    source_languages: Value,
    precisions: Value,
    benchmarks: Value,
}

/// A cheap-to-clone handle on a prepared task.
#[derive(Debug, Clone)]
pub struct TaskView(pub Arc<TaskData>);

fn strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Value {
    Value::strings(items)
}

fn text(s: &str) -> Value {
    Value::Str(s.into())
}

fn float_map<'a>(items: impl IntoIterator<Item = (&'a str, f64)>) -> Value {
    Value::Map(Arc::new(
        items
            .into_iter()
            .map(|(k, v)| (ImmutableString::from(k), Value::Float(v)))
            .collect(),
    ))
}

impl TaskView {
    /// Prepares a task for the scripts.
    pub fn new(task: Task) -> TaskView {
        let languages = strings(task.languages.iter().map(|l| l.as_str()));
        let precisions = strings(
            task.resources
                .accepted_precisions()
                .into_iter()
                .map(Precision::as_str),
        );
        let benchmarks = float_map(task.benchmarks.iter().map(|(k, w)| (k.as_str(), w.0)));
        let source_languages = strings(task.source_languages.iter().map(|l| l.as_str()));
        TaskView(Arc::new(TaskData {
            fields: crate::cache::FieldValues::of(&task),
            name: text(&task.name),
            task_type: text(task.task.as_str()),
            domain: text(task.domain.as_str()),
            deployment: text(task.resources.deployment.as_str()),
            task,
            languages,
            source_languages,
            precisions,
            benchmarks,
        }))
    }
}

/// Each model's benchmarks normalised across the catalog, in catalog order:
/// `(score − min) / (max − min)`, inverted where lower is better, 1.0 where only one model (or
/// only one distinct figure) is published.
pub fn normalised_benchmarks(catalog: &Catalog) -> Vec<BTreeMap<&str, f64>> {
    let mut ranges: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for m in &catalog.models {
        for (k, b) in &m.benchmarks {
            let r = ranges.entry(k.as_str()).or_insert((b.score, b.score));
            r.0 = r.0.min(b.score);
            r.1 = r.1.max(b.score);
        }
    }
    catalog
        .models
        .iter()
        .map(|m| {
            m.benchmarks
                .iter()
                .map(|(k, b)| {
                    let (lo, hi) = ranges[k.as_str()];
                    let x = if hi > lo {
                        (b.score - lo) / (hi - lo)
                    } else {
                        1.0
                    };
                    let x = if b.lower_is_better && hi > lo {
                        1.0 - x
                    } else {
                        x
                    };
                    (k.as_str(), x)
                })
                .collect()
        })
        .collect()
}

/// Prepares every model of a catalog for the scripts, with its benchmarks as published and as
/// [`normalised_benchmarks`].
pub fn prepare_models(catalog: &Catalog) -> Vec<ModelView> {
    catalog
        .models
        .iter()
        .zip(normalised_benchmarks(catalog))
        .map(|(m, normal)| {
            let benchmarks = float_map(m.benchmarks.iter().map(|(k, b)| (k.as_str(), b.score)));
            let normalised: BTreeMap<String, f64> = normal
                .into_iter()
                .map(|(k, x)| (k.to_string(), x))
                .collect();
            let context = m.context_limit();
            ModelView(Arc::new(ModelData {
                id: text(&m.id),
                name: text(&m.name),
                family: text(m.family.as_str()),
                domain: text(m.domain.as_str()),
                license: Value::opt_str(m.license.as_deref()),
                released: Value::opt_str(m.released.as_deref()),
                positional: Value::opt_str(m.positional.map(|p| p.as_str())),
                languages: strings(m.languages.iter().map(|l| l.as_str())),
                covered: m
                    .languages
                    .iter()
                    .flat_map(|l| lang::equivalents(l.as_str()))
                    .map(str::to_string)
                    .collect(),
                translates_from: strings(m.translates_from.iter().map(|l| l.as_str())),
                translates_into: strings(m.translates_into.iter().map(|l| l.as_str())),
                context_limit: Value::opt_int(context.as_ref().map(|c| c.0)),
                context_basis: Value::opt_str(context.as_ref().map(|c| c.1.as_str())),
                tasks: strings(m.tasks.iter().map(String::as_str)),
                objectives: strings(m.objectives.iter().map(String::as_str)),
                benchmarks,
                normalised,
                model: m.clone(),
            }))
        })
        .collect()
}

/// The deadline of the script call running on this thread.
#[derive(Clone, Copy)]
enum Deadline {
    /// No script call is running under a deadline.
    None,
    /// A call started with this much CPU time allowed; the clock is first read at the first
    /// progress check (after 256 operations), so the many calls that finish sooner never read
    /// it (reading a thread's CPU time is a system call, not a vDSO read: about a microsecond,
    /// a fifth of a short call). The deadline then runs from that check; the operations before
    /// it are bounded by the operation limit.
    Armed(Duration),
    /// The call must end by this point of [`thread_clock`].
    At(Duration),
}

thread_local! {
    static DEADLINE: Cell<Deadline> = const { Cell::new(Deadline::None) };
    static CANCEL: std::cell::RefCell<Option<Cancel>> = const { std::cell::RefCell::new(None) };
}

/// A flag that stops what is left of a decision: the script calls not yet started are not
/// made, and those running stop at their next progress check (every 256 operations). A service
/// raises it when a request passes its deadline, so a decision nobody waits for any more stops
/// using the CPU.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<std::sync::atomic::AtomicBool>);

impl Cancel {
    /// A flag not raised.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Raises the flag.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the flag is raised.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Runs `f` with `cancel` watched by the script calls it makes on this thread.
pub fn with_cancel<T>(cancel: &Cancel, f: impl FnOnce() -> T) -> T {
    let previous = CANCEL.with(|c| c.replace(Some(cancel.clone())));
    let out = f();
    CANCEL.with(|c| *c.borrow_mut() = previous);
    out
}

/// Marker value with which `on_progress` terminates a call whose decision was cancelled.
const CANCEL_TOKEN: &str = "cancelled";

/// Whether a terminated call was stopped because its decision was cancelled.
pub fn is_cancelled(token: &Dynamic) -> bool {
    token
        .clone()
        .into_immutable_string()
        .is_ok_and(|s| s == CANCEL_TOKEN)
}

/// The CPU time this thread has used; where the platform cannot say, the time since the first
/// call (wall clock).
fn thread_clock() -> Duration {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    match cpu_time::ThreadTime::try_now() {
        Ok(t) => t.as_duration(),
        Err(_) => START.get_or_init(Instant::now).elapsed(),
    }
}

/// Marker value with which `on_progress` terminates a call that ran past its deadline.
const DEADLINE_TOKEN: &str = "deadline";

/// Runs `f` with a deadline, `timeout` of this thread's CPU time, for the script calls it makes.
pub fn with_deadline<T>(timeout: Duration, f: impl FnOnce() -> T) -> T {
    let previous = DEADLINE.with(|d| d.replace(Deadline::Armed(timeout)));
    let out = f();
    DEADLINE.with(|d| d.set(previous));
    out
}

/// Whether a terminated call was stopped by its deadline.
pub fn is_deadline(token: &Dynamic) -> bool {
    token
        .clone()
        .into_immutable_string()
        .is_ok_and(|s| s == DEADLINE_TOKEN)
}

/// Registers a host function with its signature and documentation, which the definition files
/// (`arbiter definitions`) carry to editors: `params` names each parameter with its type
/// (`"x: float"`), then gives the return type.
fn register<A: 'static, const N: usize, const X: bool, R: Variant + Clone, const F: bool>(
    engine: &mut Engine,
    name: &str,
    params: &[&str],
    doc: &str,
    f: impl RhaiNativeFunc<A, N, X, R, F> + Send + Sync + 'static,
) {
    let _ = FuncRegistration::new(name)
        .with_params_info(params)
        .with_comments([format!("/// {doc}")])
        .register_into_engine(engine, f);
}

fn runtime_error(message: String, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(message.into(), pos))
}

fn check_score(ctx: &NativeCallContext, x: f64) -> Result<f64, Box<EvalAltResult>> {
    if x.is_finite() && (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(runtime_error(
            format!("score {x} is outside [0, 1]"),
            ctx.call_position(),
        ))
    }
}

/// The check every call makes every 256 operations: a value to stop it with when its decision
/// was cancelled or it ran past its deadline (the first check arms the deadline).
pub(crate) fn progress(ops: u64) -> Option<Dynamic> {
    if !ops.is_multiple_of(256) {
        return None;
    }
    if CANCEL.with(|c| c.borrow().as_ref().is_some_and(Cancel::is_cancelled)) {
        return Some(Dynamic::from(ImmutableString::from(CANCEL_TOKEN)));
    }
    let late = DEADLINE.with(|d| match d.get() {
        Deadline::None => false,
        Deadline::Armed(timeout) => {
            d.set(Deadline::At(thread_clock() + timeout));
            false
        }
        Deadline::At(t) => thread_clock() > t,
    });
    late.then(|| Dynamic::from(ImmutableString::from(DEADLINE_TOKEN)))
}

/// Device profiles for every deployment class: the bundle's, else the defaults.
pub type Devices = BTreeMap<Deployment, DeviceProfile>;

/// Builds the sandboxed engine for one bundle: limits, helpers, types. It is then frozen
/// (shared immutably across threads).
pub fn build_engine(limits: &Limits, devices: Arc<Devices>, origin: Arc<str>) -> Engine {
    let mut engine = Engine::new();
    engine
        .disable_symbol("eval")
        .set_max_strings_interned(0)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true)
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth, limits.max_expr_depth)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_max_variables(1_000)
        .set_max_functions(1_000);
    engine.on_progress(progress);
    let print_origin = origin.clone();
    engine.on_print(move |s| tracing::info!(bundle = %print_origin, "script print: {s}"));
    engine.on_debug(move |s, src, pos| {
        tracing::debug!(bundle = %origin, source = src.unwrap_or(""), position = %pos, "script debug: {s}");
    });

    register_verdicts(&mut engine);
    register_properties(&mut engine, "Task", TASK_PROPERTIES);
    register_model(&mut engine);
    register_cost(&mut engine, devices);
    engine
}

fn register_verdicts(engine: &mut Engine) {
    engine.register_type_with_name::<Verdict>("Verdict");
    register(
        engine,
        "score",
        &["x: float", "reason: string", "Verdict"],
        "A score in [0, 1] with its reason: how well the model fits, by this criterion.",
        |ctx: NativeCallContext, x: f64, reason: &str| {
            check_score(&ctx, x).map(|value| Verdict::Score {
                value,
                reason: reason.to_string(),
                precision: None,
            })
        },
    );
    register(
        engine,
        "score",
        &["x: int", "reason: string", "Verdict"],
        "A score of 0 or 1 with its reason.",
        |ctx: NativeCallContext, x: i64, reason: &str| {
            #[allow(clippy::cast_precision_loss)] // small integers: 0 or 1
            check_score(&ctx, x as f64).map(|value| Verdict::Score {
                value,
                reason: reason.to_string(),
                precision: None,
            })
        },
    );
    register(
        engine,
        "with_precision",
        &["verdict: Verdict", "precision: string", "Verdict"],
        "The verdict, noting the precision the model was judged at (fp32, bf16, fp16, int8, int4).",
        |ctx: NativeCallContext, v: Verdict, p: &str| match v {
            Verdict::Score {
                value,
                reason,
                precision: _,
            } => Ok(Verdict::Score {
                value,
                reason,
                precision: Some(parse_precision(&ctx, p)?),
            }),
            other => Err(runtime_error(
                format!("only a score carries a precision, not {other:?}"),
                ctx.call_position(),
            )),
        },
    );
    register(
        engine,
        "veto",
        &["reason: string", "Verdict"],
        "Rules the model out, with the reason.",
        |reason: &str| Verdict::Veto {
            reason: reason.to_string(),
        },
    );
    register(
        engine,
        "abstain",
        &["reason: string", "Verdict"],
        "This criterion has nothing to say about the model: its weight is spread over the others.",
        |reason: &str| Verdict::Abstain {
            reason: reason.to_string(),
        },
    );
}

/// A property scripts read on a host type (`task.languages`), the one definition both the Rhai
/// engine (as a getter) and the compiled scripts ([`crate::compiled`]) use.
pub(crate) struct Property<T: 'static> {
    /// The name scripts write.
    pub name: &'static str,
    /// Its type, for the definition files.
    pub ty: &'static str,
    /// The getter. Task getters note the field they read, for the verdict cache.
    pub get: fn(&T) -> Value,
}

fn int(v: impl TryInto<i64>) -> Value {
    Value::Int(v.try_into().unwrap_or(i64::MAX))
}

macro_rules! properties {
    ($t:ident: $($name:literal $ty:literal => |$v:ident| $body:expr;)*) => {
        &[$(Property { name: $name, ty: $ty, get: |$v: &$t| $body },)*]
    };
}

/// The `Task` properties. Each notes the field it reads, for the verdict cache.
pub(crate) const TASK_PROPERTIES: &[Property<TaskView>] = {
    use crate::cache::{Field as F, read};
    properties! { TaskView:
        "name" "string" => |v| { read(F::Name); v.0.name.clone() };
        "task" "string" => |v| { read(F::TaskType); v.0.task_type.clone() };
        "domain" "string" => |v| { read(F::Domain); v.0.domain.clone() };
        "deployment" "string" => |v| { read(F::Deployment); v.0.deployment.clone() };
        "labeled_examples" "int" => |v| { read(F::LabeledExamples); int(v.0.task.data.labeled_examples) };
        "unlabeled_examples" "?" => |v| { read(F::UnlabeledExamples); v.0.task.data.unlabeled_examples.map_or(Value::Unit, int) };
        "max_latency_ms" "?" => |v| { read(F::MaxLatencyMs); Value::opt_float(v.0.task.resources.max_latency_ms) };
        "max_memory_mb" "?" => |v| { read(F::MaxMemoryMb); Value::opt_float(v.0.task.resources.max_memory_mb) };
        "max_parameters_m" "?" => |v| { read(F::MaxParametersM); Value::opt_float(v.0.task.resources.max_parameters_m) };
        "sequence_length" "int" => |v| { read(F::SequenceLength); int(v.0.task.resources.sequence_length) };
        "batch_size" "int" => |v| { read(F::BatchSize); int(v.0.task.resources.batch_size) };
        "output_tokens" "int" => |v| { read(F::OutputTokens); int(v.0.task.resources.output_tokens_for(v.0.task.task)) };
        "precisions" "array" => |v| { read(F::Precisions); v.0.precisions.clone() };
        "source_languages" "array" => |v| { read(F::SourceLanguages); v.0.source_languages.clone() };
        "languages" "array" => |v| { read(F::Languages); v.0.languages.clone() };
        "benchmarks" "map" => |v| { read(F::Benchmarks); v.0.benchmarks.clone() };
    }
};

/// The `Model` properties: the catalog entry's fields and the values prepared once per load.
pub(crate) const MODEL_PROPERTIES: &[Property<ModelView>] = properties! { ModelView:
    "id" "string" => |v| v.0.id.clone();
    "name" "string" => |v| v.0.name.clone();
    "family" "string" => |v| v.0.family.clone();
    "domain" "string" => |v| v.0.domain.clone();
    "license" "?" => |v| v.0.license.clone();
    "released" "?" => |v| v.0.released.clone();
    "positional" "?" => |v| v.0.positional.clone();
    "parameters_m" "float" => |v| Value::Float(v.0.model.parameters_m);
    "layers" "int" => |v| int(v.0.model.layers);
    "decoder_layers" "?" => |v| Value::opt_int(v.0.model.decoder_layers);
    "hidden_size" "int" => |v| int(v.0.model.hidden_size);
    "attention_heads" "int" => |v| int(v.0.model.attention_heads);
    "max_positions" "?" => |v| Value::opt_int(v.0.model.max_positions);
    "vocab_size" "?" => |v| Value::opt_int(v.0.model.vocab_size);
    "embedding_size" "?" => |v| Value::opt_int(v.0.model.embedding_size);
    "head_size" "?" => |v| Value::opt_int(v.0.model.head_size);
    "kv_heads" "int" => |v| int(v.0.model.kv_head_count());
    "intermediate_size" "int" => |v| int(v.0.model.ffn_width());
    "gated_ffn" "bool" => |v| Value::Bool(v.0.model.gated_ffn);
    "experts" "?" => |v| Value::opt_int(v.0.model.experts);
    "experts_per_token" "?" => |v| Value::opt_int(v.0.model.experts_per_token);
    "active_parameters_m" "float" => |v| Value::Float(cost::active_parameters_m(&v.0.model));
    "context_length" "?" => |v| Value::opt_int(v.0.model.context_length);
    "context_limit" "?" => |v| v.0.context_limit.clone();
    "context_basis" "?" => |v| v.0.context_basis.clone();
    "instruction_tuned" "bool" => |v| Value::Bool(v.0.model.instruction_tuned);
    "layer_parameters_m" "float" => |v| Value::Float(cost::layer_parameters_m(&v.0.model));
    "language_count" "int" => |v| int(v.0.model.languages.len());
    "languages" "array" => |v| v.0.languages.clone();
    "tasks" "array" => |v| v.0.tasks.clone();
    "objectives" "array" => |v| v.0.objectives.clone();
    "benchmarks" "map" => |v| v.0.benchmarks.clone();
    "translates_from" "array" => |v| v.0.translates_from.clone();
    "translates_into" "array" => |v| v.0.translates_into.clone();
};

/// The properties of a priced call (`estimate(task, model, precision)`).
pub(crate) const COST_PROPERTIES: &[Property<CallCost>] = properties! { CallCost:
    "precision" "string" => |c| text(c.precision.as_str());
    "prefill_ms" "float" => |c| Value::Float(c.prefill_ms);
    "token_ms" "float" => |c| Value::Float(c.token_ms);
    "output_tokens" "int" => |c| int(c.output_tokens);
    "latency_ms" "float" => |c| Value::Float(c.latency_ms);
    "memory_mb" "float" => |c| Value::Float(c.memory_mb);
    "memory_bound" "bool" => |c| Value::Bool(c.token_bound == cost::Bound::Memory);
};

/// Registers each property as a getter of type `T`, named `type_name` in the definitions.
fn register_properties<T: Variant + Clone>(
    engine: &mut Engine,
    type_name: &str,
    properties: &'static [Property<T>],
) {
    engine.register_type_with_name::<T>(type_name);
    let this = format!("_: {type_name}");
    for p in properties {
        let get = p.get;
        let _ = FuncRegistration::new_getter(p.name)
            .with_params_info([this.as_str(), p.ty])
            .register_into_engine(engine, move |v: &mut T| get(v).to_dynamic());
    }
}

/// Whether the model was pre-trained on a language (macrolanguages and members alike).
pub(crate) fn covers(m: &ModelView, code: &str) -> bool {
    m.0.covered.contains(code)
}

/// Whether the model's sources list a task type.
pub(crate) fn suits(m: &ModelView, task: &str) -> bool {
    m.0.model.tasks.iter().any(|t| t == task)
}

/// Whether the model was pre-trained with an objective.
pub(crate) fn has_objective(m: &ModelView, objective: &str) -> bool {
    m.0.model.objectives.iter().any(|x| x == objective)
}

/// A published benchmark score, or `()`.
pub(crate) fn benchmark(m: &ModelView, key: &str) -> Value {
    match &m.0.benchmarks {
        Value::Map(map) => map.get(key).cloned().unwrap_or(Value::Unit),
        _ => Value::Unit,
    }
}

/// A benchmark score normalised across the catalog.
pub(crate) fn benchmark_normalised(m: &ModelView, key: &str) -> Option<f64> {
    m.0.normalised.get(key).copied()
}

fn register_model(engine: &mut Engine) {
    register_properties(engine, "Model", MODEL_PROPERTIES);
    register(
        engine,
        "covers",
        &["model: Model", "code: string", "bool"],
        "Whether the model was pre-trained on this language (an ISO 639 code; a macrolanguage and its members count as one).",
        |v: &mut ModelView, code: &str| covers(v, code),
    );
    register(
        engine,
        "translates",
        &["model: Model", "from: string", "to: string", "bool"],
        "Whether a translation model translates from one language into another.",
        |v: &mut ModelView, from: &str, to: &str| v.0.model.translates(from, to),
    );
    register(
        engine,
        "suits",
        &["model: Model", "task: string", "bool"],
        "Whether the model's sources list this task type.",
        |v: &mut ModelView, task: &str| suits(v, task),
    );
    register(
        engine,
        "has_objective",
        &["model: Model", "objective: string", "bool"],
        "Whether the model was pre-trained with this objective.",
        |v: &mut ModelView, o: &str| has_objective(v, o),
    );
    register(
        engine,
        "benchmark",
        &["model: Model", "key: string", "?"],
        "The model's published score on a benchmark (a float), or () when none is published.",
        |v: &mut ModelView, key: &str| benchmark(v, key).to_dynamic(),
    );
    register(
        engine,
        "benchmark_normalised",
        &["model: Model", "key: string", "?"],
        "The model's score on a benchmark normalised across the catalog (0 worst, 1 best; inverted where lower is better), or () when none is published.",
        |v: &mut ModelView, key: &str| {
            benchmark_normalised(v, key).map_or(Dynamic::UNIT, Dynamic::from_float)
        },
    );
}

fn parse_precision(ctx: &NativeCallContext, p: &str) -> Result<Precision, Box<EvalAltResult>> {
    Precision::parse(p).ok_or_else(|| {
        runtime_error(
            format!("unknown precision `{p}`: fp32, bf16, fp16, int8 or int4"),
            ctx.call_position(),
        )
    })
}

fn register_cost(engine: &mut Engine, devices: Arc<Devices>) {
    register_properties(engine, "Cost", COST_PROPERTIES);
    fn tokens(ctx: &NativeCallContext, what: &str, v: i64) -> Result<u32, Box<EvalAltResult>> {
        u32::try_from(v).ok().filter(|&n| n > 0).ok_or_else(|| {
            runtime_error(
                format!("{what} must be a positive integer, got {v}"),
                ctx.call_position(),
            )
        })
    }
    register(
        engine,
        "estimate_gflops",
        &["model: Model", "seq_len: int", "float"],
        "The compute of one forward pass over a sequence of this length, in GFLOPs (selection guide §4).",
        |ctx: NativeCallContext, m: &mut ModelView, n: i64| {
            Ok::<_, Box<EvalAltResult>>(cost::estimate_gflops(
                &m.0.model,
                tokens(&ctx, "seq_len", n)?,
            ))
        },
    );
    fn memory(
        ctx: &NativeCallContext,
        m: &ModelView,
        precision: &str,
        (n, out, batch): (i64, i64, i64),
    ) -> Result<f64, Box<EvalAltResult>> {
        let out = u32::try_from(out).map_err(|_| {
            runtime_error(
                format!("output tokens must be a non-negative integer, got {out}"),
                ctx.call_position(),
            )
        })?;
        Ok(cost::estimate_memory_mb(
            &m.0.model,
            parse_precision(ctx, precision)?,
            tokens(ctx, "seq_len", n)?,
            out,
            tokens(ctx, "batch", batch)?,
        ))
    }
    register(
        engine,
        "estimate_memory_mb",
        &[
            "model: Model",
            "precision: string",
            "seq_len: int",
            "batch: int",
            "float",
        ],
        "The memory to serve the model at a precision for a batch of sequences of this length, in MB: weights and activations.",
        |ctx: NativeCallContext, m: &mut ModelView, precision: &str, n: i64, batch: i64| {
            memory(&ctx, m, precision, (n, 0, batch))
        },
    );
    register(
        engine,
        "estimate_memory_mb",
        &[
            "model: Model",
            "precision: string",
            "seq_len: int",
            "output_tokens: int",
            "batch: int",
            "float",
        ],
        "As estimate_memory_mb(model, precision, seq_len, batch), with the key-value cache of the tokens a decoder generates.",
        |ctx: NativeCallContext,
         m: &mut ModelView,
         precision: &str,
         n: i64,
         out: i64,
         batch: i64| memory(&ctx, m, precision, (n, out, batch)),
    );
    let lookup = |devices: &Devices, ctx: &NativeCallContext, deployment: &str| {
        device(devices, deployment).ok_or_else(|| {
            runtime_error(
                format!("unknown deployment `{deployment}`"),
                ctx.call_position(),
            )
        })
    };
    let d = devices.clone();
    register(
        engine,
        "estimate_latency_ms",
        &[
            "model: Model",
            "deployment: string",
            "seq_len: int",
            "batch: int",
            "float",
        ],
        "The latency of one forward pass on the deployment class's device profile, in ms.",
        move |ctx: NativeCallContext, m: &mut ModelView, deployment: &str, n: i64, batch: i64| {
            let device = lookup(&d, &ctx, deployment)?;
            Ok::<_, Box<EvalAltResult>>(cost::estimate_latency_ms(
                &m.0.model,
                &device,
                tokens(&ctx, "seq_len", n)?,
                tokens(&ctx, "batch", batch)?,
            ))
        },
    );
    let d = devices.clone();
    register(
        engine,
        "estimate",
        &["task: Task", "model: Model", "precision: string", "Cost"],
        "The whole call the task describes (prefill, then each generated token) priced on the task's deployment device at a precision: its latency_ms, prefill_ms, token_ms, output_tokens, memory_mb, memory_bound and precision.",
        move |ctx: NativeCallContext, t: &mut TaskView, m: ModelView, precision: &str| {
            estimate(&d, t, &m, parse_precision(&ctx, precision)?)
                .map_err(|message| runtime_error(message, ctx.call_position()))
        },
    );
    register(
        engine,
        "device_memory_mb",
        &["deployment: string", "float"],
        "The memory of the deployment class's device profile (the bundle's [devices], else the default), in MB.",
        move |ctx: NativeCallContext, deployment: &str| {
            lookup(&devices, &ctx, deployment).map(|d| d.memory_mb)
        },
    );
}

/// `estimate(task, model, precision)`: the whole call the task describes, priced on its
/// deployment's device. Notes the task fields it reads, for the verdict cache.
pub(crate) fn estimate(
    devices: &Devices,
    t: &TaskView,
    m: &ModelView,
    precision: Precision,
) -> Result<CallCost, String> {
    use crate::cache::{Field as F, read};
    for field in [
        F::Deployment,
        F::SequenceLength,
        F::OutputTokens,
        F::BatchSize,
    ] {
        read(field);
    }
    let task = &t.0.task;
    let r = &task.resources;
    let device = devices
        .get(&r.deployment)
        .ok_or_else(|| format!("no device profile for `{}`", r.deployment))?;
    Ok(cost::estimate_call(
        &m.0.model,
        device,
        precision,
        r.sequence_length,
        r.output_tokens_for(task.task),
        r.batch_size,
    ))
}

/// The device profile of a deployment class named in a script.
pub(crate) fn device(devices: &Devices, deployment: &str) -> Option<DeviceProfile> {
    Deployment::ALL
        .iter()
        .find(|d| d.as_str() == deployment)
        .and_then(|d| devices.get(d))
        .copied()
}

/// The host API as Rhai definition files (`.d.rhai`, for the Rhai language server): every
/// function, type and property this sandbox registers (`score`, `veto`, `abstain`, the `Task`
/// and `Model` properties and methods, the cost functions), generated from the registrations
/// themselves so that they cannot drift. Rhai's standard packages are left out (the language
/// server knows them). Pairs of file name and content.
pub fn definitions() -> Vec<(String, String)> {
    let devices: Devices = Deployment::ALL
        .iter()
        .map(|d| (*d, DeviceProfile::default_for(*d)))
        .collect();
    let engine = build_engine(&Limits::default(), Arc::new(devices), "definitions".into());
    engine
        .definitions()
        .include_standard_packages(false)
        .with_headers(true)
        .iter_files()
        .collect()
}
