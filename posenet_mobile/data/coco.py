"""COCO person-keypoints reader for COCO 2017 or a user's own export (any keypoint count).

``load_coco(dataset_dir_or_json)`` validates every field it uses and raises
:class:`~posenet_mobile.errors.DataError` naming the file, the record and the field. Images are
not opened here; :func:`read_image` returns ``None`` for a corrupt or unreadable file so the
pipeline can skip and count it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..errors import DataError
from ..io import read_json
from ..schema import KeypointSchema


@dataclass(frozen=True)
class PersonSample:
    """One annotated person. keypoints ``(K, 2)`` image pixels; visibility ``(K,)`` COCO flags;
    bbox ``[x, y, w, h]`` image pixels."""

    image_path: str
    image_id: int
    ann_id: int
    bbox: tuple
    keypoints: np.ndarray
    visibility: np.ndarray
    image_size: tuple  # (height, width)
    area: float
    source: str | None = None  # the annotation's ``source`` field, where a merged dataset has one
    #: The annotation's ``alignment`` ``(hip x, hip y, radius, angle)``, where the dataset labels
    #: one (the synthetic generator does, from all the body's keypoints, seen or not).
    alignment: tuple | None = None


@dataclass
class CocoDataset:
    """People kept after filtering, the schema from the category, and what was filtered and why."""

    samples: list
    schema: KeypointSchema
    annotation_file: str
    image_dir: str
    skipped: dict = field(default_factory=dict)
    images: dict = field(default_factory=dict)  # image_id -> image record
    adjusted: dict = field(default_factory=dict)  # accepted after a change: clipped boxes, ...

    def __len__(self):
        return len(self.samples)


def resolve(path) -> tuple[Path, Path]:
    """``DIR`` (with ``annotations.json`` and ``images/``) or a JSON file -> (json, image dir)."""
    p = Path(path)
    if p.is_dir():
        ann = p / "annotations.json"
        if not ann.is_file():
            cands = sorted(p.glob("annotations/person_keypoints_*.json"))
            if not cands:
                raise DataError(
                    f"{p}: no annotations.json (or annotations/person_keypoints_*.json) in the dataset folder"
                )
            ann = cands[0]
        img_dir = p / "images"
        if not img_dir.is_dir():
            img_dir = p
        return ann, img_dir
    if p.is_file():
        img_dir = p.parent / "images"
        return p, img_dir if img_dir.is_dir() else p.parent
    raise DataError(f"{p}: no such dataset folder or annotation file")


def _select_category(categories, category_name, src):
    """The keypoint category to read: named ``category_name`` (or with that supercategory);
    ``None`` takes the first category with keypoints."""
    cats = [c for c in categories if isinstance(c, dict)]
    with_kp = [c for c in cats if "keypoints" in c]
    if category_name is None:
        if not with_kp:
            raise DataError(f"{src}: categories: no category with a 'keypoints' list")
        return with_kp[0]
    named = [c for c in with_kp if c.get("name") == category_name] or [
        c for c in with_kp if c.get("supercategory") == category_name
    ]
    if not named:
        bare = [c for c in cats if c.get("name") == category_name]
        if bare:
            raise DataError(
                f"{src}: categories[{category_name!r}]: has no 'keypoints' list; expected the keypoint "
                "names of a COCO person-keypoints file"
            )
        found = [c.get("name") for c in cats]
        raise DataError(
            f"{src}: categories: no {category_name!r} category with keypoints (found {found}); "
            f"expected a person-keypoints file"
        )
    return named[0]


def _keypoint_block(ann, k, where):
    """The annotation's ``[x, y, v] * K`` list: ``keypoints``, or, when that has another length, an
    extra block of the right length (HumanArt writes ``keypoints_21`` beside ``keypoints``)."""
    kps = ann["keypoints"]
    if isinstance(kps, list) and len(kps) == 3 * k:
        return kps, None
    for key, val in ann.items():
        if key.startswith("keypoints_") and isinstance(val, list) and len(val) == 3 * k:
            return val, key
    n = len(kps) if isinstance(kps, list) else type(kps).__name__
    raise DataError(
        f"{where}.keypoints: expected {3 * k} numbers ([x, y, v] x {k} keypoints), got {n}"
    )


def labelled_alignment(ann: dict, where: str) -> tuple | None:
    """An annotation's ``alignment`` field ``[hip x, hip y, radius, angle]`` as a tuple, or
    ``None`` where it has none; anything else is a :class:`DataError` naming ``where``."""
    al = ann.get("alignment")
    if al is None:
        return None
    if not (
        isinstance(al, list)
        and len(al) == 4
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in al
        )
        and al[2] > 0
    ):
        raise DataError(
            f"{where}.alignment: expected [hip x, hip y, radius > 0, angle] finite numbers, "
            f"got {al!r}"
        )
    return tuple(float(v) for v in al)


def load_coco(
    path,
    image_dir=None,
    min_box_area: float = 32 * 32,
    min_keypoints: int = 1,
    check_images: bool = True,
    category_name: str | None = "person",
) -> CocoDataset:
    """Read and validate a COCO keypoints dataset.

    Filters (counted in ``skipped``): ``iscrowd`` people, people with fewer than
    ``min_keypoints`` labelled keypoints, and boxes smaller than ``min_box_area`` pixels.

    Accepted and counted in ``adjusted`` (real exports do this): labelled keypoints outside the
    image (kept as they are; the crop may reach past the edge), boxes reaching past the image
    (clipped to it), a 0-based skeleton (shifted, with a warning), keypoints stored in an extra
    block of the category's length (``keypoints_21``).

    Errors naming the file, the record and the field: a file that is not UTF-8 JSON or not an
    object, missing keys, duplicate image or annotation ids, no ``person`` category with
    keypoints (``category_name=None`` takes the first keypoint category whatever its name),
    keypoint arrays of the wrong length, NaN, visibility flags other than 0/1/2, negative box
    sizes and missing image files.
    """
    ann_path, img_dir = resolve(path)
    img_dir = Path(image_dir) if image_dir else img_dir
    src = str(ann_path)
    data = read_json(ann_path, expect=dict, what="COCO annotations")
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise DataError(f"{src}: {key}: missing or not a list")
    cat = _select_category(data["categories"], category_name, src)
    if "id" not in cat:
        raise DataError(f"{src}: categories[{cat.get('name')!r}].id: missing")
    schema = KeypointSchema.from_coco_category(cat, source=src)
    k = schema.num_keypoints
    images = {}
    for i, im in enumerate(data["images"]):
        where = f"{src}: images[{i}]"
        if not isinstance(im, dict):
            raise DataError(f"{where}: expected an object, got {type(im).__name__}")
        for key in ("id", "file_name", "width", "height"):
            if key not in im:
                raise DataError(f"{where}.{key}: missing")
        if not (
            isinstance(im["width"], (int, float))
            and isinstance(im["height"], (int, float))
            and im["width"] > 0
            and im["height"] > 0
        ):
            raise DataError(
                f"{where}.width/height: expected positive numbers, got {im['width']!r}, {im['height']!r}"
            )
        if not isinstance(im["file_name"], str) or not im["file_name"]:
            raise DataError(f"{where}.file_name: expected a file name, got {im['file_name']!r}")
        if im["id"] in images:
            raise DataError(
                f"{where}.id: {im['id']!r} is also the id of images[{images[im['id']]['_index']}]; "
                "image ids must be unique"
            )
        images[im["id"]] = {**im, "_index": i}
    skipped = {"iscrowd": 0, "too_few_keypoints": 0, "small_box": 0, "other_category": 0}
    adjusted = {"keypoints_outside_image": 0, "bbox_clipped": 0, "keypoints_from_extra_block": 0}
    samples = []
    checked = set()
    ann_ids: dict = {}
    for i, ann in enumerate(data["annotations"]):
        if not isinstance(ann, dict):
            raise DataError(
                f"{src}: annotations[{i}]: expected an object, got {type(ann).__name__}"
            )
        where = f"{src}: annotations[{i}] (id {ann.get('id', '?')})"
        for key in ("image_id", "category_id", "keypoints", "bbox"):
            if key not in ann:
                raise DataError(f"{where}.{key}: missing")
        if "id" in ann:
            if ann["id"] in ann_ids:
                raise DataError(
                    f"{where}.id: {ann['id']!r} is also the id of annotations[{ann_ids[ann['id']]}]; "
                    "annotation ids must be unique"
                )
            ann_ids[ann["id"]] = i
        if ann["category_id"] != cat["id"]:
            skipped["other_category"] += 1
            continue
        if ann.get("iscrowd", 0):
            skipped["iscrowd"] += 1
            continue
        im = images.get(ann["image_id"])
        if im is None:
            raise DataError(f"{where}.image_id: {ann['image_id']!r} is not in images[]")
        kps, block = _keypoint_block(ann, k, where)
        if block:
            adjusted["keypoints_from_extra_block"] += 1
        try:
            arr = np.asarray(kps, np.float64).reshape(k, 3)
        except (TypeError, ValueError):
            raise DataError(f"{where}.keypoints: expected numbers") from None
        if not np.isfinite(arr).all():
            raise DataError(f"{where}.keypoints: NaN or infinite value")
        vis = arr[:, 2].astype(int)
        if not np.isin(arr[:, 2], (0, 1, 2)).all():
            raise DataError(
                f"{where}.keypoints: visibility flags must be 0, 1 or 2, got {sorted(set(arr[:, 2].tolist()))}"
            )
        xy = arr[:, :2]
        iw, ih = float(im["width"]), float(im["height"])
        lab = xy[vis > 0]
        adjusted["keypoints_outside_image"] += int(((lab < 0) | (lab > [iw, ih])).any(axis=1).sum())
        bbox = ann["bbox"]
        if not (
            isinstance(bbox, list)
            and len(bbox) == 4
            and all(isinstance(v, (int, float)) for v in bbox)
        ):
            raise DataError(f"{where}.bbox: expected [x, y, w, h] numbers, got {bbox!r}")
        x, y, w, h = (float(v) for v in bbox)
        if not all(math.isfinite(v) for v in (x, y, w, h)) or w < 0 or h < 0:
            raise DataError(
                f"{where}.bbox: expected finite [x, y, w, h] with w, h >= 0, got {bbox}"
            )
        tol = 1.0
        if x < -tol or y < -tol or x + w > iw + tol or y + h > ih + tol:
            x0, y0 = min(max(x, 0.0), iw), min(max(y, 0.0), ih)
            x1, y1 = min(max(x + w, 0.0), iw), min(max(y + h, 0.0), ih)
            x, y, w, h = x0, y0, x1 - x0, y1 - y0
            adjusted["bbox_clipped"] += 1
        if int((vis > 0).sum()) < min_keypoints:
            skipped["too_few_keypoints"] += 1
            continue
        if w * h < min_box_area:
            skipped["small_box"] += 1
            continue
        img_path = str(img_dir / im["file_name"])
        if check_images and img_path not in checked:
            if not os.path.isfile(img_path):
                raise DataError(
                    f"{where}: image file {img_path} (images[].file_name {im['file_name']!r}) does not exist"
                )
            checked.add(img_path)
        try:
            image_id, ann_id = int(ann["image_id"]), int(ann.get("id", i + 1))
        except (TypeError, ValueError):
            raise DataError(
                f"{where}.id/image_id: expected integers, got {ann.get('id')!r}, {ann['image_id']!r}"
            ) from None
        samples.append(
            PersonSample(
                image_path=img_path,
                image_id=image_id,
                ann_id=ann_id,
                bbox=(x, y, w, h),
                keypoints=xy.astype(np.float32),
                visibility=vis.astype(np.int8),
                image_size=(int(ih), int(iw)),
                area=float(ann.get("area", w * h)),
                source=str(ann["source"]) if isinstance(ann.get("source"), (str, int)) else None,
                alignment=labelled_alignment(ann, where),
            )
        )
    images = {key: {k2: v for k2, v in im.items() if k2 != "_index"} for key, im in images.items()}
    return CocoDataset(samples, schema, src, str(img_dir), skipped, images, adjusted)


def read_image(path) -> np.ndarray | None:
    """RGB uint8 ``(H, W, 3)``, or ``None`` if the file is missing, corrupt or not an image."""
    try:
        data = np.fromfile(str(path), np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        return None
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
