"""Draw a human-looking synthetic person: tapered limbs, a shaped torso, hands, shoes, a head
with a face and hair, clothing with textures, lit by a directional light.

The parts come from :mod:`posenet_mobile.data.parts` (3D tubes and blobs), the face from
:mod:`posenet_mobile.data.face`. Each tube projects to a simple outline (two side chains and two
end arcs), filled with ``cv2.fillPoly``. Parts are painted far to near. Drawing is deferred: each
person gets a material map, a part map, an anti-aliased coverage map and a detail map (facial
features) over its bounding box (:class:`posenet_mobile.data.raster.Canvas`); materials are then
textured (:func:`posenet_mobile.data.appearance.albedo`), shaded (:func:`shading`: normals
rebuilt from the distance to each part's outline, so every part is rounded and lit from the
light's side) and composited over the scene.

The part map also decides COCO visibility: a keypoint is visible when the surface seen at its
pixel belongs to a part that contains it (a wrist inside its forearm or hand), and, for the
face points, when that side of the head faces the camera.

Image frame: continuous pixels, pixel ``i`` centred on ``i + 0.5``. Camera frame: x right,
y down, z forward.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import appearance as A
from .face import FACE_POINTS, draw_face, lfw_faces
from .parts import Blob, Tube, build_parts, cross, unit
from .raster import Canvas, outline

__all__ = ["build_parts", "lfw_faces", "render_figure", "shade_group", "shading", "Blob", "Tube"]

_K3 = np.ones((3, 3), np.uint8)

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
    "colour" (3,), and optionally "exposure": the person's mean shade}``. Returns ``(xy (17, 2)
    continuous image pixels, depth (17,), visible (17,) bool (own parts and facing only),
    info)``; ``info["face_drawn"]`` says whether facial
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
    z_mid = float(np.median(cp[:, 2])) if len(cp) else 1.0
    margin = f * 0.15 / max(z_mid, 0.3)
    x0, y0 = np.floor(np.clip(uv.min(0) - margin, 0, [wid, hgt])).astype(int)
    x1, y1 = np.ceil(np.clip(uv.max(0) + margin, 0, [wid, hgt])).astype(int)
    info = {"face_drawn": False, "facing": 0.0}
    xy, depth, faces_cam = _keypoints(j, fk["head_axes"], prop["head_r"], to_cam, proj, Mr)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return xy, depth, np.zeros(17, bool), info
    cv_ = Canvas(x0, y0, x1 - x0, y1 - y0)
    cv_.radius_px = f * prop["r_thigh"] * 1.5 / max(z_mid, 0.3)
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
    chest_front = (Mr @ fk["torso_axes"][:, 2]) @ unit(to_cam(j["neck"][None])[0]) < -0.15
    for _, p, pc, p2 in order:
        if p.name == "panel" and not chest_front:
            continue
        if isinstance(p, Tube):
            _draw_tube(cv_, p, pc, p2, f, pid[p.name], Mr)
        else:
            _draw_blob(cv_, p, pc, p2, f, pid[p.name], Mr)
            if p.name == "head":
                info.update(draw_face(cv_, p, fk["head_axes"], to_cam, proj, f, Mr, look, faces))
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
        ax = unit(Pc[-1] - Pc[0])
        vc = unit(cross(ax, uc))
        half = f * np.sqrt((p.w * (uc @ n3)) ** 2 + (p.d * (vc @ n3)) ** 2) / Pc[:, 2]
    if float(half.max()) < 0.3 or not np.isfinite(p2).all():
        return
    segs = _segments(p.mats)
    for lo, hi, mat in segs:
        sl = slice(lo, hi + 1)
        caps = (p.caps[0] if lo == 0 else False, p.caps[1] if hi == len(p.mats) else False)
        if len(segs) > 1:  # inner edges of a split tube get round joins from the neighbouring piece
            caps = (caps[0] or lo > 0, caps[1])
        cv_.polys(outline(p2[sl], half[sl], n2, caps), mat, part_id)


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
    alb = np.take(lut, mat, axis=0)  # solid colours first; patterned materials below
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
    if "exposure" in light:  # metered: the person's mean shade becomes the drawn level
        shade *= light["exposure"] / max(float(cv2.mean(shade, mask=cv_.alpha[sl])[0]), 0.05)
    lc = np.asarray(light["colour"], np.float32)
    shade3 = cv2.merge([shade * float(lc[0]), shade * float(lc[1]), shade * float(lc[2])])
    colour = cv2.multiply(alb, shade3)
    a = cv_.alpha[sl]
    a3 = cv2.merge([a, a, a]).astype(np.float32) * (1.0 / 255.0)
    roi = img[y0 : y0 + bh, x0 : x0 + bw]
    out = cv2.add(cv2.multiply(colour, a3), cv2.multiply(roi.astype(np.float32), 1.0 - a3))
    img[y0 : y0 + bh, x0 : x0 + bw] = np.clip(out, 0, 255).astype(np.uint8)
    ids[y0 : y0 + bh, x0 : x0 + bw][a > 127] = person_id
