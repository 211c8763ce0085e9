"""Compress the person detector as the pose models are (:mod:`posenet_mobile.compress`): magnitude
pruning of its prunable kernels, then prune-preserving quantization-aware training (PQAT), each a
short fine-tune on the detector's own frames and loss. :func:`pqat_detector` returns the QAT
model, which :func:`posenet_mobile.export.detector.export_detector` converts with its learned
ranges (``quantization="pqat"``). The pruning schedule, the data-calibrated start of the QAT
ranges and the prune-preserving scheme are the pose chain's (:mod:`posenet_mobile.compress.chain`).
"""

from __future__ import annotations

import time

from .data import FramePipeline, load_frames
from .model import DetectorTargets, training_model


def _fine_tune(
    model,
    pipe: FramePipeline,
    epochs: int,
    batch_size: int,
    lr: float,
    pixels: bool,
    loss,
    callbacks=(),
):
    """``epochs`` over ``pipe`` with the detector loss; warm-up over 5% of the steps, then cosine
    to 0, as the pose chain's fine-tunes. ``pixels``: the model takes pixel values (a QAT model)."""
    from ..keras import build_training_state, keras
    from ..train.schedule import warmup_cosine

    steps = max(1, len(pipe) // batch_size)
    total = max(1, steps * epochs)
    opt = keras.optimizers.Adam(warmup_cosine()(lr, max(1, total // 20), total, floor=0.0))
    trainer = training_model(model)
    trainer.compile(opt, loss=loss)
    build_training_state(trainer)
    for epoch in range(epochs):
        ds = pipe.dataset(batch_size, 1000 + epoch)
        if pixels:
            ds = ds.map(lambda x, t: ((x + 1.0) * 127.5, t))
        trainer.fit(ds, epochs=1, verbose=0, callbacks=list(callbacks))


def pqat_detector(
    model_path,
    train_dir,
    target_sparsity: float = 0.3,
    prune_epochs: int = 4,
    qat_epochs: int = 2,
    batch_size: int = 16,
    learning_rate: float = 5e-4,
    seed: int = 0,
    progress=print,
    targets: DetectorTargets = DetectorTargets(),
):
    """Prune the Keras detector at ``model_path`` to ``target_sparsity`` of its prunable kernels
    over ``prune_epochs`` on the frames of ``train_dir`` (0: no pruning), then ``qat_epochs`` of
    prune-preserving QAT. Returns ``(QAT model with pixel input, report)``; the report gives each
    stage's seconds and the kernels' sparsity. ``targets``: how the detector was taught
    (:class:`.model.DetectorTargets`); the fine-tunes teach it the same way."""
    from ..compress import prune as P
    from ..compress import quantize as Q
    from ..keras import tf
    from ..models.saved import load_keras_model

    tf.keras.utils.set_random_seed(seed)
    det = load_keras_model(model_path)
    codec = targets.codec(tuple(int(v) for v in det.inputs[0].shape[1:3]))
    pipe = FramePipeline(
        load_frames(train_dir), codec, training=True, seed=seed, jitter=targets.jitter
    )
    report = {
        "target_sparsity": target_sparsity,
        "prune_epochs": prune_epochs,
        "qat_epochs": qat_epochs,
    }
    if target_sparsity > 0 and prune_epochs > 0:
        steps = max(1, len(pipe) // batch_size) * prune_epochs
        wrapped = P.prune_model(det, target_sparsity, 0, int(steps * 0.7), max(1, steps // 20))
        progress(f"detector prune: {prune_epochs} epochs to {target_sparsity:.0%} sparsity")
        t0 = time.perf_counter()
        _fine_tune(
            wrapped,
            pipe,
            prune_epochs,
            batch_size,
            learning_rate,
            False,
            targets.loss(),
            P.callbacks(),
        )
        report["prune_seconds"] = round(time.perf_counter() - t0, 1)
        det = P.strip(wrapped)
    qat = Q.qat_model(det, preserve_sparsity=True)
    batches = (((x + 1.0) * 127.5) for x, _ in pipe.dataset(batch_size, 2000))
    n = Q.calibrate_ranges(qat, (x for _, x in zip(range(Q.CALIBRATION_BATCHES), batches)))
    progress(f"detector qat: ranges calibrated on {n} batches; {qat_epochs} epochs of PQAT")
    t0 = time.perf_counter()
    _fine_tune(qat, pipe, qat_epochs, batch_size, learning_rate, True, targets.loss())
    report["qat_seconds"] = round(time.perf_counter() - t0, 1)
    report["sparsity"] = P.sparsity_report(qat)
    return qat, report
