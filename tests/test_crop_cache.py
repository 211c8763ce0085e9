"""The crop-cache input pipeline: in-graph targets equal the NumPy ones, batches follow the NumPy
pipeline's draws, and ``data.crop_cache`` picks the pipeline as documented."""

import dataclasses
import shutil

import numpy as np
import pytest

from posenet_mobile.codec import HeatmapCodec
from posenet_mobile.data.augment import AugmentConfig
from posenet_mobile.data.coco import load_coco
from posenet_mobile.data.crop_cache import CropCache, cache_bytes, use_crop_cache
from posenet_mobile.data.pipeline import KeypointPipeline
from posenet_mobile.errors import ConfigError
from posenet_mobile.schema import COCO17, torso_indices
from posenet_mobile.simcc import SimCCCodec
from posenet_mobile.targets import pack_targets

from helpers import synthetic_split

ALL_OUTPUTS = (
    "heatmaps",
    "offsets",
    "coords",
    "coords_dist",
    "visibility",
    "facing",
    "simcc_x",
    "simcc_y",
)
HEATMAP_OUTPUTS = ("heatmaps", "offsets", "facing")


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    train, _ = synthetic_split(tmp_path_factory.mktemp("cc"), 12, n_val=1)
    return train


def _pipe(folder, augment=AugmentConfig(), names=HEATMAP_OUTPUTS, seed=3):
    return KeypointPipeline(
        load_coco(folder),
        HeatmapCodec((64, 64), 4),
        names,
        training=True,
        augment=augment,
        seed=seed,
    )


def test_graph_targets_equal_the_numpy_targets(rng):
    from posenet_mobile.data.graph_targets import encode_batch

    codec, simcc = HeatmapCodec((64, 48), 4), SimCCCodec((64, 48))
    k = COCO17.num_keypoints
    kp = rng.uniform(-10, 70, (6, k, 2))  # some points outside the input
    kp[0, 3] = np.nan  # unlabelled
    vis = rng.integers(0, 3, (6, k)).astype(np.float32)
    vis[1] = 2  # a person with every torso point, for the facing target
    torso = torso_indices(COCO17.names)
    want = pack_targets(codec, kp, vis, ALL_OUTPUTS, torso=torso, simcc=simcc)
    got = encode_batch(codec, kp.astype(np.float32), vis, ALL_OUTPUTS, torso=torso, simcc=simcc)
    assert set(got) == set(ALL_OUTPUTS)
    for name in ALL_OUTPUTS:
        assert got[name].shape == want[name].shape, name
        np.testing.assert_allclose(got[name].numpy(), want[name], atol=1e-4, err_msg=name)
    assert want["facing"][:, 0, 1].any() and want["heatmaps"].max() > 0.5  # not all zero


def test_cache_batches_follow_the_numpy_pipelines_draws(people):
    from posenet_mobile.keras import tf

    pipe = _pipe(people)
    cache = CropCache(pipe)
    p = cache.epoch_params(2)
    assert sorted(p["index"].tolist()) == list(range(len(pipe)))
    batch = {k: tf.constant(v[:6]) for k, v in p.items()}
    images, targets = cache.render(cache.images, batch)
    diffs = []
    for j, i in enumerate(p["index"][:6]):
        img, want, _, ok = pipe.prepare(int(i), 2)
        assert ok
        for name in HEATMAP_OUTPUTS:  # the same keypoints: the same targets
            np.testing.assert_allclose(targets[name].numpy()[j], want[name], atol=1e-4)
        diffs.append(np.abs(images.numpy()[j] - img).mean() * 127.5)
    # the same crop, colours and occluders, resampled once more (and noise drawn apart)
    assert np.median(diffs) < 6.0, diffs
    assert images.shape == (6, 64, 64, 3) and -1.0 <= images.numpy().min()


def _render_all(cache):
    from posenet_mobile.keras import tf

    p = cache.epoch_params(0)
    images, _ = cache.render(cache.images, {k: tf.constant(v) for k, v in p.items()})
    return p["index"], images.numpy()


