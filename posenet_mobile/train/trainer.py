"""Train a pose model with tf_keras ``fit``: resumable, evaluated every epoch, distributable.

Run directory layout::

    RUN/config.json        the effective ExperimentConfig (a different config is refused)
    RUN/state.json         last completed epoch, its checkpoint, best epoch, history
    RUN/checkpoints/epoch_NNNN/   model + optimizer (tf.train.Checkpoint), one kept
    RUN/model.keras        best model by validation PCK@0.2 (no optimizer; loads without custom objects)
    RUN/history.json  RUN/learning_curve.png  RUN/metrics.json  RUN/logs/ (TensorBoard, if installed)

Every file is written to a temporary name and renamed, so killing the process at any moment
leaves the last completed epoch intact; re-running the same command resumes from it with the
same optimizer state, learning-rate schedule position and per-epoch data order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import sys
from pathlib import Path

from ..data.coco import load_coco
from ..data.crop_cache import CropCache, use_crop_cache
from ..data.pipeline import KeypointPipeline
from ..errors import ConfigError, DataError, TrainError
from ..io import FolderLock, check_output_dir, read_json, sweep_temps, write_json_atomic
from .callbacks import EpochEnd
from .config import ExperimentConfig
from .data import ensure_data
from .distribute import get_strategy, worker_info
from .run_dir import check_run_dir, require_model
from .schedule import warmup_cosine


def train(
    cfg: ExperimentConfig,
    out_dir,
    train_data=None,
    val_data=None,
    strategy: str = "auto",
    verbose: int | None = None,
    stop_after_epoch: int | None = None,
    overwrite: bool = False,
    progress=print,
) -> dict:
    """Train ``cfg`` into ``out_dir``; resume if it holds the same run. Returns the final metrics.

    train_data / val_data: COCO dataset folders or JSON files; ``None`` generates the synthetic
    sets of ``cfg.data`` (shared between runs under ``out_dir/../synthetic`` is not assumed: they
    go to ``out_dir/data``). stop_after_epoch: stop cleanly after that many completed epochs
    (used to simulate an interruption).
    """
    out = Path(out_dir)
    check_output_dir(out, "--out")
    for where in (train_data, val_data):
        if where is not None and not Path(where).exists():
            raise DataError(f"{where}: no such dataset folder or annotation file")
    strat = get_strategy(strategy)  # before any other TF work (MultiWorker needs that)
    info = worker_info(strat)
    run = out if info["chief"] else out / f".worker{info['index']}"
    with FolderLock(run, "run folder"):
        return _train_locked(
            cfg,
            out,
            run,
            strat,
            info,
            train_data,
            val_data,
            verbose,
            stop_after_epoch,
            overwrite,
            progress,
        )


def _train_locked(
    cfg, out, run, strat, info, train_data, val_data, verbose, stop_after_epoch, overwrite, progress
):
    for folder in (out, run, run / "checkpoints"):
        sweep_temps(folder)
    train_dir, val_dir, data_summary = ensure_data(
        cfg.data, train_data, val_data, out / "data", progress
    )
    train_set = load_coco(train_dir, min_box_area=cfg.data.min_box_area)
    val_set = load_coco(val_dir, min_box_area=cfg.data.min_box_area)
    for split, ds in (("training", train_set), ("validation", val_set)):
        if len(ds) == 0:
            raise DataError(
                f"{ds.annotation_file}: no {split} people left after filtering ({_skipped(ds)}); "
                "nothing to train on or score against"
            )
    if train_set.schema.names != val_set.schema.names:
        raise ConfigError(
            f"{val_set.annotation_file}: keypoint names differ from {train_set.annotation_file}"
        )
    k = train_set.schema.num_keypoints
    if cfg.model.num_keypoints != k:
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, num_keypoints=k))
    check_run_dir(out, cfg, overwrite)

    from ..keras import keras, tf
    from ..models import output_names

    tcfg = cfg.train
    replicas = strat.num_replicas_in_sync
    global_batch = tcfg.batch_size * replicas
    steps = tcfg.steps_per_epoch or max(1, len(train_set) // global_batch)
    if len(train_set) < global_batch and not tcfg.steps_per_epoch:
        raise ConfigError(
            f"train.batch_size: {global_batch} (global) is larger than the {len(train_set)} training people"
        )
    codec = cfg.heatmap_codec()
    state = read_json(run / "state.json") if (run / "state.json").exists() else {}
    start = int(state.get("epoch", 0))
    history = state.get("history", {})
    if start >= tcfg.epochs:  # nothing to train: no model is built
        _write_config(out, cfg, data_summary, info)
        progress(f"{out}: already trained for {start} epochs")
        require_model(run, state)
        return read_json(out / "metrics.json") if (out / "metrics.json").exists() else {}
    keras.utils.set_random_seed(tcfg.seed)
    with strat.scope():
        model, opt = compiled_model(cfg, steps, replicas)
        names = output_names(model)
        ckpt = tf.train.Checkpoint(model=model, optimizer=opt)
    _write_config(out, cfg, data_summary, info)  # only now: a failed start leaves no config
    if start:
        with strat.scope():
            opt.build(model.trainable_variables)
        ckpt.read(str(run / state["checkpoint"])).assert_existing_objects_matched()
        progress(
            f"resuming {out} after epoch {start}/{tcfg.epochs} (optimizer step {int(opt.iterations.numpy())})"
        )

    simcc = cfg.simcc_codec()
    train_pipe = KeypointPipeline(
        train_set,
        codec,
        names,
        training=True,
        augment=cfg.augment,
        padding=cfg.data.padding,
        crop_rule=cfg.data.crop_rule,
        box_share=cfg.data.box_crop_share,
        seed=tcfg.seed,
        simcc=simcc,
    )
    val_pipe = KeypointPipeline(
        val_set,
        codec,
        names,
        training=False,
        padding=cfg.data.padding,
        crop_rule=cfg.data.crop_rule,
        simcc=simcc,
    )
    cached, why = use_crop_cache(
        cfg.data.crop_cache,
        bool(data_summary.get("synthetic")),
        cfg.augment,
        len(train_set),
        codec.input_size,
        cfg.data.crop_cache_context,
    )
    if cached:
        source = CropCache(train_pipe, cfg.data.crop_cache_context, progress=progress)
    else:
        source = train_pipe

    cb = EpochEnd(
        run, out, ckpt, model, opt, val_pipe, tcfg, state, history, info, stop_after_epoch, progress
    )
    callbacks = [cb]
    if importlib.util.find_spec("tensorboard") is not None and info["chief"]:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(out / "logs"), write_graph=False))
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    for net, src, first, last in _phases(cfg, model, source, start, strat, progress):
        ds = src.dataset(global_batch, epochs=range(first, last)).repeat()
        if info["workers"] > 1:
            options = tf.data.Options()
            options.experimental_distribute.auto_shard_policy = (
                tf.data.experimental.AutoShardPolicy.DATA
            )
            ds = ds.with_options(options)
        net.fit(
            ds,
            epochs=last,
            initial_epoch=first,
            steps_per_epoch=steps,
            callbacks=callbacks,
            verbose=verbose,
        )
        if cb.stopped:  # diverged, or stopped on request: no later phase
            break
    result = {
        "epochs_completed": cb.state.get("epoch", start),
        "best_epoch": cb.state.get("best_epoch"),
        "best": cb.state.get("best_metrics"),
        "train_people": len(train_set),
        "val_people": len(val_set),
        "skipped_train_images": train_pipe.corrupt,
        "skipped_val_images": val_pipe.corrupt,
        "size_mismatch_images": train_pipe.size_mismatch + val_pipe.size_mismatch,
        "adjusted_annotations": {
            k: train_set.adjusted.get(k, 0) + val_set.adjusted.get(k, 0) for k in train_set.adjusted
        },
        "train_seconds": round(sum(history.get("seconds", [])), 1),
        "replicas": replicas,
        "global_batch": global_batch,
        "input_pipeline": {"crop_cache": cached, "why": why},
        "progressive": _progressive_summary(cfg),
    }
    if cb.diverged:
        raise TrainError(
            f"{out}: training diverged (loss {cb.diverged[1]} at epoch {cb.diverged[0]}); no further "
            "epochs were run; lower train.learning_rate, or --overwrite to start again"
        )
    require_model(run, cb.state)
    if info["chief"] and cb.state.get("epoch", 0) >= tcfg.epochs:
        write_json_atomic(out / "metrics.json", result)
    return result


def _phases(cfg, model, source, start, strat, progress):
    """``(model, training source, first epoch, end epoch)`` in order: with progressive resizing
    (:meth:`ExperimentConfig.progressive`), first the epochs at the smaller input size, on a
    model sharing ``model``'s weights and compiled with the same optimizer (its state and
    learning-rate schedule carry on), then the rest at the model's input size."""
    low, size = cfg.progressive()
    if start < low:
        from ..models import resized_model

        with strat.scope():
            with _policy(cfg.train.mixed_precision):  # the same policy, so the same loss scaling
                small = resized_model(model, cfg.model, size)
            # the model's own optimizer: under mixed_float16 the loss-scaling wrapper around
            # ``opt``, which may wrap it only once; its loss scale carries on too
            _compile(small, model.optimizer, cfg)
        progress(f"progressive resizing: epochs {start + 1}-{low} at {size[1]}x{size[0]}")
        yield small, source.resized(cfg.heatmap_codec(size)), start, low
    yield model, source, max(start, low), cfg.train.epochs


