import numpy as np
import pytest

from posenet_mobile import geometry as G
from posenet_mobile.errors import DataError
from posenet_mobile.schema import COCO17, torso_indices


def test_box_to_crop_matches_input_aspect_and_pads():
    c = G.box_to_crop([10, 20, 40, 100], (192, 128), padding=1.25)  # input (h, w) = 192 x 128
    assert (c.cx, c.cy) == (30, 70)
    assert c.height == pytest.approx(125.0) and c.width / c.height == pytest.approx(128 / 192)
    wide = G.box_to_crop([0, 0, 200, 50], (96, 96), padding=1.0)
    assert wide.width == wide.height == 200
    with pytest.raises(DataError, match="bbox"):
        G.box_to_crop([0, 0, 0, 10], (96, 96))


@pytest.mark.parametrize("flip", [False, True])
def test_crop_then_inverse_is_identity(flip, rng):
    for _ in range(50):
        crop = G.Crop(
            *rng.uniform(0, 500, 2),
            *np.repeat(rng.uniform(20, 400), 2) * [1, 1.5],
            rotation=rng.uniform(-180, 180),
            flip=flip,
        )
        pts = rng.uniform(-100, 600, (17, 2))
        back = G.to_image(crop, (192, 128), G.to_input(crop, (192, 128), pts))
        assert np.abs(back - pts).max() < 0.01


def test_crop_maps_its_centre_and_corners():
    crop = G.Crop(100, 50, 40, 60)
    np.testing.assert_allclose(
        G.to_input(crop, (96, 64), [[100, 50], [80, 20], [120, 80]]), [[32, 48], [0, 0], [64, 96]]
    )
    rot = G.Crop(100, 50, 40, 40, rotation=90)
    # a person lying with the head to the left (turned 90 deg counter-clockwise) comes out
    # upright: left of the centre is the crop's top, above the centre is the crop's right
    np.testing.assert_allclose(
        G.to_input(rot, (64, 64), [[80, 50], [100, 30]]), [[32, 0], [64, 32]], atol=1e-9
    )


def test_warp_moves_pixels_like_the_keypoint_transform(rng):
    img = np.zeros((200, 300, 3), np.uint8)
    x, y = 123, 77  # pixel index -> continuous centre (123.5, 77.5)
    img[y - 1 : y + 2, x - 1 : x + 2] = 255
    for _ in range(10):
        crop = G.Crop(
            150 + rng.uniform(-20, 20),
            100 + rng.uniform(-20, 20),
            160,
            160,
            rng.uniform(-40, 40),
            rng.random() < 0.5,
        )
        out = G.warp(img, crop, (128, 128)).astype(np.float64)[..., 0]
        ys, xs = np.mgrid[0:128, 0:128]
        centroid = np.array([(out * (xs + 0.5)).sum(), (out * (ys + 0.5)).sum()]) / out.sum()
        expect = G.to_input(crop, (128, 128), [[x + 0.5, y + 0.5]])[0]
        assert np.linalg.norm(centroid - expect) < 0.1


def test_letterbox_keeps_the_whole_frame():
    crop = G.letterbox_crop((480, 640), (192, 192))
    corners = G.to_input(crop, (192, 192), [[0, 0], [640, 480]])
    np.testing.assert_allclose(corners, [[0, 24], [192, 168]])


def test_flip_twice_is_identity(rng):
    kp = rng.uniform(0, 100, (17, 2))
    vis = rng.integers(0, 3, 17)
    k1, v1 = G.flip_keypoints(kp, vis, 100, COCO17.flip_index)
    k2, v2 = G.flip_keypoints(k1, v1, 100, COCO17.flip_index)
    np.testing.assert_allclose(k2, kp)
    np.testing.assert_array_equal(v2, vis)
    assert not np.allclose(k1, kp)
    # the mirrored crop agrees with flip_keypoints
    crop = G.Crop(50, 50, 100, 100, flip=True)
    np.testing.assert_allclose(
        G.to_input(crop, (100, 100), kp), G.flip_keypoints(kp, vis, 100, np.arange(17))[0]
    )


# --- BlazePose alignment: hip centre, body circle, incline --------------------------------------


def _standing_person():
    """COCO-17 points of an upright person (nose, shoulders, hips, ankles), and which are set."""
    xy = np.zeros((17, 2))
    xy[0], xy[5], xy[6] = [50, 25], [40, 40], [60, 40]
    xy[11], xy[12], xy[15], xy[16] = [42, 80], [58, 80], [45, 130], [55, 130]
    valid = np.zeros(17, bool)
    valid[[0, 5, 6, 11, 12, 15, 16]] = True
    return xy, valid


@pytest.mark.parametrize("theta", [0.0, 30.0, 90.0, 180.0, -120.0, 179.0])
def test_an_aligned_crop_shows_a_turned_person_upright(theta):
    xy, valid = _standing_person()
    t = np.radians(theta)
    turn = np.array(
        [[np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)]]
    )  # counter-clockwise on screen
    turned = xy @ turn.T + [300.0, 200.0]
    upright = G.alignment_from_keypoints(xy + [300.0, 200.0], valid, torso_indices(COCO17.names))
    al = G.alignment_from_keypoints(turned, valid, torso_indices(COCO17.names))
    assert al.angle == pytest.approx(theta if theta != -180 else 180, abs=1e-9)
    assert al.radius == pytest.approx(upright.radius) and upright.angle == 0.0
    assert (al.cx, al.cy) == pytest.approx(tuple(turned[[11, 12]].mean(0)))
    size = (128, 96)
    a = G.to_input(G.aligned_crop(al, size), size, turned)
    b = G.to_input(G.aligned_crop(upright, size), size, xy + [300.0, 200.0])
    np.testing.assert_allclose(a[valid], b[valid], atol=1e-9)  # the same upright picture
    back = G.to_image(G.aligned_crop(al, size), size, a)
    np.testing.assert_allclose(back, turned, atol=1e-9)


def test_an_aligned_crop_holds_the_body_circle_with_the_inputs_aspect():
    al = G.Alignment(100.0, 80.0, 40.0, 25.0)
    tall = G.aligned_crop(al, (128, 96), padding=1.25)
    wide = G.aligned_crop(al, (96, 128), padding=1.25)
    assert (tall.width, tall.height) == pytest.approx((100.0, 100.0 * 128 / 96))
    assert (wide.width, wide.height) == pytest.approx((100.0 * 128 / 96, 100.0))
    assert (tall.cx, tall.cy, tall.rotation) == (100.0, 80.0, 25.0)
    with pytest.raises(DataError, match="radius > 0"):
        G.aligned_crop(G.Alignment(0.0, 0.0, 0.0, 0.0), (64, 64))


def test_alignment_needs_a_shoulder_and_a_hip():
    torso = torso_indices(COCO17.names)
    xy, valid = _standing_person()
    one_each = valid.copy()
    one_each[[6, 12]] = False
    al = G.alignment_from_keypoints(xy, one_each, torso)
    assert (al.cx, al.cy) == (42.0, 80.0)  # the left hip alone
    no_hips = valid.copy()
    no_hips[[11, 12]] = False
    assert G.alignment_from_keypoints(xy, no_hips, torso) is None
    nan = xy.copy()
    nan[5:7] = np.nan  # shoulders not finite count as missing
    assert G.alignment_from_keypoints(nan, valid, torso) is None
