"""A synthetic person's body as 3D parts in body-frame metres: tapered limb tubes, a shaped
torso, hands with a thumb, shoes, a head, hair and clothing pieces (:func:`build_parts`).

Every body part is a straight *tube*: an axis in 3D with a cross-section per level (round, or
elliptical with a width and a depth direction, for the torso and the feet). The head and the hair
are *blobs*, drawn as a projected ellipse. :mod:`posenet_mobile.data.figure` projects
and paints them.
"""

from __future__ import annotations

import math

import numpy as np

from . import appearance as A


def unit(v):
    n = (
        math.sqrt(float(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
        if len(v) == 3
        else float(np.linalg.norm(v))
    )
    return v / max(n, 1e-9)


def cross(a, b):
    """Cross product of two 3-vectors (np.cross is slow on single vectors)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


class Tube:
    """A straight part: ``axis`` (n, 3) body-frame points, half-widths ``w`` (n,), half-depths
    ``d`` (n,) or None (round), width direction ``u`` (3,) (elliptical only), materials per
    segment ``mats`` (n - 1,), ``name`` (the part), ``depth_bias`` (metres added to its sort depth)."""

    __slots__ = ("name", "axis", "w", "d", "u", "mats", "depth_bias", "caps")

    def __init__(self, name, axis, w, mats, d=None, u=None, depth_bias=0.0, caps=(True, True)):
        self.name, self.axis, self.w = name, np.asarray(axis, float), np.asarray(w, float)
        self.d, self.u, self.depth_bias, self.caps = (
            (None if d is None else np.asarray(d, float)),
            u,
            depth_bias,
            caps,
        )
        self.mats = list(mats)


class Blob:
    """An ellipsoid-ish part drawn as a projected ellipse: centre (3,), radius (m), material,
    aspect (height / width) along ``up`` (3,)."""

    __slots__ = ("name", "centre", "r", "mat", "up", "aspect", "depth_bias")

    def __init__(self, name, centre, r, mat, up=None, aspect=1.0, depth_bias=0.0):
        self.name, self.centre, self.r, self.mat, self.up, self.aspect = (
            name,
            np.asarray(centre, float),
            r,
            mat,
            up,
            aspect,
        )
        self.depth_bias = depth_bias


def _levels(a, b, ts, radii):
    return np.array([a + (b - a) * t for t in ts]), np.asarray(radii, float)


def _split(ts, radii, edge, before, after):
    """Insert a level at ``edge`` (in the ts units) and return (ts, radii, segment materials)."""
    ts, radii = list(ts), list(radii)
    if ts[0] < edge < ts[-1]:
        i = int(np.searchsorted(ts, edge))
        r = np.interp(edge, ts, radii)
        ts.insert(i, edge)
        radii.insert(i, r)
    mats = [before if 0.5 * (ts[i] + ts[i + 1]) < edge else after for i in range(len(ts) - 1)]
    return ts, radii, mats


def build_parts(prop, fk, look, hands: bool = True, hair: bool = True) -> list:
    """The person's tubes and blobs in body-frame metres (see :class:`Tube`, :class:`Blob`)."""
    j, T = fk["joints"], prop["torso"]
    M = A.MAT
    pel, spn, H = fk["pelvis_axes"], fk["torso_axes"], fk["head_axes"]
    scale = prop["height"] / 1.75
    parts = []
    # torso: the pelvis part turns with the pelvis, the chest part with the spine
    waist_t = 0.32
    low_pts = [
        j["pelvis"] - pel[:, 1] * 0.1 * T,
        j["pelvis"] + pel[:, 1] * 0.12 * T,
        j["pelvis"] + pel[:, 1] * waist_t * T,
    ]
    low_w = [prop["hip_r"] * 0.92, prop["hip_r"], prop["waist"] * 1.02]
    low_d = [prop["depth"] * 0.95, prop["depth"], prop["depth"] * 0.92]
    skirt = look["bottom"] == "skirt"
    low_mat = M["top"] if look["top"] == "dress" else M["bottom"]
    lm = [low_mat, low_mat]
    if look["belt"]:
        low_pts.insert(2, j["pelvis"] + pel[:, 1] * (waist_t - 0.06) * T)
        low_w.insert(2, prop["waist"] * 1.03)
        low_d.insert(2, prop["depth"] * 0.93)
        lm = [low_mat, low_mat, M["belt"]]
    parts.append(
        Tube(
            "torso_low",
            low_pts,
            low_w,
            lm,
            d=low_d,
            u=pel[:, 0],
            depth_bias=0.3 * prop["depth"],
            caps=(False, False),
        )
    )
    neck_base = j["neck"]
    up_pts = [
        j["pelvis"] + pel[:, 1] * waist_t * T,
        neck_base - spn[:, 1] * 0.36 * T,
        neck_base - spn[:, 1] * 0.1 * T,
        neck_base,
    ]
    chest_d = prop["depth"] * (1.08 + 0.12 * prop["femininity"])
    up_pts.insert(3, neck_base - spn[:, 1] * 0.03 * T)  # the shoulders slope down from the neck
    fit = look.get("fit", 1.0)  # tops hang off the body: their waist tapers less than the skin's
    up_w = [
        max(prop["waist"] * 1.02 * fit, prop["chest"] * 0.9 * (fit - 0.05)),
        prop["chest"] * fit,
        prop["shoulder_w"] * 0.98,
        prop["shoulder_w"] * 0.72,
        prop["shoulder_w"] * 0.42,
    ]
    up_d = [
        prop["depth"] * 0.92,
        chest_d,
        prop["depth"] * 0.85,
        prop["depth"] * 0.7,
        prop["depth"] * 0.5,
    ]
    parts.append(
        Tube(
            "torso_up",
            up_pts,
            up_w,
            [M["top"]] * 4,
            d=up_d,
            u=spn[:, 0],
            depth_bias=0.3 * prop["depth"],
            caps=(False, True),
        )
    )
    panel = look.get("panel")
    if (
        panel
    ):  # front-only cue on the chest (drawn only when the chest faces the camera: see render)
        top = neck_base - spn[:, 1] * 0.06 * T + spn[:, 2] * up_d[2]
        length = 0.75 * T if panel["length"] >= 1.0 else panel["length"] * T
        bot = top - spn[:, 1] * length + spn[:, 2] * (chest_d - up_d[2]) * 0.5
        w0 = panel["width"] * prop["chest"]
        w1 = 0.05 * w0 if panel["kind"] == "vneck" else w0
        parts.append(
            Tube(
                "panel",
                [top, bot],
                [w0, w1],
                [M["panel"]],
                d=[0.003, 0.003],
                u=spn[:, 0],
                depth_bias=-prop["depth"] * 1.2,
                caps=(False, False),
            )
        )
    # neck and head
    parts.append(
        Tube(
            "neck",
            [neck_base - spn[:, 1] * 0.05 * T, j["head"] - H[:, 1] * prop["head_r"] * 0.9],
            [prop["r_neck"], prop["r_neck"] * 0.95],
            [M["skin"]],
            depth_bias=0.02,
        )
    )
    hr = prop["head_r"]
    parts.append(Blob("head", j["head"], hr, M["skin"], up=H[:, 1], aspect=1.38))
    style = look["hair_style"] if hair else "bald"
    if style != "bald":
        hair_r = (
            hr
            * {
                "short": 1.04,
                "medium": 1.1,
                "long": 1.12,
                "bun": 1.04,
                "ponytail": 1.04,
                "cap": 1.06,
            }[style]
        )
        # Hair is an ellipsoid behind and a little above the head's centre: a front view draws
        # the head over it, so it shows above and beside the face; from behind it covers the
        # head down to the nape, as real hair does (a back then reads as hair, a front as a face).
        # A cap sits on top instead.
        centre, aspect = ((0, 0.45, -0.22), 0.9) if style == "cap" else ((0, 0.05, -0.35), 1.45)
        parts.append(
            Blob(
                "hair",
                j["head"] + H @ np.array(centre) * hr,
                hair_r,
                M["hair"],
                up=H[:, 1],
                aspect=aspect,
            )
        )
        # the hairline: hair over the top of the head, in front of it, so it frames the face
        parts.append(
            Blob(
                "hair",
                j["head"] + H @ np.array([0, 0.9, 0.1]) * hr,
                hr * 0.85,
                M["hair"],
                up=H[:, 1],
                aspect=0.6,
                depth_bias=-hr * 0.6,
            )
        )
        back = j["head"] + H @ np.array([0, -0.3, -0.6]) * hr
        if style == "long":
            end = neck_base - spn[:, 1] * 0.22 * T - spn[:, 2] * prop["depth"] * 0.9
            parts.append(
                Tube("hair", [back, end], [hr * 0.95, hr * 0.65], [M["hair"]], depth_bias=0.01)
            )
        elif style == "ponytail":
            end = back - H[:, 1] * hr * 2.4 - H[:, 2] * hr * 0.5
            parts.append(Tube("hair", [back, end], [hr * 0.35, hr * 0.2], [M["hair"]]))
        elif style == "bun":
            parts.append(
                Blob("hair", j["head"] + H @ np.array([0, 0.6, -1.0]) * hr, hr * 0.48, M["hair"])
            )
    # arms: shoulder -> elbow -> wrist, the sleeve edge anywhere along them
    for s in ("l", "r"):
        sh, el, wr = j[f"{s}_shoulder"], j[f"{s}_elbow"], j[f"{s}_wrist"]
        rua, rfa = prop["r_upper_arm"], prop["r_forearm"]
        edge = look["sleeve"]
        sl = 1.1  # cloth stands off the skin
        for name, a, b, ts, rad, lo in (
            (
                f"{s}_upper_arm",
                sh,
                el,
                (0.0, 0.12, 0.5, 0.88, 1.0),
                (1.45 * rua, 1.32 * rua, 1.05 * rua, 0.88 * rua, 0.82 * rua),
                0.0,
            ),
            (
                f"{s}_forearm",
                el,
                wr,
                (1.0, 1.18, 1.5, 1.85, 2.0),
                (1.02 * rfa, 1.08 * rfa, 0.9 * rfa, 0.7 * rfa, 0.62 * rfa),
                1.0,
            ),
        ):
            ts2, rad2, mats = _split(ts, rad, edge, M["top"], M["skin"])
            rad2 = [r * (sl if t < edge else 1.0) for t, r in zip(ts2, rad2)]
            axis = [a + (b - a) * (t - lo) for t in ts2]
            parts.append(Tube(name, axis, rad2, mats))
        fd = unit(wr - el)
        if hands:
            parts += _hand(s, wr, fd, spn, prop, scale, look)
        else:
            parts.append(
                Tube(
                    f"{s}_hand",
                    [wr, wr + fd * 0.08 * scale],
                    [prop["r_hand"], prop["r_hand"] * 0.9],
                    [M["skin"]],
                )
            )
    # legs: hip -> knee -> ankle, trousers or shorts or bare under a skirt
    for s in ("l", "r"):
        hp, kn, an = j[f"{s}_hip"], j[f"{s}_knee"], j[f"{s}_ankle"]
        rth, rsh = prop["r_thigh"], prop["r_shin"]
        edge = 0.0 if skirt else look["leg"]
        boot = look["shoe_kind"] == "boot"
        cloth = 1.12 if look["bottom"] == "trousers" else 1.04
        for name, a, b, ts, rad, lo in (
            (
                f"{s}_thigh",
                hp,
                kn,
                (0.0, 0.3, 0.7, 1.0),
                (1.05 * rth, 0.97 * rth, 0.78 * rth, 0.62 * rth),
                0.0,
            ),
            (
                f"{s}_shin",
                kn,
                an,
                (1.0, 1.25, 1.6, 2.0),
                (0.66 * rth, 1.08 * rsh, 0.8 * rsh, 0.55 * rsh),
                1.0,
            ),
        ):
            ts2, rad2, mats = _split(ts, rad, edge, M["bottom"], M["legwear"])
            if boot:
                ts2, rad2, m2 = _split(ts2, rad2, 1.72, 0, M["shoes"])
                mats = [m if m2[i] == 0 else M["shoes"] for i, m in enumerate(mats)]
            rad2 = [
                max(r * cloth, 0.7 * rth * cloth if look["bottom"] == "trousers" and t > 1 else 0)
                if t < edge
                else r
                for t, r in zip(ts2, rad2)
            ]
            axis = [a + (b - a) * (t - lo) for t in ts2]
            parts.append(Tube(name, axis, rad2, mats))
        parts.append(_shoe(s, j, prop, scale))
    if skirt:
        hem = look["leg"]  # along the leg, 0 hip .. 2 ankle
        knees = 0.5 * (j["l_knee"] + j["r_knee"])
        down = unit(knees - j["pelvis"])
        length = hem * 0.5 * (prop["thigh"] + prop["shin"]) * 0.98
        spread = (
            np.linalg.norm(j["l_knee"] - j["r_knee"]) * min(hem, 1.0) * 0.5 + prop["r_thigh"] * 1.4
        )
        top = j["pelvis"] + pel[:, 1] * 0.05 * T
        mid = top + down * length * 0.5
        parts.append(
            Tube(
                "skirt",
                [top, mid, top + down * length],
                [
                    prop["hip_r"] * 1.05,
                    max(prop["hip_r"] * 1.15, 0.5 * spread + prop["hip_r"] * 0.4),
                    max(prop["hip_r"] * 1.25, spread + prop["hip_r"] * 0.3),
                ],
                [M["bottom"], M["bottom"]],
                d=[prop["depth"] * 1.05, prop["depth"] * 1.3, prop["depth"] * 1.5],
                u=pel[:, 0],
                depth_bias=-0.05,
                caps=(False, False),
            )
        )
    return parts


def _hand(s, wr, fd, spn, prop, scale, look):
    """Palm, fingers and thumb: the thumb on the hand's own side, so the side is visible."""
    M = A.MAT
    sign = 1.0 if s == "l" else -1.0
    fwd = spn[:, 2] - fd * (spn[:, 2] @ fd)
    fwd = unit(fwd if np.linalg.norm(fwd) > 1e-3 else spn[:, 0])
    twist = prop.get("_twist_" + s, 0.0)
    nrm = fwd * np.cos(twist) + cross(fd, fwd) * np.sin(
        twist
    )  # palm normal, turned about the forearm
    wdir = unit(cross(fd, nrm))
    curl = prop.get("_curl_" + s, 0.3)
    pw = prop["r_hand_w"] * 0.5
    mat = M["shoes"] if look.get("gloves") else M["skin"]
    palm_end = wr + fd * 0.085 * scale
    fdir = unit(fd * np.cos(curl) - nrm * np.sin(curl))
    thumb_dir = unit(fd * 0.45 + sign * cross(nrm, fd) * 0.75 + nrm * 0.25)
    base = wr + fd * 0.025 * scale + sign * cross(nrm, fd) * pw * 0.7
    return [
        Tube(
            f"{s}_hand",
            [wr, palm_end],
            [pw * 0.85, pw],
            [mat],
            d=[0.014 * scale, 0.013 * scale],
            u=wdir,
        ),
        Tube(
            f"{s}_hand",
            [palm_end, palm_end + fdir * 0.075 * scale],
            [pw * 0.95, pw * 0.7],
            [mat],
            d=[0.011 * scale, 0.009 * scale],
            u=wdir,
        ),
        Tube(
            f"{s}_hand",
            [base, base + thumb_dir * 0.055 * scale],
            [0.0105 * scale, 0.0085 * scale],
            [mat],
        ),
    ]


def _shoe(s, j, prop, scale):
    an, toe, kn = j[f"{s}_ankle"], j[f"{s}_toe"], j[f"{s}_knee"]
    fdir = unit(toe - an)
    up = unit(kn - an)
    side = unit(cross(up, fdir))
    sole = -unit(up - fdir * (up @ fdir))
    # the ankle joint sits about 7 cm above the sole, as the malleoli do
    heel = an - fdir * 0.04 * scale + sole * 0.045 * scale
    mid = an + fdir * 0.02 * scale + sole * 0.035 * scale
    ball = an + fdir * prop["foot"] * 0.85 + sole * 0.05 * scale
    tip = toe + fdir * 0.06 * scale + sole * 0.05 * scale
    fw = prop["foot_w"]
    return Tube(
        f"{s}_foot",
        [heel, mid, ball, tip],
        [fw * 0.42, fw * 0.5, fw * 0.55, fw * 0.32],
        [A.MAT["shoes"]] * 3,
        d=[0.035 * scale, 0.05 * scale, 0.028 * scale, 0.018 * scale],
        u=side,
    )
