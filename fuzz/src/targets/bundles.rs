//! `bundle.toml` and criterion scripts: what a policy author writes.

use arbiter_engine::bundle::{self, Files};
use arbiter_engine::{Bundle, BundleError, Task};

use crate::corpus;
use crate::harness::{Target, Verdict, class_of, sampled};

fn bundle_error_class(tag: u8, e: &BundleError) -> u64 {
    let text = e.to_string();
    // The message without the origin and position, cut before what varies.
    let tail = text.rsplit(": ").next().unwrap_or("");
    let head: String = tail
        .split([
            '`', '"', '\'', '(', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
        ])
        .next()
        .unwrap_or("")
        .into();
    class_of((tag, std::mem::discriminant(e), head))
}

fn decide_class(tag: u8, bundle: &Bundle, task: Task) -> u64 {
    match arbiter_engine::decide::decide_stamped(bundle, task, corpus::stamp()) {
        Ok(d) => class_of((
            tag,
            d.outcome.as_str().to_string(),
            d.errors
                .iter()
                .map(|e| e.message.split(['`', '(']).next().unwrap_or("").to_string())
                .collect::<Vec<_>>(),
        )),
        Err(e) => class_of((tag + 1, e.pointer())),
    }
}

/// `manifest`: `bundle.toml` through `parse_manifest`; a sample of those that parse loads as
/// the manifest of the default bundle (small catalog) and decides on a fixed task.
pub struct ManifestTarget {
    policies: Files,
    task: Task,
    valid: u64,
    decide_every: u64,
}

impl ManifestTarget {
    /// The default bundle's files, for the sampled loads.
    pub fn new() -> ManifestTarget {
        ManifestTarget {
            policies: corpus::small_policies(6),
            task: corpus::fixed_task(),
            valid: 0,
            decide_every: 4,
        }
    }
}

impl Target for ManifestTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = vec![corpus::text("policies/bundle.toml").into_bytes()];
        seeds.push(corpus::text("examples/bundles/commercial/bundle.toml").into_bytes());
        // The hostile cases' manifest, with each case's limits.
        for path in corpus::files("tests/cases/hostile", &["rhai"]) {
            let script = std::fs::read_to_string(path).unwrap_or_default();
            let limits: Vec<&str> = script
                .lines()
                .filter_map(|l| l.strip_prefix("// limits: "))
                .collect();
            if !limits.is_empty() {
                seeds.push(hostile_manifest(&limits.join("\n"), "fail").into_bytes());
            }
        }
        seeds
    }

    fn tokens(&self) -> Vec<String> {
        let mut t = corpus::schema_tokens("schemas/bundle.schema.json");
        t.extend(
            [
                "[[criterion]]\n",
                "[limits]\n",
                "[combine]\n",
                "[devices.edge]\n",
                "[devices.cloud-gpu]\n",
                "= 0\n",
                "= -1\n",
                "= 1e308\n",
                "= inf\n",
                "= nan\n",
                "= -0.0\n",
                "= 9223372036854775807\n",
                "= \"\"\n",
                "= []\n",
                "= {}\n",
                "criteria/task_type.rhai",
                "criteria/language.rhai",
                "../x.rhai",
                "/etc/passwd",
                "C:\\x",
                "\"\"\"",
                "'''",
                "x.y.z = 1\n",
                "1979-05-27T07:32:00Z",
            ]
            .map(String::from),
        );
        t
    }

    fn max_len(&self) -> usize {
        16 * 1024
    }

    fn stats(&self) -> String {
        format!(
            "{} manifests parsed, a quarter of them loaded as a bundle",
            self.valid
        )
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        let text = String::from_utf8_lossy(input);
        match bundle::parse_manifest(&text, "fuzz/bundle.toml") {
            Ok(manifest) => {
                self.valid += 1;
                if !sampled(input, self.decide_every) {
                    return Ok(class_of((20, manifest.criteria.len().min(8))));
                }
                let mut files = self.policies.clone();
                files
                    .0
                    .insert("bundle.toml".into(), text.as_bytes().to_vec());
                Ok(match Bundle::from_files(files, "fuzz".into()) {
                    Ok(b) => decide_class(21, &b, self.task.clone()),
                    Err(e) => bundle_error_class(23, &e),
                })
            }
            Err(e) => {
                if let Some((_, span)) = e.location()
                    && (span.line == 0 || span.line > text.split('\n').count())
                {
                    return Err(format!("an error outside the text, at {span}: {e}"));
                }
                Ok(bundle_error_class(24, &e))
            }
        }
    }

    fn extension(&self) -> &'static str {
        "toml"
    }
}

