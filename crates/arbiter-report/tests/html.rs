//! The HTML report, checked as a structure rather than as text: every example task's decision
//! with the default bundle is rendered, parsed as XML, and what its charts draw is compared with
//! the decision record (the `data-` attributes carry each number exactly), the estimates with
//! what the `resources` criterion quoted, the Pareto front with its definition.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic: that is how they fail

use std::collections::BTreeMap;

use arbiter_engine::counterfactual::counterfactuals;
use arbiter_engine::decide::{Outcome, Rejection};
use arbiter_engine::{Bundle, Decision, decide, load};
use arbiter_report::html::{self, AuditFacts, ChartX, HtmlOptions, Submitted};
use arbiter_report::{Estimate, Report, chosen_at, estimates::estimates, sentences};
use arbiter_test_support::{BundleCopy, external_references, repo, repo_listing};
use roxmltree::{Document, Node, ParsingOptions};

struct Example {
    task: String,
    decision: Decision,
    estimates: Vec<Estimate>,
}

fn bundle() -> Bundle {
    Bundle::load(&repo().join("policies"), None).expect("the default bundle loads")
}

fn examples(bundle: &Bundle) -> Vec<Example> {
    let tasks = repo_listing("examples/tasks", |p| {
        p.extension().is_some_and(|e| e == "yaml" || e == "json")
    });
    assert!(tasks.len() >= 10, "the examples are the test data");
    tasks
        .into_iter()
        .map(|task| {
            let t = load::load_task(&repo().join(&task)).unwrap_or_else(|e| panic!("{e}"));
            let decision = decide(bundle, t).unwrap_or_else(|e| panic!("{task}: {e}"));
            let estimates = estimates(bundle, &decision);
            Example {
                task,
                decision,
                estimates,
            }
        })
        .collect()
}

fn parse(page: &str) -> Document<'_> {
    let options = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(page, options)
        .unwrap_or_else(|e| panic!("the page is not well-formed: {e}\n{page}"))
}

fn f64_attr(n: Node<'_, '_>, name: &str) -> f64 {
    let v = n
        .attribute(name)
        .unwrap_or_else(|| panic!("{n:?} has no {name}"));
    v.parse()
        .unwrap_or_else(|e| panic!("{name}=\"{v}\" is not a number: {e}"))
}

/// The `<svg>` with this id.
fn chart<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Option<Node<'a, 'i>> {
    doc.descendants()
        .find(|n| n.has_tag_name("svg") && n.attribute("id") == Some(id))
}

/// All text under a node, joined.
fn text_of(n: Node<'_, '_>) -> String {
    n.descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect()
}

/// The rows of the table whose caption starts with `caption`: each row's cells as text.
fn table_rows(doc: &Document<'_>, caption: &str) -> Vec<Vec<String>> {
    let table = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("table")
                && n.children()
                    .any(|c| c.has_tag_name("caption") && text_of(c).starts_with(caption))
        })
        .unwrap_or_else(|| panic!("no table captioned {caption:?}"));
    table
        .descendants()
        .filter(|n| n.has_tag_name("tbody"))
        .flat_map(|b| b.children().filter(|r| r.has_tag_name("tr")))
        .map(|r| {
            r.children()
                .filter(|c| c.has_tag_name("td") || c.has_tag_name("th"))
                .map(text_of)
                .collect()
        })
        .collect()
}

