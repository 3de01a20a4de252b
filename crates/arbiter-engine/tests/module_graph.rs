//! The engine's modules import each other without a loop: derived from the source, so the
//! module graph ARCHITECTURE.md states cannot drift from the code unnoticed.
//!
//! An edge `a → b` is any `crate::b` path in `src/a.rs` outside comments (`use` lines and
//! inline paths alike), test modules included: a loop through a test is still a loop to read.
//! A directory module `src/a/` (`mod.rs` and its submodules) is one module `a`: its edges are
//! the union over every `.rs` file under it, less its own `crate::a` paths (and `super::`
//! paths, which stay inside it). Its files are listed in ARCHITECTURE.md's code map instead, in
//! the entry for `a/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        let files = if path.is_dir() {
            rust_files(&path)
        } else if name != "lib" && path.extension().and_then(|e| e.to_str()) == Some("rs") {
            vec![path.clone()]
        } else {
            continue;
        };
        let mut deps = BTreeSet::new();
        for file in &files {
            dependencies(&std::fs::read_to_string(file).unwrap(), name, &mut deps);
        }
        modules.insert(name.to_string(), deps);
    }
    modules
}

/// The `.rs` files under a directory module, at any depth.
fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().and_then(|e| e.to_str()) == Some("rs") {
            files.push(path);
        }
    }
    files
}

/// Adds the modules `text` (a file of module `name`) names by `crate::` paths to `deps`.
fn dependencies(text: &str, name: &str, deps: &mut BTreeSet<String>) {
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let dep: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !dep.is_empty() && dep != name {
                deps.insert(dep);
            }
        }
        // `use crate::{a, b}` groups.
        if let Some(group) = code.trim().strip_prefix("use crate::{") {
            for dep in group
                .split([',', '}', ' ', ';'])
                .map(|d| d.split("::").next().unwrap_or(""))
            {
                if !dep.is_empty() && dep != name {
                    deps.insert(dep.to_string());
                }
            }
        }
    }
}

/// A cycle through `start`, if any, by depth-first search.
fn cycle(
    g: &BTreeMap<String, BTreeSet<String>>,
    node: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|p| p == node) {
        let mut c = path[i..].to_vec();
        c.push(node.to_string());
        return Some(c);
    }
    if done.contains(node) {
        return None;
    }
    path.push(node.to_string());
    for dep in g.get(node).into_iter().flatten() {
        if let Some(c) = cycle(g, dep, path, done) {
            return Some(c);
        }
    }
    path.pop();
    done.insert(node.to_string());
    None
}

#[test]
fn engine_modules_import_each_other_without_a_loop() {
    let g = graph();
    assert!(g.len() > 10, "read {} modules", g.len());
    let mut done = BTreeSet::new();
    for node in g.keys() {
        if let Some(c) = cycle(&g, node, &mut Vec::new(), &mut done) {
            panic!("import loop: {}", c.join(" → "));
        }
    }
}

#[test]
fn the_detector_sees_a_loop() {
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    let c = cycle(&g, "a", &mut Vec::new(), &mut BTreeSet::new());
    assert_eq!(c.unwrap(), ["a", "b", "a"]);
}

fn architecture() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ARCHITECTURE.md"))
        .unwrap()
}

/// The graph ARCHITECTURE.md states is the one the code has: a line for each module, and none
/// for a module that is gone.
#[test]
fn architecture_states_this_graph() {
    let g = graph();
    let text = architecture();
    let expected: Vec<String> = g
        .iter()
        .map(|(module, deps)| {
            format!(
                "- `{module}` → {}",
                if deps.is_empty() {
                    "nothing".to_string()
                } else {
                    deps.iter()
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            )
        })
        .collect();
    for line in &expected {
        assert!(
            text.contains(line.as_str()),
            "ARCHITECTURE.md should state the module graph line\n{line}"
        );
    }
    let section = text
        .split("## Module graph of the engine")
        .nth(1)
        .expect("ARCHITECTURE.md has a section \"Module graph of the engine\"");
    let section = section.split("\n## ").next().unwrap_or(section);
    let stated: Vec<&str> = section.lines().filter(|l| l.starts_with("- `")).collect();
    assert_eq!(
        stated, expected,
        "ARCHITECTURE.md's module graph should list exactly the engine's modules, in order"
    );
}

/// The `.rs` files of each directory module, by module: `src/hf/` → `hf` → `mod.rs`, ….
fn directory_modules() -> BTreeMap<String, Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            let mut files: Vec<String> = rust_files(&path)
                .iter()
                .map(|f| f.strip_prefix(&path).unwrap().to_str().unwrap().to_string())
                .collect();
            files.sort();
            dirs.insert(name, files);
        }
    }
    dirs
}

/// The code map's entry for each directory module names every file in it.
#[test]
fn the_code_map_names_each_file_of_a_directory_module() {
    let text = architecture();
    for (module, files) in directory_modules() {
        let head = format!("  - `{module}/`:");
        let start = text
            .find(&head)
            .unwrap_or_else(|| panic!("ARCHITECTURE.md's code map has no entry `{head}`"));
        let entry: String = text[start..]
            .lines()
            .enumerate()
            .take_while(|(i, l)| *i == 0 || !(l.starts_with("  - ") || l.starts_with("- ")))
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        for file in files {
            assert!(
                entry.contains(&format!("`{file}`")),
                "the code map's entry for `{module}/` should name `{file}`:\n{entry}"
            );
        }
    }
}

/// A directory module is one node: the union of its files' edges, without its own name.
#[test]
fn a_directory_module_is_one_module() {
    let mut deps = BTreeSet::new();
    dependencies(
        "use crate::catalog::Model;\nuse super::Notice;",
        "hf",
        &mut deps,
    );
    dependencies(
        "use crate::{lang, hf::Notice};\nlet x = crate::hf::import;",
        "hf",
        &mut deps,
    );
    assert_eq!(
        deps,
        BTreeSet::from(["catalog".to_string(), "lang".to_string()])
    );
    let g = graph();
    let hf = g.get("hf").expect("src/hf/ is read as the module hf");
    assert!(hf.contains("params") && !hf.contains("hf"), "{hf:?}");
    assert!(!g.contains_key("mod"), "mod.rs is not a module of its own");
    // Every directory module is one node, and none of its files is a node of its own (unless a
    // module of the same name sits at the top).
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (module, files) in directory_modules() {
        let deps = g
            .get(&module)
            .unwrap_or_else(|| panic!("{module}/ is not read"));
        assert!(!deps.contains(&module), "{module} → itself");
        for file in files {
            let stem = file.trim_end_matches(".rs");
            assert!(
                !g.contains_key(stem) || src.join(format!("{stem}.rs")).exists(),
                "{module}/{file} is read as a module `{stem}` of its own"
            );
        }
    }
    assert!(g["cost"].contains("params"), "{:?}", g["cost"]);
}
