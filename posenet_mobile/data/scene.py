"""Where synthetic people stand and how the camera sees them: scenes, furniture, shadows, and
camera effects.

Scenes (RGB uint8, ``(h, w, 3)``):

* ``indoor``: a floor in perspective (wood, tiles, carpet) below a wall (paint, wallpaper,
  brick or stone from the bundled photographs), a skirting board, a door or window;
* ``outdoor``: sky (clear, hazy, overcast), a far band of trees or buildings, and ground (grass,
  asphalt with markings, sand, snow, court);
* ``photo``: a crop of scikit-image's bundled photographs (:func:`backgrounds.background_photos`);
* ``procedural``: the value-noise backgrounds of the capsule generator.

Furniture (tables, chairs, sofas, boxes, posts) stands on the floor behind or in front of the
person; in front it occludes and is returned as a mask. Shadows are soft ellipses on the ground
at the feet, cast away from the light. Camera effects: defocus, motion blur, sensor noise,
colour casts, vignetting (JPEG is applied when the image is written).
"""

from __future__ import annotations

import cv2
import numpy as np

from . import appearance as A
from .backgrounds import background_photos, photo_background, procedural_background

SCENES = ("indoor", "outdoor", "photo", "procedural")
SCENE_WEIGHTS = (0.36, 0.32, 0.24, 0.08)
SHIFT = 3
_S = float(1 << SHIFT)
#: Sensor-noise tile (fixed: the randomness is where it is read from).
_TILE = np.random.default_rng(4321).normal(0, 1, (512, 512, 3)).astype(np.float32)


def _fx(pts):
    return np.round((np.asarray(pts, float) - 0.5) * _S).astype(np.int32)


