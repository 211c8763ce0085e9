"""Whole images through a person detector and a pose model, scored against the same pose model on
crops made from the labels (``benchmarks/pipeline.py`` and ``posenet-mobile demo --detector``).

For each labelled person of a COCO folder (``load_coco``'s filters: people with a box of 32x32
pixels or more and a labelled keypoint):

* ``labelled_crops``: the pose model on the crop its rule makes from the labels (the box, or the
  alignment of the labelled keypoints for a model with aligned crops), as ``validate`` scores it;
* ``whole_image``: :class:`posenet_mobile.runtime.pipeline.PosePipeline` on the whole image.
  Each labelled person, largest first, is found by an unused detection whose box overlaps theirs
  with IoU >= 0.5, or whose hip centre lies within :data:`CENTRE_RADII` body radii of the
  labelled one; among several, the nearest centre (or, with no labelled hip centre, the largest
  IoU). The labelled hip centre and radius are the dataset's ``alignment`` label where it has one
  (the synthetic generator's, from the whole body, seen or not: what the detector is taught and
  scored by), else the alignment of the labelled keypoints (which needs a labelled shoulder and
  hip): :func:`matching_alignment`. The detection decides, not the pose, so the whole-image
  figure is the crop-from-labels figure less what detection costs. A person no detection finds
  counts as missed: every labelled keypoint of theirs is a miss.

* ``gt_box_crops``: the pose model on a crop around the person's labelled box, the crop a user
  who is handed a person box makes (``validate --crop-rule box``). For a box model it is
  ``labelled_crops``; for an aligned model it is weaker than ``labelled_crops``, whose crop comes
  from where the labelled hips and shoulders are, a hint no user has. The whole image against it
  is what the detector costs a user who would otherwise hand the pose model a person box.

  Boxes or centres: an aligned pose model's crop comes from the detection's alignment (centre,
  radius, incline), and its box is a by-product. ``found_box_iou50`` counts the people found by
  the box test alone, the box detector's usual one.
"""

from __future__ import annotations

import numpy as np

from ..detect.codec import CENTRE_RADII, centre_error

KEEP = ("pck", "AP", "AP50")


def match_detections(people, detections) -> list:
    """For each of ``people`` in turn, ``(box, alignment or None)``, the index into
    ``detections`` (:class:`~posenet_mobile.detect.codec.Detection`) of the unused one that finds
    them (module docstring), or ``None``."""
    from ..metrics import box_iou

    free, out = list(range(len(detections))), []
    for box, al in people:
        best, key = None, None
        for j in free:
            d = detections[j]
            iou = box_iou(d.box, box)
            err = None if al is None else centre_error(d, al)
            if iou < 0.5 and not (err is not None and err < CENTRE_RADII):
                continue
            k = (err,) if err is not None else (-iou,)
            if best is None or k < key:
                best, key = j, k
        if best is not None:
            free.remove(best)
        out.append(best)
    return out


def matching_alignment(sample, torso):
    """The labelled hip centre and body radius a detection is matched by (module docstring):
    ``sample``'s ``alignment`` label where its dataset has one, else the alignment of its
    labelled keypoints (``torso``: the shoulder and hip indices), or ``None``."""
    from .. import geometry as G

    if sample.alignment is not None:
        return G.Alignment(*sample.alignment)
    return G.alignment_from_keypoints(sample.keypoints, sample.visibility > 0, torso)


def matched_people(pipe, data):
    """For each readable image of the COCO dataset ``data``, ``(image, rows, people)``:
    ``people``, what ``pipe`` (:class:`~posenet_mobile.runtime.pipeline.PosePipeline`) kept on the
    whole image; ``rows``, per labelled person, largest first, ``(sample index, the alignment of
    their labelled keypoints (an aligned model's crop from the labels) or None, the person of
    ``people`` that found them or None)`` (module docstring)."""
    from .. import geometry as G
    from ..data.coco import read_image
    from ..schema import torso_indices

    torso = torso_indices(data.schema.names)
    by_image: dict = {}
    for i, s in enumerate(data.samples):
        by_image.setdefault(s.image_path, []).append(i)
    for path, idx in by_image.items():
        img = read_image(path)
        if img is None:
            continue
        people = pipe(img)
        order = sorted(idx, key=lambda i: -data.samples[i].area)
        labelled = [
            G.alignment_from_keypoints(
                data.samples[i].keypoints, data.samples[i].visibility > 0, torso
            )
            for i in order
        ]
        matches = match_detections(
            [(data.samples[i].bbox, matching_alignment(data.samples[i], torso)) for i in order],
            [p["detection"] for p in people],
        )
        rows = [
            (i, al, None if j is None else people[j]) for i, j, al in zip(order, matches, labelled)
        ]
        yield img, rows, people


