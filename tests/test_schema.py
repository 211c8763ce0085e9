import numpy as np
import pytest

from posenet_mobile.errors import SchemaError
from posenet_mobile.schema import COCO17, COCO_SIGMAS, KeypointSchema, get_schema


def test_coco17_names_pairs_and_sigmas():
    s = get_schema("coco17")
    assert s.num_keypoints == 17
    assert s.names[0] == "nose" and s.names[16] == "right_ankle"
    assert s.sigmas == COCO_SIGMAS
    assert len(s.skeleton) == 19


def test_flip_index_is_an_involution_mapping_left_to_right():
    idx = COCO17.flip_index
    assert np.array_equal(idx[idx], np.arange(17))
    for k, name in enumerate(COCO17.names):
        mirrored = COCO17.names[idx[k]]
        if name.startswith("left_"):
            assert mirrored == "right_" + name[5:]
        elif name.startswith("right_"):
            assert mirrored == "left_" + name[6:]
        else:
            assert mirrored == name


def test_from_coco_category_round_trip_and_custom_schema():
    back = KeypointSchema.from_coco_category(COCO17.to_coco_category())
    assert back.names == COCO17.names
    assert set(back.flip_pairs) == set(COCO17.flip_pairs)
    assert back.skeleton == COCO17.skeleton
    assert back.sigmas == COCO17.sigmas

    cat = {
        "name": "hand",
        "keypoints": ["wrist", "l_tip", "r_tip", "left_knee"],
        "skeleton": [[1, 2], [1, 3]],
    }
    s = KeypointSchema.from_coco_category(cat)
    assert s.num_keypoints == 4
    assert s.flip_pairs == ((1, 2),)
    assert s.skeleton == ((0, 1), (0, 2))
    assert s.sigmas[3] == COCO_SIGMAS[COCO17.index("left_knee")]


@pytest.mark.parametrize(
    "cat, field",
    [
        ({"keypoints": []}, "keypoints"),
        ({"keypoints": ["a", "b"], "skeleton": [[1, 3]]}, "skeleton"),
        (
            {"keypoints": ["a", "b"], "skeleton": [[0, 2]]},
            "skeleton",
        ),  # [[0, 1]] would read as 0-based
        ({"keypoints": ["a", "a"]}, "names"),
    ],
)
def test_bad_category_names_the_field(cat, field):
    with pytest.raises(SchemaError, match=field):
        KeypointSchema.from_coco_category(cat, source="ann.json")


def test_dict_round_trip_and_unknown_field():
    assert KeypointSchema.from_dict(COCO17.to_dict()) == COCO17
    with pytest.raises(SchemaError, match="colour"):
        KeypointSchema.from_dict({**COCO17.to_dict(), "colour": 1})
