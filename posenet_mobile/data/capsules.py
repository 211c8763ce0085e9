"""The capsule person: a body of depth-sorted shaded 3D capsules and spheres, with a simple look
(skin, shirt, trousers, hair, stripes) and a face drawn where it faces the camera; the
``capsule`` style of :class:`~posenet_mobile.data.synthetic.SynthConfig`.

Keypoints come out in COCO-17 order with COCO visibility flags (2 visible, 1 labelled but
occluded, 0 outside the image). Frames: :mod:`posenet_mobile.data.camera`."""

from __future__ import annotations

import cv2
import numpy as np

from .effects import SHIFT, SCALE, fixed_pt


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


def _shade(col, k):
    return tuple(float(v) for v in np.clip(np.asarray(col) * k, 0, 255))


def _capsule(img, mask, a, b, r, col, pid, lx, ly, look=None):
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or r <= 0.3:
        return
    th = max(int(round(2 * r)), 1)
    cv2.line(mask, fixed_pt(a), fixed_pt(b), pid, th, cv2.LINE_8, SHIFT)
    cv2.line(img, fixed_pt(a), fixed_pt(b), _shade(col, 0.55), th, cv2.LINE_AA, SHIFT)
    cv2.line(
        img,
        fixed_pt(a),
        fixed_pt(b),
        _shade(col, 0.85),
        max(int(round(1.5 * r)), 1),
        cv2.LINE_AA,
        SHIFT,
    )
    off = np.array([lx, ly]) * 0.3 * r
    cv2.line(
        img,
        fixed_pt(a + off),
        fixed_pt(b + off),
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
                    fixed_pt(m - v * r * 0.9),
                    fixed_pt(m + v * r * 0.9),
                    _shade(look["stripe_colour"], 0.9),
                    max(int(r * 0.15), 1),
                    cv2.LINE_AA,
                    SHIFT,
                )


def _sphere(img, mask, c, r, col, pid, lx, ly):
    if not np.all(np.isfinite(c)) or r <= 0.3:
        return
    cv2.circle(mask, fixed_pt(c), int(round(r * SCALE)), pid, -1, cv2.LINE_8, SHIFT)
    cv2.circle(img, fixed_pt(c), int(round(r * SCALE)), _shade(col, 0.6), -1, cv2.LINE_AA, SHIFT)
    cv2.circle(
        img,
        fixed_pt(c - np.array([lx, ly]) * -0.12 * r),
        int(round(0.8 * r * SCALE)),
        _shade(col, 0.9),
        -1,
        cv2.LINE_AA,
        SHIFT,
    )
    cv2.circle(
        img,
        fixed_pt(c + np.array([lx, ly]) * 0.35 * r),
        int(round(0.35 * r * SCALE)),
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
    pts = np.round((np.array(v) - 0.5) * SCALE).astype(np.int32)
    cv2.fillConvexPoly(
        img, pts, tuple(float(c) for c in np.clip(look["skin"], 0, 255)), cv2.LINE_AA, SHIFT
    )
    dark = np.clip(np.asarray(look["shirt"]) * 0.35, 0, 255)
    a = proj(to_cam(surf(top, 0.0, -0.3 * length)[None])[0])
    b = proj(to_cam(surf(bottom, 0.0, -0.25 * length)[None])[0])
    rr = max(0.12 * r * np.linalg.norm(a - b) / max(length, 1e-6), 0.6)
    cv2.line(
        img,
        fixed_pt(a),
        fixed_pt(b),
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
            img,
            fixed_pt(c),
            int(round(r * SCALE)),
            tuple(float(v) for v in col),
            -1,
            cv2.LINE_AA,
            SHIFT,
        )
        if inner and icol is not None:
            cv2.circle(
                img,
                fixed_pt(c),
                int(round(max(f * hr * inner / X[2], 0.5) * SCALE)),
                tuple(float(v) for v in icol),
                -1,
                cv2.LINE_AA,
                SHIFT,
            )
