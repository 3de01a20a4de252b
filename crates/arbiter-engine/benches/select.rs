//! What one `select` costs, and how much of it is the scripting.
//!
//! Measured, each as one complete decision:
//!
//! - `select/default-catalog/scripted`: [`arbiter_engine::decide`] with the default bundle (its
//!   frozen copy, `benches/policies/`, below; the live catalog) on
//!   `examples/tasks/chinese-sentiment-cpu.yaml`;
//! - `select/synthetic-10k/scripted`: the same bundle with its catalog replaced by 10 000
//!   deterministic variants of the default models, on an English text-classification task on
//!   cloud-gpu without budgets (so most models survive the vetoes and are ranked);
//! - `select/.../native`: the seven default criteria (`task_type`, `language`, `domain`,
//!   `resources`, `data_volume`, `benchmarks`, `licence`) written in Rust in this file, as close
//!   to `policies/criteria/*.rhai` as Rust allows (same arithmetic in the same order, the same
//!   reason strings with Rhai's float formatting, the engine's cost model: `resources` loops over
//!   the task's accepted precisions, most precise first, pricing each whole call with
//!   [`arbiter_engine::cost::estimate_call`] as the host's `estimate(task, model, precision)`
//!   does, and records the precision it judged the model at), evaluated in parallel over the
//!   models with rayon on the normalised task and combined by the engine's own pure
//!   [`arbiter_engine::decide::combine`], as `decide` combines — so the bench compares the rules,
//!   not two copies of the combination. The decision's envelope (UUID,
//!   timestamp, task hash) is left out of the native side: it costs microseconds. Both sides drop
//!   their result inside the timed loop; over 10 000 models that drop is itself some 15–20 ms.
//!
//! Before anything is timed, a differential check asserts that both sides agree: on the default
//! catalog for the two timed tasks, every task in `examples/tasks/` and a few more written here
//! to reach the branches those miss (zero-shot, classification and ranking without labels,
//! embeddings, generation at several precisions on small devices, over-long inputs, translation
//! with and without a stated direction); on the synthetic catalog for the two timed tasks and a
//! generation task. Compared: the chosen model, every veto (model, criterion and reason), the
//! ranking order, every score and contribution to 1e-9, every weight, status, reason string and
//! precision (per criterion and per ranked model). A disagreement panics, so the bench fails.
//!
//! The scripted side runs a FROZEN COPY of the default bundle, `benches/policies/` (bundle.toml
//! and the criteria copied from `policies/`; the catalog is a symbolic link to the live one), so
//! editing `policies/` never requires editing Rust — the golden cases guard the live policy. To
//! measure a changed policy, copy its files into `benches/policies/` and mirror the change here. `cargo test -p arbiter-engine --bench select` runs the check alone (criterion's test
//! mode runs each timed function once).
//!
//! Run it with `cargo bench -p arbiter-engine --bench select` (under a minute on two cores once
//! built); `cargo bench -p arbiter-engine --bench select -- synthetic` runs only the 10 000-model
//! cases.

// A bench is a test harness: a broken fixture or a disagreement must stop it, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arbiter_engine::bundle::{Files, OnError, ScriptFault, TieBreak};
use arbiter_engine::catalog::Positional;
use arbiter_engine::cost::{
    CallCost, DeviceProfile, Precision, active_parameters_m, estimate_call, layer_parameters_m,
};
use arbiter_engine::decide::{CriterionInfo, Decision, Ranked, Rejection, combine};
use arbiter_engine::host::Verdict;
use arbiter_engine::load::{load_task, task_from_str};
use arbiter_engine::{Bundle, Catalog, Domain, Family, Model, Syntax, Task, decide};
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rayon::prelude::*;

/// The number of models in the synthetic catalog.
const SYNTHETIC_MODELS: usize = 10_000;

/// Many models survive this one: English is covered by most of the catalog, a GPU has room for
/// all but the largest, and there are no budgets.
const ENGLISH_TASK: &str = "
name: English topic classification (bench)
task: text-classification
languages: [en]
domain: general
data:
  labeled_examples: 250000
resources:
  deployment: cloud-gpu
  sequence_length: 256
  batch_size: 8
";