/// The page is well-formed, in English, titled, self-contained, and every chart is an image
/// labelled by its own title and description.
fn check_page(page: &str) -> Document<'_> {
    assert_eq!(external_references(page), Vec::<String>::new());
    let doc = parse(page);
    let root = doc.root_element();
    assert!(root.has_tag_name("html"));
    assert_eq!(root.attribute("lang"), Some("en"));
    let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
    assert!(!text_of(title).trim().is_empty());
    for bad in ["script", "link", "img", "iframe", "object", "embed", "base"] {
        assert!(
            !doc.descendants().any(|n| n.has_tag_name(bad)),
            "a <{bad}> element"
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    for n in doc.descendants().filter(|n| n.is_element()) {
        if let Some(id) = n.attribute("id") {
            assert!(ids.insert(id), "id {id} used twice");
        }
    }
    for svg in doc
        .descendants()
        .filter(|n| n.has_tag_name("svg") && n.attribute("role") == Some("img"))
    {
        let labels = svg.attribute("aria-labelledby").unwrap();
        for id in labels.split(' ') {
            let label = svg
                .descendants()
                .find(|n| n.attribute("id") == Some(id))
                .unwrap_or_else(|| panic!("{id} is not in its chart"));
            assert!(label.has_tag_name("title") || label.has_tag_name("desc"));
            assert!(!text_of(label).trim().is_empty(), "{id} is empty");
        }
        assert!(svg.attribute("viewBox").is_some());
        assert_eq!(svg.attribute("width"), Some("100%"));
    }
    for th in doc.descendants().filter(|n| n.has_tag_name("th")) {
        assert!(th.attribute("scope").is_some(), "a <th> without scope");
    }
    doc
}

/// The bars: one segment per criterion that contributed, for exactly the first `top` models,
/// its contribution the record's and its width to scale; each score labelled as recorded.
fn check_bars(doc: &Document<'_>, d: &Decision, top: usize) {
    let svg = chart(doc, "arbiter-scores").expect("the score chart");
    let group = svg
        .descendants()
        .find(|n| n.attribute("data-px-per-score").is_some())
        .unwrap();
    let scale = f64_attr(group, "data-px-per-score");
    let mut drawn: BTreeMap<(String, String), Node<'_, '_>> = BTreeMap::new();
    for rect in svg
        .descendants()
        .filter(|n| n.attribute("data-contribution").is_some())
    {
        let model = rect.parent().unwrap().attribute("data-model").unwrap();
        let criterion = rect.attribute("data-criterion").unwrap();
        assert!(
            drawn
                .insert((model.to_string(), criterion.to_string()), rect)
                .is_none(),
            "{model} {criterion} drawn twice"
        );
    }
    let mut expected = 0;
    for r in d.ranking.iter().take(top) {
        for (criterion, res) in &r.criteria {
            if res.contribution <= 0.0 {
                continue;
            }
            expected += 1;
            let rect = drawn
                .get(&(r.model.clone(), criterion.clone()))
                .unwrap_or_else(|| panic!("no segment for {} {criterion}", r.model));
            assert_eq!(f64_attr(*rect, "data-contribution"), res.contribution);
            let width = f64_attr(*rect, "width");
            assert!(
                (width - res.contribution * scale).abs() <= 0.006,
                "{} {criterion}: width {width} for {}",
                r.model,
                res.contribution
            );
        }
        let label = svg
            .descendants()
            .find(|n| {
                n.attribute("data-score").is_some()
                    && n.parent().unwrap().attribute("data-model") == Some(r.model.as_str())
            })
            .unwrap_or_else(|| panic!("no score label for {}", r.model));
        assert_eq!(f64_attr(label, "data-score"), r.score);
        assert_eq!(text_of(label), format!("{:.3}", r.score));
        // The segments add up to the score.
        let sum: f64 = drawn
            .iter()
            .filter(|((m, _), _)| *m == r.model)
            .map(|(_, n)| f64_attr(*n, "data-contribution"))
            .sum();
        assert!(
            (sum - r.score).abs() < 1e-9,
            "{}: {sum} ≠ {}",
            r.model,
            r.score
        );
    }
    assert_eq!(drawn.len(), expected, "segments beyond the top {top}");
}

/// A number the `resources` criterion quoted after `before` ("about 443 MB"), as it rounds them.
fn quoted(reason: &str, before: &str, unit: &str) -> Option<f64> {
    let at = reason.find(before)? + before.len();
    let rest = &reason[at..];
    let end = rest.find(unit)?;
    rest[..end].trim().parse().ok()
}

/// The script's rounding: whole from 100, else one decimal.
fn as_quoted(x: f64) -> f64 {
    if x >= 100.0 {
        x.round()
    } else {
        (x * 10.0).round() / 10.0
    }
}

/// The scatter: one marker per ranked model, at its score and estimate; the estimate what the
/// resources criterion quoted; the front exactly the models no other dominates.
fn check_scatter(doc: &Document<'_>, ex: &Example, axis: ChartX) {
    let d = &ex.decision;
    let svg = chart(doc, "arbiter-cost").expect("the cost chart");
    let marks: BTreeMap<&str, Node<'_, '_>> = svg
        .descendants()
        .filter_map(|n| Some((n.attribute("data-model")?, n)))
        .collect();
    assert_eq!(
        marks.len(),
        d.ranking.len(),
        "{}: one mark a model",
        ex.task
    );
    let by_model: BTreeMap<&str, &Estimate> =
        ex.estimates.iter().map(|e| (e.model.as_str(), e)).collect();
    let mut compared = 0;
    for r in &d.ranking {
        let mark = marks[r.model.as_str()];
        let e = by_model[r.model.as_str()];
        assert_eq!(f64_attr(mark, "data-score"), r.score);
        assert_eq!(f64_attr(mark, "data-x"), axis.of(e));
        if let Some(p) = r.precision {
            assert_eq!(
                e.precision, p,
                "{}: priced at the precision judged",
                r.model
            );
            assert!(e.recorded_precision);
        }
        let reason = r.criteria["resources"].reasons.join("; ");
        if let (Some(mb), Some(ms)) = (
            quoted(&reason, "about ", " MB"),
            quoted(&reason, " MB and ", " ms"),
        ) {
            assert_eq!(as_quoted(e.memory_mb), mb, "{}: {reason}", r.model);
            assert_eq!(as_quoted(e.latency_ms), ms, "{}: {reason}", r.model);
            compared += 1;
        }
    }
    assert!(
        compared == d.ranking.len(),
        "{}: the resources criterion quoted {compared} of {} estimates",
        ex.task,
        d.ranking.len()
    );
    for r in &d.ranking {
        let x = axis.of(by_model[r.model.as_str()]);
        let dominated = d.ranking.iter().any(|o| {
            let ox = axis.of(by_model[o.model.as_str()]);
            ox <= x && o.score >= r.score && (ox < x || o.score > r.score)
        });
        let front = marks[r.model.as_str()].attribute("data-front") == Some("true");
        assert_eq!(front, !dominated, "{}: {} on the front?", ex.task, r.model);
    }
    if let Some(chosen) = &d.chosen {
        assert!(
            marks[chosen.as_str()].has_tag_name("path"),
            "the chosen is a diamond"
        );
    }
}

/// The sensitivity bars: one per criterion, its bounds and weight the solved ones.
fn check_weights(doc: &Document<'_>, report: &Report<'_>) {
    let d = report.decision;
    let ranges = report.sensitivity();
    let Some(svg) = chart(doc, "arbiter-weights") else {
        assert!(d.chosen.is_none() || ranges.is_empty());
        return;
    };
    let bars: Vec<Node<'_, '_>> = svg
        .descendants()
        .filter(|n| n.attribute("data-low").is_some())
        .collect();
    assert_eq!(bars.len(), ranges.len());
    for (bar, r) in bars.iter().zip(ranges) {
        assert_eq!(
            bar.parent().unwrap().attribute("data-criterion"),
            Some(r.criterion.as_str())
        );
        assert_eq!(f64_attr(*bar, "data-weight"), r.weight);
        assert_eq!(f64_attr(*bar, "data-low"), r.low);
        match r.high {
            Some(h) => assert_eq!(f64_attr(*bar, "data-high"), h),
            None => assert_eq!(bar.attribute("data-high"), Some("inf")),
        }
        // The model the sensitivity names past the nearest bound is in the criterion's row.
        if let Some(next) = &r.next {
            let row = text_of(bar.parent().unwrap());
            assert!(row.contains(next.as_str()), "{}: {row}", r.criterion);
        }
    }
}

/// Every veto is listed under its criterion with its reason, in the record's order.
fn check_vetoes(doc: &Document<'_>, d: &Decision) {
    let mut by: BTreeMap<&str, Vec<&Rejection>> = BTreeMap::new();
    for r in &d.rejected {
        by.entry(r.criterion.as_str()).or_default().push(r);
    }
    for (criterion, group) in by {
        let rows = table_rows(doc, &format!("Vetoed by {criterion} ("));
        let want: Vec<Vec<String>> = group
            .iter()
            .map(|r| vec![r.model.clone(), r.reason.clone()])
            .collect();
        assert_eq!(rows, want, "{criterion}");
    }
}

#[test]
fn every_example_renders_a_self_contained_page_whose_charts_are_the_record() {
    let bundle = bundle();
    let mut with_vetoes = 0;
    for ex in examples(&bundle) {
        let d = &ex.decision;
        let report =
            Report::new(d, Some(bundle.catalog.models.len())).with_estimates(ex.estimates.clone());
        let options = HtmlOptions::default();
        let page = html::render(&report, &options);
        let doc = check_page(&page);

        // Every ranked model is in the ranking table, in order, with its score.
        let rows = table_rows(&doc, "Every ranked model");
        let listed: Vec<(String, String)> =
            rows.iter().map(|r| (r[1].clone(), r[2].clone())).collect();
        let want: Vec<(String, String)> = d
            .ranking
            .iter()
            .map(|r| (r.model.clone(), format!("{:.3}", r.score)))
            .collect();
        assert_eq!(listed, want, "{}", ex.task);

        let outcome = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("outcome"))
            .unwrap();
        assert_eq!(text_of(outcome), sentences::outcome(&report));
        for hash in [
            &d.bundle.hash,
            &d.catalog_hash,
            &d.task_hash,
            &d.decision_id,
        ] {
            assert!(page.contains(hash.as_str()), "{}: {hash}", ex.task);
        }

        check_bars(&doc, d, options.top);
        check_scatter(&doc, &ex, ChartX::Latency);
        check_weights(&doc, &report);
        check_vetoes(&doc, d);
        with_vetoes += usize::from(!d.rejected.is_empty());
    }
    assert!(with_vetoes >= 5, "the examples veto too little to test");
}

