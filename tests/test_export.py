"""Compression chain and TFLite export on tiny trained runs (64 px, width 0.35)."""

import json
import os

import numpy as np
import pytest
from ai_edge_litert.interpreter import Interpreter

from posenet_mobile.compress import chain
from posenet_mobile.compress import prune as P
from posenet_mobile.errors import ExportError, ModelError
from posenet_mobile.io import sha256_bytes
from posenet_mobile import metadata as M
from posenet_mobile.export import tflite as T
from posenet_mobile.export.exporter import export_run, inspect
from posenet_mobile.export.policy import QuantizationConfig, export_int8_with_fallback
from posenet_mobile.runs import load_run
from posenet_mobile.runtime.runner import TFLiteRunner

from helpers import PLAIN, train_tiny
from helpers import TINY as BASE

TINY = PLAIN + BASE + ["compress.prune_epochs=1", "compress.qat_epochs=1"]
quiet = lambda *_: None  # noqa: E731


@pytest.fixture(scope="module")
def heatmap_run(tmp_path_factory, data32):
    return train_tiny(tmp_path_factory.mktemp("hm") / "run", data32, TINY + ["model.head=heatmap"])


@pytest.mark.parametrize("fmt", ["float32", "float16", "dynamic", "int8"])
def test_each_format_converts_and_runs(heatmap_run, tmp_path, fmt):
    out = tmp_path / f"m_{fmt}.tflite"
    rep = export_run(heatmap_run, fmt, out, quantization="ptq", max_pck_drop=100, progress=quiet)
    assert out.exists() and (tmp_path / f"m_{fmt}.tflite.json").exists()
    r = TFLiteRunner(out)
    named = r.run_crop(np.full((64, 64, 3), 128, np.uint8))
    assert set(named) == {"heatmaps", "offsets"} and named["heatmaps"].shape == (1, 16, 16, 17)
    assert rep["size_bytes"] == out.stat().st_size and rep["gzip_bytes"] < rep["size_bytes"]
    parts = rep["size_breakdown"]  # float16 weights sit behind DEQUANTIZE ops: still found
    assert sum(p["bytes"] for k, p in parts.items() if k != "total") == rep["size_bytes"]
    n_weights = sum(
        int(np.prod(l.kernel.shape))
        for l in load_run(heatmap_run).load_float().layers
        if type(l).__name__ == "Conv2D"
    )
    if fmt == "dynamic":  # the converter leaves small kernels float32
        assert n_weights <= parts["prunable_weights"]["bytes"] < 4 * n_weights
    else:
        assert (
            parts["prunable_weights"]["bytes"]
            == {"float32": 4, "float16": 2, "int8": 1}[fmt] * n_weights
        )
    if fmt == "float32":
        assert max(rep["validation"]["keras_vs_tflite"]["max_abs_diff"].values()) < 1e-4


def test_int8_takes_uint8_pixels_and_is_integer_inside(heatmap_run, tmp_path):
    out = tmp_path / "m.tflite"
    rep = export_run(heatmap_run, "int8", out, quantization="ptq", max_pck_drop=100, progress=quiet)
    info = inspect(out)
    meta = info["metadata"]
    # the normalize op is folded into the input's quantization: raw bytes, read as q / 127.5 - 1
    q = meta["input"]["quantization"]
    assert meta["input"]["dtype"] == "uint8" and q["zero_point"] in (127, 128)
    assert (
        q["scale"] == pytest.approx(1 / 127.5, rel=1e-4)
        and "quantization" in (meta["input"]["normalization"])
    )
    assert rep["normalize_op_kept"] is None
    assert info["float_ops"] == [] and "CONV_2D" in info["ops"]
    assert all(o["dtype"] == "int8" and o["quantization"]["scale"] > 0 for o in meta["outputs"])
    # size_breakdown: every byte in one part; checked against the interpreter's own view
    parts = info["size_breakdown"]
    assert (
        sum(p["bytes"] for k, p in parts.items() if k != "total")
        == parts["total"]["bytes"]
        == out.stat().st_size
    )
    it = Interpreter(model_path=str(out))
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    filters = {"prunable": 0, "depthwise": 0}
    for op in it._get_ops_details():
        kind = {
            "CONV_2D": "prunable",
            "FULLY_CONNECTED": "prunable",
            "DEPTHWISE_CONV_2D": "depthwise",
        }.get(op["op_name"])
        if kind:
            filters[kind] += int(np.prod(tensors[op["inputs"][1]]["shape"]))
    assert parts["prunable_weights"]["bytes"] == filters["prunable"] > 0
    assert parts["depthwise_weights"]["bytes"] == filters["depthwise"] > 0
    n_q = sum(len(t["quantization_parameters"]["scales"]) for t in tensors.values())
    assert (
        parts["quantization_params"]["bytes"] == 12 * n_q
    )  # float32 scale + int64 zero point each


