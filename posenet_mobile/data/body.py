"""3D kinematic human: anthropometric proportions, a pose prior, forward kinematics.

Body frame (metres): +x the person's left, +y up, +z the direction the person faces; the
pelvis centre is the origin. Limbs at rest hang along -y. Joint angles are radians.

The pose prior covers standing, walking, running, arms raised, reaching, sitting, squatting,
bending, kneeling, lying and kicking; each category draws joint angles from ranges inside
anatomical limits (:data:`JOINT_LIMITS`), with left/right chosen at random.
"""

from __future__ import annotations

import numpy as np

POSE_CATEGORIES = (
    "standing",
    "walking",
    "running",
    "arms_raised",
    "reaching",
    "sitting",
    "squatting",
    "bending",
    "kneeling",
    "lying",
    "kicking",
)

# Anatomical limits (radians) every sampled angle is clipped to.
JOINT_LIMITS = {
    "shoulder_flex": (-0.9, 3.1),  # arm forward/up (+), backward (-)
    "shoulder_abd": (-0.3, 3.0),  # arm out to the side
    "elbow_flex": (0.0, 2.6),
    "hip_flex": (-0.6, 2.4),  # thigh forward (+)
    "hip_abd": (-0.3, 1.0),
    "knee_flex": (0.0, 2.6),
    "spine_flex": (-0.4, 1.6),  # torso forward (+)
    "spine_lat": (-0.5, 0.5),
    "spine_twist": (-0.7, 0.7),
    "neck_flex": (-0.6, 0.8),
    "neck_twist": (-1.1, 1.1),
}


