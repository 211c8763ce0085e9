"""tf.data input pipeline: dataset directory -> ``(image, targets)`` batches for ``model.fit``.

Per sample (NumPy/OpenCV inside ``tf.numpy_function``, run in parallel by tf.data): read the
image, crop the person with :mod:`posenet_mobile.geometry` (jittered when training), augment the
pixels, normalise, and encode targets with the one codec packed by
:func:`posenet_mobile.targets.pack_targets`. Every sample's randomness comes from
``(seed, epoch, index)``, so an epoch is reproducible (and resumable) whatever the thread timing;
``deterministic=True`` also fixes the order of elements. A corrupt or unreadable image is skipped
and counted in :attr:`KeypointPipeline.corrupt`, never fatal; an image whose decoded size differs
from its JSON record is used, warned about and counted in :attr:`KeypointPipeline.size_mismatch`.
"""

from __future__ import annotations

import threading

import numpy as np

from .. import geometry as G
from ..codec import HeatmapCodec
from ..errors import ConfigError
from ..schema import torso_indices
from ..targets import pack_targets
from .augment import (
    NO_AUGMENT,
    AugmentConfig,
    crop_keypoints,
    lower_resolution,
    occlude,
    photometric,
    random_convolution,
    random_crop,
)
from .coco import CocoDataset, read_image


