"""Keras -> TFLite conversion for the four formats, and the op audit of the result.

Formats (all take RGB pixels, see :mod:`posenet_mobile.compress.quantize`):

==========  ==============================  =============  ==========================================
format      weights                         input          notes
==========  ==============================  =============  ==========================================
float32     float32                         float32 0..255 reference; largest
float16     float16 (dequantised at load)   float32 0..255 half the size, float maths
dynamic     int8, activations float         float32 0..255 dynamic-range quantization
int8        int8, activations int8          uint8 RGB      fully integer; outputs int8 (scale, zero point
                                                           in the tensor); PTQ or from a QAT model
==========  ==============================  =============  ==========================================
"""

from __future__ import annotations

import contextlib
import io
import os

import numpy as np

from ..errors import ExportError
from ..keras import tf

FORMATS = ("float32", "float16", "dynamic", "int8")

#: Ops allowed to carry float tensors in an int8 file: none inside the network. QUANTIZE /
#: DEQUANTIZE at the boundary are integer requantisations when the I/O is (u)int8.
_FLOAT_DTYPES = (np.float32, np.float16, np.float64)


@contextlib.contextmanager
def _quiet_converter():
    """The converter prints MLIR diagnostics on stderr; keep them unless POSENET_MOBILE_TF_LOGS."""
    if os.environ.get("POSENET_MOBILE_TF_LOGS"):
        yield
        return
    try:
        fd = 2
        saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    except OSError:
        yield
        return
    os.dup2(devnull, fd)
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


def convert(model, fmt: str, representative=None, qat: bool = False, extra_float_ok: bool = False,
            per_channel: bool = True) -> bytes:
    """Convert a pixel-input tf_keras model to TFLite bytes.

    representative: for ``int8`` PTQ, a callable returning an iterator of ``[(1, H, W, 3) float32
    pixels]`` (see :func:`representative_dataset`). qat: ``model`` is a QAT model (its fake-quant
    ranges are used; no calibration). extra_float_ok: allow float builtin ops after the integer
    network (the in-graph decoder); otherwise int8 conversion is restricted to integer kernels.
    per_channel: False quantizes PTQ weights per tensor (one scale per kernel): smaller files for
    narrow models, whose per-channel scales and zero points (12 bytes per output channel, twice
    with the bias) are a large share of the file, at some accuracy cost.
    """
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    return run_converter(conv, fmt, representative, qat, extra_float_ok, per_channel)


def run_converter(conv, fmt: str, representative=None, qat: bool = False, extra_float_ok: bool = False,
                  per_channel: bool = True) -> bytes:
    """Configure ``conv`` (any ``TFLiteConverter``) for ``fmt`` as :func:`convert` describes; convert."""
    if fmt not in FORMATS:
        raise ExportError(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "float16":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        conv.target_spec.supported_types = [tf.float16]
    elif fmt == "dynamic":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    elif fmt == "int8":
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if not qat:
            if representative is None:
                raise ExportError("int8 post-training quantization needs a representative dataset")
            conv.representative_dataset = representative
            conv._experimental_disable_per_channel = not per_channel  # the converter's only switch
            if not extra_float_ok:
                conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        conv.inference_input_type = tf.uint8
        conv.inference_output_type = tf.float32 if extra_float_ok else tf.int8
    try:
        with _quiet_converter():
            return bytes(conv.convert())
    except Exception as exc:  # the converter raises many types; name the format and the cause
        msg = str(exc).strip().splitlines()
        what = fmt + (", in-graph decoder" if extra_float_ok else "")
        raise ExportError(f"TFLite conversion to {what} failed: {msg[-1] if msg else type(exc).__name__}") from exc


def representative_dataset(pixel_batches, limit: int):
    """Calibration generator over float32 pixel crops ``(B, H, W, 3)`` from the inference pipeline.

    The first sample gets one pixel at 0 and one at 255 so the input tensor's calibrated range is
    exactly [0, 255] (uint8 scale 1, zero point 0); all else is the crops unchanged.
    """

    def gen():
        n = 0
        for batch in pixel_batches():
            for img in np.asarray(batch, np.float32):
                img = img.copy()
                if n == 0:
                    img[0, 0, 0], img[0, 1, 0] = 0.0, 255.0
                yield [img[None]]
                n += 1
                if n >= limit:
                    return

    return gen


def op_list(model_bytes: bytes) -> list[dict]:
    """Ops of the main subgraph: ``[{index, op, inputs: [dtype], outputs: [dtype]}]``."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    it = Interpreter(model_content=model_bytes,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)  # fmt: skip
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    ops = []
    for op in it._get_ops_details():  # the public API has no op list; this is what the analyzer uses
        dt = lambda idx: [np.dtype(tensors[i]["dtype"]).name for i in idx if i >= 0 and i in tensors]  # noqa: E731
        ops.append({"index": int(op["index"]), "op": op["op_name"], "inputs": dt(op["inputs"]), "outputs": dt(op["outputs"])})
    return ops


def float_ops(ops: list[dict]) -> list[str]:
    """Ops that compute in float (a float output tensor), excluding DEQUANTIZE of constants."""
    bad = []
    for op in ops:
        if op["op"] == "DEQUANTIZE":
            continue
        if any(d.startswith("float") for d in op["outputs"]):
            bad.append(f"{op['op']}#{op['index']}")
    return bad


def audit_int8(model_bytes: bytes, allow_after: set | None = None) -> dict:
    """Check an int8 file is integer inside: uint8 input, no float op. Raises ExportError naming
    the first float op unless it is in ``allow_after`` (op names allowed to be float, e.g. the
    in-graph decoder). Returns ``{"ops": counts, "float_ops": [...]}``."""
    ops = op_list(model_bytes)
    bad = float_ops(ops)
    allowed = [b for b in bad if allow_after and b.split("#")[0] in allow_after]
    bad = [b for b in bad if b not in allowed]
    if bad:
        raise ExportError(f"int8 export: float ops slipped into the integer graph: {', '.join(bad[:8])}"
                          + (" ..." if len(bad) > 8 else ""))  # fmt: skip
    counts: dict = {}
    for op in ops:
        counts[op["op"]] = counts.get(op["op"], 0) + 1
    return {"ops": counts, "float_ops": allowed}


def short_tensor_names(model_bytes: bytes, output_names=None, input_name: str = "image") -> bytes:
    """Rename every tensor of ``model_bytes``: inputs ``input_name``, outputs ``output_names``
    (in output order; default ``output_0``...), all others ``t<index>``.

    The converter names tensors after the fused TF ops (``model/block_3_expand/Conv2D;model/...``),
    about 20 KB of strings in a 270k-parameter model: 6% of its int8 file. Kernels and signatures
    address tensors by index, so the renamed file computes exactly the same.
    """
    from ai_edge_litert.tools import flatbuffer_utils as fu

    model = fu.convert_bytearray_to_object(bytearray(model_bytes))
    for sg in model.subgraphs:
        outs = list(sg.outputs)
        names = list(output_names) if output_names is not None and len(output_names) == len(outs) else \
            [f"output_{i}" for i in range(len(outs))]  # fmt: skip
        fixed = {int(t): (input_name if len(sg.inputs) == 1 else f"{input_name}_{i}") for i, t in enumerate(sg.inputs)}
        fixed.update({int(t): n for t, n in zip(outs, names)})
        for i, tensor in enumerate(sg.tensors):
            tensor.name = fixed.get(i, f"t{i}").encode()
    return bytes(fu.convert_object_to_bytearray(model))