/// The one-criterion manifest the hostile cases run under (crates/arbiter-engine/tests/cases.rs).
fn hostile_manifest(limits: &str, on_error: &str) -> String {
    format!(
        "name = \"hostile\"\nversion = \"0\"\n[limits]\ntimeout_ms = 50\n{limits}\n\
         [[criterion]]\nname = \"hostile\"\nscript = \"criteria/hostile.rhai\"\nweight = 1.0\non_error = \"{on_error}\"\n"
    )
}

/// `script`: a criterion script compiled, contract-checked and smoke-called in a one-criterion
/// bundle; when it loads, one decision over three models within the default limits.
pub struct ScriptTarget {
    catalog: Vec<u8>,
    task: Task,
    loaded: u64,
}

impl ScriptTarget {
    /// The hostile cases' three-model catalog and fixture task.
    pub fn new() -> ScriptTarget {
        ScriptTarget {
            catalog: corpus::text("tests/cases/hostile/catalog.yaml").into_bytes(),
            task: corpus::fixed_task(),
            loaded: 0,
        }
    }
}

/// Rhai that tends to reach the corners: limits, types, host functions.
const RHAI_TOKENS: &[&str] = &[
    "fn ",
    "evaluate",
    "(task, model)",
    "return ",
    "score(",
    "veto(",
    "abstain(",
    "score(1.0, \"x\")",
    "score(0.5, `${model.id}`)",
    "veto(\"no\")",
    "abstain(\"?\")",
    ".with_precision(\"int8\")",
    "task.",
    "model.",
    "task.task",
    "task.languages",
    "task.domain",
    "task.labeled_examples",
    "task.deployment",
    "task.max_latency_ms",
    "task.max_memory_mb",
    "task.max_parameters_m",
    "task.sequence_length",
    "task.batch_size",
    "task.output_tokens",
    "task.precisions",
    "task.benchmarks",
    "model.id",
    "model.family",
    "model.parameters_m",
    "model.active_parameters_m",
    "model.layer_parameters_m",
    "model.layers",
    "model.hidden_size",
    "model.attention_heads",
    "model.kv_heads",
    "model.head_size",
    "model.intermediate_size",
    "model.gated_ffn",
    "model.experts",
    "model.experts_per_token",
    "model.positional",
    "model.context_length",
    "model.context_limit",
    "model.context_basis",
    "model.instruction_tuned",
    "model.languages",
    "model.language_count",
    "model.domain",
    "model.license",
    "model.tasks",
    "model.benchmarks",
    "model.covers(\"en\")",
    "model.suits(task)",
    "model.has_objective(\"mlm\")",
    "model.benchmark(\"glue\")",
    "model.benchmark_normalised(\"glue\")",
    "estimate(task, model, \"fp32\")",
    "estimate(task, model, \"int4\")",
    "estimate(task, model, ())",
    ".latency_ms",
    ".memory_mb",
    ".prefill_ms",
    ".token_ms",
    "estimate_gflops(model, 128)",
    "estimate_gflops(model, -1)",
    "estimate_gflops(model, 9223372036854775807)",
    "estimate_memory_mb(model, \"fp16\", 128, 1)",
    "estimate_memory_mb(model, \"fp16\", 128, 256, 1)",
    "estimate_latency_ms(model, \"edge\", 128, 1)",
    "estimate_latency_ms(model, \"mobile\", -5, 0)",
    "device_memory_mb(\"edge\")",
    "device_memory_mb(\"moon\")",
    "let x = ",
    "x",
    "const ",
    "if ",
    "else ",
    "while true {}",
    "loop { }",
    "for i in 0..",
    "for x in ",
    "break;",
    "continue;",
    "switch x { 1 => 2, _ => 3 }",
    "[]",
    "#{}",
    "#{a: 1}",
    "[1, 2, 3]",
    ".len()",
    ".pad(100000, 0)",
    ".push(",
    ".map(|x| x)",
    ".filter(|x| true)",
    ".reduce(|a, b| a + b)",
    ".sort()",
    ".reverse()",
    ".contains(",
    ".starts_with(",
    ".sub_string(1, 2)",
    ".to_int()",
    ".to_float()",
    ".to_string()",
    ".split(\"\")",
    ".index_of(",
    ".get(",
    ".keys()",
    ".values()",
    "parse_int(\"9\")",
    "parse_float(\"1e999\")",
    "type_of(",
    "Fn(\"evaluate\")",
    ".call(",
    ".curry(",
    "this",
    "print(",
    "debug(",
    "throw ",
    "try { } catch (e) { }",
    "1 / 0",
    "1 % 0",
    "0.0 / 0.0",
    "9223372036854775807 + 1",
    "-9223372036854775808 / -1",
    "2 ** 63",
    "1 << 64",
    "1 >> -1",
    "\"x\" * 1000000",
    "1e308 * 10.0",
    "`${",
    "}`",
    "//",
    "/*",
    "*/",
    ";",
    "}",
    "{",
    ")",
    "(",
    ",",
    "=>",
    "|x|",
    "??",
    "?.",
    "!",
    "&&",
    "||",
];

