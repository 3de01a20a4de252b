"""Model Arbiter: choose a pre-trained model for an ML task by your organisation's rules, and
show why.

A bundle (criteria as Rhai scripts, weights, a catalog of models, golden cases) judges every
model of its catalog; the weighted verdicts give a ranked, explained choice. This package is the
engine of the ``arbiter`` command line, compiled in: the same decisions, records and sentences.

>>> import model_arbiter as ma
>>> arb = ma.Arbiter()                       # the default bundle, built in
>>> d = arb.select({"name": "Reviews", "task": "text-classification",
...                 "languages": ["zh"], "data": {"labeled_examples": 8000}})
>>> d.outcome
'chosen'

The API:

- :class:`Arbiter` — ``Arbiter(bundle=None, *, catalog=None, cache=True)``; ``select(task,
  *, top=None)`` gives a :class:`Decision`; ``test()`` the golden cases as
  :class:`CaseResult`; ``what_if(task)`` a :class:`WhatIf`; ``why_not(task, model)`` a
  :class:`WhyNot`.
- :class:`Decision` — the record as attributes (``chosen``, ``outcome``, ``ranking`` of
  :class:`Ranked` with ``criteria`` of :class:`CriterionResult`, ``rejected``, …);
  ``to_dict()``, ``to_json()`` (the CLI's ``--format json``), ``explain()`` (reviewers'
  sentences), ``summary()`` (the CLI's table), ``why_not(model)``, ``to_pandas()``.
- :func:`import_catalog` — catalog entries from Hugging Face model folders on disk.
- :class:`TaskError`, :class:`BundleError`, :class:`CatalogImportError` — each with every
  problem found (:class:`Problem`: pointer, message, line, column, help).
"""

from . import _native
from ._arbiter import Arbiter, CatalogImport, ImportedModel, Notice, TaskLike, import_catalog
from ._decision import (
    BundleRef,
    CaseResult,
    Counterfactual,
    CriterionResult,
    Decision,
    Gap,
    Ranked,
    Rejection,
    ScriptError,
    WhatIf,
    WhyNot,
)
from ._errors import BundleError, CatalogImportError, Problem, TaskError

__version__: str = _native.__version__

__all__ = [
    "Arbiter",
    "BundleError",
    "BundleRef",
    "CaseResult",
    "CatalogImport",
    "CatalogImportError",
    "Counterfactual",
    "CriterionResult",
    "Decision",
    "Gap",
    "ImportedModel",
    "Notice",
    "Problem",
    "Ranked",
    "Rejection",
    "ScriptError",
    "TaskError",
    "TaskLike",
    "WhatIf",
    "WhyNot",
    "import_catalog",
]
