import numpy as np
import pytest

from posenet_mobile import losses, schema, targets
from posenet_mobile.codec import HeatmapCodec
from posenet_mobile.keras import tf

CODEC = HeatmapCodec((64, 64), stride=4)
NAMES = ("heatmaps", "offsets", "coords", "visibility")


def _targets(rng, n=3):
    kp = rng.uniform(4, 60, (n, 17, 2))
    vis = rng.choice([0, 1, 2], size=(n, 17), p=[0.2, 0.2, 0.6])
    return kp, vis, targets.pack_targets(CODEC, kp, vis, NAMES)


def _perfect(packed, kp, vis):
    """Predictions equal to the targets (visibility as saturated logits)."""
    k = 17
    return {
        "heatmaps": packed["heatmaps"][..., :k],
        "offsets": packed["offsets"][..., : 2 * k],
        "coords": packed["coords"][..., :2],
        "visibility": np.where(packed["visibility"][..., 0] > 0.5, 30.0, -30.0).astype(np.float32),
    }


def _value(name, y_true, y_pred):
    return float(tf.reduce_mean(losses.LOSSES[name]()(tf.constant(y_true), tf.constant(y_pred))))


@pytest.mark.parametrize("name", NAMES)
def test_loss_is_zero_for_perfect_predictions_and_grows_with_error(name, rng):
    kp, vis, packed = _targets(rng)
    pred = _perfect(packed, kp, vis)
    assert _value(name, packed[name], pred[name]) == pytest.approx(0.0, abs=1e-6)
    noise = rng.standard_normal(pred[name].shape).astype(np.float32)
    if name == "visibility":
        # push every logit towards the wrong side by a growing margin
        sign = np.where(packed["visibility"][..., 0] > 0.5, -1.0, 1.0).astype(np.float32)
        values = [
            _value(name, packed[name], pred[name] + sign * s) for s in (10.0, 30.0, 40.0, 60.0)
        ]
    else:
        values = [_value(name, packed[name], pred[name] + s * noise) for s in (0.01, 0.1, 0.5, 1.0)]
    assert all(a < b for a, b in zip(values, values[1:])), values
    assert values[0] > 0


def test_unweighted_keypoints_do_not_count(rng):
    kp, vis, packed = _targets(rng)
    vis0 = np.zeros_like(vis)
    packed0 = targets.pack_targets(CODEC, kp, vis0, NAMES)
    garbage = {
        n: rng.standard_normal(
            packed0[n][..., : {"heatmaps": 17, "offsets": 34, "coords": 2}.get(n, 1)].shape
        ).astype(np.float32)
        for n in NAMES
    }
    garbage["visibility"] = garbage["visibility"][..., 0]
    for n in NAMES:
        assert _value(n, packed0[n], garbage[n]) == 0.0


def test_offset_loss_only_near_labelled_keypoints(rng):
    kp, vis, packed = _targets(rng)
    pred = _perfect(packed, kp, vis)["offsets"].copy()
    far = packed["offsets"][..., 34:] == 0  # (N,Hh,Wh,K) cells with no supervision
    far2 = np.repeat(far, 2, axis=-1)
    pred[far2] += 5.0
    assert _value("offsets", packed["offsets"], pred) == pytest.approx(0.0, abs=1e-6)


def test_losses_for_model_outputs():
    got = losses.losses_for(["coords", "visibility"])
    assert set(got) == {"coords", "visibility"}
    assert isinstance(got["coords"], losses.CoordinateLoss)


def _torso(facing: bool, angle_deg: float = 0.0, side: bool = False):
    """COCO-17 keypoints of an upright torso (shoulders y=20, hips y=50), turned by ``angle_deg``."""
    kp = np.zeros((17, 2))
    half = 0.5 if side else 10.0  # a side view puts left and right almost on top of each other
    sign = 1.0 if facing else -1.0  # facing the camera: the person's left is on the image's right
    kp[5], kp[6] = (32 + sign * half, 20), (32 - sign * half, 20)
    kp[11], kp[12] = (32 + sign * half * 0.8, 50), (32 - sign * half * 0.8, 50)
    t = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return (kp - 32) @ rot.T + 32


