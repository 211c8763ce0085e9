"""The run folder's rules: which folder may hold a run of this config, and what a run must
have produced. A run folder holds one configuration; re-entering it with the same one resumes,
with another is refused (``--overwrite`` discards it), and a folder that never completed an epoch
is taken over."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..errors import ConfigError, TrainError
from ..io import read_json
from .config import ExperimentConfig, upgrade_config_dict


def check_run_dir(out: Path, cfg: ExperimentConfig, overwrite: bool = False) -> None:
    """Refuse a run directory that holds a run of a different configuration.

    A folder whose ``config.json`` has no completed epoch beside it (a start that failed before
    training, or was killed in its first epoch) holds no run: it is taken over without
    ``--overwrite``.
    """
    path = out / "config.json"
    if not path.exists():
        return
    old = read_json(path, expect=dict)
    if isinstance(old.get("config"), dict):
        old["config"] = upgrade_config_dict(old["config"])
    if old.get("fingerprint") == cfg.fingerprint():
        return
    trained_nothing = not (out / "state.json").exists() and not (out / "model.keras").exists()
    if overwrite or trained_nothing:
        for name in (
            "state.json",
            "history.json",
            "metrics.json",
            "model.keras",
            "learning_curve.png",
            "config.json",
        ):
            if (out / name).exists():
                (out / name).unlink()
        shutil.rmtree(out / "checkpoints", ignore_errors=True)
        return
    # the compress section (and the name) do not change the trained weights: a run re-entered with
    # other compression settings is the same run, and config.json records the new ones
    trained = lambda d: {k: v for k, v in d.items() if k not in ("compress", "name")}  # noqa: E731
    diff = _first_difference(
        trained(old.get("config", {})), trained(cfg.to_dict()), ExperimentConfig().to_dict()
    )
    if diff is None and "config" in old:  # only keys added by a later version, at their defaults
        return
    diff = diff or "fingerprint differs"
    raise ConfigError(
        f"{out}: holds a run with a different config ({diff}); use another --out, or --overwrite to discard it"
    )


def _first_difference(a, b, defaults=None, prefix=""):
    """First differing key of config dicts ``a`` (stored) and ``b`` (now), or None. A key missing
    from ``a`` whose value in ``b`` equals its entry in ``defaults`` is no difference: a setting
    added by a later version of the package, at the value the old run was trained with."""
    defaults = defaults or {}
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        if key not in a and key in defaults and vb == defaults[key]:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            d = _first_difference(
                va,
                vb,
                defaults.get(key) if isinstance(defaults.get(key), dict) else {},
                f"{prefix}{key}.",
            )
            if d:
                return d
        elif va != vb:
            return f"{prefix}{key}: {va!r} there, {vb!r} now"
    return None


def require_model(run: Path, state: dict) -> None:
    """A run that completed epochs but never wrote ``model.keras`` produced nothing usable."""
    if state.get("epoch") and not (run / "model.keras").exists():
        raise TrainError(
            f"{run}: {state['epoch']} epoch(s) ran but no model was kept: validation PCK@0.2 was "
            f"never a finite number (history {state.get('history', {}).get('val_pck')})"
        )
