"""Shared fixtures: the repository, the `arbiter` binary the package is compared with, and one
Arbiter per bundle (loading a bundle compiles its scripts: once per session is enough)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, List, Optional

import pytest

import model_arbiter as ma

REPO = Path(__file__).resolve().parents[2]
TASKS = sorted(p for p in (REPO / "examples" / "tasks").iterdir() if p.is_file())
COMMERCIAL = REPO / "examples" / "bundles" / "commercial"

# A task as a notebook would write it: the README's.
CHINESE = {
    "name": "Chinese product-review sentiment",
    "task": "text-classification",
    "languages": ["zh"],
    "data": {"labeled_examples": 8000},
}


def _built_binary() -> Path:
    """Builds the `arbiter` binary with cargo and returns its path."""
    out = subprocess.run(
        ["cargo", "build", "-q", "-p", "arbiter-cli", "--message-format=json"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for line in out.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if Path(message["executable"]).name == "arbiter":
                return Path(message["executable"])
    raise RuntimeError("cargo built no `arbiter` executable")


@pytest.fixture(scope="session")
def arbiter_bin() -> Path:
    """The `arbiter` binary: $ARBITER_BIN (scripts/python-test sets it), else built by cargo."""
    given = os.environ.get("ARBITER_BIN")
    if given:
        path = Path(given)
        assert path.is_file(), f"ARBITER_BIN={given} is not a file"
        return path
    return _built_binary()


class Cli:
    """Runs the `arbiter` binary from a folder (the repository by default)."""

    def __init__(self, binary: Path) -> None:
        self.binary = binary

    def run(
        self, *args: str, cwd: Optional[Path] = None, expect: Optional[int] = 0
    ) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(self.binary), *args],
            cwd=cwd or REPO,
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        if expect is not None:
            assert done.returncode == expect, (
                f"arbiter {' '.join(args)} exited {done.returncode}, not {expect}:\n{done.stderr}"
            )
        return done


@pytest.fixture(scope="session")
def cli(arbiter_bin: Path) -> Cli:
    return Cli(arbiter_bin)


@pytest.fixture(scope="session")
def arb() -> ma.Arbiter:
    """The default bundle, built into the package."""
    return ma.Arbiter()


@pytest.fixture(scope="session")
def commercial() -> ma.Arbiter:
    """examples/bundles/commercial: a customised bundle with a licence criterion."""
    return ma.Arbiter(COMMERCIAL)


def without_stamp(record: str) -> Dict:
    """A decision record without the two fields every run stamps anew."""
    d = json.loads(record)
    for key in ("decision_id", "created_at"):
        assert key in d, f"the record has no {key}"
        del d[key]
    return d


def restamped(record: str, decision_id: str, created_at: str) -> str:
    """The record's text with another decision's id and time in place of its own."""
    d = json.loads(record)
    return record.replace(d["decision_id"], decision_id).replace(d["created_at"], created_at)


def headlines(stderr: str) -> List[str]:
    """The `error: …` headlines of the command line's report, without `error: `."""
    return [
        line[len("error: ") :].strip()
        for line in stderr.splitlines()
        if line.startswith("error: ")
    ]
