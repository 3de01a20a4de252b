//! Merging imported models into a catalog, and writing it as YAML.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::Imported;
use crate::catalog::Catalog;

/// An id found twice when merging.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("duplicate id `{id}`: {first} and {second}")]
pub struct DuplicateId {
    /// The id.
    pub id: String,
    /// Where it was first.
    pub first: String,
    /// Where it is again.
    pub second: String,
}

/// Appends the imported models to an existing catalog (named `origin` in errors), refusing
/// every id that appears twice.
pub fn merge(
    existing: Option<(&Catalog, &str)>,
    imported: &[Imported],
) -> Result<Catalog, Vec<DuplicateId>> {
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    let mut models = Vec::new();
    let mut duplicates = Vec::new();
    if let Some((catalog, origin)) = existing {
        for (i, m) in catalog.models.iter().enumerate() {
            seen.entry(m.id.as_str())
                .or_insert_with(|| format!("`{origin}` (/models/{i})"));
            models.push(m.clone());
        }
    }
    for imp in imported {
        let here = format!("imported from `{}`", imp.origin.display());
        match seen.get(imp.model.id.as_str()) {
            Some(first) => duplicates.push(DuplicateId {
                id: imp.model.id.clone(),
                first: first.clone(),
                second: here,
            }),
            None => {
                seen.insert(imp.model.id.as_str(), here);
                models.push(imp.model.clone());
            }
        }
    }
    if duplicates.is_empty() {
        Ok(Catalog { models })
    } else {
        Err(duplicates)
    }
}

/// The catalog as YAML, without `domain` where no source stated it (`domain_unstated`, by id)
/// and without empty `objectives`: the catalog reads both as their defaults.
pub fn catalog_yaml(
    catalog: &Catalog,
    domain_unstated: &[&str],
) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(catalog)?;
    if let Some(models) = value.get_mut("models").and_then(Value::as_array_mut) {
        for m in models {
            let Some(map) = m.as_object_mut() else {
                continue;
            };
            let id = map
                .get("id")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_default();
            if domain_unstated.contains(&id.as_str()) {
                map.shift_remove("domain");
            }
            if map
                .get("objectives")
                .and_then(Value::as_array)
                .is_some_and(Vec::is_empty)
            {
                map.shift_remove("objectives");
            }
        }
    }
    Ok(crate::yaml::to_string(&value))
}

/// The catalog file `arbiter catalog import` writes: a comment naming each imported model and
/// its source (and the catalog merged into, if any), then [`catalog_yaml`] with the domain left
/// out where no card stated it.
pub fn catalog_document(
    catalog: &Catalog,
    imported: &[Imported],
    merged: Option<&Path>,
) -> Result<String, serde_json::Error> {
    let unstated: Vec<&str> = imported
        .iter()
        .filter(|i| !i.domain_stated)
        .map(|i| i.model.id.as_str())
        .collect();
    let mut s = String::from("# Written by `arbiter catalog import`");
    if let Some(m) = merged {
        s.push_str(&format!(" from {} plus", m.display()));
    }
    s.push_str(":\n");
    for i in imported {
        s.push_str(&format!("#   {} <- {}\n", i.model.id, i.source));
    }
    s.push_str("# Fields no source stated are absent; the import's summary lists them.\n");
    s.push_str(&catalog_yaml(catalog, &unstated)?);
    Ok(s)
}
