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


def convert(
    model,
    fmt: str,
    representative=None,
    qat: bool = False,
    extra_float_ok: bool = False,
    per_channel: bool = True,
) -> bytes:
    """Convert a pixel-input tf_keras model to TFLite bytes.

    representative: for ``int8`` PTQ, a callable returning an iterator of ``[(1, H, W, 3) float32
    pixels]`` (see :func:`representative_dataset`). qat: ``model`` is a QAT model (its fake-quant
    ranges are used; no calibration). extra_float_ok: allow float builtin ops after the integer
    network (the in-graph decoder); otherwise int8 conversion is restricted to integer kernels.
    per_channel: False quantizes PTQ weights per tensor (one scale per kernel): smaller files for
    narrow models, whose per-channel scales and zero points (12 bytes per output channel, twice
    with the bias) are a large share of the file, at some accuracy cost.
    """
    return run_converter(
        keras_converter(model), fmt, representative, qat, extra_float_ok, per_channel
    )


def keras_converter(model):
    """A ``TFLiteConverter`` for a tf_keras model, from one traced inference function.

    ``from_keras_model`` saves the model as a SavedModel first, and tf_keras serialises every
    layer's call and training functions into it: most of an export's time on a small model.
    Here one concrete function of ``model(x, training=False)`` is handed over with
    :func:`variable_holder`, so the converter's SavedModel lowering (the same path) stores that
    function and the variables only. The converter's signature lists the outputs in the model's
    order, and the exporter names them from it (``exporter.output_names_by_signature``), so
    nothing relies on the converter's tensor names.

    The function is traced at a batch of one, the shape a phone runs: with an open batch size, a
    ``Reshape`` or a ``Dense`` on a rank-3 tensor (the simcc and regression heads) is converted
    into run-time shape arithmetic (SHAPE, STRIDED_SLICE, PACK, GATHER, REDUCE_PROD) before every
    reshape, ops the interpreter runs on each frame.
    """
    specs = [
        tf.TensorSpec(
            (1, *t.shape[1:]), t.dtype, name="image" if len(model.inputs) == 1 else f"image_{i}"
        )
        for i, t in enumerate(model.inputs)
    ]

    @tf.function(input_signature=specs)
    def serve(*x):
        return model(x[0] if len(x) == 1 else list(x), training=False)

    return concrete_converter(serve, model)


def variable_holder(model):
    """A plain ``tf.Module`` that tracks ``model``'s variables (weights, batch-norm statistics,
    fake-quant ranges): what a SavedModel of a function of ``model`` needs, without the Keras
    layer serialisation that saving ``model`` itself brings."""
    holder = tf.Module()
    holder.model_variables = list(model.variables)
    return holder


def concrete_converter(fn, model):
    """A ``TFLiteConverter`` for the ``tf.function`` ``fn`` (with an input signature) of ``model``."""
    return tf.lite.TFLiteConverter.from_concrete_functions(
        [fn.get_concrete_function()], variable_holder(model)
    )


