//! The parameter count from the weights: `model.safetensors.index.json`'s stated total, else
//! the tensor shapes in the safetensors headers (only the headers are read, never the weights).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use serde_json::Value;

use super::{Architecture, ImportError, Notice, NoticeKind, read_json};
use crate::params::ParameterCount;

/// The largest safetensors header read (the format's own reference reader caps it at 100 MB).
pub const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;

/// What a safetensors header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SafetensorsHeader {
    /// Parameters: the sum over tensors of their shape products.
    pub parameters: u128,
    /// Tensors per dtype.
    pub dtypes: BTreeMap<String, usize>,
}

/// Bytes per element of a safetensors dtype, where it is a whole number.
fn dtype_bytes(dtype: &str) -> Option<u128> {
    Some(match dtype {
        "F64" | "I64" | "U64" => 8,
        "F32" | "I32" | "U32" => 4,
        "F16" | "BF16" | "I16" | "U16" => 2,
        "I8" | "U8" | "BOOL" | "F8_E4M3" | "F8_E5M2" => 1,
        _ => return None,
    })
}

/// Reads only the header of a safetensors file — an 8-byte little-endian length, then that
/// many bytes of JSON mapping tensor names to `{dtype, shape, data_offsets}` — and counts the
/// parameters. The tensor data is never read; its extent is checked against the file size.
pub fn safetensors_header(path: &Path) -> Result<SafetensorsHeader, ImportError> {
    let bad = |message: String| ImportError::Safetensors {
        path: path.to_path_buf(),
        message,
    };
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut head = [0u8; 8];
    if size < 8 {
        return Err(bad(format!(
            "the file has {size} bytes, fewer than the 8-byte header length"
        )));
    }
    file.read_exact(&mut head).map_err(io)?;
    if &head == b"version " {
        return Err(bad(
            "this is a Git LFS pointer, not the weights (fetch them with `git lfs pull`)".into(),
        ));
    }
    let n = u64::from_le_bytes(head);
    if n > MAX_SAFETENSORS_HEADER {
        return Err(bad(format!(
            "the header claims {n} bytes, more than the {MAX_SAFETENSORS_HEADER}-byte limit"
        )));
    }
    if 8 + n > size {
        return Err(bad(format!(
            "the header claims {n} bytes but the file has only {size}"
        )));
    }
    let mut json = Vec::new();
    file.take(n).read_to_end(&mut json).map_err(io)?;
    let value: Value = serde_json::from_slice(&json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(tensors) = value else {
        return Err(bad("not a JSON object".into()));
    };
    let mut parameters: u128 = 0;
    let mut dtypes = BTreeMap::new();
    let mut end_of_data: u128 = 0;
    for (name, t) in &tensors {
        if name == "__metadata__" {
            continue;
        }
        let dtype = t
            .get("dtype")
            .and_then(Value::as_str)
            .ok_or_else(|| bad(format!("tensor `{name}` has no dtype")))?;
        let shape = t
            .get("shape")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(format!("tensor `{name}` has no shape")))?;
        let mut elements: u128 = 1;
        for dim in shape {
            let dim = dim
                .as_u64()
                .ok_or_else(|| bad(format!("tensor `{name}` has a shape entry {dim}")))?;
            elements = elements
                .checked_mul(u128::from(dim))
                .ok_or_else(|| bad(format!("tensor `{name}` is impossibly large")))?;
        }
        let offsets = t
            .get("data_offsets")
            .and_then(Value::as_array)
            .filter(|o| o.len() == 2)
            .and_then(|o| Some((o[0].as_u64()?, o[1].as_u64()?)))
            .ok_or_else(|| bad(format!("tensor `{name}` has no data_offsets [begin, end]")))?;
        let (begin, end) = (u128::from(offsets.0), u128::from(offsets.1));
        if end < begin {
            return Err(bad(format!("tensor `{name}` ends before it begins")));
        }
        if let Some(b) = dtype_bytes(dtype)
            && elements.checked_mul(b) != Some(end - begin)
        {
            return Err(bad(format!(
                "tensor `{name}`: {elements} {dtype} elements do not take the {} bytes its offsets give",
                end - begin
            )));
        }
        end_of_data = end_of_data.max(end);
        parameters = parameters.saturating_add(elements);
        *dtypes.entry(dtype.to_string()).or_insert(0) += 1;
    }
    let available = u128::from(size - 8 - n);
    if end_of_data > available {
        return Err(bad(format!(
            "the header describes {end_of_data} bytes of tensor data but only {available} follow it (an incomplete download?)"
        )));
    }
    Ok(SafetensorsHeader { parameters, dtypes })
}

