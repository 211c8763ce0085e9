"""Regenerate docs/training.md's measured section from the benchmark results files.

    python scripts/update_training_doc.py

Reads benchmarks/results/train_profile.json, train_throughput.json, input_pipeline_*.json and
train_quickstart_{numpy,cache,progressive,progressive64}.json; the doc holds no figure that is not in one of them
(tests/test_docs.py checks the section is current).
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "training.md"
RESULTS = ROOT / "benchmarks" / "results"
START, END = "<!-- training-measurements:start -->\n", "<!-- training-measurements:end -->"

LEVERS = {
    "baseline": "the preset fed from the NumPy input pipeline",
    "cache": "fed from the crop cache (`data.crop_cache=on`)",
    "bf16": "`train.mixed_precision=mixed_bfloat16`",
    "memory": "one batch repeated from memory (ceiling of any input-pipeline lever)",
    "spe4": "`train.steps_per_execution=4`",
    "batch16": "`train.batch_size=16` (changes the optimisation)",
    "depth05": "`model.depth=0.5`: 11 of the 17 backbone blocks (changes the model)",
    "inter1": "one inter-op thread",
    "xla": "`jit_compile=True` (XLA), upsampling stand-in",
    "eval": "one validation pass, timed after the baseline segments (the row repeats the baseline)",
}


def _machine(doc: dict) -> str:
    return (
        f"{doc.get('cpu')}, {doc.get('cores')} cores, commit {doc.get('commit')}, {doc.get('time')}"
    )


def render() -> str:
    out = []
    prof_path, tput_path = RESULTS / "train_profile.json", RESULTS / "train_throughput.json"
    if prof_path.exists():
        p = json.loads(prof_path.read_text())
        out += [
            f"**Where a step goes** (`benchmarks/train_profile.py`: {p['config']}, batch {p['batch_size']}, "
            f"{p['model']['input_size'][0]} px, width {p['model']['width']}; {_machine(p)}). Op time summed "
            f"over the compute threads: {p['op_ms_per_step']} ms per step, against "
            f"{p['wall_ms_per_step_under_profiler']} ms of wall time under the profiler.",
            "",
            "| op kind | ms per step | share |",
            "|---|---|---|",
        ]
        out += [
            f"| {r['kind']} | {r['ms_per_step']} | {100 * r['share']:.1f}% |" for r in p["by_kind"]
        ]
        out.append("")
    if tput_path.exists():
        t = json.loads(tput_path.read_text())
        out += [
            f"**Levers, side by side** (`benchmarks/train_throughput.py`: {t['config']}, "
            f"{t['timed_images_per_round']} timed images per variant and round, {t['rounds']} rounds "
            f"interleaved, medians; {_machine(t)}). The ratio is taken within each round.",
            "",
            "| variant | what it changes | images/s | CPU ms per image | images/s over baseline | CPU over baseline |",
            "|---|---|---|---|---|---|",
        ]
        for name, s in t["summary"].items():
            what = LEVERS.get(name, name)
            if "error" in s:
                out.append(f"| {name} | {what} | does not run: {s['error']} | | | |")
                continue
            other = "" if s.get("same_process_as_baseline", True) else " (its own process)"
            out.append(
                f"| {name} | {what}{other} | {s['images_per_second']} | {s['cpu_ms_per_image']} | "
                f"{s['over_baseline']} | {s['cpu_over_baseline']} |"
            )
        ev = t["summary"].get("eval", {})
        if "eval_seconds" in ev:
            out += [
                "",
                f"One validation pass took {ev['eval_seconds']} s, {100 * ev['eval_over_epoch']:.1f}% of "
                f"a preset epoch at that rate ({ev['preset_epoch_seconds']} s): the most "
                "`train.eval_every` can save per epoch it skips.",
            ]
        out.append("")
    for path in sorted(RESULTS.glob("input_pipeline_*.json")):
        out += _input_pipeline(json.loads(path.read_text()))
    runs = {
        n: json.loads((RESULTS / f"train_quickstart_{n}.json").read_text())
        for n in QUICKSTART_RUNS
        if (RESULTS / f"train_quickstart_{n}.json").exists()
    }
    if len(runs) > 1:
        out += _equal_time(runs)
    return "\n".join(out)


def _input_pipeline(d: dict) -> list:
    s = d["summary"]
    h, w = d["input_size"]
    rows = [
        f"**Input pipelines alone, {d['config']}** (`benchmarks/input_pipeline.py --config "
        f"{d['config']}`: {h}x{w} input, batch {d['batch_size']}, {d['batches_timed']} batches per "
        f"run, {d['rounds']} rounds, medians; {_machine(d)}). Each run is pinned with `taskset`.",
        "",
        "| pipeline | cores | images/s | CPU ms per image | 2 cores over 1 |",
        "|---|---|---|---|---|",
    ]
    for name in ("numpy", "cache"):
        for cores in (1, 2):
            r = s.get(f"{name}_{cores}core")
            if r:
                scale = s.get(f"{name}_2_over_1_core", "") if cores == 2 else ""
                rows.append(
                    f"| {name} | {cores} | {r['images_per_second']} | {r['cpu_ms_per_image']} | {scale} |"
                )
    return rows + [""]


#: The quickstart trainings compared at equal wall time (``train_quickstart_NAME.json``), in order.
QUICKSTART_RUNS = ("numpy", "cache", "progressive", "progressive64")


def _equal_time(runs: dict) -> list:
    """The quickstart trainings: throughput, and each one's best validation PCK beside the best
    the default (``cache``) run had reached by the time this one finished."""
    base = runs.get("cache")

    def by(run, t):
        v = [
            p
            for s, p in zip(run["curve"]["seconds"], run["curve"]["val_pck"])
            if s <= t and p is not None
        ]
        return round(max(v), 4) if v else None

    rows = [
        "**The quickstart trained each way** (`benchmarks/train_quickstart.py --results "
        "benchmarks/results/train_quickstart_NAME.json` with the settings below; each row's "
        "machine and commit are under the table). Progressive resizing's images/s counts its "
        'smaller images as images. "the default\'s best within that time" is the equal-wall-time check: the best the '
        "`cache` run (the default) had reached within this run's train + eval seconds.",
        "",
        "| run | settings | fit images/s | images/s by input size | train + eval seconds | best "
        "val PCK@0.2 | the default's best within that time | real photographs PCK@0.2 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        real = RESULTS / f"real_people_pipeline_{name}.json"
        real = (
            round(json.loads(real.read_text())["result"]["real"]["pck"], 4) if real.exists() else ""
        )
        sizes = ", ".join(
            f"{k}: {v}" for k, v in r.get("images_per_second_by_input_size", {}).items()
        )
        default = by(base, r["curve"]["seconds"][-1]) if base else ""
        rows.append(
            f"| {name} | {' '.join(r['overrides']) or '(the preset)'} | "
            f"{r['train_images_per_second']} | {sizes} | {r['train_and_eval_seconds']} | "
            f"{r['val_pck@0.2']} | {default} | {real} |"
        )
    rows.append("")
    for name, r in runs.items():
        rows.append(f"- {name}: {_machine(r['provenance'])}.")
    ratios = [
        f"{name} over cache {r['train_images_per_second'] / base['train_images_per_second']:.2f}x"
        for name, r in runs.items()
        if base and r is not base
    ]
    rows += [
        "",
        f"Training images/s: {'; '.join(ratios)}. The real-photographs column scores "
        "each run's float32 export on the 26 people of the dev set (`benchmarks/real_people.py "
        "FILE --out benchmarks/results/real_people_pipeline_NAME.json`); a difference under about "
        "4 points there is noise.",
        "",
    ]
    return rows


def main():
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())


if __name__ == "__main__":
    main()
