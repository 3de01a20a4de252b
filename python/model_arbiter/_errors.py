"""The exceptions of model_arbiter, each carrying every problem found (not only the first)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

__all__ = ["Problem", "TaskError", "BundleError", "CatalogImportError"]


@dataclass(frozen=True)
class Problem:
    """One problem in a document: where it is and what is wrong.

    Attributes:
        pointer: JSON pointer to the offending value (``/data/labeled_examples``); ``""`` for the
            whole document, which the command line shows as ``/``.
        message: What is wrong, in lower case.
        line: 1-based line in the text, when the task was text or a file (None for a mapping).
        column: 1-based column, likewise.
        help: How to fix it, when a fix is known (``did you mean `languages`?``).
    """

    pointer: str
    message: str
    line: Optional[int] = None
    column: Optional[int] = None
    help: Optional[str] = None

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}: " if self.line is not None else ""
        pointer = self.pointer or "/"
        fix = f" ({self.help})" if self.help else ""
        return f"{where}{pointer}: {self.message}{fix}"


class TaskError(ValueError):
    """A task that did not pass the gates: its syntax, its schema, or the semantic checks.

    ``str(error)`` reads like the command line's report: a headline, then one line per problem,
    ``origin:line:column: /pointer: message``.

    Attributes:
        problems: Every problem found, in document order.
        origin: What the task was called: its file name, or ``<task>`` for text and mappings.
    """

    problems: List[Problem]
    origin: str

    def __init__(
        self, message: str, *, problems: Sequence[Problem] = (), origin: str = "<task>"
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.origin = origin


class BundleError(ValueError):
    """A bundle that did not load: its manifest, catalog or a script is invalid, or missing.

    Attributes:
        problems: The located problems of an invalid manifest, catalog or script (empty when the
            error is about the bundle as a whole).
        file: The file at fault, when known.
        line: 1-based line in ``file``, when known.
        column: 1-based column in ``file``, when known.
    """

    problems: List[Problem]
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        problems: Sequence[Problem] = (),
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.problems = list(problems)
        self.file = file
        self.line = line
        self.column = column


class CatalogImportError(ValueError):
    """``import_catalog`` imported nothing: a path is not an importable model folder, an id is
    there twice, or the merged catalog is invalid.

    Attributes:
        errors: Every error, one sentence each, naming the path or file at fault.
    """

    errors: List[str]

    def __init__(self, message: str, *, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors = list(errors)
