"""Validate / bench / runner on a tiny exported model (64 px, width 0.35)."""

import json

import numpy as np
import pytest

from posenet_mobile.cli import main
from posenet_mobile.errors import ModelError
from posenet_mobile.harness.bench import bench
from posenet_mobile.harness.validate import validate
from posenet_mobile.runtime.runner import TFLiteRunner

from helpers import TINY, people, quiet


@pytest.fixture(scope="module")
def models(tiny_models):
    return tiny_models


def test_runner_decode_matches_the_keras_side_decode(models):
    from posenet_mobile.codec import SideRule, decode_outputs
    from posenet_mobile.schema import COCO17

    r = TFLiteRunner(models["int8"])
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    named = r.run_crop(img)
    assert set(named) == {"heatmaps", "offsets", "facing"}  # the quickstart preset decodes sides
    kp, sc = r.decode(named)
    kp2, sc2 = decode_outputs(
        named, r.codec, sides=SideRule.from_names(COCO17.names, COCO17.flip_index)
    )
    assert np.array_equal(kp, kp2) and np.array_equal(sc, sc2)
    frame = np.random.default_rng(1).integers(0, 256, (120, 90, 3), dtype=np.uint8)
    res = r.predict_frame(frame)
    assert res["keypoints"].shape == (17, 2) and np.all(np.isfinite(res["keypoints"]))


def test_flip_test_makes_the_runner_mirror_symmetric(models):
    """With the flip test the outputs on a crop's mirror image are the crop's outputs mirrored
    (the mean of both runs is symmetric by construction, exactly), so the runner must run the
    mirrored crop itself; without it a small trained model is not symmetric, so the check has
    teeth. Outputs, not decoded keypoints: decoding a barely trained model's maps meets exact
    ties, where the first maximum wins whichever way the crop faces."""
    from posenet_mobile.codec import mirror_outputs
    from posenet_mobile.schema import COCO17

    fi = COCO17.flip_index
    imgs = np.random.default_rng(7).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)
    diffs = {}
    for flip in (True, False):
        r = TFLiteRunner(models["int8"], flip_test=flip)
        for img in imgs:
            mirror = np.ascontiguousarray(img[:, ::-1])
            plain = r.with_flip(r.run_crop(img), img)
            back = mirror_outputs(r.with_flip(r.run_crop(mirror), mirror), fi, 64)
            assert set(back) == {"heatmaps", "offsets", "facing"}
            d = max(float(np.abs(back[k] - plain[k]).max()) for k in plain)
            diffs[flip] = max(diffs.get(flip, 0.0), d)
    assert diffs[True] < 1e-6 and diffs[False] > 0.01, diffs


def test_float32_tflite_matches_keras_within_1e_4(models):
    from posenet_mobile.compress.quantize import with_pixel_input
    from posenet_mobile.keras import keras

    model = with_pixel_input(keras.models.load_model(models["run"] / "model.keras", compile=False))
    img = np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    ko = model(img[None].astype(np.float32))
    to = TFLiteRunner(models["float32"]).run_crop(img)
    for name, k in zip(["heatmaps", "offsets", "facing"], ko, strict=True):
        assert np.max(np.abs(to[name] - np.asarray(k))) < 1e-4


def test_wrong_inputs_are_clear_errors(models, tmp_path):
    r = TFLiteRunner(models["int8"])
    with pytest.raises(ModelError, match="crop it first"):
        r.run_crop(np.zeros((32, 32, 3), np.uint8))
    with pytest.raises(ModelError, match="RGB image"):
        r.run_crop(np.zeros((64, 64), np.uint8))
    with pytest.raises(ModelError, match="uint8 RGB frame"):
        r.predict_frame(np.zeros((64, 64, 3), np.float32))
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(Exception, match="junk.tflite"):
        TFLiteRunner(junk)


def test_validate_reports_gates_and_writes_coco_results(models, tmp_path):
    from pycocotools.coco import COCO

    res = validate(
        models["int8"],
        models["val"],
        reference=models["run"],
        max_pck_drop=100,
        report=tmp_path / "r.json",
        predictions=tmp_path / "p.json",
        html=tmp_path / "r.html",
        kernel_max_pck_diff=100,
        progress=quiet,
    )
    assert res["passed"], res["failures"]
    n = people(models["val"])
    assert n >= 8 and res["metrics"]["count"] == n and "pck_drop_points" in res["reference"]
    k = res["kernels"]
    assert k["crops"] == n and k["outputs"]["heatmaps"]["max_lsb"] >= 0
    assert (tmp_path / "r.html").exists() and (tmp_path / "r_worst_cases.png").exists()
    gt = COCO(str(models["val"] / "annotations.json"))
    dt = gt.loadRes(str(tmp_path / "p.json"))
    assert len(dt.getAnnIds()) == n
    bad = validate(
        models["int8"], models["val"], reference=models["run"], max_pck_drop=-100, progress=quiet
    )
    assert not bad["passed"] and "below the reference" in bad["failures"][0]


