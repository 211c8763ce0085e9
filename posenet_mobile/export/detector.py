"""Export the person detector (``posenet_mobile.detect``) as an int8 TFLite file with its
metadata, the way pose models are exported: uint8 pixels in, integer inside (audited), tensors
named ``image`` / ``det_heatmap`` / ``det_geometry``, a metadata document inside the flatbuffer
and beside it (``FILE.tflite.json``), written atomically, scored on held-out frames.

The metadata (``kind: person_detector``) is its own document: ``input`` (size, dtype, the whole
frame letterboxed), ``outputs``, ``decode`` (``method: center_alignment``, the stride, the
geometry channels, the score threshold) and ``validation`` (box AP50 and alignment error of the
int8 file). :class:`posenet_mobile.runtime.detector.DetectorRunner` reads it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .. import __version__
from .. import metadata as M
from ..compress.quantize import pin_input_range, with_pixel_input
from ..detect.codec import THRESHOLD, DetectionCodec
from ..detect.data import FramePipeline, load_frames
from ..detect.model import OUTPUTS
from ..errors import ExportError
from ..io import check_output_file, commit_files, json_bytes
from . import tflite as T
from .exporter import sidecar_path

DETECTOR_KIND = "person_detector"
#: The geometry tensor's channels, in order (:mod:`posenet_mobile.detect.codec`).
GEOMETRY = (
    "offset_x_cells",
    "offset_y_cells",
    "log_radius_over_stride",
    "sin_angle",
    "cos_angle",
    "left_over_radius",
    "top_over_radius",
    "right_over_radius",
    "bottom_over_radius",
)


def detector_metadata(size, codec, threshold: float, outputs, audit=None) -> dict:
    """The detector's metadata document: ``outputs`` as ``(index, name, shape, (scale,
    zero_point))`` of the int8 file's output tensors. The exporter writes it; the golden vectors
    hand posecore's reader one made by this same function."""
    doc = {
        "schema_version": M.SCHEMA_VERSION,
        "kind": DETECTOR_KIND,
        "producer": f"posenet_mobile {__version__}",
        "format": "int8",
        "input": {
            "name": "image",
            "size_hw": list(size),
            "dtype": "uint8",
            "colour": "RGB",
            "range": [0, 255],
            "crop": {"method": "letterbox", "rule": "the whole frame, letterboxed (black bars)"},
        },
        "outputs": [
            {
                "index": int(index),
                "name": str(name),
                "shape": [int(v) for v in shape],
                "dtype": "int8",
                "quantization": {"scale": float(q[0]), "zero_point": int(q[1])},
            }
            for index, name, shape, q in outputs
        ],
        "decode": {
            "method": "center_alignment",
            "stride": codec.stride,
            "min_sigma": codec.min_sigma,
            "geometry": list(GEOMETRY),
            "threshold": threshold,
            "peak": "a cell that is the maximum of its 3x3 neighbourhood (the first in row-major "
            "order among equals) and scores at least the threshold; geometry read at that cell",
        },
    }
    if audit is not None:
        doc["int8_audit"] = audit
    return doc


def export_detector(
    model_path,
    frames,
    out,
    threshold: float = THRESHOLD,
    calibration: int = 100,
    progress=print,
    qat=None,
    compression: dict | None = None,
) -> dict:
    """Export the Keras detector at ``model_path`` as int8, calibrated and scored on the COCO
    folder ``frames`` (held-out frames); returns the metadata document.

    ``qat``: the detector's quantization-aware model (:func:`posenet_mobile.detect.compress.pqat_detector`,
    made from ``model_path``), converted with its learned ranges instead of calibrating the float
    model; ``compression`` (that function's report) goes into the metadata."""
    from ai_edge_litert.interpreter import Interpreter

    from ..detect.train import evaluate_detector
    from ..models.saved import load_keras_model
    from ..runtime.detector import DetectorRunner

    out = Path(out)
    check_output_file(out, "--out")
    check_output_file(sidecar_path(out), "--out (its sidecar)")
    det = load_keras_model(model_path)
    size = tuple(int(v) for v in det.inputs[0].shape[1:3])
    codec = DetectionCodec(size)
    pipe = FramePipeline(load_frames(frames), codec, training=False)

    def pixels():
        for i in range(len(pipe)):
            item = pipe.prepare(i)
            if item is not None:
                yield ((item[0] + 1.0) * 127.5)[None]

    if qat is not None:
        progress("export: converting the detector's QAT model to int8")
        pin_input_range(qat)
        data = T.convert(qat, "int8", qat=True)
    else:
        progress("export: converting the detector to int8")
        data = T.convert(
            with_pixel_input(det), "int8", T.representative_dataset(pixels, calibration)
        )
    data, normalize_kept = T.fold_input_normalization(data)
    audit = T.audit_int8(data)
    if audit.get("float_ops"):
        raise ExportError(f"detector int8: float ops inside: {audit['float_ops']}")
    # the converter does not keep the model's output order; the two outputs' shapes tell them apart
    order = [
        OUTPUTS[0] if int(d["shape"][-1]) == 1 else OUTPUTS[1]
        for d in Interpreter(model_content=data).get_output_details()
    ]
    data = T.short_tensor_names(data, order)
    it = Interpreter(model_content=data)
    outs = sorted(it.get_output_details(), key=lambda d: d["index"])
    doc = detector_metadata(
        size,
        codec,
        threshold,
        [
            (int(d["index"]), str(d["name"]), [int(v) for v in d["shape"]], d["quantization"])
            for d in outs
        ],
        audit,
    )
    doc["quantization"] = {
        "method": "pqat" if qat is not None else "ptq",
        "produced_by": "prune-preserving quantization-aware training"
        if qat is not None
        else f"post-training quantization, calibrated on {calibration} held-out frames",
        **({"compression": compression} if compression else {}),
        # None: folded into the input's quantization (tflite.fold_input_normalization); else why
        # the normalize op stayed
        "normalize_op_kept": normalize_kept,
    }
    q_in = it.get_input_details()[0]["quantization"]
    doc["input"]["quantization"] = {"scale": float(q_in[0]), "zero_point": int(q_in[1])}
    doc["input"]["normalization"] = T.normalization_text(float(q_in[0]))
    staged = M.embed(data, doc)
    progress("export: scoring the int8 detector on the held-out frames")
    doc["validation"] = evaluate_detector(DetectorRunner(staged).as_keras(), frames, codec)
    final = M.embed(data, doc)
    sidecar = {**doc, "tflite_sha256": hashlib.sha256(final).hexdigest()}
    commit_files([(sidecar_path(out), json_bytes(sidecar, indent=1)), (out, final)])
    return doc
