"""The crop-cache input pipeline: every person's crop rendered once, then each training batch
warped, coloured, occluded and encoded in the TF graph.

The NumPy pipeline (:class:`~posenet_mobile.data.pipeline.KeypointPipeline`) reads, warps,
augments and encodes every sample in Python inside ``tf.numpy_function``; on a small CPU that
shares the cores with the model step and holds the GIL. Here:

* **Once, at start**: each person's crop (the pipeline's own crop rule, grown by ``context`` so
  jittered crops stay inside it) is warped from the image into a uint8 array held in memory.
* **Per epoch, in NumPy**: every sample's jittered crop
  and augmentation draws come from :meth:`KeypointPipeline.crop_for`, :func:`draw_photometric`
  and :func:`draw_occlusion` with the same per-sample generator ``(seed, epoch, index)`` as the
  NumPy path, so the keypoints and every draw are those the NumPy path would make. Geometry keeps
  its one definition (:mod:`posenet_mobile.geometry`): the graph only receives the affine.
* **Per batch, in the graph**: ``ImageProjectiveTransformV3`` resamples the cached crops through
  those affines, the colour map, contrast, brightness, blur and occluders are applied, and the
  targets are encoded from the keypoints (:mod:`posenet_mobile.data.graph_targets`).

What differs from the NumPy path: pixels are resampled twice (image to cache, cache to input), a
jittered crop that leaves the cached context is black there (as it is where a crop leaves the
image), and occluder noise comes from the graph's generator. ``lowres_prob`` and
``randconv_prob`` are not implemented here (:func:`unsupported`). Validation keeps the NumPy path.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import geometry as G
from ..errors import ConfigError
from .augment import crop_keypoints, draw_occlusion, draw_photometric
from .coco import read_image

#: Values of ``data.crop_cache``.
CROP_CACHE_MODES = ("auto", "on", "off")
#: The largest cache: the crops enter the input graph as one constant, and a graph's
#: serialised form (which tf.data makes when it distributes or rewrites a dataset) cannot hold
#: 2 GiB. ``auto`` falls back to the NumPy pipeline above it; ``on`` is refused.
MAX_BYTES = 1900 << 20
_OCCLUDERS = 2  # draw_occlusion draws at most two rectangles
_OCCLUDER_FIELDS = 9  # active, y0, x0, ph, pw, flat, r, g, b


def unsupported(augment) -> list:
    """The augmentation settings the crop-cache pipeline does not implement, by config field."""
    return [
        f"augment.{name}" for name in ("lowres_prob", "randconv_prob") if getattr(augment, name)
    ]


def cache_bytes(people: int, input_size, context: float) -> int:
    h, w = input_size
    return int(people) * round(h * context) * round(w * context) * 3


def use_crop_cache(mode: str, synthetic: bool, augment, people: int, input_size, context) -> tuple:
    """``(use it, why)`` for ``data.crop_cache`` ``mode``: ``on`` demands it (a ConfigError names
    what stands in the way), ``off`` never, ``auto`` for the embedded synthetic data when every
    augmentation is supported and the cache fits in :data:`MAX_BYTES`."""
    if mode not in CROP_CACHE_MODES:
        raise ConfigError(
            f"data.crop_cache: expected one of {list(CROP_CACHE_MODES)}, got {mode!r}"
        )
    if mode == "off":
        return False, "data.crop_cache is off"
    bad = unsupported(augment)
    if bad:
        if mode == "on":
            raise ConfigError(
                f"data.crop_cache: on, but the crop cache does not implement {', '.join(bad)}; "
                "set them to 0 or data.crop_cache to off"
            )
        return False, f"{', '.join(bad)} need the NumPy pipeline"
    size = cache_bytes(people, input_size, context)
    if size > MAX_BYTES:
        why = (
            f"the cache would take {size / 2**30:.1f} GiB for {people} people, over the "
            f"{MAX_BYTES / 2**30:.1f} GiB an input graph can hold"
        )
        if mode == "on":
            raise ConfigError(f"data.crop_cache: on, but {why}; set data.crop_cache to off")
        return False, why
    if mode == "on":
        return True, "data.crop_cache is on"
    if not synthetic:
        return False, "auto uses the crop cache for the embedded synthetic data only"
    return True, "embedded synthetic data"


def _tf_affine(a: np.ndarray) -> np.ndarray:
    """A ``(2, 3)`` affine from output to source in continuous pixels -> the 8 parameters of
    ``ImageProjectiveTransformV3``, which maps output pixel indices to source indices (pixel
    centres at integers where the continuous frame has them at ``i + 0.5``)."""
    full = np.vstack([a, [0.0, 0.0, 1.0]])
    half = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5], [0.0, 0.0, 1.0]])
    t = np.linalg.inv(half) @ full @ half
    return np.array([t[0, 0], t[0, 1], t[0, 2], t[1, 0], t[1, 1], t[1, 2], 0.0, 0.0])


class CropCache:
    """The crop-cache form of a training :class:`KeypointPipeline` (see the module docstring).

    context: the cached crop's size over the pipeline's crop (the margin jitter can reach).
    Unreadable images are counted in the pipeline's ``corrupt`` and left out, as there.
    """

    def __init__(self, pipe, context: float = 1.6, progress=None):
        if not pipe.training or pipe.pixels:
            raise ConfigError("crop cache: for training pipelines with normalised input only")
        bad = unsupported(pipe.augment)
        if bad:
            raise ConfigError(f"crop cache: {', '.join(bad)} are not implemented here")
        self.pipe = pipe
        self.context = float(context)
        h, w = pipe.codec.input_size
        self.size = (round(h * self.context), round(w * self.context))
        n = len(pipe)
        images = np.zeros((n,) + self.size + (3,), np.uint8)
        self.source = np.zeros((n, 2, 3), np.float64)  # image pixels -> cache pixels
        self.ok = np.zeros(n, bool)
        last_path, img = None, None
        for i, s in enumerate(pipe.data.samples):
            if s.image_path != last_path:
                last_path, img = s.image_path, read_image(s.image_path)
                if img is not None and img.shape[:2] != tuple(s.image_size):
                    pipe._size_mismatch(s, img.shape[:2])
            if img is None:
                with pipe._lock:
                    pipe.corrupt_files.add(s.image_path)
                continue
            base = pipe.crop_for(i)
            wide = replace(base, width=base.width * self.context, height=base.height * self.context)
            images[i] = G.warp(img, wide, self.size)
            self.source[i] = G.crop_matrix(wide, self.size)
            self.ok[i] = True
        if progress:
            progress(
                f"crop cache: {int(self.ok.sum())} crops of {self.size[1]}x{self.size[0]} "
                f"({images.nbytes / 2**20:.0f} MiB)"
            )
        from ..keras import tf

        #: ``(N, h, w, 3)`` uint8 crops as the one tensor every batch gathers from (the NumPy
        #: array they were written into is let go: the crops are held once)
        self.images = tf.constant(images)

    def __len__(self):
        return int(self.ok.sum())

    def resized(self, codec) -> "CropCache":
        """This cache feeding another input size (progressive resizing): the same cached crops,
        warped to ``codec.input_size`` with targets for it (:meth:`KeypointPipeline.resized`)."""
        import copy

        other = copy.copy(self)
        other.pipe = self.pipe.resized(codec)
        return other

    def epoch_params(self, epoch: int) -> dict:
        """Every kept sample of ``epoch``, in the pipeline's order: its index, the output-to-cache
        affine, keypoints and flags in input pixels, and the augmentation draws, as arrays."""
        pipe, aug = self.pipe, self.pipe.augment
        h, w = pipe.codec.input_size
        order = [int(i) for i in pipe.order([epoch])[:, 1] if self.ok[i]]
        n, k = len(order), pipe.data.schema.num_keypoints
        out = {
            "index": np.array(order, np.int32),
            "affine": np.zeros((n, 8), np.float32),
            "keypoints": np.zeros((n, k, 2), np.float32),
            "visibility": np.zeros((n, k), np.float32),
            "colour": np.tile(np.eye(3, dtype=np.float32), (n, 1, 1)),
            "photo": np.tile(np.array([1.0, 0.0, 0.0], np.float32), (n, 1)),
            "occluders": np.zeros((n, _OCCLUDERS, _OCCLUDER_FIELDS), np.float32),
            "seed": np.zeros((n, 2), np.int64),
        }
        for j, i in enumerate(order):
            s = pipe.data.samples[i]
            rng = np.random.default_rng([pipe.seed, int(epoch), i])  # as KeypointPipeline.prepare
            crop = pipe.crop_for(i, rng)
            kp, vis = crop_keypoints(crop, (h, w), s.keypoints, s.visibility, pipe.flip_index)
            photo = draw_photometric(rng, aug)
            rects = draw_occlusion(rng, aug, (h, w))
            to_cache = self.source[i] @ np.vstack(
                [G.invert(G.crop_matrix(crop, (h, w))), [0, 0, 1]]
            )
            out["affine"][j] = _tf_affine(to_cache)
            out["keypoints"][j], out["visibility"][j] = kp, vis
            if photo is not None:
                if photo.colour is not None:
                    out["colour"][j] = photo.colour
                out["photo"][j] = (photo.contrast, photo.brightness, photo.blur_sigma)
            for r, (rect, noise) in enumerate(rects):
                flat = rect.colour if noise is None else np.zeros(3)
                out["occluders"][j, r] = [
                    1.0, rect.y0, rect.x0, rect.ph, rect.pw, float(noise is None), *flat
                ]  # fmt: skip
            out["seed"][j] = (pipe.seed, int(epoch) * 1_000_003 + i)
        return out

    def dataset(self, batch_size: int, epochs=(0,)):
        """``(image, {output name: target})`` training batches over ``epochs``, as
        :meth:`KeypointPipeline.dataset` gives them (the remainder dropped)."""
        from ..keras import tf

        k = self.pipe.data.schema.num_keypoints
        spec = {
            "index": tf.TensorSpec((None,), tf.int32),
            "affine": tf.TensorSpec((None, 8), tf.float32),
            "keypoints": tf.TensorSpec((None, k, 2), tf.float32),
            "visibility": tf.TensorSpec((None, k), tf.float32),
            "colour": tf.TensorSpec((None, 3, 3), tf.float32),
            "photo": tf.TensorSpec((None, 3), tf.float32),
            "occluders": tf.TensorSpec((None, _OCCLUDERS, _OCCLUDER_FIELDS), tf.float32),
            "seed": tf.TensorSpec((None, 2), tf.int64),
        }
        epochs = list(epochs)

        def params():
            for e in epochs:
                yield self.epoch_params(e)

        images = self.images
        ds = tf.data.Dataset.from_generator(params, output_signature=spec).unbatch()
        ds = ds.batch(batch_size, drop_remainder=True)
        ds = ds.map(
            lambda p: self.render(images, p),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
        return ds.prefetch(tf.data.AUTOTUNE)

    def render(self, images, p):
        """One batch in the graph: ``p`` holds :meth:`epoch_params` rows; ``images`` the cache."""
        from ..keras import tf
        from .graph_targets import encode_batch

        pipe = self.pipe
        h, w = pipe.codec.input_size
        src = tf.cast(tf.gather(images, p["index"]), tf.float32)
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=src,
            transforms=p["affine"],
            output_shape=[h, w],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )
        x = tf.round(x)  # the NumPy path's warp gives uint8
        x = tf.einsum("bhwc,bdc->bhwd", x, p["colour"])
        contrast, brightness = (p["photo"][:, i, None, None, None] for i in range(2))
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = mean + (x - mean) * contrast + brightness
        sigma = p["photo"][:, 2]
        x = _on_rows(x, sigma > 0, lambda sub, i: _blur(sub, tf.gather(sigma, i)))
        x = tf.floor(tf.clip_by_value(x, 0.0, 255.0))  # as clip then astype(uint8)
        occ, seed = p["occluders"], p["seed"][0]
        x = _on_rows(
            x,
            tf.reduce_any(occ[:, :, 0] > 0, axis=1),
            lambda sub, i: _occlude(sub, tf.gather(occ, i), seed),
        )
        targets = encode_batch(
            pipe.codec,
            p["keypoints"],
            p["visibility"],
            pipe.output_names,
            torso=pipe.torso,
            simcc=pipe.simcc,
        )
        return (x - G.INPUT_MEAN) / G.INPUT_STD, targets


def _on_rows(x, rows, fn):
    """``x`` with ``fn(x[rows], indices)`` written back into the rows where ``rows (B,)`` holds:
    the per-image effects that few images of a batch draw run on those images only."""
    from ..keras import tf

    idx = tf.where(rows)[:, 0]

    def update():
        return tf.tensor_scatter_nd_update(x, idx[:, None], fn(tf.gather(x, idx), idx))

    return tf.cond(tf.size(idx) > 0, update, lambda: x)  # MirrorPad refuses an empty batch


def _blur(x, sigma):
    """A 5x5 Gaussian blur per image (``sigma (B,)``, positive), borders reflected, as
    ``cv2.GaussianBlur``'s default."""
    from ..keras import tf

    b = tf.shape(x)[0]
    r = tf.constant([-2.0, -1.0, 0.0, 1.0, 2.0])
    k = tf.exp(-(r[None, :] ** 2) / (2.0 * sigma[:, None] ** 2))
    k = k / tf.reduce_sum(k, axis=1, keepdims=True)  # (B, 5)
    k = tf.repeat(k, 3, axis=0)  # (B*3, 5): channel b*3 + c
    hh, ww = x.shape[1], x.shape[2]
    xt = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, hh, ww, b * 3])
    xt = tf.pad(xt, [[0, 0], [2, 2], [2, 2], [0, 0]], mode="REFLECT")
    kx = tf.transpose(k)[None, :, :, None]  # (1, 5, B*3, 1)
    ky = tf.transpose(k)[:, None, :, None]  # (5, 1, B*3, 1)
    xt = tf.nn.depthwise_conv2d(xt, kx, [1, 1, 1, 1], "VALID")
    xt = tf.nn.depthwise_conv2d(xt, ky, [1, 1, 1, 1], "VALID")
    return tf.transpose(tf.reshape(xt, [hh, ww, b, 3]), [2, 0, 1, 3])