def test_validate_scores_a_model_on_crops_by_another_rule(models, tmp_path):
    """``crop_rule="box"`` scores the (aligned) preset model on GT-box crops: each prediction is
    the runner's on the person's box, not on the labelled alignment."""
    from posenet_mobile.data.coco import load_coco, read_image
    from posenet_mobile.errors import ConfigError

    runner = TFLiteRunner(models["int8"])
    assert runner.meta.input.crop.method == "aligned"
    got = {}
    for rule in ("box", None):
        res = validate(
            models["int8"],
            models["val"],
            predictions=tmp_path / f"{rule}.json",
            kernel_max_pck_diff=100,
            limit=4,
            progress=quiet,
            crop_rule=rule,
        )
        assert res["crop_rule"] == (rule or "aligned") and res["metrics"]["count"] == 4
        rows = json.loads((tmp_path / f"{rule}.json").read_text())
        got[rule] = np.array([r["keypoints"] for r in rows]).reshape(4, -1, 3)[..., :2]
    data = load_coco(models["val"])
    on_box = np.stack(
        [
            runner.predict_frame(read_image(s.image_path), box=s.bbox)["keypoints"]
            for s in data.samples[:4]
        ]
    )
    np.testing.assert_allclose(got["box"], on_box, atol=0.01)
    assert np.abs(got[None] - on_box).max() > 1.0
    with pytest.raises(ConfigError, match="--crop-rule: expected one of box, aligned"):
        validate(models["int8"], models["val"], progress=quiet, crop_rule="circle")


def test_validate_cli_exit_codes(models, capsys):
    args = [
        "validate",
        "--model",
        str(models["int8"]),
        "--data",
        str(models["val"]),
        "--reference",
        str(models["float32"]),
        "--kernel-max-pck-diff",
        "100",
    ]
    assert main(args + ["--max-pck-drop", "-100"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("posenet-mobile validate: gate failed: PCK@0.2")
    assert main(args + ["--max-pck-drop", "100"]) == 0


def test_validate_and_predict_take_the_flip_test(models, tmp_path, capsys):
    """``--flip-test`` reaches the runner from both commands: validate's predictions are the
    flip-test runner's on the same crops, and differ from the plain ones; predict's too."""
    from posenet_mobile.data.coco import load_coco, read_image

    args = ["validate", "--model", str(models["float32"]), "--data", str(models["val"])]
    args += ["--limit", "3", "--kernel-max-pck-diff", "100", "--crop-rule", "box"]
    got = {}
    for flag in ([], ["--flip-test"]):
        path = tmp_path / f"v{len(flag)}.json"
        assert main(args + flag + ["--predictions", str(path)]) == 0
        out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert out["flip_test"] is bool(flag)
        rows = json.loads(path.read_text())
        got[bool(flag)] = np.array([r["keypoints"] for r in rows]).reshape(3, -1, 3)[..., :2]
    data = load_coco(models["val"])
    runner = TFLiteRunner(models["float32"], flip_test=True)
    frames = [read_image(s.image_path) for s in data.samples[:3]]
    on_box = [
        runner.predict_frame(f, box=s.bbox)["keypoints"] for f, s in zip(frames, data.samples)
    ]
    np.testing.assert_allclose(got[True], np.stack(on_box), atol=0.01)
    assert np.abs(got[True] - got[False]).max() > 0.5
    image = data.samples[0].image_path
    shown = {}
    for flag in ([], ["--flip-test"]):
        out = tmp_path / f"p{len(flag)}"
        assert (
            main(
                ["predict", "--model", str(models["float32"]), str(image), "--out", str(out)] + flag
            )
            == 0
        )
        shown[bool(flag)] = np.array(
            json.loads((out / "keypoints.json").read_text())[0]["keypoints"]
        )
    assert np.abs(shown[True] - shown[False]).max() > 0.5


def test_keras_evaluation_takes_the_flip_test(models):
    """The Keras float model with the flip test scores as its float32 file does with it (a
    ``--reference`` run folder is held to the same flip test), and not as it does without."""
    from posenet_mobile.runs import load_run

    res = validate(
        models["float32"],
        models["val"],
        reference=models["run"],
        flip_test=True,
        kernel_max_pck_diff=100,
        progress=quiet,
    )
    ref = res["reference"]
    assert abs(ref["pck_drop_points"]) < 1e-6 and abs(ref["ap_drop_points"]) < 1e-6, ref
    # not asserted: that these differ from one run's (a fresh tiny model can score 0 both ways)
    flipped = load_run(models["run"]).evaluate_float(flip_test=True)
    assert flipped["pck"] == pytest.approx(ref["metrics"]["pck"])


def test_foreign_model_fails_validate_clearly_but_benches(models, tmp_path, capsys):
    from posenet_mobile.export import tflite as T
    from posenet_mobile.keras import keras

    inp = keras.Input((32, 32, 3))
    foreign = tmp_path / "foreign.tflite"
    foreign.write_bytes(T.convert(keras.Model(inp, keras.layers.Conv2D(4, 3)(inp)), "float32"))
    assert main(["validate", "--model", str(foreign), "--data", str(models["val"])]) == 2
    assert "no posenet_mobile metadata" in capsys.readouterr().err
    from posenet_mobile.keras import tf

    conv = tf.lite.TFLiteConverter.from_keras_model(
        keras.Model(inp, keras.layers.Conv2D(4, 3)(inp))
    )
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = lambda: (
        [np.random.rand(1, 32, 32, 3).astype(np.float32)] for _ in range(4)
    )
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = conv.inference_output_type = tf.int8
    foreign_int8 = tmp_path / "foreign_int8.tflite"
    foreign_int8.write_bytes(conv.convert())
    res = bench(
        [foreign, models["int8"], foreign_int8, models["float32"]],
        threads=(1, 2),
        runs=6,
        warmup=1,
        report=tmp_path / "b.json",
    )
    assert [(r["ours"], r["threads"]) for r in res["results"][:4]] == [
        (False, 1),
        (False, 2),
        (True, 1),
        (True, 2),
    ]
    assert [r["input_dtype"] for r in res["results"][::2]] == [
        "float32",
        "uint8",
        "int8",
        "float32",
    ]
    assert all(r["median_ms"] > 0 and r["runs"] == 6 for r in res["results"])
    assert json.loads((tmp_path / "b.json").read_text())["results"][2]["macs"] > 0


def test_predict_images_folder_with_a_corrupt_file_and_video(models, tmp_path):
    import cv2

    from posenet_mobile.runtime.predict import predict

    src = tmp_path / "in"
    src.mkdir()
    imgs = sorted((models["val"] / "images").iterdir())[:2]
    for p in imgs:
        (src / p.name).write_bytes(p.read_bytes())
    (src / "broken.jpg").write_bytes(b"not a jpeg")
    (src / "notes.txt").write_text("hello")
    res = predict(models["int8"], src, tmp_path / "out", progress=quiet)
    assert res["images"] == 2 and res["skipped"] == 2 and res["mean_inference_ms"] > 0
    assert any("broken.jpg" in p for p in res["problems"])
    recs = json.loads((tmp_path / "out" / "keypoints.json").read_text())
    assert len(recs) == 2 and len(recs[0]["keypoints"]) == 51
    video = tmp_path / "clip.mp4"
    w = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 96))
    frame = cv2.imread(str(imgs[0]))
    for i in range(6):
        w.write(np.roll(frame, 2 * i, axis=1))
    w.release()
    res = predict(models["int8"], video, tmp_path / "vout", progress=quiet)
    assert res["videos"][0]["frames"] == 6
    doc = json.loads((tmp_path / "vout" / "clip.json").read_text())
    assert [f["frame"] for f in doc["frames"]] == list(range(6)) and (
        tmp_path / "vout" / "clip.mp4"
    ).exists()