def test_facing_target_is_the_torso_handedness():
    torso = schema.torso_indices(
        [f"k{i}" for i in range(5)]
        + list(schema.TORSO_NAMES[:2])
        + ["x"] * 4
        + list(schema.TORSO_NAMES[2:])
        + ["y"] * 4
    )
    assert torso == (5, 6, 11, 12)
    cases = [
        _torso(True),
        _torso(False),
        _torso(True, 170),
        _torso(False, 80),
        _torso(True, side=True),
    ]
    kp = np.stack(cases)
    vis = np.full((len(cases), 17), 2)
    target, weight = targets.facing_target(kp, vis, torso)
    np.testing.assert_array_equal(target[:4], [1, 0, 1, 0])  # rotation keeps the sign
    np.testing.assert_array_equal(weight, [1, 1, 1, 1, 0])  # a side view says nothing
    mirrored = kp[:1].copy()
    mirrored[..., 0] = 64 - mirrored[..., 0]
    flip = np.arange(17)
    flip[[5, 6, 11, 12]] = [6, 5, 12, 11]
    assert (
        targets.facing_target(mirrored[:, flip], vis[:1], torso)[0][0] == 1
    )  # mirrored + relabelled: still facing
    vis[0, 11] = 0
    assert targets.facing_target(kp, vis, torso)[1][0] == 0  # a hip not labelled: no target
    assert targets.facing_target(kp, vis, None)[1].sum() == 0


def test_facing_loss_packs_and_scores():
    kp = np.stack([_torso(True), _torso(False)])
    vis = np.full((2, 17), 2)
    packed = targets.pack_targets(CODEC, kp, vis, ("facing",), torso=(5, 6, 11, 12))["facing"]
    assert packed.shape == (2, 1, 2)
    good = np.array([[30.0], [-30.0]], np.float32)
    assert _value("facing", packed, good) < 1e-6 < 1.0 < _value("facing", packed, -good)


def test_simcc_kl_is_zero_at_the_target_up_to_a_constant_and_ignores_unweighted():
    from posenet_mobile.simcc import SimCCCodec

    rng = np.random.default_rng(4)
    codec = SimCCCodec((64, 64), 2, 4.0, 10.0)
    kp, vis = rng.uniform(4, 60, (3, 17, 2)), np.full((3, 17), 2)
    vis[0, 3] = 0
    packed = targets.pack_targets(CODEC, kp, vis, ("simcc_x", "simcc_y"), simcc=codec)
    assert packed["simcc_x"].shape == (3, 17, 129) and packed["simcc_x"][0, 3, -1] == 0
    loss = losses.SimCCLoss(10.0)
    target = packed["simcc_x"][..., :-1]
    zero = loss.call(
        tf.constant(packed["simcc_x"]), tf.constant(target + 0.7)
    ).numpy()  # softmax ignores a shift
    np.testing.assert_allclose(zero, 0.0, atol=1e-5)
    off = np.roll(target, 3, axis=-1)
    assert np.all(loss.call(tf.constant(packed["simcc_x"]), tf.constant(off)).numpy() > 0.1)
    junk = target.copy()
    junk[0, 3] = rng.normal(size=128)  # the unlabelled keypoint's row: not in the loss
    np.testing.assert_allclose(
        loss.call(tf.constant(packed["simcc_x"]), tf.constant(junk)).numpy(), 0.0, atol=1e-5
    )
    with pytest.raises(KeyError, match="SimCC codec"):
        targets.pack_targets(CODEC, kp, vis, ("simcc_x",))


def test_laplace_nll_is_zero_when_exact_at_the_smallest_scale_and_learns_the_scale(rng):
    kp, vis, _ = _targets(rng)
    packed = targets.pack_targets(CODEC, kp, vis, ["coords_dist"])["coords_dist"]
    xy = packed[..., :2]
    floor = np.log(losses.LAPLACE_MIN_SCALE) - 20.0  # exp() of it adds nothing to the floor
    exact = np.concatenate([xy, np.full_like(xy, floor)], axis=-1)
    assert _value("coords_dist", packed, exact) == pytest.approx(0.0, abs=1e-4)
    err = rng.standard_normal(xy.shape).astype(np.float32) * 0.05
    values = [
        _value(
            "coords_dist",
            packed,
            np.concatenate([xy + s * err, np.full_like(xy, np.log(0.05))], -1),
        )
        for s in (0.0, 0.5, 1.0, 2.0)
    ]
    assert all(a < b for a, b in zip(values, values[1:])), values
    # for a fixed error the likelihood prefers a scale near the mean absolute error
    by_scale = {
        b: _value(
            "coords_dist", packed, np.concatenate([xy + err, np.full_like(xy, np.log(b))], -1)
        )
        for b in (0.004, 0.04, 0.4)
    }
    assert by_scale[0.04] < by_scale[0.004] and by_scale[0.04] < by_scale[0.4], by_scale
    unweighted = targets.pack_targets(CODEC, kp, np.zeros_like(vis), ["coords_dist"])["coords_dist"]
    assert _value("coords_dist", unweighted, exact + 3.0) == 0.0
