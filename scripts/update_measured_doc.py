"""Regenerate docs/measured.md's figures from the benchmark results files.

    python scripts/update_measured_doc.py

Reads benchmarks/results/demo.json (benchmarks/demo.py), real_people.json
(benchmarks/real_people.py), train_quickstart.json (or, without
it, train_quickstart_cache.json: benchmarks/train_quickstart.py), peers.json (benchmarks/peers.py)
and data_throughput.json (benchmarks/data_throughput.py); a file not there yet is named with the
command that writes it. tests/test_docs.py checks the section is current.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "measured.md"
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- measured:start -->\n", "<!-- measured:end -->"


def _load(name: str):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _where(doc: dict) -> str:
    p = doc.get("provenance", {})
    return f"{p.get('cpu')}, {p.get('cores')} cores; commit {p.get('commit')}, {p.get('time')}"


def _demo(d: dict) -> list:
    from posenet_mobile.harness.demo_report import labelled_crops

    if d is None:
        return ["- **`make demo`**: not recorded yet (`python benchmarks/demo.py demo_output`)."]
    wall = d.get("wall_seconds")
    how = f"`{d.get('command')}`" + (" on a fresh clone" if d.get("fresh_clone") else "")
    took = f"{wall / 60:.1f} min in all" if wall else "time not recorded"
    st = d["stage_seconds"]
    stages = ", ".join(f"{k} {v / 60:.1f}" for k, v in st.items() if v is not None)
    i8 = d["int8"]
    gate = "gate passed" if d["gate_passed"] else "gate FAILED: " + "; ".join(d["failures"])
    lat = {(r["file"], r["threads"]): r["median_ms"] for r in d["latency_ms"]}
    ms = lambda f: " / ".join(  # noqa: E731
        f"{lat[(f, t)]:.2f}" for t in sorted({t for (g, t) in lat if g == f})
    )
    k = d["kernels"]
    lsb = ", ".join(f"{n} {v:g}" for n, v in k["max_lsb"].items())
    out = [
        f"- **{how}**: {took} ({_where(d)}); stages in minutes: {stages}. {d['epochs']} epochs; {gate}.",
        f"  - On the synthetic validation set, PCK@0.2 / OKS AP: Keras float {d['float']['pck']:.3f} / "
        f"{d['float']['AP']:.3f}; pruned ({d['pruned']['sparsity']:.0%} of "
        f"prunable weights) {d['pruned']['pck']:.3f}; PQAT {d['pqat']['pck']:.3f}; TFLite float32 "
        f"{d['float32']['pck']:.3f}; shipped int8 {i8['pck']:.3f} / {i8['AP']:.3f}, "
        f"{i8['drop_points']:.2f} points below float, produced by {i8['produced_by']}.",
        f"  - Files: int8 {i8['bytes']:,} bytes ({i8['gzip_bytes']:,} gzipped), float32 "
        f"{d['float32']['bytes']:,} ({d['float32']['gzip_bytes']:,}). Median latency in ms at "
        f"1 / 2 threads: int8 {ms('posenet_int8.tflite')}, float32 {ms('posenet_float32.tflite')}.",
        f"  - XNNPACK against the reference kernels: largest difference {lsb} (LSB for int8 "
        f"outputs); PCK@0.2 differs by {k['pck_diff_points']} points; keypoints by "
        f"{k['keypoint_px'].get('mean', 0):.2f} px on average, {k['keypoint_px'].get('p99', 0):.1f} px "
        "at the 99th percentile.",
    ]
    if "real" in d:
        r = d["real"]
        src = ", ".join(f"{s} {v:.2f}" for s, v in r["by_source_pck"].items())
        out.append(
            f"  - Real photographs ({r['data']}, {r['count']} people, {labelled_crops(r.get('crop_rule'))}, the int8 file): "
            f"PCK@0.2 {r['pck']:.3f}, OKS AP {r['AP']:.3f}; by source {src}."
            + (
                f" Given only the GT box (GT-box crops, the footing of a box model and of BlazePose "
                f"Full's figure): PCK@0.2 {r['box_crops']['pck']:.3f}, OKS AP {r['box_crops']['AP']:.3f}."
                if r.get("box_crops")
                else ""
            )
            + _demo_flip(r.get("flip_test"))
        )
    if "detector" in d:
        det, i8 = d["detector"], d["detector"]["int8"]
        out.append(
            f"  - Person detector ({det['settings']['input']} px, {det['settings']['epochs']} epochs on "
            f"{det['settings']['train']} synthetic scenes; int8, {det['bytes']:,} bytes): box AP50 "
            f"{i8['ap50']:.3f} on held-out scenes, {i8['matched_people']} of {i8['people']} people found."
        )
    for name, w in d.get("whole_image", {}).items():
        out.append(
            f"  - Whole frames, {name}: the detector found {w['found']} of {w['people']} people; "
            f"PCK@0.2 {w['whole_image']['pck']:.3f} through it against {w['labelled_crops']['pck']:.3f} "
            f"on {labelled_crops(d.get('crop_rule'))}"
            + (
                f" and {w['gt_box_crops']['pck']:.3f} on GT-box crops."
                if w.get("gt_box_crops") and d.get("crop_rule") == "aligned"
                else "."
            )
        )
    return out


def _train(d: dict) -> list:
    if d is None:
        return ["- **Training alone**: not recorded yet (`python benchmarks/train_quickstart.py`)."]
    cmd = " ".join(
        ["python benchmarks/train_quickstart.py"] + [f"--set {o}" for o in d["overrides"]]
    )
    return [
        f"- **Training alone** (`{cmd}`; {_where(d)}): "
        f"the `{d['config']}` preset reaches val PCK@0.2 {d['val_pck@0.2']:.3f} (OKS AP "
        f"{d['val_oks_ap']:.3f}) at epoch {d['best_epoch']} of {d['epochs']}, after "
        f"{d['fit_seconds'] / 60:.1f} min of fitting ({d['wall_seconds_including_data'] / 60:.1f} min "
        f"with data generation and evaluation), {d['train_images_per_second']} training images/s."
    ]


def _peers(d: dict) -> list:
    if d is None:
        return [
            "- **Latency beside BlazePose Full**: not recorded yet "
            "(`python benchmarks/peers.py --model FILE.tflite ...`)."
        ]
    if not d.get("peer"):
        return [
            f"- **Latency beside BlazePose Full**: the peer model was unavailable ({d.get('peer_unavailable')})."
        ]
    rows = {}
    for r in d["results"]:
        rows.setdefault(r["file"], {})[r["threads"]] = r["median_ms"]
    threads = sorted({t for v in rows.values() for t in v})
    cells = "; ".join(f"{f} " + " / ".join(f"{v[t]:.2f}" for t in threads) for f, v in rows.items())
    return [
        f"- **Latency beside BlazePose Full** (`python benchmarks/peers.py`, {d['runs']} runs, "
        f"{_where(d)}), median ms at {' / '.join(map(str, threads))} threads: {cells}. Latency "
        "only: BlazePose predicts 33 landmarks at 256 px."
    ]


def _demo_flip(flip) -> str:
    """The demo's real figures with the flip test (recorded by demos since the flip test)."""
    if not flip:
        return ""
    parts = [
        f"{what} PCK@0.2 {flip[key]['pck']:.3f}, OKS AP {flip[key]['AP']:.3f}"
        for key, what in (("own_crops", "its own crops"), ("box_crops", "GT-box crops"))
        if key in flip
    ]
    return " With the flip test (a second, mirrored run per crop): " + "; ".join(parts) + "."


