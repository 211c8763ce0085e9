"""The human-looking renderer: faces only when facing, left and right where they belong,
visibility from what is drawn, each renderer switch visible in the pixels, and the capsule
generator kept bit for bit."""

import hashlib
import json

import numpy as np
import pytest

from posenet_mobile.data import body as B
from posenet_mobile.data import figure as F
from posenet_mobile.data import camera as C
from posenet_mobile.data import synthetic as SY
from posenet_mobile.schema import COCO17

from helpers import standing

idx = COCO17.index


def _person(arms_forward=False, look_seed=1, **look):
    prop, pose, fk = standing(B.sample_body, arms_forward)
    from posenet_mobile.data.appearance import sample_look

    lk = sample_look(np.random.default_rng(look_seed))
    lk.update(look)
    return {
        "id": 1,
        "proportions": prop,
        "pose": pose,
        "fk": fk,
        "look": lk,
        "parts": F.build_parts(prop, fk, lk),
    }


LIGHT = {
    "dir": np.array([0.3, 0.6, 0.7]) / np.linalg.norm([0.3, 0.6, 0.7]),
    "ambient": 0.5,
    "diffuse": 0.5,
    "colour": np.ones(3),
}


def _render(yaw, size=256, person=None, faces=True):
    person = person or _person()
    cam = C.camera_at(person["fk"], yaw, 0.0, 0.0, 4.0, (size, size), 0.8, (size / 2, size / 2))
    img = np.full((size, size, 3), 90, np.uint8)
    ids = np.zeros((size, size), np.uint8)
    xy, depth, vis, info = F.render_figure(img, ids, person, cam, LIGHT, faces=faces)
    return img, ids, xy, depth, vis, info


@pytest.mark.parametrize("faces", [True, False])
def test_the_face_is_drawn_only_when_facing(faces):
    img_f, _, xy, _, vis, info = _render(0.0, faces=faces)
    assert info["face_drawn"] and info["facing"] > 0.9
    assert vis[[idx("nose"), idx("left_eye"), idx("right_eye")]].all()
    img_b, _, _, _, vis, info = _render(np.pi, faces=faces)
    assert not info["face_drawn"] and info["facing"] < -0.9
    assert not vis[[idx("nose"), idx("left_eye"), idx("right_eye")]].any()
    # the face region differs between front and back: features drawn on one side only
    x, y = np.round(xy[idx("nose")]).astype(int)
    assert (
        np.abs(
            img_f[y - 3 : y + 4, x - 4 : x + 5].astype(int) - img_b[y - 3 : y + 4, x - 4 : x + 5]
        ).mean()
        > 5
    )


@pytest.mark.parametrize("style", ["short", "medium", "long", "bun", "ponytail"])
def test_the_back_of_the_head_is_hair(style):
    """From behind, a head is hair down to the nape; from the front the same place is the face.
    A cap of hair over a skin ellipse looked the same from both sides (from below most of all),
    and then only the faint face told a person's back from their front, that is left from right."""
    green, skin = np.array([0.0, 230.0, 0.0]), np.array([210.0, 160.0, 130.0])
    person = _person(hair_style=style, hair=green, skin=skin)

    def hair_share(yaw, pitch):
        size = 384
        cam = C.camera_at(person["fk"], yaw, pitch, 0.0, 4.0, (size, size), 0.8, (size / 2,) * 2)
        img = np.full((size, size, 3), 90, np.uint8)
        xy, _, _, _ = F.render_figure(img, np.zeros((size, size), np.uint8), person, cam, LIGHT)
        ears = xy[[idx("left_ear"), idx("right_ear")]]
        r = 0.5 * float(np.linalg.norm(ears[0] - ears[1]))  # about the head's radius
        cx, cy = ears.mean(0)
        yy, xx = np.mgrid[0:size, 0:size]
        # the head below the ear line: the face from the front, the back of the head behind
        lower = ((xx - cx) / (0.8 * r)) ** 2 + ((yy - cy - 0.5 * r) / (0.9 * r)) ** 2 <= 1
        px = img[lower].astype(int)
        assert lower.sum() > 100
        return ((px[:, 1] > px[:, 0] + 50) & (px[:, 1] > px[:, 2] + 50)).mean()

    for pitch in (-0.3, 0.0, 0.3):  # the generator's cameras look from about this range
        assert hair_share(np.pi, pitch) > 0.6, pitch
        assert hair_share(0.0, pitch) < 0.2, pitch


