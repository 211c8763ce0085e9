"""Heatmap + offset codec: the one encode/decode definition every consumer follows.

Training targets, Keras evaluation, the TFLite harness and the Android decoder (golden vectors)
all use this module. Shapes: ``N`` images, ``K`` keypoints, heatmap ``Hh x Wh`` cells.

Frames
------
* **input pixels**: continuous coordinates on the model input; pixel ``i`` covers ``[i, i+1)``
  so its centre is ``i + 0.5`` (the ``align_corners=False`` convention).
* **heatmap cells**: cell ``j`` is centred on input coordinate ``(j + 0.5) * stride``, so a
  point at input ``x`` sits at cell coordinate ``u = x / stride - 0.5``.
* **normalised**: input pixels divided by the input width/height, in ``[0, 1]``; what the
  regression and integral heads output.

Targets are unbiased Gaussians centred on the sub-cell position (no rounding to the grid, as
in DARK, Zhang et al. 2020) with per-cell offsets to the exact position (Papandreou et al. 2017;
BlazePose's heatmap + offset branch). Offsets are stored interleaved: channel ``2k`` is dx and
``2k + 1`` is dy of keypoint ``k``, in heatmap cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .config import CodecConfig
from .errors import ConfigError
from .schema import torso_indices

REFINE_METHODS = ("offset", "dark", "quarter", "none")


class EncodedTargets(NamedTuple):
    """Encoder output (leading batch dims ``...`` are those of the keypoints given).

    heatmaps: ``(..., Hh, Wh, K)`` float32 Gaussian targets in [0, 1].
    offsets: ``(..., Hh, Wh, 2K)`` float32, interleaved (dx, dy) in heatmap cells.
    weights: ``(..., K)`` float32, 1 for a labelled keypoint inside the input, else 0.
    offset_mask: ``(..., Hh, Wh, K)`` float32, 1 where the offset of keypoint k is supervised
        (cells within ``offset_radius`` of a weighted keypoint).
    """

    heatmaps: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray
    offset_mask: np.ndarray


@dataclass(frozen=True)
class HeatmapCodec:
    """Gaussian heatmap + offset codec at a fixed input size and output stride.

    input_size: ``(height, width)`` of the model input, input pixels; divisible by ``stride``.
    stride: input pixels per heatmap cell (4 or 8 for the models here).
    sigma: Gaussian standard deviation, heatmap cells.
    offset_radius: cells within this distance (heatmap cells) of a keypoint carry offset targets.
    """

    input_size: tuple[int, int]
    stride: int = 4
    sigma: float = CodecConfig.sigma
    offset_radius: float = CodecConfig.offset_radius

    def __post_init__(self):
        h, w = (int(v) for v in self.input_size)
        object.__setattr__(self, "input_size", (h, w))
        if self.stride <= 0 or h % self.stride or w % self.stride:
            raise ConfigError(
                f"codec: input_size {self.input_size} must be divisible by stride {self.stride}"
            )
        if not self.sigma > 0 or not self.offset_radius > 0:
            raise ConfigError("codec: sigma and offset_radius must be positive")

    @property
    def heatmap_size(self) -> tuple[int, int]:
        """``(Hh, Wh)``, heatmap cells."""
        return self.input_size[0] // self.stride, self.input_size[1] // self.stride

    # --- frame conversions -----------------------------------------------------------------

    def pixels_to_cells(self, xy: np.ndarray) -> np.ndarray:
        """``(..., 2)`` input pixels (x, y) -> heatmap cells."""
        return np.asarray(xy, np.float64) / self.stride - 0.5

    def cells_to_pixels(self, uv: np.ndarray) -> np.ndarray:
        """``(..., 2)`` heatmap cells (u, v) -> input pixels."""
        return (np.asarray(uv, np.float64) + 0.5) * self.stride

    def normalized_to_pixels(self, xy_norm: np.ndarray) -> np.ndarray:
        """``(..., 2)`` normalised (x, y) in [0, 1] -> input pixels."""
        h, w = self.input_size
        return np.asarray(xy_norm, np.float64) * np.array([w, h], np.float64)

    def pixels_to_normalized(self, xy: np.ndarray) -> np.ndarray:
        h, w = self.input_size
        return np.asarray(xy, np.float64) / np.array([w, h], np.float64)

    # --- encode ----------------------------------------------------------------------------

    def encode(self, keypoints: np.ndarray, visibility: np.ndarray) -> EncodedTargets:
        """Encode keypoints into heatmap, offset and weight targets (vectorised over ``...``).

        keypoints: ``(..., K, 2)`` (x, y), input pixels.
        visibility: ``(..., K)`` COCO flags (0 unlabelled, 1 labelled occluded, 2 visible);
            any value > 0 counts as labelled.
        """
        kp = np.asarray(keypoints, np.float64)
        vis = np.asarray(visibility)
        if kp.shape[-1] != 2 or kp.shape[:-1] != vis.shape:
            raise ConfigError(
                f"codec.encode: keypoints {kp.shape} must be (..., K, 2) matching visibility {vis.shape}"
            )
        h, w = self.input_size
        hh, ww = self.heatmap_size
        finite = np.all(np.isfinite(kp), axis=-1)
        inside = (
            finite & (kp[..., 0] >= 0) & (kp[..., 0] < w) & (kp[..., 1] >= 0) & (kp[..., 1] < h)
        )
        weights = ((vis > 0) & inside).astype(np.float32)
        uv = self.pixels_to_cells(np.where(finite[..., None], kp, 0.0))
        u = uv[..., None, None, :, 0]  # (..., 1, 1, K)
        v = uv[..., None, None, :, 1]
        jj = np.arange(ww, dtype=np.float64)[:, None]  # (Wh, 1)
        ii = np.arange(hh, dtype=np.float64)[:, None, None]  # (Hh, 1, 1)
        dx = u - jj  # (..., Hh?, Wh, K) after broadcasting
        dy = v - ii
        dx, dy = np.broadcast_arrays(dx, dy)
        d2 = dx**2 + dy**2
        wk = weights[..., None, None, :]
        heatmaps = (np.exp(-d2 / (2.0 * self.sigma**2)) * wk).astype(np.float32)
        mask = ((d2 <= self.offset_radius**2) & (wk > 0)).astype(np.float32)
        offsets = np.stack([dx * mask, dy * mask], axis=-1)  # (..., Hh, Wh, K, 2)
        offsets = offsets.reshape(offsets.shape[:-2] + (-1,)).astype(np.float32)
        return EncodedTargets(heatmaps, offsets, weights, mask)

    # --- decode ----------------------------------------------------------------------------

    def decode(
        self, heatmaps: np.ndarray, offsets: np.ndarray | None = None, refine: str | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Decode heatmaps (+ offsets) into keypoints: argmax cell, then sub-cell refinement.

        heatmaps: ``(N, Hh, Wh, K)`` float, dequantised.
        offsets: ``(N, Hh, Wh, 2K)`` interleaved (dx, dy) in cells, or None.
        refine: ``"offset"`` (read the offset at the peak; default when offsets are given),
            ``"dark"`` (second-order Taylor step on the log-heatmap, DARK; default otherwise),
            ``"quarter"`` (quarter-cell step towards the larger neighbour, SimpleBaseline),
            ``"none"``.
        Returns ``keypoints (N, K, 2)`` input pixels and ``scores (N, K)`` (peak value clipped to
        [0, 1]).
        """
        hm = np.asarray(heatmaps, np.float64)
        if hm.ndim != 4:
            raise ConfigError(
                f"codec.decode: heatmaps must be (N, Hh, Wh, K), got shape {hm.shape}"
            )
        refine = refine or ("offset" if offsets is not None else "dark")
        if refine not in REFINE_METHODS:
            raise ConfigError(
                f"codec.decode: refine must be one of {REFINE_METHODS}, got {refine!r}"
            )
        if refine == "offset" and offsets is None:
            raise ConfigError("codec.decode: refine='offset' needs the offsets tensor")
        n, hh, ww, k = hm.shape
        flat = hm.reshape(n, hh * ww, k)
        idx = np.argmax(flat, axis=1)  # (N, K)
        scores = np.clip(np.take_along_axis(flat, idx[:, None, :], axis=1)[:, 0, :], 0.0, 1.0)
        iy, ix = np.divmod(idx, ww)
        uv = np.stack([ix, iy], axis=-1).astype(np.float64)  # (N, K, 2) cells
        if refine == "offset":
            off = np.asarray(offsets, np.float64)
            if off.shape != (n, hh, ww, 2 * k):
                raise ConfigError(
                    f"codec.decode: offsets must be {(n, hh, ww, 2 * k)}, got {off.shape}"
                )
            off = off.reshape(n, hh * ww, k, 2)
            ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
            uv = uv + off[ni, idx, ki]
        elif refine == "dark":
            uv = uv + _dark_step(hm, ix, iy)
        elif refine == "quarter":
            uv = uv + 0.25 * _neighbour_sign(hm, ix, iy)
        return self.cells_to_pixels(uv), scores

    def decode_normalized(self, coords: np.ndarray) -> np.ndarray:
        """Regression/integral head output ``(N, K, 2)`` normalised (x, y) -> input pixels."""
        return self.normalized_to_pixels(coords)

    def soft_argmax(self, logits: np.ndarray) -> np.ndarray:
        """Integral regression (Sun et al. 2018): spatial softmax expectation, NumPy reference.

        logits: ``(N, Hh, Wh, K)``. Returns ``(N, K, 2)`` normalised (x, y); the Keras integral
        head computes the same thing with :func:`normalized_grid` as its frozen weights.
        """
        lg = np.asarray(logits, np.float64)
        n, hh, ww, k = lg.shape
        flat = lg.reshape(n, hh * ww, k)
        flat = np.exp(flat - flat.max(axis=1, keepdims=True))
        p = flat / flat.sum(axis=1, keepdims=True)
        return np.einsum("npk,pc->nkc", p, normalized_grid(hh, ww))


