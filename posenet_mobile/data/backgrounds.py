"""Backgrounds without a scene layout: crops of scikit-image's bundled photographs and smooth
procedural noise with stripes or checks (RGB uint8). The capsule generator draws people over them,
and :mod:`posenet_mobile.data.scene` uses them as ``photo`` and ``procedural`` scenes and as wall
textures."""

from __future__ import annotations

import glob
import os

import cv2
import numpy as np


# skimage's bundled sample photographs (installed with the package; no download). Pictures of
# people (astronaut, camera) are left out: an unlabelled person would be label noise.
_PHOTO_NAMES = (
    "brick",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "ihc",
    "moon",
    "motorcycle_left",
    "retina",
    "rocket",
    "text",
    "clock_motion",
    "color",
    "chessboard_RGB",
    "logo",
    "cell",
    "microaneurysms",
)


_photo_cache: list | None = None


def background_photos() -> list:
    """RGB uint8 photographs from scikit-image's bundled data (empty if it is not installed)."""
    global _photo_cache
    if _photo_cache is None:
        photos = []
        try:
            import skimage

            folder = os.path.join(os.path.dirname(skimage.__file__), "data")
        except ImportError:
            folder = None
        for name in _PHOTO_NAMES if folder else ():
            for path in sorted(glob.glob(os.path.join(folder, name + ".*"))):
                img = cv2.imread(path, cv2.IMREAD_COLOR)
                if img is not None and min(img.shape[:2]) >= 64:
                    photos.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
                    break
        _photo_cache = photos
    return _photo_cache


def procedural_background(rng, h: int, w: int) -> np.ndarray:
    """Smooth value noise + gradient + optional stripes/checks, RGB uint8 ``(h, w, 3)``."""
    g = int(rng.integers(2, 12))
    small = rng.uniform(0, 255, (g, g, 3)).astype(np.float32)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    fine = cv2.resize(
        rng.uniform(-40, 40, (g * 6, g * 6, 3)).astype(np.float32),
        (w, h),
        interpolation=cv2.INTER_LINEAR,
    )
    img += fine * rng.uniform(0, 1)
    kind = rng.integers(4)
    if kind == 1:  # stripes
        ang, freq = rng.uniform(0, np.pi), rng.uniform(0.03, 0.3)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        wave = np.sin((xx * np.cos(ang) + yy * np.sin(ang)) * freq)[..., None]
        img += wave * rng.uniform(20, 70) * rng.uniform(0.3, 1, 3).astype(np.float32)
    elif kind == 2:  # checks / tiles
        cell = int(rng.integers(8, 48))
        yy, xx = np.mgrid[0:h, 0:w]
        chk = (((xx // cell) + (yy // cell)) % 2).astype(np.float32)[..., None]
        img = img * (0.7 + 0.3 * chk)
    return np.clip(img, 0, 255).astype(np.uint8)


def photo_background(rng, h: int, w: int, photos: list) -> np.ndarray:
    src = photos[int(rng.integers(len(photos)))]
    sh, sw = src.shape[:2]
    side = rng.uniform(0.3, 1.0) * min(sh, sw)
    ch, cw = int(side * rng.uniform(0.8, 1.0)), int(side * rng.uniform(0.8, 1.0))
    y0, x0 = int(rng.integers(0, sh - ch + 1)), int(rng.integers(0, sw - cw + 1))
    img = cv2.resize(src[y0 : y0 + ch, x0 : x0 + cw], (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    tint = rng.uniform(0.7, 1.2, 3)
    # img * tint in float64 (OpenCV's per-channel product: NumPy's broadcast is far slower)
    out = cv2.multiply(np.ascontiguousarray(img, np.float64), (*tint.tolist(), 0.0))
    return np.clip(out, 0, 255).astype(np.uint8)


def make_background(rng, h: int, w: int) -> np.ndarray:
    photos = background_photos()
    if photos and rng.random() < 0.6:
        return photo_background(rng, h, w, photos)
    return procedural_background(rng, h, w)
