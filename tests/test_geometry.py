import numpy as np
import pytest

from posenet_mobile import geometry as G
from posenet_mobile.errors import DataError
from posenet_mobile.schema import COCO17


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