/// Where the parameter count came from.
pub(super) enum Count {
    Stated { parameters: u128, note: String },
    Computed(ParameterCount),
}

/// The parameter count: the index's `total_parameters`, else the safetensors headers, else the
/// architecture. `files` collects the files read.
pub(super) fn parameter_count(
    dir: &Path,
    arch: &Architecture,
    files: &mut Vec<String>,
    notices: &mut Vec<Notice>,
) -> Result<Option<Count>, ImportError> {
    let index_path = dir.join("model.safetensors.index.json");
    let mut shards: Option<Vec<String>> = None;
    if index_path.is_file() {
        let index = read_json(&index_path)?;
        files.push("model.safetensors.index.json".into());
        let meta = index.get("metadata");
        if let Some(n) = meta
            .and_then(|m| m.get("total_parameters"))
            .and_then(Value::as_u64)
        {
            return Ok(Some(Count::Stated {
                parameters: u128::from(n),
                note: format!(
                    "parameters_m: {n} parameters, model.safetensors.index.json metadata.total_parameters."
                ),
            }));
        }
        if let Some(size) = meta
            .and_then(|m| m.get("total_size"))
            .and_then(Value::as_u64)
        {
            // Dividing by the dtype's width is only right if every tensor has that dtype,
            // which only the shard headers can show — and with them the count is exact anyway.
            notices.push(Notice::new(
                "parameters_m",
                NoticeKind::Dropped,
                format!(
                    "model.safetensors.index.json total_size {size} bytes is not divided by {}'s width: only the shard headers show every tensor's dtype",
                    arch.dtype.as_deref().unwrap_or("torch_dtype")
                ),
            ));
        }
        let mut names: Vec<String> = index
            .get("weight_map")
            .and_then(Value::as_object)
            .map(|m| {
                m.values()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        shards = Some(names);
    }
    let weight_files = match shards {
        Some(names) => {
            let missing: Vec<&String> = names.iter().filter(|n| !dir.join(n).is_file()).collect();
            if names.is_empty() || !missing.is_empty() {
                if !names.is_empty() {
                    notices.push(Notice::new(
                        "parameters_m",
                        NoticeKind::Derived,
                        format!(
                            "{} of {} weight files named by the index are absent, so their headers could not be read",
                            missing.len(),
                            names.len()
                        ),
                    ));
                }
                Vec::new()
            } else {
                names
            }
        }
        None => {
            let mut found = Vec::new();
            let entries = std::fs::read_dir(dir).map_err(|source| ImportError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(".safetensors") && entry.path().is_file() {
                    found.push(name);
                }
            }
            found.sort();
            if found.iter().any(|n| n == "model.safetensors") {
                vec!["model.safetensors".to_string()]
            } else if found.len() <= 1 {
                found
            } else {
                notices.push(Notice::new(
                    "parameters_m",
                    NoticeKind::Derived,
                    format!(
                        "several safetensors files and no index to say which make up the model ({}): none counted",
                        found.join(", ")
                    ),
                ));
                Vec::new()
            }
        }
    };
    if !weight_files.is_empty() {
        let mut total: u128 = 0;
        let mut dtypes: BTreeMap<String, usize> = BTreeMap::new();
        for name in &weight_files {
            let header = safetensors_header(&dir.join(name))?;
            total = total.saturating_add(header.parameters);
            for (d, n) in header.dtypes {
                *dtypes.entry(d).or_insert(0) += n;
            }
            files.push(format!("{name} (header)"));
        }
        let dtypes: Vec<String> = dtypes.iter().map(|(d, n)| format!("{n} {d}")).collect();
        return Ok(Some(Count::Stated {
            parameters: total,
            note: format!(
                "parameters_m: {total} parameters, the sum of the tensor shapes in the safetensors header{} of {} (tensors: {}).",
                if weight_files.len() == 1 { "" } else { "s" },
                weight_files.join(", "),
                dtypes.join(", ")
            ),
        }));
    }
    Ok(arch.computed.clone().map(Count::Computed))
}