def test_left_and_right_follow_the_view():
    _, _, xy, _, _, _ = _render(0.0)  # facing: the person's left is on the viewer's right
    for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle", "eye", "ear"):
        assert xy[idx("left_" + j), 0] > xy[idx("right_" + j), 0], j
    _, _, xy, _, _, _ = _render(np.pi)  # from behind: the other way round
    for j in ("shoulder", "hip", "knee", "ankle"):
        assert xy[idx("left_" + j), 0] < xy[idx("right_" + j), 0], j


def test_visibility_follows_what_is_drawn():
    _, ids, xy, depth, vis, _ = _render(0.0)
    assert vis[
        [idx("left_shoulder"), idx("right_shoulder"), idx("left_knee"), idx("right_knee")]
    ].all()
    # side view: the far shoulder, hip and knee are behind the body, the near ones visible
    _, _, xy, depth, vis, _ = _render(np.pi / 2, person=_person(arms_forward=True))
    for joint in ("shoulder", "hip", "knee"):
        left, right = idx("left_" + joint), idx("right_" + joint)
        near, far = (left, right) if depth[left] < depth[right] else (right, left)
        assert vis[near] and not vis[far], (joint, depth[left], depth[right])
    # every labelled joint lies on the person's own pixels
    _, ids, xy, _, vis, _ = _render(0.3)
    for k in np.nonzero(vis)[0]:
        x, y = np.floor(xy[k]).astype(int)
        assert ids[y, x] == 1


def test_sample_keypoints_follow_coco():
    cfg = SY.SynthConfig(image_size=128)
    vis_all = []
    for i in range(30):
        img, people = SY.render_sample(0, i, cfg)
        for p in people:
            kp = p["keypoints"]
            assert np.all(kp[kp[:, 2] == 0, :2] == 0)  # unlabelled: [0, 0, 0]
            lab = kp[kp[:, 2] > 0, :2]
            assert np.all((lab >= 0) & (lab < 128))  # labelled points lie inside the image
            vis_all.append(kp[:, 2])
    v = np.concatenate(vis_all)
    assert 0.05 < (v == 1).mean() < 0.6 and (v == 2).mean() > 0.3


@pytest.mark.parametrize(
    "switch", ["textures", "faces", "hands", "hair", "scenes", "shadows", "camera_effects"]
)
def test_each_switch_changes_the_pixels(switch):
    """The same people in the same poses and views, with and without the feature: the pixels
    differ, the people do not (each concern draws from its own random stream)."""
    on, off = SY.SynthConfig(image_size=128), SY.SynthConfig(image_size=128, **{switch: False})
    changed = 0
    for i in range(8):
        a, pa = SY.render_sample(0, i, on)
        b, pb = SY.render_sample(0, i, off)
        changed += int(np.abs(a.astype(int) - b.astype(int)).mean() > 0.01)
        assert [p["category"] for p in pa] == [p["category"] for p in pb]
        assert [p["camera"] for p in pa] == [p["camera"] for p in pb]
    assert changed >= 2, f"{switch}=false made no difference on 8 images"


@pytest.mark.parametrize(
    "option, on, off",
    [
        ("smooth_joints", True, False),
        ("clutter", 1.0, 0.0),
        ("scene_exposure", True, False),
        ("camera_tone", True, False),
    ],
)
def test_options_change_the_pixels_not_the_people(option, on, off):
    """``smooth_joints`` and ``scene_exposure`` (shading), ``clutter`` (background) and
    ``camera_tone`` (the camera's processing) redraw pixels only: the same people, keypoints and
    COCO visibility."""
    on = SY.SynthConfig(image_size=128, **{option: on})
    off = SY.SynthConfig(image_size=128, **{option: off})
    changed = 0
    for i in range(6):
        a, pa = SY.render_sample(0, i, on)
        b, pb = SY.render_sample(0, i, off)
        changed += int(np.abs(a.astype(int) - b.astype(int)).mean() > 0.01)
        for x, y in zip(pa, pb):
            np.testing.assert_array_equal(x["keypoints"], y["keypoints"])
    assert changed >= 3


def test_smooth_joints_shade_a_limb_as_one_surface():
    """An elbow loses the dark rim two separately shaded parts give it."""
    assert F.shade_group("l_upper_arm") == F.shade_group("l_forearm") == "l_arm"
    assert F.shade_group("r_thigh") == F.shade_group("r_shin") != F.shade_group("l_shin")
    assert F.shade_group("l_hand") == "l_hand" and F.shade_group("panel") == "torso"
    # the mechanism: an upper arm (id 1) meeting a forearm (id 2) end to end
    part = np.zeros((40, 80), np.uint8)
    part[12:28, 4:40], part[12:28, 40:76] = 1, 2
    light = {"dir": (0.0, 0.0, 1.0), "ambient": 0.4, "diffuse": 0.6}
    seam = F.shading(part, light, 8.0)[20, 38:43].min()
    merged = F.shading(np.minimum(part, 1), light, 8.0)[20, 38:43].min()
    assert seam < 0.9 * merged


