"""A decision and the answers built from one: its ranking, vetoes, why-not and what-if."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

from . import _native

if TYPE_CHECKING:  # pragma: no cover - for type checkers only
    import pandas

__all__ = [
    "BundleRef",
    "CaseResult",
    "Counterfactual",
    "CriterionResult",
    "Decision",
    "Gap",
    "Ranked",
    "Rejection",
    "ScriptError",
    "WhatIf",
    "WhyNot",
]


@dataclass(frozen=True)
class CriterionResult:
    """What one criterion said about one ranked model.

    Attributes:
        status: ``"ok"`` (it scored the model), ``"abstained"``, or ``"error"`` (it failed and
            its ``on_error`` is ``abstain``).
        score: The score in [0, 1], when the criterion answered.
        weight: The criterion's weight in this decision.
        contribution: Its share of the model's score, wᵢ·sᵢ / Σ wⱼ.
        reasons: Why, in the script's words.
        precision: The precision the criterion judged the model at, where it chose one.
    """

    status: str
    score: Optional[float]
    weight: float
    contribution: float
    reasons: List[str]
    precision: Optional[str] = None

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> CriterionResult:
        return cls(
            status=d["status"],
            score=d.get("score"),
            weight=d["weight"],
            contribution=d["contribution"],
            reasons=list(d["reasons"]),
            precision=d.get("precision"),
        )


@dataclass(frozen=True)
class Ranked:
    """One model that was not vetoed, in ranking order.

    Attributes:
        rank: 1 for the chosen model.
        model: The model id.
        score: Σ wᵢ·sᵢ / Σ wᵢ over the criteria that answered, in [0, 1].
        margin: This score minus the next model's (None for the last).
        criteria: Each criterion's part, by criterion name.
        precision: The precision the model was judged at, where a criterion chose one.
    """

    rank: int
    model: str
    score: float
    margin: Optional[float]
    criteria: Dict[str, CriterionResult]
    precision: Optional[str] = None

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> Ranked:
        return cls(
            rank=d["rank"],
            model=d["model"],
            score=d["score"],
            margin=d.get("margin"),
            criteria={k: CriterionResult._from(v) for k, v in d["criteria"].items()},
            precision=d.get("precision"),
        )


@dataclass(frozen=True)
class Rejection:
    """A veto: ``criterion`` rejected ``model`` because ``reason``."""

    model: str
    criterion: str
    reason: str


@dataclass(frozen=True)
class ScriptError:
    """A criterion's script failed at run time on a model, and what was done about it.

    Attributes:
        criterion: The criterion.
        model: The model being judged.
        message: What went wrong.
        at: ``script:line:column``.
        on_error: What was done: ``abstain``, ``veto`` or ``fail``.
    """

    criterion: str
    model: str
    message: str
    at: str
    on_error: str


@dataclass(frozen=True)
class BundleRef:
    """The bundle that made a decision: its manifest's name and version, and its content hash."""

    name: str
    version: str
    hash: str


@dataclass(frozen=True)
class Gap:
    """One criterion's share of the distance between the winner and another model.

    Attributes:
        criterion: The criterion.
        gap: The winner's contribution minus the other model's.
        reasons: The other model's reasons under this criterion.
    """

    criterion: str
    gap: float
    reasons: str


@dataclass(frozen=True)
class WhyNot:
    """Why a model was not chosen: its vetoes, or its gap to the winner per criterion.

    Attributes:
        model: The model asked about.
        chosen: The model chosen (None when nothing was).
        vetoes: The model's vetoes (empty when it was ranked).
        rank: Its rank, when ranked.
        score: Its score, when ranked.
        gaps: Per criterion, the winner's contribution minus this model's, largest first (empty
            when the model was vetoed or is the choice).
        text: The same as ``arbiter select --why-not MODEL`` prints.
    """

    model: str
    chosen: Optional[str]
    vetoes: List[Rejection]
    rank: Optional[int]
    score: Optional[float]
    gaps: List[Gap]
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Counterfactual:
    """A change of one task field that changes the choice.

    Attributes:
        field: The field, as a JSON pointer into the task (``/resources/max_memory_mb``).
        current: Its value now.
        value: The nearest value found that changes the choice.
        chosen: What would be chosen then (None: nothing).
    """

    field: str
    current: str
    value: str
    chosen: Optional[str]