impl Target for ScriptTarget {
    fn seeds(&self) -> Vec<Vec<u8>> {
        let mut seeds = corpus::read_all("policies/criteria", &["rhai"]);
        seeds.extend(corpus::read_all("tests/cases/hostile", &["rhai"]));
        seeds.extend(corpus::read_all(
            "examples/bundles/commercial/criteria",
            &["rhai"],
        ));
        seeds
    }

    fn tokens(&self) -> Vec<String> {
        RHAI_TOKENS.iter().map(|s| s.to_string()).collect()
    }

    fn max_len(&self) -> usize {
        32 * 1024
    }

    fn stats(&self) -> String {
        format!("{} scripts loaded and decided with", self.loaded)
    }

    fn run(&mut self, input: &[u8]) -> Verdict {
        // The policy on errors varies with the input, so that each path is taken.
        let on_error = ["fail", "abstain", "veto"][input.len() % 3];
        let manifest = hostile_manifest("", on_error);
        let files = Files::from_pairs([
            ("bundle.toml", manifest.as_bytes()),
            ("catalog.yaml", self.catalog.as_slice()),
            ("criteria/hostile.rhai", input),
        ]);
        Ok(match Bundle::from_files(files, "fuzz".into()) {
            Ok(b) => {
                self.loaded += 1;
                // Where the script compiled, each call it answers must be Rhai's answer.
                let c = arbiter_engine::differential::compare(&b, std::slice::from_ref(&self.task));
                if let Some(d) = c.differences.first() {
                    return Err(format!("the compiled script disagrees with Rhai: {d}"));
                }
                decide_class(30, &b, self.task.clone())
            }
            Err(e) => {
                if let Some((file, span)) = e.location()
                    && file.ends_with("hostile.rhai")
                {
                    let text = String::from_utf8_lossy(input);
                    if span.line > text.split('\n').count() + 1 {
                        return Err(format!(
                            "an error past the end of the script, at {span}: {e}"
                        ));
                    }
                }
                bundle_error_class(32, &e)
            }
        })
    }

    fn extension(&self) -> &'static str {
        "rhai"
    }
}
