"""Where the real photographs to score on are found: a thermometer, never trained on.

The project's real-people dev set sits beside a checkout (``../shared/data/real_people_dev`` from
the repository root); users point at their own with ``--real-data DIR`` or
``POSENET_REAL_PEOPLE``. The demo, ``compare-heads`` and the benchmarks all look here.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The project's real-people dev set, beside a checkout.
DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "data" / "real_people_dev"
#: Real photographs to score on, when present: ``POSENET_REAL_PEOPLE``, then the dev set beside
#: the working directory, then the one beside this checkout.
REAL_PEOPLE_CANDIDATES = ("../shared/data/real_people_dev", str(DEV_SET))


def real_people_data(path=None):
    """The real-people dataset folder to score on, or None when there is none; an explicit
    ``path`` that is not a dataset is an error (a :class:`~posenet_mobile.errors.DataError`
    naming it)."""
    if path:
        from .coco import resolve

        resolve(path)
        return str(Path(path).resolve())
    for cand in [os.environ.get("POSENET_REAL_PEOPLE")] + list(REAL_PEOPLE_CANDIDATES):
        if cand and (Path(cand) / "annotations.json").is_file():
            return str(Path(cand).resolve())
    return None


__all__ = ["DEV_SET", "REAL_PEOPLE_CANDIDATES", "real_people_data"]