@dataclass(frozen=True)
class WhatIf:
    """For each task field, the nearest value that would change the choice (a sequence of
    :class:`Counterfactual`).

    Attributes:
        decision: The decision for the task as it is.
        counterfactuals: One per field and direction that changes the choice, in field order.
        text: The same as ``arbiter select --what-if`` adds to the table.
    """

    decision: Decision
    counterfactuals: List[Counterfactual]
    text: str

    @property
    def chosen(self) -> Optional[str]:
        """The model chosen now."""
        return self.decision.chosen

    def __iter__(self) -> Iterator[Counterfactual]:
        return iter(self.counterfactuals)

    def __len__(self) -> int:
        return len(self.counterfactuals)

    def __getitem__(self, i: int) -> Counterfactual:
        return self.counterfactuals[i]

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class CaseResult:
    """One golden case of a bundle.

    Attributes:
        name: The case file, relative to the bundle (``tests/legal-prefers-legal-bert.yaml``).
        failures: What did not hold, one sentence each; empty when the case passed.
        chosen: The model chosen, if any.
    """

    name: str
    failures: List[str]
    chosen: Optional[str]

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures


class Decision:
    """A decision: the record of ``schemas/decision.schema.json``, as attributes.

    ``to_json()`` is exactly what ``arbiter select --format json`` prints for the same task and
    bundle, apart from ``decision_id`` and ``created_at``; ``explain()`` gives the reviewers'
    sentences of ``arbiter audit show``; ``str(decision)`` is the ranking table of
    ``arbiter select``.

    Attributes:
        decision_id: Unique id (UUID v7).
        created_at: When it was made (RFC 3339, UTC).
        engine_version: The engine version that made it.
        bundle: The bundle that made it.
        catalog_hash: SHA-256 of the catalog file.
        task_hash: SHA-256 of the normalised task's canonical JSON.
        task: The task, normalised (aliases resolved, defaults filled in).
        outcome: ``"chosen"``, ``"all-vetoed"`` or ``"failed"``.
        chosen: The chosen model, if any.
        criteria: The criteria in bundle order, with the weights used.
        ranking: Every model not vetoed, best first.
        rejected: Every veto.
        errors: Every run-time script error.
        limited: None, except in a record an audit log limited to its first models
            (``--record-top``); ``select(task, top=N)`` cuts ``ranking`` without it, as
            ``--top N --format json`` does.
    """

    __slots__ = (
        "_native",
        "_record",
        "decision_id",
        "created_at",
        "engine_version",
        "bundle",
        "catalog_hash",
        "task_hash",
        "task",
        "outcome",
        "chosen",
        "criteria",
        "ranking",
        "rejected",
        "errors",
        "limited",
    )

    decision_id: str
    created_at: str
    engine_version: str
    bundle: BundleRef
    catalog_hash: str
    task_hash: str
    task: Dict[str, Any]
    outcome: str
    chosen: Optional[str]
    criteria: Dict[str, float]
    ranking: List[Ranked]
    rejected: List[Rejection]
    errors: List[ScriptError]
    limited: Optional[Dict[str, Any]]

    def __init__(self, native: _native.Decision) -> None:
        self._native = native
        self._record = native.json()
        d = json.loads(self._record)
        self.decision_id = d["decision_id"]
        self.created_at = d["created_at"]
        self.engine_version = d["engine_version"]
        self.bundle = BundleRef(**d["bundle"])
        self.catalog_hash = d["catalog_hash"]
        self.task_hash = d["task_hash"]
        self.task = d["task"]
        self.outcome = d["outcome"]
        self.chosen = d["chosen"]
        self.criteria = {c["name"]: c["weight"] for c in d["criteria"]}
        self.ranking = [Ranked._from(r) for r in d["ranking"]]
        self.rejected = [Rejection(**r) for r in d["rejected"]]
        self.errors = [ScriptError(**e) for e in d["errors"]]
        self.limited = d.get("limited")

    def to_dict(self) -> Dict[str, Any]:
        """The decision record as plain dicts and lists (a new copy on each call)."""
        result: Dict[str, Any] = json.loads(self._record)
        return result

    def to_json(self) -> str:
        """The decision record as JSON: the same text as ``arbiter select --format json``
        (pretty-printed, ending in a newline), apart from ``decision_id`` and ``created_at``."""
        return self._record

    def explain(self, *, markdown: bool = False) -> str:
        """The decision in plain sentences for reviewers who do not read Rhai: the task, the
        rules, the outcome, why the winner won and the runner-up lost, every veto and script
        error (as ``arbiter audit show``; Markdown when ``markdown``)."""
        return self._native.explain(markdown)

    @property
    def sentence(self) -> str:
        """The outcome in one sentence: what was chosen, by how much, or why nothing was."""
        return self._native.outcome_sentence()

    def summary(self, top: int = 5, *, explain: bool = False, markdown: bool = False) -> str:
        """The ranking table of ``arbiter select``: the first ``top`` models with each
        criterion's score. With ``explain``, as ``--explain``: every criterion's reasons for
        those models, how far each weight may move before the choice changes, every veto."""
        if top < 0:
            raise ValueError(f"top must be 0 or more, not {top}")
        return self._native.summary(top, explain, markdown)

    def why_not(self, model: str) -> WhyNot:
        """Why ``model`` was not chosen: its vetoes, or its gap to the winner per criterion.

        Raises:
            ValueError: ``model`` is not in the catalog (with the nearest id, when one is close).
        """
        text, vetoes, ranked, gaps = self._native.why_not(model)
        return WhyNot(
            model=model,
            chosen=self.chosen,
            vetoes=[Rejection(model, criterion, reason) for criterion, reason in vetoes],
            rank=ranked[0] if ranked else None,
            score=ranked[1] if ranked else None,
            gaps=[Gap(criterion, gap, reasons) for criterion, gap, reasons in gaps],
            text=text.lstrip("\n"),
        )

    def to_pandas(self, values: str = "score") -> pandas.DataFrame:
        """The ranking as a pandas DataFrame: one row per ranked model (indexed by rank), the
        columns ``model``, ``score``, ``margin``, ``precision``, then one per criterion in
        bundle order.

        Args:
            values: What the criterion columns hold: ``"score"`` (each criterion's score, NaN
                where it did not answer) or ``"contribution"`` (its share wᵢ·sᵢ / Σ wⱼ of the
                model's score: the columns add up to ``score``).

        Raises:
            ImportError: pandas is not installed (it is optional: ``pip install pandas``).
        """
        if values not in ("score", "contribution"):
            raise ValueError(f'values must be "score" or "contribution", not {values!r}')
        try:
            import pandas as pd
        except ImportError as e:
            raise ImportError(
                "Decision.to_pandas() needs pandas, which model_arbiter does not install: "
                "pip install pandas (or model-arbiter[pandas])"
            ) from e
        fixed = ["model", "score", "margin", "precision"]
        # A criterion named like a fixed column keeps its values under a distinct name.
        columns = {n: (n if n not in fixed and n != "rank" else f"{n} (criterion)") for n in self.criteria}
        rows = []
        for r in self.ranking:
            row: Dict[str, Any] = {
                "rank": r.rank,
                "model": r.model,
                "score": r.score,
                "margin": r.margin,
                "precision": r.precision,
            }
            for name, column in columns.items():
                c = r.criteria.get(name)
                v = getattr(c, values) if c is not None else None
                row[column] = float("nan") if v is None else v
            rows.append(row)
        frame = pd.DataFrame(rows, columns=["rank", *fixed, *columns.values()])
        frame = frame.astype({"margin": "float64", **{c: "float64" for c in columns.values()}})
        return frame.set_index("rank")

    def __str__(self) -> str:
        return self.summary()

    def _repr_markdown_(self) -> str:
        return self.summary(markdown=True)

    def __repr__(self) -> str:
        return (
            f"<Decision {self.outcome}: {self.chosen!r}, {len(self.ranking)} ranked, "
            f"{len({r.model for r in self.rejected})} vetoed, bundle {self.bundle.name} "
            f"{self.bundle.version}>"
        )
