"""SimCC codec: keypoints as one 1-D distribution per axis per keypoint (Li et al. 2022, RTMPose).

The one encode/decode definition for the ``simcc`` head, beside the heatmap codec
(:mod:`posenet_mobile.codec`); training targets, Keras evaluation, the TFLite harness and the
Android decoder (golden vectors) all follow it. ``N`` images, ``K`` keypoints, ``Bx = W * s`` and
``By = H * s`` bins for an ``H x W`` input and split ratio ``s``.

Frames
------
* **bins**: bin ``b`` of an axis covers input pixels ``[b / s, (b + 1) / s)``, centred on
  ``(b + 0.5) / s``; a point at input ``x`` sits at bin coordinate ``u = x * s - 0.5``.

Targets are unnormalised Gaussians over the bins (peak 1 at the exact sub-bin position, ``sigma``
bins wide). The loss compares ``softmax(beta * target)`` with ``softmax(beta * logits)``
(:func:`posenet_mobile.losses.simcc_kl`), RTMPose's KL loss with temperature ``beta``, so the
model's outputs are logits on the scale of the targets.

Decoding: per axis, the first maximum bin, refined by the vertex of the parabola through it and its
two neighbours (clipped to half a bin; none at the ends, or where the three do not curve down).
Score: per axis, the maximum of ``softmax(beta * logits)`` divided by that of a perfect target
(:meth:`SimCCCodec.peak_probability`), clipped to [0, 1]; the keypoint's score is the smaller of
its two axes'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .config import CodecConfig
from .errors import ConfigError


class SimCCTargets(NamedTuple):
    """x ``(..., K, Bx)``, y ``(..., K, By)`` float32 Gaussians (0 for unweighted keypoints);
    weights ``(..., K)`` 1 for a labelled keypoint inside the input, else 0."""

    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray


@dataclass(frozen=True)
class SimCCCodec:
    """input_size ``(height, width)`` input pixels; split_ratio bins per input pixel; sigma of
    the Gaussian targets in bins; beta the loss's temperature (also read by the score)."""

    input_size: tuple[int, int]
    split_ratio: int = 2
    sigma: float = CodecConfig.simcc_sigma
    beta: float = CodecConfig.simcc_beta

    def __post_init__(self):
        object.__setattr__(self, "input_size", tuple(int(v) for v in self.input_size))
        if not (isinstance(self.split_ratio, int) and self.split_ratio >= 1):
            raise ConfigError(
                f"simcc: split_ratio must be an integer >= 1, got {self.split_ratio!r}"
            )
        if not self.sigma > 0 or not self.beta > 0:
            raise ConfigError("simcc: sigma and beta must be positive")

    @classmethod
    def for_model(cls, model_cfg, codec_cfg=None) -> "SimCCCodec | None":
        """The codec of a :class:`~posenet_mobile.config.ModelConfig` with ``head: simcc`` (its
        input size and split ratio) and a :class:`~posenet_mobile.config.CodecConfig` (target
        width and temperature; the defaults when ``None``), else None."""
        if model_cfg.head != "simcc":
            return None
        c = codec_cfg or CodecConfig()
        return cls(model_cfg.input_size, model_cfg.simcc_split, c.simcc_sigma, c.simcc_beta)

    @property
    def bins(self) -> tuple[int, int]:
        """``(Bx, By)``: bins along x and along y."""
        h, w = self.input_size
        return w * self.split_ratio, h * self.split_ratio

    def encode(self, keypoints: np.ndarray, visibility: np.ndarray) -> SimCCTargets:
        """keypoints ``(..., K, 2)`` (x, y) input pixels; COCO ``visibility (..., K)`` (> 0: labelled)."""
        kp = np.asarray(keypoints, np.float64)
        vis = np.asarray(visibility)
        if kp.shape[-1] != 2 or kp.shape[:-1] != vis.shape:
            raise ConfigError(
                f"simcc.encode: keypoints {kp.shape} must be (..., K, 2) matching visibility {vis.shape}"
            )
        h, w = self.input_size
        finite = np.all(np.isfinite(kp), axis=-1)
        inside = (
            finite & (kp[..., 0] >= 0) & (kp[..., 0] < w) & (kp[..., 1] >= 0) & (kp[..., 1] < h)
        )
        weights = ((vis > 0) & inside).astype(np.float32)
        u = np.where(finite[..., None], kp, 0.0) * self.split_ratio - 0.5
        out = []
        for axis, n in enumerate(self.bins):
            d = np.arange(n, dtype=np.float64) - u[..., axis, None]
            out.append(
                (np.exp(-(d**2) / (2.0 * self.sigma**2)) * weights[..., None]).astype(np.float32)
            )
        return SimCCTargets(out[0], out[1], weights)

    def peak_probability(self, bins: int) -> float:
        """The largest bin of ``softmax(beta * target)`` for a target centred on a bin in the middle
        of an axis of ``bins`` bins: a perfect prediction's peak, the score's unit."""
        d = np.arange(bins, dtype=np.float64) - bins // 2
        z = self.beta * np.exp(-(d**2) / (2.0 * self.sigma**2))
        return float(1.0 / np.exp(z - z.max()).sum())

    def decode(self, simcc_x: np.ndarray, simcc_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``(N, K, Bx)`` and ``(N, K, By)`` (dequantised) -> ``keypoints (N, K, 2)`` input
        pixels and ``scores (N, K)`` in [0, 1]."""
        coords, scores = [], []
        for name, logits, n in (
            ("simcc_x", simcc_x, self.bins[0]),
            ("simcc_y", simcc_y, self.bins[1]),
        ):
            lg = np.asarray(logits, np.float64)
            if lg.ndim != 3 or lg.shape[-1] != n:
                raise ConfigError(f"simcc.decode: {name} must be (N, K, {n}), got shape {lg.shape}")
            b, p = decode_axis(lg, self.beta)
            coords.append((b + 0.5) / self.split_ratio)
            scores.append(np.clip(p / self.peak_probability(n), 0.0, 1.0))
        return np.stack(coords, axis=-1), np.minimum(scores[0], scores[1])


def decode_axis(logits: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray]:
    """``(..., B)`` logits -> the refined maximum in bins ``(...)`` and the largest bin of
    ``softmax(beta * logits)`` ``(...)``. Ties go to the first maximum."""
    lg = np.asarray(logits, np.float64)
    n = lg.shape[-1]
    i = np.argmax(lg, axis=-1)
    top = np.take_along_axis(lg, i[..., None], -1)[..., 0]
    left = np.take_along_axis(lg, np.maximum(i - 1, 0)[..., None], -1)[..., 0]
    right = np.take_along_axis(lg, np.minimum(i + 1, n - 1)[..., None], -1)[..., 0]
    curve = left - 2.0 * top + right
    ok = (i > 0) & (i < n - 1) & (curve < 0)
    step = np.where(ok, 0.5 * (left - right) / np.where(ok, curve, -1.0), 0.0)
    prob = 1.0 / np.exp(beta * (lg - top[..., None])).sum(-1)
    return i + np.clip(step, -0.5, 0.5), prob


__all__ = ["SimCCCodec", "SimCCTargets", "decode_axis"]