class KeypointPipeline:
    """Turns a :class:`~posenet_mobile.data.coco.CocoDataset` into model-ready samples.

    codec: the model's :class:`HeatmapCodec` (its ``input_size`` is the model input, (h, w)).
    simcc: the model's :class:`~posenet_mobile.simcc.SimCCCodec`, for a ``simcc`` head (its
        targets are packed with it, and evaluation decodes with it).
    output_names: the model's outputs, in order (targets are packed for these).
    training: jitter crops and pixels with ``augment``; evaluation uses plain padded crops.
    pixels: yield float32 RGB values in [0, 255] (for exported-graph models whose first layer
    normalises, see :func:`posenet_mobile.compress.quantize.with_pixel_input`) instead of the
    normalised [-1, 1] input of training models.
    crop_rule: ``box`` (the person box grown by ``padding``) or ``aligned`` (BlazePose: the body
    circle about the hip centre, turned upright, from the labelled keypoints; a person without a
    labelled shoulder or hip falls back to the box). Training jitters either crop with ``augment``.
    box_share: in training with ``aligned`` crops, the share of people cropped by their box
    instead, each person always the same way (drawn once from ``seed``).
    """

    def __init__(
        self,
        dataset: CocoDataset,
        codec: HeatmapCodec,
        output_names,
        training: bool,
        augment: AugmentConfig = AugmentConfig(),
        padding: float = 1.25,
        seed: int = 0,
        pixels: bool = False,
        simcc=None,
        crop_rule: str = "box",
        box_share: float = 0.0,
    ):
        self.data = dataset
        self.codec = codec
        self.simcc = simcc
        self.output_names = tuple(output_names)
        self.training = training
        self.augment = augment if training else NO_AUGMENT
        self.padding = padding
        if crop_rule not in G.CROP_RULES:
            raise ConfigError(f"crop_rule: expected one of {G.CROP_RULES}, got {crop_rule!r}")
        self.crop_rule = crop_rule
        self.seed = int(seed)
        if not 0.0 <= box_share <= 1.0:
            raise ConfigError(f"box_share: expected a share in [0, 1], got {box_share!r}")
        n = len(dataset.samples)
        by_box = np.random.default_rng([self.seed, 0xB0C5]).random(n) < box_share
        self._by_box = by_box if (training and crop_rule == "aligned") else np.zeros(n, bool)
        self.pixels = bool(pixels)
        self.flip_index = dataset.schema.flip_index
        self.torso = torso_indices(dataset.schema.names)
        self._lock = threading.Lock()
        self.corrupt_files: set = set()
        self.size_mismatch_files: set = set()
        self._shapes = self._target_shapes()

    def __len__(self):
        return len(self.data.samples)

    def resized(self, codec: HeatmapCodec) -> "KeypointPipeline":
        """This pipeline with another codec (another input size: progressive resizing): the same
        samples, crops, order and augmentation draws; its unreadable-image counts are this one's."""
        import copy

        other = copy.copy(self)
        other.codec = codec
        other._shapes = other._target_shapes()
        return other

    @property
    def corrupt(self) -> int:
        """Number of distinct unreadable image files met so far."""
        return len(self.corrupt_files)

    @property
    def size_mismatch(self) -> int:
        """Number of distinct images whose decoded size differs from their JSON ``width``/``height``."""
        return len(self.size_mismatch_files)

    def _size_mismatch(self, s, shape) -> None:
        """Count (and warn about the first few) images that decode to another size than recorded.
        The sample is still used: keypoints are in the pixels of the file as decoded."""
        with self._lock:
            if s.image_path in self.size_mismatch_files:
                return
            self.size_mismatch_files.add(s.image_path)
            n = len(self.size_mismatch_files)
        if n <= 3:
            import warnings

            from ..errors import PoseNetWarning

            more = " (further mismatches are counted, not shown)" if n == 3 else ""
            warnings.warn(
                f"{self.data.annotation_file}: images[id {s.image_id}] records "
                f"{s.image_size[1]}x{s.image_size[0]} but {s.image_path} decodes to {shape[1]}x{shape[0]}{more}",
                PoseNetWarning,
                stacklevel=2,
            )

    def crop_for(self, index: int, rng=None) -> G.Crop:
        s = self.data.samples[index]
        crop = G.person_crop(
            "box" if self._by_box[index] else self.crop_rule,
            s.bbox,
            s.keypoints,
            s.visibility > 0,
            self.torso,
            self.codec.input_size,
            self.padding,
        )
        return random_crop(crop, rng, self.augment) if (self.training and rng is not None) else crop

    def prepare(self, index: int, epoch: int = 0):
        """One sample as NumPy: ``(image (h, w, 3) float32, {name: packed target}, crop, ok)``.

        ``keypoints`` in the crop's input pixels are also returned in the targets dict under
        ``"_keypoints"`` and ``"_visibility"`` (for previews and tests; not fed to Keras).
        """
        s = self.data.samples[index]
        rng = np.random.default_rng([self.seed, int(epoch), int(index)])
        h, w = self.codec.input_size
        img = read_image(s.image_path)
        if img is None:
            with self._lock:
                self.corrupt_files.add(s.image_path)
            return np.zeros((h, w, 3), np.float32), None, None, False
        if img.shape[:2] != tuple(s.image_size):
            self._size_mismatch(s, img.shape[:2])
        crop = self.crop_for(index, rng)
        patch = G.warp(img, crop, self.codec.input_size)
        kp, vis = crop_keypoints(
            crop, self.codec.input_size, s.keypoints, s.visibility, self.flip_index
        )
        patch = lower_resolution(patch, rng, self.augment)
        patch = random_convolution(patch, rng, self.augment)
        patch = occlude(photometric(patch, rng, self.augment), rng, self.augment)
        targets = pack_targets(
            self.codec, kp[None], vis[None], self.output_names, torso=self.torso, simcc=self.simcc
        )
        targets = {k: v[0] for k, v in targets.items()}
        targets["_keypoints"], targets["_visibility"] = kp.astype(np.float32), vis
        image = patch.astype(np.float32) if self.pixels else G.normalize_input(patch)
        return image, targets, crop, True

    def _target_shapes(self):
        k = self.data.schema.num_keypoints
        hh, ww = self.codec.heatmap_size
        shapes = {
            "heatmaps": (hh, ww, 2 * k),
            "offsets": (hh, ww, 3 * k),
            "coords": (k, 3),
            "coords_dist": (k, 3),
            "visibility": (k, 2),
            "facing": (1, 2),
        }
        if self.simcc is not None:
            bx, by = self.simcc.bins
            shapes.update({"simcc_x": (k, bx + 1), "simcc_y": (k, by + 1)})
        return [shapes[n] for n in self.output_names]

    def _py(self, index, epoch):
        img, targets, crop, ok = self.prepare(int(index), int(epoch))
        shapes = self._shapes
        if not ok:
            return (
                [img, np.array(False)]
                + [np.zeros(sh, np.float32) for sh in shapes]
                + [np.zeros(7, np.float32)]
            )
        outs = [targets[n] for n in self.output_names]
        meta = np.append(crop.as_array(), index).astype(np.float32)
        return [img, np.array(True)] + outs + [meta]

    def order(self, epochs) -> np.ndarray:
        """``(E * N, 2)`` int64 ``(epoch, index)`` pairs: a seeded permutation per training epoch."""
        n = len(self)
        rows = []
        for e in epochs:
            idx = (
                np.random.default_rng([self.seed, int(e), 99]).permutation(n)
                if self.training
                else np.arange(n)
            )
            rows.append(np.stack([np.full(n, e), idx], axis=1))
        return np.concatenate(rows).astype(np.int64) if rows else np.zeros((0, 2), np.int64)

    def dataset(
        self,
        batch_size: int,
        epochs=(0,),
        deterministic: bool | None = None,
        num_parallel_calls=None,
        with_crops: bool = False,
    ):
        """A ``tf.data.Dataset`` of ``(image, {output name: target})`` batches over ``epochs``.

        Training batches drop the remainder. ``with_crops`` adds a third element ``(B, 7)``: the
        crop parameters (see :meth:`posenet_mobile.geometry.Crop.as_array`) then the sample index,
        for evaluation (do not pass that form to ``fit``, which would read it as sample weights).
        """
        from ..keras import tf

        h, w = self.codec.input_size
        shapes = self._shapes
        tout = [tf.float32, tf.bool] + [tf.float32] * len(shapes) + [tf.float32]
        det = (not self.training) if deterministic is None else deterministic
        names = self.output_names

        def load(pair):
            res = tf.numpy_function(self._py, [pair[1], pair[0]], tout, stateful=False)
            res[0].set_shape((h, w, 3))
            res[1].set_shape(())
            for t, sh in zip(res[2:-1], shapes):
                t.set_shape(sh)
            res[-1].set_shape((7,))
            return tuple(res)

        def structure(img, ok, *rest):
            targets = dict(zip(names, rest[:-1]))
            return (img, targets, rest[-1]) if with_crops else (img, targets)

        ds = tf.data.Dataset.from_tensor_slices(self.order(epochs))
        ds = ds.map(
            load, num_parallel_calls=num_parallel_calls or tf.data.AUTOTUNE, deterministic=det
        )
        ds = ds.filter(lambda img, ok, *rest: ok)
        ds = ds.map(structure)
        ds = ds.batch(batch_size, drop_remainder=self.training)
        return ds.prefetch(tf.data.AUTOTUNE)