def test_folding_the_input_normalisation_computes_what_the_op_did(heatmap_run):
    from posenet_mobile.compress.quantize import NORMALIZE_LAYER, with_pixel_input
    from posenet_mobile.models.build import inference_model

    run = load_run(heatmap_run)
    model = inference_model(with_pixel_input(run.load_float()), run.cfg.model.head)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(6)]

    def rep():
        for f in frames:
            yield [f[None].astype(np.float32)]

    op = T.convert(model, "int8", rep)
    folded, kept = T.fold_input_normalization(op)
    assert kept is None and T.op_list(folded)[1]["op"] != "DEPTHWISE_CONV_2D"
    assert len(T.op_list(folded)) == len(T.op_list(op)) - 1
    grey = [np.full((64, 64, 3), v, np.uint8) for v in range(0, 256, 5)]  # every input level
    ramp = np.broadcast_to(np.arange(256, dtype=np.uint8)[:64, None, None], (64, 64, 3))
    worst = 0
    for x in grey + frames + [np.ascontiguousarray(ramp)]:
        outs = []
        for data in (op, folded):
            it = Interpreter(model_content=data)
            it.allocate_tensors()
            it.set_tensor(it.get_input_details()[0]["index"], x[None])
            it.invoke()
            outs.append([it.get_tensor(d["index"]).astype(int) for d in it.get_output_details()])
        worst = max(worst, *(int(np.abs(a - b).max()) for a, b in zip(*outs)))
    assert worst <= 1, worst  # int8 steps of the outputs
    # a normalize layer that is not the training normalisation (a trained gain) stays an op
    model.get_layer(NORMALIZE_LAYER).set_weights(
        [np.full((1, 1, 3, 1), 1.05 / 127.5, np.float32), np.full((3,), -1.0, np.float32)]
    )
    same, why = T.fold_input_normalization(T.convert(model, "int8", rep))
    assert "not the normalisation" in why and T.op_list(same)[1]["op"] == "DEPTHWISE_CONV_2D"


def test_short_tensor_names_compute_the_same_and_name_the_outputs(heatmap_run, tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    short, kept = tmp_path / "s.tflite", tmp_path / "k.tflite"
    export_run(heatmap_run, "int8", short, quantization="ptq", max_pck_drop=100, progress=quiet)
    export_run(
        heatmap_run,
        "int8",
        kept,
        quantization="ptq",
        max_pck_drop=100,
        keep_tensor_names=True,
        progress=quiet,
    )
    assert short.stat().st_size < kept.stat().st_size - 5000
    it = Interpreter(model_path=str(short))
    assert [d["name"] for d in it.get_input_details()] == ["image"]
    meta = M.read(short.read_bytes())
    assert {d["name"] for d in it.get_output_details()} == {"heatmaps", "offsets"}
    assert [o["name"] for o in meta["outputs"]] == [
        d["name"] for d in sorted(it.get_output_details(), key=lambda d: d["index"])
    ]
    long_names = [d["name"] for d in Interpreter(model_path=str(kept)).get_tensor_details()]
    assert max(map(len, long_names)) > 40
    img = np.random.default_rng(1).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    a, b = TFLiteRunner(short).run_crop(img), TFLiteRunner(kept).run_crop(img)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name])


def test_audit_names_a_float_op(heatmap_run):
    from posenet_mobile.compress.quantize import with_pixel_input
    from posenet_mobile.keras import keras

    model = with_pixel_input(keras.models.load_model(heatmap_run / "model.keras", compile=False))
    float_bytes = T.convert(model, "float32")
    with pytest.raises(ExportError, match="float ops slipped.*CONV_2D"):
        T.audit_int8(float_bytes)


def test_metadata_round_trips_and_replaces(heatmap_run, tmp_path):
    out = tmp_path / "m.tflite"
    export_run(heatmap_run, "float32", out, progress=quiet)
    data = out.read_bytes()
    doc = M.read(data)
    sidecar = json.loads((tmp_path / "m.tflite.json").read_text())
    sidecar.pop("export")
    assert sidecar.pop("tflite_sha256") == __import__("hashlib").sha256(data).hexdigest()
    assert doc == sidecar
    assert doc["keypoints"]["names"][0] == "nose" and doc["decode"]["stride"] == 4
    new = M.embed(data, {"a": [1, 2.5, "x"]})
    assert M.read(new) == {"a": [1, 2.5, "x"]}
    assert M.metadata_names(new).count(M.METADATA_NAME) == 1
    TFLiteRunner(new, require_metadata=False).invoke_raw(np.zeros((1, 64, 64, 3), np.float32))


