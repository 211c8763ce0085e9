"""Training data resolution: user COCO folders, or the embedded synthetic sets generated once."""

from __future__ import annotations

import json
from pathlib import Path

from ..data.synthetic import SynthConfig, synthesize
from ..errors import ConfigError
from ..io import read_json


def synthetic_set(
    folder: Path,
    num_images: int,
    seed: int,
    image_size: int,
    progress=print,
    synth: SynthConfig = SynthConfig(),
) -> Path:
    """Generate (or reuse, when complete with the same seed and generator settings) a synthetic
    dataset of ``num_images`` images drawn as ``synth`` says, at ``image_size`` pixels."""
    import dataclasses

    cfg = dataclasses.replace(synth, image_size=image_size)

    def as_recorded(settings: dict) -> dict:  # as JSON reads it back: tuples become lists
        return json.loads(json.dumps(settings))

    want = as_recorded({k: getattr(cfg, k) for k in cfg.__dataclass_fields__})
    ann = folder / "annotations.json"
    if ann.exists():
        doc = read_json(ann, expect=dict)
        info = doc.get("info", {})
        have = info.get("config", {})
        if "style" not in have:  # written before the human style existed: the capsule generator
            have = {**{k: getattr(SynthConfig.capsule(), k) for k in want}, **have}
        if (
            info.get("seed") == seed
            and as_recorded(have) == want
            and len(doc.get("images", [])) == num_images
        ):
            return folder
    progress(
        f"generating {num_images} synthetic images (seed {seed}, style {cfg.style}) in {folder}"
    )
    summary = synthesize(folder, num_images, seed, cfg, progress=False)
    progress(f"  {summary['images_per_second']} images/s")
    return folder


def ensure_data(dcfg, train_data, val_data, work: Path, progress=print):
    """Resolve ``(train_dir, val_dir, summary)``; synthetic sets use seeds ``s`` and ``s + 1``."""
    if (train_data is None) != (val_data is None):
        raise ConfigError(
            "--train-data and --val-data: give both, or neither for the synthetic default"
        )
    if train_data is not None:
        tr, va = (
            Path(train_data),
            Path(val_data),
        )  # recorded absolute: later stages may run elsewhere
        return tr, va, {"train": str(tr.resolve()), "val": str(va.resolve()), "synthetic": False}
    s = dcfg.synthetic_seed
    tr = synthetic_set(
        work / f"synthetic_train_s{s}",
        dcfg.synthetic_train,
        s,
        dcfg.synthetic_image_size,
        progress,
        dcfg.synth,
    )
    va = synthetic_set(
        work / f"synthetic_val_s{s + 1}",
        dcfg.synthetic_val,
        s + 1,
        dcfg.synthetic_image_size,
        progress,
        dcfg.synth,
    )
    return (
        tr,
        va,
        {
            "train": str(Path(tr).resolve()),
            "val": str(Path(va).resolve()),
            "synthetic": True,
            "train_images": dcfg.synthetic_train,
            "val_images": dcfg.synthetic_val,
            "seeds": [s, s + 1],
        },
    )
