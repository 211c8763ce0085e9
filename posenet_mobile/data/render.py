"""Render synthetic people: depth-sorted shaded 3D capsules and spheres over real or procedural
backgrounds, with occluders, truncation, blur, noise and lighting changes.

Image frame: continuous pixel coordinates with pixel ``i`` centred on ``i + 0.5`` (see
:mod:`posenet_mobile.codec`); OpenCV draws with centres on integers, so drawing subtracts 0.5.
Camera frame: x right, y down, z forward (depth, metres). Keypoints come out in COCO-17 order
with COCO visibility flags (2 visible, 1 labelled but occluded, 0 outside the image).
"""

from __future__ import annotations

import glob
import os

import cv2
import numpy as np

from . import body as B

SHIFT = 4  # OpenCV fixed-point bits for sub-pixel drawing
_S = float(1 << SHIFT)

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

SKIN_TONES = np.array(
    [
        [45, 34, 30],
        [75, 57, 50],
        [120, 90, 75],
        [160, 120, 100],
        [198, 150, 120],
        [224, 172, 150],
        [241, 194, 170],
        [255, 219, 190],
    ],
    np.float64,
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
    return np.clip(img * tint, 0, 255).astype(np.uint8)


def make_background(rng, h: int, w: int) -> np.ndarray:
    photos = background_photos()
    if photos and rng.random() < 0.6:
        return photo_background(rng, h, w, photos)
    return procedural_background(rng, h, w)


def _colour(rng, dark=False):
    c = rng.uniform(0, 255, 3)
    if dark:
        c *= 0.4
    return c


def sample_appearance(rng) -> dict:
    skin = SKIN_TONES[rng.integers(len(SKIN_TONES))] * rng.uniform(0.85, 1.1)
    shirt, pants = _colour(rng), _colour(rng)
    long_sleeves, long_pants = rng.random() < 0.5, rng.random() < 0.75
    hair = [
        np.array([20, 15, 10]),
        np.array([80, 50, 20]),
        np.array([160, 120, 60]),
        np.array([200, 190, 170]),
        np.array([110, 40, 20]),
    ][rng.integers(5)] * rng.uniform(0.8, 1.2)
    return {
        "skin": skin,
        "shirt": shirt,
        "pants": pants,
        "hair": hair,
        "shoes": _colour(rng, dark=True),
        "sleeve": shirt if long_sleeves else skin,
        "shin": pants if long_pants else skin,
        "stripes": rng.random() < 0.35,
        "stripe_colour": _colour(rng),
        "bald": rng.random() < 0.1,
    }


def _unit(v):
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _parts(j, p, look):
    """Capsules (p0, p1, radius, colour, owner keypoints) in body-frame metres."""
    mid_hip = 0.5 * (j["l_hip"] + j["r_hip"])
    mid_sh = 0.5 * (j["l_shoulder"] + j["r_shoulder"])
    parts = [
        (
            "torso",
            mid_hip + 0.3 * (mid_sh - mid_hip),
            mid_sh - 0.15 * (mid_sh - mid_hip),
            p["r_torso"],
            look["shirt"],
        ),
        ("l_clavicle", j["l_shoulder"], mid_sh, p["r_upper_arm"] * 1.25, look["shirt"]),
        ("r_clavicle", j["r_shoulder"], mid_sh, p["r_upper_arm"] * 1.25, look["shirt"]),
        ("l_pelvis", j["l_hip"], mid_hip, p["r_thigh"] * 1.05, look["pants"]),
        ("r_pelvis", j["r_hip"], mid_hip, p["r_thigh"] * 1.05, look["pants"]),
        ("neck", j["neck"], j["head"], p["r_neck"], look["skin"]),
    ]
    for s in ("l", "r"):
        parts += [
            (
                f"{s}_upper_arm",
                j[f"{s}_shoulder"],
                j[f"{s}_elbow"],
                p["r_upper_arm"],
                look["shirt"],
            ),
            (f"{s}_forearm", j[f"{s}_elbow"], j[f"{s}_wrist"], p["r_forearm"], look["sleeve"]),
            (
                f"{s}_hand",
                j[f"{s}_wrist"],
                j[f"{s}_wrist"] + _unit(j[f"{s}_wrist"] - j[f"{s}_elbow"]) * 2.2 * p["r_hand"],
                p["r_hand"],
                look["skin"],
            ),
            (f"{s}_thigh", j[f"{s}_hip"], j[f"{s}_knee"], p["r_thigh"], look["pants"]),
            (f"{s}_shin", j[f"{s}_knee"], j[f"{s}_ankle"], p["r_shin"], look["shin"]),
            (f"{s}_foot", j[f"{s}_ankle"], j[f"{s}_toe"], p["r_foot"], look["shoes"]),
        ]
    return parts


# Face points as head-local directions (x left, y up, z forward), scaled by the head radius.
FACE_POINTS = {
    "nose": (0.0, -0.1, 1.0),
    "left_eye": (0.38, 0.22, 0.86),
    "right_eye": (-0.38, 0.22, 0.86),
    "left_ear": (1.0, 0.0, -0.05),
    "right_ear": (-1.0, 0.0, -0.05),
}
MOUTH = (0.0, -0.45, 0.88)

# keypoint -> parts it lies inside (they cannot occlude it)
_OWNERS = {
    "shoulder": ("clavicle", "torso", "upper_arm", "neck"),
    "elbow": ("upper_arm", "forearm"),
    "wrist": ("forearm", "hand"),
    "hip": ("pelvis", "thigh", "torso"),
    "knee": ("thigh", "shin"),
    "ankle": ("shin", "foot"),
}
_JOINT_KP = ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")


def render_person(img, mask, rng, cam, person, light):
    """Draw one person into ``img`` (RGB uint8) and ``mask`` (uint8 person id); return keypoints.

    cam: dict with ``M`` (3, 3) body->camera rotation, ``t`` (3,) translation (metres), ``f``
    focal length (pixels) and ``c`` (2,) principal point (continuous pixels). Returns
    ``(xy (17, 2) continuous pixels, depth (17,), visible_surface (17,) bool)``, where
    ``visible_surface`` is False for face points turned away from the camera or keypoints
    hidden by the person's own body.
    """
    p, look, fk = person["proportions"], person["look"], person["fk"]
    j = fk["joints"]
    M, t, f, c = cam["M"], cam["t"], cam["f"], cam["c"]
    to_cam = lambda X: (M @ np.asarray(X).T).T + t  # noqa: E731
    proj = lambda Xc: f * Xc[..., :2] / Xc[..., 2:3] + c  # noqa: E731

    parts = _parts(j, p, look)
    P0 = to_cam(np.stack([q[1] for q in parts]))
    P1 = to_cam(np.stack([q[2] for q in parts]))
    rad = np.array([q[3] for q in parts])
    # head and hair spheres (hair centred behind and above the head, so it caps the back)
    H = fk["head_axes"]
    head_c = to_cam(j["head"][None])[0]
    hair_c = to_cam((j["head"] + H @ np.array([0, 0.2, -0.3]) * p["head_r"])[None])[0]
    spheres = [("head", head_c, p["head_r"], look["skin"])]
    if not look["bald"]:
        spheres.append(("hair", hair_c, p["head_r"] * 0.97, look["hair"]))

    items = [(0.5 * (P0[i, 2] + P1[i, 2]), "cap", i) for i in range(len(parts))]
    items += [(s[1][2], "sph", i) for i, s in enumerate(spheres)]
    items.sort(key=lambda it: -it[0])  # far to near (painter's algorithm)
    pid = int(person["id"])
    lx, ly = light
    for _, kind, i in items:
        if kind == "cap":
            a, b = proj(P0[i]), proj(P1[i])
            r = f * rad[i] / max(0.5 * (P0[i, 2] + P1[i, 2]), 1e-3)
            _capsule(
                img,
                mask,
                a,
                b,
                r,
                parts[i][4],
                pid,
                lx,
                ly,
                look if parts[i][0] in ("torso",) else None,
            )
            if parts[i][0] == "torso":
                _torso_front(
                    img, parts[i][1], parts[i][2], rad[i], fk["torso_axes"], to_cam, M, proj, look
                )
        else:
            name, ctr, r3, col = spheres[i]
            r = f * r3 / max(ctr[2], 1e-3)
            _sphere(img, mask, proj(ctr), r, col, pid, lx, ly)
            if name == "head":
                _face(img, j["head"], H, p["head_r"], to_cam, M, proj, f, look)

    # keypoints (COCO order): the face points are where _face draws them, with the same test
    kp3, own_r, facing = [], [], []
    for name in ("nose", "left_eye", "right_eye", "left_ear", "right_ear"):
        Xc, faces = _face_point(j["head"], H, p["head_r"], FACE_POINTS[name], to_cam, M)
        kp3.append(Xc)
        own_r.append(0.0)
        facing.append(faces)
    names = [(side, jn) for jn in _JOINT_KP for side in ("l", "r")]  # COCO order from index 5
    for side, jn in names:
        kp3.append(to_cam(j[f"{side}_{jn}"][None])[0])
        own_r.append(
            {
                "shoulder": p["r_upper_arm"],
                "elbow": p["r_forearm"],
                "wrist": p["r_forearm"] * 0.8,
                "hip": p["r_thigh"],
                "knee": p["r_shin"],
                "ankle": p["r_shin"] * 0.8,
            }[jn]
        )
        facing.append(True)
    kp3 = np.stack(kp3)
    xy = proj(kp3)
    owned = np.zeros((17, len(parts) + len(spheres)), bool)
    part_names = [q[0] for q in parts] + [s[0] for s in spheres]
    for k in range(5):
        owned[k, part_names.index("head")] = True
        if "hair" in part_names:
            owned[k, part_names.index("hair")] = True
    for k, (side, jn) in enumerate(names, start=5):
        for pi, pn in enumerate(part_names):
            base = pn[2:] if pn[:2] in ("l_", "r_") else pn
            if base in _OWNERS[jn] and (pn[:2] not in ("l_", "r_") or pn[0] == side):
                owned[k, pi] = True
    hidden = _occluded_by_parts(
        xy, kp3[:, 2] - np.array(own_r), P0, P1, rad, spheres, f, proj, owned
    )
    visible_surface = np.array(facing) & ~hidden
    return xy, kp3[:, 2], visible_surface


def _occluded_by_parts(xy, zk, P0, P1, rad, spheres, f, proj, owned):
    """Keypoints ``(K,)`` whose front surface lies behind another part's front surface."""
    a, b = proj(P0), proj(P1)  # (P, 2)
    ra, rb = f * rad / P0[:, 2], f * rad / P1[:, 2]
    d_ab = b - a
    L2 = np.maximum((d_ab**2).sum(-1), 1e-9)
    q = xy[:, None, :]
    tt = np.clip(((q - a) * d_ab).sum(-1) / L2, 0, 1)  # (K, P)
    closest = a + tt[..., None] * d_ab
    dist = np.linalg.norm(q - closest, axis=-1)
    r_t = ra + tt * (rb - ra)
    z_t = P0[:, 2] + tt * (P1[:, 2] - P0[:, 2])
    inside = dist < r_t
    zs = z_t - rad * np.sqrt(np.clip(1 - (dist / np.maximum(r_t, 1e-6)) ** 2, 0, 1))
    occ = inside & (zs < zk[:, None] - 0.01)
    if spheres:
        ctr = np.stack([s[1] for s in spheres])
        r3 = np.array([s[2] for s in spheres])
        c2 = proj(ctr)
        rs = f * r3 / ctr[:, 2]
        d = np.linalg.norm(xy[:, None, :] - c2[None], axis=-1)
        inside_s = d < rs
        zs_s = ctr[:, 2] - r3 * np.sqrt(np.clip(1 - (d / rs) ** 2, 0, 1))
        occ = np.concatenate([occ, inside_s & (zs_s < zk[:, None] - 0.01)], axis=1)
    return np.any(occ & ~owned, axis=1)


def _pt(xy):
    return (int(round((xy[0] - 0.5) * _S)), int(round((xy[1] - 0.5) * _S)))


def _shade(col, k):
    return tuple(float(v) for v in np.clip(np.asarray(col) * k, 0, 255))


def _capsule(img, mask, a, b, r, col, pid, lx, ly, look=None):
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or r <= 0.3:
        return
    th = max(int(round(2 * r)), 1)
    cv2.line(mask, _pt(a), _pt(b), pid, th, cv2.LINE_8, SHIFT)
    cv2.line(img, _pt(a), _pt(b), _shade(col, 0.55), th, cv2.LINE_AA, SHIFT)
    cv2.line(
        img, _pt(a), _pt(b), _shade(col, 0.85), max(int(round(1.5 * r)), 1), cv2.LINE_AA, SHIFT
    )
    off = np.array([lx, ly]) * 0.3 * r
    cv2.line(
        img,
        _pt(a + off),
        _pt(b + off),
        _shade(col, 1.1),
        max(int(round(0.6 * r)), 1),
        cv2.LINE_AA,
        SHIFT,
    )
    if look is not None and look["stripes"] and r > 3:
        d = b - a
        n = np.linalg.norm(d)
        if n > 1:
            u, v = d / n, np.array([-d[1], d[0]]) / n
            for s in np.arange(0.15, 1.0, 0.2):
                m = a + u * n * s
                cv2.line(
                    img,
                    _pt(m - v * r * 0.9),
                    _pt(m + v * r * 0.9),
                    _shade(look["stripe_colour"], 0.9),
                    max(int(r * 0.15), 1),
                    cv2.LINE_AA,
                    SHIFT,
                )


def _sphere(img, mask, c, r, col, pid, lx, ly):
    if not np.all(np.isfinite(c)) or r <= 0.3:
        return
    cv2.circle(mask, _pt(c), int(round(r * _S)), pid, -1, cv2.LINE_8, SHIFT)
    cv2.circle(img, _pt(c), int(round(r * _S)), _shade(col, 0.6), -1, cv2.LINE_AA, SHIFT)
    cv2.circle(
        img,
        _pt(c - np.array([lx, ly]) * -0.12 * r),
        int(round(0.8 * r * _S)),
        _shade(col, 0.9),
        -1,
        cv2.LINE_AA,
        SHIFT,
    )
    cv2.circle(
        img,
        _pt(c + np.array([lx, ly]) * 0.35 * r),
        int(round(0.35 * r * _S)),
        _shade(col, 1.12),
        -1,
        cv2.LINE_AA,
        SHIFT,
    )


def _torso_front(img, bottom, top, r, axes, to_cam, M, proj, look):
    """Front-only clothing cues on the torso, drawn where the chest faces the camera: a skin-
    coloured V neckline and a contrasting button placket down the midline. Real people's fronts
    differ from their backs (necklines, buttons, zips, prints); without such a cue the synthetic
    torso looks the same from behind, and only the few face pixels tell front from back, so left
    from right. Body-frame points (metres) in; nothing drawn when the chest faces away.
    """
    x_ax, y_ax, z_ax = axes[:, 0], axes[:, 1], axes[:, 2]
    if not (M @ z_ax) @ to_cam(top[None])[0] < -0.1 * np.linalg.norm(to_cam(top[None])[0]):
        return
    length = float(np.linalg.norm(top - bottom))
    surf = lambda c, dx, dy: (
        c + x_ax * dx * r + y_ax * dy + z_ax * r * np.sqrt(max(1 - dx * dx, 0.0))
    )  # noqa: E731
    v = [
        proj(to_cam(surf(top, d, h)[None])[0])
        for d, h in ((0.55, 0.08 * length), (-0.55, 0.08 * length), (0.0, -0.3 * length))
    ]
    if not np.all(np.isfinite(v)):
        return
    pts = np.round((np.array(v) - 0.5) * _S).astype(np.int32)
    cv2.fillConvexPoly(
        img, pts, tuple(float(c) for c in np.clip(look["skin"], 0, 255)), cv2.LINE_AA, SHIFT
    )
    dark = np.clip(np.asarray(look["shirt"]) * 0.35, 0, 255)
    a = proj(to_cam(surf(top, 0.0, -0.3 * length)[None])[0])
    b = proj(to_cam(surf(bottom, 0.0, -0.25 * length)[None])[0])
    rr = max(0.12 * r * np.linalg.norm(a - b) / max(length, 1e-6), 0.6)
    cv2.line(
        img,
        _pt(a),
        _pt(b),
        tuple(float(c) for c in dark),
        max(int(round(rr)), 1),
        cv2.LINE_AA,
        SHIFT,
    )


def _face_point(head, H, hr, loc, to_cam, M):
    """A point on the head sphere (head-local direction ``loc``) in camera coordinates, and
    whether its surface faces the camera (normal against the viewing ray, 0.05 margin)."""
    n = H @ np.asarray(loc, float)
    Xc = to_cam((head + n * hr)[None])[0]
    n_cam = M @ n
    return Xc, bool(n_cam @ Xc < -0.05 * np.linalg.norm(n_cam) * np.linalg.norm(Xc))


def _face(img, head, H, hr, to_cam, M, proj, f, look):
    """Eyes, nose, ears and mouth, each drawn only where its surface faces the camera."""
    ear, ear_in = (
        tuple(np.clip(look["skin"] * 0.8, 0, 255)),
        tuple(np.clip(look["skin"] * 0.55, 0, 255)),
    )
    feats = [
        (FACE_POINTS["left_eye"], 0.16, (245, 245, 245), 0.09, (20, 20, 20)),
        (FACE_POINTS["right_eye"], 0.16, (245, 245, 245), 0.09, (20, 20, 20)),
        (FACE_POINTS["nose"], 0.13, tuple(np.clip(look["skin"] * 0.75, 0, 255)), 0, None),
        (MOUTH, 0.14, (150, 50, 50), 0, None),
        (FACE_POINTS["left_ear"], 0.22, ear, 0.1, ear_in),
        (FACE_POINTS["right_ear"], 0.22, ear, 0.1, ear_in),
    ]
    for loc, size, col, inner, icol in feats:
        X, faces = _face_point(head, H, hr, loc, to_cam, M)
        if not faces:
            continue
        c = proj(X)
        r = max(f * hr * size / X[2], 0.6)
        cv2.circle(
            img, _pt(c), int(round(r * _S)), tuple(float(v) for v in col), -1, cv2.LINE_AA, SHIFT
        )
        if inner and icol is not None:
            cv2.circle(
                img,
                _pt(c),
                int(round(max(f * hr * inner / X[2], 0.5) * _S)),
                tuple(float(v) for v in icol),
                -1,
                cv2.LINE_AA,
                SHIFT,
            )


def camera_for(person_fk, rng, image_hw, scale, centre, roll_full: bool):
    """Camera that frames the person at ``scale`` x the image size around ``centre`` (pixels),
    from any yaw, mostly level pitch and a small roll (any roll with ``roll_full``)."""
    yaw = rng.uniform(-np.pi, np.pi)
    pitch = rng.uniform(-0.5, 0.5) if rng.random() < 0.9 else rng.uniform(-1.3, 1.3)
    roll = rng.uniform(-np.pi, np.pi) if roll_full else rng.uniform(-0.3, 0.3)
    dist = rng.uniform(2.2, 9.0)
    return camera_at(person_fk, yaw, pitch, roll, dist, image_hw, scale, centre)


def camera_at(person_fk, yaw, pitch, roll, dist, image_hw, scale, centre):
    """The camera at these angles (radians) and distance (metres) that frames the person's
    joints at ``scale`` x the image's larger side around ``centre`` (continuous pixels).
    Returns ``{"M" (3, 3) body -> camera rotation, "t" (3,), "f" pixels, "c" (2,), angles}``."""
    M = np.diag([1.0, -1.0, -1.0]) @ B.rot_z(roll) @ B.rot_x(pitch) @ B.rot_y(yaw)
    pts = np.stack(list(person_fk["joints"].values()))
    centre3 = 0.5 * (pts.min(0) + pts.max(0))
    t = np.array([0.0, 0.0, dist]) - M @ centre3
    Xc = (M @ pts.T).T + t
    if np.any(Xc[:, 2] < 0.3):
        t[2] += 0.3 - Xc[:, 2].min() + 0.5
        Xc = (M @ pts.T).T + t
    uv = Xc[:, :2] / Xc[:, 2:3]
    ext = np.max(uv.max(0) - uv.min(0))
    h, w = image_hw
    f = scale * max(h, w) / max(ext, 1e-3)
    mid = 0.5 * (uv.max(0) + uv.min(0))
    c = np.asarray(centre, float) - f * mid
    return {
        "M": M,
        "t": t,
        "f": f,
        "c": c,
        "yaw": yaw,
        "pitch": pitch,
        "roll": roll,
        "distance": dist,
    }


def project(cam, X) -> np.ndarray:
    """A body-frame point (metres) in continuous image pixels."""
    Xc = cam["M"] @ np.asarray(X, float) + cam["t"]
    return cam["f"] * Xc[:2] / max(Xc[2], 1e-3) + cam["c"]


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
            pts = np.round((pts - 0.5) * _S).astype(np.int32)
            cv2.fillConvexPoly(occ, pts, 255, cv2.LINE_8, SHIFT)
            cv2.fillConvexPoly(img, pts, col, cv2.LINE_AA, SHIFT)
        elif kind == 1:
            ax = (int(sx * _S), int(sy * _S))
            cv2.ellipse(
                occ, _pt((cx, cy)), ax, rng.uniform(0, 180), 0, 360, 255, -1, cv2.LINE_8, SHIFT
            )
            cv2.ellipse(
                img, _pt((cx, cy)), ax, rng.uniform(0, 180), 0, 360, col, -1, cv2.LINE_AA, SHIFT
            )
        else:
            n = int(rng.integers(3, 7))
            ang = np.sort(rng.uniform(0, 2 * np.pi, n))
            pts = np.stack([cx + sx * np.cos(ang), cy + sy * np.sin(ang)], -1)
            pts = np.round((pts - 0.5) * _S).astype(np.int32)
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