#[test]
fn top_and_memory_options_change_what_is_drawn() {
    let bundle = bundle();
    let examples = examples(&bundle);
    let ex = examples
        .iter()
        .find(|e| e.decision.ranking.len() > 4)
        .expect("an example ranking more than four models");
    let report = Report::new(&ex.decision, None).with_estimates(ex.estimates.clone());
    let options = HtmlOptions {
        top: 3,
        chart_x: ChartX::Memory,
        ..HtmlOptions::default()
    };
    let page = html::render(&report, &options);
    let doc = check_page(&page);
    check_bars(&doc, &ex.decision, 3);
    check_scatter(&doc, ex, ChartX::Memory);
    assert!(page.contains("estimated memory of one call (MB)"));
}

#[test]
fn counterfactuals_and_the_submitted_task_are_shown() {
    let bundle = bundle();
    let path = repo().join("examples/tasks/legal-classification.yaml");
    let task = load::load_task(&path).unwrap();
    let d = decide(&bundle, task.clone()).unwrap();
    let found = counterfactuals(&bundle, &task, 8);
    assert!(!found.is_empty(), "the legal example has counterfactuals");
    let report = Report::new(&d, None).with_counterfactuals(found.clone());
    let submitted = std::fs::read_to_string(&path).unwrap();
    let options = HtmlOptions {
        submitted: Some(Submitted {
            name: "legal-classification.yaml".into(),
            text: submitted.clone(),
        }),
        ..HtmlOptions::default()
    };
    let page = html::render(&report, &options);
    let doc = check_page(&page);
    let rows = table_rows(&doc, "For each task field");
    let want: Vec<Vec<String>> = found
        .iter()
        .map(|c| {
            vec![
                c.field.clone(),
                c.from.clone(),
                c.to.clone(),
                c.chosen.clone().unwrap_or("nothing would be chosen".into()),
            ]
        })
        .collect();
    assert_eq!(rows, want);
    let pre: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("pre"))
        .map(text_of)
        .collect();
    assert!(pre.contains(&submitted.trim_end().to_string()), "{pre:?}");
    // Without estimates, the scatter says why it is missing instead of drawing nothing.
    assert!(chart(&doc, "arbiter-cost").is_none());
    assert!(page.contains("Not drawn: estimating latency and memory needs the bundle"));
}

