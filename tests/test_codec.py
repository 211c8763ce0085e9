import numpy as np
import pytest

from posenet_mobile.codec import (
    HeatmapCodec,
    SideRule,
    decode_outputs,
    decode_sides,
    flip_heatmaps,
    flip_test,
    normalized_grid,
    two_peaks,
)
from posenet_mobile.errors import ConfigError
from posenet_mobile.schema import COCO17

# Measured on this codec (float32 targets, 192x192, stride 4, sigma 1.5 cells, 512 people x 17
# random sub-pixel keypoints): offset decode max 8.4e-8 px, DARK decode max 8.5e-7 px; with the
# targets quantised to 8-bit steps (below) offset decode max 0.044 px, DARK 0.058 px. The bound: 0.25 px.
ROUND_TRIP_BOUND_PX = 0.25


def _random_people(n, size=192, seed=0, margin=6):
    rng = np.random.default_rng(seed)
    kp = rng.uniform(margin, size - margin, (n, 17, 2))
    return kp, np.full((n, 17), 2)


@pytest.mark.parametrize("refine", ["offset", "dark"])
def test_round_trip_sub_pixel_within_bound(refine):
    codec = HeatmapCodec((192, 192), stride=4, sigma=1.5)
    kp, vis = _random_people(512)
    enc = codec.encode(kp, vis)
    pred, scores = codec.decode(
        enc.heatmaps, enc.offsets if refine == "offset" else None, refine=refine
    )
    err = np.linalg.norm(pred - kp, axis=-1)
    assert err.max() < ROUND_TRIP_BOUND_PX
    assert err.max() < (1e-4 if refine == "offset" else 1e-3)  # what we measured, with slack
    assert np.all(scores > 0.6)


def test_coarse_refinements_are_worse_but_bounded_by_the_cell():
    codec = HeatmapCodec((192, 192), stride=4)
    kp, vis = _random_people(128, seed=1)
    enc = codec.encode(kp, vis)
    err = {
        r: np.linalg.norm(codec.decode(enc.heatmaps, refine=r)[0] - kp, axis=-1)
        for r in ("none", "quarter", "dark")
    }
    assert err["none"].max() <= np.sqrt(2) * 2 + 1e-6  # half a cell diagonal at stride 4
    assert err["dark"].mean() < err["quarter"].mean() < err["none"].mean()


