"""What the whole-image study benchmarks share (``pipeline_gap.py``, ``pipeline_rule.py``,
``pipeline_views.py``): their arguments (a detector, a pose model, a COCO folder and a results
file) and the opening fields of their results, with the command that reproduces them."""

import argparse
from pathlib import Path


def parse_args(results: Path) -> argparse.Namespace:
    """``--detector``, ``--model``, ``--data`` and ``--results`` (default ``results``)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--detector", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--results", default=str(results))
    return ap.parse_args()


def header(name: str, a: argparse.Namespace, results: Path) -> dict:
    """The results' first fields: the benchmark ``name`` (its script is ``benchmarks/NAME.py``),
    the command that reproduces them and the files it read."""
    return {
        "benchmark": name,
        "command": f"python benchmarks/{name}.py --detector {a.detector} --model {a.model} "
        f"--data {a.data}" + (f" --results {a.results}" if Path(a.results) != results else ""),
        "detector": a.detector,
        "model": a.model,
        "data": a.data,
    }