def test_cache_pixels_are_the_direct_warps_pixels(people):
    still = AugmentConfig(
        scale=(1.0, 1.0), rotation=0.0, shift=0.0, flip_prob=0.0, brightness=0, contrast=0,
        saturation=0, blur_prob=0, occlusion_prob=0,
    )  # fmt: skip
    # context 1.5 puts the crop 16 cache pixels in: the cache resamples at whole pixels, so the
    # pixels are the direct warp's exactly (a half-pixel or axis slip would show here)
    pipe = _pipe(people, still)
    for i, img in zip(*_render_all(CropCache(pipe, context=1.5))):
        want, _, _, _ = pipe.prepare(int(i), 0)
        assert np.abs(img - want).max() * 127.5 < 1.01

    # rotated, scaled and mirrored crops: the image moves with the keypoints (a wrong sense of
    # rotation or flip would leave most pixels far apart); the rest is the second resampling
    turned = dataclasses.replace(
        still, scale=(0.9, 1.0), rotation=20.0, rotation_prob=1.0, flip_prob=0.5
    )
    pipe = _pipe(people, turned)
    for i, img in zip(*_render_all(CropCache(pipe))):
        want, _, crop, _ = pipe.prepare(int(i), 0)
        assert np.abs(img - want).mean() * 127.5 < 8.0, crop


def test_dataset_batches_and_epochs_are_reproducible(people):
    pipe = _pipe(people)
    a = [x.numpy() for x, _ in CropCache(pipe).dataset(4, epochs=[0, 1])]
    b = [x.numpy() for x, _ in CropCache(pipe).dataset(4, epochs=[0, 1])]
    assert len(a) == (2 * len(pipe)) // 4  # the remainder is dropped, as in the NumPy pipeline
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], a[len(a) // 2])  # another epoch, other draws


def test_an_unreadable_image_is_skipped_and_counted(people, tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(people, folder)
    victim = sorted((folder / "images").iterdir())[0]
    victim.write_bytes(b"not an image")
    pipe = _pipe(folder)
    cache = CropCache(pipe)
    assert pipe.corrupt == 1 and 0 < len(cache) < len(pipe)
    assert set(cache.epoch_params(0)["index"]) == set(np.flatnonzero(cache.ok))


def test_crop_cache_modes():
    plain, bad = AugmentConfig(), AugmentConfig(randconv_prob=0.5)
    args = (100, (64, 64), 1.6)
    assert use_crop_cache("auto", True, plain, *args)[0]
    assert not use_crop_cache("auto", False, plain, *args)[0]  # a user's COCO folder
    assert not use_crop_cache("off", True, plain, *args)[0]
    assert use_crop_cache("on", False, plain, *args)[0]
    use, why = use_crop_cache("auto", True, bad, *args)
    assert not use and "augment.randconv_prob" in why
    with pytest.raises(ConfigError, match="augment.randconv_prob"):
        use_crop_cache("on", True, bad, *args)
    assert not use_crop_cache("auto", True, plain, 10**5, (256, 256), 1.6)[0]  # too large
    with pytest.raises(ConfigError, match="GiB"):
        use_crop_cache("on", True, plain, 10**5, (256, 256), 1.6)
    assert cache_bytes(2, (10, 20), 1.5) == 2 * 15 * 30 * 3
    with pytest.raises(ConfigError, match="augment.lowres_prob"):
        CropCache(dataclasses.replace(_pipe_stub(), augment=AugmentConfig(lowres_prob=0.2)))


def _pipe_stub():
    @dataclasses.dataclass
    class Stub:
        training: bool = True
        pixels: bool = False
        augment: AugmentConfig = AugmentConfig()

    return Stub()


def test_config_reads_on_and_off():
    from posenet_mobile.train.config import load_config

    assert load_config("quickstart", ["data.crop_cache=on"]).data.crop_cache == "on"
    assert load_config("quickstart", ["data.crop_cache=off"]).data.crop_cache == "off"
    with pytest.raises(ConfigError, match="data.crop_cache"):
        load_config("quickstart", ["data.crop_cache=sometimes"])


def test_a_resized_cache_follows_the_resized_numpy_pipeline(people):
    from posenet_mobile.keras import tf

    pipe = _pipe(people)
    codec = HeatmapCodec((32, 32), 4)  # progressive resizing's smaller input
    small, cache = pipe.resized(codec), CropCache(pipe).resized(codec)
    assert pipe.codec.input_size == (64, 64)  # the pipeline it came from is unchanged
    p = cache.epoch_params(1)
    images, targets = cache.render(cache.images, {k: tf.constant(v[:6]) for k, v in p.items()})
    assert images.shape == (6, 32, 32, 3) and targets["heatmaps"].shape == (6, 8, 8, 34)
    diffs = []
    for j, i in enumerate(p["index"][:6]):
        img, want, _, ok = small.prepare(int(i), 1)
        for name in HEATMAP_OUTPUTS:
            np.testing.assert_allclose(targets[name].numpy()[j], want[name], atol=1e-4)
        diffs.append(np.abs(images.numpy()[j] - img).mean() * 127.5)
    assert np.median(diffs) < 8.0, diffs
