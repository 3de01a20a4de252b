//! What one `select` costs, and how much of it is the scripting.
//!
//! Measured, each as one complete decision:
//!
//! - `select/default-catalog/scripted`: [`arbiter_engine::decide`] with the default bundle
//!   (`policies/`, 47 models) on `examples/tasks/chinese-sentiment-cpu.yaml`;
//! - `select/synthetic-10k/scripted`: the same bundle with its catalog replaced by 10 000
//!   deterministic variants of the default models, on an English text-classification task on
//!   cloud-gpu without budgets (so most models survive the vetoes and are ranked);
//! - `select/.../native`: the six default criteria written in Rust in this file, as close to
//!   `policies/criteria/*.rhai` as Rust allows (same arithmetic in the same order, the same reason
//!   strings, the engine's cost model), evaluated in parallel over the models with rayon and
//!   combined as `decide` combines (vetoes first, then Σ wᵢ·sᵢ / Σ wᵢ over the criteria that
//!   answered, ties by `parameters_m` then id), into the engine's own `Ranked` and `Rejection`
//!   records. The decision's envelope (UUID, timestamp, task hash) is left out of the native side:
//!   it costs microseconds. Both sides drop their result inside the timed loop; over 10 000 models
//!   that drop is itself some 15–20 ms.
//!
//! Before anything is timed, a differential check asserts that both sides agree, on both catalogs
//! and for both tasks: the chosen model, every veto (model and criterion), the ranking order, every
//! score to 1e-9 and every reason string. A disagreement panics, so the bench fails — which is
//! also what happens when a script in `policies/criteria/` changes: mirror the change here.
//!
//! Run it with `cargo bench -p arbiter-engine --bench select` (about 20 s on two cores once
//! built); `cargo bench -p arbiter-engine --bench select -- synthetic` runs only the 10 000-model
//! cases.

// A bench is a test harness: a broken fixture or a disagreement must stop it, loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arbiter_engine::bundle::{Files, TieBreak};
use arbiter_engine::cost::{
    DeviceProfile, Precision, estimate_latency_ms, estimate_memory_mb, layer_parameters_m,
};
use arbiter_engine::decide::{CriterionResult, Decision, Ranked, Rejection, Status};
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

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn policies() -> PathBuf {
    repo().join("policies")
}

// ---------------------------------------------------------------------------------------------
// The synthetic catalog
// ---------------------------------------------------------------------------------------------

/// `n` variants of the base models, deterministic: model i is base model i % len with its id
/// suffixed `-synth-{i}`, its hidden size moved by a multiple of its head count (so it still
/// splits into heads), one to three more layers every other variant, ±15 % parameters, and every
/// benchmark figure moved by up to ±1 point. Notes and all sources but the first are dropped, to
/// keep the YAML small.
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

/// The default bundle with its catalog replaced by `models`, through the normal load path
/// (schema, semantic checks, preparation, smoke test).
fn bundle_with(models: Vec<Model>) -> Bundle {
    let yaml = serde_yaml::to_string(&Catalog { models }).unwrap();
    let mut files = Files::read_dir(&policies()).unwrap();
    files.0.insert("catalog.yaml".into(), yaml.into_bytes());
    Bundle::from_files(files, "synthetic".into()).unwrap()
}

// ---------------------------------------------------------------------------------------------
// The six default criteria, natively
// ---------------------------------------------------------------------------------------------

/// A model with what the host prepares once per catalog load: each benchmark's figure and its
/// min–max normalisation across the catalog (as `host::prepare_models`).
struct NativeModel<'a> {
    model: &'a Model,
    /// Key → (figure, normalised figure).
    benchmarks: BTreeMap<&'a str, (f64, f64)>,
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

/// What the rules need from the task, prepared once per decision (as the host's `TaskView`).
struct Prepared<'t> {
    task: &'t Task,
    t: &'static str,
    device: DeviceProfile,
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

// task_type.rhai

#[derive(PartialEq, Eq)]
enum Kind {
    Seq2seq,
    Generation,
    Understanding,
}

fn kind(t: &str) -> Kind {
    if t == "translation" || t == "summarization" {
        Kind::Seq2seq
    } else if t == "text-generation" {
        Kind::Generation
    } else {
        Kind::Understanding
    }
}

fn fit(t: &str, family: Family) -> f64 {
    match kind(t) {
        Kind::Understanding => match family {
            Family::Encoder => 1.0,
            Family::EncoderDecoder if t == "token-classification" => 0.3,
            Family::EncoderDecoder => 0.5,
            Family::Decoder
                if ["token-classification", "question-answering", "fill-mask"].contains(&t) =>
            {
                0.0
            }
            Family::Decoder => 0.3,
        },
        Kind::Seq2seq => match family {
            Family::EncoderDecoder => 1.0,
            Family::Decoder => 0.4,
            Family::Encoder => 0.0,
        },
        Kind::Generation => match family {
            Family::Decoder => 1.0,
            Family::EncoderDecoder => 0.6,
            Family::Encoder => 0.0,
        },
    }
}

