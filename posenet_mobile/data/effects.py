"""Image-level effects of the synthetic generators: random occluding shapes, and a camera's
lighting change, blur and sensor noise.

OpenCV draws with pixel centres on integers and sub-pixel positions in fixed point: drawing
subtracts 0.5 from continuous coordinates and scales by ``2**SHIFT``."""

from __future__ import annotations

import cv2
import numpy as np


SHIFT = 4  # OpenCV fixed-point bits for sub-pixel drawing
SCALE = float(1 << SHIFT)


def fixed_pt(xy):
    return (int(round((xy[0] - 0.5) * SCALE)), int(round((xy[1] - 0.5) * SCALE)))


def add_occluders(img, rng, count):
    """Draw ``count`` random occluding objects; returns their union mask (bool)."""
    h, w = img.shape[:2]
    occ = np.zeros((h, w), np.uint8)
    for _ in range(count):
        col = tuple(float(v) for v in rng.uniform(0, 255, 3))
        kind = rng.integers(3)
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sx, sy = rng.uniform(0.05, 0.3) * w, rng.uniform(0.05, 0.3) * h
        if kind == 0:
            box = ((cx, cy), (sx * 2, sy * 2), rng.uniform(0, 180))
            pts = cv2.boxPoints(box)
            pts = np.round((pts - 0.5) * SCALE).astype(np.int32)
            cv2.fillConvexPoly(occ, pts, 255, cv2.LINE_8, SHIFT)
            cv2.fillConvexPoly(img, pts, col, cv2.LINE_AA, SHIFT)
        elif kind == 1:
            ax = (int(sx * SCALE), int(sy * SCALE))
            cv2.ellipse(
                occ, fixed_pt((cx, cy)), ax, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_8, SHIFT
            )
            cv2.ellipse(
                img,
                fixed_pt((cx, cy)),
                ax,
                rng.uniform(0, 180),
                0,
                360,
                col,
                -1,
                cv2.LINE_AA,
                SHIFT,
            )
        else:
            n = int(rng.integers(3, 7))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            pts = np.stack([cx + sx * np.cos(ang), cy + sy * np.sin(ang)], -1)
            pts = np.round((pts - 0.5) * SCALE).astype(np.int32)
            cv2.fillPoly(occ, [pts], 255, cv2.LINE_8, SHIFT)
            cv2.fillPoly(img, [pts], col, cv2.LINE_AA, SHIFT)
    return occ > 0


def photometric(img, rng):
    """Lighting change (gain, gamma, colour cast, gradient), blur and sensor noise, in place-safe."""
    h, w = img.shape[:2]
    x = img.astype(np.float32)
    gain = rng.uniform(0.6, 1.35) * rng.uniform(0.9, 1.1, 3)
    ang = rng.uniform(0, 2 * np.pi)
    ramp = np.cos(ang) * (np.arange(w)[None, :] / w - 0.5) + np.sin(ang) * (
        np.arange(h)[:, None] / h - 0.5
    )
    x = x * gain * (1 + rng.uniform(0, 0.6) * ramp[..., None])
    gamma = rng.uniform(0.7, 1.4)
    x = 255.0 * np.power(np.clip(x, 0, 255) / 255.0, gamma)
    if rng.random() < 0.35:
        k = int(rng.choice([3, 5]))
        x = cv2.GaussianBlur(x, (k, k), rng.uniform(0.5, 1.5))
    if rng.random() < 0.5:
        x += cv2.resize(
            rng.normal(0, rng.uniform(2, 10), (h // 2, w // 2, 3)).astype(np.float32),
            (w, h),
            interpolation=cv2.INTER_NEAREST,
        )
    return np.clip(x, 0, 255).astype(np.uint8)
