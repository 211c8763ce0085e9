"""Replay an exported person detector (``kind: person_detector`` metadata): a frame in, people
out (:class:`~posenet_mobile.detect.codec.Detection` in frame pixels: score, alignment, box)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import geometry as G
from ..detect.codec import DetectionCodec, to_frame
from ..errors import ModelError
from .runner import _resolver, check_sidecar, open_model

DETECTOR_KIND = "person_detector"


class DetectorRunner:
    """One interpreter over one exported detector file (or its bytes)."""

    def __init__(self, model, threads: int = 1, kernels: str = "xnnpack"):
        from ai_edge_litert.interpreter import Interpreter

        self.path, data, doc = open_model(model)
        if not isinstance(doc, dict) or doc.get("kind") != DETECTOR_KIND:
            raise ModelError(
                f"{self.path}: not a posenet_mobile person detector (metadata 'kind' is "
                f"{(doc or {}).get('kind')!r}); a pose model goes to --model"
            )
        try:
            d = doc["decode"]
            if d["method"] != "center_alignment":
                raise ModelError(
                    f"{self.path}: metadata field 'decode.method': expected center_alignment, "
                    f"got {d['method']!r}"
                )
            self.codec = DetectionCodec(tuple(doc["input"]["size_hw"]), int(d["stride"]))
            self.threshold = float(d["threshold"])
            by_index = {int(o["index"]): o["name"] for o in doc["outputs"]}
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(
                f"{self.path}: detector metadata: missing or bad field {exc}"
            ) from None
        self.meta = doc
        if isinstance(model, (str, Path)):
            check_sidecar(Path(model), data)
        self.interp = Interpreter(
            model_content=data,
            num_threads=int(threads),
            experimental_op_resolver_type=_resolver(kernels),
        )
        self.interp.allocate_tensors()
        self._in = self.interp.get_input_details()[0]
        self._out = {by_index[int(o["index"])]: o for o in self.interp.get_output_details()}
        if set(self._out) != {"det_heatmap", "det_geometry"}:
            raise ModelError(
                f"{self.path}: expected outputs det_heatmap and det_geometry, got {sorted(self._out)}"
            )

    @property
    def input_size(self):
        return self.codec.input_size

    def raw(self, patch_uint8: np.ndarray):
        """``(heatmap (Hg, Wg), geometry (Hg, Wg, 9))`` dequantised, for one input-sized patch."""
        self.interp.set_tensor(self._in["index"], np.asarray(patch_uint8, np.uint8)[None])
        self.interp.invoke()
        out = []
        for name in ("det_heatmap", "det_geometry"):
            d = self._out[name]
            t = self.interp.get_tensor(d["index"]).astype(np.float32)
            scale, zp = d["quantization"]
            out.append(((t - zp) * scale if scale else t)[0])
        return out[0][..., 0], out[1]

    def detect(self, frame_uint8: np.ndarray, threshold: float | None = None, max_people: int = 10):
        """People in an RGB uint8 frame, best first, in frame pixels."""
        frame = np.asarray(frame_uint8)
        if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
            raise ModelError(
                f"expected an (H, W, 3) uint8 RGB frame, got {frame.dtype} {frame.shape}"
            )
        crop = G.letterbox_crop(frame.shape[:2], self.input_size)
        heat, geo = self.raw(G.warp(frame, crop, self.input_size))
        found = self.codec.decode(
            heat, geo, self.threshold if threshold is None else threshold, max_people
        )
        return [to_frame(d, crop, self.input_size) for d in found]

    def as_keras(self):
        """A callable with the Keras detector's signature (normalised batches in, ``(heatmaps
        (N, Hg, Wg, 1), geometry)`` out), for scoring the file like the Keras model."""

        def call(x, training=False):
            heats, geos = [], []
            for img in np.asarray(x):
                h, g = self.raw(np.clip(np.round((img + 1.0) * 127.5), 0, 255).astype(np.uint8))
                heats.append(h[..., None])
                geos.append(g)
            return np.stack(heats), np.stack(geos)

        return call
