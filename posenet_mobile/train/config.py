"""Experiment configuration: model, data, augmentation, training and compression sections.

Presets in ``training/configs/*.yaml`` overlay these defaults; unknown keys are an error naming
the key; any value can be overridden from the command line with ``--set section.key=value``
(the value is parsed as YAML, so ``--set model.input_size=[160,160]`` works).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field

from ..config import (
    COUNT,
    MOVED_SETTINGS,
    CodecConfig,
    PROBABILITY,
    ModelConfig,
    between,
    check_fields,
    load_yaml,
    overlay,
    to_dict,
)
from ..data.augment import AugmentConfig
from ..data.synthetic import SynthConfig
from ..contract import OUTPUTS
from ..errors import ConfigError
from ..data.crop_cache import CROP_CACHE_MODES
from ..geometry import CROP_RULES


@dataclass(frozen=True)
class DataConfig:
    """Where samples come from and how the person is cropped.

    synthetic_train / synthetic_val: images generated when no dataset folder is given (seeds
    ``synthetic_seed`` and ``synthetic_seed + 1``, so the validation people are held out), at
    ``synthetic_image_size`` pixels, drawn as ``synth`` says (:class:`SynthConfig`: style,
    pose mix, renderer switches; its ``image_size`` comes from ``synthetic_image_size``).
    padding: crop padding around the person box (the heatmap Gaussians' width is a codec
    setting: :class:`~posenet_mobile.config.CodecConfig`).
    crop_rule: ``box`` (the person box grown by ``padding``) or ``aligned`` (BlazePose: the circle
    about the hip centre that holds the body, times ``padding``, turned so the person is
    upright; :func:`posenet_mobile.geometry.person_crop`). The training rotation augmentation
    then turns around upright. The exported metadata says which (``input.crop.method``), and
    ``predict`` follows a video with aligned crops for such a model.
    box_crop_share: with ``crop_rule: aligned``, the share of training people cropped by their
    box instead (each person always the same way, drawn once from the seed), so the model also
    serves a person box from a user or another detector; evaluation keeps ``crop_rule``.
    crop_cache: ``auto``, ``on`` or ``off``: train from crops rendered once and augmented and
    encoded in the TF graph (:mod:`posenet_mobile.data.crop_cache`) instead of the NumPy
    pipeline. ``auto`` uses it for the embedded synthetic data when every augmentation setting
    is one it implements and the cache fits in memory; the run's ``metrics.json`` says which ran.
    crop_cache_context: the cached crop's size over the training crop: the margin that crop
    jitter (scale, rotation, shift) can reach before it sees black.
    """

    synthetic_train: int = 3000
    synthetic_val: int = 300
    synthetic_seed: int = 0
    synthetic_image_size: int = 256
    padding: float = 1.25
    crop_rule: str = "box"
    box_crop_share: float = 0.0
    min_box_area: float = 32.0 * 32.0
    synth: SynthConfig = SynthConfig()
    crop_cache: str = "auto"
    crop_cache_context: float = 1.6

    def __post_init__(self):
        if self.synth.image_size != SynthConfig().image_size:
            raise ConfigError("data.synth.image_size: set data.synthetic_image_size instead")
        if self.crop_rule not in CROP_RULES:
            raise ConfigError(
                f"data.crop_rule: expected one of {list(CROP_RULES)}, got {self.crop_rule!r}"
            )
        check_fields(
            self,
            "data",
            {
                "synthetic_train": COUNT,
                "synthetic_val": COUNT,
                "synthetic_seed": between(0, integer=True),
                "synthetic_image_size": between(64, 4096, integer=True),
                "padding": between(0.5, 4.0),
                "box_crop_share": between(0.0, 1.0),
                "min_box_area": between(0.0),
                "crop_cache_context": between(1.0, 3.0),
            },
        )
        if self.box_crop_share > 0 and self.crop_rule != "aligned":
            raise ConfigError(
                f"data.box_crop_share: {self.box_crop_share} needs data.crop_rule: aligned "
                f"(got {self.crop_rule!r}, where every crop is the box already)"
            )
        if self.crop_cache not in CROP_CACHE_MODES:
            raise ConfigError(
                f"data.crop_cache: expected one of {list(CROP_CACHE_MODES)}, got {self.crop_cache!r}"
            )


#: Values of ``train.mixed_precision``.
MIXED_PRECISION = ("off", "mixed_float16", "mixed_bfloat16")

#: Outputs a training loss can weigh (``train.loss_weights``): every output the contract
#: declares but ``keypoints``, which only the in-graph decoder of an exported file gives.
LOSS_OUTPUTS = tuple(name for name in OUTPUTS if name != "keypoints")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation. batch_size is per replica; the learning rate scales with the replica count.

    loss_weights: per output (heatmaps, offsets, coords, coords_dist, visibility, facing, simcc_x,
    simcc_y; an output not named weighs 1). With
    ``model.coord_loss: laplace`` the likelihood on ``coords_dist`` (default weight 1) replaces
    the L1 on ``coords``, whose weight is then 0 (it is still logged).
    heatmap_foreground: foreground emphasis of the heatmap MSE (see losses.heatmap_mse).
    eval_every: score the validation set after every N-th epoch (and always after the last);
    the best model is picked among the scored epochs. Every epoch is still checkpointed.
    steps_per_execution: training steps run per call into the TF graph (``compile``'s
    ``steps_per_execution``): fewer Python round trips, which matter when a step is short (GPUs).
    mixed_precision: ``off``, ``mixed_float16`` or ``mixed_bfloat16``: the Keras mixed-precision
    policy the model trains under (for GPUs and TPUs; slower on most CPUs). Variables, the output
    layers and the losses stay float32, and the kept ``model.keras`` is float32 throughout.
    progressive_fraction: progressive resizing: this share of the epochs (rounded down, and at
    least one epoch left) trains first at the model's input size times ``progressive_scale``
    (each side rounded to a multiple of 32), the rest at the model's input size. A smaller input
    costs fewer multiply-adds per image, so those epochs pass faster; the last epochs at full
    size adapt the model to it. The same weights and optimizer state run through both sizes
    (the heatmap head is fully convolutional; heads with layers sized by the input are refused).
    Validation always runs at the model's input size. 0: off.
    """

    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    warmup_epochs: float = 1.0
    min_lr_ratio: float = 0.02
    seed: int = 0
    loss_weights: dict = field(
        default_factory=lambda: {
            "heatmaps": 1000.0,
            "offsets": 1.0,
            "coords": 10.0,
            "visibility": 0.2,
            "facing": 5.0,
        }
    )
    heatmap_foreground: float = 20.0
    eval_batch_size: int = 64
    steps_per_epoch: int = 0  # 0: one pass over the training set
    eval_every: int = 1
    steps_per_execution: int = 1
    mixed_precision: str = "off"
    progressive_fraction: float = 0.0
    progressive_scale: float = 0.75

    def __post_init__(self):
        check_fields(
            self,
            "train",
            {
                "epochs": COUNT,
                "batch_size": COUNT,
                "learning_rate": between(0.0, 10.0, lo_open=True),
                "weight_decay": between(0.0, 1.0),
                "warmup_epochs": between(0.0),
                "min_lr_ratio": PROBABILITY,
                "seed": between(0, integer=True),
                "heatmap_foreground": between(0.0),
                "eval_batch_size": COUNT,
                "steps_per_epoch": between(0, integer=True),
                "eval_every": COUNT,
                "steps_per_execution": COUNT,
                "progressive_fraction": between(0.0, 1.0, hi_open=True),
                "progressive_scale": between(0.0, 1.0, lo_open=True),
            },
        )
        if self.mixed_precision not in MIXED_PRECISION:
            raise ConfigError(
                f"train.mixed_precision: expected one of {list(MIXED_PRECISION)}, got {self.mixed_precision!r}"
            )
        if not isinstance(self.loss_weights, dict):
            raise ConfigError(
                f"train.loss_weights: expected a mapping of output name to weight, got {self.loss_weights!r}"
            )
        ok, expected = between(0.0)
        for name, w in self.loss_weights.items():
            if name not in LOSS_OUTPUTS:
                raise ConfigError(
                    f"train.loss_weights.{name}: unknown output; expected one of {list(LOSS_OUTPUTS)}"
                )
            if not ok(w):
                raise ConfigError(f"train.loss_weights.{name}: expected {expected}, got {w!r}")


