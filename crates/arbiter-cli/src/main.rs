//! `arbiter`: choose a pre-trained model for a task by your organisation's rules, and show why.
//!
//! Thin glue over the libraries: argument parsing, file reading, output formatting, exit codes.

#![allow(clippy::print_stdout)] // the command line prints: that is its job

mod audit_cmd;
mod bundle_cmd;
mod bundles;
mod catalog_cmd;
mod check;
mod diagnostics;
mod select;
mod serve_cmd;
mod test_cmd;
mod watch_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit codes shared by every command.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Every model was vetoed, or a golden case failed.
    pub const NO_CHOICE: u8 = 1;
    /// Invalid input: task, bundle or catalog.
    pub const INVALID: u8 = 2;
    /// A policy failed at run time.
    pub const POLICY_FAILED: u8 = 3;
    /// The decision could not be recorded in the audit log (and is therefore not reported).
    pub const NOT_RECORDED: u8 = 4;
}

#[derive(Parser)]
#[command(
    name = "arbiter",
    version,
    about = "Choose a pre-trained model for an ML task by your organisation's rules, and show why.",
    long_about = "Choose a pre-trained model for an ML task by your organisation's rules, and show why.\n\n\
        A task (YAML or JSON) is checked against its schema, then one Rhai script per criterion \
        (task type, data volume, resources, domain, language, benchmarks, licence) judges every model of \
        the catalog; the weighted verdicts give a ranked, explained choice.",
    after_help = "Examples:\n  \
        arbiter select examples/tasks/chinese-sentiment-cpu.yaml --explain\n  \
        arbiter select task.yaml --why-not google-bert/bert-base-uncased\n  \
        arbiter test --bundle examples/bundles/commercial\n  \
        arbiter watch --bundle policies examples/tasks/legal-classification.yaml\n  \
        arbiter select task.yaml --log decisions.log && arbiter audit verify decisions.log\n  \
        arbiter serve --bundle policies --log decisions.log\n  \
        arbiter bundle sign policies --key release.key && \
        arbiter serve --bundle policies --trusted-keys trusted-keys\n  \
        arbiter check examples/tasks/*.yaml\n  \
        arbiter check --catalog policies/catalog.yaml\n  \
        arbiter catalog import ~/.cache/huggingface/hub/models--Qwen--Qwen2.5-0.5B-Instruct\n  \
        arbiter schema task > task.schema.json\n\n\
        Exit codes: 0 ok, 1 no model could be chosen (or a check failed), 2 invalid input, \
        3 a policy failed, 4 the audit log refused the decision."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Choose a model for a task: ranking, per-criterion scores, reasons.
    Select(select::SelectArgs),
    /// Run a bundle's golden cases (tests/*.yaml in the bundle); exit 1 if any fails.
    Test(bundles::BundleArgs),
    /// Serve decisions over HTTP, reloading the bundle as it changes.
    Serve(serve_cmd::ServeArgs),
    /// Reload a bundle folder on every change and show how each task's choice moves.
    Watch(watch_cmd::WatchArgs),
    /// Signed bundles: make a signing key, sign a bundle folder, verify its signature.
    #[command(subcommand)]
    Bundle(bundle_cmd::BundleCommand),
    /// The audit trail: verify a decision log, show, replay or diff its decisions.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// Validate task files, or a catalog, and report every problem with where it is.
    Check(check::CheckArgs),
    /// Print the JSON Schema (draft 2020-12) of a format.
    Schema(check::SchemaArgs),
    /// Build catalog entries: import Hugging Face model folders you already have.
    #[command(subcommand)]
    Catalog(catalog_cmd::CatalogCommand),
    /// Write Rhai definition files (.d.rhai) of the script API, for editors.
    ///
    /// The files declare every function, type and property a criterion script can use —
    /// score/veto/abstain, the Task and Model properties and methods, the cost functions —
    /// generated from the engine's own registrations. Put them where the Rhai language server
    /// looks (a bundle's `.rhai/` folder, which bundles ignore) to get completion and hover
    /// for `task.` and `model.` in criterion scripts.
    ///
    /// Example: arbiter definitions policies/.rhai
    Definitions(DefinitionsArgs),
}

#[derive(clap::Args)]
struct DefinitionsArgs {
    /// The folder to write the .d.rhai files into (created if missing).
    dir: std::path::PathBuf,
}

fn definitions(args: &DefinitionsArgs) -> anyhow::Result<u8> {
    use anyhow::Context as _;
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("cannot create `{}`", args.dir.display()))?;
    for (name, text) in arbiter_engine::host::definitions() {
        let path = args.dir.join(&name);
        std::fs::write(&path, text)
            .with_context(|| format!("cannot write `{}`", path.display()))?;
        println!("{}", path.display());
    }
    Ok(exit::OK)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Diagnostics go to stderr, filtered by ARBITER_LOG (e.g. `info`, `arbiter_engine=debug`);
    // the service logs at `info` by default, the other commands only warnings.
    let default = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARBITER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Select(args) => select::run(&args),
        Command::Test(args) => test_cmd::run(&args),
        Command::Serve(args) => serve_cmd::run(&args),
        Command::Watch(args) => watch_cmd::run(&args),
        Command::Bundle(cmd) => bundle_cmd::run(&cmd),
        Command::Audit(cmd) => audit_cmd::run(&cmd),
        Command::Check(args) => check::run_check(&args),
        Command::Schema(args) => check::run_schema(&args),
        Command::Catalog(cmd) => catalog_cmd::run(&cmd),
        Command::Definitions(args) => definitions(&args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::INVALID)
        }
    }
}
