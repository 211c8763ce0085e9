"""Frames for the person detector: a COCO folder's images, letterboxed to the detector's square
input, with each person's alignment and box in input pixels (:class:`~.codec.Person`).

A person's alignment is the annotation's ``alignment`` field when it has one (the synthetic
frames: from all 17 keypoints, inside the frame or not), else it is computed from the labelled
keypoints (:func:`posenet_mobile.geometry.alignment_from_keypoints`); a person without a
labelled shoulder and hip, or with ``iscrowd``, is left out. Images without people are kept:
they teach the detector what is not a person.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .. import geometry as G
from ..data.augment import AugmentConfig, photometric
from ..data.coco import labelled_alignment, read_image, resolve
from ..errors import ConfigError, DataError
from ..io import read_json
from ..schema import COCO17, torso_indices
from .codec import GEOMETRY_CHANNELS, DetectionCodec, Person

#: Channels of the packed targets: heatmap, geometry, geometry mask, peaks.
TARGET_CHANNELS = 1 + GEOMETRY_CHANNELS + 2
#: Colour jitter of detector training frames (the frame's geometry is :class:`FrameJitter`'s).
FRAME_AUGMENT = AugmentConfig(scale=(1.0, 1.0), rotation=0.0, shift=0.0, flip_prob=0.0)


@dataclass(frozen=True)
class FrameJitter:
    """Geometric jitter of detector training frames. The letterboxed crop is scaled by a factor
    drawn log-uniformly from ``zoom`` (below 1 zooms in: the people grow and more of them are cut
    by the edges; above 1 zooms out: they shrink, with bars about the frame) and its centre moved
    by up to ``shift`` of its side along each axis. Each person's box is then clipped to the
    input, as the labels' boxes (the visible silhouette's) end at the frame's edge; a person whose
    box leaves the input is dropped. ``FrameJitter()`` leaves frames as they are."""

    zoom: tuple = (1.0, 1.0)
    shift: float = 0.0

    def __post_init__(self):
        try:
            lo, hi = (float(v) for v in self.zoom)
        except (TypeError, ValueError):
            raise ConfigError(
                f"frame jitter: zoom: expected [low, high], got {self.zoom!r}"
            ) from None
        if not 0 < lo <= hi:
            raise ConfigError(f"frame jitter: zoom: expected 0 < low <= high, got {self.zoom!r}")
        if not 0 <= self.shift < 1:
            raise ConfigError(f"frame jitter: shift: expected 0 <= shift < 1, got {self.shift!r}")
        object.__setattr__(self, "zoom", (lo, hi))

    @property
    def active(self) -> bool:
        return self.zoom != (1.0, 1.0) or self.shift > 0

    def crop(self, crop: G.Crop, rng: np.random.Generator) -> G.Crop:
        """``crop`` zoomed and moved by one draw from ``rng``."""
        z = float(np.exp(rng.uniform(np.log(self.zoom[0]), np.log(self.zoom[1]))))
        dx, dy = rng.uniform(-self.shift, self.shift, 2)
        return replace(
            crop,
            cx=crop.cx + dx * crop.width,
            cy=crop.cy + dy * crop.height,
            width=crop.width * z,
            height=crop.height * z,
        )


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
        al = labelled_alignment(a, f"{ann_file}: annotations[{i}]")
        if al is not None:
            al = G.Alignment(*al)
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


#: A measured frame jitter (``benchmarks/detector.py --zoom 0.75 1.33 --shift 0.1``): each
#: training frame zoomed by 0.75 to 1.33 and moved by up to a tenth of its side. It is not the
#: default (:class:`~.model.DetectorTargets` teaches without jitter): against no jitter, on
#: held-out frames of their own, it found about as many people at two budgets, one run each
#: (docs/alignment.md).
FRAME_JITTER = FrameJitter((0.75, 1.33), 0.1)


def clip_people(people, input_size) -> list[Person]:
    """``people`` with their boxes clipped to the input; those whose box leaves it are dropped."""
    h_in, w_in = input_size
    out = []
    for al, (x, y, w, h) in people:
        x0, y0 = max(x, 0.0), max(y, 0.0)
        x1, y1 = min(x + w, float(w_in)), min(y + h, float(h_in))
        if x1 > x0 and y1 > y0:
            out.append(Person(al, (x0, y0, x1 - x0, y1 - y0)))
    return out


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
    Training mirrors half the frames, jitters their colours and moves and zooms them
    (``jitter``, :class:`FrameJitter`); unreadable images are skipped and counted."""

    def __init__(
        self,
        frames,
        codec: DetectionCodec,
        training: bool,
        seed: int = 0,
        jitter: FrameJitter = FrameJitter(),
    ):
        self.frames, self.codec, self.training, self.seed = list(frames), codec, training, seed
        self.jitter = jitter
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
        jittered = self.training and self.jitter.active
        if jittered:  # a stream of its own: frames without jitter draw as they always did
            crop = self.jitter.crop(crop, np.random.default_rng([self.seed, epoch, index, 1]))
        patch = G.warp(img, crop, size)
        rng = np.random.default_rng([self.seed, int(epoch), int(index)])
        flip = self.training and rng.random() < 0.5
        if flip:
            patch = np.ascontiguousarray(patch[:, ::-1])
        if self.training:
            patch = photometric(patch, rng, FRAME_AUGMENT)
        people = frame_people(f, crop, size, flip)
        if jittered:
            people = clip_people(people, size)
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