def _progressive_summary(cfg) -> dict:
    """What progressive resizing did: ``{epochs, input_size}`` (0 and None when off)."""
    low, size = cfg.progressive()
    return {"epochs": low, "input_size": list(size) if size else None}


def _write_config(out, cfg, data_summary, info) -> None:
    """The run's ``config.json`` (the chief writes it): the fingerprint :func:`check_run_dir`
    compares, the whole config, and what the data was."""
    if info["chief"]:
        write_json_atomic(
            out / "config.json",
            {"fingerprint": cfg.fingerprint(), "config": cfg.to_dict(), "data": data_summary},
        )


def compiled_model(cfg: ExperimentConfig, steps_per_epoch: int, replicas: int = 1):
    """``(model, optimizer)``: ``cfg.model`` built and compiled for training as :func:`train` does
    (AdamW on the warm-up + cosine schedule, the per-output losses and weights). Call it inside
    the strategy's scope; benchmarks use it to time the very step that training runs."""
    from ..keras import keras
    from ..models import build_model

    tcfg = cfg.train
    with _policy(tcfg.mixed_precision):
        model = build_model(cfg.model)
    sched = warmup_cosine()(
        tcfg.learning_rate * replicas,
        int(tcfg.warmup_epochs * steps_per_epoch),
        tcfg.epochs * steps_per_epoch,
        tcfg.min_lr_ratio,
    )
    opt = keras.optimizers.AdamW(learning_rate=sched, weight_decay=tcfg.weight_decay)
    opt.exclude_from_weight_decay(var_names=["bias", "gamma", "beta", "coords"])
    _compile(model, opt, cfg)
    return model, opt


