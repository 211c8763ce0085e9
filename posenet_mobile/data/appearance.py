"""What a synthetic person wears and looks like: skin, hair, garments and their textures.

A look is plain data (a dict) drawn from ``rng``; :mod:`posenet_mobile.data.figure` turns it into
pixels. Colours are RGB in 0..255. Garment edges are fractions along a limb (0 at its proximal
joint, 1 at its distal one), drawn so that they rarely coincide with a joint: a model must find
an elbow inside a sleeve, as on real people, not at a colour change.

Materials (integer ids in the figure's material map): :data:`MATERIALS`.
"""

from __future__ import annotations

import numpy as np

MATERIALS = ("skin", "top", "bottom", "shoes", "hair", "panel", "legwear", "belt")
MAT = {name: i + 1 for i, name in enumerate(MATERIALS)}  # 0: not this person

# Skin tones from very light to very dark as cameras record them (warm, never grey-white), RGB.
SKIN_TONES = np.array(
    [
        [236, 200, 178],
        [228, 185, 158],
        [218, 170, 136],
        [200, 150, 115],
        [185, 135, 100],
        [160, 112, 80],
        [135, 90, 64],
        [108, 70, 50],
        [82, 54, 40],
        [60, 42, 34],
    ],
    np.float64,
)

HAIR_COLOURS = np.array(
    [
        [25, 20, 18],
        [45, 32, 25],
        [75, 50, 32],
        [110, 75, 45],
        [150, 110, 70],
        [200, 165, 110],
        [225, 205, 160],
        [160, 160, 160],
        [120, 50, 30],
        [235, 235, 230],
    ],
    np.float64,
)
HAIR_WEIGHTS = np.array([0.3, 0.2, 0.15, 0.1, 0.06, 0.06, 0.04, 0.05, 0.03, 0.01])

# Common garment colours (what people wear, not uniform RGB noise), with weights.
GARMENT_COLOURS = np.array(
    [
        [20, 20, 22],
        [240, 240, 238],
        [128, 128, 130],
        [70, 70, 75],
        [30, 40, 80],
        [60, 80, 130],
        [150, 170, 200],
        [180, 160, 120],
        [110, 80, 55],
        [80, 90, 50],
        [120, 30, 40],
        [200, 40, 40],
        [230, 150, 160],
        [240, 200, 60],
        [40, 120, 70],
        [230, 110, 40],
        [100, 60, 130],
        [40, 140, 160],
        [200, 190, 170],
    ],
    np.float64,
)
GARMENT_WEIGHTS = np.array([12, 10, 6, 6, 8, 6, 5, 5, 4, 3, 3, 4, 2, 2, 3, 2, 2, 2, 3], np.float64)
DENIM = np.array(
    [[45, 65, 110], [70, 95, 140], [30, 35, 50], [110, 130, 160], [60, 60, 65]], np.float64
)

TOPS = ("tshirt", "long_sleeve", "tank", "jacket", "dress")
TOP_WEIGHTS = np.array([0.36, 0.3, 0.08, 0.16, 0.1])
BOTTOMS = ("trousers", "jeans", "shorts", "skirt")
BOTTOM_WEIGHTS = np.array([0.3, 0.35, 0.2, 0.15])
PATTERNS = ("solid", "stripes", "checks", "dots", "noise", "camo")
PATTERN_WEIGHTS = np.array([0.5, 0.15, 0.1, 0.07, 0.13, 0.05])
HAIR_STYLES = ("short", "medium", "long", "bun", "ponytail", "bald", "cap")
HAIR_STYLE_WEIGHTS = np.array([0.34, 0.2, 0.18, 0.07, 0.07, 0.06, 0.08])


_CDF: dict = {}


def _index(rng, weights) -> int:
    """A weighted choice of an index (``rng.choice(p=...)`` is slow for single draws)."""
    key = id(weights)
    if key not in _CDF:
        w = np.asarray(weights, float)
        _CDF[key] = (weights, np.cumsum(w) / w.sum())
    return int(
        min(np.searchsorted(_CDF[key][1], rng.random(), side="right"), len(_CDF[key][1]) - 1)
    )


def _pick(rng, names, weights):
    return names[_index(rng, weights)]


def garment_colour(rng) -> np.ndarray:
    c = GARMENT_COLOURS[_index(rng, GARMENT_WEIGHTS)]
    c = c * rng.uniform(0.8, 1.15) + rng.normal(0, 10, 3)
    grey = (c[0] + c[1] + c[2]) / 3.0
    return np.minimum(np.maximum(grey + (c - grey) * rng.uniform(0.6, 1.2), 0.0), 255.0)


