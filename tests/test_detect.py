import numpy as np
import pytest

from posenet_mobile.detect.codec import GEOMETRY_CHANNELS, DetectionCodec, Person
from posenet_mobile.errors import ConfigError
from posenet_mobile.geometry import Alignment

CODEC = DetectionCodec((160, 160), stride=8)


def _people():
    return [
        Person(Alignment(40.3, 50.9, 30.0, 12.5), (20.0, 10.0, 45.0, 80.0)),
        Person(Alignment(120.0, 100.0, 18.0, -170.0), (100.0, 85.0, 35.0, 40.0)),
        Person(Alignment(100.2, 20.7, 9.0, 90.0), (95.0, 12.0, 14.0, 16.0)),
    ]


def test_perfect_targets_decode_to_the_same_people():
    heat, geo, mask = CODEC.encode(_people())
    assert heat.shape == (20, 20) and geo.shape == (20, 20, 9) and mask.sum() == 3
    found = CODEC.decode(heat, geo, threshold=0.3)
    assert len(found) == 3
    for d in found:
        p = min(_people(), key=lambda q: abs(q.alignment.cx - d.alignment.cx))
        np.testing.assert_allclose(
            d.alignment.as_array(), p.alignment.as_array(), atol=1e-4
        )  # float32 targets
        np.testing.assert_allclose(d.box, p.box, atol=1e-4)  # float32 targets
        assert 0.5 < d.score <= 1.0
    assert [d.score for d in found] == sorted((d.score for d in found), reverse=True)


def test_a_centre_between_two_cells_is_one_person_and_outside_ones_are_left_out():
    between = Person(Alignment(80.0, 84.0, 20.0, 0.0), (70.0, 60.0, 20.0, 50.0))  # on a cell edge
    outside = Person(Alignment(-4.0, 50.0, 20.0, 0.0), (-20.0, 30.0, 30.0, 50.0))
    heat, geo, mask = CODEC.encode([between, outside])
    assert mask.sum() == 1
    (d,) = CODEC.decode(heat, geo)
    np.testing.assert_allclose(
        d.alignment.as_array(), between.alignment.as_array(), atol=1e-4
    )  # float32 targets


def test_geometry_on_the_cells_about_a_peak_points_each_to_the_same_person():
    """geometry_cells 3: every taught cell reads out the same person, so a peak that lands one
    cell off still decodes them; a larger neighbour's cells never take a peak cell."""
    codec = DetectionCodec((160, 160), stride=8, geometry_cells=3)
    people = _people()
    heat, geo, mask, peaks = codec.encode_targets(people)
    assert peaks.sum() == 3 and (mask >= peaks).all() and mask.sum() > 3
    np.testing.assert_array_equal(codec.encode(people)[2], mask)
    big = people[0]
    u, v = big.alignment.cx / 8 - 0.5, big.alignment.cy / 8 - 0.5
    cu, cv = int(np.ceil(u - 0.5)), int(np.ceil(v - 0.5))
    assert mask[cv - 1 : cv + 2, cu - 1 : cu + 2].all()
    for dv, du in ((-1, -1), (0, 1), (1, 0)):
        spike = np.zeros((20, 20))
        spike[cv + dv, cu + du] = 0.9
        (d,) = codec.decode(spike, geo)
        np.testing.assert_allclose(d.alignment.as_array(), big.alignment.as_array(), atol=1e-4)
        np.testing.assert_allclose(d.box, big.box, atol=1e-4)
    # the peak-only codec teaches the peak cells alone, with the same values there
    h1, g1, m1 = DetectionCodec((160, 160), stride=8).encode(people)
    np.testing.assert_array_equal(m1, peaks)
    np.testing.assert_allclose(g1[peaks > 0], geo[peaks > 0])
    np.testing.assert_allclose(h1, heat)


def test_a_person_cut_by_the_edge_is_taught_within_reach():
    """reach: a hip centre just outside the input peaks at the nearest cell inside and decodes
    back outside; one further out than the reach, or any with reach 0, is left out."""
    near = Person(Alignment(-4.0, 50.0, 20.0, 10.0), (-20.0, 30.0, 30.0, 50.0))  # 0.2 radii out
    far = Person(Alignment(80.0, 176.0, 20.0, 0.0), (60.0, 130.0, 40.0, 30.0))  # 0.8 radii out
    codec = DetectionCodec((160, 160), stride=8, reach=0.5)
    heat, geo, mask, peaks = codec.encode_targets([near, far])
    assert peaks.sum() == 1 and peaks[6, 0] == 1 and heat[6, 0] == pytest.approx(1.0)
    (d,) = codec.decode(heat, geo)
    np.testing.assert_allclose(d.alignment.as_array(), near.alignment.as_array(), atol=1e-4)
    assert DetectionCodec((160, 160), stride=8).encode([near, far])[2].sum() == 0
    for bad in ({"reach": -1.0}, {"geometry_cells": 2}):
        with pytest.raises(ConfigError):
            DetectionCodec((160, 160), **bad)


