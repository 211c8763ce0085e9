import json
import os
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_configure(config):
    os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture(scope="module")
def data32(tmp_path_factory):
    """32 synthetic training people and 8 validation people for a module's tiny runs."""
    from helpers import synthetic_split

    return synthetic_split(tmp_path_factory.mktemp("data"), 32)


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """One tiny trained heatmap run (quickstart + helpers.TINY) and its float32 and int8 (PTQ)
    exports, shared by every test that needs a real model and does not change it.

    Under xdist the first worker to ask builds it in the directory all workers share, under a
    file lock; the others wait for it and read it (building it twice would cost each worker
    the time of a training run)."""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    root = root / "tiny_models"
    root.mkdir(parents=True, exist_ok=True)
    out = {"run": root / "run", "val": root / "val", "train": root / "train", "root": root}
    for fmt in ("float32", "int8"):
        out[fmt] = root / f"m_{fmt}.tflite"
    with open(root.parent / "tiny_models.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "done").exists():
            _build_tiny_models(out)
            (root / "done").write_text("ok")
    return out


def _build_tiny_models(out):
    from helpers import TINY, quiet, synthetic_split

    from posenet_mobile.export.exporter import export_run
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    synthetic_split(out["root"], 24)
    train(
        load_config("quickstart", TINY),
        out["run"],
        out["train"],
        out["val"],
        verbose=0,
        progress=quiet,
    )
    for fmt in ("float32", "int8"):
        export_run(out["run"], fmt, out[fmt], quantization="ptq", max_pck_drop=100, progress=quiet)


DURATIONS = Path(__file__).with_name("durations.json")


def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile`` that hands out files by their expected seconds.

    xdist gives a worker its next file while it still runs the last tests of the one before, so
    a queue in any fixed order can end with one worker running a long file alone. Here the
    worker asking for work gets the longest file left while its own files add up to no more
    seconds than any other worker's, and the shortest one otherwise (it will be busy for longer
    than the others already). A file's seconds are those in ``tests/durations.json``
    (``scripts/update_test_durations.py`` rewrites it from the last whole run).
    """
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    known = json.loads(DURATIONS.read_text()) if DURATIONS.exists() else {}

    def seconds(scope, unit):  # a file not in durations.json: a second per test
        return known.get(scope, float(len(unit)))

    class LongestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node):
            load = {
                n: sum(seconds(s, u) for s, u in self.assigned_work.get(n, {}).items())
                for n in self.nodes
            }
            left = sorted(self.workqueue.items(), key=lambda su: seconds(*su), reverse=True)
            pick = left[0][0] if load[node] <= min(load.values()) else left[-1][0]
            self.workqueue.move_to_end(pick, last=False)
            super()._assign_work_unit(node)

    return LongestFirst(config, log)


def pytest_runtest_logreport(report):
    """Sum each file's seconds (setup, call and teardown) for ``build/test_durations.json``."""
    path = report.nodeid.split("::")[0]
    _seconds[path] = _seconds.get(path, 0.0) + report.duration


_seconds: dict = {}


def pytest_sessionfinish(session, exitstatus):
    """Write the per-file seconds of a whole passing run (in the xdist controller, or a run
    without xdist) to ``build/test_durations.json``; a partial run (``-k``, one file) writes
    nothing, so the record always covers the suite."""
    if hasattr(session.config, "workerinput") or exitstatus != 0 or not _seconds:
        return
    if session.config.args and any("::" in a or a.endswith(".py") for a in session.config.args):
        return
    if session.config.getoption("keyword") or session.config.getoption("markexpr"):
        return
    out = Path(str(session.config.rootpath)) / "build" / "test_durations.json"
    out.parent.mkdir(exist_ok=True)
    rounded = {k: round(v, 1) for k, v in sorted(_seconds.items())}
    out.write_text(json.dumps(rounded, indent=1) + "\n")
