//! The reader: core schema, positions, duplicate keys, non-finite numbers, aliases, refusals.

use serde_json::json;

use super::{MAX_ALIASED_NODES, parse};
use crate::span::Span;

fn value(text: &str) -> serde_json::Value {
    match parse(text) {
        Ok(p) => {
            assert!(p.problems.is_empty(), "{:?}", p.problems);
            p.value
        }
        Err(e) => panic!("{text:?}: {e:?}"),
    }
}

#[test]
fn plain_scalars_follow_the_core_schema() {
    assert_eq!(
        value(
            "a: ~\nb: true\nc: 12\nd: -7\ne: 0.5\nf: 1e3\ng: 0x1f\nh: 0o17\ni: yes\nj: '12'\nk: .5\nl: 1.\nm: 12abc\nn:\n"
        ),
        json!({"a": null, "b": true, "c": 12, "d": -7, "e": 0.5, "f": 1000.0, "g": 31,
               "h": 15, "i": "yes", "j": "12", "k": 0.5, "l": 1.0, "m": "12abc", "n": null})
    );
    assert_eq!(
        value("[!!str 12, !!int '3', !!float 2, !!null '']"),
        json!(["12", 3, 2.0, null])
    );
    assert_eq!(value("99999999999999999999"), json!(1e20));
    assert_eq!(value(""), json!(null));
    assert_eq!(value("- |\n  two\n  lines\n"), json!(["two\nlines\n"]));
}

#[test]
fn every_node_has_its_own_position_even_in_flow_lists() {
    let p =
        super::positions("task: translation\nlanguages: [en, xx]\nresources:\n  device: mobile\n");
    let at = |ptr| p.node(ptr).map(|s| (s.line, s.column));
    assert_eq!(at("/languages/1"), Some((2, 17)));
    assert_eq!(at("/languages/0"), Some((2, 13)));
    assert_eq!(at("/resources/device"), Some((4, 11)));
    assert_eq!(
        at("/resources/max_latency_ms"),
        Some((4, 3)),
        "a missing field: its parent"
    );
    assert_eq!(p.key("/resources/device").map(|s| s.column), Some(3));
}

#[test]
fn duplicate_keys_are_problems_naming_both_lines() {
    let p = parse("task: generation\nlanguages: [en]\ntask: translation\n")
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(p.problems.len(), 1);
    let d = &p.problems[0];
    assert_eq!(d.path, "/task");
    assert!(d.message.contains("line 1 and line 3"), "{}", d.message);
    assert_eq!(
        d.span,
        Some(Span {
            line: 3,
            column: 1,
            len: 4
        })
    );
}

#[test]
fn non_finite_numbers_are_problems_with_their_place() {
    let p = parse("a:\n  b: [1, .nan]\n  c: -.inf\n").unwrap_or_else(|e| panic!("{e:?}"));
    let at: Vec<_> = p
        .problems
        .iter()
        .map(|d| (d.path.as_str(), d.span.map(|s| s.line)))
        .collect();
    assert_eq!(at, [("/a/b/1", Some(2)), ("/a/c", Some(3))]);
}

#[test]
fn aliases_expand_within_a_budget() {
    assert_eq!(
        value("a: &x [1, 2]\nb: *x\n"),
        json!({"a": [1, 2], "b": [1, 2]})
    );
    // Nine levels of nine: 9^9 nodes if expanded.
    let mut bomb = String::from("l0: &l0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        bomb += &format!(
            "l{i}: &l{i} [*l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}, *l{p}]\n"
        );
    }
    let e = parse(&bomb)
        .err()
        .unwrap_or_else(|| panic!("bomb accepted"));
    assert!(
        e.message.contains(&MAX_ALIASED_NODES.to_string()),
        "{}",
        e.message
    );
    assert!(e.span.line > 1);
}

#[test]
fn refusals_are_located() {
    for (text, line, needle) in [
        ("a: 1\n---\nb: 2\n", 2, "more than one"),
        ("a: !custom 1\n", 1, "unsupported tag"),
        ("? [a]\n: 1\n", 1, "mapping key"),
        ("a: *nowhere\n", 1, "anchor"),
        ("a: [1, 2\nb: 3\n", 2, ""),
        ("a: !!int x\n", 1, "not an integer"),
    ] {
        let e = parse(text)
            .err()
            .unwrap_or_else(|| panic!("{text:?} accepted"));
        assert_eq!(e.span.line, line, "{text:?}: {e:?}");
        assert!(e.message.contains(needle), "{text:?}: {e:?}");
    }
    let deep = "[".repeat(super::MAX_DEPTH + 10) + "]".repeat(super::MAX_DEPTH + 10).as_str();
    assert!(parse(&deep).is_err());
}
