"""Training-time augmentation: crop jitter (scale, rotation, translation, mirror) and pixels
(colour jitter, blur, lower resolution, occlusion patches).

Geometry goes through :mod:`posenet_mobile.geometry`, so keypoints move with the pixels exactly;
a keypoint pushed out of the crop keeps its flag but the codec gives it weight 0. Mirroring
swaps left/right channels with the schema's ``flip_index``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .. import geometry as G


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges for one training sample. scale: crop size multiplier; rotation: degrees (applied
    with ``rotation_prob``); shift: fraction of the crop size; probabilities in [0, 1].

    lowres_prob: how often a crop is shrunk by a factor drawn from [1, ``lowres_max``] and
    enlarged back, so it carries no more detail than a person a few times smaller in the source
    image. Synthetic people are rendered a little larger than the input, so every crop is sharp;
    people in photographs are often smaller than the input and arrive upsampled and soft.

    hue: the largest rotation of every pixel's colour about the grey axis, as a fraction of the
    colour circle (0.5 reaches every hue); grayscale_prob: how often the crop loses its colour
    (photographs in black and white). Both keep a pixel's brightness, so shapes and shading are
    what is left to learn from; synthetic skin and garment colours are a small, made-up palette.

    randconv_prob: how often the crop is passed through a random convolution (RandConv, Xu et
    al., ICLR 2021): a 1x1, 3x3 or 5x5 kernel with random weights mixing the three channels,
    rescaled to the crop's brightness and contrast and blended with it by a random amount. Local
    texture and colour become unreliable, shapes survive: a model trained so leans on shape,
    which is what synthetic people share with real ones.
    """

    scale: tuple = (0.75, 1.25)
    rotation: float = 35.0
    rotation_prob: float = 0.6
    shift: float = 0.08
    flip_prob: float = 0.5
    brightness: float = 0.25
    contrast: float = 0.25
    saturation: float = 0.3
    blur_prob: float = 0.15
    occlusion_prob: float = 0.3
    lowres_prob: float = 0.0
    lowres_max: float = 4.0
    hue: float = 0.0
    grayscale_prob: float = 0.0
    randconv_prob: float = 0.0

    def __post_init__(self):
        from ..config import PROBABILITY, between, check_fields, low_high

        object.__setattr__(self, "scale", low_high(self.scale, "augment.scale", 0.1, 10.0))
        unit = between(0.0, 1.0)
        check_fields(
            self,
            "augment",
            {
                "rotation": between(0.0, 180.0),
                "rotation_prob": PROBABILITY,
                "shift": between(0.0, 0.5),
                "flip_prob": PROBABILITY,
                "brightness": unit,
                "contrast": unit,
                "saturation": unit,
                "blur_prob": PROBABILITY,
                "occlusion_prob": PROBABILITY,
                "lowres_prob": PROBABILITY,
                "lowres_max": between(1.0, 16.0),
                "hue": between(0.0, 0.5),
                "grayscale_prob": PROBABILITY,
                "randconv_prob": PROBABILITY,
            },
        )


NO_AUGMENT = AugmentConfig(
    scale=(1.0, 1.0),
    rotation=0.0,
    rotation_prob=0.0,
    shift=0.0,
    flip_prob=0.0,
    brightness=0.0,
    contrast=0.0,
    saturation=0.0,
    blur_prob=0.0,
    occlusion_prob=0.0,
    lowres_prob=0.0,
)


def random_crop(crop: G.Crop, rng, cfg: AugmentConfig) -> G.Crop:
    """Jitter a crop: scale, rotation, shift and mirror drawn from ``cfg``."""
    rot = rng.uniform(-cfg.rotation, cfg.rotation) if rng.random() < cfg.rotation_prob else 0.0
    return G.jitter(
        crop,
        scale=rng.uniform(*cfg.scale),
        rotation=rot,
        shift=tuple(rng.uniform(-cfg.shift, cfg.shift, 2)),
        flip=rng.random() < cfg.flip_prob,
    )