fn preferred(t: &str) -> &'static str {
    match kind(t) {
        Kind::Understanding => "encoder",
        Kind::Seq2seq => "encoder-decoder",
        Kind::Generation => "decoder",
    }
}

fn task_type(p: &Prepared, m: &NativeModel) -> Verdict {
    let t = p.t;
    let family = m.model.family;
    let f = fit(t, family);
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
    let how = if f == 1.0 {
        format!("{family} models are the guide's choice for {t}")
    } else {
        format!(
            "{family} models can do {t}, but {} models are the guide's choice",
            preferred(t)
        )
    };
    if m.model.tasks.iter().any(|x| x == t) {
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
    let languages = &p.task.languages;
    let missing: Vec<&str> = languages
        .iter()
        .filter(|l| !m.model.languages.iter().any(|x| x == *l))
        .map(|l| l.as_str())
        .collect();
    if !missing.is_empty() {
        return veto(format!("not pre-trained on {}", missing.join(", ")));
    }
    let k = languages.len();
    let n = m.model.languages.len();
    if n == k {
        let all: Vec<&str> = languages.iter().map(|l| l.as_str()).collect();
        return score(
            1.0,
            format!(
                "pre-trained for exactly the task's languages ({})",
                all.join(", ")
            ),
        );
    }
    #[allow(clippy::cast_precision_loss)] // language counts
    let s = 0.3 + 0.7 * k as f64 / n as f64;
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

fn resources(p: &Prepared, m: &NativeModel) -> Verdict {
    let r = &p.task.resources;
    let (n, batch) = (r.sequence_length, r.batch_size);
    let device = r.deployment.as_str();
    let model = m.model;
    let mem = estimate_memory_mb(model, Precision::Fp32, n, 0, batch);
    let ms = estimate_latency_ms(model, &p.device, n, batch);
    let at = format!("at {n} tokens, batch {batch}");

    // (No let-chains: the workspace's MSRV is 1.85.)
    if let Some(limit) = r.max_parameters_m.filter(|&l| model.parameters_m > l) {
        return veto(format!(
            "{} M parameters, over the limit of {} M",
            fmt(model.parameters_m),
            fmt(limit)
        ));
    }
    if let Some(budget) = r.max_memory_mb.filter(|&b| mem > b) {
        return veto(format!(
            "needs about {} MB at fp32 {at}, over the {} MB budget",
            fmt(mem),
            fmt(budget)
        ));
    }
    let device_mb = p.device.memory_mb;
    if mem > device_mb {
        return veto(format!(
            "needs about {} MB at fp32 {at}, more than a {device} device's {} MB",
            fmt(mem),
            fmt(device_mb)
        ));
    }
    if let Some(budget) = r.max_latency_ms.filter(|&b| ms > b) {
        return veto(format!(
            "takes about {} ms on {device} {at}, over the {} ms budget",
            fmt(ms),
            fmt(budget)
        ));
    }

    let mem_limit = match r.max_memory_mb {
        Some(b) if b < device_mb => b,
        _ => device_mb,
    };
    let mem_room = 1.0 - mem / mem_limit;
    let ms_room = match r.max_latency_ms {
        Some(budget) => 1.0 - ms / budget,
        None => 100.0 / (100.0 + ms),
    };
    let room = (mem_room + ms_room) / 2.0;
    let estimate = format!("about {} MB and {} ms on {device} {at}", fmt(mem), fmt(ms));
    if device == "mobile" || device == "edge" {
        let light = if model.parameters_m < 70.0 {
            "a lightweight model"
        } else {
            "not a lightweight model"
        };
        score(
            room,
            format!(
                "{estimate}: {light}, {}% headroom on the device",
                round_int(room * 100.0)
            ),
        )
    } else {
        score(
            0.8 + 0.2 * room,
            format!("{estimate}: fits, {}% headroom", round_int(room * 100.0)),
        )
    }
}

// data_volume.rhai

fn data_volume(p: &Prepared, m: &NativeModel) -> Verdict {
    const NAMES: [&str; 3] = ["small", "base", "large"];
    let n = p.task.data.labeled_examples;
    if n == 0 {
        return abstain(
            "zero-shot: no fine-tuning data, so data volume does not limit model size".to_string(),
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
        &["mnli", "xnli"]
    } else if t == "translation" {
        &["wmt14-en-de", "wmt14-en-fr"]
    } else if t == "summarization" {
        &["cnn-dailymail"]
    } else if t == "text-generation" {
        &["wikitext-103"]
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

/// The native counterpart of a decision: what `decide` ranks and rejects.
struct NativeDecision {
    chosen: Option<String>,
    ranking: Vec<Ranked>,
    rejected: Vec<Rejection>,
}

/// One selection with the native rules, combined exactly as `decide` combines.
fn native_select(catalog: &NativeCatalog, task: &Task) -> NativeDecision {
    let prepared = Prepared {
        task,
        t: task.task.as_str(),
        device: catalog.devices[&task.resources.deployment],
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
    let verdicts: Vec<Vec<Verdict>> = catalog
        .models
        .par_iter()
        .map(|m| criteria.iter().map(|c| (c.2)(&prepared, m)).collect())
        .collect();

    let mut ranking = Vec::new();
    let mut rejected = Vec::new();
    for (m, outcomes) in catalog.models.iter().zip(verdicts) {
        let id = &m.model.id;
        let mut vetoed = false;
        let mut results: BTreeMap<String, CriterionResult> = BTreeMap::new();
        for (&(name, w, _), outcome) in criteria.iter().zip(outcomes) {
            let result = |status, score, reason: String| CriterionResult {
                status,
                score,
                weight: w,
                contribution: 0.0,
                reasons: vec![reason],
                precision: None,
            };
            let entry = match outcome {
                Verdict::Score { value, reason, .. } => result(Status::Ok, Some(value), reason),
                Verdict::Abstain { reason } => result(Status::Abstained, None, reason),
                Verdict::Veto { reason } => {
                    vetoed = true;
                    rejected.push(Rejection {
                        model: id.clone(),
                        criterion: name.to_string(),
                        reason,
                    });
                    continue;
                }
            };
            results.insert(name.to_string(), entry);
        }
        if vetoed {
            continue;
        }
        let total: f64 = results
            .values()
            .filter(|r| r.status == Status::Ok)
            .map(|r| r.weight)
            .sum();
        let mut score = 0.0;
        for r in results.values_mut() {
            if let (Status::Ok, Some(s)) = (r.status, r.score) {
                r.contribution = if total > 0.0 {
                    r.weight * s / total
                } else {
                    0.0
                };
                score += r.contribution;
            }
        }
        ranking.push((
            m.model,
            Ranked {
                rank: 0,
                model: id.clone(),
                score,
                margin: None,
                precision: None,
                criteria: results,
            },
        ));
    }
    ranking.sort_by(|(ma, a), (mb, b)| {
        b.score.total_cmp(&a.score).then_with(|| {
            ma.parameters_m
                .total_cmp(&mb.parameters_m)
                .then_with(|| ma.id.cmp(&mb.id))
        })
    });
    let scores: Vec<f64> = ranking.iter().map(|(_, r)| r.score).collect();
    let mut ranking: Vec<Ranked> = ranking.into_iter().map(|(_, r)| r).collect();
    for (i, r) in ranking.iter_mut().enumerate() {
        r.rank = i + 1;
        r.margin = scores.get(i + 1).map(|next| r.score - next);
    }
    NativeDecision {
        chosen: ranking.first().map(|r| r.model.clone()),
        ranking,
        rejected,
    }
}

// ---------------------------------------------------------------------------------------------
// The differential check
// ---------------------------------------------------------------------------------------------

/// Panics unless the native rules decide exactly as the scripts: same chosen model, same vetoes
/// (model, criterion and reason, in order), same ranking with scores within 1e-9 and the same
/// reasons. Returns (ranked, rejected) for the report.
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
        }
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

    let native_default = NativeCatalog::new(&default);
    let native_synthetic = NativeCatalog::new(&synthetic);
    for (what, bundle, native, task) in [
        (
            "default catalog, Chinese task",
            &default,
            &native_default,
            &chinese,
        ),
        (
            "default catalog, English task",
            &default,
            &native_default,
            &english,
        ),
        (
            "synthetic catalog, English task",
            &synthetic,
            &native_synthetic,
            &english,
        ),
        (
            "synthetic catalog, Chinese task",
            &synthetic,
            &native_synthetic,
            &chinese,
        ),
    ] {
        let scripted = decide(bundle, task.clone()).unwrap();
        let (ranked, rejected) = check_agreement(what, &scripted, &native_select(native, task));
        eprintln!(
            "agree: {what}: {} models, {ranked} ranked, {rejected} vetoes, chosen {}",
            bundle.catalog.models.len(),
            scripted.chosen.as_deref().unwrap_or("-")
        );
    }

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
