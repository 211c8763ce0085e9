import json
import os
import socket
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from posenet_mobile.errors import ConfigError
from posenet_mobile.train.config import load_config
from posenet_mobile.train.trainer import train

from helpers import PLAIN, people, synthetic_split
from helpers import TINY as BASE

TINY = PLAIN + BASE + ["train.warmup_epochs=0.5"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    return synthetic_split(root, 32)


def _cfg(*extra):
    return load_config("quickstart", TINY + list(extra))


def test_facing_head_is_trained_and_logged(tmp_path, data):
    cfg = _cfg("train.epochs=1", "model.facing_head=true", "model.global_context=true")
    train(cfg, tmp_path / "run", *data, verbose=0, progress=lambda *_: None)
    hist = json.loads((tmp_path / "run" / "history.json").read_text())
    assert hist["facing_loss"][0] > 0
    from posenet_mobile.keras import keras

    m = keras.models.load_model(tmp_path / "run" / "model.keras")
    assert m.output_names == ["heatmaps", "offsets", "facing"]


@pytest.mark.parametrize("head", ["heatmap", "regression"])
def test_a_few_epochs_reduce_the_loss(tmp_path, data, head, monkeypatch):
    from posenet_mobile.keras import keras

    traces = []
    step = keras.Model.train_step
    monkeypatch.setattr(keras.Model, "train_step", lambda m, d: traces.append(1) or step(m, d))
    cfg = _cfg("train.epochs=4", "train.learning_rate=0.003", f"model.head={head}")
    res = train(cfg, tmp_path / "run", *data, verbose=0, progress=lambda *_: None)
    # the optimizer's slots and the loss trackers exist before fit: its step is traced once
    assert len(traces) == 1
    hist = json.loads((tmp_path / "run" / "history.json").read_text())
    assert hist["epoch"] == [1, 2, 3, 4]
    assert hist["loss"][-1] < hist["loss"][0]
    assert res["epochs_completed"] == 4 and res["best"]["count"] == people(data[1])
    for name in ("model.keras", "metrics.json", "learning_curve.png", "state.json", "config.json"):
        assert (tmp_path / "run" / name).exists(), name
    m = keras.models.load_model(tmp_path / "run" / "model.keras")
    assert m.output_names == (
        ["heatmaps", "offsets"]
        if head == "heatmap"
        else ["heatmaps", "offsets", "coords", "visibility"]
    )


def test_training_from_the_crop_cache_learns_and_says_so(tmp_path, data):
    cfg = _cfg("train.epochs=3", "train.learning_rate=0.003", "data.crop_cache=on")
    res = train(cfg, tmp_path / "run", *data, verbose=0, progress=lambda *_: None)
    hist = json.loads((tmp_path / "run" / "history.json").read_text())
    assert hist["loss"][-1] < hist["loss"][0]
    assert res["input_pipeline"] == {"crop_cache": True, "why": "data.crop_cache is on"}
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["input_pipeline"]["crop_cache"] is True
    # a user's folders with the default (auto) keep the NumPy pipeline
    res = train(
        _cfg("train.epochs=1"), tmp_path / "auto", *data, verbose=0, progress=lambda *_: None
    )
    assert res["input_pipeline"]["crop_cache"] is False


@pytest.mark.slow
def test_eval_every_scores_every_nth_and_the_last_epoch_and_steps_per_execution_runs_every_step(
    tmp_path, data
):
    cfg = _cfg("train.epochs=3", "train.eval_every=2", "train.steps_per_execution=2")
    run = tmp_path / "run"
    res = train(cfg, run, *data, verbose=0, progress=lambda *_: None)
    hist = json.loads((run / "history.json").read_text())
    assert hist["epoch"] == [1, 2, 3]
    assert hist["val_pck"][0] is None and None not in hist["val_pck"][1:], hist["val_pck"]
    assert res["best_epoch"] in (2, 3) and (run / "learning_curve.png").exists()
    from posenet_mobile.keras import tf

    ckpt = str(run / json.loads((run / "state.json").read_text())["checkpoint"])
    step = [n for n, _ in tf.train.list_variables(ckpt) if n.startswith("optimizer/_iterations")]
    assert int(tf.train.load_variable(ckpt, step[0])) == 3 * (
        people(data[0]) // 8
    )  # 2 steps per call, none lost


@pytest.mark.parametrize(
    "policy", ["mixed_float16"]
)  # the loss-scaled path; bfloat16 skips only that
def test_mixed_precision_trains_and_keeps_a_float32_model_with_the_same_outputs(
    tmp_path, data, policy
):
    from posenet_mobile.keras import keras
    from posenet_mobile.models import build_model

    cfg = _cfg(
        "train.epochs=1",
        f"train.mixed_precision={policy}",
        "model.facing_head=true",
        "model.global_context=true",
    )
    res = train(cfg, tmp_path / "run", *data, verbose=0, progress=lambda *_: None)
    assert np.isfinite(json.loads((tmp_path / "run" / "history.json").read_text())["loss"][0])
    assert res["best"] is not None and keras.mixed_precision.global_policy().name == "float32"
    m = keras.models.load_model(tmp_path / "run" / "model.keras")
    assert {layer.dtype_policy.name for layer in m.layers} == {"float32"}
    ref = build_model(cfg.model)  # the float32 model of the same config
    assert [tuple(o.shape) for o in m.outputs] == [tuple(o.shape) for o in ref.outputs]
    assert m.get_config() == ref.get_config()


@pytest.mark.slow
def test_interrupted_run_resumes_from_the_last_epoch(tmp_path, data):
    cfg = _cfg("train.epochs=3")
    run = tmp_path / "run"
    train(cfg, run, *data, verbose=0, stop_after_epoch=1, progress=lambda *_: None)
    state = json.loads((run / "state.json").read_text())
    assert state["epoch"] == 1 and not (run / "metrics.json").exists()
    said = []
    res = train(cfg, run, *data, verbose=0, progress=said.append)
    steps = people(data[0]) // 8  # one pass over the training people in batches of 8
    assert any(
        "resuming" in s and f"after epoch 1/3 (optimizer step {steps})" in s for s in said
    ), said
    hist = json.loads((run / "history.json").read_text())
    assert hist["epoch"] == [1, 2, 3]
    assert res["epochs_completed"] == 3
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["epoch_0003"]
    # the learning-rate schedule continued: the same values as an uninterrupted run would log
    ref = train(cfg, tmp_path / "ref", *data, verbose=0, progress=lambda *_: None)
    ref_hist = json.loads((tmp_path / "ref" / "history.json").read_text())
    np.testing.assert_allclose(hist["lr"], ref_hist["lr"], rtol=1e-6)
    assert abs(res["best"]["pck"] - ref["best"]["pck"]) < 0.25


def test_a_different_config_is_refused(tmp_path, data, monkeypatch):
    run = tmp_path / "run"
    train(_cfg("train.epochs=1"), run, *data, verbose=0, progress=lambda *_: None)
    with pytest.raises(ConfigError, match=r"different config \(model.width: 0.35 there, 0.5 now\)"):
        train(
            _cfg("train.epochs=1", "model.width=0.5"),
            run,
            *data,
            verbose=0,
            progress=lambda *_: None,
        )
    # a run written before a setting existed: missing at its default is the same run, set is not
    stored = json.loads((run / "config.json").read_text())
    del (
        stored["config"]["model"]["global_context"],
        stored["config"]["train"]["loss_weights"]["facing"],
    )
    stored["fingerprint"] = "0ld0ld0ld0ld"
    (run / "config.json").write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match=r"model.global_context: None there, True now"):
        train(
            _cfg("train.epochs=1", "model.global_context=true"),
            run,
            *data,
            verbose=0,
            progress=lambda *_: None,
        )
    # a finished run builds no model to say so
    from posenet_mobile.train import trainer

    def no_model(*_a, **_k):
        raise AssertionError("a finished run built a model")

    with monkeypatch.context() as m:
        m.setattr(trainer, "compiled_model", no_model)
        again = train(_cfg("train.epochs=1"), run, *data, verbose=0, progress=lambda *_: None)
    assert again["best_epoch"] == 1 and again["epochs_completed"] == 1
    # other compression settings train nothing new; config.json records them for compress
    said = []
    train(
        _cfg("train.epochs=1", "compress.fine_tune_lr=0.002"),
        run,
        *data,
        verbose=0,
        progress=said.append,
    )
    assert (
        json.loads((run / "config.json").read_text())["config"]["compress"]["fine_tune_lr"] == 0.002
    )
    assert any("already trained for 1 epochs" in s for s in said), said  # nothing was trained again


