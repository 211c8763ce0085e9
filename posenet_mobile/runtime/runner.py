"""Run an exported .tflite as the phone does, with ``ai_edge_litert.interpreter.Interpreter``.

Pipeline per frame: uint8 RGB frame -> person crop (:mod:`posenet_mobile.geometry`, the one
crop definition) -> model input (uint8 for int8 files, float32 pixel values otherwise) -> invoke
-> dequantise every output with its own scale / zero point -> decode with the foundation codec
-> map back to frame pixels.

kernels: ``"xnnpack"`` (default; the interpreter's default delegate, as on Android) or ``"ref"``
(``BUILTIN_REF`` reference kernels, the golden check) or ``"builtin"`` (optimised builtin kernels
without the default delegate). Int8 results differ by a few LSB between them (rounding), which
the harness measures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import geometry as G
from ..codec import HeatmapCodec, SideRule, decode_outputs, flip_test
from ..config import CodecConfig
from ..train.config import DataConfig
from ..simcc import SimCCCodec
from ..errors import ExportError, ModelError, PoseNetWarning
from .. import metadata as M

KERNELS = ("xnnpack", "ref", "builtin")


def _resolver(kernels: str):
    from ai_edge_litert.interpreter import OpResolverType

    try:
        return {
            "xnnpack": OpResolverType.AUTO,
            "ref": OpResolverType.BUILTIN_REF,
            "builtin": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        }[kernels]
    except KeyError:
        raise ModelError(
            f"kernels: expected one of {', '.join(KERNELS)}, got {kernels!r}"
        ) from None


def read_model_file(path) -> bytes:
    p = Path(path)
    if p.is_dir():
        raise ModelError(f"{p}: is a folder; expected a .tflite file")
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{p}: no such model file") from None
    except OSError as exc:
        raise ModelError(f"{p}: cannot read: {exc.strerror}") from None


def check_sidecar(path: Path, data: bytes) -> bool | None:
    """Compare ``FILE.tflite.json``'s recorded sha256 with the file; warn on a mismatch (a model
    replaced without its sidecar). ``None`` when there is no sidecar or it records no hash."""
    import hashlib
    import json
    import warnings

    side = Path(str(path) + ".json")
    if not side.is_file():
        return None
    try:
        recorded = json.loads(side.read_text(encoding="utf-8")).get("tflite_sha256")
    except (OSError, ValueError, AttributeError):
        warnings.warn(
            f"{side}: unreadable sidecar beside {path.name}; the embedded metadata is used",
            PoseNetWarning,
            2,
        )
        return False
    if recorded is None:
        return None
    if recorded != hashlib.sha256(data).hexdigest():
        warnings.warn(
            f"{side}: records another file's sha256 than {path.name} (model replaced without its "
            "sidecar?); the embedded metadata is used",
            PoseNetWarning,
            2,
        )
        return False
    return True


def open_model(model) -> tuple[str, bytes, dict | None]:
    """``(name for messages, file bytes, embedded metadata document or None)`` of a .tflite path
    or bytes; a file that is no flatbuffer is a :class:`ModelError` naming it."""
    path = str(model) if isinstance(model, (str, Path)) else "<bytes>"
    data = read_model_file(model) if isinstance(model, (str, Path)) else bytes(model)
    try:
        return path, data, M.read(data, name=path)
    except ExportError:
        raise ModelError(f"{path}: not a TFLite model file (no flatbuffer)") from None


class TFLiteRunner:
    """One interpreter over one model. ``meta`` is the embedded metadata (``None`` for foreign files).

    Attributes: ``input_size`` (h, w); ``input_dtype``; ``outputs`` names in tensor order
    (``None`` entries for outputs of foreign models); ``codec`` (our models only);
    ``flip_test``: frames and crops are also run mirrored and the two outputs averaged
    (:func:`~posenet_mobile.codec.flip_test`; twice the latency).
    """

    def __init__(
        self,
        model,
        threads: int = 1,
        kernels: str = "xnnpack",
        require_metadata: bool = True,
        flip_test: bool = False,
    ):
        from ai_edge_litert.interpreter import Interpreter

        self.path, data, doc = open_model(model)
        if isinstance(doc, dict) and doc.get("kind") == "person_detector":
            if require_metadata:
                raise ModelError(f"{self.path}: is a person detector; pass it as --detector")
            doc = None  # latency benchmarking only: a file like any foreign one
        ours = (
            isinstance(doc, dict) and "schema_version" in doc
        )  # another tool's JSON there is foreign
        if ours and doc["schema_version"] != M.SCHEMA_VERSION:
            raise ModelError(
                f"{self.path}: metadata schema_version {doc.get('schema_version')!r}; this version "
                f"reads {M.SCHEMA_VERSION} (re-export the model)"
            )
        self.meta = M.ModelMetadata.from_json(doc, self.path) if ours else None
        if self.meta is None and require_metadata:
            raise ModelError(
                f"{self.path}: no posenet_mobile metadata (foreign or hand-made model); "
                "only latency benchmarking works for it"
            )
        if isinstance(model, (str, Path)) and self.meta is not None:
            check_sidecar(Path(model), data)
        if flip_test and self.meta is None:
            raise ModelError(f"{self.path}: the flip test needs the model's keypoint metadata")
        self.flip_test = bool(flip_test)
        self.size_bytes = len(data)
        self.kernels, self.threads = kernels, int(threads)
        try:
            self.interp = Interpreter(
                model_content=data,
                num_threads=int(threads),
                experimental_op_resolver_type=_resolver(kernels),
            )
            self.interp.allocate_tensors()
        except ValueError as exc:
            raise ModelError(
                f"{self.path}: the interpreter cannot load it ({str(exc).splitlines()[0]})"
            ) from None
        inp = self.interp.get_input_details()
        if len(inp) != 1:
            raise ModelError(f"{self.path}: expected one input tensor, found {len(inp)}")
        self._in = inp[0]
        shape = self._in["shape"]
        if len(shape) != 4 or shape[3] != 3:
            raise ModelError(f"{self.path}: input shape {list(shape)}: expected (1, H, W, 3) RGB")
        self.input_size = (int(shape[1]), int(shape[2]))
        self.input_dtype = np.dtype(self._in["dtype"])
        self._out = sorted(self.interp.get_output_details(), key=lambda d: d["index"])
        self.outputs = self._output_names()
        self.codec, self.sides, self.simcc = None, None, None
        if self.meta:
            d = self.meta.decode
            self.codec = HeatmapCodec(
                self.meta.input.size_hw,
                d.stride,
                d.get("sigma", CodecConfig.sigma),
                d.get("offset_radius", CodecConfig.offset_radius),
            )
            self.refine = d.get("refine", "offset")
            k = self.meta.keypoints
            self.sides = SideRule.from_names(k.names, k.flip_index)
            if d.method in ("simcc", "simcc_sides"):
                self.simcc = SimCCCodec(
                    self.codec.input_size,
                    int(d.get("split_ratio")),
                    float(d.get("sigma_bins")),
                    float(d.get("beta")),
                )

    def _output_names(self):
        if self.meta:
            by_index = {o.index: o.name for o in self.meta.outputs}
            names = [by_index.get(int(d["index"])) for d in self._out]
            if None in names:
                raise ModelError(
                    f"{self.path}: metadata does not describe output tensors "
                    f"{[int(d['index']) for d in self._out]}"
                )
            return names
        return [None] * len(self._out)

    # --- tensors -----------------------------------------------------------------------------

    def prepare(self, crops_uint8: np.ndarray) -> np.ndarray:
        """``(H, W, 3)`` uint8 RGB crop -> the input tensor ``(1, H, W, 3)`` of this model's dtype."""
        x = np.asarray(crops_uint8)
        if x.ndim != 3 or x.shape[-1] != 3:
            raise ModelError(f"{self.path}: expected an (H, W, 3) RGB image, got shape {x.shape}")
        if x.shape[:2] != self.input_size:
            raise ModelError(
                f"{self.path}: image is {x.shape[0]}x{x.shape[1]}, the model takes "
                f"{self.input_size[0]}x{self.input_size[1]}: crop it first"
            )
        if self.input_dtype == np.uint8:
            return np.asarray(x, np.uint8)[None]
        if self.input_dtype == np.int8:  # foreign int8-input models: shift by the zero point
            return (np.asarray(x, np.int16) - 128).astype(np.int8)[None]
        if self.meta is None:  # foreign float model: [0, 1] is the common convention
            return (np.asarray(x, np.float32) / 255.0)[None]
        return np.asarray(x, np.float32)[None]

    def invoke_raw(self, tensor: np.ndarray) -> list[np.ndarray]:
        """Invoke on a prepared tensor; outputs exactly as the interpreter returns them (copies)."""
        self.interp.set_tensor(self._in["index"], tensor)
        self.interp.invoke()
        return [self.interp.get_tensor(d["index"]).copy() for d in self._out]

    def dequantize(self, raw: list[np.ndarray]) -> dict:
        """Raw outputs -> ``{name: float32 array}`` using each tensor's own scale and zero point."""
        out = {}
        for d, name, t in zip(self._out, self.outputs, raw):
            scale, zp = d["quantization"]
            val = (t.astype(np.float32) - zp) * scale if scale else t.astype(np.float32)
            out[name or f"output_{d['index']}"] = val
        return out

    def run_crop(self, crop_uint8: np.ndarray) -> dict:
        """One prepared crop -> dequantised named outputs (batch dimension 1)."""
        return self.dequantize(self.invoke_raw(self.prepare(crop_uint8)))

    def with_flip(self, named: dict, crop_uint8: np.ndarray) -> dict:
        """``named`` (this crop's outputs) unchanged, or with :attr:`flip_test` the
        :func:`~posenet_mobile.codec.flip_test` mean with the outputs on the mirrored crop."""
        if not self.flip_test:
            return named
        mirrored = self.run_crop(np.ascontiguousarray(np.asarray(crop_uint8)[:, ::-1]))
        return flip_test(named, mirrored, self.meta.keypoints.flip_index, self.input_size[1])

    def decode(self, named: dict):
        """Named float outputs -> ``(keypoints (N, K, 2) input pixels, scores (N, K))``."""
        return decode_outputs(
            named, self.codec, refine=self.refine, sides=self.sides, simcc=self.simcc
        )

    # --- frames ------------------------------------------------------------------------------

    def crop_for(self, frame_shape, box=None, alignment=None) -> G.Crop:
        """The crop for a frame: the :func:`~posenet_mobile.geometry.aligned_crop` of an
        ``alignment`` (from a detector, or :class:`~posenet_mobile.runtime.tracking.RoiTracker`
        for a model with aligned crops), else around a person ``box`` [x, y, w, h], else the
        whole frame (letterboxed)."""
        pad = self.meta.input.crop.crop_padding if self.meta else DataConfig.padding
        if alignment is not None:
            return G.aligned_crop(alignment, self.input_size, pad)
        if box is not None:
            return G.box_to_crop(box, self.input_size, pad)
        return G.letterbox_crop(frame_shape[:2], self.input_size)

    def predict_frame(self, frame_uint8: np.ndarray, box=None, alignment=None) -> dict:
        """uint8 RGB frame -> ``{"keypoints": (K, 2) frame pixels, "scores": (K,), "crop": Crop}``."""
        frame = np.asarray(frame_uint8)
        if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
            raise ModelError(
                f"expected an (H, W, 3) uint8 RGB frame, got {frame.dtype} {frame.shape}"
            )
        crop = self.crop_for(frame.shape, box, alignment)
        patch = G.warp(frame, crop, self.input_size)
        kp, sc = self.decode(self.with_flip(self.run_crop(patch), patch))
        return {
            "keypoints": G.to_image(crop, self.input_size, kp[0]),
            "scores": sc[0],
            "crop": crop,
        }