def run_converter(
    conv,
    fmt: str,
    representative=None,
    qat: bool = False,
    extra_float_ok: bool = False,
    per_channel: bool = True,
) -> bytes:
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
        raise ExportError(
            f"TFLite conversion to {what} failed: {msg[-1] if msg else type(exc).__name__}"
        ) from exc


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

    it = Interpreter(
        model_content=model_bytes,
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    tensors = {t["index"]: t for t in it.get_tensor_details()}
    ops = []
    for (
        op
    ) in it._get_ops_details():  # the public API has no op list; this is what the analyzer uses
        dt = lambda idx: [
            np.dtype(tensors[i]["dtype"]).name for i in idx if i >= 0 and i in tensors
        ]  # noqa: E731
        ops.append(
            {
                "index": int(op["index"]),
                "op": op["op_name"],
                "inputs": dt(op["inputs"]),
                "outputs": dt(op["outputs"]),
            }
        )
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
        raise ExportError(
            f"int8 export: float ops slipped into the integer graph: {', '.join(bad[:8])}"
            + (" ..." if len(bad) > 8 else "")
        )
    counts: dict = {}
    for op in ops:
        counts[op["op"]] = counts.get(op["op"], 0) + 1
    return {"ops": counts, "float_ops": allowed}


#: How far the normalize op's gain, offset and output scale may sit from the training
#: normalisation's and still be folded: float rounding of the exact values, nothing more, so the
#: folded file computes what the op did.
_FOLD_RTOL = 1e-4


def normalization_text(scale: float) -> str:
    """The metadata's ``input.normalization`` for an input at quantization ``scale`` (0: float)."""
    if scale and scale != 1.0:
        return (
            "in the input's quantization: a uint8 pixel q is read as scale * (q - zero_point), "
            "the training normalisation x / 127.5 - 1 to within one input step (feed raw pixel "
            "values)"
        )
    return "inside the model: x / 127.5 - 1 (feed raw pixel values)"


def raw_pixel_input(scale: float, zero_point: int) -> bool:
    """Whether a uint8 input at (``scale``, ``zero_point``) takes raw camera bytes: scale 1 and
    zero point 0 (the normalize op inside), or the folded normalisation
    (:func:`fold_input_normalization`: scale 1/127.5, zero point 127 or 128)."""
    from ..geometry import INPUT_STD

    if (scale, zero_point) == (1.0, 0):
        return True
    return abs(scale * INPUT_STD - 1) <= _FOLD_RTOL and zero_point in (127, 128)


def _op_namer(m):
    """``op -> builtin op name`` (``""`` if unknown) for the operators of the flatbuffer object
    ``m`` (ai_edge_litert's object API)."""
    from ai_edge_litert.tools import flatbuffer_utils as fu

    names = {v: k for k, v in vars(fu.BuiltinOperator).items() if not k.startswith("_")}
    return lambda op: names.get(
        fu.get_builtin_code_from_operator_code(m.operatorCodes[op.opcodeIndex]), ""
    )


class _NotFoldable(Exception):
    pass


def fold_input_normalization(model_bytes: bytes) -> tuple[bytes, str | None]:
    """Move an int8 file's pixel normalisation from an op into its input's quantization.

    :func:`posenet_mobile.compress.quantize.with_pixel_input` gives every exported model a 1x1
    ``DepthwiseConv2D`` computing ``x / 127.5 - 1``, so the file takes raw pixels. In an int8 file
    that is ``QUANTIZE`` (uint8 pixels, scale 1) -> ``DEPTHWISE_CONV_2D`` (int8 out at scale
    ``s`` about 2/255, zero point ``z``) -> the network: a full pass over the input image, on three
    channels, which the int8 depthwise kernels run poorly. Here the depthwise op is cut and the
    input tensor takes its output's scale and zero point ``z + 128`` on uint8: the ``QUANTIZE``
    left is a plain zero-point shift, and a camera byte ``q`` still goes in unchanged, now read as
    ``s * (q - 128 - z)``. Against the op's own rounding of ``q / 127.5 - 1`` that differs by at
    most one input step (tests/test_export.py measures it), below the network's own int8 error.

    Returns ``(bytes, None)`` when folded, else ``(model_bytes unchanged, why)``: a file that does
    not start with that pattern, or whose normalize op is not exactly the training normalisation
    (a QAT stage made before :func:`posenet_mobile.compress.quantize.qat_model` froze that layer
    trained its kernel) keeps the op and computes as before.
    """
    try:
        return _fold_input_normalization(model_bytes), None
    except _NotFoldable as e:
        return model_bytes, str(e)


def _fold_input_normalization(model_bytes: bytes) -> bytes:
    from ai_edge_litert.tools import flatbuffer_utils as fu

    from ..geometry import INPUT_MEAN, INPUT_STD

    m = fu.convert_bytearray_to_object(bytearray(model_bytes))
    sg = m.subgraphs[0]
    op_name = _op_namer(m)

    def readers(t):
        return [i for i, op in enumerate(sg.operators) if t in [int(v) for v in op.inputs]]

    def fail(what):
        raise _NotFoldable(what)

    if len(sg.inputs) != 1:
        fail(f"expected one input, found {len(sg.inputs)}")
    inp = int(sg.inputs[0])
    first = readers(inp)
    if len(first) != 1 or op_name(sg.operators[first[0]]) != "QUANTIZE":
        fail(f"the input is read by {[op_name(sg.operators[i]) for i in first]}, expected QUANTIZE")
    quant = sg.operators[first[0]]
    mid = int(quant.outputs[0])
    second = readers(mid)
    if len(second) != 1 or op_name(sg.operators[second[0]]) != "DEPTHWISE_CONV_2D":
        fail(
            f"the quantized input is read by {[op_name(sg.operators[i]) for i in second]}, "
            "expected one DEPTHWISE_CONV_2D (the normalize layer)"
        )
    norm = sg.operators[second[0]]
    t_in, t_mid = sg.tensors[inp], sg.tensors[mid]
    kernel, bias = (sg.tensors[int(i)] for i in list(norm.inputs)[1:3])
    out = sg.tensors[int(norm.outputs[0])]

    def values(t, dtype):
        q = np.frombuffer(bytes(m.buffers[t.buffer].data), dtype)
        return (q.astype(np.float64) - np.asarray(t.quantization.zeroPoint)) * np.asarray(
            t.quantization.scale, np.float64
        )

    if t_in.type != fu.schema_fb.TensorType.UINT8 or list(t_in.quantization.scale) != [1.0]:
        fail("the input is not uint8 pixels at scale 1")
    x_scale = float(t_mid.quantization.scale[0])
    w = values(kernel, np.int8) * x_scale  # the multiplier on a pixel value
    b = np.frombuffer(bytes(m.buffers[bias.buffer].data), np.int32) * np.asarray(
        bias.quantization.scale, np.float64
    )
    if not (
        np.allclose(w, 1 / INPUT_STD, rtol=_FOLD_RTOL)
        and np.allclose(b, -INPUT_MEAN / INPUT_STD, atol=_FOLD_RTOL)
    ):
        fail(
            f"the first depthwise op computes x * {w.tolist()} + {b.tolist()}, not the normalisation"
        )
    scale, zero = float(out.quantization.scale[0]), int(out.quantization.zeroPoint[0])
    if abs(scale * INPUT_STD - 1) > _FOLD_RTOL or zero not in (-1, 0):
        fail(f"the normalised input's scale {scale} and zero point {zero} do not quantize [-1, 1]")
    t_in.quantization.scale = np.array([scale], np.float32)
    t_in.quantization.zeroPoint = np.array([zero + 128], np.int64)
    quant.outputs = np.array([int(norm.outputs[0])], np.int32)
    del sg.operators[second[0]]
    return bytes(fu.convert_object_to_bytearray(m))


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
        names = (
            list(output_names)
            if output_names is not None and len(output_names) == len(outs)
            else [f"output_{i}" for i in range(len(outs))]
        )
        fixed = {
            int(t): (input_name if len(sg.inputs) == 1 else f"{input_name}_{i}")
            for i, t in enumerate(sg.inputs)
        }
        fixed.update({int(t): n for t, n in zip(outs, names)})
        for i, tensor in enumerate(sg.tensors):
            tensor.name = fixed.get(i, f"t{i}").encode()
    return bytes(fu.convert_object_to_bytearray(model))


#: Ops whose weight (input 1) tfmot's ``prune_low_magnitude`` can sparsify; DEPTHWISE_CONV_2D's
#: cannot be pruned by tfmot, so its filters count as fixed.
_PRUNABLE_OPS = ("CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")


def size_breakdown(model_bytes: bytes) -> dict:
    """Where the bytes of a .tflite file are, raw and gzip-compressed, part by part:

    * ``prunable_weights``: filters of CONV_2D / FULLY_CONNECTED (what pruning can zero), with
      their fraction of exact zeros;
    * ``depthwise_weights``: DEPTHWISE_CONV_2D filters (not prunable by tfmot);
    * ``other_constants``: every other buffer (biases, lookup constants);
    * ``quantization_params``: per-tensor or per-channel scales (float32) and zero points (the
      schema stores them as int64, one pair per output channel of every per-channel tensor);
    * ``metadata``: the metadata table's buffers (ours and the converter's);
    * ``structure``: the rest (flatbuffer tables, tensor names, op list).

    Each part's gzip figure compresses that part alone (level 9), so the parts add up to about,
    not exactly, the whole file's gzip size. Pruning shrinks only ``prunable_weights``' gzip
    figure: the other parts bound how far the compressed file can shrink.
    """
    import gzip

    from ai_edge_litert.tools import flatbuffer_utils as fu

    m = fu.convert_bytearray_to_object(bytearray(model_bytes))
    op_name = _op_namer(m)
    meta_bufs = {md.buffer for md in (m.metadata or [])}
    role: dict = {}  # buffer index -> part
    scales, zeros = [], []
    for g in m.subgraphs:
        # float16 files store weights as float16 constants dequantized at load: follow DEQUANTIZE
        source = {op.outputs[0]: op.inputs[0] for op in g.operators if op_name(op) == "DEQUANTIZE"}
        for op in g.operators:
            name = op_name(op)
            if len(op.inputs) > 1 and op.inputs[1] >= 0:
                part = (
                    "prunable_weights"
                    if name in _PRUNABLE_OPS
                    else "depthwise_weights"
                    if name == "DEPTHWISE_CONV_2D"
                    else None
                )
                if part:
                    role.setdefault(g.tensors[source.get(op.inputs[1], op.inputs[1])].buffer, part)
        for t in g.tensors:
            q = t.quantization
            if q is not None and q.scale is not None:
                scales.append(np.asarray(q.scale, np.float32).tobytes())
                zeros.append(
                    np.asarray(q.zeroPoint if q.zeroPoint is not None else [], np.int64).tobytes()
                )
    chunks: dict = {
        k: [] for k in ("prunable_weights", "depthwise_weights", "other_constants", "metadata")
    }
    for i, b in enumerate(m.buffers):
        if b.data is None or len(b.data) == 0:
            continue
        part = "metadata" if i in meta_bufs else role.get(i, "other_constants")
        chunks[part].append(np.asarray(b.data, np.uint8).tobytes())
    chunks["quantization_params"] = scales + zeros
    out: dict = {}
    for part, data in chunks.items():
        blob = b"".join(data)
        out[part] = {"bytes": len(blob), "gzip_bytes": len(gzip.compress(blob, 9)) if blob else 0}
    w = np.frombuffer(b"".join(chunks["prunable_weights"]), np.uint8)
    out["prunable_weights"]["zero_fraction"] = round(float((w == 0).mean()), 4) if w.size else 0.0
    out["structure"] = {"bytes": len(model_bytes) - sum(v["bytes"] for v in out.values())}
    out["total"] = {
        "bytes": len(model_bytes),
        "gzip_bytes": len(gzip.compress(bytes(model_bytes), 9)),
    }
    return out
