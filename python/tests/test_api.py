"""The package's API: every way to give a task, the decision's attributes and views, the
golden cases, what-if and why-not, the catalog importer, and concurrent use."""

from __future__ import annotations

import json
import math
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import CHINESE, COMMERCIAL, REPO, TASKS, without_stamp

import model_arbiter as ma

CHINESE_YAML = """\
name: Chinese product-review sentiment
task: text-classification
languages: [zh]
data:
  labeled_examples: 8000
"""


def test_the_readme_example(arb) -> None:
    d = arb.select(CHINESE)
    assert d.outcome == "chosen"
    assert d.chosen == d.ranking[0].model == "hfl/chinese-macbert-base"
    assert 0.0 < d.ranking[0].score <= 1.0
    reasons = d.ranking[0].criteria["language"].reasons
    assert reasons and all(isinstance(r, str) for r in reasons)
    assert isinstance(d.to_dict(), dict) and d.to_json().startswith("{")
    assert "was chosen because" in d.explain()


def test_a_task_is_a_mapping_a_path_a_file_name_yaml_text_or_bytes(arb) -> None:
    path = REPO / "examples/tasks/chinese-sentiment-cpu.yaml"
    reference = without_stamp(arb.select(path).to_json())
    for given in (str(path), path.read_text(encoding="utf-8"), path.read_bytes()):
        assert without_stamp(arb.select(given).to_json()) == reference
    # A mapping and text that say the same give the same decision.
    assert without_stamp(arb.select(CHINESE).to_json()) == without_stamp(
        arb.select(CHINESE_YAML).to_json()
    )
    # The normalised task a decision records decides the same again.
    d = arb.select(path)
    assert without_stamp(arb.select(d.task).to_json()) == reference


def test_a_json_task_file_is_read_as_json(arb) -> None:
    path = REPO / "examples/tasks/chinese-reading-comprehension.json"
    assert without_stamp(arb.select(path).to_json()) == without_stamp(
        arb.select(json.loads(path.read_text(encoding="utf-8"))).to_json()
    )


def test_numpy_like_numbers_and_other_mappings_are_accepted(arb) -> None:
    class Count:
        def __index__(self) -> int:
            return 8000

    from types import MappingProxyType

    task = dict(CHINESE, data=MappingProxyType({"labeled_examples": Count()}))
    assert arb.select(task).chosen == "hfl/chinese-macbert-base"


def test_the_decision_record_as_attributes(arb) -> None:
    d = arb.select(REPO / "examples/tasks/legal-classification.yaml")
    record = d.to_dict()
    assert d.decision_id == record["decision_id"] and d.created_at == record["created_at"]
    assert d.bundle == ma.BundleRef(**record["bundle"])
    assert d.bundle.hash == arb.hash and d.catalog_hash == arb.catalog_hash
    assert d.task == record["task"] and d.task_hash == record["task_hash"]
    assert d.criteria == {c["name"]: c["weight"] for c in record["criteria"]}
    assert list(d.criteria) == list(arb.criteria)
    assert [r.model for r in d.ranking] == [r["model"] for r in record["ranking"]]
    assert [r.rank for r in d.ranking] == list(range(1, len(d.ranking) + 1))
    first = d.ranking[0]
    assert first.margin == record["ranking"][0]["margin"]
    for name, result in first.criteria.items():
        raw = record["ranking"][0]["criteria"][name]
        assert result.status == raw["status"] and result.score == raw.get("score")
        assert result.weight == raw["weight"] and result.contribution == raw["contribution"]
    assert math.isclose(sum(c.contribution for c in first.criteria.values()), first.score)
    assert [(v.model, v.criterion, v.reason) for v in d.rejected] == [
        (v["model"], v["criterion"], v["reason"]) for v in record["rejected"]
    ]
    assert d.errors == [] and d.limited is None
    assert d.to_dict() is not d.to_dict(), "each call gives a fresh copy"
    assert repr(d).startswith("<Decision chosen: 'nlpaueb/legal-bert-base-uncased'")
    assert d.sentence.startswith("nlpaueb/legal-bert-base-uncased was chosen")


