"""Fixed-point drawing onto a person's canvas: the per-person maps (material, part, coverage,
detail) over its bounding box, and a straight tube's projected outline.

Image frame: continuous pixels, pixel ``i`` centred on ``i + 0.5``; :func:`to_fixed` moves points
to OpenCV's fixed-point integer-centred coordinates.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Fractional bits of the fixed-point coordinates passed to OpenCV's drawing functions.
SHIFT = 3
SCALE = float(1 << SHIFT)


def to_fixed(pts, origin):
    """Continuous image points -> OpenCV fixed-point ROI coordinates (int32)."""
    return np.rint((np.asarray(pts, np.float64) - origin - 0.5) * SCALE).astype(np.int32)


_ARC = 5
_END = np.linspace(0, np.pi, _ARC + 2)[1:-1]
_START = np.linspace(np.pi, 2 * np.pi, _ARC + 2)[1:-1]
_END_CS = np.stack([np.cos(_END), np.sin(_END)], 1)
_START_CS = np.stack([np.cos(_START), np.sin(_START)], 1)


def outline(p2, half, n2, caps):
    """Closed outline ``(P, 2)`` of a straight tube in the image: side chains and end arcs."""
    t2 = np.array([n2[1], -n2[0]])  # along the axis, start -> end
    side = n2[None] * half[:, None]
    pieces = [p2 + side]
    if caps[1]:
        pieces.append(p2[-1] + half[-1] * (_END_CS[:, :1] * n2 + _END_CS[:, 1:] * t2))
    pieces.append((p2 - side)[::-1])
    if caps[0]:
        pieces.append(p2[0] + half[0] * (_START_CS[:, :1] * n2 + _START_CS[:, 1:] * t2))
    return np.concatenate(pieces)


class Canvas:
    """Per-person maps over its bounding box: material, part, coverage (anti-aliased), and a
    detail multiplier (facial features drawn as darker or lighter marks; 1 elsewhere)."""

    def __init__(self, x0, y0, w, h):
        self.origin = np.array([x0, y0], float)
        self.mat = np.zeros((h, w), np.uint8)
        self.part = np.zeros((h, w), np.uint8)
        self.alpha = np.zeros((h, w), np.uint8)
        self.detail = None
        self.face = None  # (albedo (h, w, 3), weight (h, w)) where a real face is drawn
        self.shade_lut = None  # part id -> the surface it is shaded with (None: its own)

    def polys(self, outline, mat, part):
        """Fill one part's outline ``(P, 2)`` (continuous image pixels)."""
        fx = [to_fixed(outline, self.origin)]
        cv2.fillPoly(self.mat, fx, int(mat), cv2.LINE_8, SHIFT)
        cv2.fillPoly(self.part, fx, int(part), cv2.LINE_8, SHIFT)
        cv2.fillPoly(self.alpha, fx, 255, cv2.LINE_AA, SHIFT)

    def details(self) -> np.ndarray:
        if self.detail is None:
            self.detail = np.ones(self.mat.shape, np.float32)
        return self.detail
