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

import copy
import dataclasses
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


#: The document's JSON Schema (draft 2020-12), installed with the package; the Android posecore
#: tests read the same file.
SCHEMA_FILE = Path(__file__).resolve().parent / "spec" / "metadata.schema.json"
_schema_cache: dict | None = None


def schema() -> dict:
    """The metadata JSON Schema (:data:`SCHEMA_FILE`)."""
    global _schema_cache
    if _schema_cache is None:
        _schema_cache = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return _schema_cache


_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


#: The JSON Schema keywords :func:`schema_errors` understands.
_KEYWORDS = frozenset(
    (
        "$schema",
        "$id",
        "$defs",
        "title",
        "description",
        "type",
        "const",
        "enum",
        "required",
        "properties",
        "items",
        "minItems",
        "maxItems",
        "minimum",
        "exclusiveMinimum",
        "allOf",
        "if",
        "then",
        "$ref",
    )
)


def schema_errors(doc, node: dict | None = None, path: str = "", root: dict | None = None):
    """The first violation of the schema by ``doc`` as ``(field path, message)``, or ``None``.

    A small validator for the keywords the metadata schema uses: ``type``, ``const``, ``enum``,
    ``required``, ``properties``, ``items``, ``minItems``, ``maxItems``, ``minimum``,
    ``exclusiveMinimum``, ``allOf``, ``if``/``then`` and local ``$ref``; anything else in a
    schema is an error here, so the file cannot quietly ask for more than is checked.
    """
    root = schema() if root is None else root
    node = root if node is None else node
    unknown = set(node) - _KEYWORDS
    if unknown:
        raise ExportError(f"{SCHEMA_FILE}: unsupported JSON Schema keywords {sorted(unknown)}")
    if "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/$defs/"):
            raise ExportError(
                f"{SCHEMA_FILE}: only local #/$defs/ references are supported, got {ref}"
            )
        return schema_errors(doc, root["$defs"][ref[len("#/$defs/") :]], path, root)
    where = path or "(document)"
    types = node.get("type")
    if types is not None:
        types = [types] if isinstance(types, str) else types
        if not any(_TYPES[t](doc) for t in types):
            return where, f"expected {' or '.join(types)}, got {doc!r:.60}"
    if "const" in node and doc != node["const"]:
        return where, f"expected {node['const']!r}, got {doc!r:.60}"
    if "enum" in node and doc not in node["enum"]:
        return where, f"expected one of {node['enum']}, got {doc!r:.60}"
    if "minimum" in node and _TYPES["number"](doc) and doc < node["minimum"]:
        return where, f"expected >= {node['minimum']}, got {doc!r}"
    if "exclusiveMinimum" in node and _TYPES["number"](doc) and not doc > node["exclusiveMinimum"]:
        return where, f"expected > {node['exclusiveMinimum']}, got {doc!r}"
    if isinstance(doc, dict):
        for key in node.get("required", ()):
            if key not in doc:
                return (f"{path}.{key}" if path else key), "missing"
        for key, sub in node.get("properties", {}).items():
            if key in doc:
                err = schema_errors(doc[key], sub, f"{path}.{key}" if path else key, root)
                if err:
                    return err
    if isinstance(doc, list):
        if len(doc) < node.get("minItems", 0):
            return where, f"expected at least {node['minItems']} entries, got {len(doc)}"
        if "maxItems" in node and len(doc) > node["maxItems"]:
            return where, f"expected at most {node['maxItems']} entries, got {len(doc)}"
        if "items" in node:
            for i, item in enumerate(doc):
                err = schema_errors(item, node["items"], f"{where}[{i}]", root)
                if err:
                    return err
    for sub in node.get("allOf", ()):
        err = schema_errors(doc, sub, path, root)
        if err:
            return err
    if "if" in node and schema_errors(doc, node["if"], path, root) is None and "then" in node:
        return schema_errors(doc, node["then"], path, root)
    return None