/// Tasks for the differential check only (never timed), each reaching branches of the scripts
/// that the timed tasks and `examples/tasks/` leave out.
const CHECK_TASKS: &[&str] = &[
    // Zero-shot: NLI checkpoints, instruction-tuned models, the rest; two precisions on a CPU.
    "
name: zero-shot topics (check)
task: zero-shot-classification
languages: [en]
data:
  labeled_examples: 0
resources:
  deployment: cloud-cpu
  max_latency_ms: 400
  sequence_length: 256
  precisions: [int8, fp32]
",
    // Sentence similarity across two languages on an edge box, three precisions, a memory budget.
    "
name: bilingual similarity (check)
task: sentence-similarity
languages: [en, de]
data:
  labeled_examples: 20000
resources:
  deployment: edge
  max_memory_mb: 600
  sequence_length: 128
  batch_size: 4
  precisions: [fp32, fp16, int8]
",
    // Embeddings on a phone, the deployment's default precision.
    "
name: on-device embeddings (check)
task: feature-extraction
languages: [en]
data:
  labeled_examples: 500
resources:
  deployment: mobile
  max_latency_ms: 200
  sequence_length: 128
",
    // Generation on an edge box: memory- or compute-bound tokens, int8 and int4, a latency budget.
    "
name: edge assistant (check)
task: dialogue
languages: [en]
data:
  labeled_examples: 5000
resources:
  deployment: edge
  max_latency_ms: 60000
  sequence_length: 1024
  output_tokens: 256
  precisions: [bf16, int8, int4]
",
    // A memory budget above what the device holds: the reason says the device bounds it.
    "
name: budget above the device (check)
task: text-generation
languages: [en]
data:
  labeled_examples: 0
resources:
  deployment: cloud-gpu
  max_memory_mb: 24000
",
    // Long French generation on a GPU: context-limit vetoes, large data, two precisions.
    "
name: long French drafting (check)
task: text-generation
languages: [fr]
data:
  labeled_examples: 2000000
resources:
  deployment: cloud-gpu
  max_memory_mb: 12000
  sequence_length: 6000
  output_tokens: 1500
  precisions: [fp16, int8]
",
    // Translation on a CPU with a budget: output as long as the input, over-long inputs.
    "
name: English to French on CPU (check)
task: translation
languages: [en, fr]
data:
  labeled_examples: 300000
resources:
  deployment: on-prem-cpu
  max_latency_ms: 3000
  max_parameters_m: 2000
  sequence_length: 600
  precisions: [fp32, int8, int4]
",
    // Chinese summarisation with task weights and a benchmark weighted 0.
    "
name: Chinese summaries (check)
task: summarization
languages: [zh]
data:
  labeled_examples: 0
resources:
  deployment: cloud-gpu
  sequence_length: 1024
  precisions: [bf16, int4]
benchmarks:
  cnn-dailymail: 0
weights:
  licence: 2
  benchmarks: 0.5
",
    // Fill-mask with every decoder vetoed, in a legal domain.
    "
name: legal fill-mask (check)
task: fill-mask
languages: [en]
domain: legal
data:
  labeled_examples: 150000
resources:
  deployment: cloud-cpu
  max_memory_mb: 3000
  sequence_length: 512
",
    // Text classification with no labelled examples: the zero-shot kind, and data volume's
    // no-data branches (NLI checkpoints, instruction-tuned models, the rest at 0.1).
    "
name: unlabelled tickets (check)
task: text-classification
languages: [en]
data:
  labeled_examples: 0
resources:
  deployment: cloud-gpu
  sequence_length: 256
",
    // Features with no labelled data: embedding models score 1.0 on data volume, pre-trained
    // models abstain.
    "
name: unlabelled features (check)
task: feature-extraction
languages: [zh]
data:
  labeled_examples: 0
resources:
  deployment: cloud-gpu
  sequence_length: 128
",
    // Passage ranking: the embedding kind, with no labelled data (embedding models at 1.0).
    "
name: passage ranking (check)
task: text-ranking
languages: [en]
data:
  labeled_examples: 0
resources:
  deployment: cloud-cpu
  max_latency_ms: 2000
  sequence_length: 384
",
    // Translation one way and the other: a one-way zh→en model passes for source zh (and fits
    // its 512 positions, input plus output) and is vetoed for source en; with no labels,
    // translation models score 1.0 on data volume.
    "
name: Chinese to English (check)
task: translation
languages: [zh, en]
source_languages: [zh]
data:
  labeled_examples: 0
resources:
  deployment: cloud-gpu
  sequence_length: 200
",
    "
name: English to Chinese (check)
task: translation
languages: [zh, en]
source_languages: [en]
data:
  labeled_examples: 50000
resources:
  deployment: on-prem-cpu
  max_latency_ms: 5000
  sequence_length: 256
  precisions: [fp32, int8]
",
    // Translation between zh and en with no direction stated: one-way models vetoed; inputs past
    // 512 tokens veto models that state no context.
    "
name: Chinese and English both ways (check)
task: translation
languages: [zh, en]
data:
  labeled_examples: 2000
resources:
  deployment: cloud-gpu
  sequence_length: 520
",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The bench's frozen copy of the default bundle (`benches/policies/`: bundle.toml and the
/// criteria copied from `policies/`, the catalog a symbolic link to the live one).
fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/policies")
}

// ---------------------------------------------------------------------------------------------
// The synthetic catalog
// ---------------------------------------------------------------------------------------------

/// `n` variants of the base models, deterministic: model i is base model i % len with its id
/// suffixed `-synth-{i}`, its hidden size moved by a multiple of its head count (so it still
/// splits into heads; heads and key-value heads are left alone, so grouped-query models keep
/// their groups), one to three more layers every other variant, ±15 % parameters (and active
/// parameters with them, capped at the total), and every benchmark figure moved by up to ±1
/// point. Notes and all sources but the first are dropped, to keep the YAML small. The result
/// passes `Catalog::check` (asserted before the bundle is built).
fn synthetic_models(base: &[Model], n: usize) -> Vec<Model> {
    (0..n)
        .map(|i| {
            let mut m = base[i % base.len()].clone();
            let v = i / base.len(); // which variant of its base model
            m.id = format!("{}-synth-{i}", m.id);
            m.name = format!("{} (synthetic {i})", m.name);

            let per_head: [i64; 5] = [0, 8, 16, -8, 24];
            let heads = i64::from(m.attention_heads);
            let hidden = i64::from(m.hidden_size) + heads * per_head[v % 5];
            let floor = i64::from(m.bottleneck_size.unwrap_or(1)).max(heads * 8);
            if hidden >= floor {
                m.hidden_size = u32::try_from(hidden).unwrap();
            }
            let extra = u32::try_from(v % 4).unwrap();
            m.layers += extra;
            m.decoder_layers = m.decoder_layers.map(|d| d + extra);
            #[allow(clippy::cast_precision_loss)] // small integers
            let factor = 0.85 + 0.05 * ((v * 7 + i) % 7) as f64;
            m.parameters_m = (m.parameters_m * factor * 10.0).round() / 10.0;
            // A mixture of experts keeps its active share, and at most its total.
            m.active_parameters_m = m
                .active_parameters_m
                .map(|a| ((a * factor * 10.0).round() / 10.0).min(m.parameters_m));

            for (k, (_, b)) in m.benchmarks.iter_mut().enumerate() {
                #[allow(clippy::cast_precision_loss)] // small integers
                let delta = (((i * 37 + k * 11) % 41) as f64 - 20.0) * 0.05;
                b.score = ((b.score + delta) * 100.0).round() / 100.0;
                b.detail = None;
            }
            m.notes.clear();
            m.sources.truncate(1);
            m
        })
        .collect()
}

