"""Regenerate docs/heads.md's measured section and docs/heads.png from benchmarks/results/heads.json
(the latest run) and heads_*.json (earlier runs, kept).

    python scripts/update_heads_doc.py

The doc holds no figure that is not in the results file (tests/test_docs.py checks the section is
current); benchmarks/heads.py writes that file.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "heads.md"
PLOT = ROOT / "docs" / "heads.png"
RESULTS = ROOT / "benchmarks" / "results" / "heads.json"
SIDES = ROOT / "benchmarks" / "results" / "simcc_sides.json"
#: Later side-decoding measurements (benchmarks/error_analysis.py), with the facing output's
#: accuracy by camera yaw: ``{file name: title}``, rendered in this order after :data:`SIDES`.
FACING = {
    "simcc_hm_sides_errors.json": "Left and right on the heatmap-supervised simcc head",
    "heatmap_row_errors.json": "Left and right on the heatmap row",
    "heatmap_row_errors_facing_max.json": "The heatmap row with a max-pooled facing output",
    "heatmap_row_errors_facing20.json": "The heatmap row with the facing loss weighed 20",
    "paired_f20_simcc_hm_sides_errors.json": (
        "The latest run's simcc_hm_sides row (facing loss 20, simcc losses 5)"
    ),
    "paired_f20_heatmap_errors.json": "The latest run's heatmap row (facing loss 20)",
}
START, END = "<!-- heads-measurements:start -->\n", "<!-- heads-measurements:end -->"
#: The acceptance bar of the "fast and accurate" question: at least this speed-up over the
#: heatmap row in int8 at 1 thread, and at most this many PCK points below it.
SPEEDUP, POINTS = 1.25, 1.0


def _budget(b: dict) -> str:
    m, t, d = b["model"], b["train"], b["data"]
    return (
        f"{m['input_size'][0]}x{m['input_size'][1]} input, width {m['width']}, {t['epochs']} epochs of batch "
        f"{t['batch_size']}, learning rate {t['learning_rate']}, {d['synthetic_train']} synthetic training people, "
        f"scored on {d['synthetic_val']} held-out people"
    )


def _latency_text(doc: dict) -> str:
    """How the run's latency was measured: rounds in a fresh process (compare-heads since
    484870d), or, in earlier runs, one interleaved benchmark inside the training process."""
    if "bench_rounds" not in doc:
        return (
            f"Latency: one interleaved benchmark, median of {doc['bench_runs']} invokes per file "
            "(XNNPACK), run in the process that trained the rows, on int8 files that still had the "
            "normalize op (see the latest run for both changes); compare times within this run only."
        )
    spread = ""
    rows = [
        r for r in doc["rows"] if r["head"] != "heatmap" and "speedup_vs_heatmap_1t_rounds" in r
    ]
    if rows:
        spread = (
            " Speed-up of each round at 1 thread: "
            + "; ".join(
                f"{r['head']} {min(r['speedup_vs_heatmap_1t_rounds']):.3f} to "
                f"{max(r['speedup_vs_heatmap_1t_rounds']):.3f}"
                for r in rows
            )
            + "."
        )
    return (
        f"Latency (XNNPACK): {doc['bench_rounds']} rounds of an interleaved benchmark, "
        f"{doc['bench_runs']} invokes per file and thread count, each round in a fresh process; a "
        "row's time is the median of its rounds' medians and its speed-up the median of the rounds' "
        f"ratios.{spread}"
    )


def render() -> str:
    """The generated section: the latest run (``heads.json``, with the plot), then every earlier run
    kept as ``heads_*.json``, each with its own command, machine and commit. Rows of different runs
    are compared only against their own run's heatmap row."""
    out = _render_run(json.loads(RESULTS.read_text()), plot=True)
    if SIDES.exists():
        out += _render_sides(json.loads(SIDES.read_text()))
    probes = sorted(RESULTS.parent.glob("simcc_probe_*.json"))
    if probes:
        out += _render_probes([json.loads(p.read_text()) for p in probes])
    for name, title in FACING.items():
        path = RESULTS.parent / name
        if path.exists():
            out += _render_sides(json.loads(path.read_text()), title)
    for path in sorted(RESULTS.parent.glob("heads_*.json")):
        out += [f"### Earlier run: `{path.name}`", ""] + _render_run(
            json.loads(path.read_text()), plot=False
        )
    return "\n".join(out)


def _render_probes(docs: list) -> list:
    """Single-row runs that tried one change each, with no heatmap row of their own: accuracy and
    cost only (their latency was measured beside other jobs, so it is left out)."""
    out = [
        "### One-row probes of the simcc head",
        "",
        "Each trained one row at the budget above, to see whether a change was worth a paired run; "
        "compare them with the simcc_hm rows of the runs above, not with a heatmap row.",
        "",
        "| command | row | MACs (M) | float PCK@0.2 | int8 PCK@0.2 | real PCK@0.2 | commit |",
        "|---|---|---|---|---|---|---|",
    ]
    for d in docs:
        for r in d["rows"]:
            out.append(
                f"| `{d['command']}` | {r['head']} | {r['macs'] / 1e6:.1f} | {r['float_pck']:.3f} | "
                f"{r['int8_pck']:.3f} | {r.get('real_pck', float('nan')):.3f} | "
                f"{d['provenance']['commit']} |"
            )
    return out + [""]


