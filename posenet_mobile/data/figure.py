"""Draw a human-looking synthetic person: tapered limbs, a shaped torso, hands, shoes, a head
with a face and hair, clothing with textures, lit by a directional light.

Every body part is a straight *tube*: an axis in 3D (body frame, metres) with a cross-section
per level (round, or elliptical with a width and a depth direction, for the torso and the feet).
A tube projects to a simple outline (two side chains and two end arcs), filled with
``cv2.fillPoly``. Parts are painted far to near. Drawing is deferred: each person gets a
material map, a part map, an anti-aliased coverage map and a detail map (facial features) over
its bounding box; materials are then textured (:func:`posenet_mobile.data.appearance.albedo`),
shaded (:func:`shading`: normals rebuilt from the distance to each part's outline, so every
part is rounded and lit from the light's side) and composited over the scene.

The part map also decides COCO visibility: a keypoint is visible when the surface seen at its
pixel belongs to a part that contains it (a wrist inside its forearm or hand), and, for the
face points, when that side of the head faces the camera. Real faces from scikit-image's bundled
LFW sample (``lfw_subset.npy``, no download) are mapped onto the head by their eyes and mouth,
so the face keypoints land on the face's own features.

Image frame: continuous pixels, pixel ``i`` centred on ``i + 0.5`` (OpenCV's integer centres are
handled by :func:`_fx`). Camera frame: x right, y down, z forward.
"""

from __future__ import annotations

import math
import os

import cv2
import numpy as np

from . import appearance as A

SHIFT = 3
_S = float(1 << SHIFT)
_K3 = np.ones((3, 3), np.uint8)
#: Face landmarks in the LFW crops (25 x 25 pixels): left eye (image right), right eye, mouth.
LFW_POINTS = np.array([[17.5, 8.75], [7.5, 8.75], [12.5, 18.75]], np.float32)
# Face points as head-local directions (x left, y up, z forward), scaled by the head radius. The
# head is an ellipse 1.38 times as tall as wide with hair over its top, so the eyes sit at about
# its middle and the mouth well below it, as on a real head.
FACE_POINTS = {
    "nose": (0.0, -0.4, 0.95),
    "left_eye": (0.38, 0.02, 0.92),
    "right_eye": (-0.38, 0.02, 0.92),
    "left_ear": (0.98, -0.1, -0.1),
    "right_ear": (-0.98, -0.1, -0.1),
}
MOUTH = (0.0, -0.82, 0.62)

# keypoint (COCO index) -> parts whose surface contains it
_KP_OWNERS = {
    0: ("head", "hair"),
    1: ("head", "hair"),
    2: ("head", "hair"),
    3: ("head", "hair"),
    4: ("head", "hair"),
}
for _k, (_side, _j) in enumerate(
    [(s, j) for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle") for s in "lr"], 5
):
    _KP_OWNERS[_k] = {
        "shoulder": ("torso_up", f"{_side}_upper_arm", "neck", "hair"),
        "elbow": (f"{_side}_upper_arm", f"{_side}_forearm"),
        "wrist": (f"{_side}_forearm", f"{_side}_hand"),
        "hip": ("torso_low", f"{_side}_thigh", "skirt"),
        "knee": (f"{_side}_thigh", f"{_side}_shin", "skirt"),
        "ankle": (f"{_side}_shin", f"{_side}_foot"),
    }[_j]

_faces_cache: np.ndarray | None = None
_yy, _xx = np.mgrid[0:25, 0:25].astype(np.float32)
#: Where an LFW crop is face (1) fading to its border (0): the oval blended onto the head.
_FACE_SOFT = np.clip(
    1.6 - np.sqrt(((_xx - 12.5) / 11.5) ** 2 + ((_yy - 13.0) / 13.0) ** 2) * 1.6, 0, 1
)


def lfw_faces() -> np.ndarray:
    """The 100 face crops of scikit-image's bundled LFW subset, ``(100, 25, 25)`` float32 in
    0..1, or an empty array when scikit-image is not installed."""
    global _faces_cache
    if _faces_cache is None:
        try:
            import skimage

            arr = np.load(
                os.path.join(os.path.dirname(skimage.__file__), "data", "lfw_subset.npy")
            )[:100]
            _faces_cache = arr.astype(np.float32)
        except (ImportError, OSError, ValueError):
            _faces_cache = np.zeros((0, 25, 25), np.float32)
    return _faces_cache


def _unit(v):
    n = (
        math.sqrt(float(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]))
        if len(v) == 3
        else float(np.linalg.norm(v))
    )
    return v / max(n, 1e-9)


