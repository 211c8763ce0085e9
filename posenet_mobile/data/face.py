"""Faces on synthetic heads: real faces from scikit-image's bundled LFW sample (``lfw_subset.npy``,
no download) mapped onto the head by their eyes and mouth, or drawn eyes and a mouth; ears,
glasses and a beard. Features are drawn only where they turn towards the camera, and the face
keypoints (:data:`FACE_POINTS`) land on the face's own features.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from .parts import unit
from .raster import SCALE, SHIFT, to_fixed

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


def draw_face(cv_, head, H, to_cam, proj, f, Mr, look, faces):
    """Facial features where the face turns towards the camera: a real LFW face (or drawn
    eyes and a mouth), ears, and glasses or a beard."""
    hr = head.r
    n = H[:, 2]
    Xc = to_cam(head.centre[None])[0]
    facing = float(-(Mr @ n) @ unit(Xc))
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
        pts[name] = (proj(X), float(-(Mr @ (H @ loc)) @ unit(X)), X[2])
    skin = np.asarray(look["skin"], np.float32)
    h, w = cv_.mat.shape
    for ear in ("left_ear", "right_ear"):  # ears: drawn where they face the camera
        p2, cos, z = pts[ear]
        if cos > 0.05:
            r = max(f * hr * 0.2 / z, 0.6)
            cv2.ellipse(
                cv_.details(),
                tuple(int(v) for v in to_fixed(p2, cv_.origin)),
                (int(r * 0.7 * SCALE), int(r * SCALE)),
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
            tuple(int(v) for v in to_fixed(p2, cv_.origin)),
            int(r * 1.3 * SCALE),
            1.35,
            -1,
            cv2.LINE_8,
            SHIFT,
        )
        cv2.circle(
            cv_.details(),
            tuple(int(v) for v in to_fixed(p2, cv_.origin)),
            int(r * 0.8 * SCALE),
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
            tuple(int(v) for v in to_fixed(p2, cv_.origin)),
            (int(r * SCALE), int(r * 0.35 * SCALE)),
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
                    tuple(int(v) for v in to_fixed(p2, cv_.origin)),
                    int(r * SCALE),
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
            c = tuple(int(v) for v in to_fixed(p2, cv_.origin))
            cv2.ellipse(
                det,
                c,
                (int(r * SCALE), int(r * 0.6 * SCALE)),
                0,
                0,
                180,
                0.5,
                -1,
                cv2.LINE_8,
                SHIFT,
            )
