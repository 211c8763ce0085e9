"""COCO person-keypoints reader for COCO 2017 or a user's own export (any keypoint count).

``load_coco(dataset_dir_or_json)`` validates every field it uses and raises
:class:`~posenet_mobile.errors.DataError` naming the file, the record and the field. Images are
not opened here; :func:`read_image` returns ``None`` for a corrupt or unreadable file so the
pipeline can skip and count it.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ..errors import DataError
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


@dataclass
class CocoDataset:
    """People kept after filtering, the schema from the category, and what was filtered and why."""

    samples: list
    schema: KeypointSchema
    annotation_file: str
    image_dir: str
    skipped: dict = field(default_factory=dict)
    images: dict = field(default_factory=dict)  # image_id -> image record

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
                raise DataError(f"{p}: no annotations.json (or annotations/person_keypoints_*.json) in the dataset folder")
            ann = cands[0]
        img_dir = p / "images"
        if not img_dir.is_dir():
            img_dir = p
        return ann, img_dir
    if p.is_file():
        img_dir = p.parent / "images"
        return p, img_dir if img_dir.is_dir() else p.parent
    raise DataError(f"{p}: no such dataset folder or annotation file")


def load_coco(path, image_dir=None, min_box_area: float = 32 * 32, min_keypoints: int = 1,
              check_images: bool = True, category_name: str = "person") -> CocoDataset:  # fmt: skip
    """Read and validate a COCO keypoints dataset.

    Filters (counted in ``skipped``): ``iscrowd`` people, people with fewer than
    ``min_keypoints`` labelled keypoints, and boxes smaller than ``min_box_area`` pixels. Missing
    keys, keypoint arrays of the wrong length, NaN or negative coordinates, boxes outside the
    image and missing image files are errors naming the file and field.
    """
    ann_path, img_dir = resolve(path)
    img_dir = Path(image_dir) if image_dir else img_dir
    src = str(ann_path)
    try:
        with open(ann_path) as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(f"{src}: not valid JSON: {exc}") from None
    except OSError as exc:
        raise DataError(f"{src}: cannot read: {exc.strerror}") from None
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise DataError(f"{src}: {key}: missing or not a list")
    cats = [c for c in data["categories"] if isinstance(c, dict) and "keypoints" in c]
    if not cats:
        raise DataError(f"{src}: categories: no category with a 'keypoints' list")
    cat = next((c for c in cats if c.get("name") == category_name), cats[0])
    if "id" not in cat:
        raise DataError(f"{src}: categories[{cat.get('name')!r}].id: missing")
    schema = KeypointSchema.from_coco_category(cat, source=src)
    k = schema.num_keypoints
    images = {}
    for i, im in enumerate(data["images"]):
        where = f"{src}: images[{i}]"
        for key in ("id", "file_name", "width", "height"):
            if key not in im:
                raise DataError(f"{where}.{key}: missing")
        if not (isinstance(im["width"], (int, float)) and isinstance(im["height"], (int, float))
                and im["width"] > 0 and im["height"] > 0):  # fmt: skip
            raise DataError(f"{where}.width/height: expected positive numbers, got {im['width']!r}, {im['height']!r}")
        images[im["id"]] = im
    skipped = {"iscrowd": 0, "too_few_keypoints": 0, "small_box": 0, "other_category": 0}
    samples = []
    checked = set()
    for i, ann in enumerate(data["annotations"]):
        where = f"{src}: annotations[{i}] (id {ann.get('id', '?')})"
        for key in ("image_id", "category_id", "keypoints", "bbox"):
            if key not in ann:
                raise DataError(f"{where}.{key}: missing")
        if ann["category_id"] != cat["id"]:
            skipped["other_category"] += 1
            continue
        if ann.get("iscrowd", 0):
            skipped["iscrowd"] += 1
            continue
        im = images.get(ann["image_id"])
        if im is None:
            raise DataError(f"{where}.image_id: {ann['image_id']!r} is not in images[]")
        kps = ann["keypoints"]
        if not isinstance(kps, list) or len(kps) != 3 * k:
            n = len(kps) if isinstance(kps, list) else type(kps).__name__
            raise DataError(f"{where}.keypoints: expected {3 * k} numbers ([x, y, v] x {k} keypoints), got {n}")
        try:
            arr = np.asarray(kps, np.float64).reshape(k, 3)
        except (TypeError, ValueError):
            raise DataError(f"{where}.keypoints: expected numbers") from None
        if not np.isfinite(arr).all():
            raise DataError(f"{where}.keypoints: NaN or infinite value")
        vis = arr[:, 2].astype(int)
        if not np.isin(vis, (0, 1, 2)).all():
            raise DataError(f"{where}.keypoints: visibility flags must be 0, 1 or 2, got {sorted(set(vis.tolist()))}")
        xy = arr[:, :2]
        if (xy[vis > 0] < 0).any():
            raise DataError(f"{where}.keypoints: negative coordinate for a labelled keypoint")
        bbox = ann["bbox"]
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            raise DataError(f"{where}.bbox: expected [x, y, w, h] numbers, got {bbox!r}")
        x, y, w, h = (float(v) for v in bbox)
        if not all(math.isfinite(v) for v in (x, y, w, h)) or w < 0 or h < 0:
            raise DataError(f"{where}.bbox: expected finite [x, y, w, h] with w, h >= 0, got {bbox}")
        iw, ih = float(im["width"]), float(im["height"])
        tol = 1.0
        if x < -tol or y < -tol or x + w > iw + tol or y + h > ih + tol:
            raise DataError(f"{where}.bbox: {bbox} lies outside the {int(iw)}x{int(ih)} image {im['file_name']!r}")
        if int((vis > 0).sum()) < min_keypoints:
            skipped["too_few_keypoints"] += 1
            continue
        if w * h < min_box_area:
            skipped["small_box"] += 1
            continue
        img_path = str(img_dir / im["file_name"])
        if check_images and img_path not in checked:
            if not os.path.isfile(img_path):
                raise DataError(f"{where}: image file {img_path} (images[].file_name {im['file_name']!r}) does not exist")
            checked.add(img_path)
        samples.append(PersonSample(
            image_path=img_path, image_id=int(ann["image_id"]), ann_id=int(ann.get("id", i + 1)),
            bbox=(x, y, w, h), keypoints=xy.astype(np.float32), visibility=vis.astype(np.int8),
            image_size=(int(ih), int(iw)), area=float(ann.get("area", w * h)),
        ))  # fmt: skip
    return CocoDataset(samples, schema, src, str(img_dir), skipped, images)


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
