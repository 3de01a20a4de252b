//! `arbiter select`: decide on a task and show the ranking, the reasons, and why not another.

use std::path::PathBuf;

use anyhow::Context;
use arbiter_audit::{AuditTrail, Location, Sync};
use arbiter_engine::decide::Outcome;
use arbiter_engine::{Decision, decide, load};
use clap::{Args, ValueEnum};

use crate::bundles::{self, BundleArgs};
use crate::exit;
use arbiter_report::{Report, estimates, html, text};

#[derive(Args)]
pub struct SelectArgs {
    /// The task file (YAML, or JSON by the `.json` extension).
    #[arg(value_name = "TASK")]
    task: PathBuf,
    #[command(flatten)]
    bundle: BundleArgs,
    /// How many ranked models to show (JSON: to keep in `ranking`; HTML: to draw in the bar
    /// chart, every one still in the tables). Default: 5 in tables, 10 in HTML, all in JSON.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// With `--format html`: what the scatter plots each ranked model's score against.
    #[arg(long, value_enum, value_name = "AXIS", default_value_t = ChartAxis::Latency)]
    chart_x: ChartAxis,
    /// Give every criterion's reasons for the top models, and every veto.
    #[arg(long)]
    explain: bool,
    /// Explain why MODEL was not chosen: its vetoes, or its gap to the winner per criterion.
    #[arg(long, value_name = "MODEL")]
    why_not: Option<String>,
    /// What if: for each task field, the nearest value that would change the choice, and what
    /// would be chosen then (each value tried is a full decision).
    #[arg(long)]
    what_if: bool,
    /// Append the decision to this tamper-evident log (its bundle goes to FILE.bundles/), or to
    /// the PostgreSQL decision store at a `postgres://` URL.
    #[arg(long, value_name = "FILE|URL")]
    log: Option<PathBuf>,
    /// When logged decisions reach the disk: `always` (fsync per record) or `batch` (every 64
    /// records and at exit: faster, but a power cut can lose the last few).
    #[arg(long, value_enum, default_value_t = LogSync::Always, requires = "log")]
    log_sync: LogSync,
    /// Log only the first N ranked models of each decision, the other models and the vetoes
    /// counted (the record says so, and replays). For catalogs of thousands of models, whose full
    /// records run to megabytes.
    #[arg(long, value_name = "N", requires = "log")]
    record_top: Option<usize>,
    /// Decide N times (each a new decision, each logged) and report the throughput on stderr:
    /// measures the cost of logging.
    #[arg(long, value_name = "N", default_value_t = 1, hide_short_help = true)]
    repeat: u64,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LogSync {
    /// Every record on disk before the decision is answered; decisions made at the same time
    /// share one fsync (group commit).
    Always,
    /// fsync every 64 records and at exit.
    Batch,
}

impl LogSync {
    /// Opens the audit trail `--log` names (a file or a `postgres://` URL) with this
    /// durability, if one is given, logging the first `record_top` ranked models of each
    /// decision when given, each record naming `replica`. With `wait` (the service), a
    /// database not reachable yet is waited for rather than an error.
    pub fn open(
        self,
        log: Option<&std::path::Path>,
        record_top: Option<usize>,
        replica: Option<String>,
        wait: bool,
    ) -> Result<Option<AuditTrail>, arbiter_audit::LogError> {
        let sync = match self {
            LogSync::Always => Sync::Always,
            LogSync::Batch => Sync::Batch(64),
        };
        let Some(log) = log else { return Ok(None) };
        let mut trail = AuditTrail::open_with(&Location::from_arg(log), sync, replica, wait)?;
        trail.record_top = record_top;
        Ok(Some(trail))
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// A table for terminals.
    Table,
    /// The decision record (schemas/decision.schema.json).
    Json,
    /// A Markdown report for reviews and tickets.
    Markdown,
    /// One self-contained HTML page for a mail or a ticket, printable on A4: the task, the
    /// hashes, charts of the scores, of score against cost and of the weight sensitivity, the
    /// what-if counterfactuals, every veto and script error (it holds what --explain and
    /// --what-if add).
    Html,
}

/// What the HTML report's scatter plots the score against.
#[derive(Clone, Copy, ValueEnum)]
pub enum ChartAxis {
    /// The estimated latency of one call in ms (reading the input and generating the output).
    Latency,
    /// The estimated memory of one call in MB (weights, activations, key-value cache).
    Memory,
}

impl ChartAxis {
    /// The report's name for it.
    pub fn chart_x(self) -> html::ChartX {
        match self {
            ChartAxis::Latency => html::ChartX::Latency,
            ChartAxis::Memory => html::ChartX::Memory,
        }
    }
}

pub fn run(args: &SelectArgs) -> anyhow::Result<u8> {
    if matches!(args.format, Format::Html) && args.why_not.is_some() {
        eprintln!(
            "error: --why-not is not part of the HTML report; use --format table or markdown"
        );
        return Ok(exit::INVALID);
    }
    let task: arbiter_engine::Task = match load::load_task(&args.task) {
        Ok(t) => t,
        Err(e) => {
            crate::diagnostics::print_load(&e);
            return Ok(exit::INVALID);
        }
    };
    let bundle = match bundles::load(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            crate::diagnostics::print_bundle(&e);
            return Ok(exit::INVALID);
        }
    };
    let trail = match args
        .log_sync
        .open(args.log.as_deref(), args.record_top, None, false)
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(exit::NOT_RECORDED);
        }
    };
    let started = std::time::Instant::now();
    let mut made = None;
    for _ in 0..args.repeat.max(1) {
        let decision = match decide(&bundle, task.clone()) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("error: {}: {e}", args.task.display());
                return Ok(exit::INVALID);
            }
        };
        if let Some(trail) = &trail
            && let Err(e) = trail.record(&bundle, &decision)
        {
            eprintln!("error: the decision was not recorded, so it is not reported: {e}");
            return Ok(exit::NOT_RECORDED);
        }
        made = Some(decision);
    }
    if args.repeat > 1 {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "{} decisions in {secs:.2} s: {:.0} decisions/s{}",
            args.repeat,
            args.repeat as f64 / secs,
            match (&args.log, args.log_sync) {
                (None, _) => " (not logged)".to_string(),
                (Some(_), LogSync::Always) => " (logged, fsync per record)".to_string(),
                (Some(_), LogSync::Batch) => " (logged, fsync per 64 records)".to_string(),
            }
        );
    }
    drop(trail);
    let Some(mut decision) = made else {
        return Ok(exit::INVALID);
    };
    if let Some(model) = &args.why_not
        && bundle.catalog.get(model).is_none()
    {
        eprintln!(
            "error: --why-not: `{model}` is not in the catalog ({} models)",
            bundle.catalog.models.len()
        );
        let ids = bundle.catalog.models.iter().map(|m| m.id.as_str());
        if let Some(near) = arbiter_engine::diagnostic::did_you_mean(model, ids) {
            eprintln!("  help: did you mean `{near}`?");
        }
        return Ok(exit::INVALID);
    }
    let out = match args.format {
        Format::Html => {
            let submitted = std::fs::read_to_string(&args.task)
                .ok()
                .map(|text| html::Submitted {
                    name: args.task.display().to_string(),
                    text,
                });
            let report = Report::new(&decision, Some(bundle.catalog.models.len()))
                .with_estimates(estimates::estimates(&bundle, &decision))
                .with_counterfactuals(arbiter_engine::counterfactual::counterfactuals(
                    &bundle,
                    &decision.task,
                    60,
                ));
            html::render(
                &report,
                &html::HtmlOptions {
                    top: args.top.unwrap_or(10),
                    chart_x: args.chart_x.chart_x(),
                    submitted,
                    ..html::HtmlOptions::default()
                },
            )
        }
        Format::Json => {
            if let Some(n) = args.top {
                decision.ranking.truncate(n);
            }
            let mut s =
                serde_json::to_string_pretty(&decision).context("cannot serialise the decision")?;
            s.push('\n');
            s
        }
        Format::Table | Format::Markdown => {
            let md = matches!(args.format, Format::Markdown);
            let top = args.top.unwrap_or(5);
            let mut report = Report::new(&decision, Some(bundle.catalog.models.len()));
            if args.what_if {
                report = report.with_counterfactuals(
                    arbiter_engine::counterfactual::counterfactuals(&bundle, &decision.task, 60),
                );
            }
            let mut s = text::summary(&report, top, md);
            if args.explain {
                s.push_str(&text::explain(&report, top, md));
            }
            if let Some(model) = &args.why_not {
                s.push_str(&text::why_not(&report, model, md));
            }
            s.push_str(&text::what_if(&report, md));
            s
        }
    };
    print!("{out}");
    for e in &decision.errors {
        eprintln!(
            "script error: {} on `{}` at {}: {} (on_error = {})",
            e.criterion, e.model, e.at, e.message, e.on_error
        );
    }
    Ok(code(&decision))
}

/// The exit code of a decision.
pub fn code(d: &Decision) -> u8 {
    match d.outcome {
        Outcome::Chosen => exit::OK,
        Outcome::AllVetoed => exit::NO_CHOICE,
        Outcome::Failed => exit::POLICY_FAILED,
    }
}
