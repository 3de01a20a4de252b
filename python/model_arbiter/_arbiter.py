"""The Arbiter (a loaded bundle that decides) and the catalog importer."""

from __future__ import annotations

import errno
import json
import math
import operator
import os
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native
from ._decision import CaseResult, Counterfactual, Decision, WhatIf, WhyNot

__all__ = ["Arbiter", "CatalogImport", "ImportedModel", "Notice", "TaskLike", "import_catalog"]

PathLike = Union[str, "os.PathLike[str]"]

TaskLike = Union[Mapping[str, Any], str, bytes, "os.PathLike[str]"]
"""A task: a mapping (as a task file would hold it), a path to a YAML or JSON file (a
``pathlib.Path``, or a one-line string naming a file: ``"task.yaml"``), or YAML text."""

_TASK_SUFFIXES = (".yaml", ".yml", ".json")


def _json_default(value: Any) -> Any:
    """Values json cannot write but a task may hold: other mappings, NumPy scalars."""
    if isinstance(value, Mapping):
        return dict(value)
    try:
        return operator.index(value)
    except TypeError:
        pass
    if hasattr(value, "__float__"):
        return float(value)
    raise TypeError(f"a task holds only JSON values, not {type(value).__name__}: {value!r}")


# Stand-ins for the numbers JSON cannot write, replaced by YAML's words for them.
_NON_FINITE = {"\x00nan\x00": ".nan", "\x00inf\x00": ".inf", "\x00-inf\x00": "-.inf"}


def _marked(value: Any) -> Any:
    """The value with each NaN or infinity replaced by its stand-in."""
    if isinstance(value, Mapping):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_marked(v) for v in value]
    if isinstance(value, (str, bytes, bool, int)) or not hasattr(value, "__float__"):
        return value
    try:
        return operator.index(value)
    except TypeError:
        pass
    number = float(value)
    if math.isnan(number):
        return "\x00nan\x00"
    if math.isinf(number):
        return "\x00inf\x00" if number > 0 else "\x00-inf\x00"
    return value


def _mapping_text(task: Mapping[str, Any]) -> Tuple[str, str]:
    """A mapping as text for the gates, and its syntax: JSON, or YAML (which has words for NaN
    and the infinities, so that the gates report them where they are)."""
    try:
        return json.dumps(task, ensure_ascii=False, allow_nan=False, default=_json_default), "json"
    except ValueError:
        text = json.dumps(_marked(task), ensure_ascii=False, default=_json_default)
        for mark, word in _NON_FINITE.items():
            text = text.replace(json.dumps(mark, ensure_ascii=False), word)
        return text, "yaml"


def _task(task: TaskLike) -> _native.Task:
    """The task through the engine's gates (syntax, schema, semantic checks)."""
    if isinstance(task, Mapping):
        text, syntax = _mapping_text(task)
        return _native.task_from_text(text, syntax, "<task>", False)
    if isinstance(task, os.PathLike):
        return _native.task_from_file(os.fspath(task))
    if isinstance(task, bytes):
        task = task.decode("utf-8")
    if isinstance(task, str):
        one_line = "\n" not in task and "\r" not in task
        if one_line and (task.lower().endswith(_TASK_SUFFIXES) or os.path.isfile(task)):
            return _native.task_from_file(task)
        return _native.task_from_text(task, "yaml", "<task>", True)
    raise TypeError(
        "a task is a mapping, a path to a YAML or JSON file, or YAML text; "
        f"not {type(task).__name__}"
    )


def _existing(path: PathLike, what: str) -> str:
    p = os.fspath(path)
    if not os.path.exists(p):
        raise FileNotFoundError(errno.ENOENT, f"no such {what}", p)
    return p


