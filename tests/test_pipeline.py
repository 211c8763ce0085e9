import cv2
import numpy as np
import pytest

from helpers import person, write_coco
from posenet_mobile import geometry as G
from posenet_mobile.codec import HeatmapCodec
from posenet_mobile.data.augment import AugmentConfig, crop_keypoints, random_crop
from posenet_mobile.data.coco import load_coco
from posenet_mobile.data.pipeline import KeypointPipeline
from posenet_mobile.data.synthetic import SynthConfig, synthesize
from posenet_mobile.schema import COCO17

CODEC = HeatmapCodec((64, 64), stride=4)


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("synth")
    synthesize(d, 12, seed=1, cfg=SynthConfig(image_size=128), workers=1, progress=False)
    return d


def test_batches_have_the_model_shapes(synth_dir):
    ds = load_coco(synth_dir)
    names = ("heatmaps", "offsets", "coords", "visibility")
    pipe = KeypointPipeline(ds, CODEC, names, training=True, seed=0)
    img, t = next(iter(pipe.dataset(4)))
    assert (
        img.shape == (4, 64, 64, 3)
        and float(img.numpy().min()) >= -1
        and float(img.numpy().max()) <= 1
    )
    assert t["heatmaps"].shape == (4, 16, 16, 34) and t["offsets"].shape == (4, 16, 16, 51)
    assert t["coords"].shape == (4, 17, 3) and t["visibility"].shape == (4, 17, 2)


def test_deterministic_mode_repeats_and_epochs_differ(synth_dir):
    ds = load_coco(synth_dir)
    pipe = KeypointPipeline(ds, CODEC, ("heatmaps",), training=True, seed=5)
    a = [x.numpy() for x, _ in pipe.dataset(4, epochs=[0], deterministic=True)]
    b = [x.numpy() for x, _ in pipe.dataset(4, epochs=[0], deterministic=True)]
    c = [x.numpy() for x, _ in pipe.dataset(4, epochs=[1], deterministic=True)]
    assert len(a) == len(ds) // 4 >= 3 and all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])


def test_targets_decode_back_to_the_crop_keypoints(synth_dir):
    ds = load_coco(synth_dir)
    pipe = KeypointPipeline(ds, CODEC, ("heatmaps", "offsets"), training=True, seed=2)
    for i in range(len(ds)):
        _, t, crop, ok = pipe.prepare(i, epoch=3)
        w = t["heatmaps"][0, 0, 17:]
        hm, off = t["heatmaps"][None, ..., :17], t["offsets"][None, ..., :34]
        pred, _ = CODEC.decode(hm, off)
        err = np.linalg.norm(pred[0] - t["_keypoints"], axis=-1)[w > 0]
        assert err.size == 0 or err.max() < 1e-3
        # keypoints outside the crop get weight 0
        kp = t["_keypoints"]
        outside = (kp < 0).any(-1) | (kp >= 64).any(-1)
        assert np.all(w[outside] == 0)


def test_corrupt_image_is_skipped_and_counted(tmp_path, rng):
    write_coco(tmp_path, [person(rng) for _ in range(5)])
    (tmp_path / "images" / "0002.jpg").write_bytes(b"garbage")
    ds = load_coco(tmp_path)
    pipe = KeypointPipeline(ds, CODEC, ("heatmaps",), training=False)
    n = sum(int(x.shape[0]) for x, _ in pipe.dataset(2))
    assert (
        n == 4 and pipe.corrupt == 1 and str(tmp_path / "images" / "0002.jpg") in pipe.corrupt_files
    )


