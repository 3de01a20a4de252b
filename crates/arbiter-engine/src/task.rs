//! The task description: what the user wants a model for.
//!
//! These types are the one definition of the task format: `schemas/task.schema.json` is generated
//! from them, and a task only becomes a [`Task`] after its raw value passed that schema
//! (see [`crate::load`]).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A machine-learning task for which a model is to be chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Model Arbiter task")]
pub struct Task {
    /// Free text naming the task, for people reading decisions.
    #[schemars(length(min = 1))]
    pub name: String,
    /// The kind of task: a Hugging Face `pipeline_tag`, or one of its aliases.
    pub task: TaskType,
    /// The languages of the task's text, ISO 639-1 codes (ISO 639-3 where no 639-1 code exists).
    #[schemars(length(min = 1, max = 200))]
    pub languages: Vec<LanguageCode>,
    /// For translation: the languages translated from; the task's other languages are
    /// translated into. Absent: every direction between the task's languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 200))]
    pub source_languages: Vec<LanguageCode>,
    /// The domain of the task's text.
    #[serde(default)]
    pub domain: Domain,
    /// How much data is available for fine-tuning.
    pub data: Data,
    /// Deployment constraints.
    #[serde(default)]
    pub resources: Resources,
    /// Which published benchmarks matter for this task, and how much (relative weights).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub benchmarks: BTreeMap<BenchmarkKey, Weight>,
    /// Per-task overrides of criterion weights, honoured only where the bundle allows them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<CriterionName, Weight>,
}

/// A non-negative weight.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Weight(#[schemars(range(min = 0.0, max = 1_000_000.0))] pub f64);

/// An ISO 639 language code, lower case (`en`, `zh`, `ceb`).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct LanguageCode(#[schemars(regex(pattern = r"^[a-z]{2,3}$"))] pub String);

impl LanguageCode {
    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LanguageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A benchmark identifier such as `glue`, `squad-v1.1` or `wmt14-en-de`.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct BenchmarkKey(#[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.\-]*$"))] pub String);

impl BenchmarkKey {
    /// The key as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a criterion of a bundle (`task_type`, `resources`, …).
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(transparent)]
pub struct CriterionName(#[schemars(regex(pattern = r"^[a-z][a-z0-9_]*$"))] pub String);

impl CriterionName {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CriterionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Labelled and unlabelled data available for the task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// Labelled examples for fine-tuning; 0 means zero-shot.
    pub labeled_examples: u64,
    /// Unlabelled in-domain examples (for further pre-training), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unlabeled_examples: Option<u64>,
}

/// Where and within which limits the model will run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// The class of device the model is deployed on.
    #[serde(default)]
    pub deployment: Deployment,
    /// Latency budget of one call in milliseconds, at `sequence_length` and `batch_size`: reading
    /// the input and generating `output_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_latency_ms: Option<f64>,
    /// Memory budget in megabytes (10^6 bytes): weights plus activations at inference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_memory_mb: Option<f64>,
    /// Largest acceptable model, in millions of parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0))]
    pub max_parameters_m: Option<f64>,
    /// Tokens per example used for the cost estimates.
    #[serde(default = "default_sequence_length")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub sequence_length: u32,
    /// Examples per inference call used for the cost estimates.
    #[serde(default = "default_batch_size")]
    #[schemars(range(min = 1, max = 1_000_000))]
    pub batch_size: u32,
    /// Tokens generated per example. Default by task type: 0 where the answer is a label, a
    /// span or a vector; `sequence_length` for translation (a translation is about as long as
    /// its source); 128 for summarisation; 256 for text generation (see
    /// [`TaskType::default_output_tokens`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1_000_000))]
    pub output_tokens: Option<u32>,
    /// Numeric precisions the deployment accepts for the weights, e.g. `[fp16, int8, int4]`.
    /// Each model is judged at the most precise one that fits. Default: `[fp16]` on
    /// `cloud-gpu`, `[fp32]` on the CPU classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 5), extend("uniqueItems" = true))]
    pub precisions: Option<Vec<Precision>>,
}

impl Resources {
    /// Tokens generated per example: the task's `output_tokens`, else the task type's default.
    pub fn output_tokens_for(&self, task: TaskType) -> u32 {
        self.output_tokens
            .unwrap_or_else(|| task.default_output_tokens(self.sequence_length))
    }

    /// The accepted precisions, most precise first: the task's, else the deployment's default.
    pub fn accepted_precisions(&self) -> Vec<Precision> {
        let mut out = self
            .precisions
            .clone()
            .unwrap_or_else(|| vec![Precision::default_for(self.deployment)]);
        out.sort_by_key(|p| p.rank());
        out.dedup();
        out
    }
}

impl Task {
    /// The task with every default that depends on other fields filled in (`output_tokens`,
    /// `precisions`), as decisions record it.
    pub fn normalised(mut self) -> Task {
        let r = &mut self.resources;
        r.output_tokens = Some(r.output_tokens_for(self.task));
        r.precisions = Some(r.accepted_precisions());
        self
    }
}

fn default_sequence_length() -> u32 {
    128
}

fn default_batch_size() -> u32 {
    1
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            deployment: Deployment::default(),
            max_latency_ms: None,
            max_memory_mb: None,
            max_parameters_m: None,
            sequence_length: default_sequence_length(),
            batch_size: default_batch_size(),
            output_tokens: None,
            precisions: None,
        }
    }
}

