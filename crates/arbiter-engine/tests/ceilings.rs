//! The resource ceilings (`arbiter_engine::ceilings`), each at its limit and just past it:
//! the limit holds, and the error names it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::Path;

use arbiter_engine::bundle::{Bundle, Files};
use arbiter_engine::ceilings::{self, BUNDLE_FILE_BYTES, BUNDLE_FILES, CRITERIA, TASK_BYTES};
use arbiter_engine::load;
use arbiter_test_support::repo;

const TASK: &str =
    "name: t\ntask: text-classification\nlanguages: [en]\ndata: {labeled_examples: 1000}\n";

/// A valid task padded with a comment to exactly `len` bytes.
fn task_of(len: u64) -> String {
    let mut text = format!("{TASK}# ");
    let pad = usize::try_from(len).unwrap() - text.len() - 1;
    text.push_str(&"x".repeat(pad));
    text.push('\n');
    assert_eq!(text.len() as u64, len);
    text
}

#[test]
fn a_task_document_of_one_mebibyte_loads_and_one_byte_more_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join("at.yaml");
    std::fs::write(&at, task_of(TASK_BYTES)).unwrap();
    load::load_task(&at).unwrap();
    let past = dir.path().join("past.yaml");
    std::fs::write(&past, task_of(TASK_BYTES + 1)).unwrap();
    let e = load::load_task(&past).unwrap_err().to_string();
    assert!(
        e.ends_with("larger than 1 MiB, the limit for a task document"),
        "{e}"
    );
}

/// A bundle of `n` criteria, all the same script.
fn bundle_of(n: usize) -> Result<Bundle, arbiter_engine::BundleError> {
    let mut manifest = String::from("name = \"many\"\nversion = \"1\"\n");
    for i in 0..n {
        manifest.push_str(&format!(
            "[[criterion]]\nname = \"c{i}\"\nscript = \"criteria/c.rhai\"\nweight = 1.0\n"
        ));
    }
    let catalog = std::fs::read(repo().join("tests/cases/hostile/catalog.yaml")).unwrap();
    Bundle::from_files(
        Files::from_pairs([
            ("bundle.toml", manifest.as_bytes()),
            ("catalog.yaml", catalog.as_slice()),
            (
                "criteria/c.rhai",
                b"fn evaluate(task, model) { score(0.5, \"x\") }".as_slice(),
            ),
        ]),
        "many".into(),
    )
}

#[test]
fn a_bundle_of_a_hundred_criteria_loads_and_one_more_is_refused() {
    bundle_of(CRITERIA).unwrap();
    let e = format!("{:?}", bundle_of(CRITERIA + 1).unwrap_err());
    assert!(
        e.contains("/criterion") && e.contains("more than 100 items"),
        "{e}"
    );
}

/// A folder of `extra` small files.
fn folder_with(dir: &Path, extra: usize) {
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    for i in 0..extra {
        std::fs::write(dir.join("notes").join(format!("{i}.md")), "x").unwrap();
    }
}

#[test]
fn a_bundle_folder_of_ten_thousand_files_reads_and_one_more_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    folder_with(dir.path(), BUNDLE_FILES);
    assert_eq!(Files::read_dir(dir.path()).unwrap().0.len(), BUNDLE_FILES);
    std::fs::write(dir.path().join("one-more.md"), "x").unwrap();
    let e = Files::read_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.ends_with("is too large: more than 10000 files, the limit for a bundle"),
        "{e}"
    );
}

#[test]
fn a_bundle_file_past_its_ceiling_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: no disk is used, and nothing is read, as the size is checked first.
    let file = std::fs::File::create(dir.path().join("catalog.yaml")).unwrap();
    file.set_len(BUNDLE_FILE_BYTES + 1).unwrap();
    let e = Files::read_dir(dir.path()).unwrap_err().to_string();
    assert!(
        e.ends_with("larger than 64 MiB, the limit for a bundle file"),
        "{e}"
    );
    // And a catalog given on its own.
    let e = load::load_catalog(&dir.path().join("catalog.yaml"))
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with(&format!(
            "larger than {}, the limit for a catalog document",
            ceilings::human_bytes(ceilings::CATALOG_BYTES)
        )),
        "{e}"
    );
}