def score_whole_images(
    detector,
    model,
    data_dir,
    passes: int | None = None,
    rule: str | None = None,
    views: bool = True,
) -> dict:
    """``{"crop_rule", "people", "found", "found_box_iou50", "detections", "whole_image",
    "labelled_crops", "gt_box_crops", "found_people", "missed_keypoint_share", "passes", "views", "rule"}`` of
    ``detector`` then ``model`` (paths or runners) on the COCO folder ``data_dir``; ``passes``:
    the pose passes per detection (default
    :data:`~posenet_mobile.runtime.pipeline.PERSON_PASSES`); ``rule``: who is a person (default
    :data:`~posenet_mobile.runtime.pipeline.PERSON_RULE`); ``views``: the pipeline's ``views``
    (the result's ``views`` is the number of crops posed per detection); ``detections`` counts
    the people the pipeline kept."""
    from ..data.coco import load_coco
    from ..metrics import box_iou, score
    from ..runtime import pipeline as P

    data = load_coco(data_dir)
    passes = P.PERSON_PASSES if passes is None else int(passes)
    rule = P.PERSON_RULE if rule is None else rule
    pipe = P.PosePipeline(detector, model, passes=passes, rule=rule, views=views)
    pose = pipe.pose
    k = data.schema.num_keypoints
    whole = np.full((len(data), k, 2), -1e6)  # a missed person: far from every truth
    whole_sc = np.zeros((len(data), k))
    crops = np.zeros((len(data), k, 2))
    crops_sc = np.zeros((len(data), k))
    boxed, boxed_sc = crops, crops_sc  # a box model's crop from the labels is the GT box's
    if pipe.aligned:
        boxed, boxed_sc = np.zeros((len(data), k, 2)), np.zeros((len(data), k))
    found_box, detections = 0, 0
    hit = np.zeros(len(data), bool)
    for img, rows, people in matched_people(pipe, data):
        detections += len(people)
        for i, al, person in rows:
            s = data.samples[i]
            found_box += any(box_iou(p["detection"].box, s.bbox) >= 0.5 for p in people)
            if person is not None:
                whole[i], whole_sc[i] = person["keypoints"], person["scores"]
                hit[i] = True
            res = pose.predict_frame(img, box=s.bbox, alignment=al if pipe.aligned else None)
            crops[i], crops_sc[i] = res["keypoints"], res["scores"]
            if pipe.aligned:
                res = pose.predict_frame(img, box=s.bbox)
                boxed[i], boxed_sc[i] = res["keypoints"], res["scores"]
    idx, f = np.arange(len(data)), np.nonzero(hit)[0]
    m_whole, m_crops = score(data, idx, whole, whole_sc), score(data, idx, crops, crops_sc)
    m_boxed = score(data, idx, boxed, boxed_sc) if pipe.aligned else m_crops
    n_labelled = np.array([(s.visibility > 0).sum() for s in data.samples])
    return {
        "crop_rule": "aligned" if pipe.aligned else "box",
        "passes": passes,
        "views": pipe.view_count,
        "rule": (
            {"rule": rule, "detector_threshold": pipe.detector.threshold}
            if rule == "detector"
            else {
                "rule": rule,
                "candidate_threshold": P.CANDIDATE_THRESHOLD,
                "person_threshold": pipe.threshold,
                "pose_weight": P.POSE_WEIGHT,
            }
        ),
        "people": len(data),
        "found": int(hit.sum()),
        "found_box_iou50": found_box,
        "detections": detections,
        "whole_image": {x: round(float(m_whole[x]), 4) for x in KEEP},
        "labelled_crops": {x: round(float(m_crops[x]), 4) for x in KEEP},
        "gt_box_crops": {x: round(float(m_boxed[x]), 4) for x in KEEP},
        # the gap in two parts: the people found, scored both ways, and the labelled keypoints
        # of the people missed (each a miss on the whole image)
        "found_people": {
            "whole_image_pck": _pck(data, f, whole, whole_sc),
            "labelled_crops_pck": _pck(data, f, crops, crops_sc),
            "gt_box_crops_pck": _pck(data, f, boxed, boxed_sc),
        },
        "missed_keypoint_share": round(float(n_labelled[~hit].sum() / max(n_labelled.sum(), 1)), 4),
    }


def _pck(data, idx, keypoints, scores):
    """PCK@0.2 of the samples ``idx``, rounded; ``None`` for none."""
    from ..metrics import score

    return (
        round(float(score(data, idx, keypoints[idx], scores[idx])["pck"]), 4) if len(idx) else None
    )
