//! `arbiter audit`: verify, show, replay and diff over a decision log.

use std::path::PathBuf;

use anyhow::Context;
use arbiter_audit::replay::{self, Replay};
use arbiter_audit::{Location, Source, log};
use arbiter_report::{Report, estimates, html, sentences};
use clap::{Args, Subcommand, ValueEnum};

use crate::bundles::{self, BundleArgs};
use crate::exit;
use crate::select::ChartAxis;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the log's hash chain; name the first edited, deleted, inserted or reordered
    /// record. Exit 0 only when intact.
    Verify {
        /// The decision log: a file, or a `postgres://` URL.
        log: PathBuf,
        /// The head printed by an earlier verify (`SEQ:HASH`), kept elsewhere: fails if that
        /// record is gone or differs (a rewritten or shortened log).
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<String>,
    },
    /// Show one logged decision: plain sentences for reviewers, or the JSON record.
    Show {
        /// The decision log: a file, or a `postgres://` URL.
        log: PathBuf,
        /// The decision's id.
        decision_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
        /// With `--format html`: what the scatter plots each ranked model's score against
        /// (priced with the archived bundle, when the archive holds it).
        #[arg(long, value_enum, value_name = "AXIS", default_value_t = ChartAxis::Latency)]
        chart_x: ChartAxis,
    },
    /// Re-evaluate logged decisions with their archived bundles; report identical or different.
    Replay {
        /// The decision log: a file, or a `postgres://` URL.
        log: PathBuf,
        /// Only this decision.
        decision_id: Option<String>,
    },
    /// Shadow evaluation: which logged decisions would a candidate bundle change?
    Diff(DiffArgs),
    /// The logged decisions that match every filter given, oldest first: e.g. which decisions
    /// chose a model under a bundle, last month. Each record is matched on its own content
    /// (checked against its hash); run `verify` for the chain.
    Query(QueryArgs),
}

#[derive(Args)]
pub struct QueryArgs {
    /// The decision log: a file, or a `postgres://` URL.
    log: PathBuf,
    /// Made at or after this time: a date (2026-12-01, midnight UTC) or an RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    since: Option<String>,
    /// Made before this time.
    #[arg(long, value_name = "TIME")]
    until: Option<String>,
    /// The chosen model's id.
    #[arg(long, value_name = "MODEL")]
    chose: Option<String>,
    /// The outcome.
    #[arg(long, value_parser = ["chosen", "all-vetoed", "failed"])]
    outcome: Option<String>,
    /// The bundle's hash, or its first characters (at least 8 after `sha256:`).
    #[arg(long, value_name = "HASH")]
    bundle: Option<String>,
    /// The task's name.
    #[arg(long, value_name = "NAME")]
    task: Option<String>,
    /// The replica that made the decision (`serve --replica-id`).
    #[arg(long, value_name = "ID")]
    replica: Option<String>,
    /// At most this many decisions.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Text)]
    format: QueryFormat,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum QueryFormat {
    /// One line per decision.
    Text,
    /// A JSON array, one object per decision.
    Json,
}

#[derive(Args)]
pub struct DiffArgs {
    /// The decision log: a file, or a `postgres://` URL.
    log: PathBuf,
    #[command(flatten)]
    bundle: BundleArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ShowFormat {
    /// Plain sentences.
    Text,
    /// Plain sentences in Markdown.
    Markdown,
    /// The log record itself.
    Json,
    /// One self-contained HTML page: the decision's report with its sequence number, record
    /// hash and whether the chain verifies up to it; the cost chart and counterfactuals come
    /// from the archived bundle, when the archive holds it.
    Html,
}

pub fn run(cmd: &AuditCommand) -> anyhow::Result<u8> {
    let open = |log: &std::path::Path| Source::open(&Location::from_arg(log));
    match cmd {
        AuditCommand::Verify { log, expect_head } => verify(&open(log)?, expect_head.as_deref()),
        AuditCommand::Show {
            log,
            decision_id,
            format,
            chart_x,
        } => show(&open(log)?, decision_id, *format, *chart_x),
        AuditCommand::Replay { log, decision_id } => {
            replay_log(&open(log)?, decision_id.as_deref())
        }
        AuditCommand::Diff(args) => diff(args),
        AuditCommand::Query(args) => query(&open(&args.log)?, args),
    }
}

fn query(source: &Source, args: &QueryArgs) -> anyhow::Result<u8> {
    let time = |t: &Option<String>| {
        t.as_deref()
            .map(arbiter_audit::query::parse_time)
            .transpose()
    };
    let (since, until) = match (time(&args.since), time(&args.until)) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Ok(exit::INVALID);
        }
    };
    if let Some(b) = &args.bundle
        && b.trim_start_matches("sha256:").len() < 8
    {
        eprintln!("error: --bundle takes a hash or at least its first 8 hex digits, got `{b}`");
        return Ok(exit::INVALID);
    }
    let bundle = args.bundle.as_ref().map(|b| {
        if b.starts_with("sha256:") {
            b.clone()
        } else {
            format!("sha256:{b}")
        }
    });
    let filter = arbiter_audit::query::Filter {
        since,
        until,
        chosen: args.chose.clone(),
        outcome: args.outcome.clone(),
        bundle,
        task: args.task.clone(),
        replica: args.replica.clone(),
        limit: args.limit,
    };
    let records = source.query(&filter)?;
    let text = |r: &log::Record, pointer: &str| {
        r.decision
            .pointer(pointer)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match args.format {
        QueryFormat::Json => {
            let rows: Vec<_> = records
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "seq": r.seq,
                        "decision_id": r.decision_id(),
                        "created_at": text(r, "/created_at"),
                        "outcome": text(r, "/outcome"),
                        "chosen": r.decision.get("chosen"),
                        "task": text(r, "/task/name"),
                        "bundle_hash": text(r, "/bundle/hash"),
                        "replica": r.replica,
                        "record_hash": r.hash,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&rows)?);
        }
        QueryFormat::Text => {
            for r in &records {
                let bundle = text(r, "/bundle/hash");
                println!(
                    "{:>6}  {}  {:<10}  {:<40}  {:<24}  {}  {}  {}",
                    r.seq,
                    text(r, "/created_at"),
                    text(r, "/outcome"),
                    r.decision
                        .get("chosen")
                        .and_then(serde_json::Value::as_str)
                        .unwrap_or("-"),
                    text(r, "/task/name"),
                    bundle.get(..19).unwrap_or(&bundle),
                    r.replica.as_deref().unwrap_or("-"),
                    r.decision_id(),
                );
            }
            eprintln!(
                "{} decision{} in {} (each record checked against its own hash; `audit verify` checks the chain)",
                records.len(),
                if records.len() == 1 { "" } else { "s" },
                source.name()
            );
        }
    }
    Ok(exit::OK)
}

