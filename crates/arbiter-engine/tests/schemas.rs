//! The checked-in schemas (`schemas/*.schema.json`) must equal the ones generated from the code.
//!
//! After changing a format on purpose, regenerate them with
//! `ARBITER_BLESS=1 cargo test -p arbiter-engine --test schemas` and commit the result.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::path::Path;

use arbiter_engine::SchemaKind;

#[test]
fn checked_in_schemas_match_the_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas");
    let bless = std::env::var_os("ARBITER_BLESS").is_some();
    let mut drifted = Vec::new();
    for kind in SchemaKind::ALL {
        let path = dir.join(kind.file_name());
        let generated = kind.generate_pretty();
        if bless {
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        if on_disk != generated {
            drifted.push(path.display().to_string());
        }
    }
    assert!(
        drifted.is_empty(),
        "schemas differ from the code: {drifted:?}\n\
         regenerate with `ARBITER_BLESS=1 cargo test -p arbiter-engine --test schemas`"
    );
}
