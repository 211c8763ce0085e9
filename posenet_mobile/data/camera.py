"""The pinhole camera of the synthetic generators: where it stands to frame a person, and how a
body-frame point (metres) lands in the image.

Camera frame: x right, y down, z forward (depth, metres). Image frame: continuous pixel
coordinates with pixel ``i`` centred on ``i + 0.5`` (see :mod:`posenet_mobile.codec`)."""

from __future__ import annotations

import numpy as np

from . import body as B


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
