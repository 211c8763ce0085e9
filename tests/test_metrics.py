import numpy as np
import pytest

from posenet_mobile import metrics
from posenet_mobile.errors import DataError
from posenet_mobile.schema import COCO17, KeypointSchema


def _people(rng, n=40):
    gt = rng.uniform(20, 230, (n, 17, 2))
    vis = np.full((n, 17), 2)
    vis[:, 1] = 0
    vis[::5, 3] = 1
    return gt, vis


def test_oks_ap_is_one_for_perfect_predictions(rng):
    gt, vis = _people(rng)
    ap = metrics.oks_ap(gt, np.ones(len(gt)), gt, vis)
    assert ap == {"AP": 1.0, "AP50": 1.0, "AP75": 1.0}


def test_oks_ap_decreases_monotonically_with_noise(rng):
    gt, vis = _people(rng, 60)
    noise = rng.standard_normal(gt.shape)
    aps = [
        metrics.oks_ap(gt + s * noise, np.ones(len(gt)), gt, vis)["AP"]
        for s in (0, 2, 4, 8, 16, 32)
    ]
    assert all(a >= b for a, b in zip(aps, aps[1:])), aps
    assert aps[0] == 1.0 and aps[-1] < 0.05


def test_oks_uses_the_schema_sigmas(rng):
    gt, vis = _people(rng, 30)
    pred = gt + 6 * rng.standard_normal(gt.shape)
    loose = KeypointSchema(names=COCO17.names, sigmas=(0.5,) * 17)
    assert (
        metrics.oks_ap(pred, np.ones(30), gt, vis, schema=loose)["AP"]
        > metrics.oks_ap(pred, np.ones(30), gt, vis)["AP"]
    )


def test_pck_hand_checked():
    # One person: left shoulder (5) at (0, 0), right hip (12) at (30, 40) -> diagonal 50;
    # right shoulder (6) at (30, 0), left hip (11) at (0, 40) -> diagonal 50. Torso size 50,
    # PCK@0.2 threshold 10 px.
    gt = np.zeros((1, 17, 2))
    gt[0, 5], gt[0, 12], gt[0, 6], gt[0, 11] = (0, 0), (30, 40), (30, 0), (0, 40)
    vis = np.full((1, 17), 2)
    vis[0, 0] = 0  # nose unlabelled: not scored
    pred = gt.copy()
    pred[0, 0] += 100  # ignored
    pred[0, 7] += (6, 8)  # 10 px: a hit (<=)
    pred[0, 8] += (0, 10.5)  # a miss
    pred[0, 9] += (11, 0)  # a miss
    r = metrics.pck(pred, gt, vis, alpha=0.2)
    assert metrics.torso_size(gt, vis)[0] == pytest.approx(50.0)
    assert r["count"] == 16
    assert r["pck"] == pytest.approx(14 / 16)
    assert (
        np.isnan(r["per_keypoint"][0]) and r["per_keypoint"][8] == 0 and r["per_keypoint"][7] == 1
    )


def test_pck_falls_back_to_the_box_when_torso_unlabelled():
    gt = np.zeros((1, 17, 2))
    gt[0, :, 0] = np.arange(17) * 3.0
    gt[0, :, 1] = np.arange(17) * 4.0  # tight box 48 x 64 -> half diagonal 40
    vis = np.full((1, 17), 2)
    vis[0, [5, 6, 11, 12]] = 0
    assert metrics.torso_size(gt, vis)[0] == pytest.approx(40.0)
    assert metrics.torso_size(gt, vis, boxes=[[0, 0, 60, 80]])[0] == pytest.approx(50.0)


def test_keypoint_errors_and_shape_check(rng):
    gt, vis = _people(rng, 5)
    pred = gt + np.array([3.0, 4.0])
    err = metrics.keypoint_errors(pred, gt, vis)
    assert np.isnan(err[1]) and np.allclose(np.delete(err, 1), 5.0)
    with pytest.raises(DataError, match="visibility"):
        metrics.pck(pred[:, :3], gt, vis)


def test_box_iou():
    from posenet_mobile.metrics import box_iou

    assert box_iou([0, 0, 10, 10], [0, 0, 10, 10]) == 1.0
    assert box_iou([0, 0, 10, 10], [20, 20, 5, 5]) == 0.0
    assert box_iou([0, 0, 10, 10], [5, 0, 10, 10]) == pytest.approx(50 / 150)
    assert box_iou([0, 0, 0, 10], [0, 0, 0, 10]) == 0.0  # no area
