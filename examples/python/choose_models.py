"""Choose a model for three tasks with Model Arbiter, from Python.

Run it from anywhere once the package is installed (`pip install ./python`):

    python examples/python/choose_models.py [--out DIR]

For each task it prints the choice and the reviewers' one-sentence outcome, the first five
ranked models as a pandas DataFrame (one column per criterion), and writes a bar chart of those
models' scores, each criterion's contribution stacked, to DIR/rankings.png. pandas and
matplotlib are optional: without pandas the ranking is printed as the command line's table,
without matplotlib no chart is drawn.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import model_arbiter as ma

# Three tasks, as a notebook would write them: a mapping each (a path to a task file, or YAML
# text, would do as well).
TASKS = {
    "Chinese reviews": {
        "name": "Chinese product-review sentiment",
        "task": "text-classification",
        "languages": ["zh"],
        "data": {"labeled_examples": 8000},
        "resources": {"deployment": "cloud-cpu", "max_latency_ms": 100},
    },
    "Phone triage": {
        "name": "On-device support-ticket triage",
        "task": "text-classification",
        "languages": ["en"],
        "data": {"labeled_examples": 12000},
        "resources": {"deployment": "mobile", "max_latency_ms": 150, "max_memory_mb": 300},
    },
    "Legal topics": {
        "name": "Court-decision topic classification",
        "task": "text-classification",
        "languages": ["en"],
        "domain": "legal",
        "data": {"labeled_examples": 40000},
        "resources": {"deployment": "on-prem-cpu", "max_latency_ms": 500, "sequence_length": 512},
    },
}

TOP = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("."), help="where to write the chart")
    out = parser.parse_args().out

    arb = ma.Arbiter()  # the default bundle, built into the package
    print(f"{arb.name} {arb.version}: {len(arb.models)} models, criteria {list(arb.criteria)}\n")
    decisions = {label: arb.select(task) for label, task in TASKS.items()}

    try:
        import pandas as pd
    except ImportError:
        pd = None
    for label, d in decisions.items():
        print(f"== {label}: {d.chosen}")
        print(d.sentence)
        if pd is not None:
            with pd.option_context("display.width", 200, "display.max_columns", 20):
                print(d.to_pandas().head(TOP).round(3).to_string())
        else:
            print(d.summary(top=TOP))
        print()

    try:
        import matplotlib

        matplotlib.use("Agg")  # write a file; no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart drawn (pip install matplotlib)")
        return
    if pd is None:
        print("pandas is not installed: no chart drawn (pip install pandas)")
        return
    fig, axes = plt.subplots(len(decisions), 1, figsize=(9, 2.2 * len(decisions)), sharex=True)
    for ax, (label, d) in zip(axes, decisions.items()):
        # Each criterion's share wᵢ·sᵢ / Σ wⱼ: the bars add up to the model's score.
        shares = d.to_pandas(values="contribution").head(TOP).set_index("model")
        shares[list(d.criteria)].iloc[::-1].plot.barh(stacked=True, ax=ax, legend=False, width=0.7)
        ax.set_title(f"{label}: {d.chosen}", loc="left", fontsize=10)
        ax.set_ylabel("")
    axes[-1].set_xlabel("score (each criterion's weighted contribution)")
    axes[-1].set_xlim(0, 1)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    out.mkdir(parents=True, exist_ok=True)
    chart = out / "rankings.png"
    fig.savefig(chart, dpi=100)
    print(f"chart: {chart}")


if __name__ == "__main__":
    main()
