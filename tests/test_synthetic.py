import json
import os

import numpy as np
import pytest

from posenet_mobile.data import body as B
from posenet_mobile.data import capsules as CAP
from posenet_mobile.data.coco import load_coco
from posenet_mobile.data.synthetic import SynthConfig, render_sample, synthesize
from posenet_mobile.errors import ConfigError
from posenet_mobile.schema import COCO17

from helpers import standing


def _read_all(d):
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            with open(os.path.join(root, f), "rb") as fh:
                out[os.path.relpath(os.path.join(root, f), d)] = fh.read()
    return out


def test_same_seed_same_bytes_regardless_of_workers(tmp_path):
    cfg = SynthConfig(image_size=96)
    synthesize(tmp_path / "a", 10, seed=3, cfg=cfg, workers=1, progress=False)
    synthesize(tmp_path / "b", 10, seed=3, cfg=cfg, workers=2, progress=False)
    synthesize(tmp_path / "c", 10, seed=4, cfg=cfg, workers=1, progress=False)
    # this process and two subprocesses claim chunks of images: each image once, nothing left over
    synthesize(tmp_path / "d", 10, seed=3, cfg=cfg, workers=3, progress=False)
    a, b, c = _read_all(tmp_path / "a"), _read_all(tmp_path / "b"), _read_all(tmp_path / "c")
    assert a == b == _read_all(tmp_path / "d")
    assert a["images/000000.jpg"] != c["images/000000.jpg"]


def test_coco_fields_and_reader_round_trip(tmp_path):
    summary = synthesize(
        tmp_path,
        12,
        seed=0,
        cfg=SynthConfig(image_size=128, max_people=3),
        workers=1,
        progress=False,
    )
    coco = json.loads((tmp_path / "annotations.json").read_text())
    assert coco["categories"][0]["keypoints"] == list(COCO17.names)
    assert len(coco["images"]) == 12 and summary["annotations"] == len(coco["annotations"]) >= 12
    for ann in coco["annotations"]:
        for key in (
            "id",
            "image_id",
            "category_id",
            "keypoints",
            "num_keypoints",
            "bbox",
            "area",
            "iscrowd",
        ):
            assert key in ann
        kp = np.array(ann["keypoints"]).reshape(17, 3)
        assert ann["num_keypoints"] == int((kp[:, 2] > 0).sum()) > 0
        assert np.all(kp[kp[:, 2] == 0, :2] == 0)
        lab = kp[kp[:, 2] > 0, :2]
        assert np.all((lab >= 0) & (lab < 128))
        x, y, w, h = ann["bbox"]
        assert 0 <= x and 0 <= y and x + w <= 128 and y + h <= 128 and ann["area"] > 0
    ds = load_coco(tmp_path, min_box_area=0)
    assert ds.schema.names == COCO17.names and len(ds) == len(coco["annotations"])
    assert (
        max(
            len([a for a in coco["annotations"] if a["image_id"] == i["id"]])
            for i in coco["images"]
        )
        > 1
    )


def _standing(arms_forward=False):
    return standing(B.sample_proportions, arms_forward)


def _render_image(yaw, size=256):
    prop, pose, fk = _standing(False)
    look = CAP.sample_appearance(np.random.default_rng(1))
    look["stripes"] = False
    M = np.diag([1.0, -1.0, -1.0]) @ B.rot_y(yaw)
    cam = {"M": M, "t": np.array([0.0, -0.1, 4.0]), "f": 450.0, "c": np.array([size / 2, size / 2])}
    img = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    xy, _, _ = CAP.render_person(
        img,
        mask,
        np.random.default_rng(2),
        cam,
        {"id": 1, "proportions": prop, "look": look, "fk": fk},
        (0.5, -0.5),
    )
    return img, xy, look


def test_front_and_back_differ_on_the_torso():
    """The chest carries a skin-coloured neckline and a dark placket facing the camera only."""
    idx = COCO17.index
    front, xy, look = _render_image(0.0)
    back, _, _ = _render_image(np.pi)
    sh = 0.5 * (xy[idx("left_shoulder")] + xy[idx("right_shoulder")])
    hip = 0.5 * (xy[idx("left_hip")] + xy[idx("right_hip")])
    x = int(sh[0])

    def dist(img, colour, t):  # nearest colour match on the midline, t of the way shoulders -> hips
        y = int(sh[1] + t * (hip[1] - sh[1]))
        return np.abs(img[y, x - 3 : x + 3].astype(float) - colour).sum(-1).min()

    assert dist(front, look["skin"], 0.18) < 20 < 100 < dist(back, look["skin"], 0.18)  # neckline
    dark = np.clip(np.asarray(look["shirt"]) * 0.35, 0, 255)
    for t in (0.3, 0.5, 0.7):  # placket
        assert dist(front, dark, t) < 20 < 100 < dist(back, dark, t)
    assert np.abs(front.astype(int) - back.astype(int)).sum() > 0