def test_a_photo_is_searched_in_passes_each_cropped_from_the_last_pose(models):
    """predict_photo: the whole image first, then each next crop from the last pose as the video
    tracker takes it (the pose's box; for a model with aligned crops its alignment too); a lost
    pose ends the search with the last result."""
    import dataclasses

    from posenet_mobile import geometry as G
    from posenet_mobile.errors import ConfigError
    from posenet_mobile.runtime.predict import predict_photo
    from posenet_mobile.schema import COCO17, torso_indices

    kp = np.zeros((17, 2))
    kp[:] = [100, 60]
    kp[[5, 6]] = [[90, 80], [110, 80]]  # an upright person: shoulders above the hips
    kp[[11, 12]] = [[92, 130], [108, 130]]
    kp[[15, 16]] = [[92, 190], [108, 190]]

    class Recording:
        """The real runner's metadata; poses given, crops asked for recorded."""

        def __init__(self, scores, crop_method="box"):
            meta = TFLiteRunner(models["int8"]).meta
            crop = dataclasses.replace(
                meta.input.crop, extra={**meta.input.crop.extra, "method": crop_method}
            )
            self.meta = dataclasses.replace(meta, input=dataclasses.replace(meta.input, crop=crop))
            self.calls, self.scores = [], scores

        def predict_frame(self, frame, box=None, alignment=None):
            self.calls.append((box, alignment))
            return {"keypoints": kp.copy(), "scores": np.array(self.scores[len(self.calls) - 1])}

    img = np.zeros((200, 200, 3), np.uint8)
    boxed = Recording([np.full(17, 0.9)] * 3)
    assert predict_photo(boxed, img, 3)["passes"] == 3
    assert boxed.calls == [(None, None)] + [([90.0, 60.0, 20.0, 130.0], None)] * 2
    seen = Recording([np.full(17, 0.9)] * 3, "aligned")
    assert predict_photo(seen, img, 3)["passes"] == 3
    assert seen.calls[0] == (None, None)  # the whole image
    want = G.alignment_from_keypoints(kp, np.ones(17, bool), torso_indices(COCO17.names))
    for box, al in seen.calls[1:]:
        assert box == [90.0, 60.0, 20.0, 130.0]
        assert al.as_array().tolist() == pytest.approx(want.as_array().tolist())
    lost = Recording([np.zeros(17), np.full(17, 0.9)])
    res = predict_photo(lost, img, 3)
    assert res["passes"] == 1 and len(lost.calls) == 1 and res["scores"].max() == 0
    with pytest.raises(ConfigError, match="--passes"):
        predict_photo(seen, img, 0)
    real = TFLiteRunner(models["int8"])
    one = predict_photo(real, np.asarray(img), 1)
    assert one["passes"] == 1 and one["crop"] == real.crop_for(img.shape)

    # a detected person: the detection's alignment first, then crops from the last pose
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.runtime.pipeline import PosePipeline

    pipe = PosePipeline.__new__(PosePipeline)
    pipe.views = (
        False  # the passes alone; views: test_each_keypoint_comes_from_the_view_surest_of_it
    )
    det = Detection(0.8, G.Alignment(120.0, 110.0, 70.0, 20.0), (60.0, 40.0, 120.0, 150.0))
    for passes, lost_at in ((2, None), (3, 1)):
        scores = [np.full(17, 0.9)] * 3
        if lost_at is not None:
            scores = [np.full(17, 0.9), np.zeros(17), np.full(17, 0.9)]
        pipe.pose, pipe.aligned, pipe.passes = Recording(scores, "aligned"), True, passes
        res = pipe.pose_for(img, det)
        assert res["detection"] is det and pipe.pose.calls[0] == (None, det.alignment)
        assert res["passes"] == (passes if lost_at is None else 2)
        assert len(pipe.pose.calls) == res["passes"]
        al = pipe.pose.calls[1][1]
        assert al.as_array().tolist() == pytest.approx(want.as_array().tolist())
    pipe.pose = Recording([np.full(17, 0.9)] * 3, "aligned")
    assert pipe.pose_for(img, det, passes=1)["passes"] == 1 and len(pipe.pose.calls) == 1