def crop_keypoints(crop: G.Crop, input_size, keypoints, visibility, flip_index):
    """Map ``(K, 2)`` image-pixel keypoints into the crop's input pixels.

    For a mirrored crop the channels are swapped with ``flip_index`` so channel ``k`` is still
    keypoint ``k`` (a left wrist stays a left wrist). Returns ``(keypoints (K, 2), visibility)``.
    """
    kp = G.to_input(crop, input_size, keypoints)
    vis = np.asarray(visibility)
    if crop.flip:
        kp, vis = kp[flip_index], vis[flip_index]
    return kp, vis


@dataclass(frozen=True)
class PhotometricDraw:
    """One crop's colour jitter, drawn by :func:`draw_photometric` and applied by
    :func:`apply_photometric` (or, batched, by the crop-cache pipeline's graph).

    colour: ``(3, 3)`` linear map of RGB values (hue turn, grey, saturation), applied as
    ``x @ colour.T``, or None; contrast: factor about the crop's mean; brightness: added to every
    value; blur_sigma: Gaussian blur (5x5) sigma, 0 for none.
    """

    colour: np.ndarray | None = None
    contrast: float = 1.0
    brightness: float = 0.0
    blur_sigma: float = 0.0


def draw_photometric(rng, cfg: AugmentConfig) -> PhotometricDraw | None:
    """The colour jitter of one crop (None when every setting is off: nothing is drawn, so the
    other draws stay as they were)."""
    if (
        cfg.brightness == cfg.contrast == cfg.saturation == cfg.hue == 0
        and cfg.blur_prob == 0
        and cfg.grayscale_prob == 0
    ):
        return None
    eye = np.eye(3)
    grey_map = np.full((3, 3), 1.0 / 3.0)
    m = eye  # x' = x @ m
    if cfg.hue:
        m = m @ hue_rotation(rng.uniform(-cfg.hue, cfg.hue) * 2.0 * np.pi).T.astype(np.float64)
    if cfg.grayscale_prob and rng.random() < cfg.grayscale_prob:
        m = m @ grey_map
    if cfg.saturation:
        f = rng.uniform(1 - cfg.saturation, 1 + cfg.saturation)
        m = m @ (grey_map + f * (eye - grey_map))
    contrast = rng.uniform(1 - cfg.contrast, 1 + cfg.contrast) if cfg.contrast else 1.0
    brightness = (
        255.0 * rng.uniform(-cfg.brightness, cfg.brightness) * 0.5 if cfg.brightness else 0.0
    )
    sigma = rng.uniform(0.6, 1.6) if rng.random() < cfg.blur_prob else 0.0
    colour = None if m is eye else m.T.astype(np.float32)
    return PhotometricDraw(colour, float(contrast), float(brightness), float(sigma))


def apply_photometric(img: np.ndarray, d: PhotometricDraw | None) -> np.ndarray:
    """Apply a :class:`PhotometricDraw` to an RGB uint8 crop (colour map, contrast about the
    crop's mean, brightness, blur, then clipped and truncated to uint8)."""
    if d is None:
        return img
    x = img.astype(np.float32)
    if d.colour is not None:
        x = x @ d.colour.T
    if d.contrast != 1.0:
        m = x.mean()
        x = m + (x - m) * np.float32(d.contrast)
    x = x + np.float32(d.brightness)
    if d.blur_sigma:
        x = cv2.GaussianBlur(x, (5, 5), d.blur_sigma)
    return np.clip(x, 0, 255).astype(np.uint8)


def photometric(img: np.ndarray, rng, cfg: AugmentConfig) -> np.ndarray:
    """Colour jitter (hue, grey, saturation, contrast, brightness) and blur on an RGB uint8 crop.

    A setting that is off draws nothing from ``rng``, so the other draws stay as they were.
    """
    return apply_photometric(img, draw_photometric(rng, cfg))


def hue_rotation(angle: float) -> np.ndarray:
    """The 3x3 matrix that turns RGB colours by ``angle`` radians about the grey axis (1, 1, 1):
    each pixel's mean (its brightness here) and its distance from grey (its saturation) stay."""
    c, s = np.cos(angle), np.sin(angle)
    u = np.full((3, 3), 1.0 / 3.0)
    cross = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]]) / np.sqrt(3.0)
    return (c * np.eye(3) + (1.0 - c) * u + s * cross).astype(np.float32)