def texture(rng, kind: str | None = None) -> dict:
    """A procedural fabric pattern: ``kind``, a second colour, a scale (pixels at 256 px) and a phase."""
    kind = kind or _pick(rng, PATTERNS, PATTERN_WEIGHTS)
    return {
        "kind": kind,
        "colour2": garment_colour(rng),
        "scale": float(rng.uniform(3.0, 12.0)),
        "phase": float(rng.uniform(0, 2 * np.pi)),
        "angle": float(rng.uniform(0, np.pi)),
        "strength": float(rng.uniform(0.4, 1.0)),
    }


def sample_look(rng, textures: bool = True) -> dict:
    """A person's appearance: skin, hair style and colour, top, bottom, shoes and accessories.

    Garment edges: ``sleeve`` (along the arm, 0 shoulder to 2 wrist: 0..1 upper arm, 1..2
    forearm; 0 means sleeveless), ``leg`` (along the leg, 0 hip to 2 ankle; skirts and dresses
    give the hem instead), each away from the elbow (1) and knee (1) by at least 0.12.
    """
    skin = SKIN_TONES[int(rng.integers(len(SKIN_TONES)))] * rng.uniform(0.9, 1.06) + rng.normal(
        0, 4, 3
    )
    top = _pick(rng, TOPS, TOP_WEIGHTS)
    bottom = "skirt" if top == "dress" else _pick(rng, BOTTOMS, BOTTOM_WEIGHTS)
    sleeve = {
        "tshirt": rng.uniform(0.3, 0.85),
        "long_sleeve": rng.choice([rng.uniform(1.88, 1.97), rng.uniform(1.3, 1.75)], p=[0.8, 0.2]),
        "tank": 0.0,
        "jacket": rng.uniform(1.9, 1.98),
        "dress": rng.choice([0.0, rng.uniform(0.3, 0.8)]),
    }[top]
    leg = {
        "trousers": rng.uniform(1.9, 1.98),
        "jeans": rng.uniform(1.9, 1.98),
        "shorts": rng.uniform(0.35, 0.85),
        "skirt": rng.uniform(0.35, 1.5),
    }[bottom]
    if 0.88 < leg < 1.12:
        leg = 0.85 if leg < 1.0 else 1.15
    top_colour = garment_colour(rng)
    bottom_colour = (
        DENIM[int(rng.integers(len(DENIM)))] * rng.uniform(0.85, 1.15)
        if bottom == "jeans"
        else garment_colour(rng)
    )
    if top == "dress":
        bottom_colour = top_colour
    style = _pick(rng, HAIR_STYLES, HAIR_STYLE_WEIGHTS)
    hair = HAIR_COLOURS[_index(rng, HAIR_WEIGHTS)] * rng.uniform(0.85, 1.15)
    plain = {
        "kind": "solid",
        "colour2": top_colour,
        "scale": 6.0,
        "phase": 0.0,
        "angle": 0.0,
        "strength": 0.0,
    }
    top_tex = texture(rng)  # drawn even when unused, so textures=False changes nothing else
    bottom_tex = (
        texture(rng, "denim")
        if bottom == "jeans"
        else texture(rng, rng.choice(["solid", "solid", "noise", "checks", "stripes"]))
    )
    if not textures:
        top_tex = bottom_tex = plain
    if top == "dress":
        bottom_tex = top_tex
    panel = None  # a front-only cue on the chest: open jacket, print/logo, V neck, buttons
    r = rng.random()
    if top == "jacket":
        panel = {
            "kind": "open",
            "colour": garment_colour(rng),
            "width": rng.uniform(0.25, 0.55),
            "length": 1.0,
        }
    elif r < 0.35:
        panel = {
            "kind": "logo",
            "colour": garment_colour(rng),
            "width": rng.uniform(0.25, 0.6),
            "length": rng.uniform(0.2, 0.45),
        }
    elif r < 0.6:
        panel = {
            "kind": "vneck",
            "colour": skin,
            "width": rng.uniform(0.3, 0.55),
            "length": rng.uniform(0.12, 0.3),
        }
    elif r < 0.75:
        panel = {
            "kind": "placket",
            "colour": np.clip(top_colour * 0.5, 0, 255),
            "width": 0.08,
            "length": 1.0,
        }
    legwear = skin
    if bottom in ("skirt", "shorts") and rng.random() < 0.25:
        legwear = garment_colour(rng) * 0.5  # tights, long socks
    shoes = garment_colour(rng) * rng.uniform(0.3, 1.0)
    return {
        "skin": np.clip(skin, 0, 255),
        "top": top,
        "bottom": bottom,
        "sleeve": float(sleeve),
        "leg": float(leg),
        "top_colour": np.clip(top_colour, 0, 255),
        "bottom_colour": np.clip(bottom_colour, 0, 255),
        "top_texture": top_tex,
        "bottom_texture": bottom_tex,
        "panel": panel,
        "legwear": np.clip(legwear, 0, 255),
        "shoes": np.clip(shoes, 0, 255),
        "shoe_kind": "boot" if rng.random() < 0.15 else "shoe",
        "hair_style": style,
        "hair": np.clip(hair, 0, 255),
        "belt": rng.random() < 0.3 and bottom != "skirt",
        "belt_colour": np.clip(garment_colour(rng) * 0.4, 0, 255),
        "gloves": rng.random() < 0.04,
        "face": int(rng.integers(100)),
        "beard": rng.random() < 0.12,
        "glasses": rng.random() < 0.12,
        "fit": float(rng.uniform(1.0, 1.15)),
    }


