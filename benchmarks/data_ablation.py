"""Which synthetic-data features teach a model to see real people? Trains and scores (not a test).

Each row trains the quickstart preset with one change to the synthetic generator
(``data.synth.*``), then scores the trained float Keras model (crops by the run's own rule and
padding; a run with aligned crops also on GT-box crops of the real people) on:

* the real-people dev set (PCK@0.2, OKS AP, and PCK per ``source``): the thermometer, never
  used to train, tune or pick checkpoints; at ~300 keypoints a difference under ~4 points is noise;
* the row's own synthetic validation set (what ``train`` reports);
* one shared validation set of each generator style (300 people, seed 1): ``human`` (the human
  generator as first built, :data:`FIRST_HUMAN`) and ``capsule`` (the first generator), so no row
  is only judged on its own data.

Rows are resumable: a finished run is re-scored, not retrained. Results are merged into
``benchmarks/results/data_ablation.json`` (with the commit and the machine) and the table in
``docs/data.md`` is rewritten from them (``python benchmarks/data_ablation.py --table-only``).

Usage: .venv/bin/python benchmarks/data_ablation.py --out runs/ablation [--rows human,capsule,...]
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from posenet_mobile.data.real import DEV_SET as REAL  # noqa: E402  (one definition of where the dev set lives)

RESULTS = ROOT / "benchmarks" / "results" / "data_ablation.json"
DOC = ROOT / "docs" / "data.md"

CAPSULE = [
    "data.synth.style=capsule",
    "data.synth.occluder_prob=0.35",
    "data.synth.full_roll_prob=0.08",
    "data.synth.pose_mix=uniform",
    "data.synth.distractor_prob=0",
]
#: The human generator as first built (per-part shading, no clutter): the base each one-change
#: row below differs from (the rows measured before these switches existed ran it as the default).
FIRST_HUMAN = ["data.synth.smooth_joints=false", "data.synth.clutter=0"]
ROWS = {
    "defaults": ([], "the generator's defaults now"),
    "human": (
        FIRST_HUMAN,
        "the human-looking generator as first built (the base of the rows below)",
    ),
    "capsule": (CAPSULE, "the first generator: shaded capsules, uniform poses"),
    "no_textures": (FIRST_HUMAN + ["data.synth.textures=false"], "plain-coloured clothes"),
    "no_faces": (
        FIRST_HUMAN + ["data.synth.faces=false"],
        "drawn eyes and mouth instead of real (LFW) faces",
    ),
    "no_scenes": (
        FIRST_HUMAN + ["data.synth.scenes=false"],
        "the capsule generator's backgrounds instead of scenes",
    ),
    "no_distractors": (
        FIRST_HUMAN + ["data.synth.distractor_prob=0"],
        "no second person beside the main one",
    ),
    "uniform_poses": (
        FIRST_HUMAN + ["data.synth.pose_mix=uniform"],
        "every pose category alike instead of the COCO-like mix",
    ),
    "no_camera_effects": (
        FIRST_HUMAN + ["data.synth.camera_effects=false"],
        "the capsule generator's lighting change only",
    ),
    "no_hands": (FIRST_HUMAN + ["data.synth.hands=false"], "plain tubes for hands"),
    "less_rotation": (
        FIRST_HUMAN + ["augment.rotation=25", "augment.rotation_prob=0.4"],
        "training crops rotated less (the data is mostly upright now)",
    ),
    "sigma_1.5": (FIRST_HUMAN + ["codec.sigma=1.5"], "narrower heatmap Gaussians"),
    "smooth_joints": (
        ["data.synth.smooth_joints=true", "data.synth.clutter=0"],
        "each limb and the torso shaded as one surface: no dark crease at elbows, knees, waist",
    ),
    "lowres": (
        ["data.synth.smooth_joints=true", "data.synth.clutter=0", "augment.lowres_prob=0.3"],
        "smooth_joints, and a third of the training crops shrunk up to 4x and enlarged back",
    ),
    "colour": (
        [
            "data.synth.smooth_joints=true",
            "data.synth.clutter=0",
            "augment.hue=0.25",
            "augment.grayscale_prob=0.15",
        ],
        "smooth_joints, and each training crop's colours turned up to a quarter circle; 15% grey",
    ),
    "context": (
        [
            "data.synth.smooth_joints=true",
            "data.synth.clutter=0",
            "data.synth.person_scale=[0.3,0.9]",
        ],
        "smooth_joints, and people drawn smaller in the image, so crops hold scene, not black margins",
    ),
    "randconv": (
        ["data.synth.smooth_joints=true", "data.synth.clutter=0", "augment.randconv_prob=0.5"],
        "smooth_joints, and half the training crops through a random convolution (RandConv)",
    ),
    "width_0.5": (
        ["data.synth.smooth_joints=true", "data.synth.clutter=0", "model.width=0.5"],
        "smooth_joints, and a wider backbone (width 0.5): capacity, not data",
    ),
    "clutter": (
        ["data.synth.smooth_joints=false", "data.synth.clutter=0.5"],
        "half the backgrounds covered in dead-leaves clutter (shapes at every scale, some limb-like)",
    ),
    "images_12k": (
        FIRST_HUMAN + ["data.synthetic_train=12000", "train.epochs=10"],
        "four times the training people for a quarter of the epochs (the same training samples)",
    ),
    # one change each from the defaults now (aligned crops, the facing output, hair behind the head)
    "seed_1": (
        ["train.seed=1"],
        "the defaults trained again from another seed (the same people): how far chance moves a row",
    ),
    "epochs_20": (
        ["train.epochs=20"],
        "the defaults trained half as long (20 epochs, the same people): budget, not data",
    ),
    "box_share_0.3": (
        ["data.box_crop_share=0.3"],
        "the defaults with 30% of the training people cropped by their box: for a user's person box",
    ),
    "epochs_80": (
        ["train.epochs=80"],
        "the defaults trained twice as long (80 epochs, the same people): budget, not data",
    ),
    "drawn_faces": (
        ["data.synth.faces=false"],
        "the defaults with drawn eyes and a mouth instead of real (LFW) faces",
    ),
    "scene_exposure": (
        ["data.synth.scene_exposure=true"],
        "the defaults with people exposed like the scene (mean shade near 1), not darker than it",
    ),
    "camera_tone": (
        ["data.synth.scene_exposure=true", "data.synth.camera_tone=true"],
        "scene_exposure, and a camera's tone processing: levels stretched, an S-curve, sharpening",
    ),
    "scenes_off": (
        ["data.synth.scenes=false"],
        "the defaults without scenes: the capsule generator's backgrounds (photograph crops, noise),"
        " no rooms, streets or furniture",
    ),
}


def shared_val(out: Path, style: str) -> Path:
    from posenet_mobile.data.synthetic import SynthConfig
    from posenet_mobile.train.data import synthetic_set

    # the human set stays the first human generator's, so the rows keep one yardstick
    cfg = (
        SynthConfig(smooth_joints=False, clutter=0.0) if style == "human" else SynthConfig.capsule()
    )
    return synthetic_set(out / f"_val_{style}", 300, 1, 256, progress=lambda *_: None, synth=cfg)


def score(run, data_path, crop_rule: str | None = None) -> dict:
    from posenet_mobile.data.coco import load_coco
    from posenet_mobile.data.pipeline import KeypointPipeline
    from posenet_mobile.harness.validate import by_source
    from posenet_mobile.models.build import output_names
    from posenet_mobile.metrics import score as score_
    from posenet_mobile.train.evaluate import predict

    model = run.load_float()
    ds = load_coco(data_path)
    pipe = KeypointPipeline(
        ds,
        run.codec,
        output_names(model),
        training=False,
        padding=run.cfg.data.padding,
        crop_rule=crop_rule or run.cfg.data.crop_rule,
        simcc=run.simcc,
    )
    idx, kp, sc = predict(model, pipe, run.cfg.train.eval_batch_size)
    m = score_(ds, idx, kp, sc)
    out = {"pck": round(m["pck"], 4), "AP": round(m["AP"], 4), "count": m["count"]}
    groups = by_source(ds, {"indices": idx, "keypoints": kp, "scores": sc})
    if groups:
        out["by_source_pck"] = {k: round(v["pck"], 4) for k, v in groups.items()}
    return out


def run_row(name, overrides, out: Path, extra) -> dict:
    from posenet_mobile.runs import load_run
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    cfg = load_config("quickstart", overrides + extra)
    res = train(
        cfg,
        out / name,
        verbose=0,
        progress=lambda m: print(f"[{name}] {m}", file=sys.stderr, flush=True),
    )
    run = load_run(out / name)
    # train_seconds comes from the run's own history, so a resumed (re-scored) row keeps it
    row = {
        "overrides": overrides + extra,
        "train_seconds": res.get("train_seconds"),
        "own_val": {"pck": round(res["best"]["pck"], 4), "AP": round(res["best"]["AP"], 4)},
        "crop_rule": run.cfg.data.crop_rule,
        "real": score(run, REAL),
        "val_human": score(run, shared_val(out, "human")),
        "val_capsule": score(run, shared_val(out, "capsule")),
    }
    if run.cfg.data.crop_rule != "box":  # also given only the GT box: issue 19's footing
        row["real_box_crops"] = score(run, REAL, crop_rule="box")
    return row


def table(doc: dict, args: str = "") -> str:
    rows = doc["rows"]
    # rows scored before crop rules were recorded are box models: their own crops are GT-box crops
    rules = sorted({r.get("crop_rule", "box") for r in rows.values()})
    box_col = any("real_box_crops" in r for r in rows.values())
    head = "| row | change | real PCK@0.2 | real AP |"
    if box_col:
        head += " real PCK@0.2 / AP, GT-box crops |"
    lines = [
        head + " synthetic val (own) | human val | capsule val |",
        "|---|---|---|---|" + ("---|" if box_col else "") + "---|---|---|",
    ]
    for name, r in rows.items():
        cells = [
            f"`{name}`",
            ROWS.get(name, ([], r.get("note", "")))[1],
            f"{r['real']['pck']:.3f}",
            f"{r['real']['AP']:.3f}",
        ]
        if box_col:
            b = r.get("real_box_crops") or (
                r["real"] if r.get("crop_rule", "box") == "box" else None
            )
            cells.append(f"{b['pck']:.3f} / {b['AP']:.3f}" if b else "-")
        cells += [f"{r[k]['pck']:.3f}" for k in ("own_val", "val_human", "val_capsule")]
        lines.append("| " + " | ".join(cells) + " |")
    prov = doc.get("provenance", {})
    lines.append("")
    extra = " ".join([args] + [f"--set {o}" for o in doc.get("extra_overrides", [])]).strip()
    if rules == ["box"]:
        crops = "Keras float models on GT-box crops"
    else:
        crops = (
            "Keras float models, each on crops by its own rule "
            f"({', '.join(rules)}: aligned crops from the labelled keypoints), and real people "
            "also on GT-box crops (the footing of a box model's figure and of BlazePose Full's)"
        )
    lines.append(
        f"Last scored at commit {prov.get('commit')}, {prov.get('cpu')} ({prov.get('cores')} cores); "
        f"`python benchmarks/data_ablation.py {extra}`. {crops}; "
        "26 real people (~300 keypoints): differences under ~4 points are noise."
    )
    return "\n".join(lines) + "\n"


def write_table(doc, marker="ablation", args=""):
    from posenet_mobile.io import replace_section, write_bytes_atomic

    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    text = DOC.read_text()
    if start not in text or end not in text:  # a new marker: its table goes at the end
        write_bytes_atomic(DOC, (text.rstrip() + f"\n\n{start}{end}\n").encode())
    replace_section(DOC, start, end, table(doc, args))  # atomic, as every generated section


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/ablation")
    ap.add_argument("--rows", default=",".join(ROWS))
    ap.add_argument("--set", action="append", default=[], help="extra override for every row")
    ap.add_argument("--table-only", action="store_true")
    ap.add_argument("--results", default=str(RESULTS), help="results file (one per budget)")
    ap.add_argument(
        "--marker", default="ablation", help="the docs/data.md table these results fill"
    )
    a = ap.parse_args()
    results = Path(a.results)

    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    doc = (
        json.loads(results.read_text())
        if results.exists()
        else {"benchmark": "data_ablation", "rows": {}}
    )
    doc["extra_overrides"] = a.set or doc.get("extra_overrides", [])
    if not a.table_only:
        out = Path(a.out)
        for name in a.rows.split(","):
            overrides = ROWS[name][0]
            doc["rows"][name] = run_row(name, overrides, out, a.set)
            doc["provenance"] = provenance()
            results.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(results, doc, indent=1)
            print(json.dumps({name: doc["rows"][name]}), flush=True)
    args = "" if a.marker == "ablation" else f"--results {a.results} --marker {a.marker}"
    if Path(a.results).is_absolute():
        args = args.replace(str(ROOT) + "/", "")
    write_table(doc, a.marker, args)
    print(table(doc, args))


if __name__ == "__main__":
    main()