def test_every_outcome_is_reported(arb) -> None:
    task = dict(CHINESE, resources={"max_parameters_m": 1})
    d = arb.select(task)
    assert d.outcome == "all-vetoed" and d.chosen is None and d.ranking == []
    assert len({v.model for v in d.rejected}) == len(arb.models)
    assert "all-vetoed" in repr(d) and d.explain()


def test_the_views_of_a_decision(arb) -> None:
    d = arb.select(CHINESE)
    assert str(d) == d.summary()
    assert "rank  model" in d.summary() and "chosen: hfl/chinese-macbert-base" in d.summary()
    assert d.summary(top=2).count("hfl/") < d.summary(top=5).count("hfl/")
    assert "weight sensitivity" in d.summary(explain=True)
    assert d.summary(markdown=True) == d._repr_markdown_()
    assert d.explain(markdown=True).startswith("## Decision")
    with pytest.raises(ValueError):
        d.summary(top=-1)


def test_top_keeps_the_first_models(arb) -> None:
    full = arb.select(CHINESE)
    cut = arb.select(CHINESE, top=2)
    assert [r.model for r in cut.ranking] == [r.model for r in full.ranking[:2]]
    assert cut.rejected == full.rejected
    assert arb.select(CHINESE, top=0).ranking == []
    with pytest.raises(ValueError):
        arb.select(CHINESE, top=-1)


def test_why_not(arb) -> None:
    d = arb.select(CHINESE)
    runner_up = d.ranking[1]
    w = arb.why_not(CHINESE, runner_up.model)
    assert (w.model, w.chosen, w.rank, w.score) == (
        runner_up.model,
        d.chosen,
        2,
        runner_up.score,
    )
    assert w.vetoes == [] and len(w.gaps) == len(d.criteria)
    assert math.isclose(sum(g.gap for g in w.gaps), d.ranking[0].score - runner_up.score)
    assert w.gaps == sorted(w.gaps, key=lambda g: -g.gap)
    assert str(w) == w.text and w.text.startswith(f"why not {runner_up.model}?")

    vetoed = d.rejected[0].model
    w = d.why_not(vetoed)
    assert w.rank is None and w.score is None and w.gaps == []
    assert w.vetoes and all(v.model == vetoed for v in w.vetoes)
    assert "vetoed by" in w.text

    w = d.why_not(d.chosen)
    assert w.rank == 1 and w.gaps == [] and "is the choice" in w.text

    with pytest.raises(ValueError, match="did you mean `hfl/chinese-macbert-base`"):
        d.why_not("hfl/chinese-macbert-bas")


def test_what_if(arb) -> None:
    w = arb.what_if(REPO / "examples/tasks/chinese-sentiment-cpu.yaml")
    assert w.chosen == w.decision.chosen == "hfl/chinese-macbert-base"
    assert list(w) == w.counterfactuals and len(w) == len(w.counterfactuals) > 0
    for c in w:
        assert c.field.startswith("/") and c.value != c.current and c.chosen != w.chosen
    assert w[0] == w.counterfactuals[0]
    assert str(w).startswith("what if (now: hfl/chinese-macbert-base)")


def test_the_golden_cases(arb, commercial) -> None:
    results = arb.test()
    files = sorted(p.name for p in (REPO / "policies/tests").iterdir())
    assert [Path(r.name).name for r in results] == files
    assert all(r.passed and r.failures == [] for r in results), [
        r for r in results if not r.passed
    ]
    assert any(r.chosen for r in results)
    assert all(r.passed for r in commercial.test())