@dataclass(frozen=True)
class CompressConfig:
    """Pruning and quantization-aware fine-tuning (used by the compression stage)."""

    target_sparsity: float = 0.5
    # Sparsity ramps up over the first 70% of these epochs (PolynomialDecay). At 50% sparsity a
    # short ramp costs more accuracy than the export gate allows on a small model, and longer
    # ramps recover most of it (docs/compression.md); the quickstart preset prunes 30% and keeps 12.
    prune_epochs: int = 20
    qat_epochs: int = 3
    # Peak rate of the pruning and QAT fine-tunes (5% warm-up, then cosine to 0): the best of the
    # rates and schedules compared on the quickstart model (benchmarks/compression.py,
    # docs/compression.md).
    fine_tune_lr: float = 1e-3
    # (input weights, output channels) pruned together in the 1x1 conv and Dense kernels; (1, 1)
    # prunes weight by weight. Blocks of consecutive input weights are runs of zero bytes in the
    # .tflite file, which gzip better than scattered zeros (compress/prune.py); on a small model
    # they cost far more accuracy than weight-by-weight pruning (docs/compression.md), so the
    # default stays (1, 1).
    block_size: tuple[int, int] = (1, 1)
    representative_samples: int = 200
    max_pck_drop: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "block_size", block_size(self.block_size))
        check_fields(
            self,
            "compress",
            {
                "target_sparsity": between(0.0, 1.0, hi_open=True),
                "prune_epochs": COUNT,
                "qat_epochs": between(0, integer=True),
                "fine_tune_lr": between(0.0, 10.0, lo_open=True),
                "representative_samples": COUNT,
                "max_pck_drop": between(-100.0, 100.0),
            },
        )


