//! `arbiter test`: run a bundle's golden cases.

use arbiter_engine::golden;

use crate::bundles::{self, BundleArgs};
use crate::exit;

pub fn run(args: &BundleArgs) -> anyhow::Result<u8> {
    let bundle = match bundles::load(args) {
        Ok(b) => b,
        Err(e) => {
            crate::diagnostics::print_bundle(&e);
            return Ok(exit::INVALID);
        }
    };
    let reports = golden::run_cases(&bundle);
    if reports.is_empty() {
        eprintln!(
            "error: bundle {} has no golden cases in `{}/`",
            bundle.origin, bundle.manifest.tests
        );
        return Ok(exit::NO_CHOICE);
    }
    let mut failed = 0;
    for r in &reports {
        if r.passed() {
            println!(
                "pass  {}  (chose {})",
                r.name,
                r.chosen.as_deref().unwrap_or("nothing")
            );
        } else {
            failed += 1;
            println!("FAIL  {}", r.name);
            for f in &r.failures {
                println!("        {f}");
            }
        }
    }
    println!(
        "\n{} {} ({}): {} passed, {} failed",
        bundle.manifest.name,
        bundle.manifest.version,
        bundle.origin,
        reports.len() - failed,
        failed
    );
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::NO_CHOICE
    })
}
