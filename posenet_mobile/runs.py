"""A training run directory as the later stages see it: config, data, trained model, stages."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .codec import HeatmapCodec
from .simcc import SimCCCodec
from .errors import ModelError
from .io import read_json


@dataclass
class Run:
    """``path`` holds ``config.json`` and ``model.keras`` written by the trainer."""

    path: Path
    cfg: object  # ExperimentConfig
    data: dict  # {"train": dir, "val": dir, "synthetic": bool, ...}
    fingerprint: str
    unsafe_load: bool = False  # --unsafe-load: trust this folder's model files (any Keras format)

    @property
    def compress_dir(self) -> Path:
        return self.path / "compress"

    @property
    def codec(self) -> HeatmapCodec:
        return self.cfg.heatmap_codec()

    @property
    def simcc(self) -> "SimCCCodec | None":
        return self.cfg.simcc_codec()

    def model_path(self, stage: str = "float") -> Path:
        return {
            "float": self.path / "model.keras",
            "pruned": self.compress_dir / "pruned.keras",
            "qat": self.compress_dir / "qat_checkpoint",
        }[stage]

    def load_float(self):
        """The trained float model (``model.keras``), through the safe loader."""
        return self.load_keras("float")

    def load_keras(self, stage: str = "float"):
        """``float`` or ``pruned`` Keras model of this run (:func:`~posenet_mobile.models.saved.load_keras_model`)."""
        from .models.saved import load_keras_model

        path = self.model_path(stage)
        if not path.exists():
            hint = (
                "train the run first (posenet-mobile train"
                if stage == "float"
                else "run posenet-mobile compress"
            )
            raise ModelError(f"{path}: missing; {hint} --run/--out {self.path})")
        return load_keras_model(path, unsafe=self.unsafe_load)

    def datasets(self, split: str):
        from .data.coco import load_coco

        where = self.data.get(split)
        if not where:
            raise ModelError(
                f"{self.path / 'config.json'}: field data.{split}: no dataset recorded"
            )
        return load_coco(self._locate(where), min_box_area=self.cfg.data.min_box_area)

    def _locate(self, where: str) -> Path:
        """A recorded dataset path; a relative one (recorded from another working directory) is
        also looked for under each folder above the run (``demo_output/run/data/...``)."""
        p = Path(where)
        if p.is_absolute() or p.exists():
            return p
        for base in self.path.resolve().parents:
            if (base / p).exists():
                return base / p
        return p

    def pipeline(self, split: str, names, training: bool = False, pixels: bool = True):
        from .data.pipeline import KeypointPipeline

        return KeypointPipeline(
            self.datasets(split),
            self.codec,
            names,
            training=training,
            augment=self.cfg.augment,
            padding=self.cfg.data.padding,
            crop_rule=self.cfg.data.crop_rule,
            box_share=self.cfg.data.box_crop_share,
            seed=self.cfg.train.seed,
            pixels=pixels,
            simcc=self.simcc,
        )

    def evaluate_float(
        self,
        dataset=None,
        limit: int | None = None,
        model=None,
        crop_rule: str | None = None,
        flip_test: bool = False,
    ) -> dict:
        """Metrics of the trained float Keras model (the reference every later stage is held to)
        on ``dataset`` (default: the run's validation set), its first ``limit`` people, on crops
        by ``crop_rule`` (default: the run's ``data.crop_rule``), with the ``flip_test`` if asked."""
        from .data.pipeline import KeypointPipeline
        from .models.build import output_names
        from .train.evaluate import evaluate

        model = model if model is not None else self.load_float()
        data = dataset if dataset is not None else self.datasets("val")
        if limit:  # a truncated copy: the caller's dataset is left whole
            data = dataclasses.replace(data, samples=data.samples[:limit])
        pipe = KeypointPipeline(
            data,
            self.codec,
            output_names(model),
            training=False,
            padding=self.cfg.data.padding,
            crop_rule=crop_rule or self.cfg.data.crop_rule,
            simcc=self.simcc,
        )
        return evaluate(model, pipe, self.cfg.train.eval_batch_size, flip_test)


def load_run(path, overrides=None, unsafe_load: bool = False) -> Run:
    """Open a run directory; a missing folder or file, or a config this version cannot read, is a
    :class:`ModelError` naming it. ``overrides`` (``["compress.key=value"]``) may change the
    compression settings only: the rest describes weights that are already trained.
    ``unsafe_load`` lets the run's model files load in any Keras format (see
    :mod:`posenet_mobile.models.saved`)."""
    from .errors import ConfigError
    from .train.config import config_from_dict

    p = Path(path)
    if not p.is_dir():
        raise ModelError(f"{p}: no such run directory")
    cfile = p / "config.json"
    if not cfile.exists():
        raise ModelError(f"{cfile}: missing; {p} is not a training run directory")
    doc = read_json(cfile, expect=dict)
    if not isinstance(doc, dict) or "config" not in doc:
        raise ModelError(f"{cfile}: field 'config': expected the trainer's experiment config")
    try:
        cfg = config_from_dict(doc["config"])
    except ConfigError as exc:
        raise ModelError(f"{cfile}: incompatible run config ({exc})") from None
    if overrides:
        from .train.config import apply_overrides

        bad = [o for o in overrides if not o.strip().startswith("compress.")]
        if bad:
            raise ConfigError(f"--set {bad[0]}: only compress.* settings can change after training")
        cfg = apply_overrides(cfg, overrides)
    return Run(
        p, cfg, doc.get("data", {}), doc.get("fingerprint", ""), unsafe_load=bool(unsafe_load)
    )
