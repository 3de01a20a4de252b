"""Errors: every problem of a task at once, located; bundles that do not load; paths that do
not exist; what the catalog importer refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CHINESE, REPO

import model_arbiter as ma

ENGLISH = dict(CHINESE, languages=["en"])

FOUR_ERRORS = """\
name: Sentiment
task: sentimnet-analysis
languages: []
data:
  labeled_examples: -5
colour: red
"""


def test_every_problem_of_yaml_text_with_its_line_and_column(arb) -> None:
    with pytest.raises(ma.TaskError) as caught:
        arb.select(FOUR_ERRORS)
    e = caught.value
    assert isinstance(e, ValueError) and e.origin == "<task>"
    assert [(p.pointer, p.line, p.column) for p in e.problems] == [
        ("/task", 2, 7),
        ("/languages", 3, 12),
        ("/data/labeled_examples", 5, 21),
        ("", 6, 1),
    ]
    assert e.problems[0].help == "did you mean `sentiment-analysis`?"
    assert "unknown field `colour`" in e.problems[3].message
    lines = str(e).splitlines()
    assert lines[0] == "<task>: invalid task, 4 problems:"
    assert lines[1].startswith("  <task>:2:7: /task: unknown task type")
    assert lines[4] == "  <task>:6:1: /: unknown field `colour`: not part of the task format"
    assert str(e.problems[1]) == "3:12: /languages: [] has less than 1 item"


def test_a_mappings_problems_have_pointers_and_no_lines(arb) -> None:
    task = {"name": "x", "task": "text-classification", "languages": ["en", "xx"], "data": {}}
    with pytest.raises(ma.TaskError) as caught:
        arb.select(task)
    problems = caught.value.problems
    assert {p.pointer for p in problems} == {"/data", "/languages/1"}
    assert all(p.line is None and p.column is None for p in problems)
    assert "<task>: /languages/1: unknown language code `xx`" in str(caught.value)
    assert ":1:" not in str(caught.value)


def test_a_files_problems_are_named_by_its_path(arb) -> None:
    path = REPO / "tests/cases/invalid/unknown-language-code.yaml"
    with pytest.raises(ma.TaskError) as caught:
        arb.select(path)
    e = caught.value
    assert e.origin == str(path)
    assert str(e).startswith(f"{path}: invalid task, 3 problems:\n  {path}:")
    assert e.problems[0].line is not None


def test_a_syntax_error_is_located(arb) -> None:
    with pytest.raises(ma.TaskError) as caught:
        arb.select("name: [unclosed\ntask: x\n")
    (problem,) = caught.value.problems
    assert problem.line is not None and problem.message.startswith("invalid YAML")
    with pytest.raises(ma.TaskError, match="invalid JSON"):
        arb.select(REPO / "tests/cases/invalid/broken-json.json")


def test_weights_the_bundle_does_not_have_are_a_task_error(arb) -> None:
    with pytest.raises(ma.TaskError) as caught:
        arb.select(dict(ENGLISH, weights={"colour": 2}))
    (problem,) = caught.value.problems
    assert problem.pointer == "/weights" and "`colour`" in problem.message


def test_what_is_not_a_task(arb, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        arb.select(tmp_path / "missing.yaml")
    with pytest.raises(FileNotFoundError):
        arb.select("missing-task.yaml")
    with pytest.raises(TypeError):
        arb.select(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="JSON values"):
        arb.select({"name": object()})



def test_nan_and_infinities_in_a_mapping_are_problems_where_they_are(arb) -> None:
    resources = {"max_latency_ms": float("inf"), "max_memory_mb": float("nan")}
    with pytest.raises(ma.TaskError) as caught:
        arb.select(dict(ENGLISH, resources=resources))
    pointers = {p.pointer: p.message for p in caught.value.problems}
    assert set(pointers) == {"/resources/max_latency_ms", "/resources/max_memory_mb"}
    assert all("not a finite number" in m for m in pointers.values())


def test_a_bundle_that_does_not_load(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REPO / "policies", bundle)
    script = bundle / "criteria/domain.rhai"
    script.write_text(script.read_text(encoding="utf-8") + "\nfn broken( {\n", encoding="utf-8")
    with pytest.raises(ma.BundleError) as caught:
        ma.Arbiter(bundle)
    e = caught.value
    assert isinstance(e, ValueError)
    assert e.file is not None and e.file.endswith("criteria/domain.rhai")
    assert e.line is not None and e.line > 1 and e.column is not None
    assert str(e).startswith(f"{e.file}:{e.line}:")
    assert len(e.problems) == 1 and e.problems[0].line == e.line


def test_a_bundle_whose_catalog_is_invalid(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("models:\n  - id: x\n    family: nonsense\n", encoding="utf-8")
    with pytest.raises(ma.BundleError) as caught:
        ma.Arbiter(catalog=catalog)
    e = caught.value
    assert e.problems and all(p.pointer.startswith("/models/0") for p in e.problems)
    assert "invalid catalog" in str(e)


def test_a_bundle_folder_without_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(ma.BundleError, match="bundle.toml"):
        ma.Arbiter(tmp_path)
    with pytest.raises(FileNotFoundError):
        ma.Arbiter(tmp_path / "missing")
    with pytest.raises(FileNotFoundError):
        ma.Arbiter(catalog=tmp_path / "missing.yaml")


def test_import_catalog_refuses_with_every_error(tmp_path: Path) -> None:
    with pytest.raises(ma.CatalogImportError) as caught:
        ma.import_catalog([tmp_path, tmp_path / "missing", REPO / "tests/hf/albert-base-v2"])
    e = caught.value
    assert isinstance(e, ValueError) and len(e.errors) == 2
    assert str(e) == "\n".join(e.errors)
    with pytest.raises(ma.CatalogImportError, match="duplicate id `albert-base-v2`"):
        ma.import_catalog([REPO / "tests/hf/albert-base-v2"] * 2)
    with pytest.raises(ValueError, match="single path"):
        ma.import_catalog([REPO / "tests/hf/albert-base-v2"] * 2, id="x/y")
