"""From a photo or a camera frame to poses: detect -> crop -> pose -> frame pixels.

:class:`PosePipeline` joins an exported person detector
(:class:`~posenet_mobile.runtime.detector.DetectorRunner`) and an exported pose model
(:class:`~posenet_mobile.runtime.runner.TFLiteRunner`). Each detection becomes the crop the pose
model was trained on: its alignment's turned crop for a model with aligned crops
(``input.crop.method: aligned``, BlazePose), its box grown by the model's padding otherwise.

Who is a person (``rule``, default :data:`PERSON_RULE`):

* ``detector``: every detection scoring at least the detector's own threshold (its metadata's
  ``decode.threshold``).
* ``pose_checked``: the pose model checks the detector. The pipeline asks the detector for
  candidates down to :data:`CANDIDATE_THRESHOLD`, below its own threshold, and poses each one. A
  candidate is a person when its :func:`person_score` (the detection's score weighted by how sure
  the pose model is of the keypoints it found there) reaches :data:`PERSON_THRESHOLD`, and is not
  a person already kept: two poses whose hip centres lie within ``CENTRE_RADII`` body radii of
  each other are one person, and the better scored stays (:func:`select_people`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import geometry as G
from ..detect.codec import CENTRE_RADII, centre_distance
from ..errors import ConfigError
from ..schema import torso_indices
from .detector import DetectorRunner
from .runner import TFLiteRunner
from .tracking import from_metadata


def follow(runner: TFLiteRunner, frame: np.ndarray, res: dict, passes: int) -> dict:
    """Up to ``passes - 1`` more passes over a still ``frame`` after the pose ``res``, each crop
    taken from the last pose as the video tracker takes it
    (:class:`~posenet_mobile.runtime.tracking.RoiTracker`: the pose's alignment for a model with
    aligned crops, its box otherwise). A pass after which the pose is lost ends it with the last
    result. Returns the last pose's dict plus ``passes``, the passes run in all."""
    if passes < 1:
        raise ConfigError(f"--passes: expected >= 1, got {passes}")
    n = 1
    if passes > 1:
        tracker, _ = from_metadata(runner.meta)
        while n < passes:
            tracker.update(np.concatenate([res["keypoints"], res["scores"][:, None]], 1))
            if tracker.box is None:
                break
            res, n = runner.predict_frame(frame, tracker.box, tracker.alignment), n + 1
    return {**res, "passes": n}


def person_box(detection) -> tuple:
    """The detection's box, or, where the detector gave it no area (edges read as negative and
    clipped to zero), the square around its body circle."""
    x, y, w, h = detection.box
    if w >= 1.0 and h >= 1.0:
        return detection.box
    a = detection.alignment
    return (a.cx - a.radius, a.cy - a.radius, 2.0 * a.radius, 2.0 * a.radius)


#: Pose passes per detected person (:class:`PosePipeline`): the detection's crop, then crops from
#: the last pose, as BlazePose's tracking takes the next crop from the landmarks. Chosen on
#: held-out synthetic scenes that the reported figures do not use (``benchmarks/pipeline.py
#: --passes``, docs/alignment.md).
PERSON_PASSES = 1

#: Views of a detected person for a model with aligned crops (:class:`PosePipeline`
#: ``views``): besides the detection's crop and the crop from that pose (a second pass,
#: :func:`follow`), the detection's crop turned by each of these angles (degrees) either way.
#: Each keypoint is taken from the view whose pose is surest of it (:func:`most_confident`): a
#: detection's alignment errs in centre, radius and incline at once, and a crop a little off cuts
#: or shrinks some limbs that another view shows. Chosen on held-out synthetic scenes that the
#: reported figures do not use (``benchmarks/pipeline_views.py``, docs/alignment.md).
VIEW_TURNS = (15.0,)

#: How :class:`PosePipeline` decides who is a person (module docstring).
RULES = ("detector", "pose_checked")
#: The default rule. The pose check found no more people than the detector alone at the same
#: precision with the trained detector (``benchmarks/pipeline_rule.py``, docs/alignment.md), and
#: it runs the pose model on every candidate, so the detector decides.
PERSON_RULE = "detector"

#: For the ``pose_checked`` rule: the lowest detection score posed, and the
#: :func:`person_score` a candidate needs to be a person. Chosen on held-out synthetic scenes that
#: the reported figures do not use: the most people found at no lower precision than the
#: detector alone at its own threshold (``benchmarks/pipeline_rule.py``, docs/alignment.md). They
#: were chosen with the smaller input the detector had before ``INPUT_SIZE``; the rule is not the
#: default, so they were not chosen again.
CANDIDATE_THRESHOLD = 0.1
PERSON_THRESHOLD = 0.1
#: How much the pose's mean keypoint score weighs against the detection's score in
#: :func:`person_score` (its exponent), chosen with the thresholds.
POSE_WEIGHT = 2.0


def person_score(detection_score: float, keypoint_scores, weight: float = POSE_WEIGHT) -> float:
    """A candidate's score as a person: the detection's score times the pose's mean keypoint
    score raised to ``weight``."""
    return float(detection_score) * float(np.mean(keypoint_scores)) ** weight


def turned_views(alignment) -> list:
    """The detection's alignment turned by each :data:`VIEW_TURNS` angle, minus then plus: the
    turned views of :meth:`PosePipeline.pose_for` (posecore: ``DetectionDecoder.viewCrops``)."""
    a = alignment
    return [
        G.Alignment(a.cx, a.cy, a.radius, a.angle + sign * turn)
        for turn in VIEW_TURNS
        for sign in (-1.0, 1.0)
    ]


