//! Errors that point into a user's file, shown as a compiler shows them: the headline
//! (`file:line:column: pointer: message`, which editors and terminals jump to), then the source
//! lines with the offending span underlined, then a `help:` line where a fix is known.
//!
//! Rendering uses `miette`'s graphical handler, without colour when stderr is not a terminal or
//! `NO_COLOR` is set. A file that cannot be read again (the built-in bundle, `<stdin>`) gets
//! the headline alone.

use std::io::IsTerminal;

use arbiter_engine::{BundleError, Diagnostic, LoadError, Span};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource,
    ThemeCharacters,
};

/// Prints a document error to stderr.
pub fn print_load(e: &LoadError) {
    eprint!("{}", render_load(e, colour()));
}

/// Prints a bundle error to stderr, prefixed by what was being loaded (`invalid bundle`).
pub fn print_bundle(e: &BundleError) {
    eprint!("{}", render_bundle(e, colour()));
}

/// A document error, rendered.
pub fn render_load(e: &LoadError, colour: bool) -> String {
    match e {
        LoadError::Syntax {
            origin,
            span,
            message,
        } => render(origin, &[located(origin, *span, message, None)], colour),
        LoadError::Invalid {
            origin,
            kind,
            diagnostics,
        } => {
            let items: Vec<Item> = diagnostics.iter().map(|d| item(origin, d)).collect();
            let mut out = render(origin, &items, colour);
            let n = diagnostics.len();
            out += &format!(
                "{origin}: invalid {kind}, {n} problem{}\n",
                if n == 1 { "" } else { "s" }
            );
            out
        }
        other => format!("error: {other}\n"),
    }
}

/// A bundle error, rendered.
pub fn render_bundle(e: &BundleError, colour: bool) -> String {
    match e {
        BundleError::Document(inner) => render_load(inner, colour),
        BundleError::Script {
            file,
            span,
            message,
        } => render(file, &[located(file, *span, message, None)], colour),
        BundleError::Signature(e) => format!("error: bundle refused: {e}\n"),
        other => format!("error: invalid bundle: {other}\n"),
    }
}

/// One problem to show: its headline, where it is, what to underline it with, and a fix.
struct Item {
    headline: String,
    span: Option<Span>,
    label: String,
    help: Option<String>,
}

fn item(origin: &str, d: &Diagnostic) -> Item {
    let pointer = if d.path.is_empty() { "/" } else { &d.path };
    match d.span {
        Some(span) => Item {
            headline: format!("{origin}:{span}: {pointer}: {}", d.message),
            span: Some(span),
            label: short_label(&d.message),
            help: d.help.clone(),
        },
        None => Item {
            headline: format!("{origin}: {pointer}: {}", d.message),
            span: None,
            label: String::new(),
            help: d.help.clone(),
        },
    }
}

fn located(origin: &str, span: Span, message: &str, help: Option<String>) -> Item {
    Item {
        headline: format!("{origin}:{span}: {message}"),
        span: Some(span),
        // "invalid YAML: <what the parser said>": what the parser said is the label.
        label: short_label(
            message
                .strip_prefix("invalid ")
                .and_then(|m| m.split_once(": "))
                .map_or(message, |(_, rest)| rest),
        ),
        help,
    }
}

/// The label under the span: the message up to its first clause, so the snippet stays narrow.
fn short_label(message: &str) -> String {
    let cut = [" (", "; ", ": "]
        .iter()
        .filter_map(|sep| message.find(sep))
        .min()
        .map_or(message, |i| &message[..i]);
    if cut.chars().count() > 60 {
        let head: String = cut.chars().take(57).collect();
        format!("{head}…")
    } else {
        cut.to_string()
    }
}