def random_convolution(img: np.ndarray, rng, cfg: AugmentConfig) -> np.ndarray:
    """With ``randconv_prob``, RandConv on an RGB uint8 crop (see :class:`AugmentConfig`).

    The output keeps the input's mean and standard deviation per channel; the blend weight of the
    filtered image is drawn from [0, 1]. Keypoints do not move: the kernel is centred.
    """
    if not cfg.randconv_prob or rng.random() >= cfg.randconv_prob:
        return img
    k = int(rng.choice([1, 3, 5]))
    w = rng.normal(0.0, 1.0 / np.sqrt(3 * k * k), (3, 3, k, k)).astype(np.float32)  # out, in
    x = img.astype(np.float32)
    y = np.empty_like(x)
    for o in range(3):
        y[..., o] = sum(
            cv2.filter2D(x[..., i], -1, w[o, i], borderType=cv2.BORDER_REFLECT) for i in range(3)
        )
    mx, sx = x.mean((0, 1)), x.std((0, 1)) + 1e-3
    my, sy = y.mean((0, 1)), y.std((0, 1)) + 1e-3
    y = (y - my) / sy * sx + mx
    a = rng.random()
    return np.clip(a * x + (1.0 - a) * y, 0, 255).astype(np.uint8)


def lower_resolution(img: np.ndarray, rng, cfg: AugmentConfig) -> np.ndarray:
    """With ``lowres_prob``, shrink the crop by a factor in [1, ``lowres_max``] (area averaging,
    as a camera's smaller image of the person would be) and enlarge it back (bilinear, as the
    crop warp enlarges a small person). The keypoints do not move: both resizes keep the frame."""
    if not cfg.lowres_prob or rng.random() >= cfg.lowres_prob:
        return img
    h, w = img.shape[:2]
    f = rng.uniform(1.0, cfg.lowres_max)
    small = cv2.resize(
        img, (max(1, round(w / f)), max(1, round(h / f))), interpolation=cv2.INTER_AREA
    )
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class Occluder:
    """One occluding rectangle: top-left ``(y0, x0)``, size ``(ph, pw)`` in input pixels, and
    its fill: a flat ``colour`` (3 uint8) or, when None, noise."""

    y0: int
    x0: int
    ph: int
    pw: int
    colour: np.ndarray | None


def draw_occlusion(rng, cfg: AugmentConfig, shape) -> list:
    """With ``occlusion_prob``, 1-2 :class:`Occluder` rectangles on a crop of ``shape`` (h, w),
    each with its noise (``(ph, pw, 3)`` uint8, or None for a flat colour): ``[(rect, noise)]``."""
    if rng.random() >= cfg.occlusion_prob:
        return []
    h, w = shape[:2]
    out = []
    for _ in range(int(rng.integers(1, 3))):
        ph, pw = int(rng.uniform(0.1, 0.35) * h), int(rng.uniform(0.1, 0.35) * w)
        y0, x0 = int(rng.integers(0, h - ph + 1)), int(rng.integers(0, w - pw + 1))
        if rng.random() < 0.5:
            out.append((Occluder(y0, x0, ph, pw, rng.integers(0, 256, 3, dtype=np.uint8)), None))
        else:
            noise = rng.integers(0, 256, (ph, pw, 3), dtype=np.uint8)
            out.append((Occluder(y0, x0, ph, pw, None), noise))
    return out


def occlude(img: np.ndarray, rng, cfg: AugmentConfig) -> np.ndarray:
    """With ``occlusion_prob``, paste 1-2 random rectangles (noise or flat colour) on the crop.

    Keypoint flags are not changed: the network learns to infer occluded joints, as COCO labels
    them (flag 1).
    """
    rects = draw_occlusion(rng, cfg, img.shape)
    if not rects:
        return img
    out = img.copy()
    for r, noise in rects:
        out[r.y0 : r.y0 + r.ph, r.x0 : r.x0 + r.pw] = r.colour if noise is None else noise
    return out
