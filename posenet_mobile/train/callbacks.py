"""What happens after each training epoch (:class:`EpochEnd`): validate, checkpoint atomically,
keep the best model, log, and plot the learning curve."""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path

from ..io import write_json_atomic
from ..viz import save_figure
from .evaluate import evaluate
from .saving import save_model_atomic, write_checkpoint


def _callback_base():
    from ..keras import keras

    return keras.callbacks.Callback


class EpochEnd(_callback_base()):
    """After each epoch: validate, checkpoint atomically, keep the best model, log and plot."""

    def __init__(
        self, run, out, ckpt, model, opt, val_pipe, tcfg, state, history, info, stop_after, progress
    ):
        super().__init__()
        self.run, self.out, self.ckpt, self.net, self.opt = run, out, ckpt, model, opt
        self.val_pipe, self.tcfg, self.state, self.history, self.info = (
            val_pipe,
            tcfg,
            dict(state),
            history,
            info,
        )
        self.stop_after, self.progress = stop_after, progress
        self.t0 = time.perf_counter()
        self.diverged = None
        self.stopped = False

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        loss = float(logs.get("loss", 0.0))
        if not math.isfinite(
            loss
        ):  # nothing of this epoch is kept: the last checkpoint stays the resume point
            self.diverged = (epoch + 1, loss)
            self._stop()
            return
        train_s = time.perf_counter() - self.t0
        done = epoch + 1
        scored = (
            done % self.tcfg.eval_every == 0 or done >= self.tcfg.epochs or done == self.stop_after
        )
        m = evaluate(self.net, self.val_pipe, self.tcfg.eval_batch_size) if scored else None
        seconds = time.perf_counter() - self.t0
        lr = _current_lr(self.opt)
        val = {
            k: (m[k] if m else None) for k in ("pck", "AP", "AP50", "AP75")
        }  # None: not scored (eval_every)
        row = {
            "epoch": done,
            "seconds": round(seconds, 2),
            "train_seconds": round(train_s, 2),
            "lr": lr,
            **{k: float(v) for k, v in logs.items()},
            "val_pck": val["pck"],
            "val_AP": val["AP"],
            "val_AP50": val["AP50"],
            "val_AP75": val["AP75"],
        }
        for key, value in row.items():
            self.history.setdefault(key, []).append(value)
        best = self.state.get("best_pck", -1.0)
        improved = m is not None and math.isfinite(m["pck"]) and m["pck"] > best
        if improved:  # every worker saves (non-chief into its own folder): creating the
            # uncompiled copy's variables is a collective under MultiWorkerMirroredStrategy
            save_model_atomic(self.net, self.run / "model.keras")
        ck_name = f"checkpoints/epoch_{epoch + 1:04d}"
        write_checkpoint(self.ckpt, self.run / ck_name)
        self.state.update(epoch=epoch + 1, checkpoint=f"{ck_name}/ckpt", history=self.history)
        if improved:
            self.state.update(best_pck=m["pck"], best_epoch=epoch + 1, best_metrics=m)
        write_json_atomic(self.run / "state.json", self.state)
        for old in (self.run / "checkpoints").glob("epoch_*"):
            if old.name != f"epoch_{epoch + 1:04d}":
                shutil.rmtree(old, ignore_errors=True)
        if self.info["chief"]:
            write_json_atomic(self.out / "history.json", self.history)
            plot_learning_curve(self.history, self.out / "learning_curve.png")
        per_epoch = sum(self.history["seconds"][-3:]) / len(self.history["seconds"][-3:])
        eta = per_epoch * (self.tcfg.epochs - done)
        scores = f"val PCK@0.2 {m['pck']:.3f}  AP {m['AP']:.3f}" if m else "(not scored)"
        self.progress(
            f"epoch {done}/{self.tcfg.epochs}  loss {logs.get('loss', float('nan')):.4f}  "
            f"{scores}  {seconds:.0f}s  ETA {eta / 60:.1f} min" + ("  *best" if improved else "")
        )
        if self.stop_after is not None and done >= self.stop_after:
            self._stop()

    def _stop(self) -> None:
        """End training: the model being fitted (a resized one, under progressive resizing)
        stops after this epoch, and the trainer starts no later phase."""
        self.stopped = True
        self.net.stop_training = True
        if self.model is not None:
            self.model.stop_training = True


def _current_lr(opt) -> float:
    """The learning rate after the last step, for a schedule or a (mirrored) variable."""
    from ..keras import keras

    lr = opt.learning_rate
    if callable(lr) and not hasattr(lr, "numpy"):
        lr = lr(keras.backend.get_value(opt.iterations))
    return float(keras.backend.get_value(lr))


def plot_learning_curve(history: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = history.get("epoch", [])
    if not ep:
        return
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(ep, history["loss"], "o-", label="train loss")
    for key in (
        "heatmaps_loss",
        "offsets_loss",
        "coords_loss",
        "coords_dist_loss",
        "visibility_loss",
        "facing_loss",
        "simcc_x_loss",
        "simcc_y_loss",
    ):
        if key in history:
            a.plot(ep, history[key], "--", label=key.replace("_loss", ""))
    a.set_yscale("log")
    a.set_xlabel("epoch")
    a.set_title("training loss (weighted total and per output)")
    a.legend(fontsize=7)
    scored = [
        i for i, v in enumerate(history["val_pck"]) if v is not None
    ]  # eval_every skips epochs
    b.plot(
        [ep[i] for i in scored], [history["val_pck"][i] for i in scored], "o-", label="val PCK@0.2"
    )
    b.plot(
        [ep[i] for i in scored], [history["val_AP"][i] for i in scored], "s-", label="val OKS AP"
    )
    b.set_ylim(0, 1)
    b.set_xlabel("epoch")
    b.set_title("validation")
    b.legend()
    b.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)
