"""Export of the heads and outputs beyond the plain heatmap model (regression, simcc, facing and
aligned crops), each on its own tiny trained run (64 px, width 0.35). Kept apart from
test_export.py so that ``make test``'s workers can run the two files side by side."""

import json

import numpy as np
import pytest

from posenet_mobile import metadata as M
from posenet_mobile.errors import ExportError
from posenet_mobile.export.exporter import export_run, inspect
from posenet_mobile.runtime.runner import TFLiteRunner
from posenet_mobile.train.config import load_config
from posenet_mobile.train.trainer import train

from helpers import PLAIN, quiet, train_tiny
from helpers import TINY as BASE

TINY = PLAIN + BASE
#: What a converter emits to compute a reshape's target at run time when the batch size is open.
DYNAMIC_SHAPE_OPS = {"SHAPE", "STRIDED_SLICE", "PACK", "GATHER", "REDUCE_PROD"}


@pytest.fixture(scope="module")
def regression_run(tmp_path_factory, data32):
    return train_tiny(
        tmp_path_factory.mktemp("reg") / "run", data32, TINY + ["model.head=regression"]
    )


def test_regression_export_has_no_heatmap_outputs(regression_run, tmp_path):
    out = tmp_path / "r.tflite"
    export_run(regression_run, "int8", out, quantization="ptq", max_pck_drop=100, progress=quiet)
    names = [o["name"] for o in M.read(out.read_bytes())["outputs"]]
    assert sorted(names) == ["coords", "visibility"]
    # converted at a batch of one, as the phone runs it: the Flatten before the Dense layers
    # leaves a plain RESHAPE, not the runtime shape arithmetic of a batch of any size
    ops = inspect(out)["ops"]
    assert "RESHAPE" in ops and not set(ops) & DYNAMIC_SHAPE_OPS, ops
    kp, sc = (r := TFLiteRunner(out)).decode(r.run_crop(np.zeros((64, 64, 3), np.uint8)))
    assert kp.shape == (1, 17, 2) and sc.shape == (1, 17)


def test_facing_model_exports_int8_clean_and_decodes_sides(tmp_path_factory, data32, tmp_path):
    root = tmp_path_factory.mktemp("ctx") / "run"
    cfg = load_config(
        "quickstart",
        TINY
        + ["model.global_context=true", "model.facing_head=true", "model.facing_channels=8"]
        + ["data.crop_rule=aligned"],  # and aligned crops: the metadata says so
    )
    train(cfg, root, *data32, verbose=0, progress=quiet)
    out = tmp_path / "c.tflite"
    export_run(root, "int8", out, quantization="ptq", max_pck_drop=100, progress=quiet)
    info = inspect(out)
    assert info["float_ops"] == [] and "RESIZE_NEAREST_NEIGHBOR" in info["ops"]
    meta = info["metadata"]
    assert sorted(o["name"] for o in meta["outputs"]) == [
        "facing",
        "heatmaps",
        "offsets",
    ]  # tensor order
    assert meta["decode"]["method"] == "heatmap_offset_sides"
    assert (
        meta["decode"]["sides"]["torso"] == [5, 6, 11, 12]
        and [13, 14] in meta["decode"]["sides"]["pairs_left_right"]
    )
    assert (
        meta["input"]["crop"]["method"] == "aligned"
        and "hip centre" in meta["input"]["crop"]["rule"]
    )
    runner = TFLiteRunner(out)
    assert runner.meta.input.crop.method == "aligned"
    from posenet_mobile.geometry import Alignment

    crop = runner.crop_for((120, 160, 3), alignment=Alignment(80.0, 60.0, 30.0, 90.0))
    assert crop.rotation == 90.0 and crop.width == pytest.approx(2 * 30.0 * runner_padding(runner))
    named = runner.run_crop(np.zeros((64, 64, 3), np.uint8))
    assert set(named) == {"heatmaps", "offsets", "facing"}
    assert runner.decode(named)[0].shape == (1, 17, 2)
    with pytest.raises(ExportError, match="facing output"):
        export_run(
            root, "int8", tmp_path / "d.tflite", decode_in_graph=True, force=True, progress=quiet
        )


def runner_padding(runner) -> float:
    return runner.meta.input.crop.crop_padding


@pytest.mark.slow
def test_simcc_exports_its_named_outputs_in_the_models_order_with_side_decoding(
    tmp_path_factory, data32, tmp_path
):
    # a square input gives simcc_x and simcc_y one shape: the converter's signature names them;
    # the facing output is exported with them (codec.order_sides reads it); the heatmap branch
    # of model.heatmap_supervision trains (its loss is logged) and is cut at export
    root = tmp_path_factory.mktemp("simcc") / "run"
    over = ["model.head=simcc", "model.facing_head=true", "model.heatmap_supervision=true"]
    train(load_config("quickstart", TINY + over), root, *data32, verbose=0, progress=quiet)
    history = json.loads((root / "history.json").read_text())
    assert any("heatmaps" in k for k in history) and any("simcc_x" in k for k in history)
    out = tmp_path / "s.tflite"
    rep = export_run(root, "float32", out, max_pck_drop=100, progress=quiet)
    assert max(rep["validation"]["keras_vs_tflite"]["max_abs_diff"].values()) < 1e-4
    meta = M.read(out.read_bytes())
    assert meta["decode"]["method"] == "simcc_sides" and meta["decode"]["bins_xy"] == [128, 128]
    assert (
        meta["decode"]["sides"]["torso"] == [5, 6, 11, 12]
        and [13, 14] in meta["decode"]["sides"]["pairs_left_right"]
    )
    assert sorted(o["name"] for o in meta["outputs"]) == ["facing", "simcc_x", "simcc_y"]
    runner = TFLiteRunner(out)
    kp, sc = runner.decode(runner.run_crop(np.zeros((64, 64, 3), np.uint8)))
    assert kp.shape == (1, 17, 2) and np.all((sc >= 0) & (sc <= 1))
    rep8 = export_run(
        root, "int8", tmp_path / "s8.tflite", quantization="ptq", max_pck_drop=100, progress=quiet
    )
    assert max(rep8["validation"]["keras_vs_tflite"]["max_diff_lsb"].values()) < 3
    # the Dense layers on (N, K, cells) are plain FULLY_CONNECTED ops at a batch of one
    assert not set(rep8["int8_audit"]["ops"]) & DYNAMIC_SHAPE_OPS, rep8["int8_audit"]["ops"]
