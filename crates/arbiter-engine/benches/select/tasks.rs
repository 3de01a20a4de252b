//! The tasks written for the bench: the timed English task, and the tasks of the differential
//! check that reach what the timed tasks and `examples/tasks/` leave out.

/// Many models survive this one: English is covered by most of the catalog, a GPU has room for
/// all but the largest, and there are no budgets.
pub(super) const ENGLISH_TASK: &str = "
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
pub(super) const CHECK_TASKS: &[&str] = &[
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
