"""The compiled engine (Rust, PyO3). Use the package ``model_arbiter``, not this module: its
classes turn these answers into objects and its exceptions carry every problem."""

from typing import List, Optional, Tuple

__version__: str

class Task:
    """A validated task: the result of the loading gates (syntax, schema, semantic checks)."""

class Decision:
    """A decision with the bundle that made it."""

    def json(self) -> str:
        """The decision record as ``arbiter select --format json`` prints it."""
    def explain(self, markdown: bool = False) -> str:
        """The decision in plain sentences for reviewers (as ``arbiter audit show``)."""
    def outcome_sentence(self) -> str:
        """The outcome in one sentence."""
    def summary(self, top: int = 5, explain: bool = False, markdown: bool = False) -> str:
        """The ranking table of ``arbiter select`` (with ``explain``: as ``--explain``)."""
    def why_not(
        self, model: str
    ) -> Tuple[
        str,
        List[Tuple[str, str]],
        Optional[Tuple[int, float]],
        List[Tuple[str, float, str]],
    ]:
        """Why ``model`` was not chosen: (the ``--why-not`` text, its vetoes as (criterion,
        reason), (rank, score) when ranked, each criterion's gap to the winner as (criterion,
        gap, reasons)). Raises ValueError when ``model`` is not in the catalog."""

class Bundle:
    """A loaded, checked bundle: manifest, catalog and compiled criteria."""

    def __init__(
        self, path: Optional[str] = None, catalog: Optional[str] = None, cache: bool = True
    ) -> None:
        """Loads the bundle folder ``path``, or the default bundle built in when None;
        ``catalog`` replaces the bundle's catalog. Raises ``model_arbiter.BundleError``."""
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def catalog_hash(self) -> str: ...
    @property
    def origin(self) -> str: ...
    @property
    def models(self) -> List[str]: ...
    @property
    def criteria(self) -> List[Tuple[str, float]]: ...
    def decide(self, task: Task, top: Optional[int] = None) -> Decision:
        """Decides on a task, the interpreter released. Raises ``model_arbiter.TaskError``
        when the task sets weights the bundle does not allow."""
    def test(self) -> List[Tuple[str, List[str], Optional[str]]]:
        """The golden cases: (file, failures, chosen) each, in file order."""
    def what_if(
        self, task: Task, limit: int = 60
    ) -> Tuple[Decision, List[Tuple[str, str, str, Optional[str]]], str]:
        """The decision, the counterfactuals as (field, from, to, chosen), and the
        ``--what-if`` lines."""

def task_from_text(
    text: str, syntax: str = "yaml", origin: str = "<task>", located: bool = True
) -> Task:
    """Loads a task from YAML or JSON text. Raises ``model_arbiter.TaskError``."""

def task_from_file(path: str) -> Task:
    """Loads a task file (``.json`` as JSON, else YAML). Raises ``model_arbiter.TaskError``,
    or ``OSError`` when the file cannot be read."""

def import_catalog(
    paths: List[str], id: Optional[str] = None, merge: Optional[str] = None
) -> Tuple[str, List[Tuple[str, str, List[Tuple[str, str, str]]]]]:
    """The catalog document ``arbiter catalog import`` writes, and each model as (entry as
    JSON, source, notices as (field, kind, message)). Raises
    ``model_arbiter.CatalogImportError``."""
