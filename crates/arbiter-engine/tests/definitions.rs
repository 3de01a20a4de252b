//! The Rhai definition files of the script API (`arbiter definitions`, checked in under
//! `policies/.rhai/` for editors) are what the engine registers, and the README's list of what
//! scripts see names exactly the registered properties and methods. After changing the host API
//! on purpose, regenerate with `ARBITER_BLESS=1 cargo test -p arbiter-engine --test definitions`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::BTreeSet;

use arbiter_engine::host::definitions;
use arbiter_test_support::repo;

#[test]
fn the_checked_in_definitions_are_the_generated_ones() {
    let dir = repo().join("policies/.rhai");
    let generated = definitions();
    if std::env::var_os("ARBITER_BLESS").is_some() {
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }
    for (name, text) in &generated {
        let path = dir.join(name);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == *text,
            "{} differs from what the engine registers; regenerate with \
             `ARBITER_BLESS=1 cargo test -p arbiter-engine --test definitions` \
             (or `arbiter definitions policies/.rhai`)",
            path.display()
        );
    }
}

/// What the definitions declare: properties as `task.x` / `model.x` (`fn get x(_: Task)`), and
/// every other function by its name.
fn declared() -> (BTreeSet<String>, BTreeSet<String>) {
    let text: String = definitions().into_iter().map(|(_, t)| t).collect();
    let (mut properties, mut functions) = (BTreeSet::new(), BTreeSet::new());
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("fn ") else {
            continue;
        };
        let (head, args) = rest.split_once('(').unwrap();
        match head.strip_prefix("get ") {
            Some(name) if args.starts_with("_: Task") => {
                properties.insert(format!("task.{name}"));
            }
            Some(name) if args.starts_with("_: Model") => {
                properties.insert(format!("model.{name}"));
            }
            Some(_) => {} // properties of results (`Cost`), listed with the function
            None => {
                functions.insert(head.to_string());
            }
        }
    }
    (properties, functions)
}

/// The README lists what scripts see: every property as `task.x` or `model.x`, every function
/// as `name(` or as a method `model.name(`; and nothing it names that way is unregistered.
#[test]
fn the_readme_names_every_property_and_function_scripts_see_and_no_other() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let (properties, functions) = declared();
    let mut named = BTreeSet::new();
    let mut called = BTreeSet::new();
    for piece in readme.split('`').skip(1).step_by(2) {
        // A file name (`model.safetensors`, `model.safetensors.index.json`), not a property.
        if piece.starts_with("model.safetensors") {
            continue;
        }
        for owner in ["task.", "model."] {
            if let Some(rest) = piece.strip_prefix(owner) {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if rest[name.len()..].starts_with('(') {
                    called.insert(name);
                } else if !name.is_empty() {
                    named.insert(format!("{owner}{name}"));
                }
            }
        }
        for f in &functions {
            if piece.starts_with(&format!("{f}(")) || piece.contains(&format!(".{f}(")) {
                called.insert(f.clone());
            }
        }
    }
    let missing: Vec<_> = properties.difference(&named).collect();
    let unknown: Vec<_> = named.difference(&properties).collect();
    let uncalled: Vec<_> = functions.difference(&called).collect();
    let uncallable: Vec<_> = called.difference(&functions).collect();
    assert!(
        missing.is_empty() && unknown.is_empty() && uncalled.is_empty() && uncallable.is_empty(),
        "the README's list of what scripts see is out of date: properties not named \
         {missing:?}, named but not registered {unknown:?}; functions not named {uncalled:?}, \
         named but not registered {uncallable:?}"
    );
}

/// The editor settings (`.vscode/settings.json`) and the schema catalog (`docs/`) name schema
/// files that exist, for every format with a schema.
#[test]
fn editor_settings_point_at_every_schema_and_only_at_existing_ones() {
    let root = repo();
    // JSON with comments: whole-line `//` comments only.
    let settings: String = std::fs::read_to_string(root.join(".vscode/settings.json"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let settings: serde_json::Value = serde_json::from_str(&settings).unwrap();
    let catalog: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("docs/schema-catalog.json")).unwrap(),
    )
    .unwrap();
    let mut named = BTreeSet::new();
    for key in settings["yaml.schemas"].as_object().unwrap().keys() {
        named.insert(root.join(key));
    }
    for entry in settings["json.schemas"].as_array().unwrap() {
        named.insert(root.join(entry["url"].as_str().unwrap()));
    }
    for url in settings["evenBetterToml.schema.associations"]
        .as_object()
        .unwrap()
        .values()
    {
        named.insert(root.join(url.as_str().unwrap()));
    }
    for entry in catalog["schemas"].as_array().unwrap() {
        named.insert(root.join("docs").join(entry["url"].as_str().unwrap()));
    }
    let named: BTreeSet<_> = named
        .iter()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| panic!("{} is missing", p.display())))
        .collect();
    for kind in ["task", "catalog", "bundle", "case"] {
        let schema =
            std::fs::canonicalize(root.join(format!("schemas/{kind}.schema.json"))).unwrap();
        assert!(
            named.contains(&schema),
            "no editor association for {kind}.schema.json"
        );
    }
}
