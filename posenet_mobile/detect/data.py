"""Frames for the person detector: a COCO folder's images, letterboxed to the detector's square
input, with each person's alignment and box in input pixels (:class:`~.codec.Person`).

A person's alignment is the annotation's ``alignment`` field when it has one (the synthetic
frames: from all 17 keypoints, inside the frame or not), else it is computed from the labelled
keypoints (:func:`posenet_mobile.geometry.alignment_from_keypoints`); a person without a
labelled shoulder and hip, or with ``iscrowd``, is left out. Images without people are kept:
they teach the detector what is not a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import geometry as G
from ..data.augment import AugmentConfig, photometric
from ..data.coco import read_image, resolve
from ..errors import DataError
from ..io import read_json
from ..schema import COCO17, torso_indices
from .codec import GEOMETRY_CHANNELS, DetectionCodec, Person

#: Channels of the packed targets: heatmap, geometry, geometry mask, peaks.
TARGET_CHANNELS = 1 + GEOMETRY_CHANNELS + 2
#: Colour jitter of detector training frames (no crop jitter: the frame is the crop).
FRAME_AUGMENT = AugmentConfig(scale=(1.0, 1.0), rotation=0.0, shift=0.0, flip_prob=0.0)


@dataclass(frozen=True)
class Frame:
    """One image: its path and people ``[(alignment, box)]`` in image pixels."""

    path: str
    people: tuple


def load_frames(folder) -> list[Frame]:
    """The frames of a COCO person-keypoints folder (``annotations.json`` + images)."""
    ann_file, img_dir = resolve(folder)
    doc = read_json(ann_file, expect=dict)
    torso = torso_indices(COCO17.names)
    by_image: dict = {}
    for i, a in enumerate(doc.get("annotations", [])):
        if a.get("iscrowd"):
            continue
        try:
            box = tuple(float(v) for v in a["bbox"])
        except (KeyError, TypeError, ValueError):
            raise DataError(f"{ann_file}: annotations[{i}].bbox: expected [x, y, w, h]") from None
        al = a.get("alignment")
        if al is not None:
            al = G.Alignment(*(float(v) for v in al))
        elif a.get("keypoints"):
            kp = np.asarray(a["keypoints"], np.float64).reshape(-1, 3)
            if len(kp) == len(COCO17.names):
                al = G.alignment_from_keypoints(kp[:, :2], kp[:, 2] > 0, torso)
        if al is not None:
            by_image.setdefault(a["image_id"], []).append((al, box))
    return [
        Frame(str(Path(img_dir) / im["file_name"]), tuple(by_image.get(im["id"], ())))
        for im in doc.get("images", [])
    ]


def frame_people(frame: Frame, crop: G.Crop, input_size, flip: bool = False) -> list[Person]:
    """A frame's people in the input pixels of ``crop`` (an unrotated letterbox), mirrored with
    the input when ``flip``."""
    s = input_size[1] / crop.width
    w_in = input_size[1]
    out = []
    for al, (x, y, w, h) in frame.people:
        cx, cy = G.to_input(crop, input_size, [al.cx, al.cy])
        x0, y0 = G.to_input(crop, input_size, [x, y])
        bw, bh, r, angle = w * s, h * s, al.radius * s, al.angle
        if flip:
            cx, x0, angle = w_in - cx, w_in - (x0 + bw), -angle if abs(angle) != 180.0 else angle
        out.append(
            Person(G.Alignment(float(cx), float(cy), float(r), angle + 0.0), (x0, y0, bw, bh))
        )
    return out


class FramePipeline:
    """Frames -> ``(image (h, w, 3) float32 in [-1, 1], targets (Hg, Wg, 12))`` where the targets
    are the heatmap, the 9 geometry channels, the geometry's mask and the peaks
    (:meth:`~.codec.DetectionCodec.encode_targets`).
    Training mirrors half the frames and jitters their colours; unreadable images are skipped
    and counted."""

    def __init__(self, frames, codec: DetectionCodec, training: bool, seed: int = 0):
        self.frames, self.codec, self.training, self.seed = list(frames), codec, training, seed
        self.corrupt: set = set()

    def __len__(self):
        return len(self.frames)

    def prepare(self, index: int, epoch: int = 0):
        f = self.frames[index]
        size = self.codec.input_size
        img = read_image(f.path)
        if img is None:
            self.corrupt.add(f.path)
            return None
        crop = G.letterbox_crop(img.shape[:2], size)
        patch = G.warp(img, crop, size)
        rng = np.random.default_rng([self.seed, int(epoch), int(index)])
        flip = self.training and rng.random() < 0.5
        if flip:
            patch = np.ascontiguousarray(patch[:, ::-1])
        if self.training:
            patch = photometric(patch, rng, FRAME_AUGMENT)
        people = frame_people(f, crop, size, flip)
        heat, geo, mask, peaks = self.codec.encode_targets(people)
        targets = np.concatenate([heat[..., None], geo, mask[..., None], peaks[..., None]], -1)
        return G.normalize_input(patch), targets, crop, people

    def dataset(self, batch_size: int, epoch: int = 0):
        """A finite tf.data pass over the frames (shuffled when training)."""
        import tensorflow as tf

        order = np.arange(len(self))
        if self.training:
            np.random.default_rng([self.seed, epoch]).shuffle(order)
        h, w = self.codec.input_size
        gh, gw = self.codec.grid

        def gen():
            for i in order:
                item = self.prepare(int(i), epoch)
                if item is not None:
                    yield item[0], item[1]

        spec = (
            tf.TensorSpec((h, w, 3), tf.float32),
            tf.TensorSpec((gh, gw, TARGET_CHANNELS), tf.float32),
        )
        return tf.data.Dataset.from_generator(gen, output_signature=spec).batch(batch_size)
