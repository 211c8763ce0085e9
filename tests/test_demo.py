"""``posenet-mobile demo`` end to end on a tiny preset, with the int8 gate set so PQAT must miss it."""

import json
from pathlib import Path

import numpy as np
import pytest

from posenet_mobile.demo import run_demo
from posenet_mobile.export import exporter
from posenet_mobile.runtime.runner import TFLiteRunner

import helpers
from helpers import person, write_coco

TINY = helpers.TINY + [
    "data.synthetic_train=32",
    "data.synthetic_val=8",
    "data.synthetic_image_size=96",
    "compress.prune_epochs=1",
    "compress.qat_epochs=1",
]


@pytest.mark.slow
def test_demo_falls_back_to_ptq_and_reports_it(tmp_path, capsys, monkeypatch):
    out = tmp_path / "demo"
    real = exporter.export_run

    def pqat_looks_worse(run, fmt, *a, **kw):  # so the PTQ file must win and replace it
        rep = real(run, fmt, *a, **kw)
        if fmt == "int8" and kw.get("quantization") == "qat":
            rep["validation"]["pck_drop_points"] += 50.0
        return rep

    monkeypatch.setattr(exporter, "export_run", pqat_looks_worse)
    # the crop rules and flip settings the real photographs are scored with
    import posenet_mobile.harness.validate as V

    scored, validate = [], V.validate

    def recording(model, data, *a, **kw):
        if Path(data) == tmp_path / "real":
            scored.append((kw.get("crop_rule"), kw.get("flip_test", False)))
        return validate(model, data, *a, **kw)

    monkeypatch.setattr(V, "validate", recording)
    # "real photographs" for the report: a tiny COCO set whose people carry a source, as the dev set's do
    rng = np.random.default_rng(0)
    path, coco = write_coco(
        tmp_path / "real", [person(rng, (96, 96)) for _ in range(4)], image_size=(96, 96)
    )
    for i, ann in enumerate(coco["annotations"]):
        ann["source"] = "mpii" if i % 2 else "coco"
    Path(path).write_text(json.dumps(coco))
    # a negative bound: every int8 file "misses" the gate, so the PTQ fallback runs
    res = run_demo(
        out,
        overrides=TINY + ["compress.max_pck_drop=-100"],
        estimate_s=60,
        real_data=tmp_path / "real",
    )
    ex = json.loads((out / "stages" / "export.json").read_text())
    exp = out / "export"
    assert (exp / "posenet_float32.tflite").exists() and (exp / "posenet_int8.tflite").exists()
    shipped = ex["int8"]["validation"]["pck_drop_points"]
    # PTQ is shipped under the int8 name, the PQAT file kept beside it, no stray PTQ name left
    assert ex["int8"]["produced_by"].startswith("PTQ") and ex["int8"]["file"].endswith(
        "posenet_int8.tflite"
    )
    assert ex["int8_pqat_rejected"]["produced_by"].startswith("PQAT")
    assert ex["int8_pqat_rejected"]["validation"]["pck_drop_points"] > shipped
    assert (exp / "posenet_int8_pqat.tflite").exists() and (
        exp / "posenet_int8_pqat.tflite.json"
    ).exists()
    # a -100 bound: the pruned and then the dense weights were tried; the files not shipped are gone
    assert not list(exp.glob("posenet_int8_ptq*")), list(exp.iterdir())
    assert ex["int8"]["replacement_weights"] in ("pruned", "float")
    assert [t["step"] for t in ex["int8_tried"]] == ["pqat", "ptq_pruned", "ptq_float"]
    assert f"--weights {ex['int8']['replacement_weights']}" in (out / "report.md").read_text()
    assert json.loads((exp / "posenet_int8.tflite.json").read_text())["quantization"]
    report = (out / "report.md").read_text()
    assert (
        "posenet_int8_pqat.tflite" in report
        and "--quantization ptq" in report
        and "TFLite int8 (PTQ" in report
    )
    err = capsys.readouterr().err
    assert (
        "trying post-training quantization" in err
        and "post-training quantization of the same pruned weights is" in err
    )
    # the shipped file is the one the validate stage scored, and it runs
    assert TFLiteRunner(exp / "posenet_int8.tflite").input_dtype == "uint8"
    assert res["passed"] is False  # a -100 bound cannot be met
    assert (out / "report.html").exists()
    real_stage = json.loads((out / "stages" / "real.json").read_text())
    assert real_stage["count"] == 4 and set(real_stage["by_source"]) == {"coco", "mpii"}
    assert "**Real photographs** (4 people" in report and "by source: coco" in report
    # the quickstart preset takes aligned crops, and the report says how the crops were made
    assert real_stage["crop_rule"] == "aligned" and "crops aligned from the labelled" in report
    # ... and beside it, the same file given only the GT box
    assert 0.0 <= real_stage["box_crops"]["pck"] <= 1.0 and "on GT-box crops (given only" in report
    assert res["real_pck"] == real_stage["pck"]
    # ... and both again with the flip test, as `validate --flip-test` scores them
    assert sorted(scored, key=str) == sorted(
        [(None, False), ("box", False), (None, True), ("box", True)], key=str
    )
    flip = real_stage["flip_test"]
    assert set(flip) == {"own_crops", "box_crops"} and "with the flip test (a second" in report
    direct = validate(out / "export" / "posenet_int8.tflite", tmp_path / "real", flip_test=True)
    assert flip["own_crops"] == {"pck": direct["metrics"]["pck"], "AP": direct["metrics"]["AP"]}
    # a re-run reuses every finished stage; with --detector it adds the detector's two stages
    again = run_demo(
        out,
        overrides=TINY + ["compress.max_pck_drop=-100"],
        estimate_s=60,
        real_data=tmp_path / "real",
        detector={"train": 8, "val": 4, "input": 64, "epochs": 1, "depth": 0.25},
    )
    assert again["int8_bytes"] == res["int8_bytes"] and 0 <= again["detector_ap50"] <= 1
    err = capsys.readouterr().err
    assert "[1/9 train] done earlier; reusing" in err and "[7/9 detector]" in err
    assert (exp / "person_detector_int8.tflite").exists()
    whole = json.loads((out / "stages" / "whole_image.json").read_text())["rows"]
    assert set(whole) == {"synthetic scenes", "real photographs"}
    assert whole["real photographs"]["people"] == 4 and whole["synthetic scenes"]["people"] >= 1
    report = (out / "report.md").read_text()
    assert "## Whole frames: the person detector, then pose" in report
    assert "| real photographs | aligned |" in report and "--detector" in report
    # an aligned pose model is also scored on GT-box crops, the crop a user with a box makes
    b = whole["real photographs"]["gt_box_crops"]
    assert set(b) == {"pck", "AP", "AP50"}
    assert f"| {100 * b['pck']:.1f} / {100 * b['AP']:.1f} |" in report
    with pytest.raises(Exception, match="unknown settings"):
        run_demo(out, overrides=TINY, detector={"epoch": 1})
    with pytest.raises(Exception, match="holds a detector made with"):  # not reused silently
        run_demo(
            out,
            overrides=TINY + ["compress.max_pck_drop=-100"],
            real_data=tmp_path / "real",
            detector={"train": 8, "val": 4, "input": 64, "epochs": 2, "depth": 0.25},
        )