/// The base models followed by one probe of each, for the differential check only: the probes
/// carry what the scripts branch on and a catalog may not yet hold — instruction tuning flipped,
/// every licence class and none, no stated language (one in three), a stated trained context
/// with rotary positions (short or long, every other), encoder-decoders trained on translation,
/// one-way translation models turned the other way round,
/// checkpoints listed for zero-shot classification or sentence similarity and others no longer
/// listed for similarity, ten times the parameters (one in four: multilingual models past 1 B).
fn probe_models(base: &[Model]) -> Vec<Model> {
    const LICENCES: [Option<&str>; 7] = [
        None,
        Some("llama3.1"),
        Some("gemma"),
        Some("other"),
        Some("BSD-3-Clause"),
        Some("CC-BY-4.0"),
        Some("CC-BY-NC-SA-4.0"),
    ];
    let probes = base.iter().enumerate().map(|(i, m)| {
        let mut m = m.clone();
        m.id = format!("{}-probe", m.id);
        m.instruction_tuned = !m.instruction_tuned;
        m.license = LICENCES[i % LICENCES.len()].map(str::to_string);
        if i % 3 == 0 {
            m.languages.clear();
            // A direction names languages the model covers (`Catalog::check`).
            m.translates_from.clear();
            m.translates_into.clear();
        }
        // A one-way translation model turned the other way round.
        std::mem::swap(&mut m.translates_from, &mut m.translates_into);
        if i % 2 == 0 {
            m.context_length = Some(if i % 4 == 0 { 512 } else { 32_768 });
            m.positional = Some(Positional::Rope);
        }
        if m.family == Family::EncoderDecoder && !m.objectives.iter().any(|o| o == "translation") {
            m.objectives.push("translation".into());
        }
        let extra = ["zero-shot-classification", "sentence-similarity"][i % 2];
        if i % 5 < 2 && !m.tasks.iter().any(|t| t == extra) {
            m.tasks.push(extra.into());
        }
        if i % 5 >= 3 && m.tasks.len() > 1 {
            m.tasks.retain(|t| t != "sentence-similarity");
        }
        if i % 4 == 3 {
            m.parameters_m *= 10.0;
        }
        m
    });
    base.iter().cloned().chain(probes).collect()
}

/// The default bundle with its catalog replaced by `models`, through the normal load path
/// (schema, semantic checks, preparation, smoke test).
fn bundle_with(models: Vec<Model>) -> Bundle {
    let catalog = Catalog { models };
    let problems = catalog.check();
    assert!(
        problems.is_empty(),
        "the synthetic catalog fails its checks: {problems:?}"
    );
    let yaml = serde_yaml::to_string(&catalog).unwrap();
    let mut files = Files::read_dir(&policies()).unwrap();
    files.0.insert("catalog.yaml".into(), yaml.into_bytes());
    Bundle::from_files(files, "synthetic".into()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The seven default criteria, natively
// ---------------------------------------------------------------------------------------------

/// A model with what the host prepares once per catalog load: each benchmark's figure and its
/// min–max normalisation across the catalog (as `host::prepare_models`), and its context limit
/// with the words that name it (what the `context_limit` and `context_basis` getters return).
struct NativeModel<'a> {
    model: &'a Model,
    /// Key → (figure, normalised figure).
    benchmarks: BTreeMap<&'a str, (f64, f64)>,
    /// `Model::context_limit`.
    context: Option<(u32, String)>,
}

/// The catalog prepared for the native rules, once per catalog (like the bundle's models).
struct NativeCatalog<'a> {
    models: Vec<NativeModel<'a>>,
    devices: &'a BTreeMap<arbiter_engine::Deployment, DeviceProfile>,
    /// Criterion names and weights, in bundle order.
    criteria: Vec<(&'a str, f64)>,
}

impl<'a> NativeCatalog<'a> {
    fn new(bundle: &'a Bundle) -> NativeCatalog<'a> {
        assert_eq!(
            bundle.manifest.combine.tie_break,
            [TieBreak::ParametersM, TieBreak::Id],
            "the native ranking hard-codes the default tie-break"
        );
        let catalog = &bundle.catalog;
        let mut ranges: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
        for m in &catalog.models {
            for (k, b) in &m.benchmarks {
                let r = ranges.entry(k.as_str()).or_insert((b.score, b.score));
                r.0 = r.0.min(b.score);
                r.1 = r.1.max(b.score);
            }
        }
        let models = catalog
            .models
            .iter()
            .map(|m| NativeModel {
                model: m,
                benchmarks: m
                    .benchmarks
                    .iter()
                    .map(|(k, b)| {
                        let (lo, hi) = ranges[k.as_str()];
                        let mut x = if hi > lo {
                            (b.score - lo) / (hi - lo)
                        } else {
                            1.0
                        };
                        if b.lower_is_better && hi > lo {
                            x = 1.0 - x;
                        }
                        (k.as_str(), (b.score, x))
                    })
                    .collect(),
                context: m.context_limit(),
            })
            .collect();
        NativeCatalog {
            models,
            devices: &bundle.devices,
            criteria: bundle
                .criteria
                .iter()
                .map(|c| (c.name.as_str(), c.weight))
                .collect(),
        }
    }
}

/// What the rules need from the (normalised) task, prepared once per decision (as the host's
/// `TaskView`).
struct Prepared<'t> {
    task: &'t Task,
    t: &'static str,
    device: DeviceProfile,
    /// `task.output_tokens`: `Resources::output_tokens_for`.
    output_tokens: u32,
    /// `task.precisions`: `Resources::accepted_precisions`, most precise first.
    precisions: Vec<Precision>,
    /// The benchmarks that matter, sorted by key (the order of a Rhai map's `keys()`).
    relevant: Vec<(String, f64)>,
}

type Rule = for<'a, 't> fn(&Prepared<'t>, &NativeModel<'a>) -> Verdict;

fn rule(name: &str) -> Rule {
    match name {
        "task_type" => task_type,
        "language" => language,
        "domain" => domain,
        "resources" => resources,
        "data_volume" => data_volume,
        "benchmarks" => benchmarks,
        "licence" => licence,
        other => panic!("no native version of criterion `{other}`"),
    }
}

fn score(value: f64, reason: String) -> Verdict {
    assert!((0.0..=1.0).contains(&value), "score {value} out of range");
    Verdict::Score {
        value,
        reason,
        precision: None,
    }
}

/// `score(value, reason).with_precision(precision)`.
fn score_at(value: f64, reason: String, precision: Precision) -> Verdict {
    assert!((0.0..=1.0).contains(&value), "score {value} out of range");
    Verdict::Score {
        value,
        reason,
        precision: Some(precision),
    }
}

fn veto(reason: String) -> Verdict {
    Verdict::Veto { reason }
}

fn abstain(reason: String) -> Verdict {
    Verdict::Abstain { reason }
}

/// A float as Rhai prints it (`FloatWrapper`'s `Display`): `.0` on whole numbers, exponent
/// notation outside [1e-13, 1e13].
fn rhai_float(x: f64) -> String {
    let abs = x.abs();
    if abs == 0.0 {
        "0.0".into()
    } else if abs > f64::from(10_000_000_000_000.0_f32) || abs < f64::from(0.000_000_000_000_1_f32)
    {
        format!("{x:e}")
    } else if abs.fract() == 0.0 {
        format!("{x}.0")
    } else {
        format!("{x}")
    }
}

/// Rhai's `x.round().to_int()`.
#[allow(clippy::cast_possible_truncation)] // rounded, and far inside i64
fn round_int(x: f64) -> i64 {
    x.round() as i64
}

/// The scripts' `join(items)`: items separated by ", ".
fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for x in items {
        if !out.is_empty() {
            out += ", ";
        }
        out += x;
    }
    out
}

