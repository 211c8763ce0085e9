"""What the whole-image study benchmarks share (``pipeline_gap.py``, ``pipeline_rule.py``,
``pipeline_views.py``): their arguments (a detector, a pose model, a COCO folder and a results
file), the opening fields of their results with the command that reproduces them, and, for the
two that re-pose found people, the walk over the people the detector finds."""

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


def aligned_pipeline(name: str, a: argparse.Namespace, **kwargs):
    """``(pipeline, dataset)``: one pose pass per detection (``kwargs`` to
    :class:`~posenet_mobile.runtime.pipeline.PosePipeline`) and the COCO folder ``a.data``; a
    model without aligned crops ends the script with a one-line message."""
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.runtime.pipeline import PosePipeline

    pipe = PosePipeline(a.detector, a.model, passes=1, **kwargs)
    if not pipe.aligned:
        raise SystemExit(f"{name}.py: {a.model}: input.crop.method is not 'aligned'")
    return pipe, load_coco(a.data)


def found_people(pipe, data, counts: dict):
    """Each person the detector finds who has a labelled alignment, as ``(image, sample index,
    labelled alignment, the detection's alignment)``
    (:func:`posenet_mobile.harness.whole_image.matched_people`); ``counts["people"]`` and
    ``counts["found"]`` tally every labelled person and every one found."""
    from posenet_mobile.harness.whole_image import matched_people

    counts.setdefault("people", 0)
    counts.setdefault("found", 0)
    for img, rows, _ in matched_people(pipe, data):
        for i, labelled, person in rows:
            counts["people"] += 1
            counts["found"] += person is not None
            if person is not None and labelled is not None:
                yield img, i, labelled, person["detection"].alignment
