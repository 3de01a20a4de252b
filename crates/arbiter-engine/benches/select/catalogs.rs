//! The catalogs the bench decides over besides the default one: 10 000 synthetic variants of
//! the default models (timed), and a probe of each default model (checked, never timed).

use arbiter_engine::bundle::Files;
use arbiter_engine::catalog::Positional;
use arbiter_engine::{Bundle, Catalog, Family, Model};

use super::policies;

/// The frozen bundle's files (`benches/policies/`) with the live catalog,
/// `policies/catalog.yaml`, as its catalog: the rules stay frozen, the models are today's.
pub(super) fn frozen_files() -> Files {
    let mut files = Files::read_dir(&policies()).unwrap();
    let live = policies().join("../../../../policies/catalog.yaml");
    files
        .0
        .insert("catalog.yaml".into(), std::fs::read(live).unwrap());
    files
}

/// The frozen bundle with the live catalog.
pub(super) fn frozen_bundle() -> Bundle {
    Bundle::from_files(frozen_files(), "benches/policies".into()).unwrap()
}

/// `n` variants of the base models, deterministic: model i is base model i % len with its id
/// suffixed `-synth-{i}`, its hidden size moved by a multiple of its head count (so it still
/// splits into heads; heads and key-value heads are left alone, so grouped-query models keep
/// their groups), one to three more layers every other variant, ±15 % parameters (and active
/// parameters with them, capped at the total), and every benchmark figure moved by up to ±1
/// point. Notes and all sources but the first are dropped, to keep the YAML small. The result
/// passes `Catalog::check` (asserted before the bundle is built).
pub(super) fn synthetic_models(base: &[Model], n: usize) -> Vec<Model> {
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
pub(super) fn probe_models(base: &[Model]) -> Vec<Model> {
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
pub(super) fn bundle_with(models: Vec<Model>) -> Bundle {
    let catalog = Catalog { models };
    let problems = catalog.check();
    assert!(
        problems.is_empty(),
        "the synthetic catalog fails its checks: {problems:?}"
    );
    let yaml = arbiter_engine::yaml::to_string(&serde_json::to_value(&catalog).unwrap());
    let mut files = frozen_files();
    files.0.insert("catalog.yaml".into(), yaml.into_bytes());
    Bundle::from_files(files, "synthetic".into()).unwrap()
}

/// The default bundle cut down to the one criterion `name` (its script as it is, weight 1), or,
/// for `name == "floor"`, to one criterion whose script only returns a constant score: the cost
/// of calling a script at all.
pub(super) fn bundle_of_one(name: &str) -> Bundle {
    let mut files = frozen_files();
    let manifest = String::from_utf8(files.0["bundle.toml"].clone()).unwrap();
    // The manifest up to its first criterion, then that criterion alone.
    let head = manifest.split("\n[[criterion]]").next().unwrap();
    let devices = manifest.find("[devices.").map_or("", |at| &manifest[at..]);
    let script = if name == "floor" {
        files.0.insert(
            "criteria/floor.rhai".into(),
            b"fn evaluate(task, model) { score(1.0, \"constant\") }\n".to_vec(),
        );
        "criteria/floor.rhai".to_string()
    } else {
        format!("criteria/{name}.rhai")
    };
    let text = format!(
        "{head}\n[[criterion]]\nname = \"{name}\"\nscript = \"{script}\"\nweight = 1.0\non_error = \"fail\"\n\n{devices}"
    );
    files.0.insert("bundle.toml".into(), text.into_bytes());
    // The golden cases are written for the whole bundle.
    files.0.retain(|k, _| !k.starts_with("tests/"));
    Bundle::from_files(files, format!("one criterion: {name}")).unwrap()
}
