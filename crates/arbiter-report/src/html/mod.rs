//! A decision as one self-contained HTML page: inline CSS and SVG, no script, no font or image
//! from elsewhere, so it opens from a mail attachment or a ticket, prints on A4 and reads in a
//! screen reader (a `<title>`, real text, table headers, a title and description for every chart,
//! and every number a chart shows also in a table).
//!
//! [`render`] makes the whole page; [`body`] only the report (an `<article>`), for embedding in
//! another page with [`STYLE`]. The page holds the task as recorded (and as submitted, when
//! given), the bundle, catalog and task hashes, the outcome in one sentence, a stacked bar chart
//! of each criterion's contribution for the top models (`bars.rs`), score against estimated
//! latency or memory with the Pareto front (`scatter.rs`), the weight sensitivity as interval
//! bars (`weights.rs`), the counterfactuals, the vetoes by criterion, the script errors and, for
//! a logged decision, the audit facts (`sections.rs`). `svg.rs` holds what the charts share.
//!
//! Every chart element that stands for a number carries it exactly in a `data-` attribute
//! (`data-contribution`, `data-score`, `data-x`, `data-low`…), so a test can compare the chart
//! with the decision record. Everything that comes from input — task names, model ids, the
//! scripts' reasons — goes through [`escape`].

use std::fmt::{self, Write as _};

use crate::Report;

mod bars;
mod scatter;
mod sections;
mod svg;
mod weights;

/// What the scatter plots against the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartX {
    /// The estimated latency of one call (prefill and generation), in ms.
    #[default]
    Latency,
    /// The estimated memory of one call, in MB.
    Memory,
}

impl ChartX {
    /// The axis's name with its unit.
    pub fn label(self) -> &'static str {
        match self {
            ChartX::Latency => "estimated latency of one call (ms)",
            ChartX::Memory => "estimated memory of one call (MB)",
        }
    }

    /// The value plotted for one estimate.
    pub fn of(self, e: &crate::Estimate) -> f64 {
        match self {
            ChartX::Latency => e.latency_ms,
            ChartX::Memory => e.memory_mb,
        }
    }
}

/// Where a logged decision stands in its log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFacts {
    /// The record's sequence number.
    pub seq: u64,
    /// The record's hash.
    pub record_hash: String,
    /// Whether every record of the log from the first up to this one verified; `None` when the
    /// chain was not checked (the service reads one record and checks only its own hash).
    pub chain_verified: Option<bool>,
    /// What the verification found, in a sentence.
    pub chain_detail: String,
}

/// The task file as the user submitted it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// Its name (a path).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// How to render a report.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlOptions {
    /// How many ranked models the bar chart shows (the tables show every one).
    pub top: usize,
    /// What the scatter plots against the score.
    pub chart_x: ChartX,
    /// The task file as submitted, shown beside the recorded (normalised) task.
    pub submitted: Option<Submitted>,
    /// For a logged decision: its place in the log.
    pub audit: Option<AuditFacts>,
    /// Prefix of every `id` the report defines, so that two reports can share a page.
    pub id_prefix: String,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            top: 10,
            chart_x: ChartX::default(),
            submitted: None,
            audit: None,
            id_prefix: "arbiter".into(),
        }
    }
}

/// Text made safe for HTML and XML, element content and quoted attribute values alike: `&`,
/// `<`, `>`, `"` and `'` become references, and control characters XML does not allow become
/// U+FFFD. Displays the escaped text; `escape(s).to_string()` gives it as a string.
pub fn escape(text: &str) -> Escaped<'_> {
    Escaped(text)
}