def test_the_focal_loss_rewards_peaks_at_people_and_the_targets_name_it():
    """CenterNet's focal loss: lower for a prediction with the people's peaks than for one
    without, or with a peak where nobody is; the training targets carry the peaks it needs."""
    from posenet_mobile.detect.data import TARGET_CHANNELS
    from posenet_mobile.detect.model import DetectorTargets, detector_loss

    targets = DetectorTargets()
    codec = targets.codec((160, 160))
    heat, geo, mask, peaks = codec.encode_targets(_people())
    y = np.concatenate([heat[..., None], geo, mask[..., None], peaks[..., None]], -1)[None]
    y = y.astype(np.float32)
    assert y.shape[-1] == TARGET_CHANNELS
    loss = targets.loss()

    def pred(h, g=geo):
        return np.concatenate([h[..., None], g], -1)[None].astype(np.float32)

    good = float(loss(y, pred(np.clip(heat, 0.01, 0.99))))
    blank = float(loss(y, pred(np.full_like(heat, 0.01))))
    wrong = float(loss(y, pred(np.clip(np.roll(heat, 7, axis=1), 0.01, 0.99))))
    assert good < blank and good < wrong
    geo_off = float(loss(y, pred(np.clip(heat, 0.01, 0.99), geo + 0.5)))
    # L1 summed over the geometry channels, averaged over the taught cells
    assert geo_off == pytest.approx(good + 0.5 * GEOMETRY_CHANNELS, rel=1e-4)
    with pytest.raises(ConfigError, match="heat_loss"):
        detector_loss("dice")
    with pytest.raises(ConfigError, match="heat_loss"):
        DetectorTargets(heat_loss="dice")
    with pytest.raises(ConfigError, match="reach"):
        DetectorTargets(reach=-0.5)
    # a run's record names the jitter it was taught with; one without jitter reads as before it
    # existed, so such records still match
    from posenet_mobile.detect.data import FrameJitter

    from posenet_mobile.detect.data import FRAME_JITTER as j

    assert DetectorTargets(jitter=j).settings()["jitter"] == {
        "zoom": list(j.zoom),
        "shift": j.shift,
    }
    assert "jitter" not in DetectorTargets(jitter=FrameJitter()).settings()


def test_threshold_and_the_most_people():
    heat, geo, _ = CODEC.encode(_people())
    assert len(CODEC.decode(heat, geo, max_people=2)) == 2
    assert CODEC.decode(heat * 0.2, geo, threshold=0.3) == []
    assert CODEC.decode(np.zeros((20, 20)), geo) == []


def test_the_grid_must_divide_the_input():
    with pytest.raises(ConfigError, match="divisible by stride"):
        DetectionCodec((100, 160), stride=8)


def test_frames_map_people_into_the_letterboxed_input_and_mirror_them():
    from posenet_mobile import geometry as G
    from posenet_mobile.detect.data import Frame, frame_people

    al = Alignment(100.0, 60.0, 40.0, 30.0)
    frame = Frame("unused.jpg", ((al, (70.0, 20.0, 60.0, 90.0)),))
    crop = G.letterbox_crop((200, 400), (160, 160))  # a wide frame: bars above and below
    (p,) = frame_people(frame, crop, (160, 160))
    s = 160 / 400
    assert (p.alignment.cx, p.alignment.cy) == pytest.approx((100 * s, 60 * s + 40))
    assert p.alignment.radius == pytest.approx(40 * s) and p.alignment.angle == 30.0
    assert p.box == pytest.approx((70 * s, 20 * s + 40, 60 * s, 90 * s))
    (m,) = frame_people(frame, crop, (160, 160), flip=True)
    assert m.alignment.cx == pytest.approx(160 - p.alignment.cx) and m.alignment.angle == -30.0
    assert m.box[0] == pytest.approx(160 - p.box[0] - p.box[2])


