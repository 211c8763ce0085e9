"""Small COCO datasets written on the fly for data tests."""

import json
import os

import cv2
import numpy as np

from posenet_mobile.schema import COCO17


def write_coco(folder, people, image_size=(96, 128), schema=COCO17):
    """people: list of (keypoints (K, 3), bbox) one per image; images are flat grey JPEGs."""
    os.makedirs(os.path.join(folder, "images"), exist_ok=True)
    h, w = image_size
    images, anns = [], []
    for i, (kps, bbox) in enumerate(people):
        name = f"{i:04d}.jpg"
        cv2.imwrite(os.path.join(folder, "images", name), np.full((h, w, 3), 100 + i, np.uint8))
        images.append({"id": i + 1, "file_name": name, "width": w, "height": h})
        kps = np.asarray(kps, float)
        anns.append(
            {
                "id": i + 1,
                "image_id": i + 1,
                "category_id": 1,
                "iscrowd": 0,
                "keypoints": kps.ravel().tolist(),
                "num_keypoints": int((kps[:, 2] > 0).sum()),
                "bbox": list(bbox),
                "area": bbox[2] * bbox[3],
            }
        )
    coco = {"images": images, "annotations": anns, "categories": [schema.to_coco_category()]}
    path = os.path.join(folder, "annotations.json")
    with open(path, "w") as fh:
        json.dump(coco, fh)
    return path, coco


def person(rng, image_size=(96, 128), k=17):
    h, w = image_size
    xy = np.stack([rng.uniform(30, w - 30, k), rng.uniform(20, h - 20, k)], 1)
    kps = np.concatenate([xy, np.full((k, 1), 2.0)], 1)
    lo, hi = xy.min(0), xy.max(0)
    return kps, [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])]


def synthetic_split(root, n_train, n_val=8, image_size=96):
    """Tiny synthetic training (seed 0) and held-out validation (seed 1) sets under ``root``."""
    from posenet_mobile.data.synthetic import SynthConfig, synthesize

    for name, n, seed in (("train", n_train, 0), ("val", n_val, 1)):
        synthesize(
            root / name,
            n,
            seed=seed,
            cfg=SynthConfig(image_size=image_size),
            workers=1,
            progress=False,
        )
    return root / "train", root / "val"


def people(folder):
    """How many people the COCO reader keeps from a dataset folder: the main person of each
    synthetic image plus the bystanders visible enough to be annotated."""
    from posenet_mobile.data.coco import load_coco

    return len(load_coco(folder))


#: Overrides of the quickstart preset that train in seconds (64 px, width 0.35, one epoch); the
#: one list every test file builds on.
TINY = [
    "model.input_size=[64,64]",
    "model.width=0.35",
    "model.depth=0.25",
    "model.decoder_channels=16",
    "model.regression_channels=16",
    "train.batch_size=8",
    "train.eval_batch_size=16",
    "train.epochs=1",
    "compress.representative_samples=16",
]
#: The preset's left/right options off (``facing_head``, ``global_context``): a plain head.
PLAIN = ["model.facing_head=false", "model.global_context=false"]


def quiet(*_):
    """A ``progress`` callback that prints nothing."""


def standing(sample_proportions, arms_forward=False):
    """A person standing straight, arms a little out (forward with ``arms_forward``, which keeps
    the hands off the hips in a side view): ``(proportions, pose, forward kinematics)``."""
    from posenet_mobile.data import body as B

    rng = np.random.default_rng(0)
    prop = sample_proportions(rng)
    pose = B.sample_pose(rng, "standing")
    for k in list(pose):
        if k != "category":
            pose[k] = 0.0
    pose["l_shoulder_abd"] = pose["r_shoulder_abd"] = 0.15
    if arms_forward:
        pose["l_shoulder_flex"] = pose["r_shoulder_flex"] = 1.5
    return prop, pose, B.forward_kinematics(prop, pose)


def train_tiny(root, data, overrides):
    """Train ``quickstart`` with ``overrides`` into ``root`` on ``data`` (train, val); returns root."""
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    train(load_config("quickstart", overrides), root, *data, verbose=0, progress=quiet)
    return root
