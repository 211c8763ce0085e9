"""``posenet-mobile demo``: the whole pipeline on the embedded synthetic data, resumable by stage.

Stages (each leaves ``OUT/stages/<name>.json``; a re-run skips finished stages, and training
resumes mid-run from its last epoch): data + train (quickstart) -> compress (prune, PQAT) ->
export float32 and int8 -> validate int8 against the float Keras model (gates on) -> bench
latency -> ``OUT/report.html`` and ``OUT/report.md``.
"""

from __future__ import annotations

import re
import shlex
import sys
import time

from .data.real import real_people_data
from .io import FolderLock, check_output_dir, read_json, write_json_atomic

#: Rough share of the demo's time per stage on a 2-core CPU, for the ETA before any is measured.
STAGE_WEIGHTS = {
    "train": 0.62,
    "compress": 0.2,
    "export": 0.1,
    "validate": 0.04,
    "real": 0.01,
    "bench": 0.02,
    "report": 0.01,
}
#: With the detector (the CLI's default; ``--no-detector`` leaves it out): its training and the
#: whole-image scoring join the demo.
DETECTOR_STAGE_WEIGHTS = {
    **{k: v * 0.8 for k, v in STAGE_WEIGHTS.items() if k != "report"},
    "detector": 0.18,
    "whole_image": 0.01,
    "report": STAGE_WEIGHTS["report"] * 0.8 + 0.01,
}
#: The demo's person detector (``posenet-mobile demo``, unless ``--no-detector``): synthetic scenes of 0 to 3
#: people (``synth --detection``), trained and exported as ``benchmarks/detector.py`` does, at a
#: shorter budget than that benchmark's runs. Many frames seen few times: at the same number of
#: training samples, more distinct frames found more people on held-out frames than more epochs
#: over fewer (``benchmarks/detector_compare.py``, docs/alignment.md).
DEMO_DETECTOR = {"train": 8000, "val": 200, "input": 192, "epochs": 3, "width": 0.35, "depth": 1.0}
#: A progress line that says how far its stage is: the trainer's, pruning's and QAT's epoch lines.
_EPOCH = re.compile(r"\bepoch (\d+)/(\d+)\b")


class Progress:
    """One display across stages: ``[k/n stage] message  elapsed  ETA``.

    The ETA is the time spent so far over the share of the work done *in this session*, applied to
    the share left. A stage's share grows with its ``epoch i/n`` lines, so the estimate keeps
    moving during the long training stage instead of running out at the first guess; stages reused
    from an earlier session count as done but not as time spent.
    """

    def __init__(self, total_estimate_s: float, weights: dict | None = None):
        self.t0 = time.perf_counter()
        self.total = total_estimate_s
        self.weights = STAGE_WEIGHTS if weights is None else weights
        self.done_weight = 0.0  # finished stages, run now or reused
        self.ran_weight = 0.0  # finished stages that ran in this session
        self.stage, self.k = "", 0
        self.frac = self.frac0 = None  # the current stage's share done: now, and when first seen

    def start(self, k, name):
        self.k, self.stage = k, name
        self.frac = self.frac0 = None

    def finish(self, name, ran: bool = True):
        self.done_weight += self.weights[name]
        if ran:
            self.ran_weight += self.weights[name]
        self.frac = self.frac0 = None

    def eta(self, elapsed: float) -> float:
        w = self.weights.get(self.stage, 0.0)
        f = self.frac or 0.0
        done = self.done_weight + w * f
        progressed = self.ran_weight + w * (f - (self.frac0 or 0.0))
        if progressed > 0:
            return elapsed / progressed * max(1.0 - done, 0.0)
        return max(self.total * (1.0 - done) - elapsed, 0.0)

    def __call__(self, msg: str) -> None:
        m = _EPOCH.search(msg)
        if m and int(m.group(2)) > 0:
            self.frac = min(int(m.group(1)) / int(m.group(2)), 1.0)
            if self.frac0 is None:  # a resumed stage starts part-way: that part took no time now
                self.frac0 = self.frac if msg.startswith("resuming") else 0.0
        el = time.perf_counter() - self.t0
        print(
            f"[{self.k}/{len(self.weights)} {self.stage}] {msg}  (elapsed {el / 60:.1f} min, "
            f"ETA {self.eta(el) / 60:.1f} min)",
            file=sys.stderr,
            flush=True,
        )