def test_the_pose_model_checks_the_detectors_candidates(models):
    """rule pose_checked: the pipeline poses every detection down to CANDIDATE_THRESHOLD; a
    person is a candidate whose person_score (the detection's score times its pose's mean
    keypoint score to the pose weight) reaches the threshold, once: a pose whose hip centre lies
    within CENTRE_RADII of a better one's is the same person. The default rule is the detector's
    threshold alone."""
    from posenet_mobile import geometry as G
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.errors import ConfigError
    from posenet_mobile.runtime import pipeline as P

    assert P.person_score(0.5, np.full(17, 0.5), weight=2.0) == pytest.approx(0.125)
    assert P.person_score(0.5, np.full(17, 0.1), weight=0.0) == pytest.approx(0.5)

    def al(cx):
        return G.Alignment(cx, 100.0, 50.0, 0.0)

    cands = [
        {"score": 0.2, "alignment": al(100.0)},
        {"score": 0.5, "alignment": al(120.0)},  # the same person (0.4 radii), scored better
        {"score": 0.3, "alignment": al(200.0)},  # another person (1.6 radii off)
        {"score": 0.05, "alignment": al(400.0)},  # below the threshold
        {"score": 0.4, "alignment": None},  # no confident torso: kept, never merged
    ]
    assert [c["score"] for c in P.select_people(cands, 0.1)] == [0.5, 0.4, 0.3]
    assert [c["score"] for c in P.select_people(cands, 0.35)] == [0.5, 0.4]

    # the pipeline end to end on stand-ins: what it asks the detector, what it keeps
    kp = np.tile([[100.0, 60.0]], (17, 1))
    kp[[5, 6]] = [[90, 80], [110, 80]]
    kp[[11, 12]] = [[92, 130], [108, 130]]

    class Detector:
        threshold, asked = 0.3, []

        def detect(self, frame, threshold=None, max_people=10):
            self.asked.append(threshold)
            return [
                Detection(s, G.Alignment(100.0, 130.0, 70.0, 0.0), (60.0, 40.0, 80.0, 150.0))
                for s in (0.9, 0.6, 0.15)
            ]

    class Pose:
        meta = TFLiteRunner(models["int8"]).meta

        def __init__(self):
            self.n = 0

        def predict_frame(self, frame, box=None, alignment=None):
            self.n += 1
            sc = np.full(17, 0.9 if self.n < 3 else 0.5)
            return {"keypoints": kp + [300.0 * (self.n == 2), 0.0], "scores": sc}

    pipe = P.PosePipeline(Detector(), Pose(), rule="pose_checked", views=False)
    people = pipe(np.zeros((200, 400, 3), np.uint8))
    assert Detector.asked == [P.CANDIDATE_THRESHOLD]
    # the third pose is where the first is (one person) and scores 0.15 * 0.5 ** weight
    want = [P.person_score(0.9, np.full(17, 0.9)), P.person_score(0.6, np.full(17, 0.9))]
    assert [p["score"] for p in people] == pytest.approx(want)
    assert people[1]["alignment"].cx == pytest.approx(400.0)
    # the detector rule (the default): every detection at the detector's own threshold
    alone = P.PosePipeline(Detector(), Pose(), views=False)(np.zeros((200, 400, 3), np.uint8))
    assert P.PERSON_RULE == "detector" and Detector.asked[-1] is None and len(alone) == 3
    with pytest.raises(ConfigError, match="pipeline rule"):
        P.PosePipeline(Detector(), Pose(), rule="boxes")