def _cross(a, b):
    """Cross product of two 3-vectors (np.cross is slow on single vectors)."""
    return np.array(
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    )


def _fx(pts, origin):
    """Continuous image points -> OpenCV fixed-point ROI coordinates (int32)."""
    return np.round((np.asarray(pts, np.float64) - origin - 0.5) * _S).astype(np.int32)


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
        lift = 0.45 if style == "cap" else 0.3
        parts.append(
            Blob(
                "hair",
                j["head"] + H @ np.array([0, lift, -0.22]) * hr,
                hair_r,
                M["hair"],
                up=H[:, 1],
                aspect=1.25 if style != "cap" else 0.9,
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
        fd = _unit(wr - el)
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
        down = _unit(knees - j["pelvis"])
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
    fwd = _unit(fwd if np.linalg.norm(fwd) > 1e-3 else spn[:, 0])
    twist = prop.get("_twist_" + s, 0.0)
    nrm = fwd * np.cos(twist) + _cross(fd, fwd) * np.sin(
        twist
    )  # palm normal, turned about the forearm
    wdir = _unit(_cross(fd, nrm))
    curl = prop.get("_curl_" + s, 0.3)
    pw = prop["r_hand_w"] * 0.5
    mat = M["shoes"] if look.get("gloves") else M["skin"]
    palm_end = wr + fd * 0.085 * scale
    fdir = _unit(fd * np.cos(curl) - nrm * np.sin(curl))
    thumb_dir = _unit(fd * 0.45 + sign * _cross(nrm, fd) * 0.75 + nrm * 0.25)
    base = wr + fd * 0.025 * scale + sign * _cross(nrm, fd) * pw * 0.7
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
    fdir = _unit(toe - an)
    up = _unit(kn - an)
    side = _unit(_cross(up, fdir))
    sole = -_unit(up - fdir * (up @ fdir))
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


_ARC = 5
_END = np.linspace(0, np.pi, _ARC + 2)[1:-1]
_START = np.linspace(np.pi, 2 * np.pi, _ARC + 2)[1:-1]
_END_CS = np.stack([np.cos(_END), np.sin(_END)], 1)
_START_CS = np.stack([np.cos(_START), np.sin(_START)], 1)


def _outline(p2, half, n2, caps):
    """Closed outline ``(P, 2)`` of a straight tube in the image: side chains and end arcs."""
    t2 = np.array([n2[1], -n2[0]])  # along the axis, start -> end
    side = n2[None] * half[:, None]
    pieces = [p2 + side]
    if caps[1]:
        pieces.append(p2[-1] + half[-1] * (_END_CS[:, :1] * n2 + _END_CS[:, 1:] * t2))
    pieces.append((p2 - side)[::-1])
    if caps[0]:
        pieces.append(p2[0] + half[0] * (_START_CS[:, :1] * n2 + _START_CS[:, 1:] * t2))
    return np.concatenate(pieces)


class Canvas:
    """Per-person maps over its bounding box: material, part, coverage (anti-aliased), and a
    detail multiplier (facial features drawn as darker or lighter marks; 1 elsewhere)."""

    def __init__(self, x0, y0, w, h):
        self.origin = np.array([x0, y0], float)
        self.mat = np.zeros((h, w), np.uint8)
        self.part = np.zeros((h, w), np.uint8)
        self.alpha = np.zeros((h, w), np.uint8)
        self.detail = None
        self.face = None  # (albedo (h, w, 3), weight (h, w)) where a real face is drawn
        self.shade_lut = None  # part id -> the surface it is shaded with (None: its own)

    def polys(self, outline, mat, part):
        """Fill one part's outline ``(P, 2)`` (continuous image pixels)."""
        fx = [_fx(outline, self.origin)]
        cv2.fillPoly(self.mat, fx, int(mat), cv2.LINE_8, SHIFT)
        cv2.fillPoly(self.part, fx, int(part), cv2.LINE_8, SHIFT)
        cv2.fillPoly(self.alpha, fx, 255, cv2.LINE_AA, SHIFT)

    def details(self) -> np.ndarray:
        if self.detail is None:
            self.detail = np.ones(self.mat.shape, np.float32)
        return self.detail


#: Parts that are shaded as one surface with ``smooth_joints``: a real arm or leg shows no crease
#: at the elbow or knee, and a print on a shirt no rim, so the shading must not mark them either.
_SHADE_GROUPS = {"upper_arm": "arm", "forearm": "arm", "thigh": "leg", "shin": "leg"}
_TORSO_PARTS = ("torso_low", "torso_up", "panel")


def shade_group(name: str) -> str:
    """The surface a part is shaded with when joints are smooth (see :data:`_SHADE_GROUPS`)."""
    if name in _TORSO_PARTS:
        return "torso"
    side, _, rest = name.partition("_")
    return f"{side}_{_SHADE_GROUPS[rest]}" if rest in _SHADE_GROUPS else name


def render_figure(img, ids, person, cam, light, faces: bool = True, smooth_joints: bool = False):
    """Draw ``person`` (``proportions``, ``fk``, ``look``, ``parts``, ``id``) into ``img`` (RGB
    uint8, in place) and ``ids`` (uint8 person-id map, in place).

    light: ``{"dir": (3,) camera-frame unit vector the light travels along, "ambient", "diffuse",
    "colour" (3,)}``. Returns ``(xy (17, 2) continuous image pixels, depth (17,), visible (17,)
    bool (own parts and facing only), info)``; ``info["face_drawn"]`` says whether facial
    features were drawn, ``info["facing"]`` the cosine between the face normal and the camera.
    ``smooth_joints``: shade each limb and the torso as one surface (:func:`shade_group`), so
    no dark rim marks the elbows, knees, waist or a chest print; the part map itself (and the
    visibility it decides) is the same either way.
    """
    Mr, t, f, c = cam["M"], cam["t"], cam["f"], cam["c"]
    to_cam = lambda X: (Mr @ np.asarray(X, float).T).T + t  # noqa: E731
    proj = lambda Xc: f * Xc[..., :2] / np.maximum(Xc[..., 2:3], 1e-3) + c  # noqa: E731
    parts, look, fk, prop = person["parts"], person["look"], person["fk"], person["proportions"]
    j = fk["joints"]
    hgt, wid = img.shape[:2]
    # bounding box of the person (with the widest part's radius), clipped to the image
    pts = [np.atleast_2d(p.axis) if isinstance(p, Tube) else p.centre[None] for p in parts]
    cp_all = to_cam(np.concatenate(pts))  # every part's points in one product
    cuts = np.cumsum([len(q) for q in pts])[:-1]
    per_part = np.split(cp_all, cuts)
    per_part2 = np.split(proj(cp_all), cuts)
    cp = cp_all[cp_all[:, 2] >= 0.05]
    uv = proj(cp) if len(cp) else np.zeros((1, 2))
    margin = f * 0.15 / max(float(np.median(cp[:, 2])) if len(cp) else 1.0, 0.3)
    x0, y0 = np.floor(np.clip(uv.min(0) - margin, 0, [wid, hgt])).astype(int)
    x1, y1 = np.ceil(np.clip(uv.max(0) + margin, 0, [wid, hgt])).astype(int)
    info = {"face_drawn": False, "facing": 0.0}
    xy, depth, faces_cam = _keypoints(j, fk["head_axes"], prop["head_r"], to_cam, proj, Mr)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return xy, depth, np.zeros(17, bool), info
    cv_ = Canvas(x0, y0, x1 - x0, y1 - y0)
    cv_.radius_px = f * prop["r_thigh"] * 1.5 / max(float(np.median(cp[:, 2])), 0.3)
    names = ["_"] + sorted({p.name for p in parts})
    pid = {n: i for i, n in enumerate(names)}
    if smooth_joints:
        groups = sorted({shade_group(n) for n in names[1:]})
        cv_.shade_lut = np.array(
            [0] + [1 + groups.index(shade_group(n)) for n in names[1:]], np.uint8
        )
    order = []
    thighs = []
    for p, pc, p2 in zip(parts, per_part, per_part2):
        z = float(pc[:, 2].mean()) + p.depth_bias
        if p.name.endswith("_thigh"):
            thighs.append(z)
        order.append([z, p, pc, p2])
    for it in order:  # a skirt covers the thighs from any side
        if it[1].name == "skirt" and thighs:
            it[0] = min(min(thighs) - 0.01, it[0])
    order.sort(key=lambda it: -it[0])
    chest_front = (Mr @ fk["torso_axes"][:, 2]) @ _unit(to_cam(j["neck"][None])[0]) < -0.15
    for _, p, pc, p2 in order:
        if p.name == "panel" and not chest_front:
            continue
        if isinstance(p, Tube):
            _draw_tube(cv_, p, pc, p2, f, pid[p.name], Mr)
        else:
            _draw_blob(cv_, p, pc, p2, f, pid[p.name], Mr)
            if p.name == "head":
                info.update(_draw_face(cv_, p, fk["head_axes"], to_cam, proj, f, Mr, look, faces))
    _composite(img, ids, cv_, look, light, person["id"], fk, to_cam, proj, Mr)
    # visibility of each keypoint on the person's own surface
    vis = np.zeros(17, bool)
    ij = np.floor(np.nan_to_num(xy - cv_.origin, nan=-1.0)).astype(int)
    inside = (
        (ij[:, 0] >= 0)
        & (ij[:, 0] < cv_.part.shape[1])
        & (ij[:, 1] >= 0)
        & (ij[:, 1] < cv_.part.shape[0])
    )
    for k in np.nonzero(inside)[0]:
        got = names[int(cv_.part[ij[k, 1], ij[k, 0]])]
        vis[k] = got in _KP_OWNERS[k] and (k >= 5 or faces_cam[k])
    return xy, depth, vis, info


def _keypoints(j, H, hr, to_cam, proj, Mr):
    """COCO-17 keypoints (camera frame) and, for the face points, whether they face the camera."""
    kp3, facing = [], []
    for name in ("nose", "left_eye", "right_eye", "left_ear", "right_ear"):
        n = H @ np.asarray(FACE_POINTS[name], float)
        Xc = to_cam((j["head"] + n * hr)[None])[0]
        nc = Mr @ n
        kp3.append(Xc)
        facing.append(bool(nc @ Xc < -0.05 * np.linalg.norm(nc) * np.linalg.norm(Xc)))
    for jn in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
        for s in ("l", "r"):
            kp3.append(to_cam(j[f"{s}_{jn}"][None])[0])
            facing.append(True)
    kp3 = np.stack(kp3)
    return proj(kp3), kp3[:, 2], facing


def _normal2(p2):
    d = p2[-1] - p2[0]
    n = math.hypot(float(d[0]), float(d[1]))
    return np.array([-d[1], d[0]]) / n if n > 1e-6 else np.array([1.0, 0.0])


def _draw_tube(cv_, p, Pc, p2, f, part_id, Mr):
    if Pc[:, 2].min() < 0.05:
        return
    n2 = _normal2(p2)
    if p.d is None:
        half = f * p.w / Pc[:, 2]
    else:
        n3 = np.array([n2[0], n2[1], 0.0])
        uc = Mr @ p.u
        ax = _unit(Pc[-1] - Pc[0])
        vc = _unit(_cross(ax, uc))
        half = f * np.sqrt((p.w * (uc @ n3)) ** 2 + (p.d * (vc @ n3)) ** 2) / Pc[:, 2]
    if float(half.max()) < 0.3 or not np.isfinite(p2).all():
        return
    segs = _segments(p.mats)
    for lo, hi, mat in segs:
        sl = slice(lo, hi + 1)
        caps = (p.caps[0] if lo == 0 else False, p.caps[1] if hi == len(p.mats) else False)
        if len(segs) > 1:  # inner edges of a split tube get round joins from the neighbouring piece
            caps = (caps[0] or lo > 0, caps[1])
        cv_.polys(_outline(p2[sl], half[sl], n2, caps), mat, part_id)


def _segments(mats):
    """Runs of equal material: ``[(first level, last level, material)]``."""
    out, start = [], 0
    for i in range(1, len(mats) + 1):
        if i == len(mats) or mats[i] != mats[start]:
            out.append((start, i, mats[start]))
            start = i
    return out


def _draw_blob(cv_, p, pc, p2, f, part_id, Mr):
    Xc = pc[0]
    if Xc[2] < 0.05:
        return
    c2 = p2[0]
    r = f * p.r / Xc[2]
    if r < 0.3 or not np.all(np.isfinite(c2)):
        return
    ang, ry = 0.0, r
    if p.up is not None:
        up = Mr @ p.up
        ang = float(np.degrees(np.arctan2(up[1], up[0]))) + 90.0
        ry = r * (1 + (p.aspect - 1) * float(np.linalg.norm(up[:2])))
    ca, sa = np.cos(np.radians(ang)), np.sin(np.radians(ang))
    ex, ey = r * _RING[:, 0], ry * _RING[:, 1]
    outline = np.stack([c2[0] + ex * ca - ey * sa, c2[1] + ex * sa + ey * ca], 1)
    cv_.polys(outline, p.mat, part_id)


_RING = np.stack(
    [
        np.cos(np.linspace(0, 2 * np.pi, 20, endpoint=False)),
        np.sin(np.linspace(0, 2 * np.pi, 20, endpoint=False)),
    ],
    1,
)


def _draw_face(cv_, head, H, to_cam, proj, f, Mr, look, faces):
    """Facial features where the face turns towards the camera: a real LFW face (or drawn
    eyes and a mouth), ears, and glasses or a beard."""
    hr = head.r
    n = H[:, 2]
    Xc = to_cam(head.centre[None])[0]
    facing = float(-(Mr @ n) @ _unit(Xc))
    out = {"face_drawn": False, "facing": facing}
    pts = {}
    for name, loc in (
        ("left_eye", FACE_POINTS["left_eye"]),
        ("right_eye", FACE_POINTS["right_eye"]),
        ("mouth", MOUTH),
        ("left_ear", FACE_POINTS["left_ear"]),
        ("right_ear", FACE_POINTS["right_ear"]),
        ("nose", FACE_POINTS["nose"]),
    ):
        loc = np.asarray(loc, float)
        X = to_cam((head.centre + H @ loc * hr)[None])[0]
        pts[name] = (proj(X), float(-(Mr @ (H @ loc)) @ _unit(X)), X[2])
    skin = np.asarray(look["skin"], np.float32)
    h, w = cv_.mat.shape
    for ear in ("left_ear", "right_ear"):  # ears: drawn where they face the camera
        p2, cos, z = pts[ear]
        if cos > 0.05:
            r = max(f * hr * 0.2 / z, 0.6)
            cv2.ellipse(
                cv_.details(),
                tuple(int(v) for v in _fx(p2, cv_.origin)),
                (int(r * 0.7 * _S), int(r * _S)),
                0,
                0,
                360,
                0.7,
                -1,
                cv2.LINE_8,
                SHIFT,
            )
    if facing < 0.2:
        return out
    eyes_ok = pts["left_eye"][1] > 0.05 or pts["right_eye"][1] > 0.05
    if not eyes_ok:
        return out
    src = lfw_faces()
    if faces and len(src):
        face = src[look["face"] % len(src)]
        dst = np.array(
            [pts["left_eye"][0], pts["right_eye"][0], pts["mouth"][0]], np.float32
        ) - cv_.origin.astype(np.float32)
        span = float(np.ptp(dst, axis=0).max()) * 1.6 + 2.0
        ctr = dst.mean(0)
        fx0, fy0 = int(max(0, np.floor(ctr[0] - span))), int(max(0, np.floor(ctr[1] - span)))
        fx1, fy1 = int(min(w, np.ceil(ctr[0] + span))), int(min(h, np.ceil(ctr[1] + span)))
        if fx1 - fx0 < 2 or fy1 - fy0 < 2:
            return out
        A_ = cv2.getAffineTransform(LFW_POINTS, dst - np.array([fx0, fy0], np.float32))
        size = (fx1 - fx0, fy1 - fy0)
        g = cv2.warpAffine(
            face, A_, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=-1
        )
        wgt = cv2.warpAffine(_FACE_SOFT, A_, size, flags=cv2.INTER_LINEAR) * min(
            1.0, (facing - 0.2) / 0.35
        )
        gm = float(np.mean(face))
        alb = skin[None, None] * np.clip(0.6 + 1.5 * (g - gm), 0.1, 1.5)[..., None]
        cv_.face = (
            alb.astype(np.float32),
            np.where(wgt > 0.01, wgt, 0).astype(np.float32),
            (fx0, fy0),
        )
        out["face_drawn"] = True
        _glasses_beard(cv_, pts, f, hr, look)
        return out
    for eye in ("left_eye", "right_eye"):
        p2, cos, z = pts[eye]
        if cos <= 0.05:
            continue
        r = max(f * hr * 0.13 / z, 0.6)
        cv2.circle(
            cv_.details(),
            tuple(int(v) for v in _fx(p2, cv_.origin)),
            int(r * 1.3 * _S),
            1.35,
            -1,
            cv2.LINE_8,
            SHIFT,
        )
        cv2.circle(
            cv_.details(),
            tuple(int(v) for v in _fx(p2, cv_.origin)),
            int(r * 0.8 * _S),
            0.15,
            -1,
            cv2.LINE_8,
            SHIFT,
        )
        out["face_drawn"] = True
    p2, cos, z = pts["mouth"]
    if cos > 0.05:
        r = max(f * hr * 0.16 / z, 0.6)
        cv2.ellipse(
            cv_.details(),
            tuple(int(v) for v in _fx(p2, cv_.origin)),
            (int(r * _S), int(r * 0.35 * _S)),
            0,
            0,
            360,
            0.45,
            -1,
            cv2.LINE_8,
            SHIFT,
        )
    _glasses_beard(cv_, pts, f, hr, look)
    return out


def _glasses_beard(cv_, pts, f, hr, look):
    """Dark rims around the eyes (``look["glasses"]``) and a darker jaw (``look["beard"]``), as
    multipliers on the detail map."""
    det = None
    if look.get("glasses"):
        det = cv_.details()
        for eye in ("left_eye", "right_eye"):
            p2, cos, z = pts[eye]
            if cos > 0.1:
                r = max(f * hr * 0.2 / z, 0.8)
                cv2.circle(
                    det,
                    tuple(int(v) for v in _fx(p2, cv_.origin)),
                    int(r * _S),
                    0.3,
                    max(1, int(r * 0.25)),
                    cv2.LINE_8,
                    SHIFT,
                )
    if look.get("beard"):
        p2, cos, z = pts["mouth"]
        if cos > 0.1:
            det = det if det is not None else cv_.details()
            r = max(f * hr * 0.45 / z, 0.8)
            c = tuple(int(v) for v in _fx(p2, cv_.origin))
            cv2.ellipse(
                det, c, (int(r * _S), int(r * 0.6 * _S)), 0, 0, 180, 0.5, -1, cv2.LINE_8, SHIFT
            )


def shading(part, light, radius_px: float) -> np.ndarray:
    """Per-pixel shade of a person's part map ``(h, w)`` uint8: each part treated as rounded.

    The distance ``d`` to the nearest part outline (any change of part id, or the background),
    over its local maximum ``D`` (the part's half-width, from a max filter of about
    ``radius_px``), gives how far in from the rim a pixel is, ``q = d / D``; the gradient of
    ``d`` gives the outward direction. The normal is ``(outward * sqrt(1 - q^2), -q)`` in camera
    coordinates; the shade is ``ambient + diffuse * max(0, -n . L)``, with a soft rim.
    """
    if min(part.shape) < 4:  # a sliver at the image edge: filters need a few pixels
        return np.full(part.shape, light["ambient"] + 0.5 * light["diffuse"], np.float32)
    er, di = cv2.erode(part, _K3), cv2.dilate(part, _K3)
    inner = ((er == part) & (di == part) & (part > 0)).astype(np.uint8)
    d = cv2.distanceTransform(inner, cv2.DIST_L2, 3)
    k = max(3, int(2 * radius_px) | 1)
    D = cv2.dilate(d, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    q = np.minimum(d / np.maximum(D, 1.0), 1.0)
    gx = cv2.Sobel(d, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(d, cv2.CV_32F, 0, 1, ksize=3)
    g = np.sqrt(gx * gx + gy * gy) + 1e-6
    L = np.asarray(light["dir"], np.float32)
    side = np.sqrt(np.maximum(1.0 - q * q, 0.0))
    # -n . L with n = (-g/|g| * side, -q): the outward direction is minus the gradient of d
    lam = (gx * L[0] + gy * L[1]) / g * side + q * L[2]
    shade = light["ambient"] + light["diffuse"] * np.maximum(lam, 0.0)
    shade *= 0.72 + 0.28 * np.sqrt(q)  # a soft dark rim where the surface turns away
    return cv2.GaussianBlur(shade.astype(np.float32), (0, 0), 0.7)


def _composite(img, ids, cv_, look, light, person_id, fk, to_cam, proj, Mr):
    """Texture each material, multiply by the blurred shading and the light's colour, and blend
    the person over ``img`` with its anti-aliased coverage; mark covered pixels in ``ids``."""
    bx, by, bw, bh = cv2.boundingRect(cv_.alpha)
    if bw == 0 or bh == 0:
        return
    sl = (slice(by, by + bh), slice(bx, bx + bw))
    x0, y0 = int(cv_.origin[0]) + bx, int(cv_.origin[1]) + by
    mat = cv_.mat[sl]
    colours = A.material_colours(look)
    lut = np.zeros((len(A.MATERIALS) + 1, 3), np.float32)
    for m, col in colours.items():
        lut[m] = col
    alb = lut[mat]  # solid colours first; patterned materials below
    j = fk["joints"]
    ang = lambda a, b: float(
        np.arctan2(*(proj(to_cam(b[None]))[0] - proj(to_cam(a[None]))[0])[::-1])
    )  # noqa: E731
    patterned = {
        A.MAT["top"]: (look["top_texture"], ang(j["pelvis"], j["neck"]) + np.pi / 2),
        A.MAT["bottom"]: (
            look["bottom_texture"],
            ang(j["l_hip"], j["l_knee"])
            if look["bottom"] != "skirt"
            else ang(j["pelvis"], j["neck"]) + np.pi / 2,
        ),
        A.MAT["hair"]: ({"kind": "noise", "scale": 3.0}, 0.0),
    }
    for m, (tex, axis) in patterned.items():
        if tex["kind"] == "solid" and m != A.MAT["hair"]:
            continue
        ys, xs = np.nonzero(mat == m)
        if len(ys):
            alb[ys, xs] = A.albedo(tex, colours[m], xs + x0, ys + y0, axis)
    if cv_.face is not None:  # the real face, where the head's skin is (in the cropped frame)
        fa, fw, (fx0, fy0) = cv_.face
        fy, fx = np.nonzero(fw > 0)
        gy, gx = fy + fy0 - by, fx + fx0 - bx
        ok = (gy >= 0) & (gy < bh) & (gx >= 0) & (gx < bw)
        fy, fx, gy, gx = fy[ok], fx[ok], gy[ok], gx[ok]
        skin = mat[gy, gx] == A.MAT["skin"]
        fy, fx, gy, gx = fy[skin], fx[skin], gy[skin], gx[skin]
        if len(fy):
            wv = fw[fy, fx][:, None]
            alb[gy, gx] = alb[gy, gx] * (1 - wv) + fa[fy, fx] * wv
    part = cv_.part[sl] if cv_.shade_lut is None else cv_.shade_lut[cv_.part[sl]]
    shade = shading(part, light, cv_.radius_px)
    if cv_.detail is not None:
        shade *= cv2.GaussianBlur(cv_.detail, (0, 0), 0.6)[sl]
    lc = np.asarray(light["colour"], np.float32)
    shade3 = cv2.merge([shade * float(lc[0]), shade * float(lc[1]), shade * float(lc[2])])
    colour = cv2.multiply(alb, shade3)
    a = cv_.alpha[sl]
    a3 = cv2.merge([a, a, a]).astype(np.float32) * (1.0 / 255.0)
    roi = img[y0 : y0 + bh, x0 : x0 + bw]
    out = cv2.add(cv2.multiply(colour, a3), cv2.multiply(roi.astype(np.float32), 1.0 - a3))
    img[y0 : y0 + bh, x0 : x0 + bw] = np.clip(out, 0, 255).astype(np.uint8)
    ids[y0 : y0 + bh, x0 : x0 + bw][a > 127] = person_id
