//! The model card: its YAML front matter, and the catalog fields it states — languages,
//! licence, tasks, domain, instruction tuning.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

use super::{Architecture, ImportError, Notice, NoticeKind};
use crate::catalog::Family;
use crate::lang;
use crate::task::{Domain, LanguageCode, TaskType};

/// The YAML front matter of a model card: the text between a first line `---` and the next
/// `---`. `Ok(None)` when the card has none.
pub fn front_matter(text: &str) -> Result<Option<&str>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => return Ok(None),
    }
    let start = text.find('\n').map_or(text.len(), |i| i + 1);
    let mut at = start;
    for line in lines {
        if line.trim_end() == "---" {
            return Ok(Some(&text[start..at]));
        }
        at += line.len();
    }
    Err("the front matter opened by `---` on line 1 is never closed".into())
}

/// Reads a card's front matter as a JSON object (empty when the card has none).
pub fn read_card(path: &Path) -> Result<Option<Map<String, Value>>, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let error = |message: String| ImportError::Field {
        path: path.to_path_buf(),
        field: "front matter".into(),
        message,
    };
    let Some(yaml) = front_matter(&text).map_err(error)? else {
        return Ok(None);
    };
    if yaml.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    // Cards are read leniently: a key given twice keeps its last value, as the Hub does.
    let parsed = crate::yaml::parse(yaml).map_err(|e| {
        // The front matter starts on line 2 of the file.
        error(format!(
            "line {} of the file: invalid YAML: {}",
            e.span.line + 1,
            e.message
        ))
    })?;
    match parsed.value {
        Value::Object(map) => Ok(Some(map)),
        Value::Null => Ok(Some(Map::new())),
        _ => Err(error("must be a YAML mapping".into())),
    }
}

/// One value or a list of them, as strings (a card's `language`, `tags`, `datasets`).
pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Maps a Hugging Face licence id to SPDX where they differ only in spelling.
pub fn spdx_license(hf: &str) -> String {
    let known = [
        ("apache-2.0", "Apache-2.0"),
        ("mit", "MIT"),
        ("cc-by-4.0", "CC-BY-4.0"),
        ("cc-by-sa-4.0", "CC-BY-SA-4.0"),
        ("cc-by-nc-4.0", "CC-BY-NC-4.0"),
        ("cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"),
        ("cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"),
        ("cc0-1.0", "CC0-1.0"),
        ("bsd-2-clause", "BSD-2-Clause"),
        ("bsd-3-clause", "BSD-3-Clause"),
        ("gpl-2.0", "GPL-2.0"),
        ("gpl-3.0", "GPL-3.0"),
        ("lgpl-3.0", "LGPL-3.0"),
        ("agpl-3.0", "AGPL-3.0"),
        ("mpl-2.0", "MPL-2.0"),
        ("unlicense", "Unlicense"),
    ];
    let lower = hf.trim().to_ascii_lowercase();
    known
        .iter()
        .find(|(k, _)| *k == lower)
        .map_or_else(|| hf.trim().to_string(), |(_, spdx)| (*spdx).to_string())
}

/// A task for a model class, as the Hugging Face hub infers one from `architectures`.
pub fn task_for_class(class: &str) -> Option<TaskType> {
    let task = if class.ends_with("ForSequenceClassification") {
        TaskType::TextClassification
    } else if class.ends_with("ForTokenClassification") {
        TaskType::TokenClassification
    } else if class.ends_with("ForQuestionAnswering") {
        TaskType::QuestionAnswering
    } else if class.ends_with("ForMaskedLM") {
        TaskType::FillMask
    } else if class.ends_with("ForCausalLM") || class.ends_with("LMHeadModel") {
        TaskType::TextGeneration
    } else if class == "MarianMTModel" || class == "M2M100ForConditionalGeneration" {
        TaskType::Translation
    } else if class.ends_with("ForConditionalGeneration") {
        // T5, BART: the hub's text2text-generation, an alias of text-generation here.
        TaskType::TextGeneration
    } else if class.ends_with("Model") && !class.ends_with("PreTrainedModel") {
        // The bare encoder (`BertModel`): hidden states, i.e. features.
        TaskType::FeatureExtraction
    } else {
        return None;
    };
    Some(task)
}

/// The domain a card tag names, where it names one unambiguously.
fn domain_for_tag(tag: &str) -> Option<Domain> {
    match tag.to_ascii_lowercase().as_str() {
        "biology" | "medical" | "biomedical" => Some(Domain::Biomedical),
        "legal" => Some(Domain::Legal),
        "finance" => Some(Domain::Finance),
        "code" => Some(Domain::Code),
        _ => None,
    }
}

/// Whether a name or tag says instruction tuning: a word `instruct…`, `chat` or
/// `conversational`.
fn says_instruct(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .any(|w| w.starts_with("instruct") || w == "chat" || w == "conversational")
}

// ------------------------------------------------------------------------------------------------
// Catalog fields from the card, in the order their notices are reported
// ------------------------------------------------------------------------------------------------

