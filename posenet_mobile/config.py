"""Frozen dataclass configs and the strict dict/YAML overlay they share.

Configs are data: presets are values, and overlaying a mapping onto a config rejects any key
the dataclass does not have, naming it. The data, training and compression configs
(:mod:`posenet_mobile.train.config`) sit beside :class:`ModelConfig` and use the same :func:`overlay`.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from dataclasses import dataclass
from typing import Any, Mapping

from .errors import ConfigError

HEAD_TYPES = ("heatmap", "regression", "integral", "direct", "simcc")
#: Heads whose exported decoder reads the ``facing`` output to tell left from right.
SIDE_HEADS = ("heatmap", "simcc")
#: How the facing output pools its features (``model.facing_pool``).
FACING_POOLS = ("average", "max")
COORD_LOSSES = ("l1", "laplace")


def between(lo=None, hi=None, lo_open=False, hi_open=False, integer=False):
    """A range rule for :func:`check_fields`: ``(predicate, "what was expected")``."""

    def ok(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            return False
        if integer and not float(v).is_integer():
            return False
        if lo is not None and (v <= lo if lo_open else v < lo):
            return False
        return not (hi is not None and (v >= hi if hi_open else v > hi))

    kind = "an integer" if integer else "a number"
    parts = []
    if lo is not None:
        parts.append(f"{'>' if lo_open else '>='} {lo}")
    if hi is not None:
        parts.append(f"{'<' if hi_open else '<='} {hi}")
    return ok, f"{kind} {' and '.join(parts)}".strip()


def low_high(value, name: str, lo: float, hi: float) -> tuple:
    """A ``[low, high]`` setting as two floats with ``lo <= low <= high <= hi``, else a
    :class:`ConfigError` naming ``name`` (``section.field``)."""
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        a = b = float("nan")
    if not (lo <= a <= b <= hi):
        raise ConfigError(
            f"{name}: expected [low, high] with {lo:g} <= low <= high <= {hi:g}, got {value!r}"
        )
    return a, b


PROBABILITY = between(0.0, 1.0)
COUNT = between(1, integer=True)


def check_fields(cfg, section: str, rules: dict) -> None:
    """Raise :class:`ConfigError` naming ``section.field`` for the first value outside its rule."""
    for name, (ok, expected) in rules.items():
        value = getattr(cfg, name)
        if not ok(value):
            raise ConfigError(f"{section}.{name}: expected {expected}, got {value!r}")


def check_bools(cfg, section: str, names) -> None:
    for name in names:
        value = getattr(cfg, name)
        if not isinstance(value, bool):
            raise ConfigError(f"{section}.{name}: expected true or false, got {value!r}")


@dataclass(frozen=True)
class CodecConfig:
    """How keypoints become training targets and how outputs become keypoints again: the one
    place these values are set. The geometry they work in (input size, output stride, simcc split
    ratio) belongs to the model, since it fixes the output shapes; :meth:`ExperimentConfig.heatmap_codec`
    joins the two.

    sigma: standard deviation of the heatmap Gaussians, heatmap cells (the heatmap head and the
        heatmap-supervised heads' training targets).
    offset_radius: heatmap cells around a keypoint whose offsets are supervised.
    simcc_sigma: width of the simcc head's Gaussian targets, bins. RTMPose uses about 5 bins at
        192x256 inputs; scaled to the 128 px quickstart that is nearer 3, and the default sits
        between the two: a wider target gives a short CPU budget more signal per bin.
    simcc_beta: temperature of the simcc head's KL loss (RTMPose's value); the score reads it too.

    Heatmap refinement is not a setting: a model with an ``offsets`` output is decoded by reading
    the offset at the peak, in Python and in the Android core alike.
    """

    sigma: float = 2.0
    offset_radius: float = 2.0
    simcc_sigma: float = 4.0
    simcc_beta: float = 10.0

    def __post_init__(self):
        check_fields(
            self,
            "codec",
            {
                "sigma": between(0.0, 16.0, lo_open=True),
                "offset_radius": between(0.0, 32.0, lo_open=True),
                "simcc_sigma": between(0, lo_open=True),
                "simcc_beta": between(0, lo_open=True),
            },
        )


#: Settings that moved to another section: ``old path -> new path``. A preset, a config file or a
#: ``--set`` that uses an old path is refused with the new one named; a run folder written by an
#: older version is read with its values moved (:func:`posenet_mobile.train.config.config_from_dict`).
MOVED_SETTINGS = {
    "data.sigma": "codec.sigma",
    "data.offset_radius": "codec.offset_radius",
    "model.simcc_sigma": "codec.simcc_sigma",
    "model.simcc_beta": "codec.simcc_beta",
}


@dataclass(frozen=True)
class ModelConfig:
    """What the model builder needs.

    input_size: ``(height, width)`` input pixels; both divisible by 32.
    width: MobileNetV2 width multiplier (alpha), e.g. 0.35, 0.5, 0.75, 1.0.
    depth: multiplier on the backbone's blocks per stage, in (0, 1]: 1.0 is MobileNetV2's 17
        inverted-residual blocks, 0.5 keeps 11 and 0.25 or less one per stage, 7
        (:func:`posenet_mobile.models.backbone.stage_repeats`). A shallower backbone is cheaper
        to run and much quicker to build and trace (the tests' tiny models use 0.25).
    head: ``heatmap`` | ``regression`` | ``integral`` | ``direct`` | ``simcc`` (see
        :mod:`posenet_mobile.models.heads`).
    output_stride: 4 or 8, input pixels per heatmap cell (the simcc head reads stride-8 features
        whatever this says).
    decoder_channels: channels of the top-down decoder (and heatmap head trunk).
    regression_channels: channels of the BlazePose-style regression encoder.
    num_keypoints: K, taken from the keypoint schema.
    backbone_weights: ``None`` (random init, the default: nothing is downloaded) or ``"imagenet"``
        (copies Keras' MobileNetV2 ImageNet weights; needs them in the Keras cache or internet).
    facing_head: add an output ``facing`` that classifies whether the person faces the camera,
        trained on the handedness of the labelled 2D torso (see
        :func:`posenet_mobile.targets.facing_target`). With the heatmap head it is exported and
        decides left from right: each left/right pair is decoded as two limbs
        (:func:`posenet_mobile.codec.decode_sides`, metadata ``decode.method``
        ``heatmap_offset_sides``). With the simcc head it is exported too: each pair's two decoded
        points take their sides from it (:func:`posenet_mobile.codec.order_sides`, metadata
        ``decode.method`` ``simcc_sides``). With the other heads it is training-only.
    facing_channels: 0 (the default): the ``facing`` logit is a Dense on the pooled stride-32
        features. N > 0: it gets its own trunk, a separable block of N channels on the decoder's
        stride-8 features, before pooling (front-only cues such as a face or a neckline are a
        few pixels wide).
    facing_pool: ``average`` (the default) or ``max``: how the facing output pools its features
        over the crop before its Dense.
    global_context: add a pooled summary of the whole crop to the heatmap head's input
        (:func:`posenet_mobile.models.heads.global_context`); exported with the model.
    simcc_split: bins per input pixel of the simcc head (RTMPose's split ratio).
    (The simcc head's target width and temperature are codec settings: :class:`CodecConfig`.)
    simcc_hidden: width of the simcc head's hidden layer, shared by all keypoints.
    simcc_kernel: the depthwise kernel of the simcc head's trunk, odd (RTMPose reads its features
        with a 7x7 conv before the flatten).
    regression_stop_gradient: the regression head's encoder reads the heatmap path's features
        through a stop-gradient (BlazePose, Fig. 4): the backbone and decoder learn from the
        heatmap loss alone, the encoder learns to read them. Training-only: the saved model has
        no such op (:func:`posenet_mobile.models.build.strip_stop_gradients`).
    heatmap_supervision: the simcc head's backbone and decoder also learn from heatmaps, as
        BlazePose's regression head does: a heatmap + offset branch at ``output_stride`` (its own
        trunk on the decoder, outputs ``heatmaps`` and ``offsets``) trains beside the head and is
        cut at export, so the exported graph and its cost are the plain simcc head's.
    coord_loss: the loss on ``coords`` (heads ``regression`` and ``direct``): ``l1``, or
        ``laplace``: the head also predicts a scale per coordinate (a training-only output
        ``coords_dist``) and is trained by its Laplace negative log-likelihood, RLE's
        likelihood without the normalising flow (Li et al. 2021).
    """

    input_size: tuple[int, int] = (192, 192)
    width: float = 0.5
    depth: float = 1.0
    head: str = "heatmap"
    output_stride: int = 4
    decoder_channels: int = 64
    regression_channels: int = 64
    num_keypoints: int = 17
    backbone_weights: str | None = None
    facing_head: bool = False
    facing_channels: int = 0
    facing_pool: str = "average"
    global_context: bool = False
    simcc_split: int = 2
    simcc_hidden: int = 128
    simcc_kernel: int = 3
    regression_stop_gradient: bool = False
    heatmap_supervision: bool = False
    coord_loss: str = "l1"

    def __post_init__(self):
        size = tuple(int(v) for v in self.input_size)
        object.__setattr__(self, "input_size", size)
        if len(size) != 2 or any(v < 32 or v % 32 for v in size):
            raise ConfigError(
                f"model.input_size: expected (height, width) multiples of 32, got {self.input_size}"
            )
        if not 0.1 <= float(self.width) <= 2.0:
            raise ConfigError(f"model.width: expected a multiplier in [0.1, 2.0], got {self.width}")
        if self.head not in HEAD_TYPES:
            raise ConfigError(f"model.head: expected one of {HEAD_TYPES}, got {self.head!r}")
        if self.output_stride not in (4, 8):
            raise ConfigError(f"model.output_stride: expected 4 or 8, got {self.output_stride}")
        if self.decoder_channels < 8 or self.regression_channels < 8:
            raise ConfigError("model.decoder_channels / model.regression_channels: expected >= 8")
        if self.num_keypoints < 1:
            raise ConfigError(f"model.num_keypoints: expected >= 1, got {self.num_keypoints}")
        if not 0 <= int(self.facing_channels) <= 512:
            raise ConfigError(
                f"model.facing_channels: expected 0 (pooled stride-32 features) to 512, got {self.facing_channels}"
            )
        if self.facing_pool not in FACING_POOLS:
            raise ConfigError(
                f"model.facing_pool: expected one of {FACING_POOLS}, got {self.facing_pool!r}"
            )
        check_fields(
            self,
            "model",
            {
                "depth": between(0, 1, lo_open=True),
                "simcc_split": between(1, 8, integer=True),
                "simcc_hidden": between(8, 1024, integer=True),
                "simcc_kernel": between(1, 15, integer=True),
            },
        )
        if int(self.simcc_kernel) % 2 == 0:
            raise ConfigError(f"model.simcc_kernel: expected an odd size, got {self.simcc_kernel}")
        object.__setattr__(self, "simcc_kernel", int(self.simcc_kernel))
        object.__setattr__(self, "simcc_split", int(self.simcc_split))
        object.__setattr__(self, "simcc_hidden", int(self.simcc_hidden))
        if self.global_context and self.head not in ("heatmap", "regression", "simcc"):
            raise ConfigError(
                f"model.global_context: feeds a heatmap or simcc head; head {self.head!r} has none"
            )
        check_bools(
            self,
            "model",
            ("facing_head", "global_context", "regression_stop_gradient", "heatmap_supervision"),
        )
        if self.heatmap_supervision and self.head != "simcc":
            raise ConfigError(
                f"model.heatmap_supervision: a training-only heatmap branch for the simcc head; "
                f"head {self.head!r} has heatmaps of its own or none to supervise"
            )
        if self.regression_stop_gradient and self.head != "regression":
            raise ConfigError(
                f"model.regression_stop_gradient: separates the regression head's encoder from its "
                f"heatmap path; head {self.head!r} has no such pair"
            )
        if self.coord_loss not in COORD_LOSSES:
            raise ConfigError(
                f"model.coord_loss: expected one of {COORD_LOSSES}, got {self.coord_loss!r}"
            )
        if self.coord_loss != "l1" and self.head not in ("regression", "direct"):
            raise ConfigError(
                f"model.coord_loss: {self.coord_loss!r} needs a regressed-coordinate head "
                f"(regression or direct), not {self.head!r}"
            )
        if self.backbone_weights not in (None, "imagenet"):
            raise ConfigError(
                f"model.backbone_weights: expected null or 'imagenet', got {self.backbone_weights!r}"
            )

    @property
    def heatmap_size(self) -> tuple[int, int]:
        return self.input_size[0] // self.output_stride, self.input_size[1] // self.output_stride

    def to_dict(self) -> dict:
        return to_dict(self)


def to_dict(cfg) -> dict:
    """Plain JSON/YAML-able dict of a config dataclass (tuples become lists)."""
    out = {}
    for f in dataclasses.fields(cfg):
        v = getattr(cfg, f.name)
        if dataclasses.is_dataclass(v):
            v = to_dict(v)
        elif isinstance(v, tuple):
            v = list(v)
        out[f.name] = v
    return out


def overlay(cfg, values: Mapping[str, Any] | None, where: str = ""):
    """Return ``cfg`` with ``values`` applied; unknown keys raise :class:`ConfigError` naming them.

    Nested dataclass fields take nested mappings. ``where`` prefixes messages (e.g. a YAML path).
    """
    if not values:
        return cfg
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"{where.rstrip(': ') or type(cfg).__name__}: expected a mapping, got {type(values).__name__}"
        )
    names = {f.name: f for f in dataclasses.fields(cfg)}
    hints = typing.get_type_hints(type(cfg))
    changes = {}
    for key, val in values.items():
        path = f"{where}.{key}" if where and where[-1] not in ": " else f"{where}{key}"
        if key not in names:
            raise ConfigError(f"{path}: unknown key; expected one of {sorted(names)}")
        cur = getattr(cfg, key)
        if dataclasses.is_dataclass(cur):
            changes[key] = overlay(cur, val, path)
        elif isinstance(cur, dict) and isinstance(
            val, Mapping
        ):  # loss_weights.facing=0 keeps the rest
            changes[key] = {**cur, **val}
        else:
            changes[key] = _coerce(val, hints.get(key), path)
    try:
        return dataclasses.replace(cfg, **changes)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ConfigError):
            raise
        raise ConfigError(f"{where.rstrip(': ') or type(cfg).__name__}: {exc}") from None


_YAML11_FLOAT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _coerce(val, hint, path):
    origin = typing.get_origin(hint)
    if (hint is tuple or origin is tuple) and isinstance(val, (list, tuple)):
        return tuple(val)
    if hint in (int, float) and isinstance(val, bool):
        raise ConfigError(f"{path}: expected a number, got {val!r}")
    if hint is bool and not isinstance(val, bool):
        raise ConfigError(f"{path}: expected true or false, got {val!r}")
    if hint is dict and not isinstance(val, Mapping):
        raise ConfigError(f"{path}: expected a mapping, got {val!r}")
    if hint is float and isinstance(val, int):
        return float(val)
    if hint is float and isinstance(val, str) and _YAML11_FLOAT.fullmatch(val.strip()):
        return float(val)  # YAML 1.1 reads 3e-4 (no dot) as a string
    if hint is str and isinstance(val, bool):  # YAML 1.1 reads a bare on / off as true / false
        return "on" if val else "off"
    if hint is int and isinstance(val, float) and val.is_integer():
        return int(val)
    if hint in (int, float, str) and not isinstance(val, hint):
        raise ConfigError(f"{path}: expected {hint.__name__}, got {val!r}")
    return val


def preset_names() -> list[str]:
    """Names of the presets shipped inside the package (``posenet_mobile/presets/*.yaml``)."""
    return sorted(
        p.name.removesuffix(".yaml") for p in _preset_root().iterdir() if p.name.endswith(".yaml")
    )


def _preset_root():
    from importlib import resources

    return resources.files("posenet_mobile") / "presets"


def load_yaml(name_or_path) -> tuple[dict, str]:
    """Read a preset name (``quickstart``) or a YAML path; returns ``(mapping, source)``.

    Presets are package data, read with :mod:`importlib.resources`, so a wheel install has them
    (``training/configs`` in a checkout points at the same files). A name without a suffix that
    is not an existing file is looked up among the presets.
    """
    from pathlib import Path

    import yaml

    path = Path(name_or_path)
    if not path.suffix and not path.exists():
        res = _preset_root() / f"{name_or_path}.yaml"
        if not res.is_file():
            raise ConfigError(
                f"{name_or_path}: no such config file or preset (presets: {preset_names()})"
            )
        text, src = res.read_text(encoding="utf-8"), f"preset {name_or_path}"
    elif path.is_dir():
        raise ConfigError(
            f"{path}: is a folder; expected a YAML config file or a preset name ({preset_names()})"
        )
    elif not path.is_file():
        raise ConfigError(
            f"{name_or_path}: no such config file or preset (presets: {preset_names()})"
        )
    else:
        try:
            text, src = path.read_text(encoding="utf-8"), str(path)
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not UTF-8 text; expected a YAML config") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{src}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{src}: expected a mapping at the top level, got {type(data).__name__}")
    return data, src


def model_config_from_yaml(name_or_path, overrides: Mapping | None = None) -> ModelConfig:
    """The ``model:`` section of a preset or YAML file as a :class:`ModelConfig`."""
    data, src = load_yaml(name_or_path)
    cfg = overlay(ModelConfig(), data.get("model"), where=f"{src}: model")
    return overlay(cfg, overrides, where="override: ")