// task_type.rhai

#[derive(PartialEq, Eq)]
enum Kind {
    Seq2seq,
    Generation,
    ZeroShot,
    Embedding,
    Understanding,
}

/// The script's `kind(task)`: text classification with no labelled examples is zero-shot.
fn kind(p: &Prepared) -> Kind {
    let t = p.t;
    if t == "translation" || t == "summarization" {
        Kind::Seq2seq
    } else if t == "text-generation" {
        Kind::Generation
    } else if t == "zero-shot-classification"
        || (t == "text-classification" && p.task.data.labeled_examples == 0)
    {
        Kind::ZeroShot
    } else if ["sentence-similarity", "feature-extraction", "text-ranking"].contains(&t) {
        Kind::Embedding
    } else {
        Kind::Understanding
    }
}

fn suits(m: &Model, t: &str) -> bool {
    m.tasks.iter().any(|x| x == t)
}

fn has_objective(m: &Model, o: &str) -> bool {
    m.objectives.iter().any(|x| x == o)
}

/// (score, why) for a family and checkpoint on a task; score 0 is impossible.
fn fit(p: &Prepared, m: &Model) -> (f64, String) {
    let t = p.t;
    let family = m.family;
    let tuned = m.instruction_tuned;
    match kind(p) {
        Kind::Understanding => match family {
            Family::Encoder => (1.0, format!("encoder models are the guide's choice for {t}")),
            Family::EncoderDecoder => {
                let s = if t == "token-classification" {
                    0.3
                } else {
                    0.5
                };
                (
                    s,
                    format!(
                        "encoder-decoder models can do {t}, but encoder models are the guide's choice"
                    ),
                )
            }
            Family::Decoder
                if ["token-classification", "question-answering", "fill-mask"].contains(&t) =>
            {
                (0.0, String::new())
            }
            Family::Decoder => (
                0.3,
                format!("decoder models can do {t}, but encoder models are the guide's choice"),
            ),
        },
        Kind::Seq2seq => match family {
            Family::Encoder => (0.0, String::new()),
            Family::EncoderDecoder => {
                if t == "translation" && !has_objective(m, "translation") {
                    if tuned {
                        return (
                            0.9,
                            "an instruction-tuned encoder-decoder: translates by prompting; dedicated translation models come first".to_string(),
                        );
                    }
                    return (
                        0.8,
                        "an encoder-decoder not trained as a translation model: it needs parallel data before it translates well; dedicated translation models come first".to_string(),
                    );
                }
                if t == "translation" {
                    return (
                        1.0,
                        "a dedicated translation model (encoder-decoder trained on translation)"
                            .to_string(),
                    );
                }
                (
                    1.0,
                    format!("encoder-decoder models are the guide's choice for {t}"),
                )
            }
            Family::Decoder if tuned => (
                0.7,
                format!(
                    "an instruction-tuned decoder does {t} by prompting; encoder-decoders are the guide's choice"
                ),
            ),
            Family::Decoder => (
                0.4,
                format!("a base decoder does {t} poorly; encoder-decoders are the guide's choice"),
            ),
        },
        Kind::Generation => match family {
            Family::Encoder => (0.0, String::new()),
            Family::Decoder if tuned => (
                1.0,
                "an instruction-tuned decoder: follows prompts and holds a dialogue".to_string(),
            ),
            Family::Decoder => (
                0.75,
                "a base decoder: it continues text but is not tuned to follow instructions"
                    .to_string(),
            ),
            Family::EncoderDecoder if tuned => (
                0.7,
                "an instruction-tuned encoder-decoder can generate, but decoders are the choice for open generation".to_string(),
            ),
            Family::EncoderDecoder => (
                0.6,
                "encoder-decoder models can generate, but decoders are the choice for open generation".to_string(),
            ),
        },
        Kind::ZeroShot => {
            if suits(m, "zero-shot-classification") {
                (
                    1.0,
                    "listed for zero-shot classification (entailment against each label)"
                        .to_string(),
                )
            } else if tuned {
                (
                    0.9,
                    "instruction-tuned: classifies into unseen labels by prompting".to_string(),
                )
            } else {
                (
                    0.2,
                    "neither an NLI checkpoint nor instruction-tuned: it needs labelled data before it can classify".to_string(),
                )
            }
        }
        Kind::Embedding => {
            if suits(m, "sentence-similarity") && family == Family::Encoder {
                (
                    1.0,
                    "trained to embed sentences (contrastive sentence-embedding training)"
                        .to_string(),
                )
            } else if family == Family::Encoder {
                let s = if t == "sentence-similarity" { 0.4 } else { 0.6 };
                (
                    s,
                    "a pre-trained encoder not trained to embed sentences: its pooled states need contrastive fine-tuning first".to_string(),
                )
            } else {
                (
                    0.3,
                    format!("{family} models are not the choice for {t}; embedding encoders are"),
                )
            }
        }
    }
}

fn task_type(p: &Prepared, m: &NativeModel) -> Verdict {
    let t = p.t;
    let family = m.model.family;
    let (f, how) = fit(p, m.model);
    if f == 0.0 {
        if family == Family::Encoder {
            return veto(format!(
                "an encoder-only model has no decoder to generate text, and {t} needs generation"
            ));
        }
        return veto(format!(
            "a decoder-only model sees only the left context, so it cannot do {t}"
        ));
    }
    let k = kind(p);
    // Zero-shot and embeddings are judged by listing already; an instruction-tuned model does
    // seq2seq work by prompting, listed or not.
    if suits(m.model, t)
        || k == Kind::ZeroShot
        || k == Kind::Embedding
        || (k == Kind::Seq2seq && m.model.instruction_tuned)
    {
        score(f, how)
    } else {
        score(
            f * 0.5,
            format!("{how}; the catalog does not list this model for {t}, so half the score"),
        )
    }
}