def test_decode_in_graph_matches_the_python_decoder(heatmap_run, tmp_path):
    plain, dec = tmp_path / "p.tflite", tmp_path / "d.tflite"
    export_run(heatmap_run, "float32", plain, progress=quiet)
    export_run(heatmap_run, "float32", dec, decode_in_graph=True, progress=quiet)
    a, b = TFLiteRunner(plain), TFLiteRunner(dec)
    assert b.outputs == ["keypoints"]
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ka, sa = a.decode(a.run_crop(img))
    kb, sb = b.decode(b.run_crop(img))
    np.testing.assert_allclose(kb, ka, atol=1e-3)
    np.testing.assert_allclose(sb, sa, atol=1e-5)


def test_int8_gate_refuses_and_force_writes(heatmap_run, tmp_path):
    out = tmp_path / "g.tflite"
    with pytest.raises(ExportError, match="points below the float model"):
        export_run(heatmap_run, "int8", out, quantization="ptq", max_pck_drop=-100, progress=quiet)
    assert list(tmp_path.iterdir()) == []
    rep = export_run(
        heatmap_run, "int8", out, quantization="ptq", max_pck_drop=-100, force=True, progress=quiet
    )
    assert rep["forced"] and out.exists()


def test_failed_export_leaves_nothing_behind(heatmap_run, tmp_path, monkeypatch):
    from posenet_mobile import io

    real = os.replace

    def boom(src, dst):  # interrupted after the sidecar's temp file, before any rename
        raise KeyboardInterrupt

    monkeypatch.setattr(io.os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        export_run(heatmap_run, "float32", tmp_path / "x.tflite", progress=quiet)
    monkeypatch.setattr(io.os, "replace", real)
    assert list(tmp_path.iterdir()) == []


def test_missing_or_incompatible_runs_are_clear_errors(tmp_path, heatmap_run):
    with pytest.raises(ModelError, match="no such run directory"):
        export_run(tmp_path / "nope", "float32", progress=quiet)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((heatmap_run / "config.json").read_text())
    (bad / "model.keras").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="model.keras: is not a Keras zip archive"):
        export_run(bad, "float32", progress=quiet)
    (bad / "model.keras").write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(
        ModelError, match="model.keras: .*not a .keras model|model.keras: is not a Keras zip"
    ):
        export_run(bad, "float32", progress=quiet)
    (bad / "config.json").write_text(json.dumps({"config": {"model": {"colour": 3}}}))
    with pytest.raises(ModelError, match="incompatible run config.*colour"):
        export_run(bad, "float32", progress=quiet)


@pytest.mark.slow
def test_pqat_keeps_the_pruned_zeros_and_leaves_the_base_model(heatmap_run):
    run = load_run(heatmap_run)
    chain.reset(run)
    res = chain.compress_run(run, progress=quiet)
    pr, qr = res["pruned"]["sparsity"], res["qat"]["sparsity"]
    assert run.cfg.compress.target_sparsity > 0.2
    assert pr["prunable_sparsity"] == pytest.approx(run.cfg.compress.target_sparsity, abs=0.02)
    assert all(r["sparsity"] < 0.05 for r in pr["layers"] if r["type"] == "DepthwiseConv2D")
    assert qr["prunable_sparsity"] >= pr["prunable_sparsity"] - 0.01
    assert P.sparsity_report(run.load_float())["prunable_sparsity"] < 0.05
    again = chain.compress_run(run, progress=quiet)  # saved stages are reused
    assert again["qat"]["key"] == res["qat"]["key"]
    # a QAT model built once in this process is reused, with its weights read from the stage
    qm, _ = chain.qat_stage(run, progress=quiet)
    saved = qm.get_weights()
    qm.set_weights([np.zeros_like(w) for w in saved])
    qm2, _ = chain.qat_stage(run, progress=quiet)
    assert qm2 is qm and all(np.array_equal(a, b) for a, b in zip(qm2.get_weights(), saved))


