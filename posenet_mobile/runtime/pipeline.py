"""From a photo or a camera frame to poses: detect -> crop -> pose -> frame pixels.

:class:`PosePipeline` joins an exported person detector
(:class:`~posenet_mobile.runtime.detector.DetectorRunner`) and an exported pose model
(:class:`~posenet_mobile.runtime.runner.TFLiteRunner`). Each detection becomes the crop the pose
model was trained on: its alignment's turned crop for a model with aligned crops
(``input.crop.method: aligned``, BlazePose), its box grown by the model's padding otherwise.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
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


class PosePipeline:
    """``PosePipeline(detector, pose)`` (paths or runners); calling it on an RGB uint8 frame gives
    one dict per person found, best first: ``keypoints`` ``(K, 2)`` and ``scores`` ``(K,)`` in
    frame pixels, the ``detection``, the ``crop`` the pose model saw last and the ``passes`` run
    (``passes``: at most this many, :func:`follow`)."""

    def __init__(
        self, detector, pose, threads: int = 1, max_people: int = 10, passes: int = PERSON_PASSES
    ):
        self.detector = (
            detector if isinstance(detector, DetectorRunner) else DetectorRunner(detector, threads)
        )
        self.pose = pose if isinstance(pose, TFLiteRunner) else TFLiteRunner(pose, threads)
        self.aligned = self.pose.meta.input.crop.method == "aligned"
        self.max_people = int(max_people)
        if passes < 1:
            raise ConfigError(f"--passes: expected >= 1, got {passes}")
        self.passes = int(passes)

    def pose_for(self, frame: np.ndarray, detection, passes: int | None = None) -> dict:
        """The pose of one detected person: the crop from the detection, then (``passes``, by
        default the pipeline's) crops from the last pose (:func:`follow`)."""
        if self.aligned:
            res = self.pose.predict_frame(frame, alignment=detection.alignment)
        else:
            res = self.pose.predict_frame(frame, box=person_box(detection))
        res = follow(self.pose, frame, res, self.passes if passes is None else passes)
        return {**res, "detection": detection}

    def __call__(self, frame_uint8: np.ndarray) -> list[dict]:
        frame = np.asarray(frame_uint8)
        people = self.detector.detect(frame, max_people=self.max_people)
        return [self.pose_for(frame, d) for d in people]
