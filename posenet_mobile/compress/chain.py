"""The compression chain of a run: float -> pruned -> quantization-aware, each stage saved.

``RUN/compress/pruned.keras`` + ``pruned.json`` (sparsity report, validation metrics) and
``RUN/compress/qat_checkpoint/`` + ``qat.json``. A stage whose file exists is loaded, not redone, so an
interrupted chain restarts at the stage it was in. Fine-tuning uses the run's own data, pipeline
and losses (:mod:`posenet_mobile.losses`); the learning rate is ``compress.fine_tune_lr``.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from ..io import read_json, write_json_atomic
from ..runs import Run
from ..train.saving import save_model_atomic, write_checkpoint
from ..train.schedule import warmup_cosine
from . import prune as P
from . import quantize as Q


#: Part of each saved stage's key: a change of fine-tune recipe redoes the stages.
FINE_TUNE_SCHEDULE = "warmup 5%, cosine to 0"


def _fine_tune(
    model, run: Run, epochs: int, lr: float, pixels: bool, callbacks=(), verbose=0
) -> float:
    from ..keras import build_training_state, keras
    from ..losses import losses_for
    from ..models.build import output_names

    tcfg = run.cfg.train
    names = output_names(model)
    pipe = run.pipeline("train", names, training=True, pixels=pixels)
    steps = max(1, len(pipe) // tcfg.batch_size)
    # wrapped models rename outputs (prune_low_magnitude_heatmaps, quant_heatmaps): go by position
    losses = losses_for(names, tcfg.heatmap_foreground, run.cfg.codec.simcc_beta)
    # Warm-up over the first 5% of steps (a fresh Adam's first steps are large), then cosine to 0
    # (the model is scored where the fine-tune ends); it beat a cosine to 0.1 * lr without warm-up
    # (docs/compression.md).
    total = max(1, epochs * steps)
    opt = keras.optimizers.Adam(
        learning_rate=warmup_cosine()(lr, max(1, total // 20), total, floor=0.0)
    )
    model.compile(
        optimizer=opt,
        loss=[losses[n] for n in names],
        loss_weights=[float(tcfg.loss_weights.get(n, 1.0)) for n in names],
    )
    build_training_state(model)
    ds = pipe.dataset(tcfg.batch_size, epochs=range(1000, 1000 + epochs)).repeat()
    ds = ds.map(lambda x, t: (x, tuple(t[n] for n in names)))
    t0 = time.perf_counter()
    model.fit(ds, epochs=epochs, steps_per_epoch=steps, callbacks=list(callbacks), verbose=verbose)
    return time.perf_counter() - t0


def _evaluate(model, run: Run, pixels: bool) -> dict:
    from ..models.build import output_names
    from ..train.evaluate import evaluate

    m = evaluate(
        model,
        run.pipeline("val", output_names(model), pixels=pixels),
        run.cfg.train.eval_batch_size,
    )
    return {k: m[k] for k in ("pck", "AP", "AP50", "AP75", "count", "mean_error_px")}


def _stage_key(run: Run, stage: str, **extra) -> str:
    """Identifies what a saved stage was made from: the run, the compress settings, the trained
    model file's time stamp; a mismatch (retrained run, new settings) redoes the stage."""
    import json

    src = run.model_path("float")
    stamp = src.stat().st_mtime_ns if src.exists() else 0
    return json.dumps(
        [stage, run.fingerprint, run.cfg.compress.__dict__, stamp, FINE_TUNE_SCHEDULE, extra],
        sort_keys=True,
        default=str,
    )


def _reusable(out, meta, key) -> bool:
    return out.exists() and meta.exists() and read_json(meta).get("key") == key