// language.rhai

fn language(p: &Prepared, m: &NativeModel) -> Verdict {
    let wanted = &p.task.languages;
    if m.model.languages.is_empty() {
        return score(
            0.1,
            format!(
                "its sources state no language: coverage of {} is unconfirmed, check before use",
                join(wanted.iter().map(|l| l.as_str()))
            ),
        );
    }
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|l| !m.model.covers(l.as_str()))
        .map(|l| l.as_str())
        .collect();
    if !missing.is_empty() {
        return veto(format!("not pre-trained on {}", join(missing)));
    }
    // Direction: a one-way translation model (an OPUS-MT pair) translates its direction only.
    if p.t == "translation" && !m.model.translates_from.is_empty() {
        let way = format!(
            "{}→{}",
            join(m.model.translates_from.iter().map(|l| l.as_str())),
            join(m.model.translates_into.iter().map(|l| l.as_str()))
        );
        let sources = &p.task.source_languages;
        if sources.is_empty() {
            return veto(format!(
                "translates {way} only, and the task does not say which way it translates (set source_languages)"
            ));
        }
        for s in sources {
            for t in wanted {
                if !sources.contains(t) && !m.model.translates(s.as_str(), t.as_str()) {
                    return veto(format!("translates {way} only; the task needs {s}→{t}"));
                }
            }
        }
    }
    let k = wanted.len();
    let n = m.model.languages.len();
    if n == k {
        return score(
            1.0,
            format!(
                "pre-trained for exactly the task's languages ({})",
                join(wanted.iter().map(|l| l.as_str()))
            ),
        );
    }
    #[allow(clippy::cast_precision_loss)] // language counts
    let share = k as f64 / n as f64;
    if m.model.parameters_m >= 1000.0 {
        let s = 0.8 + 0.2 * share;
        return score(
            s,
            format!(
                "covers the task's {k} language(s) among the {n} it was pre-trained on; at {} B parameters sharing costs little",
                rhai_float((m.model.parameters_m / 1000.0).round())
            ),
        );
    }
    let s = 0.3 + 0.7 * share;
    score(
        s,
        format!("covers the task's {k} language(s) among the {n} it was pre-trained on"),
    )
}

// domain.rhai

fn related(a: Domain, b: Domain) -> bool {
    use Domain::*;
    const GROUPS: [&[Domain]; 2] = [&[Biomedical, Clinical, Scientific], &[Finance, News]];
    GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}

fn domain(p: &Prepared, m: &NativeModel) -> Verdict {
    let want = p.task.domain;
    let have = m.model.domain;
    if want == Domain::General {
        if have == Domain::General {
            return score(
                1.0,
                "general pre-training suits a general-domain task".to_string(),
            );
        }
        return score(
            0.6,
            format!("pre-trained on {have} text, narrower than a general-domain task needs"),
        );
    }
    if have == want {
        return score(
            1.0,
            format!("pre-trained on {want} text, the task's domain"),
        );
    }
    if related(want, have) {
        return score(
            0.85,
            format!("pre-trained on {have} text, close to the task's {want} domain"),
        );
    }
    if have == Domain::General {
        return score(0.4, format!("general pre-training, without {want} text"));
    }
    score(
        0.2,
        format!("pre-trained on {have} text, another domain than the task's {want}"),
    )
}

// resources.rhai

fn fmt(x: f64) -> String {
    if x >= 100.0 {
        round_int(x).to_string()
    } else {
        rhai_float((x * 10.0).round() / 10.0)
    }
}

/// "prefill 41 ms + 64 tokens × 9 ms", or the prefill alone when nothing is generated.
fn timing(c: &CallCost) -> String {
    if c.output_tokens == 0 {
        return format!("{} ms", fmt(c.latency_ms));
    }
    format!(
        "{} ms (prefill {} ms + {} tokens × {} ms)",
        fmt(c.latency_ms),
        fmt(c.prefill_ms),
        c.output_tokens,
        fmt(c.token_ms)
    )
}

