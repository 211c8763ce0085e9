import numpy as np
import pytest

from posenet_mobile.detect.codec import DetectionCodec, Person
from posenet_mobile.errors import ConfigError
from posenet_mobile.geometry import Alignment

CODEC = DetectionCodec((160, 160), stride=8)


def _people():
    return [
        Person(Alignment(40.3, 50.9, 30.0, 12.5), (20.0, 10.0, 45.0, 80.0)),
        Person(Alignment(120.0, 100.0, 18.0, -170.0), (100.0, 85.0, 35.0, 40.0)),
        Person(Alignment(100.2, 20.7, 9.0, 90.0), (95.0, 12.0, 14.0, 16.0)),
    ]


def test_perfect_targets_decode_to_the_same_people():
    heat, geo, mask = CODEC.encode(_people())
    assert heat.shape == (20, 20) and geo.shape == (20, 20, 9) and mask.sum() == 3
    found = CODEC.decode(heat, geo, threshold=0.3)
    assert len(found) == 3
    for d in found:
        p = min(_people(), key=lambda q: abs(q.alignment.cx - d.alignment.cx))
        np.testing.assert_allclose(
            d.alignment.as_array(), p.alignment.as_array(), atol=1e-4
        )  # float32 targets
        np.testing.assert_allclose(d.box, p.box, atol=1e-4)  # float32 targets
        assert 0.5 < d.score <= 1.0
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_a_centre_between_two_cells_is_one_person_and_outside_ones_are_left_out():
    between = Person(Alignment(80.0, 84.0, 20.0, 0.0), (70.0, 60.0, 20.0, 50.0))  # on a cell edge
    outside = Person(Alignment(-4.0, 50.0, 20.0, 0.0), (-20.0, 30.0, 30.0, 50.0))
    heat, geo, mask = CODEC.encode([between, outside])
    assert mask.sum() == 1
    (d,) = CODEC.decode(heat, geo)
    np.testing.assert_allclose(
        d.alignment.as_array(), between.alignment.as_array(), atol=1e-4
    )  # float32 targets


def test_threshold_and_the_most_people():
    heat, geo, _ = CODEC.encode(_people())
    assert len(CODEC.decode(heat, geo, max_people=2)) == 2
    assert CODEC.decode(heat * 0.2, geo, threshold=0.3) == []
    assert CODEC.decode(np.zeros((20, 20)), geo) == []


def test_the_grid_must_divide_the_input():
    with pytest.raises(ConfigError, match="divisible by stride"):
        DetectionCodec((100, 160), stride=8)


def test_frames_map_people_into_the_letterboxed_input_and_mirror_them():
    from posenet_mobile import geometry as G
    from posenet_mobile.detect.data import Frame, frame_people

    al = Alignment(100.0, 60.0, 40.0, 30.0)
    frame = Frame("unused.jpg", ((al, (70.0, 20.0, 60.0, 90.0)),))
    crop = G.letterbox_crop((200, 400), (160, 160))  # a wide frame: bars above and below
    (p,) = frame_people(frame, crop, (160, 160))
    s = 160 / 400
    assert (p.alignment.cx, p.alignment.cy) == pytest.approx((100 * s, 60 * s + 40))
    assert p.alignment.radius == pytest.approx(40 * s) and p.alignment.angle == 30.0
    assert p.box == pytest.approx((70 * s, 20 * s + 40, 60 * s, 90 * s))
    (m,) = frame_people(frame, crop, (160, 160), flip=True)
    assert m.alignment.cx == pytest.approx(160 - p.alignment.cx) and m.alignment.angle == -30.0
    assert m.box[0] == pytest.approx(160 - p.box[0] - p.box[2])


def test_a_tiny_detector_trains_and_is_scored(tmp_path):
    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.train import train_detector

    cfg = SynthConfig(image_size=96, max_people=2, purpose="detection")
    synthesize(tmp_path / "train", 16, seed=0, cfg=cfg, workers=1, progress=False)
    synthesize(tmp_path / "val", 6, seed=1, cfg=cfg, workers=1, progress=False)
    m = train_detector(
        tmp_path / "train",
        tmp_path / "val",
        tmp_path / "run",
        input_size=(64, 64),
        epochs=1,
        batch_size=8,
        progress=lambda *_: None,
    )
    assert (tmp_path / "run" / "detector.keras").exists()
    assert (tmp_path / "run" / "metrics.json").exists()
    assert m["frames"] == 6 and 0.0 <= m["ap50"] <= 1.0 and m["train_frames"] == 16