def prune_stage(run: Run, progress=print, verbose: int = 0):
    """Prune ``RUN/model.keras`` to ``compress.target_sparsity`` during ``compress.prune_epochs``.

    Returns ``(stripped pruned model, report)``; loads the saved stage when present.
    """
    out, meta = run.model_path("pruned"), run.compress_dir / "pruned.json"
    key = _stage_key(run, "pruned")
    if _reusable(out, meta, key):
        progress(f"prune: reusing {out}")
        return run.load_keras("pruned"), read_json(meta)
    c = run.cfg.compress
    base = run.load_float()
    run.compress_dir.mkdir(parents=True, exist_ok=True)
    steps = max(1, len(run.datasets("train")) // run.cfg.train.batch_size) * c.prune_epochs
    wrapped = P.prune_model(
        base, c.target_sparsity, 0, int(steps * 0.7), max(1, steps // 20), c.block_size
    )
    blocks = (
        ""
        if tuple(c.block_size) == (1, 1)
        else f" (1x1 conv and Dense kernels in blocks of {tuple(c.block_size)})"
    )
    progress(
        f"prune: {c.prune_epochs} epochs to {c.target_sparsity:.0%} sparsity of prunable kernels{blocks}"
    )
    secs = _fine_tune(
        wrapped,
        run,
        c.prune_epochs,
        c.fine_tune_lr,
        pixels=False,
        callbacks=P.callbacks(),
        verbose=verbose,
    )
    pruned = P.strip(wrapped)
    report = {
        "stage": "pruned",
        "key": key,
        "seconds": round(secs, 1),
        "target_sparsity": c.target_sparsity,
        "block_size": list(c.block_size),
        "sparsity": P.sparsity_report(pruned),
        "val": _evaluate(pruned, run, pixels=False),
    }
    save_model_atomic(pruned, out)
    write_json_atomic(meta, report)
    return pruned, report


def qat_stage(
    run: Run, source=None, preserve_sparsity: bool = True, progress=print, verbose: int = 0
):
    """Quantization-aware fine-tune of the pruned model (or ``source``) for ``compress.qat_epochs``.

    Uses the prune-preserving scheme unless ``preserve_sparsity`` is False. Returns
    ``(QAT model with pixel input, report)``. A saved stage is rebuilt from its source and a
    TF checkpoint (``qat_checkpoint/``): tfmot's quantize wrappers do not reload from ``.keras``
    or ``.h5`` files.
    """
    from ..keras import tf

    out, meta = run.model_path("qat"), run.compress_dir / "qat.json"
    c = run.cfg.compress
    pruned = c.target_sparsity > 0
    key = _stage_key(
        run,
        "qat",
        preserve_sparsity=preserve_sparsity,
        pruned=pruned,
        calibration=Q.CALIBRATION_BATCHES,
    )
    if _reusable(out, meta, key):
        progress(f"qat: reusing {out}")
        qm = _QAT_BUILT.get(_qat_identity(run, out, key, pruned))
        if qm is None:
            src = run.load_keras("pruned") if pruned else run.load_float()
            qm = Q.qat_model(src, preserve_sparsity)
            _QAT_BUILT.put(_qat_identity(run, out, key, pruned), qm)
        # the weights always come from the saved stage, also into a model built earlier
        tf.train.Checkpoint(model=qm).read(
            str(out / "ckpt")
        ).assert_existing_objects_matched().expect_partial()
        return qm, read_json(meta)
    if source is None:
        source = prune_stage(run, progress, verbose)[0] if pruned else run.load_float()
    run.compress_dir.mkdir(parents=True, exist_ok=True)
    qm = Q.qat_model(source, preserve_sparsity)
    from ..models.build import output_names

    pipe = run.pipeline("train", output_names(qm), training=True, pixels=True)
    batches = (x for x, _ in pipe.dataset(run.cfg.train.batch_size, epochs=range(2000, 2001)))
    n = Q.calibrate_ranges(qm, (x for _, x in zip(range(Q.CALIBRATION_BATCHES), batches)))
    scheme = "prune-preserving QAT (PQAT)" if preserve_sparsity else "default 8-bit QAT"
    progress(f"qat: activation ranges calibrated on {n} batches; {c.qat_epochs} epochs of {scheme}")
    secs = _fine_tune(qm, run, c.qat_epochs, c.fine_tune_lr, pixels=True, verbose=verbose)
    report = {
        "stage": "qat",
        "key": key,
        "scheme": "prune_preserve" if preserve_sparsity else "default_8bit",
        "source": "pruned" if pruned else "float",
        "seconds": round(secs, 1),
        "sparsity": P.sparsity_report(qm),
        "val": _evaluate(qm, run, pixels=True),
    }
    write_checkpoint(tf.train.Checkpoint(model=qm), out)
    write_json_atomic(meta, report)
    _QAT_BUILT.put(_qat_identity(run, out, key, pruned), qm)
    return qm, report


class _BuiltModels:
    """The QAT models built in this process, by what they were built from.

    Building a QAT model (tfmot's ``quantize_apply``) takes seconds of Python, and a saved QAT
    stage is rebuilt each time it is used: by compress, then by each int8 export of the same run
    (the demo's fallback policy exports it, then exports PTQ beside it). A model is reused only
    while its stage's files are the ones it was built from; its weights are read from the stage's
    checkpoint on every use, so a caller that changed them changes nothing for the next.
    """

    def __init__(self, size: int = 2):
        self.size, self.items = size, {}

    def get(self, ident):
        return self.items.get(ident)

    def put(self, ident, model) -> None:
        self.items.pop(ident, None)
        self.items[ident] = model
        while len(self.items) > self.size:
            self.items.pop(next(iter(self.items)))


_QAT_BUILT = _BuiltModels()


def _qat_identity(run: Run, out: Path, key: dict, pruned: bool) -> tuple:
    """What a QAT model was built from: its stage key and the files (path, size, mtime) of its
    source model and its checkpoint."""
    src = run.model_path("pruned" if pruned else "float")
    files = [src, *sorted(out.glob("ckpt*"))]
    stats = tuple((str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    return json.dumps(key, sort_keys=True, default=str), stats


def compress_run(
    run: Run,
    stages=("prune", "qat"),
    preserve_sparsity: bool = True,
    progress=print,
    verbose: int = 0,
) -> dict:
    """Run the requested stages in order; returns ``{stage: report}``. Temporary files left in
    ``RUN/compress`` by a killed run are removed first."""
    from ..io import sweep_temps

    sweep_temps(run.compress_dir)
    result = {}
    source = None
    if "prune" in stages:
        source, result["pruned"] = prune_stage(run, progress, verbose)
    if "qat" in stages:
        _, result["qat"] = qat_stage(run, source, preserve_sparsity, progress, verbose)
    return result


def reset(run: Run) -> None:
    """Forget saved compression stages (after retraining)."""
    shutil.rmtree(run.compress_dir, ignore_errors=True)
