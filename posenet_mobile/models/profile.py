"""Parameter and multiply-accumulate (MAC) counts of a built tf_keras model.

MACs count Conv2D, DepthwiseConv2D and Dense only (BatchNorm folds into the conv at export;
adds, upsampling, softmax and pooling are a rounding error next to them). One image, so the
batch dimension is dropped.
"""

from __future__ import annotations

import numpy as np

from ..keras import layers


def count_macs(model) -> int:
    """Multiply-accumulates for one forward pass of one image."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.DepthwiseConv2D):
            _, h, w, c = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * c
        elif isinstance(layer, layers.Conv2D):
            _, h, w, cout = layer.output.shape
            kh, kw = layer.kernel_size
            cin = layer.input.shape[-1]
            total += h * w * kh * kw * cin * cout // layer.groups
        elif isinstance(layer, layers.Dense):
            in_shape = layer.input.shape
            rows = int(np.prod(in_shape[1:-1])) if len(in_shape) > 2 else 1
            total += rows * in_shape[-1] * layer.units
    return int(total)


def profile(model) -> dict:
    """``{"params", "trainable_params", "macs"}`` of ``model``."""
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return {
        "params": int(model.count_params()),
        "trainable_params": trainable,
        "macs": count_macs(model),
    }


def profile_heads(input_size=(192, 192), widths=(0.35, 0.5), heads=None, **model_kwargs) -> list:
    """Params and MACs of every head at each width, training graph and exported graph.

    Returns a list of dicts ``{head, width, input_size, train: {...}, export: {...}}``.
    """
    from ..config import HEAD_TYPES, ModelConfig
    from .build import build_model, inference_model

    rows = []
    for head in heads or HEAD_TYPES:
        for width in widths:
            cfg = ModelConfig(input_size=tuple(input_size), width=width, head=head, **model_kwargs)
            model = build_model(cfg)
            rows.append(
                {
                    "head": head,
                    "width": width,
                    "input_size": list(cfg.input_size),
                    "output_stride": cfg.output_stride,
                    "train": profile(model),
                    "export": profile(inference_model(model, head)),
                }
            )
    return rows
