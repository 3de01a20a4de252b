"""Decision.to_pandas(): one row per ranked model, one column per criterion; pandas optional."""

from __future__ import annotations

import math
import sys

import pytest
from conftest import CHINESE


def test_one_row_per_ranked_model_one_column_per_criterion(arb) -> None:
    pd = pytest.importorskip("pandas")
    d = arb.select(CHINESE)
    frame = d.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["model", "score", "margin", "precision", *d.criteria]
    assert frame.index.name == "rank" and list(frame.index) == [r.rank for r in d.ranking]
    assert list(frame["model"]) == [r.model for r in d.ranking]
    for r in d.ranking:
        row = frame.loc[r.rank]
        assert row["score"] == r.score and row["precision"] == r.precision
        for name, result in r.criteria.items():
            if result.score is None:
                assert math.isnan(row[name])
            else:
                assert row[name] == result.score
    assert math.isnan(frame["margin"].iloc[-1])
    shares = d.to_pandas(values="contribution")
    sums = shares[list(d.criteria)].sum(axis=1)
    assert all(math.isclose(a, b) for a, b in zip(sums, shares["score"]))
    with pytest.raises(ValueError):
        d.to_pandas(values="weight")


def test_abstentions_are_nan_and_an_empty_ranking_is_an_empty_frame(arb) -> None:
    pytest.importorskip("pandas")
    legal = arb.select(
        {
            "name": "Court decisions",
            "task": "text-classification",
            "languages": ["en"],
            "domain": "legal",
            "data": {"labeled_examples": 40000},
        }
    )
    assert legal.to_pandas()["benchmarks"].isna().any()
    none = arb.select(dict(CHINESE, resources={"max_parameters_m": 1}))
    frame = none.to_pandas()
    assert frame.empty and list(frame.columns)[4:] == list(none.criteria)


def test_without_pandas_the_error_says_how_to_get_it(arb, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    with pytest.raises(ImportError, match="pip install pandas"):
        arb.select(CHINESE).to_pandas()