@contextlib.contextmanager
def _policy(mixed_precision: str):
    """Keras' mixed-precision policy ``mixed_precision`` (``off``: float32) while models are built
    and wrapped: the policy is global in Keras, so it is set for the build only."""
    from ..keras import keras

    if mixed_precision == "off":
        yield
        return
    keras.mixed_precision.set_global_policy(mixed_precision)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy("float32")


def _compile(model, opt, cfg) -> None:
    """Compile ``model`` for training with ``opt``: the per-output losses and weights of
    ``cfg.train``, then its optimizer slots and loss trackers (:func:`build_training_state`)."""
    from ..keras import build_training_state
    from ..losses import losses_for
    from ..models import output_names

    tcfg = cfg.train
    names = output_names(model)
    weights = {n: float(tcfg.loss_weights.get(n, 1.0)) for n in names}
    if (
        "coords_dist" in names
    ):  # the Laplace likelihood replaces the L1 on coords, which is only logged
        weights["coords"] = 0.0
    model.compile(
        optimizer=opt,
        loss=losses_for(names, tcfg.heatmap_foreground, cfg.codec.simcc_beta),
        loss_weights=weights,
        steps_per_execution=tcfg.steps_per_execution,
    )
    build_training_state(model)


def _skipped(ds) -> str:
    counts = {k: v for k, v in (ds.skipped or {}).items() if v}
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none in the file"
