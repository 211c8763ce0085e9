"""Magnitude pruning with tfmot (Zhu & Gupta 2017), built on a copy so the base model is untouched.

Only regular ``Conv2D`` and ``Dense`` kernels are pruned. ``DepthwiseConv2D`` has no prunable
weights in tfmot's registry, and frozen layers (the integral head's soft-argmax grid) must keep
their values, so both are left dense and reported as such by :func:`sparsity_report`.

Pruning zeroes weights but keeps them stored: a pruned ``.tflite`` has the same raw size as a
dense one and is smaller only once compressed (gzip, or an app store's download compression).

Block sparsity (``compress.block_size``, e.g. ``(4, 1)``) zeroes runs of consecutive input
weights of one output channel instead of single weights. TFLite stores a conv filter as
``[out, kh, kw, in]``, so for 1x1 convolutions and Dense kernels such a block is a run of zero
bytes in the file, which deflate encodes more cheaply than scattered zeros. It applies to the
kernels whose shape squeezes to 2-D (1x1 ``Conv2D``, ``Dense``); other prunable kernels (the 3x3
stem) are pruned weight by weight.
"""

from __future__ import annotations


from ..keras import keras, layers, tfmot


def is_prunable(layer) -> bool:
    """True for trainable Conv2D/Dense layers (not DepthwiseConv2D, not frozen)."""
    return (
        isinstance(layer, (layers.Conv2D, layers.Dense))
        and not isinstance(layer, layers.DepthwiseConv2D)
        and layer.trainable
    )


def is_block_prunable(layer) -> bool:
    """True for prunable layers whose kernel is a 2-D matrix once squeezed (1x1 Conv2D, Dense with
    more than one unit): the kernels tfmot's block masking can handle (see :func:`_allow_squeezed_blocks`)."""
    if not is_prunable(layer):
        return False
    if isinstance(layer, layers.Dense):
        return int(layer.units) > 1
    return (
        tuple(layer.kernel_size) == (1, 1)
        and int(getattr(layer, "groups", 1)) == 1
        and int(layer.filters) > 1
    )


def _allow_squeezed_blocks() -> None:
    """Let tfmot block-prune 1x1 conv kernels.

    tfmot 0.8's ``Pruning._validate_block`` refuses block sparsity for any kernel that is not
    2-D, yet its block masking (``_maybe_update_block_mask``) squeezes the kernel to 2-D, masks
    it and reshapes the mask back. A ``(1, 1, in, out)`` kernel therefore works; this relaxes the
    check to "squeezes to 2-D". Tested by ``test_block_pruning_zeroes_runs_of_input_weights``.
    """
    from tensorflow_model_optimization.python.core.sparsity.keras import pruning_impl

    if getattr(pruning_impl.Pruning, "_posenet_squeezed_blocks", False):
        return

    def _validate_block(self):
        if self._block_size != [1, 1]:
            for weight, _, _ in self._pruning_vars:
                if len([d for d in weight.get_shape() if d != 1]) != 2:
                    raise ValueError(
                        "Block Sparsity can only be used for layers whose weights squeeze to 2 dimensions."
                    )

    pruning_impl.Pruning._validate_block = _validate_block
    pruning_impl.Pruning._posenet_squeezed_blocks = True


def copy_model(model) -> "keras.Model":
    """A functional copy with new layers and the same weights (nothing shared with ``model``)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for a, b in zip(model.layers, clone.layers):
        b.trainable = a.trainable
    return clone


def prune_model(
    model,
    target_sparsity: float = 0.5,
    begin_step: int = 0,
    end_step: int = 1000,
    frequency: int = 50,
    block_size=(1, 1),
) -> "keras.Model":
    """Wrap the prunable layers of a copy of ``model`` with ``prune_low_magnitude``.

    Sparsity ramps from 0 to ``target_sparsity`` with tfmot's ``PolynomialDecay`` between
    ``begin_step`` and ``end_step`` (optimizer steps). ``block_size`` ``(input weights, output
    channels)`` other than ``(1, 1)`` prunes the :func:`is_block_prunable` kernels in blocks
    (tfmot's average-magnitude block pooling). Train the result with the :func:`callbacks`, then
    :func:`strip`.
    """
    if not 0.0 <= target_sparsity < 1.0:
        from ..errors import ConfigError

        raise ConfigError(
            f"compress.target_sparsity: expected 0 <= value < 1, got {target_sparsity}"
        )
    from ..train.config import block_size as _block

    block = _block(block_size)
    if block != (1, 1):
        _allow_squeezed_blocks()
    sparsity = tfmot().sparsity.keras
    schedule = sparsity.PolynomialDecay(
        0.0,
        float(target_sparsity),
        int(begin_step),
        max(int(end_step), begin_step + 1),
        frequency=max(1, int(frequency)),
    )
    base = copy_model(model)

    def wrap(layer):
        fresh = layer.__class__.from_config(layer.get_config())
        if is_prunable(layer):
            extra = {"block_size": block} if block != (1, 1) and is_block_prunable(layer) else {}
            return sparsity.prune_low_magnitude(fresh, pruning_schedule=schedule, **extra)
        return fresh

    pruned = keras.models.clone_model(base, clone_function=wrap)
    _copy_weights_into_wrappers(base, pruned)
    return pruned


def _copy_weights_into_wrappers(src, dst) -> None:
    by_name = {l.name: l for l in src.layers}
    for layer in dst.layers:
        inner = getattr(layer, "layer", layer)
        ref = by_name.get(inner.name)
        if ref is not None and ref.weights:
            inner.set_weights(ref.get_weights())
            inner.trainable = ref.trainable


def callbacks() -> list:
    """The callbacks a pruning fine-tune needs (``UpdatePruningStep`` is mandatory)."""
    return [tfmot().sparsity.keras.UpdatePruningStep()]


def strip(model) -> "keras.Model":
    """Remove the pruning wrappers, keeping the zeroed weights (a plain tf_keras model)."""
    return tfmot().sparsity.keras.strip_pruning(model)


def _kernel_variable(layer):
    """The conv/dense kernel variable of a layer, a pruning wrapper or a QAT wrapper."""
    for v in layer.weights:
        if v.name.split("/")[-1].split(":")[0] in ("kernel", "depthwise_kernel"):
            return v
    return None


def sparsity_report(model) -> dict:
    """Per-layer kernel sparsity and totals.

    Returns ``{"layers": [{name, type, params, zeros, sparsity, prunable}], "prunable_sparsity":
    zeros / params over prunable kernels, "overall_sparsity": over every conv/dense kernel,
    "not_prunable": names of depthwise/frozen kernels left dense}``.
    """
    rows, pz, pn, az, an = [], 0, 0, 0, 0
    for layer in model.layers:
        inner = getattr(layer, "layer", layer)
        kernel = _kernel_variable(layer)
        if kernel is None:
            continue
        w = kernel.numpy()
        zeros, n = int((w == 0).sum()), int(w.size)
        prunable = is_prunable(inner)
        rows.append(
            {
                "name": inner.name,
                "type": type(inner).__name__,
                "params": n,
                "zeros": zeros,
                "sparsity": round(zeros / n, 4),
                "prunable": prunable,
            }
        )
        az, an = az + zeros, an + n
        if prunable:
            pz, pn = pz + zeros, pn + n
    return {
        "layers": rows,
        "prunable_sparsity": round(pz / pn, 4) if pn else 0.0,
        "overall_sparsity": round(az / an, 4) if an else 0.0,
        "prunable_params": pn,
        "kernel_params": an,
        "not_prunable": [r["name"] for r in rows if not r["prunable"]],
    }
