"""Atomic saving of training state: ``tf.train.Checkpoint`` folders and ``.keras`` model files,
written to a temporary name and renamed, for training and the compression stages alike."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..io import temp_path


def write_checkpoint(ckpt, final_dir: Path) -> None:
    """Write a ``tf.train.Checkpoint`` into a temporary folder, then move it to ``final_dir``."""
    tmp = temp_path(final_dir)
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        ckpt.write(str(tmp / "ckpt"))
        shutil.rmtree(final_dir, ignore_errors=True)
        os.replace(tmp, final_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def float32_config(config):
    """A Keras model config with every layer's mixed-precision policy replaced by ``float32``
    (variables are float32 under mixed precision already, so the weights carry over as they are)."""
    if isinstance(config, dict):
        out = {}
        for k, v in config.items():
            mixed = isinstance(v, dict) and v.get("class_name") in ("Policy", "DTypePolicy")
            out[k] = (
                "float32"
                if (k == "dtype" and (mixed or str(v).startswith("mixed_")))
                else float32_config(v)
            )
        return out
    if isinstance(config, list):
        return [float32_config(v) for v in config]
    return config


def save_model_atomic(model, path: Path) -> None:
    """Save an uncompiled copy (Keras format: no optimizer or custom losses, float32, no
    training-only stop-gradient ops) to a temp name, rename."""
    from ..keras import keras
    from ..models.build import strip_stop_gradients

    clone = keras.Model.from_config(strip_stop_gradients(float32_config(model.get_config())))
    clone.set_weights(model.get_weights())
    tmp = temp_path(path, keep_suffix=True)  # Keras picks the format by the suffix
    try:
        clone.save(str(tmp))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


__all__ = ["float32_config", "save_model_atomic", "write_checkpoint"]
