"""Top-down crop geometry: person box -> aspect-corrected padded crop -> affine warp, and inverses.

One definition shared by training (with augmentation parameters), the TFLite harness and the
Android port (``posecore``), which is checked against it with golden vectors.

Frames: **image pixels** and **input pixels** are both continuous with pixel ``i`` centred on
``i + 0.5``. A :class:`Crop` is a rectangle in image pixels (centre, width, height, rotation);
its affine maps image pixels to input pixels::

    p_input = s * R(-rotation) (p_image - centre) + (W_in / 2, H_in / 2),   s = W_in / crop.width

then, for a mirrored crop, ``x_input -> W_in - x_input``. Sizes are ``(height, width)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

from .errors import DataError


@dataclass(frozen=True)
class Crop:
    """A crop rectangle in image pixels with the model input's aspect ratio.

    cx, cy: centre (image pixels). width, height: extent (image pixels), ``width / height`` equal
    to the input's. rotation: degrees, counter-clockwise as seen on screen (the crop turns with
    the person). flip: mirror the crop horizontally.
    """

    cx: float
    cy: float
    width: float
    height: float
    rotation: float = 0.0
    flip: bool = False

    def as_array(self) -> np.ndarray:
        """``[cx, cy, width, height, rotation_degrees, flip]`` float64 (for golden vectors)."""
        return np.array(
            [self.cx, self.cy, self.width, self.height, self.rotation, float(self.flip)]
        )


def box_to_crop(bbox, input_size, padding: float = 1.25) -> Crop:
    """COCO ``bbox`` ``[x, y, w, h]`` (image pixels) -> :class:`Crop` around it.

    The box is grown to the input's aspect ratio (``input_size`` is ``(height, width)``) about
    its centre, then scaled by ``padding`` (1.25 as in SimpleBaseline / most top-down methods).
    """
    x, y, w, h = (float(v) for v in bbox)
    if not (np.isfinite([x, y, w, h]).all() and w > 0 and h > 0):
        raise DataError(f"bbox: expected [x, y, w, h] with w, h > 0, got {list(bbox)}")
    in_h, in_w = input_size
    aspect = in_w / in_h
    if w / h > aspect:
        h = w / aspect
    else:
        w = h * aspect
    return Crop(x + 0.5 * float(bbox[2]), y + 0.5 * float(bbox[3]), w * padding, h * padding)


def letterbox_crop(image_size, input_size) -> Crop:
    """Crop that fits the whole frame (``image_size`` ``(height, width)``) with bars, no cut."""
    h, w = image_size
    return box_to_crop([0.0, 0.0, float(w), float(h)], input_size, padding=1.0)


def crop_matrix(crop: Crop, input_size) -> np.ndarray:
    """``(2, 3)`` affine, image pixels -> input pixels, for ``crop`` and ``input_size`` (h, w)."""
    in_h, in_w = input_size
    s = in_w / crop.width
    t = np.deg2rad(crop.rotation)
    c, si = np.cos(t), np.sin(t)
    # R(-rotation) in image axes (y down): counter-clockwise on screen is a negative angle there
    rot = np.array([[c, -si], [si, c]])
    lin = s * rot
    off = np.array([in_w / 2.0, in_h / 2.0]) - lin @ np.array([crop.cx, crop.cy])
    m = np.concatenate([lin, off[:, None]], axis=1)
    if crop.flip:
        m = np.array([[-1.0, 0.0, in_w], [0.0, 1.0, 0.0]]) @ np.vstack([m, [0, 0, 1]])
    return m


def invert(m: np.ndarray) -> np.ndarray:
    """Inverse of a ``(2, 3)`` affine."""
    full = np.vstack([np.asarray(m, np.float64), [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


def apply(m: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a ``(2, 3)`` affine to ``(..., 2)`` points."""
    p = np.asarray(points, np.float64)
    return p @ np.asarray(m)[:, :2].T + np.asarray(m)[:, 2]


def to_input(crop: Crop, input_size, points) -> np.ndarray:
    """``(..., 2)`` image pixels -> input pixels."""
    return apply(crop_matrix(crop, input_size), points)


def to_image(crop: Crop, input_size, points) -> np.ndarray:
    """``(..., 2)`` input pixels -> image pixels (the inverse of :func:`to_input`)."""
    return apply(invert(crop_matrix(crop, input_size)), points)