def _occlude(x, occ, seed):
    """Paste the drawn rectangles: ``occ (B, 2, 9)`` rows ``[active, y0, x0, ph, pw, flat, r, g, b]``
    (colour in the last three); noise from a stateless generator seeded by ``seed``."""
    from ..keras import tf

    hh, ww = x.shape[1], x.shape[2]
    noise = tf.floor(tf.random.stateless_uniform(tf.shape(x), seed=seed, minval=0.0, maxval=256.0))
    yy = tf.range(hh, dtype=tf.float32)[None, :, None]
    xx = tf.range(ww, dtype=tf.float32)[None, None, :]
    for r in range(_OCCLUDERS):
        o = occ[:, r]
        col = lambda i: o[:, i, None, None]  # noqa: E731 - (B, 1, 1)
        inside = (
            (col(0) > 0)
            & (yy >= col(1))
            & (yy < col(1) + col(3))
            & (xx >= col(2))
            & (xx < col(2) + col(4))
        )
        flat = tf.broadcast_to(o[:, None, None, 6:9], tf.shape(x))
        fill = tf.where(col(5)[..., None] > 0, flat, noise)
        x = tf.where(inside[..., None], fill, x)
    return x


__all__ = ["CROP_CACHE_MODES", "CropCache", "unsupported", "use_crop_cache"]