fn verify(source: &Source, expect_head: Option<&str>) -> anyhow::Result<u8> {
    let v = source.verify()?;
    match &v.problem {
        None => {
            println!("intact: {} records, chain verified", v.verified);
            if let Some((seq, hash)) = &v.head {
                println!("head: {seq}:{hash} (keep it elsewhere; check later with --expect-head)");
            }
        }
        Some(p @ log::Problem::Truncated { .. }) => {
            println!("{p}; the {} complete records before it verify", v.verified);
            return Ok(exit::NO_CHOICE);
        }
        Some(p) => {
            println!(
                "tampered: {p} (the {} records before it verify)",
                v.verified
            );
            return Ok(exit::NO_CHOICE);
        }
    }
    if let Some(expected) = expect_head {
        let Some((seq, hash)) = expected
            .split_once(':')
            .and_then(|(s, h)| Some((s.parse::<u64>().ok()?, h)))
        else {
            eprintln!("error: --expect-head takes SEQ:HASH as printed by verify, got `{expected}`");
            return Ok(exit::INVALID);
        };
        let mut at_seq = None;
        for located in source.records()? {
            let r = located?.record;
            if r.seq == seq {
                at_seq = Some(r);
                break;
            }
        }
        match at_seq {
            Some(r) if r.hash == hash => {
                println!("the expected head {seq} is in the chain: nothing before it was rewritten")
            }
            Some(r) => {
                println!(
                    "tampered: record {seq} now hashes to {}, not the expected {hash}: the log was rewritten",
                    r.hash
                );
                return Ok(exit::NO_CHOICE);
            }
            None => {
                println!(
                    "tampered: record {seq} of the expected head is gone: the log was shortened"
                );
                return Ok(exit::NO_CHOICE);
            }
        }
    }
    Ok(exit::OK)
}

fn show(source: &Source, id: &str, format: ShowFormat, chart_x: ChartAxis) -> anyhow::Result<u8> {
    let Some(found) = source.find(id)? else {
        eprintln!("error: no decision `{id}` in {}", source.name());
        return Ok(exit::INVALID);
    };
    let record = &found.record;
    // The record is shown either way (it is evidence), but not as sound when the chain does not
    // verify up to it.
    let verified = found.chain_verified();
    if !verified {
        eprintln!(
            "warning: {}: this record is not vouched for by the chain",
            chain_detail(source, &found)
        );
    }
    match format {
        ShowFormat::Html => {
            let d = record.decision().context(
                "the logged decision does not parse (a redacted field?); use --format json",
            )?;
            print!("{}", show_html(source, &found, &d, chart_x));
        }
        ShowFormat::Json => println!(
            "{}",
            serde_json::to_string_pretty(&record).context("cannot print the record")?
        ),
        ShowFormat::Text | ShowFormat::Markdown => {
            let d = record.decision().context(
                "the logged decision does not parse (a redacted field?); use --format json",
            )?;
            print!(
                "{}",
                sentences::explain(
                    &Report::new(&d, None),
                    matches!(format, ShowFormat::Markdown)
                )
            );
            println!(
                "\n(record {} of {}, hash {})",
                record.seq,
                source.name(),
                record.hash
            );
        }
    }
    Ok(if verified { exit::OK } else { exit::NO_CHOICE })
}