/// The card's `language` as ISO codes: 639-3 codes with a 639-1 equivalent are written as it,
/// anything else is dropped with a notice.
pub(super) fn languages(
    card: &Map<String, Value>,
    has_card: bool,
    notices: &mut Vec<Notice>,
) -> Vec<LanguageCode> {
    let mut languages: Vec<LanguageCode> = Vec::new();
    let stated = strings(card.get("language"));
    for raw in &stated {
        let code = raw.trim().to_ascii_lowercase();
        let code = if lang::is_known(&code) {
            code
        } else if let Some(two) = lang::two_letter_for(&code) {
            notices.push(Notice::new(
                "languages",
                NoticeKind::Derived,
                format!("`{raw}` written as its ISO 639-1 code `{two}`"),
            ));
            two.to_string()
        } else {
            let why = if code == "multilingual" {
                "names no language".to_string()
            } else {
                "is not an ISO 639-1 or 639-3 code".to_string()
            };
            notices.push(Notice::new(
                "languages",
                NoticeKind::Dropped,
                format!("`{raw}` {why}"),
            ));
            continue;
        };
        if !languages.iter().any(|l| l.as_str() == code) {
            languages.push(LanguageCode(code));
        }
    }
    if languages.is_empty() {
        let why = if stated.is_empty() {
            if has_card {
                "the card states none".to_string()
            } else {
                "no README.md, so no card states them".to_string()
            }
        } else {
            "none of the card's languages is an ISO code".to_string()
        };
        notices.push(Notice::new("languages", NoticeKind::Absent, why));
    }

    languages
}

/// Card fields of the wrong shape are reported as such, not as missing.
pub(super) fn wrong_shapes(card: &Map<String, Value>, notices: &mut Vec<Notice>) {
    for key in ["license", "license_name", "pipeline_tag"] {
        if let Some(v) = card.get(key).filter(|v| !v.is_string() && !v.is_null()) {
            notices.push(Notice::new(
                key,
                NoticeKind::Dropped,
                format!("the card's `{key}` is {v}, not one string: not used"),
            ));
        }
    }
    for key in ["tags", "language", "datasets", "model-index"] {
        if let Some(v) = card
            .get(key)
            .filter(|v| !v.is_array() && !v.is_string() && !v.is_null())
        {
            notices.push(Notice::new(
                key,
                NoticeKind::Dropped,
                format!("the card's `{key}` is {v}, not a list: not used"),
            ));
        }
    }
}

/// The licence: the card's `license` in SPDX spelling, or its `license_name` for `other`.
pub(super) fn license(
    card: &Map<String, Value>,
    has_card: bool,
    notices: &mut Vec<Notice>,
) -> Option<String> {
    let no_card = |what: &str| {
        if has_card {
            format!("the card states no {what}")
        } else {
            format!("no README.md, so no card states the {what}")
        }
    };
    match card.get("license").and_then(Value::as_str).map(str::trim) {
        Some("other") => match card.get("license_name").and_then(Value::as_str) {
            Some(name) => Some(name.trim().to_string()),
            None => {
                notices.push(Notice::new(
                    "license",
                    NoticeKind::Absent,
                    "the card says `other` without a license_name",
                ));
                None
            }
        },
        Some(l) if !l.is_empty() => Some(spdx_license(l)),
        _ => {
            notices.push(Notice::new(
                "license",
                NoticeKind::Absent,
                no_card("licence"),
            ));
            None
        }
    }
}

