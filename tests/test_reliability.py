"""What docs/reliability.md promises: installs that carry the presets, loading that runs no code,
writes that never destroy earlier output, locks, strict configs, and one-line errors."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from posenet_mobile import cli
from posenet_mobile import io as pio
from posenet_mobile.errors import (
    BusyError,
    ConfigError,
    DataError,
    ModelError,
    OutputError,
    TrainError,
)
from posenet_mobile.train.config import ExperimentConfig, load_config

from helpers import PLAIN, TINY, person, quiet, write_coco

REPO = Path(__file__).resolve().parents[1]


# --- presets are package data ------------------------------------------------------------------


@pytest.mark.slow
def test_a_built_wheel_carries_the_presets_and_the_metadata_schema(tmp_path):
    """Build a wheel, install it (no deps) into a folder of its own, and resolve presets from it
    with the source tree out of reach: the bug was PRESET_DIR pointing beside the sources."""
    src = tmp_path / "src"
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for f in files:  # a copy: the build must not write build/ or egg-info into the checkout
        p = REPO / f
        if p.is_symlink() or not p.is_file():
            continue
        (src / f).parent.mkdir(parents=True, exist_ok=True)
        (src / f).write_bytes(p.read_bytes())
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(src),
        ],
        check=True,
        timeout=600,
    )
    wheel = next(wheels.glob("posenet_mobile-*.whl"))
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    code = textwrap.dedent("""
        import json, sys
        import posenet_mobile
        assert posenet_mobile.__file__.startswith(sys.argv[1]), posenet_mobile.__file__
        from posenet_mobile.train.config import load_config
        from posenet_mobile.cli import main
        cfg = load_config("quickstart")
        from posenet_mobile import metadata as M
        assert str(M.SCHEMA_FILE).startswith(sys.argv[1]) and M.schema()["required"], M.SCHEMA_FILE
        print(json.dumps({"name": cfg.name, "width": cfg.model.width}))
        main(["info"])
    """)
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    first, rest = out.stdout.split("\n", 1)
    assert json.loads(first)["name"] == "quickstart"
    assert {"quickstart", "mobile", "accurate"} <= set(json.loads(rest)["presets"])


def test_info_lists_presets_and_unknown_preset_names_them(capsys):
    assert cli.main(["info"]) == 0
    assert "quickstart" in json.loads(capsys.readouterr().out)["presets"]
    with pytest.raises(ConfigError, match=r"presets: \[.*quickstart"):
        load_config("quickstrat")


# --- safe loading --------------------------------------------------------------------------------


def _lambda_model(marker: Path):
    from posenet_mobile.keras import keras

    namespace = {}
    exec(
        f"payload = lambda x: (open({str(marker)!r}, 'w').close(), x)[1]", namespace
    )  # the code a file carries
    inp = keras.Input((4,))
    out = keras.layers.Lambda(namespace["payload"])(keras.layers.Dense(2)(inp))
    return keras.Model(inp, out)


def _run_folder(root: Path) -> Path:
    run = root / "run"
    run.mkdir(parents=True)
    pio.write_json_atomic(
        run / "config.json",
        {"fingerprint": "x", "config": ExperimentConfig().to_dict(), "data": {}},
    )
    return run


@pytest.mark.parametrize("fmt", ["keras_zip", "hdf5", "savedmodel"])
def test_a_lambda_payload_in_a_run_does_not_run(tmp_path, fmt, capsys):
    from posenet_mobile.models.saved import load_keras_model
    from posenet_mobile.runs import load_run

    marker = tmp_path / "payload_ran"
    model = _lambda_model(marker)
    run = _run_folder(tmp_path)
    path = run / "model.keras"  # every format under the name the package looks for
    if fmt == "keras_zip":
        model.save(str(path))
    elif fmt == "hdf5":
        model.save(str(tmp_path / "m.h5"))
        os.replace(tmp_path / "m.h5", path)
    else:
        model.save(str(tmp_path / "sm"), save_format="tf")
        os.replace(tmp_path / "sm", path)
    marker.unlink()  # building (and tracing) the model ran the payload, on purpose
    with pytest.raises(ModelError, match="model.keras"):
        load_run(run).load_float()
    with pytest.raises(ModelError, match="unsafe-load"):
        load_keras_model(path)
    for argv in (["export", "--run", str(run)], ["compress", "--run", str(run)]):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "model.keras" in err[0] and "Traceback" not in err[0]
    assert not marker.exists(), f"loading a {fmt} file ran its code"
    if fmt == "hdf5":  # the payload is real: the explicit opt-in runs it
        load_keras_model(path, unsafe=True)
        assert marker.exists()


def test_safe_loader_reads_our_own_models(tiny_models):
    from posenet_mobile.runs import load_run

    model = load_run(tiny_models["run"]).load_float()
    assert model.output_names


# --- transactional writes --------------------------------------------------------------------------


def test_commit_files_keeps_old_files_when_a_write_fails(tmp_path, monkeypatch):
    a, b = tmp_path / "m.tflite.json", tmp_path / "m.tflite"
    a.write_text("old sidecar")
    b.write_bytes(b"old model")

    def boom(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        pio.commit_files([(a, b"new sidecar"), (b, b"new model")])
    assert a.read_text() == "old sidecar" and b.read_bytes() == b"old model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite", "m.tflite.json"]


def test_commit_files_renames_the_model_last(tmp_path, monkeypatch):
    a, b = tmp_path / "m.tflite.json", tmp_path / "m.tflite"
    order = []
    real = os.replace
    monkeypatch.setattr(os, "replace", lambda s, d: (order.append(Path(d).name), real(s, d)))
    pio.commit_files([(a, b"sidecar"), (b, b"model")])
    assert order == ["m.tflite.json", "m.tflite"]


def test_sigterm_during_a_write_leaves_no_temp_file(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    code = textwrap.dedent(f"""
        import os, signal
        from posenet_mobile import cli, io
        signal.signal(signal.SIGTERM, cli._on_sigterm)
        os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGTERM)
        io.write_bytes_atomic({str(target)!r}, b"new")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 128 + signal.SIGTERM, out.stderr
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_sweep_removes_temp_files_of_dead_processes_only(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    stale = [tmp_path / f".x.tflite.tmp{pid}", tmp_path / f".model.tmp{pid}.keras"]
    for p in stale:
        p.write_bytes(b"half")
    (tmp_path / f".epoch_0003.tmp{pid}").mkdir()
    mine = pio.temp_path(tmp_path / "y.json")
    mine.write_text("{}")
    removed = pio.sweep_temps(tmp_path)
    assert len(removed) == 3 and mine.exists() and not any(p.exists() for p in stale)


def test_export_sidecar_records_the_model_hash_and_runner_warns_on_a_mismatch(
    tiny_models, tmp_path
):
    import hashlib
    import shutil

    from posenet_mobile.errors import PoseNetWarning
    from posenet_mobile.runtime.runner import TFLiteRunner

    src = tiny_models["int8"]
    side = json.loads(Path(str(src) + ".json").read_text())
    assert side["tflite_sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TFLiteRunner(src)  # its own sidecar: no warning
    m = tmp_path / "m.tflite"
    shutil.copy(tiny_models["float32"], m)
    shutil.copy(str(src) + ".json", str(m) + ".json")  # a sidecar of another file
    with pytest.warns(PoseNetWarning, match="sha256"):
        TFLiteRunner(m)


def test_a_failed_export_keeps_the_previous_files(tiny_models, tmp_path):
    import shutil

    from posenet_mobile.errors import ExportError
    from posenet_mobile.export.exporter import export_run

    out = tmp_path / "keep.tflite"
    shutil.copy(tiny_models["int8"], out)
    shutil.copy(str(tiny_models["int8"]) + ".json", str(out) + ".json")
    before = (out.read_bytes(), Path(str(out) + ".json").read_bytes())
    with pytest.raises(ExportError, match="nothing written"):
        export_run(
            tiny_models["run"],
            "int8",
            out,
            quantization="ptq",
            max_pck_drop=-100,
            eval_limit=4,
            progress=quiet,
        )
    assert (out.read_bytes(), Path(str(out) + ".json").read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tflite", "keep.tflite.json"]


# --- output paths are checked before work -----------------------------------------------------------


def test_output_checks_refuse_unwritable_paths(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        pio.check_output_dir(blocker / "sub" / "out", "--out")
    with pytest.raises(OutputError, match="not a folder"):
        pio.check_output_dir(blocker, "--out")
    with pytest.raises(OutputError, match="is a folder"):
        pio.check_output_file(tmp_path, "--report")
    assert pio.check_output_dir(tmp_path / "new" / "deep", "--out") == tmp_path / "new" / "deep"
    assert not (tmp_path / "new").exists()  # checking creates nothing


# --- config validation ------------------------------------------------------------------------------

BAD_VALUES = [
    ("codec.sigma=0", "codec.sigma"),
    ("data.crop_rule=circle", "data.crop_rule"),
    ("codec.simcc_beta=0", "codec.simcc_beta"),
    ("data.sigma=2", r"data.sigma: moved; set codec.sigma instead"),
    ("model.simcc_sigma=3", r"model.simcc_sigma: moved; set codec.simcc_sigma instead"),
    ("data.padding=-1", "data.padding"),
    ("train.learning_rate=-1", "train.learning_rate"),
    ("augment.flip_prob=5", "augment.flip_prob"),
    ("compress.target_sparsity=1.5", "compress.target_sparsity"),
    ("model.facing_head=nope", "model.facing_head"),
    ("train.epochs=-3", "train.epochs"),
    ("train.batch_size=0", "train.batch_size"),
    ("train.epochs=1.5", "train.epochs"),
    ("augment.scale=[1.2,0.8]", "augment.scale"),
    ("train.loss_weights.heatmap=1", "train.loss_weights.heatmap"),
    ("train.loss_weights.facing=-1", "train.loss_weights.facing"),
    ("train.loss_weights.simcc_x=-1", "train.loss_weights.simcc_x"),
    ("model.simcc_kernel=0", "model.simcc_kernel"),
    ("compress.prune_epochs=0", "compress.prune_epochs"),
    ("data.synthetic_val=0", "data.synthetic_val"),
    ("train.warmup_epochs=.nan", "train.warmup_epochs"),
    ("compress.max_pck_drop=200", "compress.max_pck_drop"),
    ("model.global_context=1", "model.global_context"),
    ("model.heatmap_supervision=true", "model.heatmap_supervision: a training-only heatmap"),
]


@pytest.mark.parametrize("override,key", BAD_VALUES)
def test_every_section_rejects_out_of_range_values_by_name(override, key):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config("quickstart", [override])


def test_a_run_written_with_the_old_setting_paths_loads_and_resumes(tmp_path):
    """Runs from before the codec section kept sigma and offset_radius under data and the simcc
    target settings under model: they load with those values, and resume as the same run."""
    from posenet_mobile.train.config import config_from_dict
    from posenet_mobile.train.run_dir import check_run_dir

    d = load_config("quickstart").to_dict()
    codec = d.pop("codec")
    d["data"].update(sigma=1.5, offset_radius=codec["offset_radius"])
    d["model"].update(simcc_sigma=3.0, simcc_beta=codec["simcc_beta"])
    cfg = config_from_dict(d)
    assert (cfg.codec.sigma, cfg.codec.simcc_sigma) == (1.5, 3.0)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"fingerprint": "older", "config": d}))
    (run / "state.json").write_text("{}")
    check_run_dir(run, cfg)  # the same run
    with pytest.raises(ConfigError, match=r"codec\.sigma: 1\.5 there, 2\.0 now"):
        check_run_dir(run, load_config("quickstart"))
    assert (run / "state.json").exists()


def test_a_nested_override_keeps_the_other_loss_weights():
    cfg = load_config("quickstart", ["train.loss_weights.facing=0"])
    assert cfg.train.loss_weights["facing"] == 0 and cfg.train.loss_weights["heatmaps"] == 1000.0


def test_train_cli_bad_value_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "--out", str(out), "--set", "train.batch_size=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.batch_size" in err[0]
    assert not out.exists()


# --- train produces a model or fails ---------------------------------------------------------------


@pytest.fixture(scope="module")
def coco_pair(tmp_path_factory):
    """A tiny hand-made COCO train/val pair (flat images, random people)."""
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("coco_pair")
    write_coco(root / "train", [person(rng) for _ in range(8)])
    write_coco(root / "val", [person(rng) for _ in range(4)])
    return root


def test_empty_validation_set_is_an_error_before_training(coco_pair, tmp_path):
    val = tmp_path / "val"
    write_coco(val, [])
    out = tmp_path / "run"
    with pytest.raises(DataError, match="no validation people"):
        train(out, coco_pair / "train", val)
    assert not (out / "config.json").exists()


def train(out, tr, va, *extra):
    from posenet_mobile.train.trainer import train as _train

    cfg = load_config("quickstart", TINY + ["train.steps_per_epoch=1", *extra])
    return _train(cfg, out, tr, va, verbose=0, progress=quiet)


@pytest.mark.slow
def test_train_without_a_scored_model_exits_non_zero(coco_pair, tmp_path, capsys):
    """Every validation image is unreadable: PCK is NaN, no model is kept, and train says so."""
    import shutil

    val = tmp_path / "val"
    shutil.copytree(coco_pair / "val", val)
    for img in (val / "images").iterdir():
        img.write_bytes(b"")  # 0-byte files: skipped and counted, never a model
    argv = [
        "train",
        "--out",
        str(tmp_path / "run"),
        "--train-data",
        str(coco_pair / "train"),
        "--val-data",
        str(val),
    ]
    for o in TINY + ["train.steps_per_epoch=1"] + PLAIN:
        argv += ["--set", o]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "no model was kept" in err[-1] and not (tmp_path / "run" / "model.keras").exists()


def test_require_model_and_divergence_messages(tmp_path):
    from posenet_mobile.train.run_dir import require_model

    require_model(tmp_path, {})  # nothing ran: nothing to require
    with pytest.raises(TrainError, match="never a finite number"):
        require_model(tmp_path, {"epoch": 2, "history": {"val_pck": [None, None]}})


def test_a_config_left_by_a_failed_start_does_not_block_the_next(tmp_path):
    from posenet_mobile.train.run_dir import check_run_dir

    out = tmp_path / "run"
    out.mkdir()
    old = load_config("quickstart", ["train.epochs=3"])
    pio.write_json_atomic(
        out / "config.json", {"fingerprint": old.fingerprint(), "config": old.to_dict()}
    )
    new = load_config("quickstart", ["train.epochs=4"])
    check_run_dir(out, new)  # no epoch was completed there: taken over
    assert not (out / "config.json").exists()
    pio.write_json_atomic(
        out / "config.json", {"fingerprint": old.fingerprint(), "config": old.to_dict()}
    )
    pio.write_json_atomic(out / "state.json", {"epoch": 1})
    with pytest.raises(ConfigError, match="different config"):
        check_run_dir(out, new)


# --- locks -------------------------------------------------------------------------------------------


def _hold_lock(folder: Path):
    code = (
        f"import sys, time\nfrom posenet_mobile.io import FolderLock\nwith FolderLock({str(folder)!r}):\n"
        "    print('held', flush=True)\n    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_on_a_run_folder_is_refused_with_the_holders_pid(tmp_path, coco_pair):
    run = tmp_path / "run"
    proc = _hold_lock(run)
    try:
        with pytest.raises(BusyError, match=f"PID {proc.pid}"):
            with pio.FolderLock(run):
                pass
        with pytest.raises(
            BusyError, match=f"PID {proc.pid}"
        ):  # train is refused at once, before any data work
            train(run, coco_pair / "train", coco_pair / "val")
        assert not (run / "config.json").exists()
    finally:
        proc.kill()
        proc.wait()
    with pio.FolderLock(run):  # the kernel released it with the holder
        with pio.FolderLock(run):  # re-entrant in one process
            pass


# --- predict never overwrites --------------------------------------------------------------------------


def test_output_stems_are_unique():
    from posenet_mobile.runtime.predict import output_stems

    files = [Path(n) for n in ("a.jpg", "a.png", "b.jpg", "keypoints.mp4", "c.JPG", "c_jpg.png")]
    stems = output_stems(files)
    assert stems[:4] == ["a_jpg", "a_png", "b", "keypoints_mp4"]
    assert len(set(stems)) == len(stems)


def test_predict_keeps_every_input_apart(tiny_models, tmp_path):
    import cv2

    from posenet_mobile.runtime.predict import predict

    src = tmp_path / "in"
    src.mkdir()
    img = cv2.imread(str(next((tiny_models["val"] / "images").iterdir())))
    cv2.imwrite(str(src / "a.jpg"), img)
    cv2.imwrite(str(src / "a.png"), np.ascontiguousarray(img[:, ::-1]))
    w = cv2.VideoWriter(
        str(src / "keypoints.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, img.shape[1::-1]
    )
    for _ in range(3):
        w.write(img)
    w.release()
    out = tmp_path / "out"
    res = predict(tiny_models["int8"], src, out, progress=quiet)
    assert res["images"] == 2 and res["videos"][0]["frames"] == 3
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "a_jpg.jpg",
        "a_jpg.json",
        "a_png.jpg",
        "a_png.json",
        "keypoints.json",
        "keypoints_mp4.json",
        "keypoints_mp4.mp4",
    ]
    # Each output comes from its own input: the drawn picture is that input under a skeleton (a
    # tiny model may give both images the same keypoints, so the pixels tell them apart), and the
    # keypoints are those of a run on that file alone.
    for name, own, other in (("a_jpg", "a.jpg", "a.png"), ("a_png", "a.png", "a.jpg")):
        drawn = cv2.imread(str(out / f"{name}.jpg")).astype(float)
        near = np.abs(drawn - cv2.imread(str(src / own))).mean()
        far = np.abs(drawn - cv2.imread(str(src / other))).mean()
        assert near < far, (name, near, far)
        alone = tmp_path / f"alone_{name}"
        predict(tiny_models["int8"], src / own, alone, progress=quiet)
        rec = json.loads((out / f"{name}.json").read_text())
        assert rec["file_name"] == own
        assert (
            rec["keypoints"]
            == json.loads((alone / f"{Path(own).stem}.json").read_text())["keypoints"]
        )
    assert len(json.loads((out / "keypoints.json").read_text())) == 2
    with pytest.raises(ConfigError, match="folder of the inputs"):
        predict(tiny_models["int8"], src, src, progress=quiet)


# --- the COCO reader: strict where broken, tolerant where unambiguous ---------------------------------


def _coco(tmp_path, rng, n=2, **edits):
    path, coco = write_coco(tmp_path / "ds", [person(rng) for _ in range(n)])
    for key, fn in edits.items():
        fn(coco)
    Path(path).write_text(json.dumps(coco))
    return tmp_path / "ds"


def test_duplicate_ids_are_errors(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco

    def dup_image(c):
        c["images"][1]["id"] = c["images"][0]["id"]

    with pytest.raises(DataError, match=r"images\[1\]\.id: 1 is also the id of images\[0\]"):
        load_coco(_coco(tmp_path / "a", rng, images=dup_image))

    def dup_ann(c):
        c["annotations"][1]["id"] = c["annotations"][0]["id"]

    with pytest.raises(DataError, match=r"annotations\[1\].*is also the id of annotations\[0\]"):
        load_coco(_coco(tmp_path / "b", rng, annotations=dup_ann))


def test_a_non_person_category_is_refused_by_name(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco

    def hand(c):
        c["categories"][0].update(name="hand", supercategory="hand")

    ds = _coco(tmp_path, rng, categories=hand)
    with pytest.raises(
        DataError, match=r"no 'person' category with keypoints \(found \['hand'\]\)"
    ):
        load_coco(ds)
    assert len(load_coco(ds, category_name=None)) == 2  # the library can opt in


def test_json_that_is_not_utf8_or_not_an_object_names_the_file(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco

    ds = _coco(tmp_path, rng)
    ann = ds / "annotations.json"
    ann.write_bytes(b'{"images": "\xff\xfe"}')
    with pytest.raises(DataError, match="annotations.json.*not UTF-8"):
        load_coco(ds)
    ann.write_text("[1, 2]")
    with pytest.raises(
        DataError, match="annotations.json.*JSON object at the top level, got an array"
    ):
        load_coco(ds)


def test_real_world_quirks_are_accepted_and_counted(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.errors import PoseNetWarning

    def quirks(c):
        cat = c["categories"][0]
        cat["skeleton"] = [
            [a - 1, b - 1] for a, b in cat["skeleton"]
        ]  # 0-based (Human3.6M, CrowdPose)
        cat["keypoints_21"] = cat["keypoints"] + ["a", "b", "c", "d"]  # HumanArt's extra block
        for a in c["annotations"]:
            a["keypoints_21"] = a["keypoints"] + [1.0, 1.0, 2] * 4
        kp = c["annotations"][0]["keypoints"]
        kp[0], kp[1] = -3.0, 5.0  # a labelled point just outside the image (PoseTrack)
        box = c["annotations"][1]["bbox"]
        box[2] = 128 - box[0] + 20  # a box reaching past the right edge

    with pytest.warns(PoseNetWarning, match="0-based"):
        ds = load_coco(_coco(tmp_path, rng, categories=quirks))
    assert len(ds) == 2 and (0, 1) in ds.schema.skeleton and (15, 13) in ds.schema.skeleton
    assert ds.adjusted["keypoints_outside_image"] == 1 and ds.adjusted["bbox_clipped"] == 1
    s = ds.samples[1]
    assert s.bbox[0] + s.bbox[2] <= 128
    assert ds.samples[0].keypoints[0, 0] == -3.0  # kept as labelled


def test_keypoints_in_an_extra_block_of_the_categorys_length(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco

    def humanart(c):  # the category lists 21 names; the 21-point array is the extra block
        cat = c["categories"][0]
        cat["keypoints"] = cat["keypoints"] + ["l_big_toe", "r_big_toe", "l_heel", "r_heel"]
        for a in c["annotations"]:
            a["keypoints_21"] = a["keypoints"] + [10.0, 10.0, 2] * 4

    ds = load_coco(_coco(tmp_path, rng, categories=humanart))
    assert ds.schema.num_keypoints == 21 and ds.adjusted["keypoints_from_extra_block"] == 2


def test_broken_records_still_fail_naming_record_and_field(tmp_path, rng):
    from posenet_mobile.data.coco import load_coco

    def flags(c):
        c["annotations"][1]["keypoints"][2] = 3

    with pytest.raises(DataError, match=r"annotations\[1\] \(id 2\)\.keypoints: visibility flags"):
        load_coco(_coco(tmp_path, rng, annotations=flags))


def test_image_size_mismatch_is_warned_and_counted(tmp_path, rng):
    from posenet_mobile.codec import HeatmapCodec
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.errors import PoseNetWarning

    def wrong_size(c):
        c["images"][0]["width"] = 300

    ds = load_coco(_coco(tmp_path, rng, images=wrong_size))
    pipe = KeypointPipeline(ds, HeatmapCodec((64, 64), 4), ("heatmaps",), training=False)
    with pytest.warns(PoseNetWarning, match="records 300x96 but .* decodes to 128x96"):
        pipe.prepare(0)
    pipe.prepare(1)
    assert pipe.size_mismatch == 1


def test_validate_counts_zero_byte_and_fake_images(tiny_models, tmp_path):
    import shutil

    from posenet_mobile.harness.validate import validate

    from posenet_mobile.data.coco import load_coco

    val = tmp_path / "val"
    shutil.copytree(tiny_models["val"], val)
    people = {s.image_path.rsplit("/", 1)[-1] for s in load_coco(val).samples}
    imgs = sorted(p for p in (val / "images").iterdir() if p.name in people)
    imgs[0].write_bytes(b"")
    imgs[1].write_bytes(b"GIF89a not really")
    res = validate(tiny_models["int8"], val, progress=quiet)
    assert (
        res["metrics"]["skipped_images"] == 2 and res["metrics"]["count"] == len(load_coco(val)) - 2
    )


# --- every CLI error is one line ------------------------------------------------------------------------


def _cases(tmp_path, tiny):
    missing = str(tmp_path / "missing")
    folder = str(tmp_path / "a_folder")
    os.makedirs(folder, exist_ok=True)
    (tmp_path / "a_file").write_text("x")
    unwritable = str(
        tmp_path / "a_file" / "out"
    )  # a path under a file: no user can write there, root included
    model, val, run = str(tiny["int8"]), str(tiny["val"]), str(tiny["run"])
    return [
        ["synth", "--out", unwritable, "--num-images", "2"],
        ["preview", "--data", missing, "--out", str(tmp_path / "p.png")],
        ["preview", "--data", val, "--out", unwritable + ".png"],
        ["preview", "--data", val, "--out", folder],
        ["train", "--config", missing + ".yaml", "--out", str(tmp_path / "r")],
        ["train", "--config", folder, "--out", str(tmp_path / "r")],
        ["train", "--train-data", missing, "--val-data", val, "--out", str(tmp_path / "r2")],
        ["train", "--out", unwritable],
        ["compress", "--run", missing],
        ["compress", "--run", model],
        ["export", "--run", missing],
        ["export", "--run", model],
        ["export", "--run", run, "--out", unwritable + ".tflite"],
        ["export", "--run", run, "--out", folder],
        ["inspect", missing],
        ["inspect", folder],
        ["inspect", str(tmp_path / "a_file")],
        ["validate", "--model", missing, "--data", val],
        ["validate", "--model", folder, "--data", val],
        ["validate", "--model", model, "--data", missing],
        ["validate", "--model", model, "--data", val, "--reference", missing],
        ["validate", "--model", model, "--data", val, "--report", unwritable + ".json"],
        ["validate", "--model", model, "--data", val, "--html", folder],
        ["bench", "--model", missing],
        ["bench", "--model", folder],
        ["bench", "--model", model, "--runs", "0"],
        ["bench", "--model", model, "--report", unwritable + ".json"],
        ["predict", "--model", missing, val],
        ["predict", "--model", folder, val],
        ["predict", "--model", model, missing],
        ["predict", "--model", model, val, "--out", unwritable],
        ["compare-heads", "--config", missing + ".yaml"],
        ["compare-heads", "--out", unwritable],
        ["quant-debug", "--run", missing],
        ["quant-debug", "--run", run, "--out", unwritable],
        ["golden", "--model", missing, "--out", str(tmp_path / "g")],
        ["golden", "--model", folder, "--out", str(tmp_path / "g")],
        ["golden", "--model", model, "--out", unwritable],
        ["demo", "--out", unwritable],
        ["demo", "--config", missing + ".yaml", "--out", str(tmp_path / "d")],
    ]


def test_every_subcommand_fails_in_one_line(tiny_models, tmp_path, capsys):
    """A missing path, a folder in place of a file and an unwritable output, for every command
    that takes one: one line on stderr, a non-zero exit, no traceback, and nothing written."""
    cases = _cases(tmp_path, tiny_models)
    commands = {argv[0] for argv in cases}
    sub = next(a for a in cli.build_parser()._actions if a.dest == "command")
    assert commands == set(sub.choices) - {"info", "profile"}  # every command with a path argument
    before = sorted(p.name for p in tiny_models["run"].iterdir())
    for argv in cases:
        rc = cli.main(argv)
        cap = capsys.readouterr()
        lines = cap.err.strip().splitlines()
        assert rc not in (0, 3) and len(lines) == 1 and "Traceback" not in cap.err, (
            argv,
            rc,
            cap.err,
        )
        assert "error" in lines[0], (argv, lines)
    assert sorted(p.name for p in tiny_models["run"].iterdir()) == before
    assert not (tmp_path / "r").exists() and not (tmp_path / "d").exists()


def test_debug_shows_the_traceback(tmp_path):
    with pytest.raises(ModelError):
        cli.main(["--debug", "inspect", str(tmp_path / "missing.tflite")])


def test_bad_metadata_is_one_line(tiny_models, tmp_path, capsys):
    from posenet_mobile import metadata as M

    data = tiny_models["int8"].read_bytes()
    doc = M.read(data)
    broken = dict(doc)
    del broken["decode"]
    bad = tmp_path / "nodecode.tflite"
    bad.write_bytes(M.embed(data, broken))
    assert (
        cli.main(
            ["predict", "--model", str(bad), str(tiny_models["val"]), "--out", str(tmp_path / "o")]
        )
        == 2
    )
    assert "metadata field 'decode': missing" in capsys.readouterr().err
