"""Validate / bench / runner on a tiny exported model (64 px, width 0.35)."""

import json

import numpy as np
import pytest

from posenet_mobile.cli import main
from posenet_mobile.data.synthetic import SynthConfig, synthesize
from posenet_mobile.errors import ModelError
from posenet_mobile.export.exporter import export_run
from posenet_mobile.harness.bench import bench
from posenet_mobile.harness.validate import validate
from posenet_mobile.runtime.runner import TFLiteRunner
from posenet_mobile.train.config import load_config
from posenet_mobile.train.trainer import train

TINY = ["model.input_size=[64,64]", "model.width=0.35", "model.decoder_channels=16", "train.batch_size=8",
        "train.eval_batch_size=16", "train.epochs=1", "compress.representative_samples=16"]  # fmt: skip
quiet = lambda *_: None  # noqa: E731


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("harness")
    synthesize(root / "train", 24, seed=0, cfg=SynthConfig(image_size=96), workers=1, progress=False)
    synthesize(root / "val", 8, seed=1, cfg=SynthConfig(image_size=96), workers=1, progress=False)
    train(load_config("quickstart", TINY), root / "run", root / "train", root / "val", verbose=0, progress=quiet)
    out = {"run": root / "run", "val": root / "val", "root": root}
    for fmt in ("float32", "int8"):
        out[fmt] = root / f"m_{fmt}.tflite"
        export_run(root / "run", fmt, out[fmt], quantization="ptq", max_pck_drop=100, progress=quiet)
    return out


def test_runner_decode_matches_the_keras_side_decode(models):
    from posenet_mobile.codec import decode_outputs

    r = TFLiteRunner(models["int8"])
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    named = r.run_crop(img)
    kp, sc = r.decode(named)
    kp2, sc2 = decode_outputs(named, r.codec)
    assert np.array_equal(kp, kp2) and np.array_equal(sc, sc2)
    frame = np.random.default_rng(1).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    res = r.predict_frame(frame)
    assert res["keypoints"].shape == (17, 2) and np.all(np.isfinite(res["keypoints"]))


def test_float32_tflite_matches_keras_within_1e_4(models):
    from posenet_mobile.compress.quantize import with_pixel_input
    from posenet_mobile.keras import keras

    model = with_pixel_input(keras.models.load_model(models["run"] / "model.keras", compile=False))
    img = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ko = model(img[None].astype(np.float32))
    to = TFLiteRunner(models["float32"]).run_crop(img)
    for name, k in zip(["heatmaps", "offsets"], ko):
        assert np.max(np.abs(to[name] - np.asarray(k))) < 1e-4


def test_wrong_inputs_are_clear_errors(models, tmp_path):
    r = TFLiteRunner(models["int8"])
    with pytest.raises(ModelError, match="crop it first"):
        r.run_crop(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ModelError, match="RGB image"):
        r.run_crop(np.zeros((64, 64), np.uint8))
    with pytest.raises(ModelError, match="uint8 RGB frame"):
        r.predict_frame(np.zeros((64, 64, 3), np.float32))
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(Exception, match="junk.tflite"):
        TFLiteRunner(junk)


def test_validate_reports_gates_and_writes_coco_results(models, tmp_path):
    from pycocotools.coco import COCO

    res = validate(models["int8"], models["val"], reference=models["run"], max_pck_drop=100, report=tmp_path / "r.json",
                   predictions=tmp_path / "p.json", html=tmp_path / "r.html", kernel_max_pck_diff=100,
                   progress=quiet)  # fmt: skip
    assert res["passed"], res["failures"]
    assert res["metrics"]["count"] == 8 and "pck_drop_points" in res["reference"]
    k = res["kernels"]
    assert k["crops"] == 8 and k["outputs"]["heatmaps"]["max_lsb"] >= 0
    assert (tmp_path / "r.html").exists() and (tmp_path / "r_worst_cases.png").exists()
    gt = COCO(str(models["val"] / "annotations.json"))
    dt = gt.loadRes(str(tmp_path / "p.json"))
    assert len(dt.getAnnIds()) == 8
    bad = validate(models["int8"], models["val"], reference=models["run"], max_pck_drop=-100, progress=quiet)
    assert not bad["passed"] and "below the reference" in bad["failures"][0]


def test_validate_cli_exit_codes(models, capsys):
    args = ["validate", "--model", str(models["int8"]), "--data", str(models["val"]), "--reference", str(models["float32"]),
            "--kernel-max-pck-diff", "100"]
    assert main(args + ["--max-pck-drop", "-100"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("posenet-mobile validate: gate failed: PCK@0.2")
    assert main(args + ["--max-pck-drop", "100"]) == 0


def test_foreign_model_fails_validate_clearly_but_benches(models, tmp_path, capsys):
    from posenet_mobile.export import tflite as T
    from posenet_mobile.keras import keras

    inp = keras.Input((32, 32, 3))
    foreign = tmp_path / "foreign.tflite"
    foreign.write_bytes(T.convert(keras.Model(inp, keras.layers.Conv2D(4, 3)(inp)), "float32"))
    assert main(["validate", "--model", str(foreign), "--data", str(models["val"])]) == 2
    assert "no posenet_mobile metadata" in capsys.readouterr().err
    res = bench([foreign, models["int8"]], threads=(1, 2), runs=6, warmup=1, report=tmp_path / "b.json")
    assert [(r["ours"], r["threads"]) for r in res["results"]] == [(False, 1), (False, 2), (True, 1), (True, 2)]
    assert all(r["median_ms"] > 0 and r["runs"] == 6 for r in res["results"])
    assert json.loads((tmp_path / "b.json").read_text())["results"][2]["macs"] > 0
