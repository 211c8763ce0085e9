import json

import pytest

from helpers import person, write_coco
from posenet_mobile.data.coco import load_coco, read_image
from posenet_mobile.errors import DataError
from posenet_mobile.schema import KeypointSchema


@pytest.fixture
def dataset(tmp_path, rng):
    path, coco = write_coco(tmp_path, [person(rng) for _ in range(4)])
    return tmp_path, path, coco


def _rewrite(path, coco, edit):
    edit(coco)
    with open(path, "w") as fh:
        json.dump(coco, fh)


def test_loads_and_filters_are_counted(dataset):
    folder, path, coco = dataset

    def edit(c):
        c["annotations"][0]["iscrowd"] = 1
        c["annotations"][1]["keypoints"][2::3] = [0] * 17
        c["annotations"][2]["bbox"][2:] = [3, 3]

    _rewrite(path, coco, edit)
    ds = load_coco(folder)
    assert len(ds) == 1
    assert ds.skipped == {"iscrowd": 1, "too_few_keypoints": 1, "small_box": 1, "other_category": 0}
    s = ds.samples[0]
    assert (
        s.keypoints.shape == (17, 2) and s.visibility.shape == (17,) and s.image_size == (96, 128)
    )


BAD = [
    (lambda c: c["annotations"][0].pop("bbox"), r"annotations\[0\] \(id 1\)\.bbox: missing"),
    (
        lambda c: c["annotations"][0].__setitem__("keypoints", [1, 2, 2] * 16),
        r"keypoints: expected 51 numbers .* got 48",
    ),
    (lambda c: c["annotations"][0]["keypoints"].__setitem__(0, float("nan")), r"keypoints: NaN"),
    (
        lambda c: c["annotations"][0].__setitem__("bbox", [10, 10, -4, 20]),
        r"bbox: expected finite .* w, h >= 0",
    ),
    (
        lambda c: c["images"][0].__setitem__("file_name", "missing.jpg"),
        r"missing.jpg.* does not exist",
    ),
    (lambda c: c.pop("categories"), r"categories: missing"),
    (lambda c: c["images"][0].pop("width"), r"images\[0\]\.width: missing"),
    (
        lambda c: c["annotations"][0]["keypoints"].__setitem__(2, 7),
        r"visibility flags must be 0, 1 or 2",
    ),
]


# Points just outside the image and boxes past its edge are accepted and counted (real exports
# have them): tests/test_reliability.py::test_real_world_quirks_are_accepted_and_counted.


@pytest.mark.parametrize("edit, message", BAD)
def test_bad_input_names_file_and_field(dataset, edit, message):
    folder, path, coco = dataset
    _rewrite(path, coco, edit)
    with pytest.raises(DataError, match=message) as err:
        load_coco(folder)
    assert "annotations.json" in str(err.value)


def test_not_json_and_missing_folder(tmp_path):
    (tmp_path / "annotations.json").write_text("{oops")
    with pytest.raises(DataError, match="not valid JSON"):
        load_coco(tmp_path)
    with pytest.raises(DataError, match="no such dataset"):
        load_coco(tmp_path / "nope")


def test_custom_keypoint_count(tmp_path, rng):
    schema = KeypointSchema(
        names=("head", "left_hand", "right_hand", "tail", "nose"),
        flip_pairs=((1, 2),),
        skeleton=((0, 1),),
    )
    write_coco(tmp_path, [person(rng, k=5) for _ in range(2)], schema=schema)
    ds = load_coco(tmp_path)
    assert ds.schema.num_keypoints == 5 and ds.schema.flip_pairs == ((1, 2),)
    assert ds.samples[0].keypoints.shape == (5, 2)


def test_corrupt_image_reads_as_none(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8not really a jpeg")
    assert read_image(bad) is None
    assert read_image(tmp_path / "absent.jpg") is None
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert read_image(tmp_path / "empty.jpg") is None