/// Renders every item; the source is read once, and only if some item is located.
fn render(origin: &str, items: &[Item], colour: bool) -> String {
    let source = items
        .iter()
        .any(|i| i.span.is_some())
        .then(|| std::fs::read_to_string(origin).ok())
        .flatten();
    let handler = handler(colour);
    let mut out = String::new();
    for i in items {
        let range = i
            .span
            .zip(source.as_deref())
            .and_then(|(span, text)| span.byte_range(text));
        // A line too long to show (minified JSON, a hostile document) is not shown: the
        // headline's line and column say where.
        let range = range.filter(|r| source.as_deref().is_some_and(|t| showable(t, r.start)));
        let (Some(range), Some(text)) = (range, source.as_deref()) else {
            out += &format!("error: {}\n", i.headline);
            if let Some(help) = &i.help {
                out += &format!("  help: {help}\n");
            }
            continue;
        };
        // An empty span (only the start is known) underlines one character.
        let len = if range.is_empty() {
            text[range.start..].chars().next().map_or(0, char::len_utf8)
        } else {
            range.len()
        };
        let mut d = MietteDiagnostic::new(i.headline.clone()).with_label(LabeledSpan::at(
            range.start..range.start + len,
            i.label.clone(),
        ));
        if let Some(help) = &i.help {
            d = d.with_help(help.clone());
        }
        let report = miette::Report::new(d)
            .with_source_code(NamedSource::new(origin, text.to_string()).with_language("yaml"));
        let mut rendered = String::new();
        if handler
            .render_report(&mut rendered, report.as_ref())
            .is_err()
        {
            rendered = format!("error: {}\n", i.headline);
        }
        // The headline starts at the margin, like every other error the command prints.
        out += rendered.strip_prefix("  ").unwrap_or(&rendered);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The longest source line a snippet shows.
const MAX_SNIPPET_LINE: usize = 400;

/// Whether the line holding byte `at`, and the lines either side of it, are short enough to
/// show.
fn showable(text: &str, at: usize) -> bool {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let before = text[..start.saturating_sub(1)]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    text[before..]
        .split('\n')
        .take(3)
        .all(|line| line.len() <= MAX_SNIPPET_LINE)
}

fn handler(colour: bool) -> GraphicalReportHandler {
    let mut theme = if colour {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    theme.characters = ThemeCharacters {
        error: "error:".into(),
        ..ThemeCharacters::unicode()
    };
    // Headlines are never wrapped: `file:line:column: pointer` stays on one line, for editors
    // and for grep.
    GraphicalReportHandler::new_themed(theme)
        .with_width(usize::MAX / 2)
        .with_context_lines(1)
        .with_links(false)
}

/// Colour only on a terminal, and never with `NO_COLOR` set.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_located_problem_shows_its_line_underlined_with_its_fix() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("task.yaml");
        let text = "name: x\ntask: text-classification\nlanguages: [en, xx]\n";
        std::fs::write(&path, text).expect("write");
        let origin = path.display().to_string();
        let e = LoadError::Invalid {
            origin: origin.clone(),
            kind: arbiter_engine::SchemaKind::Task,
            diagnostics: vec![
                Diagnostic::new("/languages/1", "unknown language code `xx` (ISO 639-1)")
                    .at_span(Span {
                        line: 3,
                        column: 17,
                        len: 2,
                    })
                    .with_help("did you mean `en`?"),
            ],
        };
        let out = render_load(&e, false);
        assert!(
            out.contains(&format!(
                "{origin}:3:17: /languages/1: unknown language code"
            )),
            "{out}"
        );
        assert!(
            out.contains("languages: [en, xx]"),
            "the source line:\n{out}"
        );
        assert!(out.contains("──"), "the span underlined:\n{out}");
        assert!(out.contains("help: did you mean `en`?"), "{out}");
        assert!(
            out.ends_with(&format!("{origin}: invalid task, 1 problem\n")),
            "{out}"
        );
    }

    #[test]
    fn a_line_too_long_to_show_is_left_out_of_the_snippet() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("deep.yaml");
        let long = format!("extra: {}{}", "[".repeat(120_000), "]".repeat(120_000));
        std::fs::write(&path, format!("name: x\n{long}\n")).expect("write");
        let origin = path.display().to_string();
        let e = LoadError::Syntax {
            origin: origin.clone(),
            span: Span::point(2, 136),
            message: "invalid YAML: recursion limit exceeded".into(),
        };
        let out = render_load(&e, false);
        assert_eq!(
            out,
            format!("error: {origin}:2:136: invalid YAML: recursion limit exceeded\n")
        );
    }

    #[test]
    fn without_the_source_the_headline_stands_alone() {
        let e = LoadError::Syntax {
            origin: "<stdin>".into(),
            span: Span::point(4, 2),
            message: "invalid YAML: mapping values are not allowed".into(),
        };
        assert_eq!(
            render_load(&e, false),
            "error: <stdin>:4:2: invalid YAML: mapping values are not allowed\n"
        );
    }
}
