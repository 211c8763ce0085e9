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