def test_augmentation_keeps_keypoints_on_the_same_body_part(rng):
    """Each keypoint carries a unique colour marker; after crop jitter, rotation and mirroring the
    marker under crop keypoint k is keypoint k's (mirrored: its flip partner's, whose channel k
    now is, since left and right swap)."""
    h, w = 240, 320
    img = np.zeros((h, w, 3), np.uint8)
    # markers on a grid so they do not overlap
    kp = np.array([[80 + 40 * (k % 5), 40 + 40 * (k // 5)] for k in range(17)], float) + 0.5
    colours = [(10 * k + 40, 255 - 10 * k, (37 * k) % 256) for k in range(17)]
    import cv2

    for k in range(17):
        cv2.circle(img, (int(kp[k, 0]), int(kp[k, 1])), 6, colours[k], -1)
    base = G.box_to_crop([60, 20, 200, 180], (128, 128))
    cfg = AugmentConfig(flip_prob=0.5, rotation_prob=1.0)
    flips = 0
    for trial in range(12):
        crop = random_crop(base, np.random.default_rng(trial), cfg)
        patch = G.warp(img, crop, (128, 128))
        ck, _ = crop_keypoints(crop, (128, 128), kp, np.full(17, 2), COCO17.flip_index)
        flips += crop.flip
        for k in range(17):
            x, y = ck[k]
            if not (2 <= x < 126 and 2 <= y < 126):
                continue
            src = COCO17.flip_index[k] if crop.flip else k
            got = patch[int(y), int(x)].astype(int)
            assert np.abs(got - np.array(colours[src])).max() <= 3, (trial, k, got, colours[src])
            # and the body part is the same: a "left_*" channel holds a left keypoint of the
            # mirrored person, whose marker is the original right one
            name = COCO17.names[k]
            src_name = COCO17.names[src]
            assert name.split("_")[-1] == src_name.split("_")[-1]
    assert 0 < flips < 12


def test_lower_resolution_removes_detail_and_is_off_by_default(rng):
    from posenet_mobile.data.augment import lower_resolution

    img = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)  # all detail, no structure
    off = np.random.default_rng(3)
    assert lower_resolution(img, off, AugmentConfig()) is img
    assert off.random() == np.random.default_rng(3).random()  # off draws nothing: streams hold
    cfg = AugmentConfig(lowres_prob=1.0, lowres_max=4.0)
    outs = [lower_resolution(img, np.random.default_rng(s), cfg) for s in range(8)]
    assert all(o.shape == img.shape and o.dtype == np.uint8 for o in outs)

    def detail(x):  # energy left after removing a 3x3 local mean
        x = x.astype(np.float32)
        return float(np.abs(x - cv2.blur(x, (3, 3))).mean())

    lost = [detail(o) / detail(img) for o in outs]  # the factor is drawn from [1, 4]
    assert max(lost) <= 1.0 and np.mean(lost) < 0.8, lost
    # a flat image has no detail to lose: both resizes keep the frame and the level
    flat = np.full((64, 64, 3), 90, np.uint8)
    assert np.array_equal(lower_resolution(flat, np.random.default_rng(1), cfg), flat)
    with pytest.raises(Exception, match="augment.lowres_max"):
        AugmentConfig(lowres_max=0.5)


def test_hue_and_grey_keep_brightness_and_are_off_by_default(rng):
    from posenet_mobile.data.augment import photometric

    img = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    only = dict(brightness=0.0, contrast=0.0, saturation=0.0, blur_prob=0.0)
    # the defaults leave hue and grey off and draw the same numbers as before they existed
    base = AugmentConfig(**only)
    assert base.hue == 0 and base.grayscale_prob == 0
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert photometric(img, a, base) is img and a.random() == b.random()
    # a hue turn changes colours, not a pixel's mean (its brightness) nor its spread from grey
    turned = photometric(img, np.random.default_rng(2), AugmentConfig(hue=0.5, **only))
    x, y = img.astype(np.float32), turned.astype(np.float32)
    inside = (img.min(-1) > 40) & (img.max(-1) < 215)  # away from the clip at 0 and 255
    assert np.abs(x.mean(-1) - y.mean(-1))[inside].max() <= 1.0
    spread = lambda v: np.linalg.norm(v - v.mean(-1, keepdims=True), axis=-1)  # noqa: E731
    assert np.abs(spread(x) - spread(y))[inside].max() <= 2.0
    assert np.abs(x - y)[inside].mean() > 10  # the colours did move
    grey = photometric(img, np.random.default_rng(2), AugmentConfig(grayscale_prob=1.0, **only))
    assert np.abs(grey.astype(int) - grey[..., :1].astype(int)).max() == 0
    assert np.abs(grey[..., 0].astype(np.float32) - x.mean(-1)).max() <= 1.0
    with pytest.raises(Exception, match="augment.hue"):
        AugmentConfig(hue=0.7)


def test_random_convolution_changes_texture_keeps_levels_and_is_off_by_default(rng):
    from posenet_mobile.data.augment import random_convolution

    yy, xx = np.mgrid[0:48, 0:48]
    img = np.stack([xx * 4, yy * 4, (xx + yy) * 2], -1).astype(np.uint8)  # smooth gradients
    img[16:32, 16:32] = (200, 40, 90)  # a square "person"
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    assert random_convolution(img, a, AugmentConfig()) is img and a.random() == b.random()
    cfg = AugmentConfig(randconv_prob=1.0)
    outs = [random_convolution(img, np.random.default_rng(s), cfg) for s in range(12)]
    assert all(o.shape == img.shape and o.dtype == np.uint8 for o in outs)
    moved = [np.abs(o.astype(int) - img).mean() for o in outs]
    assert np.median(moved) > 5, moved  # the pixels change
    # levels stay: each channel's mean within a few values of the input's (clipping aside)
    means = np.array([o.reshape(-1, 3).mean(0) for o in outs])
    assert np.median(np.abs(means - img.reshape(-1, 3).mean(0))) < 8
    # the square's outline stays where it was (the kernel is centred): the strongest change
    # along a row through it is still at its left edge, between columns 15 and 16
    at = [
        int(np.argmax(np.abs(np.diff(o[24, 8:24].astype(int), axis=0)).sum(-1))) + 8 for o in outs
    ]
    assert sum(14 <= c <= 16 for c in at) >= 9, at
    with pytest.raises(Exception, match="augment.randconv_prob"):
        AugmentConfig(randconv_prob=2.0)


def test_aligned_crops_show_every_person_upright(tmp_path):
    """data.crop_rule: aligned turns each evaluation crop with its person: whatever the roll,
    the shoulder centre lands straight above the hip centre."""
    d = tmp_path / "rolled"
    cfg = SynthConfig(image_size=128, full_roll_prob=1.0)  # every person at any roll
    synthesize(d, 10, seed=4, cfg=cfg, workers=1, progress=False)
    ds = load_coco(d)
    boxes = KeypointPipeline(ds, CODEC, ("heatmaps",), training=False)
    aligned = KeypointPipeline(ds, CODEC, ("heatmaps",), training=False, crop_rule="aligned")
    tilt = {"box": [], "aligned": []}
    for name, pipe in (("box", boxes), ("aligned", aligned)):
        for i in range(len(ds)):
            _, t, crop, ok = pipe.prepare(i)
            kp, vis = t["_keypoints"], t["_visibility"]
            if ok and (vis[[5, 6, 11, 12]] > 0).all():
                v = kp[[5, 6]].mean(0) - kp[[11, 12]].mean(0)
                tilt[name].append(abs(np.degrees(np.arctan2(v[0], -v[1]))))
    assert len(tilt["aligned"]) >= 5
    assert max(tilt["aligned"]) < 1e-6  # upright, to rounding
    assert max(tilt["box"]) > 30  # the same people in box crops are not
    with pytest.raises(Exception, match="crop_rule"):
        KeypointPipeline(ds, CODEC, ("heatmaps",), training=False, crop_rule="circle")


def test_a_share_of_training_people_is_cropped_by_the_box(synth_dir):
    """data.box_crop_share: in training with aligned crops, that share of the people is cropped
    by the box, each always the same way for a seed; evaluation keeps the rule."""
    from posenet_mobile.errors import ConfigError
    from posenet_mobile.schema import torso_indices
    from posenet_mobile.train.config import load_config

    ds = load_coco(synth_dir)
    torso = torso_indices(ds.schema.names)

    def rules(pipe):
        out = []
        for i, s in enumerate(ds.samples):
            vis = s.visibility > 0
            box = G.box_to_crop(s.bbox, CODEC.input_size, pipe.padding)
            al = G.person_crop("aligned", s.bbox, s.keypoints, vis, torso, CODEC.input_size, 1.25)
            if G.alignment_from_keypoints(s.keypoints, vis, torso) is None or al == box:
                continue  # no alignment: the box either way
            out.append("box" if pipe.crop_for(i) == box else "aligned")
        return out

    def make(training, share, seed=0):
        return KeypointPipeline(
            ds, CODEC, ("heatmaps",), training, crop_rule="aligned", box_share=share, seed=seed
        )

    half = rules(make(True, 0.5))
    assert len(half) >= 8 and "box" in half and "aligned" in half
    assert rules(make(True, 0.5)) == half  # fixed per person for the seed
    assert set(rules(make(True, 1.0))) == {"box"} and set(rules(make(True, 0.0))) == {"aligned"}
    assert set(rules(make(False, 1.0))) == {"aligned"}  # evaluation keeps the rule
    with pytest.raises(ConfigError, match="box_share"):
        make(True, 1.5)
    with pytest.raises(ConfigError, match="data.box_crop_share: 0.3 needs data.crop_rule"):
        load_config("quickstart", ["data.crop_rule=box", "data.box_crop_share=0.3"])