def material_colours(look: dict) -> dict:
    """Base colour per material id for ``look``."""
    return {
        MAT["skin"]: look["skin"],
        MAT["top"]: look["top_colour"],
        MAT["bottom"]: look["bottom_colour"],
        MAT["shoes"]: look["shoes"],
        MAT["hair"]: look["hair"],
        MAT["panel"]: (look["panel"] or {}).get("colour", look["top_colour"]),
        MAT["legwear"]: look["legwear"],
        MAT["belt"]: look["belt_colour"],
    }


# A fixed noise tile (the same for every image: a texture, not randomness).
_NOISE = np.random.default_rng(12345).normal(0, 1, (64, 64)).astype(np.float32)


def albedo(tex: dict, base, xs, ys, axis_angle: float = 0.0) -> np.ndarray:
    """Colours ``(N, 3)`` float32 of pixels at image coordinates ``xs``, ``ys`` (N,) wearing
    pattern ``tex`` over ``base``; stripes and checks run across the garment's axis
    (``axis_angle``, radians in the image)."""
    base = np.asarray(base, np.float32)
    kind, s = tex["kind"], tex["scale"]
    n = len(xs)
    if kind == "solid" or n == 0:
        return _outer(1 + 0.04 * _NOISE[ys % 64, xs % 64], base).astype(np.float32)
    c2 = np.asarray(tex.get("colour2", base), np.float32)
    a = axis_angle if kind in ("stripes", "checks", "denim") else tex.get("angle", 0.0)
    u = xs * np.cos(a) + ys * np.sin(a)  # along the axis
    v = -xs * np.sin(a) + ys * np.cos(a)  # across it
    if kind == "stripes":
        w = (np.sin(u * (2 * np.pi / s) + tex["phase"]) > 0.2).astype(np.float32)
    elif kind == "checks":
        w = 0.5 * ((np.floor(u / s) + np.floor(v / s)) % 2) + 0.25 * ((np.floor(u / (s * 0.5))) % 2)
    elif kind == "dots":
        w = ((np.sin(u * 6.28 / s) * np.sin(v * 6.28 / s)) > 0.6).astype(np.float32)
    elif kind == "camo":
        big = _NOISE[(xs // 6) % 64, (ys // 6) % 64] + 0.5 * _NOISE[(ys // 3) % 64, (xs // 3) % 64]
        w = (big > 0.3).astype(np.float32)
    elif kind == "denim":
        w = 0.5 + 0.25 * _NOISE[ys % 64, xs % 64] + 0.15 * np.sin(v * 1.7)
        return _outer(0.8 + 0.4 * w, base).astype(np.float32)
    else:  # noise: heathered knit
        w = 0.5 + 0.35 * _NOISE[ys % 64, xs % 64]
        return _outer(0.85 + 0.3 * w, base).astype(np.float32)
    w = w * tex.get("strength", 1.0)
    return (_outer(1 - w, base) + _outer(w, c2)).astype(np.float32)


def _outer(w, colour) -> np.ndarray:
    """``colour[None] * w[:, None]`` ``(N, 3)``, computed channel by channel (a long inner loop;
    NumPy's broadcast over 3 channels is slow) with the same values."""
    return (np.asarray(colour)[:, None] * w[None, :]).T
