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

from .contract import OUTPUTS
from .errors import ExportError, ModelError

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


def read(source, name: str | None = None) -> dict | None:
    """The embedded document of a .tflite path or bytes, or ``None`` when it has none.
    ``name`` is the file named in errors when ``source`` is bytes."""
    from ai_edge_litert.tools import flatbuffer_utils as fu

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    where = str(source) if isinstance(source, (str, Path)) else (name or "model bytes")
    try:
        model = fu.convert_bytearray_to_object(bytearray(data))
    except Exception as exc:  # flatbuffers raises assorted errors on garbage
        raise ExportError(f"{where}: not a TFLite flatbuffer ({type(exc).__name__})") from None
    for meta in model.metadata or []:
        if _name(meta) == METADATA_NAME:
            raw = model.buffers[meta.buffer].data
            try:
                doc = json.loads(bytes(bytearray(raw if raw is not None else [])).decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ModelError(
                    f"{where}: metadata entry {METADATA_NAME!r}: not valid UTF-8 JSON ({exc})"
                ) from None
            return doc
    return None


#: (path, type) pairs every document of :data:`SCHEMA_VERSION` has; the runtime reads them.
REQUIRED = (
    ("schema_version", int),
    ("head", str),
    ("format", str),
    ("keypoints", dict),
    ("keypoints.names", list),
    ("keypoints.flip_index", list),
    ("keypoints.flip_pairs", list),
    ("keypoints.skeleton", list),
    ("keypoints.sigmas", list),
    ("input", dict),
    ("input.size_hw", list),
    ("input.crop", dict),
    ("input.crop.crop_padding", (int, float)),
    ("outputs", list),
    ("decode", dict),
    ("decode.method", str),
    ("decode.stride", (int, float)),
)


def check(doc, source) -> dict:
    """Return ``doc`` if it has every :data:`REQUIRED` field with its type, else a
    :class:`ModelError` naming the file and the first missing or mistyped field."""
    if not isinstance(doc, dict):
        raise ModelError(f"{source}: metadata: expected a JSON object, got {type(doc).__name__}")
    for path, typ in REQUIRED:
        cur = doc
        for part in path.split("."):
            if not isinstance(cur, dict) or part not in cur:
                raise ModelError(
                    f"{source}: metadata field {path!r}: missing (not a posenet_mobile export of this "
                    f"version; re-export it)"
                )
            cur = cur[part]
        if not isinstance(cur, typ) or isinstance(cur, bool):
            name = typ.__name__ if isinstance(typ, type) else " or ".join(t.__name__ for t in typ)
            raise ModelError(f"{source}: metadata field {path!r}: expected {name}, got {cur!r:.60}")
    k = len(doc["keypoints"]["names"])
    if len(doc["keypoints"]["flip_index"]) != k or len(doc["keypoints"]["sigmas"]) != k:
        raise ModelError(
            f"{source}: metadata field 'keypoints': flip_index and sigmas must have {k} entries (one per name)"
        )
    if len(doc["input"]["size_hw"]) != 2:
        raise ModelError(f"{source}: metadata field 'input.size_hw': expected [height, width]")
    for i, o in enumerate(doc["outputs"]):
        if not (
            isinstance(o, dict)
            and isinstance(o.get("index"), int)
            and isinstance(o.get("name"), str)
        ):
            raise ModelError(
                f"{source}: metadata field 'outputs[{i}]': expected an object with index and name"
            )
    if doc["decode"]["method"] in ("simcc", "simcc_sides"):
        for field in ("split_ratio", "sigma_bins", "beta"):
            v = doc["decode"].get(field)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ModelError(
                    f"{source}: metadata field 'decode.{field}': expected a positive number for decode "
                    f"method simcc, got {v!r:.60}"
                )
    return doc


def metadata_names(source) -> list[str]:
    """Names of all metadata entries (ours and the converter's)."""
    from ai_edge_litert.tools import flatbuffer_utils as fu

    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    model = fu.convert_bytearray_to_object(bytearray(data))
    return [_name(m) for m in model.metadata or []]


def output_entry(index: int, name: str, shape, dtype: str, quant) -> dict:
    spec = OUTPUTS[name]
    scale, zp = (quant or (0.0, 0))[:2]
    return {
        "index": int(index),
        "name": name,
        "shape": [int(s) for s in shape],
        "dtype": dtype,
        "quantization": {"scale": float(scale), "zero_point": int(zp)} if scale else None,
        "meaning": spec.meaning,
        "layout": spec.layout,
        "frame": spec.frame,
    }