def test_each_keypoint_comes_from_the_view_surest_of_it(models):
    """views (the default for an aligned model): each detection is posed in its own crop, the
    crop from that pose and its crop turned by each VIEW_TURNS angle either way, and each keypoint
    is kept from the view that scores it highest; views=False poses the detection's crop only."""
    from posenet_mobile import geometry as G
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.runtime import pipeline as P

    two = P.most_confident(
        [
            {"keypoints": np.zeros((3, 2)), "scores": np.array([0.9, 0.1, 0.5]), "crop": "first"},
            {"keypoints": np.ones((3, 2)), "scores": np.array([0.2, 0.8, 0.5])},
        ]
    )
    assert two["keypoints"][:, 0].tolist() == [0.0, 1.0, 0.0]  # a tie keeps the first
    assert two["scores"].tolist() == [0.9, 0.8, 0.5] and two["crop"] == "first"

    kp = np.tile([[100.0, 60.0]], (17, 1))
    kp[[5, 6]] = [[90, 80], [110, 80]]
    kp[[11, 12]] = [[92, 130], [108, 130]]

    class Detector:
        threshold = 0.3

        def detect(self, frame, threshold=None, max_people=10):
            return [Detection(0.9, G.Alignment(100.0, 130.0, 70.0, 0.0), (60.0, 40.0, 80.0, 150.0))]

    class Pose:
        meta = TFLiteRunner(models["int8"]).meta

        def __init__(self):
            self.angles = []

        def predict_frame(self, frame, box=None, alignment=None):
            n = len(self.angles)  # the view: the n-th crop is surest of keypoints k % 4 == n
            self.angles.append(alignment.angle)
            sc = np.where(np.arange(17) % 4 == n, 0.9, 0.5)
            return {"keypoints": kp + [10.0 * n, 0.0], "scores": sc, "crop": n}

    assert Pose.meta.input.crop.method == "aligned"
    pose = Pose()
    pipe = P.PosePipeline(Detector(), pose)
    (person,) = pipe(np.zeros((200, 400, 3), np.uint8))
    n = 2 + 2 * len(P.VIEW_TURNS)
    assert pipe.view_count == n == person["views_run"] == len(pose.angles) == 4
    turned = [s * t for t in P.VIEW_TURNS for s in (-1.0, 1.0)]
    assert pose.angles[0] == 0.0 and pose.angles[2:] == pytest.approx(turned)
    view = np.arange(17) % 4
    np.testing.assert_allclose(person["keypoints"], kp + np.stack([10.0 * view, 0 * view], 1))
    assert (person["scores"] == 0.9).all() and person["crop"] == 0  # the detection's crop
    one = Pose()
    (single,) = P.PosePipeline(Detector(), one, views=False)(np.zeros((200, 400, 3), np.uint8))
    assert one.angles == [0.0] and single["views_run"] == 1
    np.testing.assert_allclose(single["keypoints"], kp)


def test_one_euro_and_roi_tracker():
    from posenet_mobile.runtime.tracking import OneEuroFilter, RoiTracker

    f = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    assert f(np.array([0.0]), 0.0)[0] == 0.0
    y = f(np.array([10.0]), 1 / 30)[0]
    a = OneEuroFilter.alpha(1.0, 1 / 30)
    assert y == pytest.approx(10.0 * a) and 0 < y < 10  # smoothed towards the previous value
    fast = OneEuroFilter(min_cutoff=1.0, beta=10.0)
    fast(np.array([0.0]), 0.0)
    assert fast(np.array([10.0]), 1 / 30)[0] > y  # speed raises the cutoff: less lag
    t = RoiTracker(min_score=0.5, min_keypoints=2)
    kp = np.array([[10, 20, 0.9], [30, 60, 0.8], [500, 500, 0.1]])
    assert t.update(kp) == [10.0, 20.0, 20.0, 40.0]
    assert t.update(kp * [1, 1, 0]) is None
    assert t.alignment is None  # no torso given: boxes only


def test_the_tracker_follows_a_lying_person_with_a_turned_crop():
    """With the schema's torso the tracker keeps the pose's alignment; a model with aligned crops
    takes its next crop from it, so a lying person is seen upright."""
    from posenet_mobile import geometry as G
    from posenet_mobile.runtime.tracking import RoiTracker
    from posenet_mobile.schema import COCO17, torso_indices

    kp = np.zeros((17, 3))
    kp[:, 2] = 0.9
    kp[:, :2] = [200, 100]
    kp[[5, 6], :2] = [[100, 90], [100, 110]]  # shoulders left of the hips: lying on the side
    kp[[11, 12], :2] = [[150, 90], [150, 110]]
    kp[[15, 16], :2] = [[230, 95], [230, 105]]
    t = RoiTracker(0.5, 4, torso_indices(COCO17.names))
    t.update(kp)
    assert t.alignment.angle == pytest.approx(90.0) and (t.alignment.cx, t.alignment.cy) == (
        150,
        100,
    )
    crop = G.aligned_crop(t.alignment, (64, 64))
    up = G.to_input(crop, (64, 64), kp[:, :2])
    assert up[[5, 6], 1].mean() < up[[11, 12], 1].mean() < up[[15, 16], 1].mean()
    t.update(kp * [1, 1, 0])
    assert t.box is None and t.alignment is None