def test_config_errors_name_the_key(tmp_path):
    with pytest.raises(ConfigError, match="train.epohcs: unknown key"):
        load_config("quickstart", ["train.epohcs=3"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    bad.write_text("augment:\n  rotaton: 10\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: augment.rotaton: unknown key"):
        load_config(bad)


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_train_to_the_same_weights(tmp_path, data):
    """MultiWorkerMirroredStrategy with two local CPU workers configured by TF_CONFIG."""
    ports = _free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    script = textwrap.dedent(
        f"""
        import sys
        from posenet_mobile.train.config import load_config
        from posenet_mobile.train.trainer import train
        cfg = load_config("quickstart", {TINY!r} + ["train.epochs=1", "train.steps_per_epoch=3", "train.batch_size=4"])
        train(cfg, sys.argv[1], {str(data[0])!r}, {str(data[1])!r}, strategy="multi_worker", verbose=0)
        """
    )
    procs = []
    for i in range(2):
        env = dict(
            os.environ,
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
        )
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", script, str(tmp_path / "run")],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs[0][-3000:] + outs[1][-3000:]
    import tensorflow as tf

    chief = tf.train.load_checkpoint(str(tmp_path / "run" / "checkpoints" / "epoch_0001" / "ckpt"))
    other = tf.train.load_checkpoint(
        str(tmp_path / "run" / ".worker1" / "checkpoints" / "epoch_0001" / "ckpt")
    )
    names = [
        n
        for n, _ in tf.train.list_variables(
            str(tmp_path / "run" / "checkpoints" / "epoch_0001" / "ckpt")
        )
        if n.startswith("model/") and "OPTIMIZER_SLOT" not in n
    ]
    assert len(names) > 50
    for n in names:
        np.testing.assert_array_equal(chief.get_tensor(n), other.get_tensor(n))
    state = json.loads((tmp_path / "run" / "state.json").read_text())
    assert state["epoch"] == 1


def test_progressive_resizing_trains_one_set_of_weights_at_two_sizes_and_resumes(tmp_path, data):
    from posenet_mobile.errors import ModelError
    from posenet_mobile.keras import keras
    from posenet_mobile.models import build_model, resized_model

    extra = ("model.global_context=true", "train.progressive_scale=0.5")
    cfg = _cfg("train.epochs=3", "train.progressive_fraction=0.7", *extra)
    assert cfg.progressive() == (2, (32, 32))
    model = build_model(cfg.model)
    small = resized_model(model, cfg.model, (32, 32))
    assert [o.shape[1] for o in small.outputs] == [8, 8]  # heatmaps, offsets at stride 4
    assert small.output_names == model.output_names
    assert len(small.weights) == len(model.weights)
    assert all(a is b for a, b in zip(small.weights, model.weights))  # shared, not copied
    x = np.zeros((1, 64, 64, 3), np.float32)
    before = model(x)[0].numpy()
    small.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    small.train_on_batch(
        np.ones((2, 32, 32, 3)), [np.ones((2, 8, 8, o.shape[-1])) for o in small.outputs]
    )
    assert not np.allclose(model(x)[0].numpy(), before)  # training the small one trained both
    simcc = build_model(_cfg("model.head=simcc").model)
    with pytest.raises(ModelError, match="depends on the input size"):
        resized_model(simcc, _cfg("model.head=simcc").model, (32, 32))

    # interrupted inside the small epochs, resumed: the same schedule as one uninterrupted run
    run, said = tmp_path / "run", []
    train(cfg, run, *data, verbose=0, stop_after_epoch=1, progress=said.append)
    assert json.loads((run / "state.json").read_text())["epoch"] == 1
    assert "progressive resizing: epochs 1-2 at 32x32" in said
    said.clear()
    res = train(cfg, run, *data, verbose=0, progress=said.append)
    assert "progressive resizing: epochs 2-2 at 32x32" in said
    hist = json.loads((run / "history.json").read_text())
    assert hist["epoch"] == [1, 2, 3] and res["epochs_completed"] == 3
    assert res["progressive"] == {"epochs": 2, "input_size": [32, 32]}  # in metrics.json
    ref = train(cfg, tmp_path / "ref", *data, verbose=0, progress=lambda *_: None)
    ref_hist = json.loads((tmp_path / "ref" / "history.json").read_text())
    np.testing.assert_allclose(hist["lr"], ref_hist["lr"], rtol=1e-6)
    assert res["best"]["count"] == people(data[1]) and ref["epochs_completed"] == 3
    m = keras.models.load_model(run / "model.keras")
    assert m.input_shape == (None, 64, 64, 3)  # the kept model is at the model's size


@pytest.mark.parametrize(
    "setting, match",
    [
        (["train.progressive_fraction=1"], "progressive_fraction"),
        (["train.progressive_scale=0"], "progressive_scale"),
        (
            ["train.progressive_fraction=0.5", "train.progressive_scale=0.5", "model.head=simcc"],
            "fully convolutional",
        ),
    ],
)
def test_progressive_resizing_settings_are_checked(setting, match):
    with pytest.raises(ConfigError, match=match):
        _cfg("train.epochs=3", *setting)
    # a share of the epochs and a scale of the input: they follow --set train.epochs and
    # model.input_size (each side a multiple of 32; at least one epoch at the full size)
    on = ("train.progressive_fraction=0.75", "train.progressive_scale=0.75", "train.epochs=40")
    assert load_config("quickstart", on).progressive() == (30, (96, 96))
    assert load_config("quickstart", on + ("model.input_size=[192,256]",)).progressive() == (
        30,
        (160, 192),
    )
    assert _cfg(*on).progressive() == (0, None)  # 64 px scales back to 64: nothing to resize
    assert load_config("quickstart", on[:2] + ("train.epochs=1",)).progressive() == (0, None)
    assert load_config("quickstart").progressive() == (0, None)
    # a simcc model is refused only when resizing would happen
    assert _cfg("model.head=simcc", *on).progressive() == (0, None)


def test_progressive_resizing_keeps_the_mixed_precision_policy_and_its_loss_scaling():
    from posenet_mobile.keras import keras, tf
    from posenet_mobile.train.trainer import _phases, compiled_model

    cfg = _cfg(
        "train.epochs=2",
        "train.mixed_precision=mixed_float16",
        "train.progressive_fraction=0.5",
        "train.progressive_scale=0.5",
    )

    class Source:  # what the trainer's sources give _phases
        def resized(self, codec):
            self.codec = codec
            return self

    model, opt = compiled_model(cfg, 4)
    source = Source()
    (small, src, first, last), (full, _, later, end) = _phases(
        cfg, model, source, 0, tf.distribute.get_strategy(), lambda *_: None
    )
    assert (first, last, later, end) == (0, 1, 1, 2) and full is model
    assert src.codec.input_size == (32, 32) and small.input_shape == (None, 32, 32, 3)
    assert small.dtype_policy.name == "mixed_float16" == model.dtype_policy.name
    assert isinstance(small.optimizer, keras.mixed_precision.LossScaleOptimizer)
    # one optimizer, and one loss scale, through both sizes
    assert small.optimizer is model.optimizer and small.optimizer.inner_optimizer is opt
    assert keras.mixed_precision.global_policy().name == "float32"