def _render(yaw, size=256, arms_forward=False):
    prop, pose, fk = _standing(arms_forward)
    look = CAP.sample_appearance(np.random.default_rng(1))
    M = np.diag([1.0, -1.0, -1.0]) @ B.rot_y(yaw)
    cam = {"M": M, "t": np.array([0.0, -0.1, 4.0]), "f": 120.0, "c": np.array([size / 2, size / 2])}
    img = np.zeros((size, size, 3), np.uint8)
    mask = np.zeros((size, size), np.uint8)
    person = {"id": 1, "proportions": prop, "look": look, "fk": fk}
    return CAP.render_person(img, mask, np.random.default_rng(2), cam, person, (0.5, -0.5))


def test_visibility_follows_depth_on_constructed_views():
    idx = COCO17.index
    # facing the camera: face visible, the person's left on the viewer's right
    xy, depth, vis = _render(0.0)
    assert vis[[idx("nose"), idx("left_eye"), idx("right_eye")]].all()
    assert xy[idx("left_shoulder"), 0] > xy[idx("right_shoulder"), 0]
    assert vis[
        [idx("left_shoulder"), idx("right_shoulder"), idx("left_knee"), idx("right_knee")]
    ].all()
    # back to the camera: eyes and nose turned away
    _, _, vis = _render(np.pi)
    assert not vis[[idx("nose"), idx("left_eye"), idx("right_eye")]].any()
    # side view: the far shoulder and hip are hidden by the torso, the near ones are visible
    xy, depth, vis = _render(np.pi / 2, arms_forward=True)
    for joint in ("shoulder", "hip", "knee"):
        l, r = idx("left_" + joint), idx("right_" + joint)
        near, far = (l, r) if depth[l] < depth[r] else (r, l)
        assert vis[near] and not vis[far], (joint, depth[l], depth[r])
    # arms hanging in a side view: the near hand covers the near hip
    xy, depth, vis = _render(np.pi / 2)
    near_hip = (
        idx("left_hip") if depth[idx("left_hip")] < depth[idx("right_hip")] else idx("right_hip")
    )
    assert not vis[near_hip]


def test_pose_prior_covers_categories_and_limits():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(300):
        pose = B.sample_pose(rng)
        seen.add(pose["category"])
        for key, val in pose.items():
            lim = B.JOINT_LIMITS.get(key[2:] if key[:2] in ("l_", "r_") else key)
            if lim:
                assert lim[0] <= val <= lim[1]
    assert seen == set(B.POSE_CATEGORIES)


def test_sample_is_hard_enough():
    """Poses, views and visibility vary: not a single canned person."""
    people = [render_sample(0, i, SynthConfig(image_size=128))[1][0] for i in range(40)]
    yaws = np.array([p["camera"]["yaw"] for p in people])
    assert yaws.min() < -2 and yaws.max() > 2
    vis = np.concatenate([p["keypoints"][:, 2] for p in people])
    assert 0.05 < (vis == 1).mean() < 0.6 and (vis == 2).mean() > 0.3


def test_detection_frames_hold_zero_to_max_people_with_their_alignment():
    from posenet_mobile import geometry as G
    from posenet_mobile.schema import COCO17, torso_indices

    cfg = SynthConfig(image_size=128, max_people=3, purpose="detection")
    counts, checked = [], 0
    for i in range(16):
        img, people = render_sample(5, i, cfg)
        again, _ = render_sample(5, i, cfg)
        assert img.shape == (128, 128, 3) and np.array_equal(img, again)
        counts.append(len(people))
        for p in people:
            cx, cy, r, angle = p["alignment"]
            assert r > 0 and -180 < angle <= 180
            kp = p["keypoints"]
            if (kp[:, 2] > 0).all():  # wholly inside: the labels alone give the same alignment
                al = G.alignment_from_keypoints(
                    kp[:, :2], np.ones(17, bool), torso_indices(COCO17.names)
                )
                np.testing.assert_allclose(al.as_array(), p["alignment"], atol=1e-6)
                checked += 1
    assert max(counts) <= 3 and 0 in counts and max(counts) >= 2
    assert checked > 0
    with pytest.raises(ConfigError, match="synth.purpose"):
        SynthConfig(purpose="boxes")
    with pytest.raises(ConfigError, match="synth.detection_scale"):
        SynthConfig(detection_scale=(0.9, 0.1))


def test_a_complete_synthetic_set_is_reused_not_drawn_again(tmp_path):
    """Its recorded settings read back from JSON (tuples as lists) still match the config's."""
    from posenet_mobile.train.data import synthetic_set

    said = []
    synth = SynthConfig(image_size=96)
    for _ in range(2):
        synthetic_set(tmp_path / "s", 6, 3, 96, progress=said.append, synth=synth)
    assert sum(m.startswith("generating") for m in said) == 1
    other = SynthConfig(image_size=96, person_scale=(0.5, 0.9))
    synthetic_set(tmp_path / "s", 6, 3, 96, progress=said.append, synth=other)
    assert sum(m.startswith("generating") for m in said) == 2