@pytest.mark.slow
def test_int8_policy_refuses_without_force_and_ships_the_first_step_within_the_gate(
    heatmap_run, tmp_path
):
    run = load_run(heatmap_run)
    chain.compress_run(run, progress=quiet)  # the QAT and pruned stages (reused when present)
    out = tmp_path / "posenet_int8.tflite"
    out.write_bytes(b"earlier output")
    # no step can be within a -100 bound: all three are tried, none is written, out is untouched
    with pytest.raises(ExportError, match=r"no step within -100.*pqat .*ptq_pruned .*ptq_float"):
        export_int8_with_fallback(heatmap_run, out, max_pck_drop=-100, progress=quiet)
    assert out.read_bytes() == b"earlier output" and list(tmp_path.iterdir()) == [out]
    # a wide bound: the first step ships under out's name, with a sidecar that says so
    res = export_int8_with_fallback(heatmap_run, out, max_pck_drop=100, progress=quiet)
    assert [t["step"] for t in res["tried"]] == ["pqat"] and res["rejected"] is None
    assert res["int8"]["produced_by"].startswith("PQAT") and res["int8"]["policy_step"] == "pqat"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name, out.name + ".json"]
    side = json.loads((tmp_path / (out.name + ".json")).read_text())
    assert side["export"]["file"] == str(out) and side["tflite_sha256"] == sha256_bytes(
        out.read_bytes()
    )
    assert TFLiteRunner(out).input_dtype == "uint8"
    # the fine-tune left the normalize layer exact (qat_model freezes its kernel, the exporter
    # pins its range), so the QAT file folds it into the input's quantization too
    assert side["export"]["normalize_op_kept"] is None
    assert side["input"]["quantization"]["scale"] == pytest.approx(1 / 127.5, rel=1e-4)


def test_quantization_config_names_its_export():
    assert QuantizationConfig.for_int8("ptq", "pruned").export_kwargs() == dict(
        fmt="int8", quantization="ptq", weights="pruned", per_channel=True
    )
    assert QuantizationConfig.for_float32().export_kwargs()["weights"] == "float"
    assert QuantizationConfig.for_float16().format == "float16"
    assert QuantizationConfig.for_dynamic().format == "dynamic"
    with pytest.raises(ExportError, match="quantization: expected auto, ptq or qat"):
        QuantizationConfig.for_int8("qta")
    with pytest.raises(ExportError, match="format: expected one of"):
        QuantizationConfig("int4")


def test_cli_export_error_is_one_line(tmp_path, capsys):
    from posenet_mobile.cli import main

    assert main(["export", "--run", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such run directory" in err[0]
    # --fallback picks the method itself: asking for one as well is refused before any work
    assert main(["export", "--run", str(tmp_path), "--fallback", "--weights", "float"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--fallback: int8 only" in err[0]


def test_relative_dataset_paths_are_found_from_another_directory(
    heatmap_run, tmp_path, monkeypatch
):
    import os
    import shutil

    from posenet_mobile.io import read_json, write_json_atomic

    root = tmp_path / "project"
    run = root / "out" / "run"
    shutil.copytree(
        heatmap_run, run, ignore=shutil.ignore_patterns("export", "compress", "checkpoints")
    )
    doc = read_json(run / "config.json")
    for split in ("train", "val"):
        src = doc["data"][split]
        shutil.copytree(src, root / "out" / "data" / split)
        doc["data"][split] = os.path.join(
            "out", "data", split
        )  # as recorded from the project folder
    write_json_atomic(run / "config.json", doc)
    monkeypatch.chdir(tmp_path)
    assert len(load_run(run).datasets("val")) == len(load_run(heatmap_run).datasets("val")) >= 8


def test_qat_ranges_start_from_data_not_tfmots_default(heatmap_run):
    from posenet_mobile.compress import quantize as Q
    from posenet_mobile.models.build import output_names

    run = load_run(heatmap_run)
    qm = Q.qat_model(run.load_float())

    def ranges():
        return {
            w.name: float(np.asarray(w))
            for w in qm.weights
            if w.name.endswith(("output_max:0", "post_activation_max:0"))
            and np.asarray(w).ndim == 0
        }

    before = ranges()
    norm = next(k for k in before if k.startswith("quant_normalize/"))
    assert before.pop(norm) == 1.0  # the normalised pixels' range, pinned
    assert before and set(before.values()) == {6.0}  # tfmot's start for every activation range
    pipe = run.pipeline("val", output_names(qm), pixels=True)
    first = next(iter(pipe.dataset(8)))[0]
    n = Q.calibrate_ranges(qm, iter([first]), decay=0.0)  # one batch, taken as is
    after = ranges()
    assert n == 1 and sum(v != 6.0 for v in after.values()) > 0.5 * len(
        after
    )  # ReLU6 outputs may reach 6
    heat = next(v for k, v in after.items() if "heatmaps" in k)
    assert 0.0 < heat < 3.0  # near the data's range (heatmap peaks ~1), not the default 6
    inp = [w for w in qm.weights if "quantize_layer" in w.name and w.name.endswith("max:0")]
    assert inp and float(np.asarray(inp[0])) == 255.0  # the pixel input range stays pinned
    assert after[norm] == 1.0
    # the frozen normalisation is not among the weights a fine-tune trains
    assert not [w.name for w in qm.trainable_weights if w.name.startswith("normalize/")]