def test_jittered_frames_move_their_people_with_them(tmp_path):
    """A white person-box on black, through the training pipeline with frame jitter: in every
    draw, the box the targets say is the white area in the input (clipped where the zoom cuts
    it), the hip centre sits where the image put it, and the draws do move and zoom the frame."""
    import cv2

    from posenet_mobile.detect.data import Frame, FrameJitter, FramePipeline
    from posenet_mobile.errors import ConfigError

    img = np.zeros((120, 200, 3), np.uint8)  # wide: letterboxed with bars
    img[30:90, 70:100] = 255
    img[58:62, 83:87] = 0  # a dark dot at the hip centre
    cv2.imwrite(str(tmp_path / "f.png"), img)
    frame = Frame(str(tmp_path / "f.png"), ((Alignment(85.0, 60.0, 35.0, 0.0), (70, 30, 30, 60)),))
    jitter = FrameJitter((0.5, 1.6), 0.25)
    pipe = FramePipeline([frame], CODEC, training=True, seed=3, jitter=jitter)
    crops, clipped, dropped, centres = set(), 0, 0, 0
    for epoch in range(40):
        x, _, crop, people = pipe.prepare(0, epoch)
        crops.add((round(crop.width, 3), round(crop.cx, 3)))
        grey = x.mean(-1)
        white = grey > 0.5 * (grey.max() + grey.min())
        if not people:  # the frame moved the person out of the input
            dropped += 1
            assert white.sum() < 4
            continue
        (p,) = people
        ys, xs = np.nonzero(white)
        bx, by, bw, bh = p.box
        assert (xs.min(), ys.min()) == pytest.approx((bx, by), abs=1.5)
        assert (xs.max() + 1, ys.max() + 1) == pytest.approx((bx + bw, by + bh), abs=1.5)
        clipped += bx == 0 or by == 0 or bx + bw == 160 or by + bh == 160
        u, v = int(p.alignment.cx), int(p.alignment.cy)
        # inside the box the only dark pixels are the dot's; their mean is the hip centre
        x0, y0, x1, y1 = int(bx) + 2, int(by) + 2, int(bx + bw) - 2, int(by + bh) - 2
        inner = grey[y0:y1, x0:x1]
        ys_d, xs_d = np.nonzero(inner < 0.5 * (grey[white].mean() + grey.min()))
        if len(xs_d) and x0 + 1 < u < x1 - 2 and y0 + 1 < v < y1 - 2:
            mean = (xs_d.mean() + x0 + 0.5, ys_d.mean() + y0 + 0.5)
            assert mean == pytest.approx((p.alignment.cx, p.alignment.cy), abs=1.0)
            centres += 1
    assert len(crops) == 40 and clipped > 0 and centres > 20
    assert FrameJitter().active is False and jitter.active
    with pytest.raises(ConfigError, match="zoom"):
        FrameJitter((1.2, 0.8))


@pytest.fixture(scope="module")
def tiny_detector(tmp_path_factory):
    """A tiny detector trained for a step and exported with threshold 0, so that even untrained
    it reports people (every local maximum) and the pipeline's every path runs."""
    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.detect.train import train_detector
    from posenet_mobile.export.detector import export_detector

    root = tmp_path_factory.mktemp("det")
    cfg = SynthConfig(image_size=96, max_people=2, purpose="detection")
    synthesize(root / "train", 8, seed=0, cfg=cfg, workers=1, progress=False)
    synthesize(root / "val", 4, seed=1, cfg=cfg, workers=1, progress=False)
    quiet = lambda *_: None  # noqa: E731
    metrics = train_detector(
        root / "train",
        root / "val",
        root / "run",
        input_size=(64, 64),
        epochs=1,
        progress=quiet,
        depth=0.25,
    )
    assert (root / "run" / "metrics.json").exists()
    assert metrics["frames"] == 4 and 0.0 <= metrics["ap50"] <= 1.0 and metrics["train_frames"] == 8
    out = root / "det.tflite"
    doc = export_detector(root / "run" / "detector.keras", root / "val", out, 0.0, 8, quiet)
    return out, doc, root


def test_the_detector_compresses_through_pruning_and_pqat_to_an_integer_file(
    tiny_detector, tmp_path
):
    """The pose chain's compression on the detector: pruned kernels stay zero through QAT, and
    the QAT model converts with its own ranges to an all-integer file that says how it was made."""
    from posenet_mobile.detect.compress import pqat_detector
    from posenet_mobile.export.detector import export_detector
    from posenet_mobile.runtime.detector import DetectorRunner

    root = tiny_detector[2]
    qat, report = pqat_detector(
        root / "run" / "detector.keras",
        root / "train",
        target_sparsity=0.5,
        prune_epochs=1,
        qat_epochs=1,
        batch_size=4,
        progress=lambda *_: None,
    )
    assert report["sparsity"]["prunable_sparsity"] == pytest.approx(0.5, abs=0.02)
    out = tmp_path / "dq.tflite"
    doc = export_detector(
        root / "run" / "detector.keras",
        root / "val",
        out,
        0.0,
        progress=lambda *_: None,
        qat=qat,
        compression=report,
    )
    assert doc["int8_audit"]["float_ops"] == [] and doc["quantization"]["method"] == "pqat"
    assert doc["quantization"]["compression"]["target_sparsity"] == 0.5
    assert tiny_detector[1]["quantization"]["method"] == "ptq"
    found = DetectorRunner(out).detect(np.zeros((90, 120, 3), np.uint8))
    assert len(found) >= 1 and all(0 <= d.score <= 1 for d in found)  # threshold 0: some peak