#[test]
fn a_logged_decision_shows_its_place_in_the_chain() {
    let bundle = bundle();
    let d = &examples(&bundle)[0].decision;
    for (verified, says) in [
        (Some(true), "verified up to this record"),
        (Some(false), "NOT verified up to this record"),
        (None, "not checked here"),
    ] {
        let options = HtmlOptions {
            audit: Some(AuditFacts {
                seq: 41,
                record_hash: "sha256:feedface".into(),
                chain_verified: verified,
                chain_detail: "the detail".into(),
            }),
            ..HtmlOptions::default()
        };
        let page = html::render(&Report::new(d, None), &options);
        let doc = check_page(&page);
        let facts: BTreeMap<String, String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("dt"))
            .map(|dt| {
                let dd = dt.next_sibling_element().unwrap();
                (text_of(dt), text_of(dd))
            })
            .collect();
        assert_eq!(facts["Log record"], "41");
        assert_eq!(facts["Record hash"], "sha256:feedface");
        assert_eq!(facts["Hash chain"], format!("{says}: the detail"));
    }
}

#[test]
fn a_limited_record_counts_what_it_left_out() {
    let bundle = bundle();
    let ex = examples(&bundle)
        .into_iter()
        .find(|e| e.decision.ranking.len() > 3 && !e.decision.rejected.is_empty())
        .unwrap();
    let limited = ex.decision.limited_to(3);
    let page = html::render(&Report::new(&limited, None), &HtmlOptions::default());
    let doc = check_page(&page);
    let rows = table_rows(&doc, "Vetoes by criterion");
    let l = limited.limited.as_ref().unwrap();
    let want: Vec<Vec<String>> = l
        .vetoes_by_criterion
        .iter()
        .map(|(c, n)| vec![c.clone(), n.to_string()])
        .collect();
    assert_eq!(rows, want);
    assert!(page.contains(&format!(
        "{} ranked (this record keeps the first 3)",
        l.ranked
    )));
    check_bars(&doc, &limited, 10);
}

