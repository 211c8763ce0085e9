"""Magnitude pruning with tfmot (Zhu & Gupta 2017), built on a copy so the base model is untouched.

Only regular ``Conv2D`` and ``Dense`` kernels are pruned. ``DepthwiseConv2D`` has no prunable
weights in tfmot's registry, and frozen layers (the integral head's soft-argmax grid) must keep
their values, so both are left dense and reported as such by :func:`sparsity_report`.

Pruning zeroes weights but keeps them stored: a pruned ``.tflite`` has the same raw size as a
dense one and is smaller only once compressed (gzip, or an app store's download compression).
"""

from __future__ import annotations


from ..keras import keras, layers, tfmot


def is_prunable(layer) -> bool:
    """True for trainable Conv2D/Dense layers (not DepthwiseConv2D, not frozen)."""
    return (isinstance(layer, (layers.Conv2D, layers.Dense)) and not isinstance(layer, layers.DepthwiseConv2D)
            and layer.trainable)  # fmt: skip


def copy_model(model) -> "keras.Model":
    """A functional copy with new layers and the same weights (nothing shared with ``model``)."""
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    for a, b in zip(model.layers, clone.layers):
        b.trainable = a.trainable
    return clone


def prune_model(model, target_sparsity: float = 0.5, begin_step: int = 0, end_step: int = 1000,
                frequency: int = 50) -> "keras.Model":  # fmt: skip
    """Wrap the prunable layers of a copy of ``model`` with ``prune_low_magnitude``.

    Sparsity ramps from 0 to ``target_sparsity`` with tfmot's ``PolynomialDecay`` between
    ``begin_step`` and ``end_step`` (optimizer steps). Train the result with the
    :func:`callbacks`, then :func:`strip`.
    """
    if not 0.0 <= target_sparsity < 1.0:
        from ..errors import ConfigError

        raise ConfigError(f"compress.target_sparsity: expected 0 <= value < 1, got {target_sparsity}")
    sparsity = tfmot().sparsity.keras
    schedule = sparsity.PolynomialDecay(0.0, float(target_sparsity), int(begin_step), max(int(end_step), begin_step + 1),
                                        frequency=max(1, int(frequency)))  # fmt: skip
    base = copy_model(model)

    def wrap(layer):
        fresh = layer.__class__.from_config(layer.get_config())
        if is_prunable(layer):
            return sparsity.prune_low_magnitude(fresh, pruning_schedule=schedule)
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
        rows.append({"name": inner.name, "type": type(inner).__name__, "params": n, "zeros": zeros,
                     "sparsity": round(zeros / n, 4), "prunable": prunable})  # fmt: skip
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
