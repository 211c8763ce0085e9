"""Build pose models from a :class:`~posenet_mobile.config.ModelConfig`, and cut them for export.

Input: ``(N, H, W, 3)`` float32 RGB normalised to [-1, 1] by
:func:`posenet_mobile.geometry.normalize_input`.
The outputs each head trains and exports, with their shapes and frames, are declared in
:mod:`posenet_mobile.contract`; :func:`inference_model` cuts a training model down to the exported
ones (the regression head loses its heatmap branch, as in BlazePose).

``model.facing_head`` appends a ``facing`` output to any head; exported with the heatmap and
simcc heads (:data:`~posenet_mobile.config.SIDE_HEADS`), whose decoders read it
(:func:`posenet_mobile.codec.decode_sides`, :func:`posenet_mobile.codec.order_sides`), training-only
otherwise.
"""

from __future__ import annotations

from ..config import SIDE_HEADS, ModelConfig
from ..contract import INFERENCE_OUTPUTS
from ..errors import ModelError
from ..keras import keras
from .backbone import load_imagenet_weights, mobilenet_v2_features
from ..simcc import SimCCCodec
from .heads import (
    facing_head,
    global_context,
    heatmap_head,
    integral_head,
    regression_head,
    simcc_head,
    top_down_decoder,
)


def build_model(cfg: ModelConfig, name: str | None = None, training: bool = True) -> "keras.Model":
    """Build the training model for ``cfg`` (outputs in
    :data:`posenet_mobile.contract.TRAINING_OUTPUTS` order, then
    ``coords_dist`` where ``cfg.coord_loss`` is ``laplace``, or ``heatmaps`` and ``offsets`` for a
    simcc head with ``cfg.heatmap_supervision``, then ``facing``). ``training=False``
    leaves out the training-only stop-gradient ops (the saved model's graph; same layers and
    weights)."""
    inputs = keras.Input((*cfg.input_size, 3), name="image")
    feats = mobilenet_v2_features(inputs, cfg.width, cfg.depth)
    stride = max(cfg.output_stride, 8) if cfg.head == "simcc" else cfg.output_stride
    # a simcc head with heatmap supervision decodes on to the heatmaps' stride for its branch
    decode_to = cfg.output_stride if cfg.heatmap_supervision else stride
    decoded = top_down_decoder(feats, decode_to, cfg.decoder_channels)
    x = decoded[stride]
    k = cfg.num_keypoints
    ctx = global_context(feats[32], x.shape[1:3], int(x.shape[-1])) if cfg.global_context else None
    if cfg.head == "heatmap":
        outputs = list(heatmap_head(x, k, cfg.decoder_channels, ctx))
    elif cfg.head == "regression":
        hm, off = heatmap_head(x, k, cfg.decoder_channels, ctx)
        outputs = [
            hm,
            off,
            *regression_head(
                decoded,
                feats,
                cfg.output_stride,
                k,
                cfg.regression_channels,
                cfg.regression_stop_gradient and training,
                cfg.coord_loss == "laplace",
            ),
        ]
    elif cfg.head == "direct":  # the regression encoder alone: same layers, no heatmap supervision
        outputs = list(
            regression_head(
                decoded,
                feats,
                cfg.output_stride,
                k,
                cfg.regression_channels,
                laplace=cfg.coord_loss == "laplace",
            )
        )
    elif cfg.head == "integral":
        outputs = list(integral_head(x, k, cfg.decoder_channels))
    elif cfg.head == "simcc":
        outputs = list(
            simcc_head(
                x,
                k,
                cfg.decoder_channels,
                cfg.simcc_hidden,
                SimCCCodec.for_model(cfg).bins,
                ctx,
                kernel=cfg.simcc_kernel,
            )
        )
        if cfg.heatmap_supervision:  # training-only: inference_model cuts it
            outputs += heatmap_head(decoded[cfg.output_stride], k, cfg.decoder_channels)
    else:  # ModelConfig validates; kept for direct callers
        raise ModelError(f"model.head: unknown head {cfg.head!r}")
    if cfg.facing_head:  # exported with the SIDE_HEADS, whose decoders read it; cut from the others
        src = decoded.get(8, decoded[min(decoded)]) if cfg.facing_channels else feats[32]
        outputs.append(facing_head(src, cfg.facing_channels, cfg.facing_pool))
    model = keras.Model(inputs, outputs, name=name or f"posenet_{cfg.head}")
    if cfg.backbone_weights == "imagenet":
        load_imagenet_weights(model, cfg.width, cfg.input_size)
    return model


