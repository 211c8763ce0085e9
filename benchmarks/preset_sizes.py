"""Exported file sizes of each preset's model, raw and gzip, dense and 50% sparse; prints JSON.

Not a test, and no training: sizes depend on the tensor shapes, not on what the weights learnt,
except the gzip figures, which depend on the weights' distribution. So each preset's model is
built at initialisation, with random BatchNorm statistics (:func:`perturb_batchnorm`), or loaded
from ``--run`` for trained weights, and the sparse variant zeroes the smallest-magnitude 50% of
every prunable kernel (the mask tfmot's magnitude pruning ends with, per layer). Both are converted to int8 PTQ per channel (calibrated on a few random
crops: the scales' values do not change the size) and compared with the float32 file. Tensors
are renamed as the export renames them; the export's metadata (a few KB) is not included.

The compression targets are int8 <= 30% of float32 and, at 50% sparsity, gzip <= 75% of the dense int8
gzip. Per-channel quantization adds a fixed cost per output channel (a float32 scale and an
int64 zero point for the filter and again for the bias, plus the int32 bias), which is large next
to the few input weights per channel of a narrow model; this shows how that share falls with
width. `--run runs/X` on a trained quickstart run checks the initialised-weight gzip estimate
against trained weights (benchmarks/compression.py measures the real PQAT file).

Usage: .venv/bin/python benchmarks/preset_sizes.py [--preset quickstart mobile accurate]
       [--run RUN ...] [--sparsity 0.5]
"""

import argparse
import json

import numpy as np


def magnitude_prune(model, sparsity: float):
    """A copy of ``model`` with the smallest ``sparsity`` of each prunable kernel set to zero."""
    from posenet_mobile.compress.prune import copy_model, is_prunable

    out = copy_model(model)
    for layer in out.layers:
        if not is_prunable(layer):
            continue
        weights = layer.get_weights()
        k = weights[0]
        n = int(round(sparsity * k.size))
        if n:
            cut = np.partition(np.abs(k).ravel(), n - 1)[n - 1]
            k = np.where(np.abs(k) <= cut, 0.0, k).astype(k.dtype)
        layer.set_weights([k] + weights[1:])
    return out


def perturb_batchnorm(model, seed: int = 0) -> None:
    """Give every BatchNormalization layer of an initialised model non-trivial statistics.

    At initialisation every folded bias is zero, and the converter stores identical constants
    once, which would make initialised files about a point of float32 smaller than trained ones.
    """
    from posenet_mobile.keras import keras

    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, gamma.shape).astype(gamma.dtype),
                    rng.normal(0, 0.1, beta.shape).astype(beta.dtype),
                    rng.normal(0, 0.1, mean.shape).astype(mean.dtype),
                    rng.uniform(0.5, 1.5, var.shape).astype(var.dtype),
                ]
            )


def sizes(name: str, model, mcfg, sparsity: float) -> dict:
    """One JSON row: ``model`` (built from ModelConfig ``mcfg``) as float32, int8 and sparse int8."""
    from posenet_mobile.export import tflite as T
    from posenet_mobile.models.build import inference_model
    from posenet_mobile.models.profile import profile

    h, w = model.input_shape[1:3]
    rng = np.random.default_rng(0)
    rep = T.representative_dataset(
        lambda: [rng.uniform(0, 255, (4, h, w, 3)).astype(np.float32)], 4
    )
    plain = inference_model(model, mcfg.head)
    # tensors renamed as the export renames them (long converter names would count otherwise)
    f32 = T.short_tensor_names(T.convert(plain, "float32"))
    dense = T.short_tensor_names(T.convert(plain, "int8", representative=rep))
    sparse_model = inference_model(magnitude_prune(model, sparsity), mcfg.head)
    sparse = T.short_tensor_names(T.convert(sparse_model, "int8", representative=rep))
    parts = T.size_breakdown(dense)
    sparse_parts = T.size_breakdown(sparse)
    n = len(f32)
    return {
        "model": name,
        "input_size": list(mcfg.input_size),
        "width": mcfg.width,
        "head": mcfg.head,
        "params_inference": profile(plain)["params"],
        "float32_bytes": n,
        "int8_bytes": len(dense),
        "int8_over_float32_raw": round(len(dense) / n, 3),
        "int8_quantization_params_share_raw": round(
            parts["quantization_params"]["bytes"] / len(dense), 3
        ),
        "int8_dense_gzip": parts["total"]["gzip_bytes"],
        f"int8_sparse{int(sparsity * 100)}_gzip": sparse_parts["total"]["gzip_bytes"],
        "sparse_gzip_over_dense_gzip": round(
            sparse_parts["total"]["gzip_bytes"] / parts["total"]["gzip_bytes"], 3
        ),
        "prunable_weights_zero_fraction": sparse_parts["prunable_weights"]["zero_fraction"],
        "prunable_weights_share_of_dense_gzip": round(
            parts["prunable_weights"]["gzip_bytes"] / parts["total"]["gzip_bytes"], 3
        ),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", nargs="*", default=["quickstart", "mobile", "accurate"])
    ap.add_argument(
        "--run", nargs="*", default=[], help="trained run directories (their model.keras)"
    )
    ap.add_argument("--sparsity", type=float, default=0.5)
    a = ap.parse_args()

    from posenet_mobile.models.build import build_model
    from posenet_mobile.runs import load_run
    from posenet_mobile.train.config import load_config

    rows = []
    for preset in a.preset:
        m = load_config(preset).model
        model = build_model(m)
        perturb_batchnorm(model)
        rows.append(sizes(f"{preset} (initialised weights)", model, m, a.sparsity))
    for run_dir in a.run:
        run = load_run(run_dir)
        rows.append(
            sizes(f"{run_dir} (trained weights)", run.load_float(), run.cfg.model, a.sparsity)
        )
    print(json.dumps({"sparsity": a.sparsity, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