#[test]
fn a_decision_without_a_choice_still_renders() {
    let bundle = bundle();
    let mut d = examples(&bundle)[0].decision.clone();
    d.outcome = Outcome::AllVetoed;
    d.chosen = None;
    d.ranking.clear();
    let report = Report::new(&d, None);
    let page = html::render(&report, &HtmlOptions::default());
    let doc = check_page(&page);
    assert!(chart(&doc, "arbiter-scores").is_none());
    assert!(page.contains("No model was chosen"));
    assert!(page.contains("no model chosen</title>"));
}

#[test]
fn script_errors_are_listed_with_what_was_done_and_a_failed_decision_renders() {
    let task = load::load_task(&repo().join("examples/tasks/legal-classification.yaml")).unwrap();
    // domain (on_error = abstain) fails on Google's models for legal tasks only: the bundle's
    // smoke call, a general task, passes.
    let abstaining = BundleCopy::policies();
    abstaining.prepend_to_evaluate(
        "domain",
        &["if task.domain == \"legal\" && model.id.starts_with(\"google/\") { return 1 / 0; }"],
    );
    let bundle = Bundle::load(abstaining.path(), None).unwrap();
    let d = decide(&bundle, task.clone()).unwrap();
    assert_eq!(d.outcome, Outcome::Chosen);
    assert!(d.errors.len() >= 2, "{:?}", d.errors);
    let page = html::render(&Report::new(&d, None), &HtmlOptions::default());
    let doc = check_page(&page);
    let rows = table_rows(&doc, "Run-time errors of the criteria");
    let want: Vec<Vec<String>> = d
        .errors
        .iter()
        .map(|e| {
            vec![
                e.criterion.clone(),
                e.model.clone(),
                e.message.clone(),
                e.at.clone(),
                "the criterion was left out for this model (on_error = abstain)".into(),
            ]
        })
        .collect();
    assert_eq!(rows, want);

    // task_type (on_error = fail) fails: nothing is chosen, and the page says why.
    let failing = BundleCopy::policies();
    failing.prepend_to_evaluate(
        "task_type",
        &["if task.domain == \"legal\" && model.id == \"distilbert-base-uncased\" { return 1 / 0; }"],
    );
    let bundle = Bundle::load(failing.path(), None).unwrap();
    let d = decide(&bundle, task).unwrap();
    assert_eq!(d.outcome, Outcome::Failed);
    let report = Report::new(&d, None);
    let page = html::render(&report, &HtmlOptions::default());
    let doc = check_page(&page);
    let rows = table_rows(&doc, "Run-time errors of the criteria");
    assert_eq!(rows.len(), d.errors.len());
    assert!(rows[0][4].starts_with("the decision failed"), "{rows:?}");
    assert!(page.contains(&sentences::outcome(&report)));
}