class Arbiter:
    """A bundle, loaded and checked, that decides: its manifest, catalog and criteria.

    Args:
        bundle: A bundle folder (``bundle.toml``, the catalog, ``criteria/``, ``tests/``), or
            None for the default bundle built into the package (the repository's
            ``policies/``).
        catalog: A catalog file that replaces the bundle's own (the bundle hash then covers it).
        cache: Reuse a verdict when an earlier task agreed on every field its script read (the
            same decisions, fewer script calls); False computes every verdict.

    Raises:
        BundleError: The manifest, the catalog or a script is invalid (with file, line, column).
        FileNotFoundError: ``bundle`` or ``catalog`` does not exist.

    An Arbiter is immutable and safe to share between threads: ``select`` releases the
    interpreter while it decides, so a thread pool decides in parallel.
    """

    __slots__ = ("_bundle",)

    def __init__(
        self,
        bundle: Optional[PathLike] = None,
        *,
        catalog: Optional[PathLike] = None,
        cache: bool = True,
    ) -> None:
        folder = None if bundle is None else _existing(bundle, "bundle folder")
        replacement = None if catalog is None else _existing(catalog, "catalog file")
        self._bundle = _native.Bundle(folder, replacement, cache)

    @property
    def name(self) -> str:
        """The bundle's name (``bundle.toml``)."""
        return self._bundle.name

    @property
    def version(self) -> str:
        """The bundle's version (``bundle.toml``)."""
        return self._bundle.version

    @property
    def hash(self) -> str:
        """The content hash of every file of the bundle (``sha256:…``)."""
        return self._bundle.hash

    @property
    def catalog_hash(self) -> str:
        """The content hash of the catalog file."""
        return self._bundle.catalog_hash

    @property
    def origin(self) -> str:
        """Where the bundle came from: its folder, or ``<embedded>``."""
        return self._bundle.origin

    @property
    def models(self) -> List[str]:
        """The catalog's model ids, in catalog order."""
        return self._bundle.models

    @property
    def criteria(self) -> Dict[str, float]:
        """The criteria in bundle order, with their weights."""
        return dict(self._bundle.criteria)

    def select(self, task: TaskLike, *, top: Optional[int] = None) -> Decision:
        """Decides which model suits ``task``.

        Args:
            task: A mapping, a path to a task file, or YAML text (see :data:`TaskLike`).
            top: Keep only the first ``top`` ranked models in the decision (as ``--top N
                --format json``); default every one.

        Returns:
            The decision; its ``outcome`` says whether a model was chosen (``"chosen"``), every
            model was vetoed (``"all-vetoed"``) or a criterion failed (``"failed"``).

        Raises:
            TaskError: The task is invalid: every problem, with its JSON pointer (and line and
                column for text and files).
            FileNotFoundError: A task file does not exist.
        """
        if top is not None and top < 0:
            raise ValueError(f"top must be 0 or more, not {top}")
        return Decision(self._bundle.decide(_task(task), top))

    def test(self) -> List[CaseResult]:
        """Runs the bundle's golden cases (``tests/*.yaml`` in the bundle), in file order, as
        ``arbiter test`` does."""
        return [
            CaseResult(name, list(failures), chosen)
            for name, failures, chosen in self._bundle.test()
        ]

    def what_if(self, task: TaskLike, *, limit: int = 60) -> WhatIf:
        """For each task field, the nearest value that would change the choice, and what would
        be chosen then (each value tried is a full decision, at most ``limit`` per field), as
        ``arbiter select --what-if``."""
        if limit < 0:
            raise ValueError(f"limit must be 0 or more, not {limit}")
        native, rows, text = self._bundle.what_if(_task(task), limit)
        return WhatIf(
            decision=Decision(native),
            counterfactuals=[Counterfactual(*row) for row in rows],
            text=text.lstrip("\n"),
        )

    def why_not(self, task: TaskLike, model: str) -> WhyNot:
        """Why ``model`` was not chosen for ``task``: its vetoes, or its gap to the winner per
        criterion (as ``arbiter select --why-not MODEL``).

        Raises:
            ValueError: ``model`` is not in the catalog.
        """
        return self.select(task).why_not(model)

    def __repr__(self) -> str:
        return (
            f"<Arbiter {self.name} {self.version} from {self.origin}: "
            f"{len(self.models)} models, {len(self.criteria)} criteria>"
        )


@dataclass(frozen=True)
class Notice:
    """What the importer could not read, derived, or dropped for one catalog field.

    Attributes:
        field: The catalog field concerned.
        kind: ``"left absent"``, ``"derived"`` or ``"dropped"``.
        message: Why, in lower case.
    """

    field: str
    kind: str
    message: str


@dataclass(frozen=True)
class ImportedModel:
    """One imported model.

    Attributes:
        id: The hub id.
        entry: The catalog entry, as the catalog's schema spells it.
        source: The files and revision it was read from.
        notices: Each field left absent, derived, or dropped, and why.
    """

    id: str
    entry: Dict[str, Any]
    source: str
    notices: List[Notice]


@dataclass(frozen=True)
class CatalogImport:
    """The result of :func:`import_catalog`.

    Attributes:
        yaml: The catalog document, exactly as ``arbiter catalog import`` writes it (it passed
            the catalog's gates).
        models: The imported models, in the order of the paths.
    """

    yaml: str
    models: List[ImportedModel]

    def write(self, path: PathLike) -> None:
        """Writes the catalog document to ``path``."""
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.yaml)


def import_catalog(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    id: Optional[str] = None,
    merge: Optional[PathLike] = None,
) -> CatalogImport:
    """Builds catalog entries from Hugging Face model folders already on disk (never the
    network), as ``arbiter catalog import`` does.

    Args:
        paths: Model folders (holding ``config.json`` and usually the card ``README.md``), or
            Hugging Face cache entries (``models--org--name``) or their snapshots.
        id: The hub id of the model, when a single path is given (default: from the folder).
        merge: A catalog file to append the imported models to (refusing ids it already has).

    Raises:
        CatalogImportError: A path could not be imported, an id is there twice, or the result
            is not a valid catalog; ``errors`` lists every one, and nothing is returned.
    """
    items = [paths] if isinstance(paths, (str, bytes, os.PathLike)) else list(paths)
    names = [os.fsdecode(p) for p in items]
    merged = None if merge is None else os.fspath(merge)
    text, rows = _native.import_catalog(names, id, merged)
    models = []
    for entry_json, source, notices in rows:
        entry: Dict[str, Any] = json.loads(entry_json)
        models.append(
            ImportedModel(
                id=entry["id"],
                entry=entry,
                source=source,
                notices=[Notice(*n) for n in notices],
            )
        )
    return CatalogImport(yaml=text, models=models)