def test_heatmap_peak_is_at_the_keypoint_cell():
    codec = HeatmapCodec((64, 96), stride=4, sigma=2.0)  # (height, width): Hh=16, Wh=24
    kp = np.array([[[10.0, 30.0], [94.0, 2.0]]])  # (x, y) input pixels
    enc = codec.encode(kp, np.array([[2, 1]]))
    assert enc.heatmaps.shape == (1, 16, 24, 2)
    for k, (x, y) in enumerate(kp[0]):
        iy, ix = np.unravel_index(np.argmax(enc.heatmaps[0, ..., k]), (16, 24))
        assert (ix, iy) == (int(x // 4), int(y // 4))
    assert enc.heatmaps.max() <= 1.0


def test_unlabelled_and_outside_keypoints_get_zero_weight_and_empty_maps():
    codec = HeatmapCodec((64, 64), stride=4)
    kp = np.array([[[10.0, 10.0], [70.0, 10.0], [-1.0, 5.0], [np.nan, np.nan]]])
    enc = codec.encode(kp, np.array([[0, 2, 2, 2]]))
    assert enc.weights.tolist() == [[0, 0, 0, 0]]
    assert enc.heatmaps.max() == 0 and enc.offset_mask.max() == 0 and np.abs(enc.offsets).max() == 0


def test_offsets_point_to_the_keypoint_within_radius_only():
    codec = HeatmapCodec((64, 64), stride=4, offset_radius=2.0)
    kp = np.array([[[33.0, 21.0]]])
    enc = codec.encode(kp, np.array([[2]]))
    u, v = codec.pixels_to_cells(kp[0, 0])
    ys, xs = np.nonzero(enc.offset_mask[0, ..., 0])
    assert len(ys) > 0
    assert np.all((xs - u) ** 2 + (ys - v) ** 2 <= 4.0 + 1e-9)
    np.testing.assert_allclose(xs + enc.offsets[0, ys, xs, 0], u, atol=1e-5)
    np.testing.assert_allclose(ys + enc.offsets[0, ys, xs, 1], v, atol=1e-5)


def test_flip_symmetry_of_targets():
    """Encoding a mirrored pose equals mirroring the encoded maps and swapping left/right."""
    codec = HeatmapCodec((96, 128), stride=4)
    kp, vis = _random_people(4, size=96, seed=3)
    w = codec.input_size[1]
    flipped = kp.copy()
    flipped[..., 0] = w - kp[..., 0]
    fi = COCO17.flip_index
    a = codec.encode(flipped[:, fi], vis[:, fi])
    b = codec.encode(kp, vis)
    np.testing.assert_allclose(a.heatmaps, flip_heatmaps(b.heatmaps, fi), atol=1e-6)
    np.testing.assert_allclose(a.offsets, flip_heatmaps(b.offsets, fi, offsets=True), atol=1e-5)
    np.testing.assert_allclose(flip_heatmaps(flip_heatmaps(b.heatmaps, fi), fi), b.heatmaps)


def _perfect_outputs(kp, vis, scores, size_hw):
    """Every output kind a head can have, as a perfect model would give it for these people."""
    from posenet_mobile.simcc import SimCCCodec

    h, w = size_hw
    enc = HeatmapCodec(size_hw, stride=4).encode(kp, vis)
    t = SimCCCodec(size_hw, split_ratio=2, sigma=4.0, beta=10.0).encode(kp, vis)
    return {
        "heatmaps": enc.heatmaps,
        "offsets": enc.offsets,
        "simcc_x": t.x,
        "simcc_y": t.y,
        "coords": kp / np.array([w, h]),
        "visibility": scores,
        "keypoints": np.concatenate([kp, scores[..., None]], axis=-1),
        "facing": np.linspace(-2.0, 2.0, len(kp))[:, None],
    }


def test_flip_test_maps_the_mirrored_run_back():
    """A perfect model's outputs on the mirrored crop, mapped back, are its outputs on the crop,
    for every output kind (so the flip test's mean changes nothing for a perfect model)."""
    from posenet_mobile.geometry import flip_keypoints

    size = (96, 128)
    kp, vis = _random_people(3, size=96, seed=5)
    scores = np.random.default_rng(6).uniform(0, 1, vis.shape)
    fi = COCO17.flip_index
    plain = _perfect_outputs(kp, vis, scores, size)
    mk, mv = flip_keypoints(kp, vis, size[1], fi)
    mirrored = _perfect_outputs(mk, mv, scores[:, fi], size)
    merged = flip_test(plain, mirrored, fi, size[1])
    assert set(merged) == set(plain)
    for name in plain:
        np.testing.assert_allclose(merged[name], plain[name], atol=2e-5, err_msg=name)
    # and a wrong mirror shows: the unmapped mirrored run is not the plain one
    assert not np.allclose(mirrored["heatmaps"], plain["heatmaps"], atol=1e-3)
    with pytest.raises(ConfigError, match="segmentation"):
        flip_test({"segmentation": np.zeros((1, 4))}, {"segmentation": np.zeros((1, 4))}, fi, 128)


def test_soft_argmax_of_a_sharp_peak_is_the_cell_centre():
    codec = HeatmapCodec((64, 64), stride=8)
    logits = np.full((1, 8, 8, 1), -50.0)
    logits[0, 2, 5, 0] = 50.0
    xy = codec.decode_normalized(codec.soft_argmax(logits))
    np.testing.assert_allclose(xy[0, 0], codec.cells_to_pixels([5, 2]), atol=1e-6)
    assert normalized_grid(8, 8).shape == (64, 2)


def test_frame_conversions_round_trip():
    codec = HeatmapCodec((128, 96), stride=8)
    xy = np.array([[3.3, 100.2], [95.9, 0.0]])
    np.testing.assert_allclose(codec.cells_to_pixels(codec.pixels_to_cells(xy)), xy)
    np.testing.assert_allclose(codec.normalized_to_pixels(codec.pixels_to_normalized(xy)), xy)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ConfigError, match="divisible"):
        HeatmapCodec((100, 100), stride=8)
    codec = HeatmapCodec((64, 64))
    with pytest.raises(ConfigError, match="visibility"):
        codec.encode(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ConfigError, match="offsets"):
        codec.decode(np.zeros((1, 16, 16, 3)), refine="offset")


def test_round_trip_survives_int8_quantisation_of_the_maps():
    """Heatmaps in 1/255 steps and offsets in 8-bit steps over [-radius, radius] still decode well."""
    codec = HeatmapCodec((192, 192), stride=4, sigma=1.5, offset_radius=2.0)
    kp, vis = _random_people(256, seed=5)
    enc = codec.encode(kp, vis)
    hm = np.round(enc.heatmaps * 255) / 255
    step = 4.0 / 255
    off = np.round(enc.offsets / step) * step
    err = np.linalg.norm(codec.decode(hm, off)[0] - kp, axis=-1)
    # Half an offset step is 0.0078 cells = 0.031 px per axis, 0.044 px on the diagonal: measured 0.044.
    assert err.max() < 0.05
    err_dark = np.linalg.norm(codec.decode(hm, refine="dark")[0] - kp, axis=-1)
    assert err_dark.max() < 0.1  # measured 0.058 px


def test_two_peaks_finds_the_second_limb_only_when_it_is_apart_and_high_enough():
    s = np.zeros((8, 8))
    s[2, 2], s[2, 3] = 1.0, 0.9  # a shoulder of the first peak: not a second limb
    assert two_peaks(s) == ((2, 2), None)
    s[6, 5] = 0.6
    assert two_peaks(s) == ((2, 2), (6, 5))
    s[6, 5] = 0.4  # under half the first peak's height
    assert two_peaks(s) == ((2, 2), None)
    assert two_peaks(np.zeros((4, 4))) == ((0, 0), None)


def _person_maps(collapsed=True):
    """Upright person, 16x16 cells: shoulders at columns 5/10 row 3, hips 6/9 row 8, knees
    5/10 row 12. Every pair's two channels peak on both limbs, and with ``collapsed`` both
    channels are higher on the limb at the image's left (columns 5-6)."""
    hm = np.zeros((1, 16, 16, 17))
    off = np.zeros((1, 16, 16, 34))
    limbs = {(5, 6): (3, 5, 10), (11, 12): (8, 6, 9), (13, 14): (12, 5, 10)}
    for (a, b), (row, c_left, c_right) in limbs.items():
        for ch in (a, b):
            hm[0, row, c_left, ch] = 0.9 if collapsed else (0.9 if ch == a else 0.4)
            hm[0, row, c_right, ch] = 0.6 if collapsed else (0.4 if ch == a else 0.9)
        off[0, row, c_left, 2 * a : 2 * a + 2] = (0.25, -0.25)  # only channel a's offset is set
    return hm, off


def test_decode_sides_splits_collapsed_pairs_by_facing():
    rule = SideRule.from_names(COCO17.names, COCO17.flip_index)
    assert rule.torso == (5, 6, 11, 12) and (13, 14) in rule.pairs
    hm, off = _person_maps()
    codec = HeatmapCodec((64, 64), 4)
    kp0, _ = codec.decode(hm, off)
    assert (
        np.linalg.norm(kp0[0, 13] - kp0[0, 14]) < 2
    )  # the per-channel argmax puts both knees on one
    ls, lk, rk = 5, 13, 14
    # facing the camera: the person's left is on the image right (column 10)
    kp, sc = decode_sides(hm, off, np.array([2.0]), rule, 4)
    assert kp[0, lk, 0] == pytest.approx((10 + 0.5) * 4) and kp[0, rk, 0] == pytest.approx(
        (5 + 0.25 + 0.5) * 4
    )
    assert kp[0, ls, 0] == pytest.approx((10 + 0.5) * 4)
    # the right knee sits on a cell where the left knee's channel is higher: its offset and score
    assert kp[0, rk, 1] == pytest.approx((12 - 0.25 + 0.5) * 4) and sc[0, rk] == pytest.approx(0.9)
    assert sc[0, lk] == pytest.approx(0.6)
    # from behind: sides swap; non-paired keypoints keep the per-channel decode
    kp_b, _ = decode_sides(hm, off, np.array([-1.0]), rule, 4)
    assert kp_b[0, lk, 0] == pytest.approx((5 + 0.5) * 4 + 1.0) and kp_b[0, rk, 0] == pytest.approx(
        (10 + 0.5) * 4
    )
    assert np.allclose(kp_b[0, 0], kp0[0, 0])
    # decode_outputs takes this path for models with a facing output, and needs the rule
    out = {"heatmaps": hm, "offsets": off, "facing": np.array([[2.0]])}
    assert np.allclose(decode_outputs(out, codec, sides=rule)[0], kp)
    with pytest.raises(ConfigError, match="left/right pairs"):
        decode_outputs(out, codec)


def test_decode_sides_keeps_single_peaks():
    rule = SideRule.from_names(COCO17.names, COCO17.flip_index)
    hm, off = _person_maps(collapsed=False)
    hm[0, 12, 10, 13:15] = 0.0  # one knee only: no second peak for the knee pair
    kp0, sc0 = HeatmapCodec((64, 64), 4).decode(hm, off)
    kp, sc = decode_sides(hm, off, np.array([-3.0]), rule, 4)
    assert np.allclose(kp[0, 13:15], kp0[0, 13:15]) and np.allclose(sc[0, 13:15], sc0[0, 13:15])
    assert SideRule.from_names(["a", "b"], [1, 0]) is None  # no torso in the schema


def test_simcc_round_trip_out_of_crop_and_ties():
    from posenet_mobile.simcc import SimCCCodec, decode_axis

    codec = SimCCCodec((128, 96), split_ratio=2, sigma=4.0, beta=10.0)
    assert codec.bins == (192, 256)
    rng = np.random.default_rng(3)
    kp = np.stack([rng.uniform(1, 95, (64, 17)), rng.uniform(1, 127, (64, 17))], axis=-1)
    t = codec.encode(kp, np.full((64, 17), 2))
    assert t.x.shape == (64, 17, 192) and t.y.shape == (64, 17, 256) and t.weights.min() == 1
    pred, scores = codec.decode(t.x, t.y)
    assert np.abs(pred - kp).max() < 0.01  # parabola through the Gaussian's top three bins
    assert scores.min() > 0.9 and scores.max() <= 1.0
    out = codec.encode(
        np.array([[[-3.0, 10.0], [50.0, 10.0], [50.0, 200.0]]]), np.array([[2, 0, 2]])
    )
    assert out.weights.tolist() == [[0, 0, 0]] and out.x.max() == 0.0
    # a tie goes to the first maximum, whose parabola then puts the peak halfway to the second;
    # an end bin is not refined
    b, p = decode_axis(np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 0.5, 0.0, 0.0]]), beta=10.0)
    assert b.tolist() == [1.5, 0.0] and 0 < p[1] < 1
    # a flat row is no peak: its score is far below a trained peak's
    flat = codec.decode(np.zeros((1, 17, 192)), np.zeros((1, 17, 256)))[1]
    assert flat.max() < 0.05