/// Text that displays escaped ([`escape`]).
#[derive(Debug, Clone, Copy)]
pub struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(i) = rest.find(|c: char| {
            matches!(c, '&' | '<' | '>' | '"' | '\'')
                || (c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        }) {
            f.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or('\u{fffd}');
            f.write_str(match c {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => "\u{fffd}",
            })?;
            rest = &rest[i + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

/// The page's title: the task's name and the outcome.
pub fn title(report: &Report<'_>) -> String {
    let d = report.decision;
    let what = match &d.chosen {
        Some(m) => format!("{m} chosen"),
        None => "no model chosen".into(),
    };
    format!("Model decision: {} — {what}", d.task.name)
}

/// The report's CSS, every rule scoped to `.arbiter-report` (the element [`body`] makes),
/// screen and print (A4) alike.
pub const STYLE: &str = r#"
.arbiter-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1a1a1a; line-height: 1.45; max-width: 60rem; margin: 0 auto; }
.arbiter-report h1 { font-size: 1.5rem; margin: 0 0 .3rem; }
.arbiter-report h2 { font-size: 1.2rem; margin: 1.8rem 0 .5rem; border-bottom: 1px solid #ccc; }
.arbiter-report h3 { font-size: 1rem; margin: 1.2rem 0 .4rem; }
.arbiter-report .outcome { font-size: 1.1rem; }
.arbiter-report .note { color: #444; font-size: .9rem; }
.arbiter-report code, .arbiter-report pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .85rem; }
.arbiter-report pre { background: #f4f4f4; padding: .5rem .7rem; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.arbiter-report table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .8rem; }
.arbiter-report caption { text-align: left; font-weight: 600; padding: .2rem 0; }
.arbiter-report th, .arbiter-report td { border-bottom: 1px solid #ddd; padding: .2rem .35rem;
  text-align: left; vertical-align: top; overflow-wrap: anywhere; }
.arbiter-report thead th { border-bottom: 2px solid #888; overflow-wrap: normal; }
.arbiter-report tbody th { min-width: 8rem; }
.arbiter-report td.num, .arbiter-report th.num { text-align: right; font-variant-numeric: tabular-nums;
  overflow-wrap: normal; }
.arbiter-report dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; }
.arbiter-report dl.facts dt { font-weight: 600; }
.arbiter-report dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.arbiter-report figure { margin: 1rem 0; }
.arbiter-report figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
.arbiter-report svg.chart { display: block; width: 100%; height: auto; }
.arbiter-report svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; }
.arbiter-report ul.legend { list-style: none; padding: 0; margin: .3rem 0; display: flex; flex-wrap: wrap;
  gap: .2rem 1.2rem; font-size: .9rem; }
.arbiter-report ul.legend svg { vertical-align: middle; margin-right: .3rem; }
.arbiter-report .verified { color: #117733; font-weight: 600; }
.arbiter-report .broken { color: #882255; font-weight: 600; }
.arbiter-report .unchecked { color: #444; font-weight: 600; }
@media print {
  .arbiter-report { max-width: none; font-size: 9.5pt; }
  .arbiter-report figure, .arbiter-report tr, .arbiter-report dl.facts, .arbiter-report pre
    { break-inside: avoid; page-break-inside: avoid; }
  .arbiter-report h2, .arbiter-report h3, .arbiter-report caption { break-after: avoid; page-break-after: avoid; }
  .arbiter-report thead { display: table-header-group; }
  .arbiter-report * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

/// The whole page: a self-contained HTML document holding [`body`].
pub fn render(report: &Report<'_>, options: &HtmlOptions) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
         <meta name=\"generator\" content=\"Model Arbiter {}\" />\n<title>{}</title>\n\
         <style>\n@page {{ size: A4; margin: 14mm 12mm; }}\nbody {{ margin: 1.5rem; }}\n\
         @media print {{ body {{ margin: 0; }} }}{STYLE}</style>\n</head>\n<body>\n<main>\n",
        env!("CARGO_PKG_VERSION"),
        escape(&title(report)),
    );
    s.push_str(&body(report, options));
    s.push_str("</main>\n</body>\n</html>\n");
    s
}

/// The report alone, an `<article class="arbiter-report">` for embedding in a page that
/// includes [`STYLE`].
pub fn body(report: &Report<'_>, options: &HtmlOptions) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<article class=\"arbiter-report\" id=\"{}\">",
        escape(&options.id_prefix)
    );
    sections::header(&mut s, report, options);
    sections::task(&mut s, report, options);
    bars::section(&mut s, report, options);
    scatter::section(&mut s, report, options);
    weights::section(&mut s, report, options);
    sections::counterfactuals(&mut s, report);
    sections::vetoes(&mut s, report);
    sections::errors(&mut s, report);
    s.push_str("</article>\n");
    s
}