def normalized_grid(hh: int, ww: int) -> np.ndarray:
    """``(Hh*Wh, 2)`` normalised (x, y) of each heatmap cell centre, row-major (y, then x)."""
    ys, xs = np.meshgrid((np.arange(hh) + 0.5) / hh, (np.arange(ww) + 0.5) / ww, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=-1)


def flip_heatmaps(maps: np.ndarray, flip_index: np.ndarray, offsets: bool = False) -> np.ndarray:
    """Mirror ``(N, Hh, Wh, C)`` maps horizontally and swap left/right channels.

    For heatmaps ``C = K``; for interleaved offsets (``offsets=True``) ``C = 2K`` and dx changes
    sign. Mirroring input x to ``W - x`` maps cell ``j`` to ``Wh - 1 - j`` exactly.
    """
    m = np.asarray(maps)[:, :, ::-1, :]
    if not offsets:
        return m[..., flip_index]
    n, hh, ww, c = m.shape
    m = m.reshape(n, hh, ww, c // 2, 2)[..., flip_index, :].copy()
    m[..., 0] *= -1.0
    return m.reshape(n, hh, ww, c)


def mirror_outputs(outputs, flip_index, input_width: int) -> dict:
    """A model's named outputs on a horizontally mirrored crop, mapped back to the crop's frame.

    Mirroring input x to ``W - x`` swaps left and right, so each keypoint channel is replaced by
    its ``flip_index`` partner and each x-axis quantity is mirrored: heatmaps and offsets as in
    :func:`flip_heatmaps`, SimCC x bins reversed (bin ``b`` -> ``Bx - 1 - b``, exact for the
    :mod:`~posenet_mobile.simcc` frame), normalised ``coords`` x -> ``1 - x``, in-graph
    ``keypoints`` x -> ``W - x``. ``facing`` is unchanged: a mirrored person still faces the
    same way. Outputs of any other name raise :class:`ConfigError`.
    """
    fi = np.asarray(flip_index)
    out = {}
    for name, v in outputs.items():
        v = np.asarray(v, np.float32)
        if name == "heatmaps":
            out[name] = flip_heatmaps(v, fi)
        elif name == "offsets":
            out[name] = flip_heatmaps(v, fi, offsets=True)
        elif name == "simcc_x":
            out[name] = v[:, fi, ::-1]
        elif name in ("simcc_y", "visibility"):
            out[name] = v[:, fi]
        elif name == "coords":
            m = v[:, fi].copy()
            m[..., 0] = 1.0 - m[..., 0]
            out[name] = m
        elif name == "keypoints":
            m = v[:, fi].copy()
            m[..., 0] = input_width - m[..., 0]
            out[name] = m
        elif name == "facing":
            out[name] = v
        else:
            raise ConfigError(f"flip test: no mirror rule for the model output {name!r}")
    return out


def flip_test(plain, mirrored, flip_index, input_width: int) -> dict:
    """Flip test: the mean of a model's outputs on a crop and, mapped back by
    :func:`mirror_outputs`, on its mirror image (as HRNet and most top-down pose models
    evaluate). Decode the result as usual with :func:`decode_outputs`; it costs a second run.
    """
    back = mirror_outputs(mirrored, flip_index, input_width)
    return {k: 0.5 * (np.asarray(plain[k], np.float32) + back[k]) for k in plain}


def _neighbour(hm, ix, iy, dx, dy):
    n, hh, ww, k = hm.shape
    x = np.clip(ix + dx, 0, ww - 1)
    y = np.clip(iy + dy, 0, hh - 1)
    ni, ki = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    return hm[ni, y, x, ki]


def _neighbour_sign(hm, ix, iy):
    sx = np.sign(_neighbour(hm, ix, iy, 1, 0) - _neighbour(hm, ix, iy, -1, 0))
    sy = np.sign(_neighbour(hm, ix, iy, 0, 1) - _neighbour(hm, ix, iy, 0, -1))
    return np.stack([sx, sy], axis=-1)


def _dark_step(hm, ix, iy):
    """Newton step ``-H^-1 g`` on log(heatmap) at the peak (DARK); quarter step where unusable."""
    eps = 1e-10
    lg = lambda dx, dy: np.log(np.maximum(_neighbour(hm, ix, iy, dx, dy), eps))  # noqa: E731
    c = lg(0, 0)
    gx = 0.5 * (lg(1, 0) - lg(-1, 0))
    gy = 0.5 * (lg(0, 1) - lg(0, -1))
    hxx = lg(1, 0) - 2 * c + lg(-1, 0)
    hyy = lg(0, 1) - 2 * c + lg(0, -1)
    hxy = 0.25 * (lg(1, 1) - lg(1, -1) - lg(-1, 1) + lg(-1, -1))
    det = hxx * hyy - hxy**2
    _, hh, ww, _ = hm.shape
    interior = (ix > 0) & (ix < ww - 1) & (iy > 0) & (iy < hh - 1)
    ok = interior & (det > eps) & (hxx < 0) & (np.maximum(_neighbour(hm, ix, iy, 0, 0), 0) > eps)
    safe = np.where(ok, det, 1.0)
    sx = -(hyy * gx - hxy * gy) / safe
    sy = -(hxx * gy - hxy * gx) / safe
    step = np.stack([sx, sy], axis=-1)
    ok = ok & np.all(np.abs(step) <= 1.0, axis=-1)
    return np.where(ok[..., None], step, 0.25 * _neighbour_sign(hm, ix, iy))


@dataclass(frozen=True)
class SideRule:
    """What :func:`decode_sides` needs to know of a schema: its left/right index pairs (left
    first) and the torso ``(left_shoulder, right_shoulder, left_hip, right_hip)``."""

    pairs: tuple
    torso: tuple

    @classmethod
    def from_names(cls, names, flip_index) -> "SideRule | None":
        """From keypoint names and the flip permutation; ``None`` when the schema has no torso."""
        names = list(names)
        torso = torso_indices(names)
        if torso is None:
            return None
        pairs = tuple((int(i), int(j)) for i, j in enumerate(flip_index) if i < int(j))
        left = tuple((i, j) if not names[i].startswith("right") else (j, i) for i, j in pairs)
        return cls(left, torso)


#: Second peak of a pair's summed map: at least this many cells (Chebyshev) from the first,
#: and at least this fraction of its height.
PAIR_MIN_CELLS, PAIR_MIN_FRACTION = 2, 0.5


def two_peaks(s: np.ndarray):
    """The highest cell ``(row, col)`` of map ``s`` (first in row-major order on ties) and the
    highest 3x3 local maximum at least :data:`PAIR_MIN_CELLS` cells from it holding
    :data:`PAIR_MIN_FRACTION` of its height, or ``None``. The one definition; posecore ports it."""
    h, w = s.shape
    r1, c1 = divmod(int(np.argmax(s)), w)
    top = s[r1, c1]
    if not top > 0:
        return (r1, c1), None
    pad = np.pad(s, 1, constant_values=-np.inf)
    nb = np.max(
        np.stack(
            [
                pad[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
            ]
        ),
        axis=0,
    )
    rows, cols = np.mgrid[0:h, 0:w]
    ok = (
        (s >= nb)
        & (np.maximum(np.abs(rows - r1), np.abs(cols - c1)) >= PAIR_MIN_CELLS)
        & (s >= PAIR_MIN_FRACTION * top)
    )
    if not ok.any():
        return (r1, c1), None
    cand = np.where(ok, s, -np.inf)
    return (r1, c1), divmod(int(np.argmax(cand)), w)


def decode_sides(heatmaps, offsets, facing, rule: SideRule, stride: int):
    """Left/right by which way the person faces, for models with a ``facing`` output.

    A per-channel argmax often puts a left and a right keypoint on the same limb (both knees on
    one knee): the maps find limbs but cannot tell sides, which depend on whether the person faces
    the camera. Here each left/right pair is decoded together: the two peaks of the pair's summed
    maps (:func:`two_peaks`) are its two limbs; the one further to the image right of the torso
    axis (shoulder centre -> hip centre, each centre the midpoint of that pair's two peaks) is the
    person's left when ``facing > 0`` (they face the camera), else their right. Each keypoint
    reads the offset of whichever of the pair's channels is higher at its cell, and that height
    (clipped to [0, 1]) is its score. Pairs with one peak, and people whose torso axis has no
    length, keep the per-channel decode.

    heatmaps ``(N, Hh, Wh, K)``, offsets ``(N, Hh, Wh, 2K)`` or None, facing ``(N,)`` or ``(N, 1)``
    logits. Returns ``keypoints (N, K, 2)`` input pixels and ``scores (N, K)``.
    """
    hm = np.asarray(heatmaps, np.float64)
    n, hh, ww, k = hm.shape
    off = None if offsets is None else np.asarray(offsets, np.float64).reshape(n, hh, ww, k, 2)
    facing = np.asarray(facing, np.float64).reshape(n)
    codec = HeatmapCodec((hh * stride, ww * stride), stride)
    kp, scores = codec.decode(hm, offsets, refine="offset" if offsets is not None else "none")
    ls, rs, lh, rh = rule.torso
    for i in range(n):
        centre = []
        for a, b in ((ls, rs), (lh, rh)):
            p1, p2 = two_peaks(hm[i, ..., a] + hm[i, ..., b])
            q = (
                np.array(p1, float)
                if p2 is None
                else 0.5 * (np.array(p1, float) + np.array(p2, float))
            )
            centre.append(q[::-1])  # (x, y) cells
        down = centre[1] - centre[0]
        if np.hypot(*down) < 1e-6:
            continue
        right = np.array([down[1], -down[0]])  # the image's right of the torso axis
        mid = 0.5 * (centre[0] + centre[1])
        for a, b in rule.pairs:
            p1, p2 = two_peaks(hm[i, ..., a] + hm[i, ..., b])
            if p2 is None:
                continue
            x1, x2 = (np.array(p[::-1], float) for p in (p1, p2))
            on_right, on_left = (p1, p2) if (x1 - mid) @ right > (x2 - mid) @ right else (p2, p1)
            cells = {a: on_right, b: on_left} if facing[i] > 0 else {a: on_left, b: on_right}
            for c, (r, q) in cells.items():
                best = a if hm[i, r, q, a] >= hm[i, r, q, b] else b
                uv = np.array([q, r], float) + (off[i, r, q, best] if off is not None else 0.0)
                kp[i, c] = codec.cells_to_pixels(uv)
                scores[i, c] = np.clip(hm[i, r, q, best], 0.0, 1.0)
    return kp, scores


def order_sides(keypoints, scores, facing, rule: SideRule):
    """Left/right by which way the person faces, for heads that decode each keypoint on its own
    (``simcc`` with a ``facing`` output): each left/right pair's two points keep their places, and
    the one further to the image right of the torso axis (shoulder centre -> hip centre, each
    centre the midpoint of that pair's two points, which a swap does not move) becomes the
    person's left when ``facing > 0`` (they face the camera), else their right; its score goes
    with it. Pairs on the axis (equal projections), and people whose axis has no length, are left
    as decoded. A pair whose two points sit on one limb stays so: this fixes swapped labels, not
    collapses.

    keypoints ``(N, K, 2)``, scores ``(N, K)``, facing ``(N,)`` or ``(N, 1)`` logits. Returns new
    ``keypoints``, ``scores``.
    """
    kp = np.array(keypoints, np.float64)
    sc = np.array(scores, np.float64)
    n = kp.shape[0]
    facing = np.asarray(facing, np.float64).reshape(n)
    ls, rs, lh, rh = rule.torso
    top, bottom = 0.5 * (kp[:, ls] + kp[:, rs]), 0.5 * (kp[:, lh] + kp[:, rh])
    down = bottom - top
    right = np.stack([down[:, 1], -down[:, 0]], axis=-1)  # the image's right of the torso axis
    mid = 0.5 * (top + bottom)
    ok = np.hypot(down[:, 0], down[:, 1]) >= 1e-6
    for a, b in rule.pairs:
        da = np.einsum("nd,nd->n", kp[:, a] - mid, right)
        db = np.einsum("nd,nd->n", kp[:, b] - mid, right)
        swap = ok & np.where(facing > 0, da < db, da > db)
        kp[swap, a], kp[swap, b] = kp[swap, b].copy(), kp[swap, a].copy()
        sc[swap, a], sc[swap, b] = sc[swap, b].copy(), sc[swap, a].copy()
    return kp, sc


def _need_sides(sides):
    if sides is None:
        raise ConfigError(
            "decode_outputs: a model with a 'facing' output needs the schema's left/right "
            "pairs and torso (sides=SideRule...)"
        )


def decode_outputs(
    outputs,
    codec: HeatmapCodec,
    refine: str | None = None,
    sides: SideRule | None = None,
    simcc=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Decode a model's named outputs, whatever the head, into keypoints and scores.

    outputs: mapping of output name -> array (dequantised). ``coords`` (regression / integral,
    normalised) wins when present, with ``sigmoid(visibility)`` as scores; otherwise
    ``heatmaps`` (+ ``offsets``) go through :meth:`HeatmapCodec.decode` with ``refine``, or
    through :func:`decode_sides` when there is a ``facing`` output (``sides`` is then required);
    ``keypoints`` ``(N, K, 3)`` (in-graph decoded x, y in input pixels, score) pass through;
    ``simcc_x`` + ``simcc_y`` go through ``simcc`` (a :class:`~posenet_mobile.simcc.SimCCCodec`),
    then :func:`order_sides` when there is a ``facing`` output.
    Returns ``keypoints (N, K, 2)`` input pixels and ``scores (N, K)`` in [0, 1].
    """
    if "coords" in outputs:
        kp = codec.decode_normalized(np.asarray(outputs["coords"], np.float64))
        vis = outputs.get("visibility")
        scores = (
            1.0 / (1.0 + np.exp(-np.asarray(vis, np.float64)))
            if vis is not None
            else np.ones(kp.shape[:2])
        )
        return kp, scores
    if "simcc_x" in outputs:
        if simcc is None:
            raise ConfigError(
                "decode_outputs: simcc outputs need the SimCC codec (simcc=SimCCCodec...)"
            )
        kp, scores = simcc.decode(outputs["simcc_x"], outputs["simcc_y"])
        if "facing" not in outputs:
            return kp, scores
        _need_sides(sides)
        return order_sides(kp, scores, outputs["facing"], sides)
    if "keypoints" in outputs:
        kp = np.asarray(outputs["keypoints"], np.float64)
        return kp[..., :2], kp[..., 2]
    if "heatmaps" in outputs and "facing" in outputs:
        _need_sides(sides)
        return decode_sides(
            outputs["heatmaps"], outputs.get("offsets"), outputs["facing"], sides, codec.stride
        )
    if "heatmaps" in outputs:
        return codec.decode(outputs["heatmaps"], outputs.get("offsets"), refine=refine)
    raise ConfigError(
        f"decode_outputs: no 'coords', 'simcc_x' or 'heatmaps' among outputs {sorted(outputs)}"
    )