fn resources(p: &Prepared, m: &NativeModel) -> Verdict {
    let r = &p.task.resources;
    let (n, out, batch) = (r.sequence_length, p.output_tokens, r.batch_size);
    let device = r.deployment.as_str();
    let model = m.model;
    let at = format!("{n} tokens, batch {batch}");

    if let Some(limit) = r.max_parameters_m.filter(|&l| model.parameters_m > l) {
        return veto(format!(
            "{} M parameters, over the limit of {} M",
            fmt(model.parameters_m),
            fmt(limit)
        ));
    }
    let what = if out > 0 {
        format!("{n} input + {out} output tokens")
    } else {
        format!("{n} input tokens")
    };
    let total = u64::from(n) + u64::from(out);
    match &m.context {
        None if total > 512 => {
            return veto(format!(
                "{what}, and no source states its context: beyond 512 tokens (what BERT and T5 were trained on) it is unconfirmed"
            ));
        }
        Some((limit, basis)) if total > u64::from(*limit) => {
            return veto(format!("{what} exceed {basis}"));
        }
        _ => {}
    }

    let device_mb = p.device.memory_mb;
    let mem_limit = match r.max_memory_mb {
        Some(b) if b < device_mb => b,
        _ => device_mb,
    };
    let mut chosen = None;
    let mut last = None;
    for &precision in &p.precisions {
        let c = estimate_call(model, &p.device, precision, n, out, batch);
        last = Some(c);
        let fits_memory = c.memory_mb <= mem_limit;
        let fits_time = r.max_latency_ms.is_none_or(|b| c.latency_ms <= b);
        if fits_memory && fits_time {
            chosen = Some(c);
            break;
        }
    }
    let Some(c) = chosen else {
        // Vetoed: the reason quotes the least precise accepted precision, the best chance.
        let c = last.expect("a task accepts at least one precision");
        let even = if p.precisions.len() > 1 { "even " } else { "" };
        if let Some(budget) = r.max_memory_mb.filter(|&b| c.memory_mb > b) {
            return veto(format!(
                "needs about {} MB {even}at {} for {at}, over the {} MB budget",
                fmt(c.memory_mb),
                c.precision,
                fmt(budget)
            ));
        }
        if c.memory_mb > device_mb {
            return veto(format!(
                "needs about {} MB {even}at {} for {at}, more than a {device} device's {} MB",
                fmt(c.memory_mb),
                c.precision,
                fmt(device_mb)
            ));
        }
        let budget = r
            .max_latency_ms
            .expect("a model that fits in memory is vetoed only by a latency budget");
        return veto(format!(
            "takes about {} on {device} {even}at {} for {at}, over the {} ms budget",
            timing(&c),
            c.precision,
            fmt(budget)
        ));
    };

    let mem_room = 1.0 - c.memory_mb / mem_limit;
    // Latency: the share of the budget left; without a budget, 100 / (100 + ms).
    let ms = c.latency_ms;
    let ms_room = match r.max_latency_ms {
        Some(budget) => 1.0 - ms / budget,
        None => 100.0 / (100.0 + ms),
    };
    let room = (mem_room + ms_room) / 2.0;
    let penalty = match c.precision {
        Precision::Int4 => 0.1,
        Precision::Int8 => 0.05,
        _ => 0.0,
    };
    let fits = if c.precision == p.precisions[0] {
        format!("at {}", c.precision)
    } else {
        format!("fits at {}", c.precision)
    };
    let estimate = format!(
        "{fits}: about {} MB and {} on {device} for {at}",
        fmt(c.memory_mb),
        timing(&c)
    );
    let small = device == "mobile" || device == "edge";
    let s = if small { room } else { 0.8 + 0.2 * room };
    // Rhai's `max`: `if x >= y { x } else { y }`.
    let s = if s - penalty >= 0.0 { s - penalty } else { 0.0 };
    let why = if small {
        let light = if model.parameters_m < 70.0 {
            "a lightweight model"
        } else {
            "not a lightweight model"
        };
        format!(
            "{estimate}; {light}, {}% headroom on the device",
            round_int(room * 100.0)
        )
    } else {
        format!("{estimate}; {}% headroom", round_int(room * 100.0))
    };
    let why = if penalty > 0.0 {
        format!(
            "{why}; quantised to {}, a little accuracy lost",
            c.precision
        )
    } else {
        why
    };
    let why = match r.max_memory_mb {
        Some(budget) if budget > device_mb => format!(
            "{why} (the task's {} MB budget is more than a {device} device's {} MB: the device bounds it; set [devices.{device}] in bundle.toml to your hardware)",
            fmt(budget),
            fmt(device_mb)
        ),
        _ => why,
    };
    score_at(s, why, c.precision)
}

// data_volume.rhai

fn data_volume(p: &Prepared, m: &NativeModel) -> Verdict {
    const NAMES: [&str; 3] = ["small", "base", "large"];
    const PROMPTED: [&str; 4] = [
        "text-generation",
        "zero-shot-classification",
        "summarization",
        "translation",
    ];
    let n = p.task.data.labeled_examples;
    let t = p.t;
    if m.model.instruction_tuned && (PROMPTED.contains(&t) || n == 0) {
        let per_token = active_parameters_m(m.model);
        // Rhai's `max` and `min`: `if x >= y { x } else { y }`, `if x <= y { x } else { y }`.
        let s = (per_token / 100.0).ln() / 80.0_f64.ln();
        let s = if s >= 0.1 { s } else { 0.1 };
        let s = if s <= 1.0 { s } else { 1.0 };
        return score(
            s,
            format!(
                "instruction-tuned and used by prompting (or LoRA): data volume does not limit its size, and what it does grows with scale ({} M parameters per token)",
                round_int(per_token)
            ),
        );
    }
    if n == 0 {
        let model = m.model;
        if suits(model, "zero-shot-classification")
            && ["zero-shot-classification", "text-classification"].contains(&t)
        {
            return score(
                1.0,
                "no labelled data, and none needed: an NLI checkpoint classifies as it is"
                    .to_string(),
            );
        }
        if suits(model, "sentence-similarity")
            && ["sentence-similarity", "feature-extraction", "text-ranking"].contains(&t)
        {
            return score(
                1.0,
                "no labelled data, and none needed: an embedding model embeds and ranks as it is"
                    .to_string(),
            );
        }
        if t == "translation" && has_objective(model, "translation") {
            return score(
                1.0,
                "no labelled data, and none needed: a translation model translates as it is"
                    .to_string(),
            );
        }
        if ["fill-mask", "feature-extraction"].contains(&t)
            || (t == "text-generation" && model.family == Family::Decoder)
        {
            return abstain(format!(
                "zero-shot: a pre-trained model does {t} as it is, and no data limits its size"
            ));
        }
        return score(
            0.1,
            format!("no labelled data: this checkpoint must be fine-tuned for {t} before use"),
        );
    }
    let layers = layer_parameters_m(m.model);
    let size = if m.model.parameters_m < layers {
        m.model.parameters_m
    } else {
        layers
    };
    let want: usize = if n < 100_000 {
        0
    } else if n < 1_000_000 {
        1
    } else {
        2
    };
    let have: usize = if size < 60.0 {
        0
    } else if size < 250.0 {
        1
    } else {
        2
    };
    let s = match want.abs_diff(have) {
        0 => 1.0,
        1 => 0.5,
        _ => 0.1,
    };
    score(
        s,
        format!(
            "{n} labelled examples suit a {} model; this one is {} ({} M parameters to fit)",
            NAMES[want],
            NAMES[have],
            round_int(size)
        ),
    )
}

// benchmarks.rhai