def most_confident(poses) -> dict:
    """One pose from several of the same person (dicts with ``keypoints`` ``(K, 2)`` and
    ``scores`` ``(K,)`` in frame pixels): each keypoint and its score from the pose that scores it
    highest (the first on a tie). The other keys are the first pose's. posecore:
    ``Keypoints.mostConfident``."""
    kps = np.stack([np.asarray(p["keypoints"], np.float64) for p in poses])
    scs = np.stack([np.asarray(p["scores"], np.float64) for p in poses])
    best = np.argmax(scs, axis=0)
    k = np.arange(kps.shape[1])
    return {**poses[0], "keypoints": kps[best, k], "scores": scs[best, k]}


def select_people(candidates, threshold: float = PERSON_THRESHOLD) -> list[dict]:
    """The people among posed ``candidates`` (dicts with ``score`` and the pose's ``alignment``,
    or ``None`` without a confident shoulder and hip), best first: those scoring at least
    ``threshold``, each once (module docstring)."""
    kept = []
    for c in sorted(candidates, key=lambda c: -c["score"]):
        if c["score"] < threshold:
            break
        al = c["alignment"]
        if al is not None and any(
            k["alignment"] is not None and centre_distance(al, k["alignment"]) < CENTRE_RADII
            for k in kept
        ):
            continue
        kept.append(c)
    return kept


class PosePipeline:
    """``PosePipeline(detector, pose)`` (paths or runners); calling it on an RGB uint8 frame gives
    one dict per person found, best first: ``keypoints`` ``(K, 2)`` and ``scores`` ``(K,)`` in
    frame pixels, the person's ``score`` (:func:`person_score`), the pose's ``alignment``, the
    ``detection``, the ``crop`` the pose model saw last and the ``passes`` run (``passes``: at
    most this many, :func:`follow`). ``threshold``: the :func:`person_score` a person needs.
    ``rule``: who is a person (module docstring). ``views``: for a model with aligned crops, pose
    each detection in the views of :data:`VIEW_TURNS` and keep each keypoint from the surest
    (:meth:`pose_for`); ``False``: the detection's crop only. ``views_run`` in each person's dict
    says how many crops were posed before any later passes."""

    def __init__(
        self,
        detector,
        pose,
        threads: int = 1,
        max_people: int = 10,
        passes: int = PERSON_PASSES,
        threshold: float = PERSON_THRESHOLD,
        rule: str = PERSON_RULE,
        views: bool = True,
    ):
        # a path or a file's bytes is opened; anything else is taken as a runner
        files = (str, Path, bytes, bytearray)
        self.detector = (
            DetectorRunner(detector, threads) if isinstance(detector, files) else detector
        )
        self.pose = TFLiteRunner(pose, threads) if isinstance(pose, files) else pose
        self.aligned = self.pose.meta.input.crop.method == "aligned"
        self.max_people = int(max_people)
        if passes < 1:
            raise ConfigError(f"--passes: expected >= 1, got {passes}")
        self.passes = int(passes)
        self.threshold = float(threshold)
        if rule not in RULES:
            raise ConfigError(f"pipeline rule: expected one of {RULES}, got {rule!r}")
        self.rule = rule
        self.views = bool(views) and self.aligned
        meta = self.pose.meta
        self._min_score = meta.tracking.roi.min_score
        self._torso = torso_indices(meta.keypoints.names)

    @property
    def view_count(self) -> int:
        """The crops posed per detection before any later passes."""
        return 2 + 2 * len(VIEW_TURNS) if self.views else 1

    def pose_for(self, frame: np.ndarray, detection, passes: int | None = None) -> dict:
        """The pose of one detected person: the crop from the detection (with ``views``: each
        keypoint from the surest of the detection's crop, the crop from that pose and the
        detection's crop turned by :data:`VIEW_TURNS`; ``crop`` is then the detection's), then
        (``passes``, by default the pipeline's) crops from the last pose (:func:`follow`)."""
        if self.aligned:
            a = detection.alignment
            res = self.pose.predict_frame(frame, alignment=a)
        else:
            res = self.pose.predict_frame(frame, box=person_box(detection))
        views = [res]
        if self.views:
            views.append(follow(self.pose, frame, res, 2))
            views += [self.pose.predict_frame(frame, alignment=t) for t in turned_views(a)]
            res = most_confident(views)
        res = follow(self.pose, frame, res, self.passes if passes is None else passes)
        return {**res, "detection": detection, "views_run": len(views)}

    def candidates(self, frame_uint8: np.ndarray) -> list[dict]:
        """Every detection down to :data:`CANDIDATE_THRESHOLD` (at most ``max_people``), posed
        (:meth:`pose_for`) and scored: ``score`` and ``alignment`` as in the class docstring."""
        frame = np.asarray(frame_uint8)
        found = self.detector.detect(
            frame,
            threshold=min(CANDIDATE_THRESHOLD, self.detector.threshold),
            max_people=self.max_people,
        )
        return [self._scored(frame, d) for d in found]

    def _scored(self, frame, detection) -> dict:
        res = self.pose_for(frame, detection)
        sc = np.asarray(res["scores"])
        # the pose's alignment from its confident keypoints, as the video tracker takes it
        al = (
            G.alignment_from_keypoints(res["keypoints"], sc >= self._min_score, self._torso)
            if self._torso is not None  # a schema without shoulders and hips has no alignment
            else None
        )
        return {**res, "score": person_score(detection.score, sc), "alignment": al}

    def __call__(self, frame_uint8: np.ndarray) -> list[dict]:
        if self.rule == "detector":
            found = self.detector.detect(np.asarray(frame_uint8), max_people=self.max_people)
            return [self._scored(frame_uint8, d) for d in found]
        return select_people(self.candidates(frame_uint8), self.threshold)