def test_order_sides_puts_the_left_limb_on_the_side_facing_says():
    from posenet_mobile.codec import order_sides
    from posenet_mobile.simcc import SimCCCodec

    rule = SideRule.from_names(COCO17.names, COCO17.flip_index)
    kp = np.zeros((1, 17, 2))
    kp[0, :] = [32.0, 5.0]
    kp[0, 5:7] = [[20, 10], [44, 10]]  # shoulders: left one on the image left
    kp[0, 11:13] = [[24, 40], [40, 40]]
    kp[0, 13:15] = [[50, 50], [15, 52]]  # knees: left one on the image right already
    kp[0, 15:17] = [[30, 60], [30, 60]]  # ankles on one limb: left as decoded
    sc = np.linspace(0.1, 0.9, 17)[None]
    facing_cam, _ = order_sides(kp, sc, np.array([1.5]), rule)
    assert facing_cam[0, 5].tolist() == [44, 10] and facing_cam[0, 11].tolist() == [
        40,
        40,
    ]  # swapped
    assert np.array_equal(facing_cam[0, 13:17], kp[0, 13:17]) and np.array_equal(
        facing_cam[0, :5], kp[0, :5]
    )
    back, back_sc = order_sides(kp, sc, np.array([[-0.5]]), rule)
    assert back[0, 13].tolist() == [15, 52] and back[0, 5].tolist() == [20, 10]
    assert (
        back_sc[0, 13] == sc[0, 14] and back_sc[0, 14] == sc[0, 13]
    )  # a score goes with its point
    flat = kp.copy()
    flat[0, 11:13] = flat[0, 5:7]  # no torso axis: nothing moves
    assert np.array_equal(order_sides(flat, sc, np.array([1.0]), rule)[0], flat)
    # decode_outputs takes this path for simcc models with a facing output, and needs the rule
    codec = SimCCCodec((64, 64))
    t = codec.encode(kp, np.full((1, 17), 2))
    out = {"simcc_x": 5.0 * t.x, "simcc_y": 5.0 * t.y, "facing": np.array([[1.5]])}
    got, _ = decode_outputs(out, HeatmapCodec((64, 64), 8), sides=rule, simcc=codec)
    assert np.abs(got - facing_cam).max() < 0.05
    with pytest.raises(ConfigError, match="left/right pairs"):
        decode_outputs(out, HeatmapCodec((64, 64), 8), simcc=codec)