fn relevant(task: &Task) -> Vec<(String, f64)> {
    if !task.benchmarks.is_empty() {
        return task
            .benchmarks
            .iter()
            .map(|(k, w)| (k.as_str().to_string(), w.0))
            .collect();
    }
    // News text is what general benchmarks are made of.
    if task.domain != Domain::General && task.domain != Domain::News {
        return Vec::new();
    }
    let t = task.task.as_str();
    let langs = &task.languages;
    let chinese = langs.len() == 1 && langs[0].as_str() == "zh";
    let english = langs.len() == 1 && langs[0].as_str() == "en";
    let keys: &[&str] = if t == "question-answering" {
        if chinese {
            &["cmrc2018", "drcd"]
        } else {
            &["squad-v1.1", "squad-v2.0"]
        }
    } else if t == "zero-shot-classification" {
        &["mnli", "xnli", "mmlu", "ifeval"]
    } else if t == "translation" {
        &["wmt14-en-de", "wmt14-en-fr"]
    } else if t == "summarization" {
        &["cnn-dailymail"]
    } else if t == "text-generation" {
        &["mmlu", "ifeval"]
    } else if t != "text-classification" {
        &[]
    } else if chinese {
        &["xnli-zh"]
    } else if !english {
        &["xnli"]
    } else {
        &["glue"]
    };
    let mut out: Vec<(String, f64)> = keys.iter().map(|k| (k.to_string(), 1.0)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn benchmarks(p: &Prepared, m: &NativeModel) -> Verdict {
    if p.relevant.is_empty() {
        if p.task.domain != Domain::General {
            return abstain(format!(
                "general benchmarks say nothing about {} text, and the task names none",
                p.task.domain
            ));
        }
        return abstain(format!(
            "no benchmark in the catalog measures {}",
            p.task.task
        ));
    }
    let mut total = 0.0;
    let mut sum = 0.0;
    let mut used = String::new();
    for (key, w) in &p.relevant {
        total += w;
        if let Some(&(figure, x)) = m.benchmarks.get(key.as_str()) {
            sum += w * (0.5 + 0.5 * x);
            if !used.is_empty() {
                used += ", ";
            }
            used += &format!("{key} {}", rhai_float(figure));
        }
    }
    if total == 0.0 {
        return abstain("the task gives every benchmark weight 0".to_string());
    }
    if used.is_empty() {
        let keys: Vec<&str> = p.relevant.iter().map(|(k, _)| k.as_str()).collect();
        return score(0.0, format!("no published result on {keys:?}"));
    }
    score(
        sum / total,
        format!(
            "published: {used} ({}% after normalising across the catalog)",
            round_int(sum / total * 100.0)
        ),
    )
}

// licence.rhai

fn licence(_: &Prepared, m: &NativeModel) -> Verdict {
    let Some(l) = m.model.license.as_deref() else {
        return score(
            0.5,
            "no known licence: establish the terms before use".to_string(),
        );
    };
    if l.starts_with("CC-BY-NC") {
        return score(0.3, format!("{l}: non-commercial use only"));
    }
    if l.starts_with("CC-BY-SA") {
        return score(
            0.7,
            format!("{l}: share-alike, derivatives under the same terms"),
        );
    }
    if l == "Apache-2.0" || l == "MIT" || l.starts_with("BSD") || l.starts_with("CC-BY") {
        return score(1.0, format!("{l}: permissive"));
    }
    if l.starts_with("llama") {
        return score(
            0.7,
            format!(
                "{l}: Meta's community licence (acceptable-use policy; separate terms above 700 M monthly users)"
            ),
        );
    }
    if l == "gemma" {
        return score(
            0.7,
            "gemma: Google's Gemma terms of use (prohibited-use policy)".to_string(),
        );
    }
    score(0.7, format!("{l}: custom terms, read before use"))
}

/// The native counterpart of a decision: what `decide` ranks and rejects.
struct NativeDecision {
    chosen: Option<String>,
    ranking: Vec<Ranked>,
    rejected: Vec<Rejection>,
}

/// One selection with the native rules, combined exactly as `decide` combines.
fn native_select(catalog: &NativeCatalog, task: &Task) -> NativeDecision {
    let task = &task.clone().normalised();
    let r = &task.resources;
    let prepared = Prepared {
        task,
        t: task.task.as_str(),
        device: catalog.devices[&r.deployment],
        output_tokens: r.output_tokens_for(task.task),
        precisions: r.accepted_precisions(),
        relevant: relevant(task),
    };
    let criteria: Vec<(&str, f64, Rule)> = catalog
        .criteria
        .iter()
        .map(|&(name, weight)| {
            let w = task
                .weights
                .iter()
                .find(|(k, _)| k.as_str() == name)
                .map_or(weight, |(_, w)| w.0);
            (name, w, rule(name))
        })
        .collect();
    let verdicts: Vec<Vec<Result<Verdict, ScriptFault>>> = catalog
        .models
        .par_iter()
        .map(|m| criteria.iter().map(|c| Ok((c.2)(&prepared, m))).collect())
        .collect();
    // Combined by the engine's own pure `combine`: the bench compares the rules, not two copies
    // of the combination.
    let models: Vec<&Model> = catalog.models.iter().map(|m| m.model).collect();
    let infos: Vec<CriterionInfo<'_>> = criteria
        .iter()
        .map(|&(name, weight, _)| CriterionInfo {
            name,
            weight,
            on_error: OnError::Fail,
            script: name,
        })
        .collect();
    let combined = combine(
        &models,
        &infos,
        verdicts,
        &[TieBreak::ParametersM, TieBreak::Id],
    );
    NativeDecision {
        chosen: combined.chosen,
        ranking: combined.ranking,
        rejected: combined.rejected,
    }
}

// ---------------------------------------------------------------------------------------------
// The differential check
// ---------------------------------------------------------------------------------------------

/// Panics unless the native rules decide exactly as the scripts: same chosen model, same vetoes
/// (model, criterion and reason, in order), same ranking with scores, contributions and margins
/// within 1e-9, the same weights, statuses, reasons and precisions. Returns (ranked, rejected)
/// for the report.
fn check_agreement(what: &str, scripted: &Decision, native: &NativeDecision) -> (usize, usize) {
    assert!(
        scripted.errors.is_empty(),
        "{what}: the scripts failed: {:?}",
        scripted.errors
    );
    assert_eq!(scripted.chosen, native.chosen, "{what}: chosen model");
    let vetoes = |r: &[Rejection]| -> Vec<(String, String)> {
        r.iter()
            .map(|r| (r.model.clone(), r.criterion.clone()))
            .collect()
    };
    assert_eq!(
        vetoes(&scripted.rejected),
        vetoes(&native.rejected),
        "{what}: vetoed models"
    );
    for (s, n) in scripted.rejected.iter().zip(&native.rejected) {
        assert_eq!(s.reason, n.reason, "{what}: veto reason for {}", s.model);
    }
    assert_eq!(
        scripted.ranking.len(),
        native.ranking.len(),
        "{what}: ranked models"
    );
    for (i, (s, n)) in scripted.ranking.iter().zip(&native.ranking).enumerate() {
        assert_eq!(s.model, n.model, "{what}: model at rank {}", i + 1);
        let names = |r: &Ranked| r.criteria.keys().cloned().collect::<Vec<_>>();
        assert_eq!(names(s), names(n), "{what}: criteria of {}", s.model);
        for (name, sc) in &s.criteria {
            let nc = &n.criteria[name];
            let m = &s.model;
            assert_eq!(sc.status, nc.status, "{what}: {name} status for {m}");
            assert_eq!(sc.reasons, nc.reasons, "{what}: {name} reason for {m}");
            let close = match (sc.score, nc.score) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
                (a, b) => a == b,
            };
            assert!(
                close,
                "{what}: {name} score for {m}: {:?} vs {:?}",
                sc.score, nc.score
            );
            assert_eq!(
                sc.precision, nc.precision,
                "{what}: {name} precision for {m}"
            );
            assert!(
                sc.weight == nc.weight,
                "{what}: {name} weight for {m}: {} vs {}",
                sc.weight,
                nc.weight
            );
            assert!(
                (sc.contribution - nc.contribution).abs() <= 1e-9,
                "{what}: {name} contribution for {m}: {} vs {}",
                sc.contribution,
                nc.contribution
            );
        }
        assert_eq!(s.rank, n.rank, "{what}: rank of {}", s.model);
        assert_eq!(s.precision, n.precision, "{what}: precision of {}", s.model);
        let close = match (s.margin, n.margin) {
            (Some(a), Some(b)) => (a - b).abs() <= 1e-9,
            (a, b) => a == b,
        };
        assert!(
            close,
            "{what}: margin of {}: {:?} vs {:?}",
            s.model, s.margin, n.margin
        );
        assert!(
            (s.score - n.score).abs() <= 1e-9,
            "{what}: score of {} at rank {}: scripted {} native {}",
            s.model,
            i + 1,
            s.score,
            n.score
        );
    }
    (native.ranking.len(), native.rejected.len())
}

// ---------------------------------------------------------------------------------------------
// The benchmark
// ---------------------------------------------------------------------------------------------

fn select(c: &mut Criterion) {
    let started = std::time::Instant::now();
    let default = Bundle::load(&policies(), None).unwrap();
    let chinese = load_task(&repo().join("examples/tasks/chinese-sentiment-cpu.yaml")).unwrap();
    let english = task_from_str(ENGLISH_TASK, Syntax::Yaml, "bench").unwrap();
    let synthetic = bundle_with(synthetic_models(&default.catalog.models, SYNTHETIC_MODELS));
    eprintln!(
        "setup: default bundle and a {}-model synthetic bundle loaded in {:.1} s",
        synthetic.catalog.models.len(),
        started.elapsed().as_secs_f64()
    );

    let probe = bundle_with(probe_models(&default.catalog.models));
    let native_default = NativeCatalog::new(&default);
    let native_synthetic = NativeCatalog::new(&synthetic);
    let native_probe = NativeCatalog::new(&probe);
    let mut examples: Vec<PathBuf> = std::fs::read_dir(repo().join("examples/tasks"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "json")
            )
        })
        .collect();
    examples.sort();
    let mut default_tasks: Vec<(String, Task)> = vec![
        ("the timed Chinese task".into(), chinese.clone()),
        ("the timed English task".into(), english.clone()),
    ];
    for path in &examples {
        let name = path.file_name().unwrap().to_string_lossy();
        default_tasks.push((format!("examples/tasks/{name}"), load_task(path).unwrap()));
    }
    for (i, text) in CHECK_TASKS.iter().enumerate() {
        let task = task_from_str(text, Syntax::Yaml, "bench").unwrap();
        default_tasks.push((format!("check task {i} ({})", task.name), task));
    }
    let generation = default_tasks
        .iter()
        .find(|(_, t)| t.name.starts_with("edge assistant"))
        .unwrap()
        .1
        .clone();
    let synthetic_tasks: Vec<(String, Task)> = vec![
        ("the timed English task".into(), english.clone()),
        ("the timed Chinese task".into(), chinese.clone()),
        ("the edge generation task".into(), generation),
    ];
    let checks = default_tasks
        .iter()
        .map(|(name, task)| ("default catalog", &default, &native_default, name, task))
        .chain(
            default_tasks
                .iter()
                .map(|(name, task)| ("probe catalog", &probe, &native_probe, name, task)),
        )
        .chain(synthetic_tasks.iter().map(|(name, task)| {
            (
                "synthetic catalog",
                &synthetic,
                &native_synthetic,
                name,
                task,
            )
        }));
    let mut totals = (0, 0, 0);
    for (catalog, bundle, native, name, task) in checks {
        let what = format!("{catalog}, {name}");
        let scripted = decide(bundle, task.clone()).unwrap();
        let (ranked, rejected) = check_agreement(&what, &scripted, &native_select(native, task));
        totals = (totals.0 + 1, totals.1 + ranked, totals.2 + rejected);
        eprintln!(
            "agree: {what}: {} models, {ranked} ranked, {rejected} vetoes, chosen {} at {}",
            bundle.catalog.models.len(),
            scripted.chosen.as_deref().unwrap_or("-"),
            scripted
                .ranking
                .first()
                .and_then(|r| r.precision)
                .map_or("-", Precision::as_str)
        );
    }
    eprintln!(
        "agree: {} decisions, {} ranked models and {} vetoes compared, no difference",
        totals.0, totals.1, totals.2
    );

    let mut group = c.benchmark_group("select");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    group.bench_function("default-catalog/scripted", |b| {
        b.iter(|| decide(black_box(&default), black_box(&chinese).clone()).unwrap());
    });
    group.bench_function("default-catalog/native", |b| {
        b.iter(|| native_select(black_box(&native_default), black_box(&chinese)));
    });

    // One scripted select over 10 000 models takes long enough that criterion's linear sampling
    // (1 + 2 + … + 10 iterations) would take most of a minute: flat sampling, one per sample.
    group
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("synthetic-10k/scripted", |b| {
        b.iter(|| decide(black_box(&synthetic), black_box(&english).clone()).unwrap());
    });
    group.bench_function("synthetic-10k/native", |b| {
        b.iter(|| native_select(black_box(&native_synthetic), black_box(&english)));
    });
    group.finish();
}

criterion_group!(benches, select);
criterion_main!(benches);
