"""What to convert, and which int8 file to ship when the first choice misses the accuracy gate.

:class:`QuantizationConfig` names an export's format and method with one constructor per kind of
file (as MediaPipe Model Maker's ``QuantizationConfig`` does): :meth:`~QuantizationConfig.for_float32`,
:meth:`~QuantizationConfig.for_float16`, :meth:`~QuantizationConfig.for_dynamic` and
:meth:`~QuantizationConfig.for_int8`. :func:`export` runs :func:`~.exporter.export_run` with one.

:func:`export_int8_with_fallback` is the int8 policy ``posenet-mobile demo`` ships by, and
``posenet-mobile export --fallback`` runs: the steps of :data:`INT8_POLICY` in order
(quantization-aware training of the compress stage, then post-training quantization of the pruned
weights, then of the dense ones), each written under its own name beside ``out``; the first step
within the gate ships, else the one with the smallest drop (only with ``force``). The file shipped
is renamed to ``out`` with its sidecar; the first step tried is kept beside it when something else
shipped, so what was rejected can be inspected; the other tries are removed. Without ``force`` and
with no step within the gate, every try is removed and ``out`` is left as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import ExportError
from ..io import commit_files, json_bytes, read_json
from . import exporter
from .tflite import FORMATS


@dataclass(frozen=True)
class QuantizationConfig:
    """An export's kind of file.

    format: ``float32``, ``float16`` (float16 weights), ``dynamic`` (int8 weights, float
    activations) or ``int8`` (integer-only, uint8 pixels in).
    quantization: int8 only; ``qat`` converts the run's quantization-aware stage, ``ptq``
    calibrates the weights on training crops, ``auto`` takes the QAT stage when there is one.
    weights: ``float``, ``pruned`` or ``auto`` (the pruned stage when there is one); a QAT export
    takes the QAT stage's weights whatever this says.
    per_channel: int8 PTQ weight scales per output channel (else per kernel).
    """

    format: str
    quantization: str = "auto"
    weights: str = "auto"
    per_channel: bool = True

    def __post_init__(self):
        if self.format not in FORMATS:
            raise ExportError(f"format: expected one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.quantization not in ("auto", "ptq", "qat"):
            raise ExportError(f"quantization: expected auto, ptq or qat, got {self.quantization!r}")
        if self.weights not in ("auto", "float", "pruned"):
            raise ExportError(f"weights: expected auto, float or pruned, got {self.weights!r}")

    @classmethod
    def for_float32(cls, weights: str = "float") -> "QuantizationConfig":
        return cls("float32", weights=weights)

    @classmethod
    def for_float16(cls, weights: str = "auto") -> "QuantizationConfig":
        return cls("float16", weights=weights)

    @classmethod
    def for_dynamic(cls, weights: str = "auto") -> "QuantizationConfig":
        return cls("dynamic", weights=weights)

    @classmethod
    def for_int8(
        cls, quantization: str = "auto", weights: str = "auto", per_channel: bool = True
    ) -> "QuantizationConfig":
        return cls("int8", quantization=quantization, weights=weights, per_channel=per_channel)

    def export_kwargs(self) -> dict:
        """The :func:`~.exporter.export_run` arguments this config stands for."""
        return dict(
            fmt=self.format,
            quantization=self.quantization,
            weights=self.weights,
            per_channel=self.per_channel,
        )


def export(run_dir, config: QuantizationConfig, out=None, **kwargs) -> dict:
    """:func:`~.exporter.export_run` with the format and method of ``config``; ``kwargs`` are its
    other arguments (``max_pck_drop``, ``force``, ``progress``, ...)."""
    return exporter.export_run(run_dir, out=out, **config.export_kwargs(), **kwargs)


@dataclass(frozen=True)
class PolicyStep:
    """One try of :func:`export_int8_with_fallback`: a name (the file is ``STEM_NAME.tflite``
    while it is tried), the export, what it is in words, and the run stage it needs."""

    name: str
    config: QuantizationConfig
    what: str
    needs: str


INT8_POLICY = (
    PolicyStep(
        "pqat",
        QuantizationConfig.for_int8("qat"),
        "quantization-aware training of the pruned weights",
        "qat",
    ),
    # the dense step gives up pruning's gzip saving, never the gate: pruning alone can cost a
    # small model a point
    PolicyStep(
        "ptq_pruned",
        QuantizationConfig.for_int8("ptq", "pruned"),
        "post-training quantization of the same pruned weights",
        "pruned",
    ),
    PolicyStep(
        "ptq_float",
        QuantizationConfig.for_int8("ptq", "float"),
        "post-training quantization of the dense (unpruned) weights",
        "float",
    ),
)


def _pair(path: Path) -> tuple[Path, Path]:
    return path, exporter.sidecar_path(path)


def _remove(path: Path) -> None:
    for p in _pair(path):
        p.unlink(missing_ok=True)


def export_int8_with_fallback(
    run_dir,
    out,
    policy=INT8_POLICY,
    max_pck_drop: float | None = None,
    force: bool = False,
    per_channel: bool = True,
    progress=print,
    **kwargs,
) -> dict:
    """Ship the first int8 file of ``policy`` within the gate (see the module docstring).

    Returns ``{"int8": report, "rejected": report or None, "tried": [...]}``: the shipped file's
    export report (``file`` is ``out``; ``policy_step`` names its step, and when it is not the
    first step tried, ``replacement`` and ``replacement_weights`` say what replaced it), the
    first try's report when something else shipped (``file`` is where it was kept), and one line
    per try (step, method, PCK drop). ``kwargs`` go to every export (``eval_limit``, ``overrides``,
    ``unsafe_load``, ...).
    """
    from ..runs import load_run

    out = Path(out)
    if out.suffix != ".tflite":
        raise ExportError(f"--out {out}: expected a .tflite path")
    run = load_run(run_dir, kwargs.get("overrides"), unsafe_load=kwargs.get("unsafe_load", False))
    bound = run.cfg.compress.max_pck_drop if max_pck_drop is None else float(max_pck_drop)
    present = {
        "qat": run.model_path("qat").exists(),
        "pruned": run.model_path("pruned").exists(),
        "float": True,
    }
    steps = [s for s in policy if present.get(s.needs, False)]
    if not steps:
        raise ExportError(f"{run.path}: none of the policy's steps has the run stage it needs")
    tried, reports, best, candidates = [], [], None, []
    try:
        for step in steps:
            if tried:
                progress(f"export: trying {step.what}")
            cand = out.with_name(f"{out.stem}_{step.name}.tflite")
            candidates.append(cand)
            config = replace(step.config, per_channel=per_channel)
            rep = export(
                run_dir,
                config,
                cand,
                max_pck_drop=bound,
                force=True,
                progress=progress,
                **kwargs,
            )
            reports.append(rep)
            drop = rep["validation"]["pck_drop_points"]
            tried.append({"step": step.name, "produced_by": rep["produced_by"], "pck_drop": drop})
            if best is None or drop < best[0]:
                best = (drop, step, rep, cand)
            if drop <= bound:
                break
            progress(f"export: {step.what} is {drop:.2f} PCK points below float (bound {bound})")
        drop, step, rep, cand = best
        if drop > bound and not force:
            raise ExportError(
                f"int8: no step within {bound} PCK points of float ("
                + ", ".join(f"{t['step']} {t['pck_drop']:.2f}" for t in tried)
                + "); nothing written (--force ships the smallest drop)"
            )
        first = candidates[0]
        shipped = {**rep, "file": str(out), "policy_step": step.name}
        rejected = None
        if step is not steps[0]:
            shipped.update(replacement=step.what, replacement_weights=step.config.weights)
            # the report the policy judged, as it judged it
            rejected = {**reports[0], "file": str(first)}
        sidecar = read_json(exporter.sidecar_path(cand))
        sidecar["export"] = {**sidecar["export"], "file": str(out)}
        # the sidecar, then the model readers look for; the try's own pair is removed after
        commit_files([(exporter.sidecar_path(out), json_bytes(sidecar)), (out, cand.read_bytes())])
        keep = {first} if rejected else set()
        for c in candidates:
            if c not in keep:
                _remove(c)
        candidates = [first] if rejected else []
        return {"int8": shipped, "rejected": rejected, "tried": tried}
    except BaseException:
        for c in candidates:
            if c != out:
                _remove(c)
        raise
