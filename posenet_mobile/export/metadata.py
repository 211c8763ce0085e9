"""Model metadata: a JSON document inside the .tflite flatbuffer and beside it as a sidecar.

The JSON is stored as a buffer referenced from the flatbuffer's ``metadata`` table under the
name :data:`METADATA_NAME` (written with ``ai_edge_litert.tools.flatbuffer_utils``; tflite-support
and mediapipe's metadata writers are not usable beside TF 2.21). The interpreter ignores unknown
metadata entries, so the file loads anywhere. The Android sample reads the sidecar
``FILE.tflite.json`` or the embedded copy; both are the same document.

Document fields (``schema_version`` :data:`SCHEMA_VERSION`): ``keypoints`` (names, skeleton,
flip_index, sigmas), ``input`` (shape, dtype, range, colour order, normalisation inside the model,
crop rule), ``outputs`` (tensor index, name, shape, dtype, quantization, meaning, layout, frame),
``decode`` (method, stride, heatmap size), ``head``, ``format``, ``quantization`` (method),
``training`` (config fingerprint, data summary), ``validation`` (metrics measured at export).
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ExportError

METADATA_NAME = "posenet_mobile_json"
SCHEMA_VERSION = 1


def embed(model_bytes: bytes, doc: dict) -> bytes:
    """Return ``model_bytes`` with ``doc`` stored (replacing an earlier copy) in the metadata table."""
    from ai_edge_litert import schema_py_generated as fb
    from ai_edge_litert.tools import flatbuffer_utils as fu

    model = fu.convert_bytearray_to_object(bytearray(model_bytes))
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    buf = fb.BufferT()
    buf.data = list(payload)
    model.buffers.append(buf)
    meta = fb.MetadataT()
    meta.name = METADATA_NAME
    meta.buffer = len(model.buffers) - 1
    old = [m for m in (model.metadata or []) if _name(m) != METADATA_NAME]
    model.metadata = old + [meta]
    return bytes(fu.convert_object_to_bytearray(model))


def _name(meta) -> str:
    n = meta.name
    return n.decode() if isinstance(n, bytes) else str(n)


def read(source) -> dict | None:
    """The embedded document of a .tflite path or bytes, or ``None`` when it has none."""
    from ai_edge_litert.tools import flatbuffer_utils as fu

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    try:
        model = fu.convert_bytearray_to_object(bytearray(data))
    except Exception as exc:  # flatbuffers raises assorted errors on garbage
        where = source if isinstance(source, (str, Path)) else "model bytes"
        raise ExportError(f"{where}: not a TFLite flatbuffer ({type(exc).__name__})") from None
    for meta in model.metadata or []:
        if _name(meta) == METADATA_NAME:
            raw = model.buffers[meta.buffer].data
            return json.loads(bytes(bytearray(raw)).decode())
    return None


def metadata_names(source) -> list[str]:
    """Names of all metadata entries (ours and the converter's)."""
    from ai_edge_litert.tools import flatbuffer_utils as fu

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    model = fu.convert_bytearray_to_object(bytearray(data))
    return [_name(m) for m in model.metadata or []]


OUTPUT_MEANING = {
    "heatmaps": ("Gaussian keypoint heatmaps, one channel per keypoint; argmax gives the cell",
                 "NHWK", "heatmap cells (cell j centred on (j + 0.5) * stride input pixels)"),
    "offsets": ("sub-cell offsets, interleaved (dx, dy) per keypoint, added to the argmax cell centre",
                "NHW(2K) interleaved dx,dy", "heatmap cells"),
    "coords": ("regressed keypoint positions (x, y)", "NK2", "normalised input [0, 1] (x / W, y / H)"),
    "visibility": ("visibility logits; sigmoid gives the keypoint score", "NK", "logit"),
    "facing": ("whether the person faces the camera (logit > 0: facing); decides left from right in "
               "decode_sides", "N1", "logit"),
    "keypoints": ("decoded keypoints (x, y, score) from in-graph argmax + offset decoding",
                  "NK3", "input pixels (pixel i centred on i + 0.5); score = heatmap peak value"),
}  # fmt: skip


def output_entry(index: int, name: str, shape, dtype: str, quant) -> dict:
    meaning, layout, frame = OUTPUT_MEANING[name]
    scale, zp = (quant or (0.0, 0))[:2]
    return {"index": int(index), "name": name, "shape": [int(s) for s in shape], "dtype": dtype,
            "quantization": {"scale": float(scale), "zero_point": int(zp)} if scale else None,
            "meaning": meaning, "layout": layout, "frame": frame}  # fmt: skip
