"""Video helpers shared with the Android sample: One Euro smoothing and ROI tracking.

* :class:`OneEuroFilter` (Casiez, Roussel & Vogel, CHI 2012): a low-pass filter whose cutoff
  rises with speed, so slow jitter is smoothed and fast motion is not lagged.
* :class:`RoiTracker`: the next frame's person box from the current keypoints (BlazePose and
  MoveNet crop around the previous pose), falling back to the whole frame when the pose is lost.

``posecore`` (Java) ports both; its tests compare against values computed here.
"""

from __future__ import annotations

import math

import numpy as np

from .. import geometry as G
from ..metadata import ModelMetadata, Tracking
from ..schema import torso_indices

#: The package's video settings (their one definition, with the reasons, is
#: :class:`posenet_mobile.metadata.Tracking`): the exporter writes them into the metadata, and
#: ``predict`` and the Android app read them from there.
DEFAULT = Tracking()


def from_metadata(meta: ModelMetadata | None) -> tuple["RoiTracker", "OneEuroFilter"]:
    """The tracker and smoother a model's metadata asks for (:data:`DEFAULT` when it has none);
    the tracker keeps alignments for a model with aligned crops."""
    t = meta.tracking if meta is not None else DEFAULT
    sm, roi = t.smoothing, t.roi
    # only a model with aligned crops follows the pose's alignment (as the app does): the others
    # need no alignment computed per frame
    aligned = meta is not None and meta.input.crop.method == "aligned"
    torso = torso_indices(meta.keypoints.names) if aligned else None
    return RoiTracker(roi.min_score, roi.min_keypoints, torso), OneEuroFilter(
        sm.min_cutoff, sm.beta, sm.d_cutoff
    )


class OneEuroFilter:
    """Element-wise One Euro filter over arrays of a fixed shape (e.g. ``(K, 2)`` keypoints).

    min_cutoff (Hz): smoothing at rest; beta: speed coefficient; d_cutoff (Hz): cutoff of the
    derivative's low-pass. ``t`` is in seconds.
    """

    def __init__(
        self,
        min_cutoff: float = DEFAULT.smoothing.min_cutoff,
        beta: float = DEFAULT.smoothing.beta,
        d_cutoff: float = DEFAULT.smoothing.d_cutoff,
    ):
        self.min_cutoff, self.beta, self.d_cutoff = float(min_cutoff), float(beta), float(d_cutoff)
        self.reset()

    def reset(self) -> None:
        self.x_prev = None
        self.dx_prev = None
        self.t_prev = None

    @staticmethod
    def alpha(cutoff, dt):
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / dt)

    def __call__(self, x, t: float) -> np.ndarray:
        x = np.asarray(x, np.float64)
        if self.x_prev is None or self.x_prev.shape != x.shape:
            self.x_prev, self.dx_prev, self.t_prev = x.copy(), np.zeros_like(x), float(t)
            return x.copy()
        dt = float(t) - self.t_prev
        if dt <= 0:
            return self.x_prev.copy()
        a_d = self.alpha(self.d_cutoff, dt)
        dx = (x - self.x_prev) / dt
        dx_hat = a_d * dx + (1 - a_d) * self.dx_prev
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        a = 1.0 / (1.0 + (1.0 / (2.0 * math.pi * cutoff)) / dt)
        x_hat = a * x + (1 - a) * self.x_prev
        self.x_prev, self.dx_prev, self.t_prev = x_hat, dx_hat, float(t)
        return x_hat.copy()


class RoiTracker:
    """Person box for the next frame from this frame's keypoints ``(K, 3)`` (x, y, score).

    The box is the bounding box of keypoints scoring at least ``min_score``; with fewer than
    ``min_keypoints`` of them the pose is lost and :attr:`box` is ``None`` (use the full frame).
    Given the schema's ``torso`` indices it also keeps BlazePose's :attr:`alignment` of the same
    keypoints (:func:`posenet_mobile.geometry.alignment_from_keypoints`; ``None`` when lost or
    without a confident shoulder and hip), from which a model with aligned crops takes the next
    crop, turned with the person.
    """

    def __init__(
        self,
        min_score: float = DEFAULT.roi.min_score,
        min_keypoints: int = DEFAULT.roi.min_keypoints,
        torso=None,
    ):
        self.min_score, self.min_keypoints = float(min_score), int(min_keypoints)
        self.torso = tuple(torso) if torso is not None else None
        self.box, self.alignment = None, None

    def update(self, keypoints) -> list | None:
        kp = np.asarray(keypoints, np.float64)
        ok = kp[:, 2] >= self.min_score
        if ok.sum() < self.min_keypoints:
            self.box, self.alignment = None, None
        else:
            x0, y0 = kp[ok, :2].min(0)
            x1, y1 = kp[ok, :2].max(0)
            self.box = [float(x0), float(y0), float(max(x1 - x0, 1.0)), float(max(y1 - y0, 1.0))]
            self.alignment = (
                G.alignment_from_keypoints(kp[:, :2], ok, self.torso) if self.torso else None
            )
        return self.box

    def reset(self) -> None:
        self.box, self.alignment = None, None