def test_compare_rows_differ_in_their_head_settings_only():
    from posenet_mobile.harness import compare
    from posenet_mobile.models.build import build_model, inference_model, output_names
    from posenet_mobile.models.profile import count_macs
    from posenet_mobile.train.config import load_config

    base = load_config("quickstart", TINY)
    cfgs = {row: compare.row_config(base, row) for row in compare.ROWS}
    assert list(cfgs) == [
        "heatmap",
        "integral",
        "direct",
        "regression",
        "simcc",
        "regression_sg",
        "regression_laplace",
        "heatmap_s8",
        "simcc_hm",
        "simcc_hm_sides",
    ]
    assert (
        len({json.dumps(compare.budget(c), sort_keys=True) for c in cfgs.values()}) == 1
    )  # one budget
    m = {row: c.model for row, c in cfgs.items()}
    # the preset's left/right options stay on the heatmap rows only
    assert m["heatmap"].facing_head and m["heatmap"].global_context and m["heatmap_s8"].facing_head
    assert not any(
        m[h].facing_head or m[h].global_context or m[h].facing_channels
        for h in ("integral", "direct", "regression")
    )
    assert m["simcc"].global_context and not m["simcc"].facing_head  # context feeds its trunk
    # the variants change one setting each, on their own rows
    assert (
        m["regression_sg"].regression_stop_gradient
        and m["regression_laplace"].coord_loss == "laplace"
    )
    assert not any(
        m[h].regression_stop_gradient or m[h].coord_loss != "l1" or m[h].heatmap_supervision
        for h in m
        if h not in compare.VARIANTS
    )
    assert m["simcc_hm"].heatmap_supervision and m["simcc_hm"].global_context
    # simcc_hm_sides: simcc_hm with the preset's facing output, exported for its side decoding
    sides = m["simcc_hm_sides"]
    assert sides.heatmap_supervision and sides.facing_head
    assert sides.facing_channels == m["heatmap"].facing_channels > 0
    assert m["heatmap_s8"].output_stride == 8 and m["heatmap"].output_stride == 4
    assert (
        cfgs["heatmap_s8"].codec.sigma == cfgs["heatmap"].codec.sigma / 2
    )  # the same width in input pixels
    # at inference the BlazePose regression network is the direct one: only the training signal differs
    graphs = {h: inference_model(build_model(m[h]), m[h].head) for h in m}
    size = {h: (g.count_params(), count_macs(g)) for h, g in graphs.items()}
    for h in ("direct", "regression_sg", "regression_laplace"):
        assert size[h] == size["regression"], h
    assert size["heatmap_s8"][1] < size["heatmap"][1]  # no stride-4 stage
    # simcc_hm trains a heatmap branch at stride 4 beside the head; its export is plain simcc
    assert size["simcc_hm"] == size["simcc"]
    assert output_names(graphs["simcc_hm_sides"]) == ["simcc_x", "simcc_y", "facing"]
    trained = output_names(build_model(m["simcc_hm"]))
    assert trained[:4] == ["simcc_x", "simcc_y", "heatmaps", "offsets"]
    assert build_model(m["simcc_hm"]).get_layer("heatmaps").output.shape[1:3] == (16, 16)