/// Deployment classes; each has a device profile in the bundle (`[devices.<class>]`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Deployment {
    /// A data-centre GPU.
    CloudGpu,
    /// A cloud virtual machine without accelerator (the default: the conservative choice).
    #[default]
    CloudCpu,
    /// A server in the organisation's own data centre, CPU only.
    OnPremCpu,
    /// An edge device (gateway, single-board computer).
    Edge,
    /// A phone.
    Mobile,
}

impl Deployment {
    /// Every deployment class, in declaration order.
    pub const ALL: [Deployment; 5] = [
        Deployment::CloudGpu,
        Deployment::CloudCpu,
        Deployment::OnPremCpu,
        Deployment::Edge,
        Deployment::Mobile,
    ];

    /// The wire name (`cloud-gpu`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::CloudGpu => "cloud-gpu",
            Deployment::CloudCpu => "cloud-cpu",
            Deployment::OnPremCpu => "on-prem-cpu",
            Deployment::Edge => "edge",
            Deployment::Mobile => "mobile",
        }
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Numeric precision of the weights at inference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Precision {
    /// 32-bit floats: 4 bytes per weight.
    Fp32,
    /// bfloat16: 2 bytes per weight.
    Bf16,
    /// 16-bit floats: 2 bytes per weight.
    Fp16,
    /// 8-bit integers: 1 byte per weight (per-channel scales are negligible).
    Int8,
    /// 4-bit integers in blocks of 32 with a 16-bit scale each (llama.cpp's Q4_0: 18 bytes per
    /// 32 weights): 4.5 bits, 0.5625 bytes per weight. GPTQ and AWQ at group size 128 come to
    /// about 4.25 bits; 4.5 is the conservative figure.
    Int4,
}

impl Precision {
    /// Every precision, most precise first.
    pub const ALL: [Precision; 5] = [
        Precision::Fp32,
        Precision::Bf16,
        Precision::Fp16,
        Precision::Int8,
        Precision::Int4,
    ];

    /// Bytes per stored weight.
    pub fn bytes(self) -> f64 {
        match self {
            Precision::Fp32 => 4.0,
            Precision::Bf16 | Precision::Fp16 => 2.0,
            Precision::Int8 => 1.0,
            Precision::Int4 => 0.5625,
        }
    }

    /// Bytes per activation and key-value cache value: quantisation applies to the weights;
    /// activations and the cache stay in 16-bit floats (32-bit when the weights are).
    pub fn activation_bytes(self) -> f64 {
        match self {
            Precision::Fp32 => 4.0,
            _ => 2.0,
        }
    }

