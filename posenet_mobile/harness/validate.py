"""``validate``: score a .tflite on a dataset through the replayed phone pipeline, against a reference.

Measures, for the model (and a reference .tflite or a run's float Keras model): PCK@0.2, OKS
AP/AP50/AP75 (pycocotools), per-keypoint error; the drop between them; and the agreement of the
default XNNPACK kernels with the reference kernels (``BUILTIN_REF``) on the same crops, in LSB of
each output and in decoded keypoint pixels. LiteRT does not promise bit-exact kernels, so that
agreement is a measured figure checked against a tolerance, not assumed.

Gates (each failure is one line in ``report["failures"]``): PCK drop beyond ``max_pck_drop``
points against the reference; XNNPACK vs reference-kernel PCK@0.2 differing by more than
``kernel_max_pck_diff`` points on the compared crops (keypoint pixel differences are reported
beside it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data.coco import load_coco
from ..data.pipeline import KeypointPipeline
from ..errors import ConfigError, DataError, ModelError
from ..geometry import CROP_RULES
from ..io import check_output_file, write_json_atomic
from ..runtime.runner import TFLiteRunner
from ..metrics import score
from ..runtime.evaluate import evaluate_tflite, predict_tflite

_KEEP = (
    "pck",
    "AP",
    "AP50",
    "AP75",
    "count",
    "mean_error_px",
    "per_keypoint_error_px",
    "per_keypoint_pck",
    "skipped_images",
    "size_mismatch_images",
)


def _pipeline(runner, dataset, pixels=True, crop_rule=None):
    pad = runner.meta.input.crop.crop_padding
    return KeypointPipeline(
        dataset,
        runner.codec,
        (),
        training=False,
        padding=pad,
        pixels=pixels,
        simcc=runner.simcc,
        crop_rule=crop_rule or runner.meta.input.crop.method,
    )


def kernel_agreement(
    model, dataset, crops: int | None = None, threads: int = 1, crop_rule: str | None = None
) -> dict:
    """XNNPACK (default) vs ``BUILTIN_REF`` on the first ``crops`` evaluation crops (all if None).

    Returns per output ``max_lsb`` (raw units for quantized tensors; float outputs report the max
    abs difference), ``fraction_differing``; and keypoint differences in input pixels (max, p99,
    mean) after decoding, and PCK@0.2 of both on those crops. Near-flat heatmaps (an untrained
    model) turn 1-LSB differences into argmax jumps of whole cells, so the gate is on PCK.
    """
    fast = TFLiteRunner(model, threads=threads, kernels="xnnpack")
    ref = TFLiteRunner(model, threads=1, kernels="ref")
    pipe = _pipeline(fast, dataset, crop_rule=crop_rule)
    a = predict_tflite(fast, pipe, crops, keep_raw=True)
    b = predict_tflite(ref, pipe, crops, keep_raw=True)
    out = {}
    for j, (name, d) in enumerate(zip(fast.outputs, fast._out)):
        ra = np.stack([r[j] for r in a["raw"]]).astype(np.float64)
        rb = np.stack([r[j] for r in b["raw"]]).astype(np.float64)
        diff = np.abs(ra - rb)
        quant = bool(d["quantization"][0])
        out[name] = {
            "max_lsb" if quant else "max_abs": float(diff.max()) if diff.size else 0.0,
            "fraction_differing": round(float((diff > 0).mean()), 4) if diff.size else 0.0,
        }
    kd = np.linalg.norm(a["input_keypoints"] - b["input_keypoints"], axis=-1).ravel()
    pa = score(dataset, a["indices"], a["keypoints"], a["scores"])["pck"]
    pb = score(dataset, b["indices"], b["keypoints"], b["scores"])["pck"]
    return {
        "crops": int(len(a["indices"])),
        "outputs": out,
        "pck_xnnpack": pa,
        "pck_reference": pb,
        "pck_diff_points": round(100.0 * abs(pa - pb), 3),
        "keypoint_px": {
            "max": float(kd.max()),
            "p99": float(np.percentile(kd, 99)),
            "mean": float(kd.mean()),
        }
        if kd.size
        else {},
    }


def _reference_metrics(
    reference, dataset, threads, limit, unsafe_load=False, crop_rule=None, flip_test=False
):
    ref = Path(reference)
    if not ref.exists():
        raise ModelError(f"--reference {ref}: no such .tflite file or run folder")
    if ref.is_dir():
        from ..runs import load_run

        return load_run(ref, unsafe_load=unsafe_load).evaluate_float(
            dataset, limit, crop_rule=crop_rule, flip_test=flip_test
        ), f"{ref}/model.keras (Keras float)"
    runner = TFLiteRunner(ref, threads=threads, flip_test=flip_test)
    m, _ = evaluate_tflite(runner, _pipeline(runner, dataset, crop_rule=crop_rule), limit)
    return m, str(ref)


def by_source(dataset, pred) -> dict:
    """PCK@0.2 / OKS AP per annotation ``source`` (merged datasets such as the real-people dev
    set), ``{}`` when no annotation has one."""
    labels = np.array([dataset.samples[int(i)].source for i in pred["indices"]], dtype=object)
    out = {}
    for src in sorted({s for s in labels if s is not None}):
        sel = labels == src
        m = score(dataset, pred["indices"][sel], pred["keypoints"][sel], pred["scores"][sel])
        out[src] = {"pck": m["pck"], "AP": m["AP"], "count": m["count"]}
    return out


def coco_results(dataset, pred) -> list[dict]:
    """Predictions in the COCO keypoint results format (``score``: mean keypoint score)."""
    res = []
    for i, kp, sc in zip(pred["indices"], pred["keypoints"], pred["scores"]):
        s = dataset.samples[int(i)]
        flat = np.concatenate([kp, sc[:, None]], axis=1).ravel()
        res.append(
            {
                "image_id": int(s.image_id),
                "category_id": 1,
                "keypoints": [round(float(v), 3) for v in flat],
                "score": round(float(np.mean(sc)), 5),
            }
        )
    return res


def validate(
    model,
    data,
    reference=None,
    max_pck_drop: float = 1.0,
    report=None,
    predictions=None,
    html=None,
    threads: int = 1,
    limit: int | None = None,
    kernel_crops: int | None = None,
    kernel_max_pck_diff: float = 1.0,
    unsafe_load: bool = False,
    progress=print,
    crop_rule: str | None = None,
    flip_test: bool = False,
) -> dict:
    """Run the checks above; write the JSON report / COCO predictions / HTML when paths are given.

    Output paths are checked for writing first; a dataset with no person to score is an error.
    ``unsafe_load``: a run folder given as ``reference`` may hold Keras files in any format.
    ``crop_rule``: how the crops are made from the labels, for the model and its reference
    (:data:`~posenet_mobile.geometry.CROP_RULES`; default: the model's own
    ``input.crop.method``). ``box`` scores a model with aligned crops given only a person box, as
    a user with another detector's boxes runs it; the result's ``crop_rule`` says which was used.
    ``flip_test``: the model (and its reference) also run on each mirrored crop, the outputs
    averaged (:func:`~posenet_mobile.codec.flip_test`); the kernel check stays one run per crop.
    """
    if crop_rule is not None and crop_rule not in CROP_RULES:
        raise ConfigError(
            f"--crop-rule: expected one of {', '.join(CROP_RULES)}, got {crop_rule!r}"
        )
    for path, flag in ((report, "--report"), (predictions, "--predictions"), (html, "--html")):
        if path:
            check_output_file(path, flag)
    if threads < 1:
        raise ConfigError(f"--threads: expected >= 1, got {threads}")
    if limit is not None and limit < 1:
        raise ConfigError(f"--limit: expected >= 1 people, got {limit}")
    if reference and not Path(reference).exists():
        raise ModelError(f"--reference {reference}: no such .tflite file or run folder")
    # raises a clear ModelError without metadata
    runner = TFLiteRunner(model, threads=threads, flip_test=flip_test)
    dataset = load_coco(data)
    if len(dataset) == 0:
        raise DataError(
            f"{dataset.annotation_file}: no people to score (skipped: {dataset.skipped})"
        )
    if dataset.schema.names != runner.meta.keypoints.names:
        raise ModelError(f"{data}: keypoint names differ from the model's metadata ({model})")
    progress(f"validate: {model} on {len(dataset)} people")
    rule = crop_rule or runner.meta.input.crop.method
    m, pred = evaluate_tflite(runner, _pipeline(runner, dataset, crop_rule=rule), limit)
    result = {
        "model": str(model),
        "data": str(data),
        "format": runner.meta.format,
        "head": runner.meta.head,
        "crop_rule": rule,
        "flip_test": runner.flip_test,
        "size_bytes": runner.size_bytes,
        "metrics": {k: m.get(k) for k in _KEEP},
        "failures": [],
    }
    groups = by_source(dataset, pred)
    if groups:
        result["by_source"] = groups
    if reference:
        progress(f"validate: reference {reference}")
        rm, label = _reference_metrics(
            reference,
            load_coco(data),
            threads,
            limit,
            unsafe_load,
            crop_rule=rule,
            flip_test=flip_test,
        )
        drop = 100.0 * (rm["pck"] - m["pck"])
        result["reference"] = {
            "model": label,
            "metrics": {k: rm.get(k) for k in _KEEP},
            "pck_drop_points": round(drop, 3),
            "ap_drop_points": round(100.0 * (rm["AP"] - m["AP"]), 3),
            "max_pck_drop_points": max_pck_drop,
        }
        if drop > max_pck_drop:
            result["failures"].append(
                f"PCK@0.2 {m['pck']:.4f} is {drop:.2f} points below the reference's "
                f"{rm['pck']:.4f} (bound {max_pck_drop})"
            )
    progress("validate: XNNPACK vs reference kernels")
    agree = kernel_agreement(model, load_coco(data), kernel_crops or limit, threads, rule)
    agree["max_pck_diff_points"] = kernel_max_pck_diff
    result["kernels"] = agree
    if agree["pck_diff_points"] > kernel_max_pck_diff:
        result["failures"].append(
            f"XNNPACK and reference kernels disagree: PCK@0.2 {agree['pck_xnnpack']:.4f} vs "
            f"{agree['pck_reference']:.4f} on {agree['crops']} crops (bound {kernel_max_pck_diff} points)"
        )
    result["passed"] = not result["failures"]
    if predictions:
        write_json_atomic(predictions, coco_results(dataset, pred))
        result["predictions"] = str(predictions)
    if html:
        from .report import write_validation_report

        result["html"] = str(write_validation_report(result, dataset, pred, html))
    if report:
        write_json_atomic(report, result, indent=1)
    return result


__all__ = ["validate", "kernel_agreement", "coco_results", "by_source", "score"]