@pytest.mark.slow
def test_compare_heads_tiny_budget(tmp_path, models, monkeypatch):
    from posenet_mobile.errors import ConfigError
    from posenet_mobile.harness import compare

    over = [o for o in TINY if not o.startswith("compress")]
    heads = (
        "heatmap",
        "simcc",
        "regression_sg",
    )  # a head of each kind and a variant: the others' settings are above
    doc = compare.compare_heads(
        "quickstart",
        models["root"] / "train",
        models["val"],
        tmp_path / "cmp",
        over,
        heads=heads,
        bench_runs=3,
        bench_rounds=3,
        real_data=models["val"],
        progress=quiet,
    )
    rows = {r["head"]: r for r in doc["rows"]}
    assert list(rows) == list(heads)
    # latency: the median of three interleaved rounds, and the speed-up the median of their ratios
    for r in rows.values():
        assert len(r["int8_ms_1t_rounds"]) == len(r["speedup_vs_heatmap_1t_rounds"]) == 3
        assert r["int8_ms_1t"] == pytest.approx(np.median(r["int8_ms_1t_rounds"]), abs=1e-3)
        ratios = np.array(rows["heatmap"]["int8_ms_1t_rounds"]) / np.array(r["int8_ms_1t_rounds"])
        assert r["speedup_vs_heatmap_1t"] == pytest.approx(np.median(ratios), abs=1e-3)
    assert rows["heatmap"]["speedup_vs_heatmap_1t_rounds"] == [1.0, 1.0, 1.0]
    model_cfgs = {
        h: json.loads((tmp_path / "cmp" / h / "config.json").read_text())["config"]["model"]
        for h in rows
    }
    assert (
        model_cfgs["heatmap"]["facing_head"] and not model_cfgs["simcc"]["facing_head"]
    )  # what each row trained
    assert (
        model_cfgs["regression_sg"]["regression_stop_gradient"] and rows["regression_sg"]["variant"]
    )
    assert all(
        r["epochs"] == 1 and r["int8_ms_1t"] > 0 and r["int8_bytes"] > 0 for r in rows.values()
    )
    assert (
        rows["heatmap"]["speedup_vs_heatmap_1t"] == 1.0
        and rows["heatmap"]["pck_vs_heatmap_points"] == 0.0
    )
    assert all(0 <= r["real_pck"] <= 1 and r["speedup_vs_heatmap_1t"] > 0 for r in rows.values())
    front = compare.pareto_front(doc["rows"], "int8_ms_1t")
    assert front and all(
        not (o["int8_ms_1t"] <= f["int8_ms_1t"] and o["int8_pck"] > f["int8_pck"])
        for f in front
        for o in doc["rows"]
    )
    assert (tmp_path / "cmp" / "heads.md").read_text().count("\n") == 2 + len(heads) and (
        tmp_path / "cmp" / "heads.png"
    ).exists()
    assert "real PCK@0.2" in (tmp_path / "cmp" / "heads.md").read_text()
    with pytest.raises(ConfigError, match="bench_rounds"):  # before anything trains
        compare.compare_heads(
            "quickstart", None, None, tmp_path / "y", over, bench_rounds=0, progress=quiet
        )
    assert not (tmp_path / "y").exists()
    monkeypatch.setattr(
        compare, "budget", lambda cfg: {"epochs": 2 if cfg.model.head == "direct" else 1}
    )
    with pytest.raises(ConfigError, match="direct row's training budget differs"):
        compare.compare_heads(
            "quickstart",
            models["root"] / "train",
            models["val"],
            tmp_path / "x",
            over,
            progress=quiet,
        )


def test_quant_debug_ranks_layers_and_keeps_the_worst_in_float(models, tmp_path):
    from posenet_mobile.harness.quant_debug import quant_debug

    res = quant_debug(
        models["run"], keep_float=2, out=tmp_path / "qd", eval_limit=4, progress=quiet
    )
    scores = [r["rmse_over_scale"] for r in res["ranking"]]
    assert scores == sorted(scores, reverse=True) and len(res["keep_float"]) == 2
    v = res["variants"]
    assert v["full_int8"]["float_ops"] == [] and len(v["selective"]["float_ops"]) >= 2
    assert v["selective"]["median_ms_1t"] > 0 and "pck_gain_points" in res["trade"]
    # the pixel normalisation is folded as the exporter folds it where the file's input allows;
    # the debugger's files have kept a float input, and the result says why the op stayed
    from ai_edge_litert.interpreter import Interpreter

    inp = Interpreter(v["full_int8"]["file"]).get_input_details()[0]
    if inp["dtype"] == np.uint8:
        assert v["full_int8"]["normalize_op_kept"] is None
        assert inp["quantization"][0] == pytest.approx(1 / 127.5, rel=1e-3)
    else:
        assert "not uint8" in v["full_int8"]["normalize_op_kept"]