def run_demo(
    out="demo_output",
    config: str = "quickstart",
    overrides=None,
    estimate_s: float = 900.0,
    real_data=None,
    detector=None,
) -> dict:
    """Run (or resume) every stage into ``out``; returns the report's headline numbers.

    ``out`` is checked for writing and locked (:class:`~posenet_mobile.io.FolderLock`) first.
    ``real_data``: real photographs (COCO format) to score the int8 file on as well (default:
    :func:`posenet_mobile.data.real.real_people_data`); the report shows both figures.
    ``detector``: ``True`` (:data:`DEMO_DETECTOR`) or a dict of those settings also trains and
    exports a person detector (``OUT/export/person_detector_int8.tflite``) and scores whole
    images through it and the int8 pose file, beside crops from the labels, on held-out synthetic
    scenes and on the real photographs.
    """
    from .train.config import load_config

    out = check_output_dir(out, "--out")
    load_config(config, overrides)  # a bad config fails before the folder is made
    det = None
    if detector:
        det = dict(DEMO_DETECTOR)
        extra = set(detector) - set(det) if isinstance(detector, dict) else set()
        if extra:
            from .errors import ConfigError

            raise ConfigError(
                f"demo detector: unknown settings {sorted(extra)}; expected {sorted(det)}"
            )
        det.update(detector if isinstance(detector, dict) else {})
    with FolderLock(out, "demo folder"):
        return _run_demo(out, config, overrides, estimate_s, real_people_data(real_data), det)


def _run_demo(out, config, overrides, estimate_s, real, det=None) -> dict:
    from .compress.chain import compress_run
    from .export.exporter import export_run
    from .export.policy import export_int8_with_fallback
    from .harness.bench import bench
    from .harness.validate import validate
    from .runs import load_run
    from .train.config import load_config
    from .train.trainer import train

    stages = out / "stages"
    stages.mkdir(parents=True, exist_ok=True)
    run_dir, exp = out / "run", out / "export"
    weights = DETECTOR_STAGE_WEIGHTS if det else STAGE_WEIGHTS
    p = Progress(estimate_s, weights)
    overrides = list(overrides or [])
    cmds = {}

    def stage(k, name, fn, cmd):
        cmds[name] = cmd
        p.start(k, name)
        path = stages / f"{name}.json"
        if path.exists() and name != "report":  # the report is redone: it lists every stage
            p("done earlier; reusing")
            res, ran = read_json(path), False
        else:
            t = time.perf_counter()
            res = fn()
            res = {"seconds": round(time.perf_counter() - t, 1), **res}
            write_json_atomic(path, res)
            ran = True
        p.finish(name, ran)
        return res

    sets = " ".join(f"--set {shlex.quote(o)}" for o in overrides)
    cfg = load_config(config, overrides)
    tr = stage(
        1,
        "train",
        lambda: train(cfg, run_dir, verbose=0, progress=p),
        f"posenet-mobile train --config {config} --out {run_dir} {sets}".strip(),
    )
    comp = stage(
        2,
        "compress",
        lambda: {
            k: {kk: v[kk] for kk in ("val", "seconds", "sparsity")}
            for k, v in compress_run(load_run(run_dir), progress=p).items()
        },
        f"posenet-mobile compress --run {run_dir}",
    )

    def do_export():
        res = {
            "float32": export_run(
                run_dir,
                "float32",
                exp / "posenet_float32.tflite",
                weights="float",
                force=True,
                progress=p,
            )
        }
        # the int8 policy: PQAT, else PTQ of the pruned weights, else of the dense ones; the
        # validate stage below applies the gate to whatever ships
        shipped = export_int8_with_fallback(
            run_dir, exp / "posenet_int8.tflite", force=True, progress=p
        )
        res["int8"] = shipped["int8"]
        res["int8_tried"] = shipped["tried"]
        if shipped["rejected"]:
            res["int8_pqat_rejected"] = shipped["rejected"]
        return res

    ex = stage(
        3,
        "export",
        do_export,
        f"posenet-mobile export --run {run_dir} --format float32 --weights float "
        f"--out {exp}/posenet_float32.tflite; posenet-mobile export --run {run_dir} "
        f"--format int8 --out {exp}/posenet_int8.tflite",
    )
    if "int8_pqat_rejected" in ex:
        w = ex["int8"].get("replacement_weights", "pruned")
        cmds["export"] = (
            cmds["export"].replace("posenet_int8.tflite", "posenet_int8_pqat.tflite")
            + f"; posenet-mobile export --run {run_dir} --format int8 --quantization ptq --weights {w} "
            f"--out {exp}/posenet_int8.tflite"
        )
    val_data = str(load_run(run_dir)._locate(read_json(run_dir / "config.json")["data"]["val"]))
    va = stage(
        4,
        "validate",
        lambda: validate(
            exp / "posenet_int8.tflite",
            val_data,
            reference=run_dir,
            max_pck_drop=cfg.compress.max_pck_drop,
            report=out / "validate.json",
            predictions=out / "predictions.json",
            html=out / "validate.html",
            progress=p,
        ),
        f"posenet-mobile validate --model {exp}/posenet_int8.tflite --data {val_data} --reference {run_dir} "
        f"--report {out}/validate.json --html {out}/validate.html",
    )
    if real:

        def do_real():
            r = validate(exp / "posenet_int8.tflite", real, progress=p)
            rec = {
                "data": real,
                "pck": r["metrics"]["pck"],
                "AP": r["metrics"]["AP"],
                "count": r["metrics"]["count"],
                "crop_rule": r["crop_rule"],
                "by_source": r.get("by_source", {}),
            }
            rules = [None] if r["crop_rule"] == "box" else [None, "box"]
            if "box" in rules:  # also given only the GT box, a box model's footing
                b = validate(exp / "posenet_int8.tflite", real, progress=p, crop_rule="box")
                rec["box_crops"] = {"pck": b["metrics"]["pck"], "AP": b["metrics"]["AP"]}
            # the same crops with the flip test (validate --flip-test, two runs per crop): shown
            # beside the one-run figures, which stay the headline (what a phone runs by default)
            rec["flip_test"] = {}
            for rule in rules:
                f = validate(
                    exp / "posenet_int8.tflite", real, progress=p, crop_rule=rule, flip_test=True
                )
                rec["flip_test"]["box_crops" if rule else "own_crops"] = {
                    "pck": f["metrics"]["pck"],
                    "AP": f["metrics"]["AP"],
                }
            return rec

        rp = stage(
            5,
            "real",
            do_real,
            f"posenet-mobile validate --model {exp}/posenet_int8.tflite --data {real} "
            "(also with --crop-rule box, and each with --flip-test)",
        )
    else:
        rp = None
    be = stage(
        6,
        "bench",
        lambda: bench(
            [exp / "posenet_float32.tflite", exp / "posenet_int8.tflite"], (1, 2), runs=60
        ),
        f"posenet-mobile bench --model {exp}/posenet_float32.tflite --model {exp}/posenet_int8.tflite --threads 1 2",
    )

    dt = wi = None
    if det:
        dt, wi = _detector_stages(out, det, real, stage, exp / "posenet_int8.tflite", p)

    def do_report():
        from .harness.demo_report import write_demo_report

        return write_demo_report(
            out, cfg, tr, comp, ex, va, be, cmds, real=rp, detector=dt, whole=wi
        )

    rep = stage(
        len(weights), "report", do_report, "posenet-mobile demo" + ("" if det else " --no-detector")
    )
    return {"report": str(out / "report.html"), "passed": va["passed"], **rep.get("headline", {})}