def test_scene_exposure_meters_the_person():
    """Without an exposure a person's shade (ambient plus diffuse, with a dark rim) averages
    well below 1, the level the scene is drawn at; with one, the person's mean shade is that
    level: brighter than without, and in proportion to it."""

    def person_mean(exposure):
        light = dict(LIGHT, **({} if exposure is None else {"exposure": exposure}))
        person = _person(look_seed=4, skin=np.array([150.0, 120.0, 100.0]))
        cam = C.camera_at(person["fk"], 0.0, 0.0, 0.0, 4.0, (256, 256), 0.8, (128, 128))
        img = np.full((256, 256, 3), 90, np.uint8)
        ids = np.zeros((256, 256), np.uint8)
        F.render_figure(img, ids, person, cam, light)
        return float(img[ids == 1].mean())

    unmetered, low, high = person_mean(None), person_mean(0.8), person_mean(1.2)
    assert low > 1.1 * unmetered
    assert 1.35 < high / low < 1.55, (low, high)


def test_camera_tone_stretches_levels_and_sharpens():
    """A flat, soft image (a dim step edge, blurred) comes out with more contrast and a steeper
    edge, whatever the draw; a blank image stays blank."""
    import cv2

    from posenet_mobile.data import scene as S

    flat = np.full((64, 64, 3), 100, np.uint8)
    flat[:, 32:] = 140
    flat = cv2.GaussianBlur(flat, (0, 0), 2.0)
    for seed in range(5):
        out = S.camera_tone(flat, np.random.default_rng(seed)).astype(float)
        assert out.std() > 1.3 * flat.std()
        assert (
            np.abs(np.diff(out[32, :, 1])).max()
            > 1.3 * np.abs(np.diff(flat[32, :, 1].astype(float))).max()
        )
        blank = S.camera_tone(np.full((16, 16, 3), 90, np.uint8), np.random.default_rng(seed))
        assert np.ptp(blank) == 0


def test_pose_mix_is_mostly_upright_but_keeps_the_hard_poses():
    rng = np.random.default_rng(0)
    cats = [B.sample_category(rng, "coco") for _ in range(2000)]
    upright = np.mean([c in SY.UPRIGHT for c in cats])
    assert 0.6 < upright < 0.85
    assert {"lying", "kneeling", "squatting", "sitting"} <= set(cats)
    uni = [B.sample_category(rng, "uniform") for _ in range(2000)]
    assert np.mean([c in SY.UPRIGHT for c in uni]) < upright


def test_the_capsule_style_reproduces_the_first_generator():
    """The hash of six capsule images and their keypoints as the first generator wrote them."""
    cfg = SY.SynthConfig.capsule(image_size=96)
    h = hashlib.sha256()
    for i in range(6):
        img, people = SY.render_sample(3, i, cfg)
        h.update(img.tobytes())
        h.update(json.dumps([np.round(p["keypoints"], 4).tolist() for p in people]).encode())
    assert h.hexdigest() == "67c58a1a2dfb788524a6520de7f8de999f65899e5df0a2b626e02c5d4592fce7"


def test_real_faces_are_bundled():
    faces = F.lfw_faces()
    assert faces.shape == (100, 25, 25) and 0.2 < float(faces.mean()) < 0.8


def test_person_scale_sets_how_much_of_the_image_the_person_fills():
    """Smaller people leave scene around them; the same people, poses and views otherwise."""
    from posenet_mobile.errors import ConfigError

    big = SY.SynthConfig(image_size=128, truncation_prob=0.0, person_scale=(0.9, 0.9))
    small = SY.SynthConfig(image_size=128, truncation_prob=0.0, person_scale=(0.4, 0.4))
    ratios = []
    for i in range(6):
        _, pa = SY.render_sample(0, i, big)
        _, pb = SY.render_sample(0, i, small)
        assert pa[0]["category"] == pb[0]["category"] and pa[0]["camera"] == pb[0]["camera"]
        ratios.append(max(pb[0]["bbox"][2:]) / max(pa[0]["bbox"][2:]))
    assert 0.3 < np.median(ratios) < 0.6, ratios
    with pytest.raises(ConfigError, match="synth.person_scale"):
        SY.SynthConfig(person_scale=(0.9, 0.4))