def test_whole_image_scores_split_the_gap_into_found_and_missed_people(models, tmp_path):
    """score_whole_images: a person no detection finds is all misses on the whole image; the
    people found are also scored both ways on their own, and the missed people's share of the
    labelled keypoints is reported, so the gap splits into what finding and cropping cost."""
    from posenet_mobile import geometry as G
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.harness.whole_image import score_whole_images

    from helpers import write_coco

    rng = np.random.default_rng(0)
    truth = []
    for _ in range(2):
        xy = np.stack([rng.uniform(70, 130, 17), rng.uniform(40, 160, 17)], 1)
        lo, hi = xy.min(0), xy.max(0)
        truth.append((np.concatenate([xy, np.full((17, 1), 2.0)], 1), [*lo, *(hi - lo)]))
    truth[1][0][12:, 2] = 0  # the second person: 12 labelled keypoints
    write_coco(tmp_path, truth, image_size=(200, 200))
    kps0, box0 = truth[0]
    torso = [5, 6, 11, 12]
    al0 = G.alignment_from_keypoints(kps0[:, :2], kps0[:, 2] > 0, torso)

    class Detector:  # finds the person of the first image only, with a box a little off
        threshold = 0.3

        def detect(self, frame, threshold=None, max_people=10):
            if frame[0, 0, 0] > 100:  # the second image (write_coco's grey levels)
                return []
            return [Detection(0.9, al0, (box0[0] + 2, box0[1] + 2, box0[2], box0[3]))]

    import dataclasses

    fixture_meta = TFLiteRunner(models["int8"]).meta
    inp = fixture_meta.input
    crop = dataclasses.replace(inp.crop, extra={**inp.crop.extra, "method": "box"})
    box_meta = dataclasses.replace(fixture_meta, input=dataclasses.replace(inp, crop=crop))

    class Pose:  # a box model, right on the labelled box; from any other crop, 0-7 far off
        meta = box_meta

        def predict_frame(self, frame, box=None, alignment=None):
            kps, lbox = truth[int(frame[0, 0, 0] > 100)]
            kp = kps[:, :2].copy()
            if not np.allclose(box, lbox):
                kp[:8] += 500.0
            return {"keypoints": kp, "scores": np.full(17, 0.9)}

    assert Pose.meta.input.crop.method == "box"
    got = score_whole_images(Detector(), Pose(), tmp_path)
    assert (got["people"], got["found"], got["detections"]) == (2, 1, 1)
    assert got["missed_keypoint_share"] == pytest.approx(12 / 29, abs=1e-4)
    assert got["found_people"]["labelled_crops_pck"] == pytest.approx(1.0)
    assert got["found_people"]["whole_image_pck"] == pytest.approx(9 / 17, abs=1e-4)
    assert got["whole_image"]["pck"] == pytest.approx(9 / 29, abs=1e-4)
    assert got["labelled_crops"]["pck"] == pytest.approx(1.0)
    # a box model's crop from the labels is its GT-box crop
    assert got["gt_box_crops"] == got["labelled_crops"]
    assert got["found_people"]["gt_box_crops_pck"] == pytest.approx(1.0)

    # an aligned model: the crop from the labels is the labelled keypoints' alignment, and the
    # GT-box crop (what a user handed a person box makes) is scored beside it on its own
    crop = dataclasses.replace(inp.crop, extra={**inp.crop.extra, "method": "aligned"})
    aligned_meta = dataclasses.replace(fixture_meta, input=dataclasses.replace(inp, crop=crop))

    class AlignedPose:  # right from any aligned crop; from a box crop, keypoints 0-5 far off
        meta = aligned_meta

        def predict_frame(self, frame, box=None, alignment=None):
            kp = truth[int(frame[0, 0, 0] > 100)][0][:, :2].copy()
            if alignment is None:
                assert box is not None
                kp[:6] += 500.0
            return {"keypoints": kp, "scores": np.full(17, 0.9)}

    got = score_whole_images(Detector(), AlignedPose(), tmp_path, views=False)
    assert got["crop_rule"] == "aligned"
    assert got["whole_image"]["pck"] == pytest.approx(17 / 29, abs=1e-4)
    assert got["labelled_crops"]["pck"] == pytest.approx(1.0)
    # person 0: 11 of 17 on the GT box; person 1: keypoints 6-11 of their 12 labelled ones
    assert got["gt_box_crops"]["pck"] == pytest.approx((11 + 6) / 29, abs=1e-4)
    assert got["found_people"]["gt_box_crops_pck"] == pytest.approx(11 / 17, abs=1e-4)


def test_whole_image_matching_uses_the_datasets_alignment_label(tmp_path):
    """A person whose hips and shoulders are not labelled has no alignment from the keypoints; a
    detection on their labelled hip centre (the synthetic ``alignment`` field, what the detector
    is taught by) finds them even when its box does not; a malformed label is a clear error."""
    import json

    from posenet_mobile import geometry as G
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.detect.codec import Detection
    from posenet_mobile.errors import DataError
    from posenet_mobile.harness.whole_image import matched_people

    from helpers import write_coco

    kps = np.concatenate(
        [np.stack([np.linspace(80, 120, 17), np.linspace(30, 90, 17)], 1), np.full((17, 1), 2.0)], 1
    )
    kps[[5, 6, 11, 12], 2] = 0  # no labelled shoulder or hip
    path, coco = write_coco(tmp_path, [(kps, [80.0, 30.0, 40.0, 60.0])], image_size=(200, 200))
    hip = G.Alignment(100.0, 140.0, 70.0, 0.0)  # the body reaches below the frame
    far_box = (60.0, 100.0, 80.0, 100.0)  # IoU with the labelled box < 0.5

    def pipe(img):
        return [{"detection": Detection(0.9, hip, far_box)}]

    def found():
        rows = [r for _, rs, _ in matched_people(pipe, load_coco(tmp_path)) for r in rs]
        assert [r[1] for r in rows] == [None]  # no alignment from the keypoints
        return [r[2] is not None for r in rows]

    assert found() == [False]  # the box test alone
    coco["annotations"][0]["alignment"] = hip.as_array().tolist()
    json.dump(coco, open(path, "w"))
    assert load_coco(tmp_path).samples[0].alignment == (100.0, 140.0, 70.0, 0.0)
    assert found() == [True]
    coco["annotations"][0]["alignment"] = [100.0, 140.0, 0.0, 0.0]
    json.dump(coco, open(path, "w"))
    with pytest.raises(DataError, match=r"annotations\[0\].*alignment: expected"):
        load_coco(tmp_path)
