"""The example and the README's Python code run as a user runs them."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

EXAMPLE = REPO / "examples/python/choose_models.py"


def test_the_example_runs_as_a_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("Chinese reviews", "Phone triage", "Legal topics"):
        assert f"== {label}: " in out
    assert "hfl/chinese-macbert-base was chosen" in out
    assert "nlpaueb/legal-bert-base-uncased" in out
    have = {m: importlib.util.find_spec(m) is not None for m in ("pandas", "matplotlib")}
    if have["pandas"]:
        assert "rank" in out and "task_type" in out
    if have["pandas"] and have["matplotlib"]:
        chart = tmp_path / "rankings.png"
        assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"chart: {chart}" in out
    else:
        assert "no chart drawn" in out


def readme_python() -> str:
    """The Python code blocks of the README's "Python" section, joined."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Python\n(.*?)(?=^## )", text, re.S | re.M)
    assert section, "the README has no '## Python' section"
    blocks = re.findall(r"^```python\n(.*?)^```", section.group(1), re.S | re.M)
    assert blocks, "the README's Python section has no python code block"
    return "\n".join(blocks)


def test_the_readmes_python_example_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-c", readme_python()],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