def test_demo_eta_follows_the_training_epochs_and_ignores_reused_stages(monkeypatch, capsys):
    from posenet_mobile import demo

    clock = [0.0]
    monkeypatch.setattr(demo.time, "perf_counter", lambda: clock[0])
    p = demo.Progress(total_estimate_s=60.0)
    p.start(1, "train")
    eta = lambda: float(capsys.readouterr().err.rsplit("ETA ", 1)[1].split(" min")[0])  # noqa: E731
    clock[0] = 30.0
    p("epoch 1/40  loss 1.0")
    # the first guess (one minute) has run out; the epochs say 1/40 of training took 30 s
    expected = 30.0 / (0.62 / 40) * (1 - 0.62 / 40) / 60
    assert eta() == pytest.approx(expected, abs=0.06)
    clock[0] = 600.0
    p("epoch 20/40  loss 0.5")
    assert eta() == pytest.approx(600.0 / 0.31 * 0.69 / 60, abs=0.06)

    # a resumed demo: training reused, then a stage resumed half-way counts only what ran now
    clock[0] = 0.0
    q = demo.Progress(total_estimate_s=600.0)
    q.start(1, "train")
    q("done earlier; reusing")
    q.finish("train", ran=False)
    q.start(2, "compress")
    clock[0] = 10.0
    q("prune: 12 epochs")
    assert eta() == pytest.approx((600.0 * (1 - 0.62) - 10.0) / 60, abs=0.06)
    clock[0] = 0.0
    r = demo.Progress(total_estimate_s=600.0)
    r.start(1, "train")
    clock[0] = 20.0
    r("resuming run after epoch 20/40 (optimizer step 100)")
    clock[0] = 320.0
    r("epoch 30/40  loss 0.4")
    assert eta() == pytest.approx(320.0 / (0.62 * 0.25) * (1 - 0.62 * 0.75) / 60, abs=0.06)
