import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_configure(config):
    import os

    os.environ.setdefault("PYTHONHASHSEED", "0")


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """One tiny trained heatmap run (quickstart + helpers.TINY) and its float32 and int8 (PTQ)
    exports, shared by every test that needs a real model and does not change it."""
    from helpers import TINY, quiet, synthetic_split

    from posenet_mobile.export.exporter import export_run
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    root = tmp_path_factory.mktemp("tiny_models")
    synthetic_split(root, 24)
    train(
        load_config("quickstart", TINY),
        root / "run",
        root / "train",
        root / "val",
        verbose=0,
        progress=quiet,
    )
    out = {"run": root / "run", "val": root / "val", "train": root / "train", "root": root}
    for fmt in ("float32", "int8"):
        out[fmt] = root / f"m_{fmt}.tflite"
        export_run(
            root / "run", fmt, out[fmt], quantization="ptq", max_pck_drop=100, progress=quiet
        )
    return out


def pytest_collection_modifyitems(session, config, items):
    """Run the files with the most ``slow`` tests first, each file's tests in their own order.

    ``make test`` hands whole files to its workers in this order (``--dist loadfile
    --no-loadscope-reorder``): a long file started last would leave the other worker idle.
    """
    first, slow = {}, {}
    for i, item in enumerate(items):
        first.setdefault(item.fspath, i)
        slow[item.fspath] = slow.get(item.fspath, 0) + (item.get_closest_marker("slow") is not None)
    items.sort(key=lambda it: (-slow[it.fspath], first[it.fspath]))