def test_a_failing_golden_case_is_a_result_not_an_error(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    shutil.copytree(REPO / "policies", bundle)
    case = bundle / "tests/legal-prefers-legal-bert.yaml"
    text = case.read_text(encoding="utf-8")
    case.write_text(text.replace("nlpaueb/legal-bert-base-uncased", "distilbert-base-uncased", 1))
    results = {r.name: r for r in ma.Arbiter(bundle).test()}
    failed = results["tests/legal-prefers-legal-bert.yaml"]
    assert not failed.passed and failed.failures
    assert sum(not r.passed for r in results.values()) == 1


def test_the_bundle_built_in_is_policies(arb) -> None:
    folder = ma.Arbiter(REPO / "policies")
    assert (folder.name, folder.version, folder.hash) == (arb.name, arb.version, arb.hash)
    assert folder.origin.endswith("policies") and arb.origin == "<embedded>"
    assert arb.models == folder.models and len(arb.models) == 75
    assert arb.criteria == folder.criteria and len(arb.criteria) == 7
    assert repr(arb).startswith("<Arbiter default ")


def test_another_catalog_replaces_the_bundles(arb, tmp_path: Path) -> None:
    imported = ma.import_catalog(REPO / "tests/hf/albert-base-v2")
    catalog = tmp_path / "catalog.yaml"
    imported.write(catalog)
    small = ma.Arbiter(catalog=catalog)
    assert small.models == ["albert-base-v2"]
    assert small.hash != arb.hash and small.catalog_hash != arb.catalog_hash
    d = small.select(dict(CHINESE, languages=["en"]))
    assert d.chosen == "albert-base-v2"


def test_the_cache_changes_no_decision(arb) -> None:
    uncached = ma.Arbiter(cache=False)
    for task in TASKS[:4]:
        assert without_stamp(uncached.select(task).to_json()) == without_stamp(
            arb.select(task).to_json()
        )


def test_import_catalog(tmp_path: Path) -> None:
    imported = ma.import_catalog([REPO / "tests/hf/Qwen--Qwen2.5-0.5B-Instruct"])
    (model,) = imported.models
    assert model.id == model.entry["id"] == "Qwen/Qwen2.5-0.5B-Instruct"
    assert model.entry["parameters_m"] > 0 and "config.json" in model.source
    kinds = {n.kind for n in model.notices}
    assert kinds <= {"left absent", "derived", "dropped"} and model.notices
    named = ma.import_catalog(str(REPO / "tests/hf/albert-base-v2"), id="my-org/albert")
    assert named.models[0].id == "my-org/albert"


def test_import_catalog_merges_into_a_catalog(tmp_path: Path) -> None:
    merged = ma.import_catalog(
        REPO / "tests/hf/albert-base-v2", id="my-org/albert", merge=REPO / "policies/catalog.yaml"
    )
    assert merged.yaml.startswith("# Written by `arbiter catalog import` from ")
    assert "my-org/albert" in merged.yaml
    path = tmp_path / "merged.yaml"
    merged.write(path)
    assert len(ma.Arbiter(catalog=path).models) == 76


def test_concurrent_selects_from_a_thread_pool(arb) -> None:
    """Eight threads share one Arbiter; each decision equals the one made alone."""
    alone = {t.name: without_stamp(arb.select(t).to_json()) for t in TASKS}
    jobs = [t for t in TASKS for _ in range(3)]
    threads = set()

    def select(task: Path):
        threads.add(threading.get_ident())
        return task.name, arb.select(task)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(select, jobs))
    assert len(results) == len(jobs) and len(threads) > 1
    for name, d in results:
        assert without_stamp(d.to_json()) == alone[name], name
    assert len({d.decision_id for _, d in results}) == len(jobs)


def test_the_interpreter_is_released_while_deciding() -> None:
    """A Python thread keeps running while the engine works: the golden cases, one native
    call of 31 decisions, never stop it for long. Held, the interpreter would stop it for the
    whole call."""
    bundle = ma.Arbiter(cache=False)
    stop = threading.Event()
    worst = 0.0

    def tick() -> None:
        nonlocal worst
        last = time.perf_counter()
        while not stop.is_set():
            now = time.perf_counter()
            worst = max(worst, now - last)
            last = now

    ticker = threading.Thread(target=tick)
    ticker.start()
    started = time.perf_counter()
    results = bundle.test()
    took = time.perf_counter() - started
    stop.set()
    ticker.join()
    assert len(results) > 20
    assert worst < took / 2, f"the other thread stood still {worst:.3f} s of {took:.3f} s"


def test_the_package_is_typed_and_documented() -> None:
    package = Path(ma.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_native.pyi").is_file()
    assert ma.__version__ and ma.__doc__
    for name in ma.__all__:
        item = getattr(ma, name)
        if callable(item) and name != "TaskLike":
            assert item.__doc__, f"{name} has no docstring"
    for method in ("select", "test", "what_if", "why_not"):
        assert getattr(ma.Arbiter, method).__doc__
    for method in ("to_dict", "to_json", "explain", "summary", "why_not", "to_pandas"):
        assert getattr(ma.Decision, method).__doc__
    assert COMMERCIAL.is_dir()
