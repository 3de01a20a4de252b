"""The package against the `arbiter` binary: for every example task, the same decision record
(apart from `decision_id` and `created_at`), the same table, explanation and why-not, with the
built-in bundle and with a bundle folder."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from conftest import COMMERCIAL, REPO, TASKS, headlines, restamped, without_stamp

import model_arbiter as ma


def test_every_example_task_is_compared() -> None:
    assert len(TASKS) >= 13, [t.name for t in TASKS]
    assert {t.suffix for t in TASKS} == {".yaml", ".json"}


@pytest.mark.parametrize("task", TASKS, ids=lambda p: p.name)
def test_the_built_in_bundle_decides_as_the_binary_does(task: Path, cli, arb) -> None:
    # Outside the repository (no ./policies), the binary uses the bundle built into it.
    with tempfile.TemporaryDirectory() as elsewhere:
        out = cli.run("select", str(task), "--format", "json", cwd=Path(elsewhere), expect=None)
    assert out.returncode in (0, 1), out.stderr
    d = arb.select(task)
    assert without_stamp(d.to_json()) == without_stamp(out.stdout)
    # The same text, byte for byte, once the stamp is the same.
    stamp = json.loads(out.stdout)
    assert restamped(d.to_json(), stamp["decision_id"], stamp["created_at"]) == out.stdout
    assert d.bundle.name == "default" and d.bundle.hash == arb.hash


@pytest.mark.parametrize("task", TASKS, ids=lambda p: p.name)
def test_a_bundle_folder_decides_as_the_binary_does(task: Path, cli, commercial) -> None:
    out = cli.run("select", str(task), "--bundle", str(COMMERCIAL), "--format", "json", expect=None)
    assert out.returncode in (0, 1), out.stderr
    assert without_stamp(commercial.select(task).to_json()) == without_stamp(out.stdout)


@pytest.mark.parametrize("task", TASKS, ids=lambda p: p.name)
def test_the_table_explanation_and_why_not_read_as_the_binarys(task: Path, cli, arb) -> None:
    d = arb.select(task)
    # The runner-up when there is one, else a vetoed model, else the winner itself.
    model = (
        d.ranking[1].model
        if len(d.ranking) > 1
        else d.rejected[0].model
        if d.rejected
        else d.chosen
    )
    out = cli.run("select", str(task), "--explain", "--why-not", model, expect=None)
    assert out.returncode in (0, 1), out.stderr
    assert d.summary(explain=True) + "\n" + d.why_not(model).text == out.stdout


def test_a_cut_ranking_is_the_binarys_top(cli, arb) -> None:
    task = REPO / "examples/tasks/legal-classification.yaml"
    out = cli.run("select", str(task), "--format", "json", "--top", "3")
    d = arb.select(task, top=3)
    assert len(d.ranking) == 3
    assert without_stamp(d.to_json()) == without_stamp(out.stdout)


def test_what_if_reads_as_the_binarys(cli, arb) -> None:
    task = REPO / "examples/tasks/chinese-sentiment-cpu.yaml"
    out = cli.run("select", str(task), "--what-if")
    w = arb.what_if(task)
    assert w.decision.summary() + "\n" + w.text == out.stdout
    assert len(w) > 0


def test_the_sentences_are_the_audit_logs(cli, arb, tmp_path: Path) -> None:
    task = REPO / "examples/tasks/legal-classification.yaml"
    log = tmp_path / "decisions.log"
    logged = json.loads(cli.run("select", str(task), "--format", "json", "--log", str(log)).stdout)
    shown = cli.run("audit", "show", str(log), logged["decision_id"]).stdout
    d = arb.select(task)
    sentences = d.explain().replace(d.decision_id, logged["decision_id"])
    sentences = sentences.replace(d.created_at, logged["created_at"])
    assert shown.startswith(sentences), f"{shown}\n---\n{sentences}"


def test_a_task_error_reads_as_the_binarys(cli, arb) -> None:
    task = REPO / "tests/cases/invalid/four-errors-at-once.yaml"
    out = cli.run("select", str(task), expect=2)
    with pytest.raises(ma.TaskError) as caught:
        arb.select(task)
    lines = [line.strip() for line in str(caught.value).splitlines()]
    expected = headlines(out.stderr)
    assert len(expected) == 4 == len(caught.value.problems)
    for headline in expected:
        assert any(line.startswith(headline) for line in lines), f"{headline!r} not in {lines}"
    # The binary's last line is the headline's summary.
    assert out.stderr.rstrip().endswith(lines[0].rstrip(":"))


def test_import_catalog_writes_what_the_binary_writes(cli) -> None:
    folders = [REPO / "tests/hf/albert-base-v2", REPO / "tests/hf/Qwen--Qwen2.5-0.5B-Instruct"]
    out = cli.run("catalog", "import", *map(str, folders))
    imported = ma.import_catalog(folders)
    assert imported.yaml == out.stdout
    assert [m.id for m in imported.models] == ["albert-base-v2", "Qwen/Qwen2.5-0.5B-Instruct"]