def rot_x(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def sample_proportions(rng) -> dict:
    """Segment lengths and radii (metres) of one person; height 1.45-1.95 m, varied build."""
    h = rng.uniform(1.45, 1.95)
    build = rng.uniform(0.8, 1.3)  # girth multiplier
    j = lambda f, spread=0.08: f * h * rng.uniform(1 - spread, 1 + spread)  # noqa: E731
    return {
        "height": h,
        "torso": j(0.30),
        "neck": j(0.05),
        "head_r": j(0.062, 0.05),
        "shoulder_w": j(0.115) * build**0.3,
        "hip_w": j(0.085) * build**0.3,
        "upper_arm": j(0.17),
        "forearm": j(0.15),
        "thigh": j(0.245),
        "shin": j(0.245),
        "foot": j(0.075),
        "r_torso": j(0.085) * build,
        "r_upper_arm": j(0.028) * build,
        "r_forearm": j(0.022) * build,
        "r_thigh": j(0.045) * build,
        "r_shin": j(0.033) * build,
        "r_neck": j(0.03) * build,
        "r_hand": j(0.027),
        "r_foot": j(0.025),
    }


def sample_pose(rng, category: str | None = None) -> dict:
    """Joint angles for one pose drawn from the prior. Keys follow :data:`JOINT_LIMITS`, per side."""
    cat = category or POSE_CATEGORIES[rng.integers(len(POSE_CATEGORIES))]
    u = rng.uniform
    a = {"category": cat}
    for side in ("l", "r"):
        a[f"{side}_shoulder_flex"] = u(-0.3, 0.4)
        a[f"{side}_shoulder_abd"] = u(0.05, 0.5)
        a[f"{side}_elbow_flex"] = u(0.0, 0.6)
        a[f"{side}_hip_flex"] = u(-0.1, 0.2)
        a[f"{side}_hip_abd"] = u(0.0, 0.15)
        a[f"{side}_knee_flex"] = u(0.0, 0.2)
    a.update(
        spine_flex=u(-0.1, 0.15),
        spine_lat=u(-0.1, 0.1),
        spine_twist=u(-0.2, 0.2),
        neck_flex=u(-0.3, 0.4),
        neck_twist=u(-0.8, 0.8),
        body_pitch=0.0,
        body_roll=0.0,
    )
    f, b = ("l", "r") if rng.random() < 0.5 else ("r", "l")  # front/back (or active/passive) side
    if cat == "walking" or cat == "running":
        s = 0.5 if cat == "walking" else 1.0
        a[f"{f}_hip_flex"], a[f"{b}_hip_flex"] = u(0.3, 0.6) * s + 0.1, -u(0.1, 0.4) * s
        a[f"{f}_knee_flex"], a[f"{b}_knee_flex"] = u(0.0, 0.5) * s, u(0.2, 1.6) * s
        a[f"{f}_shoulder_flex"], a[f"{b}_shoulder_flex"] = -u(0.2, 0.6) * s, u(0.2, 0.8) * s
        a[f"{f}_elbow_flex"] = a[f"{b}_elbow_flex"] = u(0.2, 1.6) * s
        a["spine_flex"] = u(0.0, 0.3) * s
    elif cat == "arms_raised":
        for side in ("l", "r"):
            if rng.random() < 0.8:
                if rng.random() < 0.5:  # forward and up
                    a[f"{side}_shoulder_flex"], a[f"{side}_shoulder_abd"] = u(1.8, 3.1), u(0.0, 0.4)
                else:  # out to the side and up
                    a[f"{side}_shoulder_flex"], a[f"{side}_shoulder_abd"] = (
                        u(-0.2, 0.5),
                        u(1.2, 2.9),
                    )
                a[f"{side}_elbow_flex"] = u(0.0, 1.8)
    elif cat == "reaching":
        a[f"{f}_shoulder_flex"] = u(0.8, 2.2)
        a[f"{f}_shoulder_abd"] = u(0.0, 1.2)
        a[f"{f}_elbow_flex"] = u(0.0, 0.6)
        a["spine_flex"], a["spine_twist"] = u(0.0, 0.7), u(-0.5, 0.5)
    elif cat == "sitting":
        for side in ("l", "r"):
            a[f"{side}_hip_flex"] = u(1.2, 1.7)
            a[f"{side}_knee_flex"] = u(1.1, 1.8)
            a[f"{side}_elbow_flex"] = u(0.3, 1.8)
            a[f"{side}_shoulder_flex"] = u(0.0, 0.9)
    elif cat == "squatting":
        a["spine_flex"] = u(0.3, 0.9)
        for side in ("l", "r"):
            a[f"{side}_hip_flex"] = u(1.6, 2.3)
            a[f"{side}_knee_flex"] = u(1.8, 2.5)
            a[f"{side}_hip_abd"] = u(0.1, 0.5)
            a[f"{side}_shoulder_flex"] = u(0.3, 1.6)
    elif cat == "bending":
        a["spine_flex"] = u(0.8, 1.6)
        a["neck_flex"] = u(-0.6, 0.0)
        for side in ("l", "r"):
            a[f"{side}_shoulder_flex"] = u(0.5, 1.8)
            a[f"{side}_knee_flex"] = u(0.0, 0.5)
    elif cat == "kneeling":
        a[f"{f}_hip_flex"], a[f"{f}_knee_flex"] = u(1.2, 1.8), u(1.3, 1.8)
        a[f"{b}_hip_flex"], a[f"{b}_knee_flex"] = u(-0.2, 0.3), u(1.4, 2.1)
        if rng.random() < 0.4:  # both knees down
            a[f"{f}_hip_flex"], a[f"{f}_knee_flex"] = a[f"{b}_hip_flex"], a[f"{b}_knee_flex"]
    elif cat == "lying":
        a["body_pitch"] = (np.pi / 2) * (1 if rng.random() < 0.5 else -1) + u(-0.2, 0.2)
        a["body_roll"] = u(-0.5, 0.5)
        for side in ("l", "r"):
            a[f"{side}_hip_flex"] = u(-0.1, 1.2)
            a[f"{side}_knee_flex"] = u(0.0, 1.5)
            a[f"{side}_shoulder_abd"] = u(0.0, 2.5)
            a[f"{side}_elbow_flex"] = u(0.0, 2.0)
    elif cat == "kicking":
        a[f"{f}_hip_flex"], a[f"{f}_knee_flex"] = u(0.9, 2.2), u(0.0, 1.2)
        a[f"{f}_hip_abd"] = u(0.0, 0.9)
        a["spine_flex"] = u(-0.3, 0.1)
        a[f"{f}_shoulder_abd"] = a[f"{b}_shoulder_abd"] = u(0.5, 1.4)
    for key, val in list(a.items()):
        lim = JOINT_LIMITS.get(key[2:] if key[:2] in ("l_", "r_") else key)
        if lim is not None:
            a[key] = float(min(max(val, lim[0]), lim[1]))
    return a


def forward_kinematics(p: dict, a: dict) -> dict:
    """3D joint positions (body frame, metres) and local axes for rendering.

    Returns ``{"joints": {name: (3,)}, "head_axes": (3, 3) columns x/y/z of the head,
    "torso_axes": (3, 3), "pelvis_axes": (3, 3)}`` (the pelvis does not turn with the spine). Keys of ``joints``: pelvis, neck, head, l/r shoulder, elbow, wrist,
    hip, knee, ankle, toe.
    """
    down = np.array([0.0, -1.0, 0.0])
    spine = rot_y(a["spine_twist"]) @ rot_z(a["spine_lat"]) @ rot_x(a["spine_flex"])
    j = {"pelvis": np.zeros(3)}
    j["neck"] = spine @ np.array([0.0, p["torso"], 0.0])
    head_rot = spine @ rot_y(a["neck_twist"]) @ rot_x(a["neck_flex"])
    j["head"] = j["neck"] + head_rot @ np.array([0.0, p["neck"] + p["head_r"] * 0.9, 0.0])
    for side, sx in (("l", 1.0), ("r", -1.0)):
        j[f"{side}_shoulder"] = j["neck"] + spine @ np.array(
            [sx * p["shoulder_w"], -0.02 * p["height"], 0.0]
        )
        # shoulder: flex about -x (forward is +z), abduction about z towards the side
        arm = spine @ rot_z(sx * a[f"{side}_shoulder_abd"]) @ rot_x(-a[f"{side}_shoulder_flex"])
        j[f"{side}_elbow"] = j[f"{side}_shoulder"] + arm @ (down * p["upper_arm"])
        fore = arm @ rot_x(-a[f"{side}_elbow_flex"])
        j[f"{side}_wrist"] = j[f"{side}_elbow"] + fore @ (down * p["forearm"])
        j[f"{side}_hip"] = np.array([sx * p["hip_w"], 0.0, 0.0])
        thigh = rot_z(sx * a[f"{side}_hip_abd"]) @ rot_x(-a[f"{side}_hip_flex"])
        j[f"{side}_knee"] = j[f"{side}_hip"] + thigh @ (down * p["thigh"])
        shin = thigh @ rot_x(a[f"{side}_knee_flex"])
        j[f"{side}_ankle"] = j[f"{side}_knee"] + shin @ (down * p["shin"])
        j[f"{side}_toe"] = j[f"{side}_ankle"] + shin @ np.array([0.0, -0.02, p["foot"]])
    body = rot_z(a["body_roll"]) @ rot_x(a["body_pitch"])
    return {
        "joints": {k: body @ v for k, v in j.items()},
        "head_axes": body @ head_rot,
        "torso_axes": body @ spine,
        "pelvis_axes": body,
    }


def sample_body(rng) -> dict:
    """Proportions of a human-looking figure: :func:`sample_proportions`' keys plus body shape.

    Draws sex (``femininity`` 0..1, a blend rather than two templates), age (children have a
    larger head for their height and shorter legs) and build (thin to heavy); segment lengths
    scale with height, girths with build. Extra keys: ``femininity``, ``child``, ``build``,
    ``chest``, ``waist``, ``hip_r`` (torso half-widths, metres), ``depth`` (torso half-depth),
    ``r_hand_w``, ``foot_w``.
    """
    child = rng.random() < 0.12
    fem = float(
        np.clip(
            rng.choice([rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)]) + rng.normal(0, 0.05), 0, 1
        )
    )
    h = rng.uniform(1.0, 1.45) if child else rng.uniform(1.58, 1.92) - 0.1 * fem
    build = float(np.clip(rng.lognormal(0.0, 0.16), 0.75, 1.6))
    j = lambda f, spread=0.05: f * h * rng.uniform(1 - spread, 1 + spread)  # noqa: E731
    head_scale = 1.25 if child else 1.0
    leg_scale = 0.93 if child else 1.0
    p = {
        "height": h,
        # head_r is the head's half-width (it is drawn 1.38 times as tall); shoulder_w and hip_w place
        # the joint centres, inside the outline: the acromion and the hip's outline lie further out
        "torso": j(0.30),
        "neck": j(0.045),
        "head_r": j(0.046 * head_scale, 0.04),
        "shoulder_w": j(0.1 - 0.01 * fem) * build**0.25,
        "hip_w": j(0.056 + 0.006 * fem) * build**0.3,
        "upper_arm": j(0.172),
        "forearm": j(0.150),
        "thigh": j(0.245 * leg_scale),
        "shin": j(0.245 * leg_scale),
        "foot": j(0.075),
        "r_torso": j(0.085) * build,
        "r_upper_arm": j(0.026 - 0.003 * fem) * build,
        "r_forearm": j(0.021 - 0.002 * fem) * build,
        "r_thigh": j(0.047 + 0.004 * fem) * build,
        "r_shin": j(0.031) * build,
        "r_neck": j(0.029 - 0.004 * fem) * build**0.5,
        "r_hand": j(0.026),
        "r_foot": j(0.024),
    }
    p.update(
        femininity=fem,
        child=child,
        build=build,
        chest=j(0.105 - 0.01 * fem) * build**0.8,
        waist=j(0.085 - 0.012 * fem) * build**1.2,
        hip_r=j(0.098 + 0.016 * fem) * build**0.9,
        depth=j(0.062 + 0.006 * fem) * build**1.1,
        r_hand_w=j(0.042),
        foot_w=j(0.048),
    )
    return p


#: COCO-like mix of pose categories: mostly upright people, the hard poses still present.
COCO_POSE_MIX = {
    "standing": 0.26,
    "walking": 0.16,
    "running": 0.07,
    "arms_raised": 0.07,
    "reaching": 0.08,
    "sitting": 0.12,
    "squatting": 0.04,
    "bending": 0.06,
    "kneeling": 0.04,
    "lying": 0.04,
    "kicking": 0.04,
}


def sample_category(rng, mix: str = "coco") -> str:
    """A pose category: ``"coco"`` draws from :data:`COCO_POSE_MIX`, ``"uniform"`` from all alike."""
    if mix == "uniform":
        return POSE_CATEGORIES[int(rng.integers(len(POSE_CATEGORIES)))]
    names = list(COCO_POSE_MIX)
    w = np.array([COCO_POSE_MIX[n] for n in names])
    return names[int(rng.choice(len(names), p=w / w.sum()))]