def check(doc, source) -> dict:
    """Return ``doc`` if it satisfies the metadata schema (:data:`SCHEMA_FILE`) and its
    cross-field rules (one flip index and one sigma per keypoint), else a :class:`ModelError`
    naming the file and the first field that does not."""
    if not isinstance(doc, dict):
        raise ModelError(f"{source}: metadata: expected a JSON object, got {type(doc).__name__}")
    if doc.get("schema_version") != SCHEMA_VERSION and "schema_version" in doc:
        raise ModelError(
            f"{source}: metadata field 'schema_version': this posenet_mobile reads version "
            f"{SCHEMA_VERSION}, the file has {doc['schema_version']!r}; re-export it"
        )
    err = schema_errors(doc)
    if err:
        field, msg = err
        if msg == "missing":
            msg = "missing (not a posenet_mobile export of this version; re-export it)"
        raise ModelError(f"{source}: metadata field {field!r}: {msg}")
    k = len(doc["keypoints"]["names"])
    if len(doc["keypoints"]["flip_index"]) != k or len(doc["keypoints"]["sigmas"]) != k:
        raise ModelError(
            f"{source}: metadata field 'keypoints': flip_index and sigmas must have {k} entries (one per name)"
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


# --- the document, typed -----------------------------------------------------------------------
#
# Each section names the fields the package reads and keeps every other field of the document in
# ``extra``, untouched: ``from_json(doc).to_json() == doc`` for every document the schema accepts,
# so a file written by a newer exporter passes through an older reader unchanged.


def _plain(value):
    """Tuples and sections as JSON values."""
    if isinstance(value, _Section):
        return value.to_json()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _tuple(value, item=lambda v: v):
    return tuple(item(v) for v in value)


def _build(cls, doc: dict):
    names = [f.name for f in dataclasses.fields(cls) if f.name != "extra"]
    known = {n: cls._read.get(n, lambda v: v)(doc[n]) for n in names if n in doc}
    extra = {k: copy.deepcopy(v) for k, v in doc.items() if k not in names}
    return cls(**known, extra=extra)


class _Section:
    """A frozen dataclass of named fields plus ``extra``, the document's other fields."""

    #: field name -> how a JSON value becomes the field's value (identity when absent)
    _read: dict = {}

    @classmethod
    def from_json(cls, doc: dict):
        return _build(cls, doc)

    def to_json(self) -> dict:
        out = copy.deepcopy(self.extra)
        for f in dataclasses.fields(self):
            if f.name != "extra":
                out[f.name] = _plain(getattr(self, f.name))
        return out


@dataclasses.dataclass(frozen=True)
class Smoothing(_Section):
    """One Euro filter over the keypoints of a video (``filter: one_euro``): ``min_cutoff`` (Hz)
    smooths at rest, ``beta`` lets the cutoff rise with speed, ``d_cutoff`` (Hz) low-passes the
    speed. The values of the MediaPipe pose graph's landmark filter scale: smooth at rest without
    lagging a moving limb."""

    filter: str = "one_euro"
    min_cutoff: float = 1.0
    beta: float = 0.05
    d_cutoff: float = 1.0
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class RoiRule(_Section):
    """When the next frame's crop may come from this frame's keypoints: at least
    ``min_keypoints`` with a score of ``min_score`` or more (a box is only trusted from enough
    confident keypoints); otherwise the whole frame."""

    min_score: float = 0.3
    min_keypoints: int = 4
    extra: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Tracking(_Section):
    """The video settings, one definition: the exporter writes them into the metadata, and
    ``predict`` and the Android app read them from there. ``Tracking()`` is the package's."""

    smoothing: Smoothing = Smoothing()
    roi: RoiRule = RoiRule()
    extra: dict = dataclasses.field(default_factory=dict)
    _read = {"smoothing": Smoothing.from_json, "roi": RoiRule.from_json}


@dataclasses.dataclass(frozen=True)
class KeypointInfo(_Section):
    """The keypoint schema: names in output order, skeleton edges, the index of each keypoint's
    mirror image, OKS sigmas."""

    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...]
    flip_index: tuple[int, ...]
    sigmas: tuple[float, ...]
    extra: dict = dataclasses.field(default_factory=dict)
    _read = {
        "names": _tuple,
        "skeleton": lambda v: _tuple(v, _tuple),
        "flip_index": _tuple,
        "sigmas": _tuple,
    }


@dataclasses.dataclass(frozen=True)
class CropInfo(_Section):
    """How a person box becomes the model's input crop (``crop_padding``: the box is grown by
    this factor; ``extra['rule']`` says it in words)."""

    crop_padding: float
    extra: dict = dataclasses.field(default_factory=dict)

    @property
    def method(self) -> str:
        """``box`` or ``aligned`` (:data:`posenet_mobile.geometry.CROP_RULES`); files written
        before aligned crops existed have no such field and crop boxes."""
        return self.extra.get("method", "box")


@dataclasses.dataclass(frozen=True)
class InputInfo(_Section):
    """The input tensor: ``size_hw`` pixels, ``dtype``, and the crop rule."""

    size_hw: tuple[int, int]
    dtype: str
    crop: CropInfo
    extra: dict = dataclasses.field(default_factory=dict)
    _read = {"size_hw": _tuple, "crop": CropInfo.from_json}


@dataclasses.dataclass(frozen=True)
class OutputInfo(_Section):
    """One output tensor (``extra``: quantization, meaning, layout, frame)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    extra: dict = dataclasses.field(default_factory=dict)
    _read = {"shape": _tuple}


@dataclasses.dataclass(frozen=True)
class DecodeInfo(_Section):
    """How outputs become keypoints: ``method`` (docs/metadata.md lists them), the output
    ``stride``; the method's own values are in ``extra`` (``get``)."""

    method: str
    stride: int
    extra: dict = dataclasses.field(default_factory=dict)

    def get(self, key: str, default=None):
        return self.extra.get(key, default)


@dataclasses.dataclass(frozen=True)
class ModelMetadata(_Section):
    """The metadata document of an exported model, typed: what the runner, ``predict``, the
    harness and the Android app read. Everything else (producer, quantization, training,
    validation, export report, sizes) is kept in ``extra``.

    ``from_json`` checks the document against the schema first (:func:`check`), so a value it
    returns has every required field; ``to_json`` gives the document back unchanged.
    """

    schema_version: int
    head: str
    format: str
    keypoints: KeypointInfo
    input: InputInfo
    outputs: tuple[OutputInfo, ...]
    decode: DecodeInfo
    tracking: Tracking
    extra: dict = dataclasses.field(default_factory=dict)
    _read = {
        "keypoints": KeypointInfo.from_json,
        "input": InputInfo.from_json,
        "outputs": lambda v: _tuple(v, OutputInfo.from_json),
        "decode": DecodeInfo.from_json,
        "tracking": Tracking.from_json,
    }

    @classmethod
    def from_json(cls, doc, source="metadata") -> "ModelMetadata":
        """The typed document of ``doc``, or a :class:`ModelError` naming ``source`` and the first
        field that breaks the schema."""
        return _build(cls, check(doc, source))

    def get(self, key: str, default=None):
        """A top-level field outside the typed ones (``format``, ``head`` are typed)."""
        return self.extra.get(key, default)