def _real(d: dict, command: str = "python benchmarks/real_people.py") -> list:
    from posenet_mobile.harness.demo_report import labelled_crops

    if d is None:
        return [
            "- **Real photographs**: not recorded yet (`python benchmarks/real_people.py RUN`)."
        ]
    r = d["result"]
    own = labelled_crops(r.get("crop_rule"))

    def fig(key):
        f = r.get(key)
        return f"PCK@0.2 {f['pck']:.3f}, OKS AP {f['AP']:.3f} ({f['count']} people)" if f else None

    def figures(tag):
        parts = [f"on {own}: {fig('real' + tag)}"] if r.get("real" + tag) else []
        if r.get("real_box_crops" + tag):
            parts.append(f"on GT-box crops: {fig('real_box_crops' + tag)}")
        syn = [f"on {own}: {fig('synthetic_val' + tag)}"] if r.get("synthetic_val" + tag) else []
        if r.get("synthetic_val_box_crops" + tag):
            syn.append(f"on GT-box crops: {fig('synthetic_val_box_crops' + tag)}")
        return "; ".join(parts) + (
            ". Its synthetic validation set: " + "; ".join(syn) if syn else ""
        )

    flip = figures("_flip_test")
    return [
        f"- **Real photographs** (`{command}`, {d['label']}; "
        f"{d.get('cpu')}, commit {d.get('commit')}), the {r['format']} file: "
        + figures("")
        + (". With the flip test (`--flip-test`, two runs per crop): " + flip if flip else "")
        + ". GT-box crops are the footing of a box model's figure and of BlazePose Full's."
    ]


def _synth(d: dict) -> list:
    if d is None:
        return [
            "- **Synthetic data**: not recorded yet "
            "(`python benchmarks/data_throughput.py --synth-only`)."
        ]
    runs = d.get("synth_runs", {}).get("human", [])
    return [
        f"- **Synthetic data** (`python benchmarks/data_throughput.py --synth-only`, "
        f"{d['images']} images per run; {d.get('cpu')}, {d.get('cores')} cores; commit "
        f"{d.get('commit')}, {d.get('time')}): the human generator writes "
        f"{d['synth_images_per_second_256px_human']} images/s at 256 px, median of "
        f"{len(runs)} runs ({', '.join(str(v) for v in runs)}); the capsule generator "
        f"{d['synth_images_per_second_256px_capsule']} in the same runs (human over capsule "
        f"{d['human_over_capsule']})."
    ]


def render() -> str:
    train = _load("train_quickstart") or _load("train_quickstart_cache")  # the default pipeline
    lines = (
        _demo(_load("demo"))
        + _real(_load("real_people"))
        + (
            _real(
                flip,
                "python benchmarks/real_people.py MODEL --flip-test "
                "--out benchmarks/results/real_people_flip_test.json",
            )
            if (flip := _load("real_people_flip_test"))
            else []
        )
        + _train(train)
        + _peers(_load("peers"))
        + _synth(_load("data_throughput"))
    )
    return "\n".join(lines) + "\n"


def main():
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())


if __name__ == "__main__":
    main()
