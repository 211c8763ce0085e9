"""From a photo or a camera frame to poses: detect -> crop -> pose -> frame pixels.

:class:`PosePipeline` joins an exported person detector
(:class:`~posenet_mobile.runtime.detector.DetectorRunner`) and an exported pose model
(:class:`~posenet_mobile.runtime.runner.TFLiteRunner`). Each detection becomes the crop the pose
model was trained on: its alignment's turned crop for a model with aligned crops
(``input.crop.method: aligned``, BlazePose), its box grown by the model's padding otherwise.
"""

from __future__ import annotations

import numpy as np

from .detector import DetectorRunner
from .runner import TFLiteRunner


def person_box(detection) -> tuple:
    """The detection's box, or, where the detector gave it no area (edges read as negative and
    clipped to zero), the square around its body circle."""
    x, y, w, h = detection.box
    if w >= 1.0 and h >= 1.0:
        return detection.box
    a = detection.alignment
    return (a.cx - a.radius, a.cy - a.radius, 2.0 * a.radius, 2.0 * a.radius)


class PosePipeline:
    """``PosePipeline(detector, pose)`` (paths or runners); calling it on an RGB uint8 frame gives
    one dict per person found, best first: ``keypoints`` ``(K, 2)`` and ``scores`` ``(K,)`` in
    frame pixels, the ``detection`` and the ``crop`` the pose model saw."""

    def __init__(self, detector, pose, threads: int = 1, max_people: int = 10):
        self.detector = (
            detector if isinstance(detector, DetectorRunner) else DetectorRunner(detector, threads)
        )
        self.pose = pose if isinstance(pose, TFLiteRunner) else TFLiteRunner(pose, threads)
        self.aligned = self.pose.meta.input.crop.method == "aligned"
        self.max_people = int(max_people)

    def pose_for(self, frame: np.ndarray, detection) -> dict:
        """The pose of one detected person."""
        if self.aligned:
            res = self.pose.predict_frame(frame, alignment=detection.alignment)
        else:
            res = self.pose.predict_frame(frame, box=person_box(detection))
        return {**res, "detection": detection}

    def __call__(self, frame_uint8: np.ndarray) -> list[dict]:
        frame = np.asarray(frame_uint8)
        people = self.detector.detect(frame, max_people=self.max_people)
        return [self.pose_for(frame, d) for d in people]