def warp(image: np.ndarray, crop: Crop, input_size, border_value=(0, 0, 0)) -> np.ndarray:
    """Resample ``image`` (H, W, C) into the model input ``(in_h, in_w, C)`` through ``crop``.

    Bilinear; outside the image is ``border_value`` (black, like the Android letterbox).
    OpenCV indexes pixel centres at integers, so the matrix is shifted by half a pixel on both
    sides to keep the continuous-coordinate convention above.
    """
    in_h, in_w = input_size
    m = np.vstack([crop_matrix(crop, input_size), [0, 0, 1]])
    half = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]])
    m_cv = (np.linalg.inv(half) @ m @ half)[:2]
    return cv2.warpAffine(
        image,
        m_cv,
        (in_w, in_h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=border_value,
    )


def keypoints_to_image(kp_input: np.ndarray, crops: np.ndarray, input_size) -> np.ndarray:
    """``(N, K, 2)`` input pixels + ``(N, >=6)`` crop rows (``Crop.as_array``: centre x, centre
    y, width, height, rotation, flip) -> ``(N, K, 2)`` image pixels."""
    out = np.empty_like(kp_input, dtype=np.float64)
    for i, row in enumerate(crops):
        crop = Crop(*row[:5].tolist(), flip=bool(row[5]))
        out[i] = to_image(crop, input_size, kp_input[i])
    return out


@dataclass(frozen=True)
class Alignment:
    """BlazePose's alignment of a person, in image pixels: what a detector predicts and what the
    previous frame's keypoints give when tracking.

    cx, cy: the hip centre. radius: of the circle about the hip centre that encloses the body.
    angle: degrees, counter-clockwise as seen on screen, the incline of the hip-centre ->
    shoulder-centre vector from upright (0: shoulders straight above the hips; 180: upside
    down). An :func:`aligned_crop` with this rotation shows the person upright.
    """

    cx: float
    cy: float
    radius: float
    angle: float

    def as_array(self) -> np.ndarray:
        """``[cx, cy, radius, angle_degrees]`` float64 (for golden vectors)."""
        return np.array([self.cx, self.cy, self.radius, self.angle])


def incline_degrees(hip_centre, shoulder_centre) -> float:
    """The angle of :class:`Alignment`: hip centre -> shoulder centre against straight up, in
    degrees counter-clockwise on screen (image y points down), in ``(-180, 180]``."""
    vx = float(shoulder_centre[0]) - float(hip_centre[0])
    vy = float(shoulder_centre[1]) - float(hip_centre[1])
    if vx == 0.0 and vy == 0.0:
        return 0.0
    a = float(np.degrees(np.arctan2(-vx, -vy))) + 0.0  # no -0.0
    return 180.0 if a == -180.0 else a


def alignment_from_keypoints(xy, valid, torso) -> Alignment | None:
    """The :class:`Alignment` of labelled or detected keypoints, or ``None`` without a torso.

    xy: ``(K, 2)`` image pixels. valid: ``(K,)`` bool, the keypoints to use (labelled, or scoring
    above a threshold). torso: indices ``(left_shoulder, right_shoulder, left_hip, right_hip)``
    (:func:`posenet_mobile.schema.torso_indices`). The hip centre is the mean of the valid hips,
    the shoulder centre that of the valid shoulders; both need at least one. The radius is the
    distance from the hip centre to the farthest valid keypoint (at least one pixel).
    """
    xy = np.asarray(xy, np.float64)
    valid = np.asarray(valid, bool) & np.isfinite(xy).all(-1)
    ls, rs, lh, rh = torso
    sh = [i for i in (ls, rs) if valid[i]]
    hp = [i for i in (lh, rh) if valid[i]]
    if not sh or not hp:
        return None
    hip = xy[hp].mean(0)
    shoulder = xy[sh].mean(0)
    radius = float(np.max(np.linalg.norm(xy[valid] - hip, axis=-1)))
    return Alignment(float(hip[0]), float(hip[1]), max(radius, 1.0), incline_degrees(hip, shoulder))


def aligned_crop(alignment: Alignment, input_size, padding: float = 1.25) -> Crop:
    """The crop that shows an aligned person upright: centred on the hip centre, turned by the
    incline, its shorter side ``2 * radius * padding`` (the body circle with a margin) and its
    aspect ratio the input's (``input_size`` is ``(height, width)``)."""
    a = alignment
    if not (np.isfinite([a.cx, a.cy, a.radius, a.angle]).all() and a.radius > 0):
        raise DataError(
            f"alignment: expected a finite centre and angle and a radius > 0, got {a.as_array().tolist()}"
        )
    in_h, in_w = input_size
    side = 2.0 * a.radius * padding
    if in_w >= in_h:
        height, width = side, side * in_w / in_h
    else:
        width, height = side, side * in_h / in_w
    return Crop(a.cx, a.cy, width, height, rotation=a.angle)


#: How a person becomes a crop (``data.crop_rule``, metadata ``input.crop.method``).
CROP_RULES = ("box", "aligned")


def person_crop(rule: str, bbox, keypoints, valid, torso, input_size, padding: float) -> Crop:
    """The crop of a labelled person by ``rule``: ``box`` (:func:`box_to_crop`) or ``aligned``
    (:func:`aligned_crop` of :func:`alignment_from_keypoints`; the box when the keypoints give no
    alignment)."""
    if rule == "aligned":
        al = alignment_from_keypoints(keypoints, valid, torso) if torso is not None else None
        if al is not None:
            return aligned_crop(al, input_size, padding)
    return box_to_crop(bbox, input_size, padding)


#: uint8 RGB -> model input: ``x / 127.5 - 1`` (MobileNetV2's convention).
INPUT_MEAN = 127.5
INPUT_STD = 127.5


def normalize_input(image_uint8: np.ndarray) -> np.ndarray:
    """``(..., H, W, 3)`` uint8 RGB -> float32 in [-1, 1], the model's input range."""
    return (np.asarray(image_uint8, np.float32) - INPUT_MEAN) / INPUT_STD


def flip_keypoints(
    keypoints: np.ndarray, visibility: np.ndarray, width: float, flip_index: np.ndarray
):
    """Mirror ``(..., K, 2)`` keypoints in a frame ``width`` wide and swap left/right.

    Returns ``(keypoints, visibility)`` with channel ``k`` holding the mirrored ``flip_index[k]``.
    """
    kp = np.array(keypoints, np.float64)
    kp[..., 0] = width - kp[..., 0]
    return kp[..., flip_index, :], np.asarray(visibility)[..., flip_index]


def jitter(
    crop: Crop, scale: float = 1.0, rotation: float = 0.0, shift=(0.0, 0.0), flip: bool = False
) -> Crop:
    """A crop scaled, rotated (degrees), shifted (fractions of its size) and optionally mirrored."""
    return replace(
        crop,
        cx=crop.cx + shift[0] * crop.width,
        cy=crop.cy + shift[1] * crop.height,
        width=crop.width * scale,
        height=crop.height * scale,
        rotation=crop.rotation + rotation,
        flip=crop.flip ^ bool(flip),
    )