def _render_sides(doc: dict, title: str = "Left and right on the simcc head") -> list:
    """A model with a facing output, decoded three ways, and where it has them, its facing
    output's accuracy by camera yaw (benchmarks/error_analysis.py)."""
    p, s, m = doc["provenance"], doc["pck_side_decode"], doc["run_model"]
    f, c = doc["facing_accuracy"], doc["collapsed_pairs"]
    if m["head"] == "simcc":
        own, sides = "each keypoint on its own (`simcc`)", "`codec.order_sides`"
        method = "`simcc_sides`"
    else:
        own, sides = "each channel's peak (`heatmap_offset`)", "`codec.decode_sides`"
        method = "`heatmap_offset_sides`"
    extra = ["`heatmap_supervision: true`"] if m.get("heatmap_supervision") else []
    if m.get("facing_pool", "average") != "average":
        extra.append(f"`facing_pool: {m['facing_pool']}`")
    out = [
        f"### {title}",
        "",
        f"A {m['head']} model with a facing output (`facing_channels: {m['facing_channels']}`"
        + "".join(f", {e}" for e in extra)
        + f"), trained at the quickstart budget, on {doc['people']} held-out people "
        f"(`{doc['command']}`; {p['cpu']}, commit {p['commit']}):",
        "",
        "| decode | PCK@0.2 |",
        "|---|---|",
        f"| {own} | {s['per_channel_argmax']:.4f} |",
        f"| {sides} with the model's facing ({method}) | {s['facing_head']:.4f} |",
        f"| {sides} with the true facing | {s['oracle_facing']:.4f} |",
        f"| any whole-person mirror allowed | {doc['pck_if_mirror_allowed']:.4f} |",
        "",
        f"Facing accuracy {100 * f['accuracy']:.1f}% on the {f['people_with_target']} people with a facing "
        f"target; {100 * c['fraction']:.1f}% of the left/right pairs whose truths are over half a torso apart "
        "are predicted on one limb.",
        "",
    ]
    if "facing_by_yaw" in doc:
        out += [
            "| camera yaw | people with a facing target | facing accuracy | truly facing | said facing |",
            "|---|---|---|---|---|",
        ]
        for k, v in doc["facing_by_yaw"].items():
            out.append(
                f"| {k} | {v['people_with_target']} | {100 * v['accuracy']:.1f}% | "
                f"{100 * v['target_facing_share']:.1f}% | {100 * v['said_facing_share']:.1f}% |"
            )
        out.append("")
    return out


def _render_run(doc: dict, plot: bool) -> list:
    from posenet_mobile.harness.compare import markdown_table, pareto_front

    p = doc["provenance"]
    rows = doc["rows"]
    out = [
        f"Command: `{doc['command']}` ({doc['wall_seconds']} s of wall time for this invocation; "
        f"per-row training seconds are in the results file). Machine: {p['cpu']}, {p['cores']} cores, "
        f"no GPU; commit {p['commit']}, {p['time']}. Budget of every row, asserted identical by the code: "
        f"{_budget(doc['budget'])}. {_latency_text(doc)}",
        "",
        markdown_table(doc).rstrip(),
        "",
    ]
    if plot:
        out += [
            "![int8 latency at 1 thread against int8 PCK@0.2, one point per row](heads.png)",
            "",
        ]
    front = [r["head"] for r in pareto_front(rows, "int8_ms_1t")]
    out.append(f"Pareto frontier (int8 ms at 1 thread against int8 PCK@0.2): {', '.join(front)}.")
    if "speedup_vs_heatmap_1t" in rows[0]:
        ok = [
            r
            for r in rows
            if r["head"] != "heatmap"
            and r["speedup_vs_heatmap_1t"] >= SPEEDUP
            and r["pck_vs_heatmap_points"] >= -POINTS
        ]
        bar = f"at least {SPEEDUP}x faster than heatmap at 1 thread and at most {POINTS:g} PCK point below it"
        if ok:
            out.append(
                f"Rows {bar}: "
                + ", ".join(
                    f"{r['head']} ({r['speedup_vs_heatmap_1t']:.2f}x, {r['pck_vs_heatmap_points']:+.2f} points)"
                    for r in ok
                )
                + "."
            )
        else:
            best = max(
                (r for r in rows if r["head"] != "heatmap"),
                key=lambda r: r["pck_vs_heatmap_points"],
            )
            out.append(
                f"No row is {bar}; the closest in PCK is {best['head']} "
                f"({best['speedup_vs_heatmap_1t']:.2f}x, {best['pck_vs_heatmap_points']:+.2f} points)."
            )
    if "real_pck" in rows[0]:
        out.append(
            f"Real people: each int8 file scored on `{Path(doc['data']['real']).name}` (GT-box crops), "
            "after training; the set picked nothing."
        )
    out.append("")
    return out


def main():
    from posenet_mobile.harness.compare import plot_heads
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())
    plot_heads(json.loads(RESULTS.read_text()), PLOT, 1)


if __name__ == "__main__":
    main()