/// The tasks: the card's pipeline_tag, else its tags that are task ids, else `architectures`,
/// else text generation for a decoder-only `model_type`; none is an error about `dir`.
pub(super) fn tasks(
    card: &Map<String, Value>,
    tags: &[String],
    arch: &Architecture,
    has_card: bool,
    dir: &Path,
    notices: &mut Vec<Notice>,
) -> Result<Vec<String>, ImportError> {
    let mut tasks: Vec<String> = Vec::new();
    let push = |t: TaskType, tasks: &mut Vec<String>| {
        if !tasks.iter().any(|x| x == t.as_str()) {
            tasks.push(t.as_str().to_string());
        }
    };
    if let Some(tag) = card.get("pipeline_tag").and_then(Value::as_str) {
        match TaskType::parse(tag) {
            Some(t) => push(t, &mut tasks),
            None => notices.push(Notice::new(
                "tasks",
                NoticeKind::Dropped,
                format!(
                    "pipeline_tag `{tag}` is not a task the catalog knows ({})",
                    TaskType::IDS.join(", ")
                ),
            )),
        }
    }
    if tasks.is_empty() {
        let from_tags: Vec<&String> = tags
            .iter()
            .filter(|t| TaskType::parse(t).is_some())
            .collect();
        for t in &from_tags {
            if let Some(task) = TaskType::parse(t) {
                push(task, &mut tasks);
            }
        }
        if !tasks.is_empty() {
            notices.push(Notice::new(
                "tasks",
                NoticeKind::Derived,
                format!(
                    "{} from the card's tags ({}): it has no pipeline_tag",
                    tasks.join(", "),
                    from_tags
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    if tasks.is_empty() {
        for class in &arch.architectures {
            if let Some(t) = task_for_class(class) {
                push(t, &mut tasks);
            }
        }
        if !tasks.is_empty() {
            notices.push(Notice::new(
                "tasks",
                NoticeKind::Derived,
                format!(
                    "{} from config.json architectures ({}): {}",
                    tasks.join(", "),
                    arch.architectures.join(", "),
                    if has_card {
                        "the card has no pipeline_tag"
                    } else {
                        "there is no card"
                    }
                ),
            ));
        }
    }
    // A decoder-only model_type (Llama, Mistral, Mixtral, Qwen2, Gemma 2, Phi-3, GPT-2) is a
    // causal language model whatever head its config names: it generates text.
    if tasks.is_empty() && arch.family == Family::Decoder {
        push(TaskType::TextGeneration, &mut tasks);
        notices.push(Notice::new(
            "tasks",
            NoticeKind::Derived,
            format!(
                "text-generation: `{}` is a decoder-only causal language model ({})",
                arch.model_type,
                if has_card {
                    "the card has no pipeline_tag nor a task tag"
                } else {
                    "there is no card"
                }
            ),
        ));
    }
    if tasks.is_empty() {
        return Err(ImportError::Field {
            path: dir.to_path_buf(),
            field: "tasks".into(),
            message: format!(
                "no task: {}, and config.json {}",
                if has_card {
                    "the card has no pipeline_tag nor a task tag"
                } else {
                    "there is no README.md with a pipeline_tag"
                },
                if arch.architectures.is_empty() {
                    "lists no architectures".to_string()
                } else {
                    format!(
                        "architectures ({}) name no task head",
                        arch.architectures.join(", ")
                    )
                }
            ),
        });
    }

    Ok(tasks)
}

/// The domain the card's tags name, where exactly one; `None` leaves the catalog default.
pub(super) fn domain(tags: &[String], has_card: bool, notices: &mut Vec<Notice>) -> Option<Domain> {
    let domains: BTreeSet<Domain> = tags.iter().filter_map(|t| domain_for_tag(t)).collect();
    match domains.len() {
        1 => domains.iter().next().copied(),
        0 => {
            notices.push(Notice::new(
                "domain",
                NoticeKind::Absent,
                if has_card {
                    "the card has no domain tag (catalog default: general)"
                } else {
                    "no card, so no domain tag (catalog default: general)"
                },
            ));
            None
        }
        _ => {
            let names: Vec<&str> = domains.iter().map(|d| d.as_str()).collect();
            notices.push(Notice::new(
                "domain",
                NoticeKind::Absent,
                format!(
                    "the card's tags name several domains ({}): left at the catalog default",
                    names.join(", ")
                ),
            ));
            None
        }
    }
}

/// Whether a tag or the repository name says instruction tuning.
pub(super) fn instruction_tuned(
    tags: &[String],
    repo_name: &str,
    notices: &mut Vec<Notice>,
) -> bool {
    let instruct_tag = tags.iter().find(|t| says_instruct(t));
    if let Some(tag) = instruct_tag {
        notices.push(Notice::new(
            "instruction_tuned",
            NoticeKind::Derived,
            format!("true: the card's tag `{tag}`"),
        ));
        true
    } else if says_instruct(repo_name) {
        notices.push(Notice::new(
            "instruction_tuned",
            NoticeKind::Derived,
            format!("true: the name `{repo_name}` says so"),
        ));
        true
    } else {
        false
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_between_dashes() {
        assert_eq!(front_matter("---\na: 1\n---\nbody"), Ok(Some("a: 1\n")));
        assert_eq!(
            front_matter("\u{feff}---\r\na: 1\r\n---\r\n"),
            Ok(Some("a: 1\r\n"))
        );
        assert_eq!(front_matter("# title\n---\n"), Ok(None));
        assert!(front_matter("---\na: 1\n").is_err());
    }

    #[test]
    fn licences_and_classes() {
        assert_eq!(spdx_license("apache-2.0"), "Apache-2.0");
        assert_eq!(spdx_license("cc-by-nc-4.0"), "CC-BY-NC-4.0");
        assert_eq!(spdx_license("llama3.2"), "llama3.2");
        assert_eq!(task_for_class("BertForMaskedLM"), Some(TaskType::FillMask));
        assert_eq!(
            task_for_class("GPT2LMHeadModel"),
            Some(TaskType::TextGeneration)
        );
        assert_eq!(task_for_class("MarianMTModel"), Some(TaskType::Translation));
        assert_eq!(
            task_for_class("BertModel"),
            Some(TaskType::FeatureExtraction)
        );
        assert_eq!(task_for_class("ElectraForPreTraining"), None);
    }

    #[test]
    fn instruct_words() {
        assert!(says_instruct("Qwen2.5-0.5B-Instruct"));
        assert!(says_instruct("TinyLlama-1.1B-Chat-v1.0"));
        assert!(!says_instruct("opus-mt-en-it"));
        assert!(!says_instruct("chatglm-6b"));
    }
}