def resized_model(model: "keras.Model", cfg: ModelConfig, input_size) -> "keras.Model":
    """``model`` (built from ``cfg``) on inputs of another ``input_size``, sharing every layer and
    weight with it: training either trains both (progressive resizing).

    The few layers whose settings follow the input size but hold no weights (the global
    context's pooling and tiling) are rebuilt with the settings a model built at that size has; a
    layer with weights that would differ is refused (a head sized by its input).
    """
    import dataclasses

    size = tuple(int(v) for v in input_size)
    ref = build_model(dataclasses.replace(cfg, input_size=size, backbone_weights=None))
    if len(ref.layers) != len(model.layers):
        raise ModelError(f"model {model.name!r}: not built from this model config")
    swap = {}
    for a, b in zip(model.layers, ref.layers):
        if isinstance(a, keras.layers.InputLayer):
            continue
        # names and dtype policies (a mixed-precision build) are the model's own
        ca, cb = (
            {k: v for k, v in x.get_config().items() if k not in ("name", "dtype")} for x in (a, b)
        )
        shapes = [tuple(w.shape) for w in a.weights] != [tuple(w.shape) for w in b.weights]
        if type(a) is not type(b) or shapes or (ca != cb and a.weights):
            raise ModelError(
                f"model {model.name!r}: layer {a.name!r} depends on the input size; it cannot "
                f"train at {list(size)}"
            )
        if ca != cb:
            own = {k: a.get_config()[k] for k in ("name", "dtype") if k in a.get_config()}
            swap[a.name] = type(b).from_config({**b.get_config(), **own})
    image = keras.Input((*size, 3), name="image")
    return keras.models.clone_model(
        model, input_tensors=image, clone_function=lambda layer: swap.get(layer.name, layer)
    )


def inference_model(model: "keras.Model", head: str) -> "keras.Model":
    """The exported graph: for ``regression``, and ``simcc`` with heatmap supervision, the
    heatmap branch is cut off (BlazePose). A
    heatmap or simcc model's ``facing`` output stays (its decoder reads it: :data:`~posenet_mobile.config.SIDE_HEADS`).

    Layers (and weights) are shared with ``model``; nothing is copied.
    """
    names = output_names(model)
    wanted = INFERENCE_OUTPUTS[head] + (
        ("facing",) if head in SIDE_HEADS and "facing" in names else ()
    )
    missing = [n for n in wanted if n not in names]
    if missing:
        raise ModelError(
            f"model {model.name!r}: outputs {missing} expected for head {head!r}, has {names}"
        )
    if tuple(names) == wanted:
        return model
    outs = [model.outputs[names.index(n)] for n in wanted]
    return keras.Model(model.inputs, outs, name=model.name + "_inference")


def strip_stop_gradients(config: dict) -> dict:
    """A functional model's ``get_config()`` without its ``tf.stop_gradient`` ops, each consumer
    wired to the op's input instead. The forward pass is unchanged; the result holds stock layers
    only, so it saves, loads with ``safe_mode`` and wraps for QAT (the stop-gradient is a training
    device: :func:`posenet_mobile.models.heads.regression_head`)."""
    import copy

    cfg = copy.deepcopy(config)
    sources = {}
    for layer in cfg["layers"]:
        if (
            layer.get("class_name") == "TFOpLambda"
            and layer["config"].get("function") == "stop_gradient"
        ):
            ref = layer["inbound_nodes"][0]  # TFOpLambda: [name, node, tensor, kwargs]
            sources[layer["name"]] = list(ref[:3])
    if not sources:
        return cfg

    def resolve(ref):
        name, node, tensor = ref[0], ref[1], ref[2]
        while name in sources and node == 0 and tensor == 0:
            name, node, tensor = sources[name]
        return [name, node, tensor, *ref[3:]]

    def rewire(obj):
        if (
            isinstance(obj, list)
            and len(obj) >= 3
            and isinstance(obj[0], str)
            and isinstance(obj[1], int)
        ):
            return resolve(obj)
        if isinstance(obj, list):
            return [rewire(o) for o in obj]
        return obj

    cfg["layers"] = [
        dict(layer, inbound_nodes=rewire(layer["inbound_nodes"]))
        for layer in cfg["layers"]
        if layer["name"] not in sources
    ]
    cfg["output_layers"] = rewire(cfg["output_layers"])
    return cfg


_WRAPPER_PREFIXES = ("quant_", "prune_low_magnitude_")


def output_names(model: "keras.Model") -> list:
    """The model's output names without tfmot wrapper prefixes (``quant_heatmaps`` -> ``heatmaps``).

    QAT and pruning rename output layers; losses and decoders key on these canonical names.
    """
    names = []
    for name in model.output_names:
        for prefix in _WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
        names.append(name)
    return names


__all__ = ["build_model", "inference_model", "strip_stop_gradients", "output_names"]