/// Verifies the log before it is replayed or diffed: a log that does not verify is refused
/// (a record edited into valid JSON would otherwise be skipped or replayed as if genuine). A
/// torn last line (a crash mid-write, never acknowledged) is only noted.
fn verified_first(source: &Source, what: &str) -> anyhow::Result<bool> {
    let v = source.verify()?;
    match &v.problem {
        None => Ok(true),
        Some(p @ log::Problem::Truncated { .. }) => {
            eprintln!("note: {p}; the {} records before it are {what}", v.verified);
            Ok(true)
        }
        Some(p) => {
            eprintln!(
                "error: {} does not verify: {p} (the {} records before it verify); refusing to {what} a log that was tampered with — see `arbiter audit verify`",
                source.name(),
                v.verified,
            );
            Ok(false)
        }
    }
}

/// Whether the chain verifies up to a found record, in a sentence.
fn chain_detail(source: &Source, found: &log::Found) -> String {
    let v = &found.verification;
    let unit = source.unit();
    match (&v.problem, found.chain_verified()) {
        (None, _) => format!(
            "all {} records of the log verify; this one is {unit} {}",
            v.verified, found.line
        ),
        (Some(p), true) => format!(
            "the {} records up to {unit} {} verify, this one ({unit} {}) among them; later: {p}",
            v.verified, v.verified, found.line
        ),
        (Some(p), false) => format!(
            "the chain breaks before this record ({unit} {}): {p}; only the {} records before that verify",
            found.line, v.verified
        ),
    }
}

/// A logged decision as an HTML page, with its audit facts, and with the estimates and
/// counterfactuals of its archived bundle when the archive holds it.
fn show_html(
    source: &Source,
    found: &log::Found,
    d: &arbiter_engine::Decision,
    chart_x: ChartAxis,
) -> String {
    let bundle = source.archive().load(&d.bundle.hash);
    if let Err(e) = &bundle {
        eprintln!("note: no cost chart or counterfactuals: {e}");
    }
    let bundle = bundle.ok();
    let mut report = Report::new(d, bundle.as_ref().map(|b| b.catalog.models.len()));
    if let Some(b) = &bundle {
        report = report
            .with_estimates(estimates::estimates(b, d))
            .with_counterfactuals(arbiter_engine::counterfactual::counterfactuals(
                b, &d.task, 60,
            ));
    }
    html::render(
        &report,
        &html::HtmlOptions {
            chart_x: chart_x.chart_x(),
            audit: Some(html::AuditFacts {
                seq: found.record.seq,
                record_hash: found.record.hash.clone(),
                chain_verified: Some(found.chain_verified()),
                chain_detail: chain_detail(source, found),
            }),
            ..html::HtmlOptions::default()
        },
    )
}

fn replay_log(source: &Source, only: Option<&str>) -> anyhow::Result<u8> {
    if !verified_first(source, "replay")? {
        return Ok(exit::NO_CHOICE);
    }
    let archive = source.archive();
    let (mut same, mut different, mut skipped) = (0, 0, 0);
    for located in source.records()? {
        let r = &located?.record;
        if only.is_some_and(|id| r.decision_id() != id) {
            continue;
        }
        match replay::replay(&archive, r) {
            Replay::Identical => {
                same += 1;
                println!("identical  {}", r.decision_id());
            }
            Replay::Different(fields) => {
                different += 1;
                println!("DIFFERENT  {}  ({})", r.decision_id(), fields.join(", "));
            }
            Replay::Skipped(why) => {
                skipped += 1;
                println!("skipped    {}  ({why})", r.decision_id());
            }
        }
    }
    let replayed = same + different + skipped;
    if replayed == 0 {
        eprintln!(
            "error: no {} in {}",
            only.map_or("decisions".to_string(), |id| format!("decision `{id}`")),
            source.name()
        );
        return Ok(exit::INVALID);
    }
    println!("\n{replayed} replayed: {same} identical, {different} different, {skipped} skipped");
    Ok(if different == 0 && skipped == 0 {
        exit::OK
    } else {
        exit::NO_CHOICE
    })
}

fn diff(args: &DiffArgs) -> anyhow::Result<u8> {
    let candidate = match bundles::load(&args.bundle) {
        Ok(b) => b,
        Err(e) => {
            crate::diagnostics::print_bundle(&e);
            return Ok(exit::INVALID);
        }
    };
    let source = Source::open(&Location::from_arg(&args.log))?;
    if !verified_first(&source, "diff")? {
        return Ok(exit::NO_CHOICE);
    }
    let mut failed = None;
    let records = source.records()?.map_while(|r| match r {
        Ok(l) => Some(l.record),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    let (compared, changes) = replay::diff(&candidate, records);
    if let Some(e) = failed {
        return Err(e.into());
    }
    for c in &changes {
        println!(
            "{}  “{}”: {} → {}  ({})",
            c.decision_id,
            c.task,
            c.old.as_deref().unwrap_or("nothing"),
            c.new.as_deref().unwrap_or("nothing"),
            c.cause
        );
    }
    println!(
        "\n{} of {compared} logged decisions would change under {} {} ({})",
        changes.len(),
        candidate.manifest.name,
        candidate.manifest.version,
        candidate.hash
    );
    Ok(exit::OK)
}
