"""Whole images through a person detector and a pose model, scored against the same pose model on
crops made from the labels (``benchmarks/pipeline.py`` and ``posenet-mobile demo --detector``).

For each labelled person of a COCO folder (``load_coco``'s filters: people with a box of 32x32
pixels or more and a labelled keypoint):

* ``labelled_crops``: the pose model on the crop its rule makes from the labels (the box, or the
  alignment of the labelled keypoints for a model with aligned crops), as ``validate`` scores it;
* ``whole_image``: :class:`posenet_mobile.runtime.pipeline.PosePipeline` on the whole image; each
  labelled person takes the detection whose box overlaps theirs most (IoU >= 0.5, each detection
  used once, best scores first). A person no detection matches counts as missed: every labelled
  keypoint of theirs is a miss.
"""

from __future__ import annotations

import numpy as np

KEEP = ("pck", "AP", "AP50")


def score_whole_images(detector, model, data_dir) -> dict:
    """``{"crop_rule", "people", "found", "detections", "whole_image", "labelled_crops"}`` of
    ``detector`` then ``model`` (paths or runners) on the COCO folder ``data_dir``."""
    from .. import geometry as G
    from ..data.coco import load_coco, read_image
    from ..metrics import box_iou, score
    from ..runtime.pipeline import PosePipeline
    from ..schema import torso_indices

    data = load_coco(data_dir)
    pipe = PosePipeline(detector, model)
    pose = pipe.pose
    torso = torso_indices(data.schema.names)
    by_image: dict = {}
    for i, s in enumerate(data.samples):
        by_image.setdefault(s.image_path, []).append(i)
    k = data.schema.num_keypoints
    whole = np.full((len(data), k, 2), -1e6)  # a missed person: far from every truth
    whole_sc = np.zeros((len(data), k))
    crops = np.zeros((len(data), k, 2))
    crops_sc = np.zeros((len(data), k))
    found, detections = 0, 0
    for path, idx in by_image.items():
        img = read_image(path)
        if img is None:
            continue
        people = pipe(img)
        detections += len(people)
        free = list(range(len(people)))
        for i in sorted(idx, key=lambda i: -data.samples[i].area):
            s = data.samples[i]
            best = max(
                free, key=lambda j: box_iou(people[j]["detection"].box, s.bbox), default=None
            )
            if best is not None and box_iou(people[best]["detection"].box, s.bbox) >= 0.5:
                free.remove(best)
                whole[i], whole_sc[i] = people[best]["keypoints"], people[best]["scores"]
                found += 1
            al = None
            if pipe.aligned:
                al = G.alignment_from_keypoints(s.keypoints, s.visibility > 0, torso)
            res = pose.predict_frame(img, box=s.bbox, alignment=al)
            crops[i], crops_sc[i] = res["keypoints"], res["scores"]
    idx = np.arange(len(data))
    m_whole, m_crops = score(data, idx, whole, whole_sc), score(data, idx, crops, crops_sc)
    return {
        "crop_rule": "aligned" if pipe.aligned else "box",
        "people": len(data),
        "found": found,
        "detections": detections,
        "whole_image": {x: round(float(m_whole[x]), 4) for x in KEEP},
        "labelled_crops": {x: round(float(m_crops[x]), 4) for x in KEEP},
    }