def _detector_stages(out, det, real, stage, pose_file, progress):
    """The person detector's stages: scenes, training and int8 export (``detector``), then whole
    images through it and the pose file beside crops from the labels (``whole_image``)."""
    from .data.synthetic import SynthConfig, synthesize
    from .detect.model import DetectorTargets
    from .detect.train import train_detector
    from .export.detector import export_detector
    from .harness.whole_image import score_whole_images

    root, size = out / "detector", (det["input"], det["input"])
    det_file = out / "export" / "person_detector_int8.tflite"
    done = out / "stages" / "detector.json"
    # how the detector is taught is part of what made it: a folder trained otherwise is not reused
    det = {**det, "targets": DetectorTargets().settings()}
    if done.exists() and read_json(done).get("settings") != det:
        from .errors import ConfigError

        raise ConfigError(
            f"demo --detector: {out} holds a detector made with {read_json(done).get('settings')}, "
            f"not {det}; use another --out"
        )

    def do_detector():
        scenes = SynthConfig(max_people=3, purpose="detection")
        for name, n, seed in (("train", det["train"], 0), ("val", det["val"], 1)):
            if not (root / name / "annotations.json").exists():
                progress(f"generating {n} synthetic scenes for the detector (seed {seed})")
                synthesize(root / name, n, seed=seed, cfg=scenes, progress=False)
        keras_metrics = train_detector(
            root / "train",
            root / "val",
            root / "run",
            input_size=size,
            width=det["width"],
            depth=det["depth"],
            epochs=det["epochs"],
            progress=progress,
        )
        for stale in (det_file, det_file.with_name(det_file.name + ".json")):
            stale.unlink(missing_ok=True)  # an export cut short earlier: this stage redoes it
        doc = export_detector(
            root / "run" / "detector.keras", root / "val", det_file, progress=progress
        )
        return {
            "settings": det,
            "file": str(det_file),
            "bytes": det_file.stat().st_size,
            "keras": {
                k: keras_metrics[k] for k in ("ap50", "people", "matched_people", "fit_seconds")
            },
            "int8": doc["validation"],
        }

    dt = stage(
        len(DETECTOR_STAGE_WEIGHTS) - 2,
        "detector",
        do_detector,
        f"python benchmarks/detector.py --out {root} --train {det['train']} --val {det['val']} "
        f"--input {det['input']} --epochs {det['epochs']} --pose {pose_file}",
    )

    def do_whole():
        sets = {"synthetic scenes": root / "val"}
        if real:
            sets["real photographs"] = real
        return {
            "rows": {
                name: {"data": str(d), **score_whole_images(det_file, pose_file, d)}
                for name, d in sets.items()
            }
        }

    wi = stage(
        len(DETECTOR_STAGE_WEIGHTS) - 1,
        "whole_image",
        do_whole,
        f"python benchmarks/pipeline.py --detector {det_file} --model {pose_file} --data DIR --label L",
    )
    return dt, wi