#[test]
fn hostile_input_is_text_never_markup() {
    let bundle = bundle();
    let mut d = examples(&bundle)[0].decision.clone();
    let hostile =
        "</title><script>alert(\"x\")</script> & 'quoted' <img src=x onerror=alert(1)>\u{1}";
    d.task.name = hostile.to_string();
    d.ranking[0].model = format!("evil\"><script>1</script>{}", d.ranking[0].model);
    d.chosen = Some(d.ranking[0].model.clone());
    for r in d.ranking.iter_mut() {
        for c in r.criteria.values_mut() {
            c.reasons = vec![hostile.to_string()];
        }
    }
    for r in d.rejected.iter_mut() {
        r.reason = hostile.to_string();
    }
    let mut report = Report::new(&d, None);
    report = report.with_estimates(estimates(&bundle, &d));
    let options = HtmlOptions {
        submitted: Some(Submitted {
            name: hostile.into(),
            text: hostile.into(),
        }),
        ..HtmlOptions::default()
    };
    let page = html::render(&report, &options);
    assert!(!page.to_ascii_lowercase().contains("<script"), "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(!page.contains('\u{1}'), "a control character XML forbids");
    let doc = parse(&page);
    for bad in ["script", "img"] {
        assert!(!doc.descendants().any(|n| n.has_tag_name(bad)));
    }
    // The text reads as it was written, in the title, the heading, the tables and the charts.
    let readable = hostile.replace('\u{1}', "\u{fffd}");
    let title = doc.descendants().find(|n| n.has_tag_name("title")).unwrap();
    assert!(text_of(title).contains(&readable));
    let h1 = doc.descendants().find(|n| n.has_tag_name("h1")).unwrap();
    assert_eq!(text_of(h1), format!("Model decision: {readable}"));
    let model = &d.ranking[0].model;
    let marks = doc
        .descendants()
        .filter(|n| n.attribute("data-model") == Some(model.as_str()))
        .count();
    assert!(marks >= 1, "the hostile id is an attribute value, intact");
}

#[test]
fn the_model_taking_over_at_the_nearest_bound_is_the_one_the_sensitivity_names() {
    let bundle = bundle();
    let mut compared = 0;
    for ex in examples(&bundle) {
        let d = &ex.decision;
        let report = Report::new(d, None);
        for r in report.sensitivity() {
            let Some(next) = &r.next else { continue };
            // The nearest bound, as the sensitivity chose it.
            let bound = match (r.high, r.low > 0.0) {
                (Some(h), true) if h - r.weight < r.weight - r.low => h + 1e-6 * h.max(1.0),
                (_, true) => r.low - 1e-6 * r.low.max(1.0),
                (Some(h), false) => h + 1e-6 * h.max(1.0),
                (None, false) => unreachable!("a next model without a bound"),
            };
            let now = chosen_at(d, &r.criterion, r.weight).unwrap();
            assert_eq!(Some(&now.model), d.chosen.as_ref(), "at the weight now");
            let then = chosen_at(d, &r.criterion, bound).unwrap();
            assert_eq!(&then.model, next, "{}: {}", ex.task, r.criterion);
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} bounds to compare");
}

#[test]
fn escaping_covers_markup_quotes_and_control_characters() {
    assert_eq!(
        html::escape("a<b>&\"c\"'d'\u{7}\te").to_string(),
        "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;\u{fffd}\te"
    );
    assert_eq!(html::escape("plain → text").to_string(), "plain → text");
}
