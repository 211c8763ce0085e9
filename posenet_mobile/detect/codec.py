"""Centre-heatmap detection codec: people in a frame <-> the detector's two output tensors.

A centre heatmap rather than anchors: the hip centre a BlazePose alignment needs *is* the point
the heatmap finds, one cell per person with no anchor sizes to tune, and decoding is a 3x3
local-maximum test and a read-out at the peak (no box NMS), simple to port to the phone.

Frames are square-letterboxed to the input; everything here is in **input pixels** (pixel ``i``
centred on ``i + 0.5``, as in :mod:`posenet_mobile.geometry`). On a grid of stride ``stride``:

``heatmap`` ``(Hg, Wg)``: a Gaussian of peak 1 at each person's hip centre (``sigma`` cells, at
  least ``min_sigma``, growing with the person: a third of the body radius in cells), the
  maximum where people overlap.
``geometry`` ``(Hg, Wg, 9)``, supervised (``mask``) at each person's peak cell and, with
  ``geometry_cells: 3``, at the cells around it, each cell's offsets from its own centre (more
  cells teach the read-out where a peak lands one cell off; a larger person wins a shared cell):

  0-1  the hip centre's offset from the peak cell's centre, cells;
  2    ``log(radius / stride)``, the body circle's radius;
  3-4  ``sin(angle)``, ``cos(angle)`` of the incline (angle as in
       :class:`~posenet_mobile.geometry.Alignment`);
  5-8  the box's left, top, right and bottom edges as distances from the hip centre, in radii
       (left and top positive to the left and up).

Scores live in their own tensor (one int8 scale for the scores, another for the geometry).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..errors import ConfigError
from .. import geometry as G
from ..geometry import Alignment

#: Channels of the geometry tensor.
GEOMETRY_CHANNELS = 9
#: How near a detection's hip centre must be to a person's, in their body radii, to find them
#: (the detector's ``centre_found`` score and whole-image matching): what an aligned crop needs,
#: whatever the box.
CENTRE_RADII = 0.5
#: The score an exported detector's decoding keeps by default (its metadata's
#: ``decode.threshold``).
THRESHOLD = 0.3


class Person(NamedTuple):
    """One person in input pixels: their alignment and box ``[x, y, w, h]``."""

    alignment: Alignment
    box: tuple


class Detection(NamedTuple):
    """A decoded person: ``score`` in [0, 1], ``alignment`` and ``box`` ``[x, y, w, h]``."""

    score: float
    alignment: Alignment
    box: tuple


@dataclass(frozen=True)
class DetectionCodec:
    """input_size ``(height, width)`` pixels, divisible by ``stride``; ``min_sigma`` cells;
    ``geometry_cells`` (1 or 3): the side of the square of cells around each peak where the
    geometry is supervised; ``reach``: a person whose hip centre lies outside the input by at
    most this many body radii (cut by the frame's edge) is still a target, peaking at the nearest
    cell inside with offsets that point out to the centre."""

    input_size: tuple[int, int]
    stride: int = 8
    min_sigma: float = 0.8
    geometry_cells: int = 1
    reach: float = 0.0

    def __post_init__(self):
        h, w = (int(v) for v in self.input_size)
        object.__setattr__(self, "input_size", (h, w))
        if self.stride <= 0 or h % self.stride or w % self.stride:
            raise ConfigError(
                f"detect codec: input_size {self.input_size} must be divisible by stride {self.stride}"
            )
        if not self.min_sigma > 0:
            raise ConfigError(f"detect codec: min_sigma must be positive, got {self.min_sigma}")
        if not self.reach >= 0:
            raise ConfigError(f"detect codec: reach must be >= 0 body radii, got {self.reach}")
        if self.geometry_cells not in (1, 3):
            raise ConfigError(
                f"detect codec: geometry_cells must be 1 or 3, got {self.geometry_cells}"
            )

    @property
    def grid(self) -> tuple[int, int]:
        return self.input_size[0] // self.stride, self.input_size[1] // self.stride

    def sigma(self, radius: float) -> float:
        """The Gaussian's width for a person of body radius ``radius`` pixels, cells."""
        return max(self.min_sigma, radius / self.stride / 3.0)

    def encode(self, people) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(heatmap (Hg, Wg), geometry (Hg, Wg, 9), mask (Hg, Wg))`` float32 for ``people``
        (:class:`Person`); a person whose hip centre lies outside the input, further than ``reach``,
        is left out."""
        heat, geo, mask, _ = self.encode_targets(people)
        return heat, geo, mask

    def encode_targets(self, people):
        """:meth:`encode`'s three arrays and ``peaks`` ``(Hg, Wg)``: 1 at each person's peak cell
        (the cell :meth:`decode` should find), the positives of a focal loss."""
        gh, gw = self.grid
        heat = np.zeros((gh, gw), np.float32)
        geo = np.zeros((gh, gw, GEOMETRY_CHANNELS), np.float32)
        mask = np.zeros((gh, gw), np.float32)
        peaks = np.zeros((gh, gw), np.float32)
        jj, ii = np.meshgrid(np.arange(gw), np.arange(gh))
        near = self.geometry_cells // 2
        for al, box in sorted(people, key=lambda p: p[0].radius):  # a larger person wins a cell
            u, v = al.cx / self.stride - 0.5, al.cy / self.stride - 0.5
            # the nearest cell; on an edge the first in row-major order, as decode's tie rule
            cu, cv = int(np.ceil(u - 0.5)), int(np.ceil(v - 0.5))
            if not al.radius > 0:
                continue
            mu, mv = u, v  # where the Gaussian peaks, cells
            if not (0 <= cu < gw and 0 <= cv < gh):
                h_in, w_in = self.input_size
                out = np.hypot(max(-al.cx, al.cx - w_in, 0.0), max(-al.cy, al.cy - h_in, 0.0))
                if out > self.reach * al.radius:
                    continue
                cu, cv = min(max(cu, 0), gw - 1), min(max(cv, 0), gh - 1)
                mu, mv = float(cu), float(cv)
            s = self.sigma(al.radius)
            heat = np.maximum(heat, np.exp(-((jj - mu) ** 2 + (ii - mv) ** 2) / (2 * s * s)))
            x, y, w, h = (float(b) for b in box)
            t = np.radians(al.angle)
            rest = [
                np.log(al.radius / self.stride),
                np.sin(t),
                np.cos(t),
                (al.cx - x) / al.radius,
                (al.cy - y) / al.radius,
                (x + w - al.cx) / al.radius,
                (y + h - al.cy) / al.radius,
            ]
            for dv in range(-near, near + 1):
                for du in range(-near, near + 1):
                    pv, pu = cv + dv, cu + du
                    if 0 <= pu < gw and 0 <= pv < gh and not peaks[pv, pu]:
                        geo[pv, pu] = [u - pu, v - pv, *rest]
                        mask[pv, pu] = 1.0
            geo[cv, cu] = [u - cu, v - cv, *rest]
            mask[cv, cu] = peaks[cv, cu] = 1.0
        return heat, geo, mask, peaks

    def decode(
        self, heatmap, geometry, threshold: float = THRESHOLD, max_people: int = 10
    ) -> list[Detection]:
        """People from one frame's outputs: every cell that is the maximum of its 3x3
        neighbourhood (the first in row-major order among equals) and scores at least
        ``threshold``, best first, at most ``max_people``."""
        hm = np.asarray(heatmap, np.float64).reshape(self.grid)
        geo = np.asarray(geometry, np.float64).reshape(*self.grid, GEOMETRY_CHANNELS)
        peaks = []
        gh, gw = self.grid
        for cv, cu in zip(*np.nonzero(hm >= threshold)):
            y0, y1, x0, x1 = max(cv - 1, 0), min(cv + 2, gh), max(cu - 1, 0), min(cu + 2, gw)
            win = hm[y0:y1, x0:x1]
            first = np.argmax(win)  # row-major: ties go to the first cell
            if (y0 + first // win.shape[1], x0 + first % win.shape[1]) == (cv, cu):
                peaks.append((hm[cv, cu], int(cv), int(cu)))
        peaks.sort(key=lambda p: (-p[0], p[1], p[2]))
        out = []
        for score, cv, cu in peaks[:max_people]:
            g = geo[cv, cu]
            cx, cy = (cu + g[0] + 0.5) * self.stride, (cv + g[1] + 0.5) * self.stride
            r = float(np.exp(g[2]) * self.stride)
            angle = float(np.degrees(np.arctan2(g[3], g[4]))) + 0.0
            angle = 180.0 if angle == -180.0 else angle
            left, top, right, bottom = np.maximum(g[5:9], 0.0) * r
            box = (cx - left, cy - top, left + right, top + bottom)
            out.append(
                Detection(
                    float(min(max(score, 0.0), 1.0)),
                    Alignment(float(cx), float(cy), r, angle),
                    tuple(float(b) for b in box),
                )
            )
        return out


def centre_distance(a: Alignment, b: Alignment) -> float:
    """How far ``a``'s hip centre is from ``b``'s, in ``b``'s body radii."""
    return float(np.hypot(a.cx - b.cx, a.cy - b.cy) / b.radius)


def centre_error(d: Detection, al: Alignment) -> float:
    """How far the detection's hip centre is from the alignment's, in its body radii."""
    return centre_distance(d.alignment, al)


def to_frame(d: Detection, crop: G.Crop, input_size) -> Detection:
    """A detection in the pixels of the letterboxed input ``crop`` (unrotated) -> frame pixels."""
    s = crop.width / input_size[1]
    cx, cy = G.to_image(crop, input_size, [d.alignment.cx, d.alignment.cy])
    x0, y0 = G.to_image(crop, input_size, [d.box[0], d.box[1]])
    al = Alignment(float(cx), float(cy), d.alignment.radius * s, d.alignment.angle)
    return Detection(d.score, al, (float(x0), float(y0), d.box[2] * s, d.box[3] * s))