    /// Order from the most precise (0) to the least; bf16 and fp16 are equal.
    pub fn rank(self) -> u8 {
        match self {
            Precision::Fp32 => 0,
            Precision::Bf16 | Precision::Fp16 => 1,
            Precision::Int8 => 2,
            Precision::Int4 => 3,
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Bf16 => "bf16",
            Precision::Fp16 => "fp16",
            Precision::Int8 => "int8",
            Precision::Int4 => "int4",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What a deployment class runs when the task does not say: fp16 on GPUs, fp32 on CPUs.
    pub fn default_for(deployment: Deployment) -> Precision {
        match deployment {
            Deployment::CloudGpu => Precision::Fp16,
            _ => Precision::Fp32,
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The domain of a task's text, or the domain a model was pre-trained on.
///
/// Rationale: a closed list, so that a misspelt domain is an error rather than a silent
/// "no domain model matches"; a new domain is a one-line change here.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
#[schemars(transform = crate::plain_enum::plain_enum)]
pub enum Domain {
    /// No particular domain.
    #[default]
    General,
    /// Biomedical literature (PubMed, PMC).
    Biomedical,
    /// Clinical notes.
    Clinical,
    /// Scientific papers.
    Scientific,
    /// Legislation, court cases, contracts.
    Legal,
    /// Financial reports and news.
    Finance,
    /// News text.
    News,
    /// Social-media posts.
    SocialMedia,
    /// Source code.
    Code,
}

impl Domain {
    /// The wire name (`general`, `social-media`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::General => "general",
            Domain::Biomedical => "biomedical",
            Domain::Clinical => "clinical",
            Domain::Scientific => "scientific",
            Domain::Legal => "legal",
            Domain::Finance => "finance",
            Domain::News => "news",
            Domain::SocialMedia => "social-media",
            Domain::Code => "code",
        }
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! task_types {
    ($( $(#[$doc:meta])* $variant:ident => $id:literal $(, aliases [$($alias:literal),*])? ;)*) => {
        /// A task type: a Hugging Face `pipeline_tag` id.
        ///
        /// Aliases (`sentiment-analysis`, `ner`, `dialogue`, …) are accepted on input and
        /// normalised to their pipeline tag; output always uses the canonical id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum TaskType {
            $( $(#[$doc])* #[serde(rename = $id $($(, alias = $alias)*)?)] $variant, )*
        }

        impl TaskType {
            /// Every accepted canonical id, in declaration order.
            pub const IDS: &'static [&'static str] = &[$($id),*];
            /// Every accepted alias with the id it stands for.
            pub const ALIASES: &'static [(&'static str, &'static str)] = &[$($($(($alias, $id),)*)?)*];
            /// Every task type.
            pub const ALL: &'static [TaskType] = &[$(TaskType::$variant),*];

            /// The canonical pipeline tag.
            pub fn as_str(self) -> &'static str {
                match self { $(TaskType::$variant => $id,)* }
            }

            /// Parses a canonical id or an alias.
            pub fn parse(s: &str) -> Option<TaskType> {
                match s {
                    $($id $($(| $alias)*)? => Some(TaskType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

task_types! {
    /// Assign a label to a whole text (sentiment, topic, NLI).
    TextClassification => "text-classification", aliases ["sentiment-analysis", "nli"];
    /// Assign a label to each token (NER, POS tagging).
    TokenClassification => "token-classification", aliases ["ner"];
    /// Extractive question answering.
    QuestionAnswering => "question-answering";
    /// Classification into labels not seen in training.
    ZeroShotClassification => "zero-shot-classification";
    /// Summarise a document.
    Summarization => "summarization";
    /// Translate between languages.
    Translation => "translation";
    /// Generate text: open-ended generation, dialogue, and sequence-to-sequence generation.
    TextGeneration => "text-generation", aliases ["text2text-generation", "conversational", "dialogue"];
    /// Predict masked tokens.
    FillMask => "fill-mask";
    /// Produce embeddings.
    FeatureExtraction => "feature-extraction";
    /// Score the similarity of two texts.
    SentenceSimilarity => "sentence-similarity";
    /// Answer questions over tables.
    TableQuestionAnswering => "table-question-answering";
    /// Rank passages against a query.
    TextRanking => "text-ranking";
}

impl TaskType {
    /// Tokens generated per example when the task does not say: 0 where the answer is a label,
    /// a span or a vector (read-only tasks); for translation the input length, since a
    /// translation is about as long as its source; 128 for summarisation (CNN/DailyMail
    /// reference summaries average about 56 words, some 75 tokens, and BART's released
    /// summarisation config caps generation at 142); 256 for open generation and dialogue (a
    /// paragraph or a chat turn).
    pub fn default_output_tokens(self, sequence_length: u32) -> u32 {
        match self {
            TaskType::Translation => sequence_length,
            TaskType::Summarization => 128,
            TaskType::TextGeneration => 256,
            _ => 0,
        }
    }
}

impl fmt::Display for TaskType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl JsonSchema for TaskType {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "TaskType".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut accepted: Vec<&str> = TaskType::IDS.to_vec();
        accepted.extend(TaskType::ALIASES.iter().map(|(alias, _)| *alias));
        let aliases: Vec<String> = TaskType::ALIASES
            .iter()
            .map(|(alias, id)| format!("{alias} → {id}"))
            .collect();
        schemars::json_schema!({
            "description": format!(
                "A Hugging Face pipeline_tag, or an alias of one ({}).",
                aliases.join(", ")
            ),
            "type": "string",
            "enum": accepted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_normalise_to_their_pipeline_tag() {
        for (alias, id) in TaskType::ALIASES {
            let parsed: TaskType = serde_json::from_value(serde_json::json!(alias)).unwrap();
            assert_eq!(parsed.as_str(), *id, "alias {alias}");
            assert_eq!(TaskType::parse(alias), Some(parsed));
        }
    }

    #[test]
    fn canonical_ids_round_trip() {
        for t in TaskType::ALL {
            let v = serde_json::to_value(t).unwrap();
            assert_eq!(v, serde_json::json!(t.as_str()));
            assert_eq!(TaskType::parse(t.as_str()), Some(*t));
        }
    }
}