def _noise(rng, h, w, cells, amp):
    g = rng.normal(0, amp, (max(2, h // cells), max(2, w // cells), 1)).astype(np.float32)
    return cv2.resize(g, (w, h), interpolation=cv2.INTER_CUBIC)[..., None] if g.shape[2] == 1 else g


def _paint(dst, colour):
    """``dst[:] = colour`` for a float32 ``(h, w, 3)`` view and a colour ``(3,)`` or one per row
    ``(h, 1, 3)``: OpenCV repeats it, where NumPy broadcasting a 3-channel value runs a slow
    inner loop. The same values either way."""
    col = np.asarray(colour, np.float32).reshape(-1, 1, 3)
    if dst.size:
        dst[:] = cv2.repeat(col, 1 if len(col) == len(dst) else len(dst), dst.shape[1])


def _rgb(grey) -> np.ndarray:
    """A grey ``(h, w, 1)`` or ``(h, w)`` float32 map as ``(h, w, 3)``, to add to or multiply an
    image: NumPy broadcasts a last axis of 1 with a slow inner loop."""
    g = grey[..., 0] if grey.ndim == 3 else grey
    return cv2.merge([g, g, g]) if g.size else np.zeros((*g.shape, 3), g.dtype)


def _tint(rng, base, jitter=18.0):
    return np.clip(np.asarray(base, float) + rng.normal(0, jitter, 3), 0, 255)


def _photo_tex(rng, h, w):
    photos = background_photos()
    if photos and rng.random() < 0.5:
        return photo_background(rng, h, w, photos).astype(np.float32)
    return None


def indoor(rng, h, w, horizon):
    """Wall above ``horizon`` (pixels from the top), floor below it with perspective lines."""
    img = np.empty((h, w, 3), np.float32)
    wall = _tint(rng, [rng.uniform(120, 240)] * 3, 30) * rng.uniform(0.6, 1.05, 3).clip(0.7, 1.0)
    _paint(img, wall)
    hz = int(np.clip(horizon, 0, h))
    kind = rng.integers(4)
    if kind == 1:  # wallpaper stripes
        period = rng.uniform(6, 30)
        xs = np.arange(w)
        img[:hz] *= (1 - 0.12 * (np.sin(xs * 2 * np.pi / period) > 0))[None, :, None]
    elif kind == 2:
        tex = _photo_tex(rng, h, w)
        if tex is not None:
            img[:hz] = 0.5 * img[:hz] + 0.5 * tex[:hz]
    img[:hz] += _rgb(_noise(rng, hz if hz > 1 else 2, w, 16, 6)[:hz])
    floor = _tint(rng, A.GARMENT_COLOURS[int(rng.integers(len(A.GARMENT_COLOURS)))] * 0.5 + 60, 20)
    _paint(img[hz:], floor)
    fk = rng.integers(3)
    vp = np.array([rng.uniform(-0.2, 1.2) * w, hz])
    if fk == 0:  # planks / tiles converging to the vanishing point
        n = int(rng.integers(8, 24))
        for x in np.linspace(-w, 2 * w, n):
            cv2.line(
                img,
                tuple(_fx(vp)),
                tuple(_fx((x, h * 1.2))),
                tuple(float(v) for v in floor * 0.75),
                1,
                cv2.LINE_AA,
                SHIFT,
            )
        for k in range(1, int(rng.integers(3, 10))):
            y = hz + (h - hz) * (k / 10.0) ** 1.6
            cv2.line(
                img,
                tuple(_fx((0, y))),
                tuple(_fx((w, y))),
                tuple(float(v) for v in floor * 0.8),
                1,
                cv2.LINE_AA,
                SHIFT,
            )
    elif fk == 1:
        tex = _photo_tex(rng, h, w)
        if tex is not None:
            img[hz:] = 0.4 * img[hz:] + 0.6 * tex[hz:]
    if h - hz > 1:
        img[hz:] += _rgb(_noise(rng, h - hz, w, 8, 8))
        grad = np.linspace(0.8, 1.1, h - hz, dtype=np.float32)[:, None, None]
        img[hz:] *= grad
    if 0 < hz < h:  # skirting board
        th = max(1, int(rng.uniform(0.005, 0.02) * h))
        img[max(0, hz - th) : hz] = _tint(rng, [rng.uniform(60, 240)] * 3, 10)
    if rng.random() < 0.6 and hz > 10:  # a door, window or picture on the wall
        x0 = rng.uniform(0, w * 0.8)
        ww, hh = rng.uniform(0.1, 0.35) * w, rng.uniform(0.2, 0.8) * hz
        y1 = hz if rng.random() < 0.5 else rng.uniform(hh, hz)
        col = _tint(rng, [rng.uniform(30, 250)] * 3, 40)
        cv2.rectangle(
            img,
            tuple(_fx((x0, y1 - hh))),
            tuple(_fx((x0 + ww, y1))),
            tuple(float(v) for v in col),
            -1,
            cv2.LINE_AA,
            SHIFT,
        )
        cv2.rectangle(
            img,
            tuple(_fx((x0, y1 - hh))),
            tuple(_fx((x0 + ww, y1))),
            tuple(float(v) for v in col * 0.6),
            1,
            cv2.LINE_AA,
            SHIFT,
        )
    return img


def outdoor(rng, h, w, horizon):
    img = np.empty((h, w, 3), np.float32)
    hz = int(np.clip(horizon, 0, h))
    sky = rng.integers(3)
    top = {0: [90, 140, 220], 1: [170, 190, 215], 2: [185, 185, 190]}[int(sky)]
    bottom = {0: [190, 215, 240], 1: [220, 225, 230], 2: [215, 215, 218]}[int(sky)]
    t = np.linspace(0, 1, max(hz, 1), dtype=np.float32)[:, None, None]
    _paint(
        img[:hz], (np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t)[:hz]
    )
    if hz > 4 and rng.random() < 0.8:  # a band of trees or buildings
        band = int(rng.uniform(0.05, 0.45) * hz)
        xs = np.arange(w)
        if rng.random() < 0.5:  # trees: a bumpy green-brown band
            prof = hz - band * (
                0.6 + 0.4 * _noise(rng, 1, w, 12, 1.0)[0, :, 0].clip(-1.5, 1.5) / 1.5
            )
            col = _tint(rng, [50, 80, 45], 20)
        else:  # buildings: a stepped grey band with windows
            steps = np.repeat(rng.uniform(0.3, 1.0, w // 12 + 2), 12)[:w]
            prof = hz - band * steps
            col = _tint(rng, [rng.uniform(90, 200)] * 3, 25)
        yy = np.arange(hz)[:, None]
        m = yy >= prof[None, :]
        shade = (0.85 + 0.3 * _noise(rng, hz, w, 6, 0.3)[..., 0])[m]
        img[:hz][m] = col[None] * shade[:, None]
        del xs
    ground = rng.integers(5)
    base = {
        0: [70, 120, 50],
        1: [100, 100, 105],
        2: [200, 180, 140],
        3: [235, 238, 242],
        4: [150, 80, 60],
    }[int(ground)]
    gh = h - hz
    if gh > 0:
        _paint(img[hz:], _tint(rng, base, 15))
        amp = {0: 22, 1: 10, 2: 14, 3: 6, 4: 8}[int(ground)]
        img[hz:] += _rgb(_noise(rng, gh, w, 3, amp) + _noise(rng, gh, w, 20, amp))
        if ground in (1, 4) and rng.random() < 0.6:  # road or court markings
            vp = np.array([rng.uniform(0, w), hz])
            for x in rng.uniform(-w, 2 * w, int(rng.integers(1, 4))):
                cv2.line(
                    img,
                    tuple(_fx(vp)),
                    tuple(_fx((x, h * 1.3))),
                    (235.0, 235.0, 235.0),
                    max(1, int(rng.uniform(0.005, 0.02) * w)),
                    cv2.LINE_AA,
                    SHIFT,
                )
        img[hz:] *= np.linspace(0.85, 1.1, gh, dtype=np.float32)[:, None, None]
    return img


def make_scene(
    rng, h: int, w: int, horizon: float, kind: str | None = None
) -> tuple[np.ndarray, str]:
    """A background and its kind (see the module docstring); ``horizon`` in pixels from the top."""
    kind = (
        kind
        or SCENES[int(rng.choice(len(SCENES), p=np.asarray(SCENE_WEIGHTS) / np.sum(SCENE_WEIGHTS)))]
    )
    if kind == "indoor":
        img = indoor(rng, h, w, horizon)
    elif kind == "outdoor":
        img = outdoor(rng, h, w, horizon)
    elif kind == "photo" and background_photos():
        img = photo_background(rng, h, w, background_photos()).astype(np.float32)
    else:
        kind = "procedural"
        img = procedural_background(rng, h, w).astype(np.float32)
        grey = img.mean(-1, keepdims=True)
        img = grey + (img - grey) * rng.uniform(
            0.2, 0.7
        )  # less saturated than the capsule backgrounds
    return np.clip(img, 0, 255).astype(np.uint8), kind


def clutter(img, rng) -> np.ndarray:
    """Dead-leaves clutter laid over a background: overlapping shapes at every scale (ellipses,
    boxes and long bars as wide as limbs), coloured from the background's own pixels or at
    random, each with a shading gradient and grain. A photograph's background is full of edges,
    and some of them are limb-shaped; a person must be found by more than "the edgy thing".
    Returns the new image (RGB uint8, the shape of ``img``)."""
    h, w = img.shape[:2]
    out = img.astype(np.float32)
    layer = out.copy()
    n = int(rng.integers(25, 110))
    lo, hi = 0.015 * w, 0.45 * w
    sizes = lo * (hi / lo) ** (rng.random(n) ** 1.7)  # many small shapes, a few large ones
    for r in np.sort(sizes)[::-1]:  # large ones first, so the small ones stay visible
        if rng.random() < 0.6:
            col = img[int(rng.integers(h)), int(rng.integers(w))].astype(float) * rng.uniform(
                0.5, 1.4
            )
        else:  # at random, but muted: a scene's colours are rarely pure
            col = rng.uniform(0, 255, 3)
            col = col.mean() + (col - col.mean()) * rng.uniform(0.2, 0.8)
        cx, cy, ang = rng.uniform(-0.1, 1.1) * w, rng.uniform(-0.1, 1.1) * h, rng.uniform(0, np.pi)
        kind = rng.choice(3, p=(0.4, 0.35, 0.25))
        if kind == 2:  # a bar: about a limb's width, several times as long
            a, b = r, max(1.5, r * rng.uniform(0.08, 0.3))
        else:
            a, b = r, r * rng.uniform(0.3, 1.0)
        ca, sa = np.cos(ang), np.sin(ang)
        if kind == 0:
            t = np.linspace(0, 2 * np.pi, 24, endpoint=False)
            pts = np.stack([a * np.cos(t), b * np.sin(t)], 1)
        else:
            pts = np.array([[-a, -b], [a, -b], [a, b], [-a, b]], float)
        poly = pts @ np.array([[ca, sa], [-sa, ca]]) + [cx, cy]
        x0, y0 = np.floor(np.clip(poly.min(0), 0, [w, h])).astype(int)
        x1, y1 = np.ceil(np.clip(poly.max(0), 0, [w, h])).astype(int)
        if x1 - x0 < 1 or y1 - y0 < 1:
            continue
        m = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.fillPoly(m, [_fx(poly - [x0, y0])], 255, cv2.LINE_AA, SHIFT)
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        g = 1.0 + rng.uniform(-0.35, 0.35) * ((xx - cx) * ca + (yy - cy) * sa) / max(a, 1.0)
        patch = np.clip(col, 0, 255).astype(np.float32) * g[..., None]
        al = (m.astype(np.float32) / 255.0)[..., None]
        roi = layer[y0:y1, x0:x1]
        layer[y0:y1, x0:x1] = roi * (1 - al) + patch * al
    layer += _rgb(_noise(rng, h, w, int(rng.integers(1, 4)), rng.uniform(2, 12)))
    mix = rng.uniform(0.7, 1.0)  # a little of the scene's light shows through
    return np.clip(layer * mix + out * (1 - mix), 0, 255).astype(np.uint8)


def furniture(img, rng, ground_y: float, scale_px: float, mask=None):
    """One piece of furniture standing at image height ``ground_y`` (its base), about
    ``scale_px`` (a person's height in pixels) tall at most; drawn into ``img``; its pixels set
    in ``mask`` (bool) when given. Returns the piece's kind."""
    h, w = img.shape[:2]
    kind = ("table", "chair", "sofa", "box", "post")[int(rng.integers(5))]
    col = _tint(rng, A.GARMENT_COLOURS[int(rng.integers(len(A.GARMENT_COLOURS)))] * 0.7 + 30, 20)
    dark = tuple(float(v) for v in col * 0.6)
    colt = tuple(float(v) for v in col)
    x = rng.uniform(-0.1, 1.1) * w
    sz = (
        scale_px
        * {"table": 0.45, "chair": 0.5, "sofa": 0.45, "box": 0.3, "post": 1.2}[kind]
        * rng.uniform(0.7, 1.3)
    )
    wid = sz * {"table": 1.4, "chair": 0.5, "sofa": 1.8, "box": 0.9, "post": 0.08}[kind]
    layer = np.zeros((h, w), np.uint8)
    shapes = []
    if kind in ("table", "chair"):
        top = ground_y - sz * (0.65 if kind == "table" else 0.45)
        shapes.append(((x, top), (x + wid, top + sz * 0.06)))
        for lx in (x + wid * 0.05, x + wid * 0.9):
            shapes.append(((lx, top), (lx + wid * 0.05, ground_y)))
        if kind == "chair":
            shapes.append(((x + wid * 0.85, ground_y - sz), (x + wid, top)))
    elif kind == "sofa":
        shapes.append(((x, ground_y - sz * 0.45), (x + wid, ground_y)))
        shapes.append(((x, ground_y - sz * 0.8), (x + wid, ground_y - sz * 0.4)))
    else:
        shapes.append(((x, ground_y - sz), (x + wid, ground_y)))
    for a, b in shapes:
        cv2.rectangle(img, tuple(_fx(a)), tuple(_fx(b)), colt, -1, cv2.LINE_AA, SHIFT)
        cv2.rectangle(img, tuple(_fx(a)), tuple(_fx(b)), dark, 1, cv2.LINE_AA, SHIFT)
        cv2.rectangle(layer, tuple(_fx(a)), tuple(_fx(b)), 255, -1, cv2.LINE_8, SHIFT)
    if mask is not None:
        mask |= layer > 0
    return kind


def ground_shadow(img, feet_xy, width_px: float, light_dir, strength: float):
    """Darken a soft ellipse on the ground around ``feet_xy`` (image pixels), stretched away
    from the light (``light_dir``, camera frame: the shadow falls along its x)."""
    h, w = img.shape[:2]
    cx, cy = float(feet_xy[0]), float(feet_xy[1])
    if not (np.isfinite(cx) and np.isfinite(cy)):
        return
    lx = float(light_dir[0])
    ax, ay = width_px * (0.6 + 0.8 * abs(lx)), width_px * 0.16
    cx += lx * width_px * 0.5
    pad = int(ax + 6)
    x0, x1 = max(0, int(cx - pad)), min(w, int(cx + pad))
    y0, y1 = max(0, int(cy - ay - 6)), min(h, int(cy + ay + 6))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    m = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.ellipse(
        m,
        (int(cx - x0), int(cy - y0)),
        (max(int(ax), 1), max(int(ay), 1)),
        0,
        0,
        360,
        1.0,
        -1,
        cv2.LINE_AA,
    )
    m = cv2.GaussianBlur(m, (0, 0), max(ay * 0.6, 0.8))
    roi = img[y0:y1, x0:x1].astype(np.float32)
    img[y0:y1, x0:x1] = np.clip(roi * (1 - strength * m[..., None]), 0, 255).astype(np.uint8)


_VIGNETTE: dict = {}


def _radial(h, w):
    key = (h, w)
    if key not in _VIGNETTE:
        yy, xx = np.ogrid[0:h, 0:w]
        d = ((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2
        _VIGNETTE[key] = _rgb((np.clip(d, 0, 2) / 2).astype(np.float32))
    return _VIGNETTE[key]


def camera_effects(img, rng) -> np.ndarray:
    """Exposure, white balance, defocus or motion blur, vignetting and sensor noise (RGB uint8)."""
    h, w = img.shape[:2]
    gain = rng.uniform(0.7, 1.3) * rng.normal(1.0, 0.06, 3).clip(
        0.85, 1.15
    )  # exposure and white balance
    gamma = rng.uniform(0.8, 1.25)
    levels = np.arange(256, dtype=np.float32)[:, None] * gain[None].astype(np.float32)
    lut = (255.0 * np.power(np.clip(levels, 0, 255) / 255.0, gamma)).round().astype(np.uint8)
    x = cv2.LUT(np.ascontiguousarray(img), lut.reshape(256, 1, 3))
    r = rng.random()
    if r < 0.25:  # defocus
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.5, 1.8))
    elif r < 0.4:  # motion blur along a random direction
        n = int(rng.integers(3, 9))
        k = np.zeros((n, n), np.float32)
        ang = rng.uniform(0, np.pi)
        cv2.line(
            k,
            (int(n / 2 - np.cos(ang) * n / 2), int(n / 2 - np.sin(ang) * n / 2)),
            (int(n / 2 + np.cos(ang) * n / 2), int(n / 2 + np.sin(ang) * n / 2)),
            1.0,
            1,
        )
        x = cv2.filter2D(x, -1, k / max(k.sum(), 1.0))
    vig = rng.random() < 0.4
    noise = rng.random() < 0.45
    if not (vig or noise):
        return x
    x = x.astype(np.float32)
    if vig:
        x *= 1 - rng.uniform(0.1, 0.35) * _radial(h, w)
    if noise:  # sensor noise: luminance and some chroma (read from a fixed tile at a random place)
        sig = rng.uniform(1.0, 6.0)
        th, tw = _TILE.shape[:2]
        if h <= th and w <= tw:
            oy, ox = int(rng.integers(th - h + 1)), int(rng.integers(tw - w + 1))
            lum = _TILE[oy : oy + h, ox : ox + w, :1]
            cy, cx = int(rng.integers(th - h // 2)), int(rng.integers(tw - w // 2))
            chroma = cv2.resize(_TILE[cy : cy + max(h // 2, 1), cx : cx + max(w // 2, 1)], (w, h))
        else:
            lum = rng.normal(0, 1, (h, w, 1)).astype(np.float32)
            chroma = cv2.resize(
                rng.normal(0, 1, (max(h // 2, 1), max(w // 2, 1), 3)).astype(np.float32), (w, h)
            )
        t = chroma * 0.5  # x += sig * (lum + 0.5 * chroma), without temporaries
        t += _rgb(lum)
        t *= sig
        x += t
    return np.clip(x, 0, 255).astype(np.uint8)


def camera_tone(img, rng) -> np.ndarray:
    """A camera's processing after the sensor (RGB uint8): levels stretched towards the full
    range, an S-shaped tone curve and sharpening (an unsharp mask), each by a random amount.
    Phone and consumer cameras apply all three to every photograph; without them a rendered
    image keeps the flat tones and soft edges of its own lighting and blur."""
    grey = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    cdf = np.cumsum(cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel())
    cdf /= max(cdf[-1], 1.0)
    lo = float(np.searchsorted(cdf, rng.uniform(0.005, 0.03)))
    hi = float(np.searchsorted(cdf, rng.uniform(0.97, 0.995)))
    to_lo, to_hi = rng.uniform(0.0, 20.0), rng.uniform(235.0, 255.0)
    stretch = rng.uniform(0.3, 1.0)  # how far towards the full range
    v = np.arange(256, dtype=np.float32)
    full = (v - lo) * ((to_hi - to_lo) / max(hi - lo, 16.0)) + to_lo
    v = v + stretch * (full - v)
    t = np.clip(v / 255.0, 0.0, 1.0)  # S-curve: a blend towards smoothstep
    v = 255.0 * (t + rng.uniform(0.0, 0.6) * (t * t * (3.0 - 2.0 * t) - t))
    x = cv2.LUT(np.ascontiguousarray(img), np.clip(v, 0, 255).round().astype(np.uint8))
    if rng.random() < 0.8:
        amount = rng.uniform(0.3, 1.5)
        soft = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.6, 1.6))
        x = cv2.addWeighted(x, 1.0 + amount, soft, -amount, 0.0)
    return x