def test_the_exported_detector_carries_its_metadata_and_pose_files_refuse_its_role(
    tiny_detector, tiny_models
):
    from posenet_mobile.errors import ModelError
    from posenet_mobile.runtime.detector import DetectorRunner
    from posenet_mobile.runtime.runner import TFLiteRunner

    path, doc, _ = tiny_detector
    assert doc["kind"] == "person_detector" and doc["decode"]["method"] == "center_alignment"
    assert sorted(o["name"] for o in doc["outputs"]) == ["det_geometry", "det_heatmap"]
    assert doc["int8_audit"]["float_ops"] == [] and "ap50" in doc["validation"]
    found = DetectorRunner(path).detect(np.zeros((90, 120, 3), np.uint8))
    assert len(found) <= 10 and all(0 <= d.score <= 1 for d in found)
    with pytest.raises(ModelError, match="person detector; pass it as --detector"):
        TFLiteRunner(path)
    with pytest.raises(ModelError, match="not a posenet_mobile person detector"):
        DetectorRunner(tiny_models["int8"])


def test_predict_with_a_detector_poses_every_person_found(tiny_detector, tiny_models, tmp_path):
    import json

    import cv2

    from posenet_mobile.runtime.predict import predict

    src = tmp_path / "in"
    src.mkdir()
    img = cv2.imread(str(next((tiny_models["val"] / "images").iterdir())))
    cv2.imwrite(str(src / "a.jpg"), img)
    w = cv2.VideoWriter(str(src / "v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, img.shape[1::-1])
    for _ in range(3):
        w.write(img)
    w.release()
    res = predict(
        tiny_models["int8"],
        src,
        tmp_path / "out",
        progress=lambda *_: None,
        detector=tiny_detector[0],
    )
    assert res["images"] >= 1 and res["videos"][0]["frames"] == 3
    doc = json.loads((tmp_path / "out" / "a.json").read_text())
    assert doc["file_name"] == "a.jpg" and 1 <= len(doc["people"]) <= 10
    for p in doc["people"]:
        assert len(p["keypoints"]) == 17 * 3 and len(p["bbox"]) == 4 and len(p["alignment"]) == 4
    frames = json.loads((tmp_path / "out" / "v.json").read_text())["frames"]
    assert len(frames) == 3 and all(len(f["crop"]) == 6 for f in frames)


def test_a_detection_without_box_area_is_cropped_by_its_body_circle():
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.runtime.pipeline import person_box

    flat = Detection(0.9, Alignment(50.0, 40.0, 20.0, 0.0), (10.0, 40.0, 60.0, 0.0))
    assert person_box(flat) == (30.0, 20.0, 40.0, 40.0)
    ok = Detection(0.9, Alignment(50.0, 40.0, 20.0, 0.0), (10.0, 30.0, 60.0, 20.0))
    assert person_box(ok) == ok.box


def test_whole_image_people_are_found_by_a_detection_box_or_centre_once():
    """Whole-image scoring: a person is found by a detection whose box overlaps theirs (IoU >=
    0.5) or whose hip centre is within CENTRE_RADII body radii of theirs; the nearest centre wins;
    each detection finds one person."""
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.harness.whole_image import match_detections

    al = Alignment(100.0, 100.0, 40.0, 0.0)
    box = (70.0, 40.0, 60.0, 120.0)
    near_bad_box = Detection(0.5, Alignment(110.0, 95.0, 40.0, 0.0), (100.0, 90.0, 10.0, 10.0))
    nearer = Detection(0.4, Alignment(102.0, 100.0, 40.0, 0.0), (0.0, 0.0, 5.0, 5.0))
    far_good_box = Detection(0.9, Alignment(160.0, 100.0, 40.0, 0.0), box)
    elsewhere = Detection(0.9, Alignment(300.0, 300.0, 40.0, 0.0), (280.0, 250.0, 40.0, 90.0))
    assert match_detections([(box, al)], [elsewhere, near_bad_box, nearer]) == [2]
    assert match_detections([(box, al)], [elsewhere]) == [None]
    assert match_detections([(box, al)], [far_good_box]) == [0]  # by the box alone
    assert match_detections([(box, None)], [near_bad_box, far_good_box]) == [1]  # no alignment
    assert match_detections([(box, al), (box, al)], [nearer]) == [0, None]
    assert match_detections([(box, al)], []) == [None]