def block_size(value) -> tuple[int, int]:
    """``compress.block_size`` as two positive ints, or a :class:`ConfigError` naming the field."""
    try:
        b = tuple(int(v) for v in value)
    except (TypeError, ValueError):
        b = ()
    if len(b) != 2 or min(b) < 1 or any(isinstance(v, bool) for v in value):
        raise ConfigError(
            f"compress.block_size: expected two positive integers (input weights, output channels), got {value!r}"
        )
    return b


#: Heads whose weights do not depend on the input size (``train.progressive_fraction``).
PROGRESSIVE_HEADS = ("heatmap",)


@dataclass(frozen=True)
class ExperimentConfig:
    model: ModelConfig = ModelConfig()
    codec: CodecConfig = CodecConfig()
    data: DataConfig = DataConfig()
    augment: AugmentConfig = AugmentConfig()
    train: TrainConfig = TrainConfig()
    compress: CompressConfig = CompressConfig()
    name: str = "custom"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ConfigError(f"name: expected a non-empty string, got {self.name!r}")
        epochs, _ = self.progressive()
        if epochs and self.model.head not in PROGRESSIVE_HEADS:
            raise ConfigError(
                f"train.progressive_fraction: model.head {self.model.head!r} has layers sized by "
                "the input; progressive resizing needs a fully convolutional head "
                f"({', '.join(PROGRESSIVE_HEADS)}); set it to 0"
            )

    def progressive(self) -> tuple:
        """Progressive resizing as ``(epochs, (height, width))``: the first ``epochs`` train at that
        input size (``train.progressive_fraction``, ``train.progressive_scale``); ``(0, None)``
        when off, or when the scaled size rounds back to the model's."""
        t, size = self.train, self.model.input_size
        epochs = min(int(t.progressive_fraction * t.epochs), t.epochs - 1)
        small = tuple(max(32, 32 * int(s * t.progressive_scale / 32 + 0.5)) for s in size)
        if epochs <= 0 or small == tuple(size):
            return 0, None
        return epochs, small

    def to_dict(self) -> dict:
        return to_dict(self)

    def heatmap_codec(self, input_size=None):
        """The :class:`~posenet_mobile.codec.HeatmapCodec` this experiment trains and decodes with
        (the model's input size and output stride, the codec section's sigma and offset radius):
        the one place it is built from a config. ``input_size``: another input size (progressive
        resizing's early epochs), the rest as configured."""
        from ..codec import HeatmapCodec

        m, c = self.model, self.codec
        size = m.input_size if input_size is None else tuple(input_size)
        return HeatmapCodec(size, m.output_stride, c.sigma, c.offset_radius)

    def simcc_codec(self):
        """The :class:`~posenet_mobile.simcc.SimCCCodec` of a ``simcc`` head, else ``None``."""
        from ..simcc import SimCCCodec

        return SimCCCodec.for_model(self.model, self.codec)

    def fingerprint(self) -> str:
        """Short hash of everything that changes the trained weights."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()[:12]


def load_config(preset_or_path="quickstart", overrides=None) -> ExperimentConfig:
    """Preset name or YAML path, then ``overrides`` (``["train.epochs=3", ...]`` or a dict)."""
    data, src = load_yaml(preset_or_path)
    refuse_moved(data, f"{src}: ")
    cfg = overlay(ExperimentConfig(), data, where=f"{src}: ")
    if "name" not in data:
        cfg = dataclasses.replace(
            cfg, name=str(preset_or_path).rsplit("/", 1)[-1].removesuffix(".yaml")
        )
    return apply_overrides(cfg, overrides)


def apply_overrides(cfg: ExperimentConfig, overrides) -> ExperimentConfig:
    if not overrides:
        return cfg
    if isinstance(overrides, dict):
        refuse_moved(overrides, "override: ")
        return overlay(cfg, overrides, where="override: ")
    import yaml

    nested: dict = {}  # every --set at once: settings checked together see each other's values
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set {item!r}: expected section.key=value")
        key, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            value = raw
        cur = nested
        parts = key.strip().split(".")
        for p in parts[:-1]:
            if not isinstance(cur.get(p, {}), dict):
                raise ConfigError(f"--set {item!r}: {p} is set to a value above")
            cur = cur.setdefault(p, {})
        cur[parts[-1]] = value
    refuse_moved(nested, "--set ")
    return overlay(cfg, nested, where="--set ")


def refuse_moved(values, where: str) -> None:
    """A :class:`ConfigError` for a setting given at its old path (:data:`MOVED_SETTINGS`)."""
    for old, new in MOVED_SETTINGS.items():
        section, key = old.split(".")
        sub = values.get(section) if isinstance(values, dict) else None
        if isinstance(sub, dict) and key in sub:
            raise ConfigError(f"{where}{old}: moved; set {new} instead")


def upgrade_config_dict(d: dict) -> dict:
    """A stored experiment config (a run's ``config.json``) with settings written at their old
    paths (:data:`MOVED_SETTINGS`) moved to where this version reads them."""
    d = {k: dict(v) if isinstance(v, dict) else v for k, v in d.items()}
    for old, new in MOVED_SETTINGS.items():
        (s_old, k_old), (s_new, k_new) = old.split("."), new.split(".")
        if isinstance(d.get(s_old), dict) and k_old in d[s_old]:
            d.setdefault(s_new, {})[k_new] = d[s_old].pop(k_old)
    return d


def config_from_dict(d: dict) -> ExperimentConfig:
    """The experiment config stored in a run folder, including one written by an older version."""
    return overlay(ExperimentConfig(), upgrade_config_dict(d), where="config.json: ")
