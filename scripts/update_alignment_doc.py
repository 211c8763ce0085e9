"""Regenerate docs/alignment.md's measured sections from benchmarks/results/alignment.json,
detector.json, pipeline.json, pipeline_passes.json, pipeline_rule.json and photo_passes.json.

    python scripts/update_alignment_doc.py

``benchmarks/alignment.py``, ``benchmarks/detector.py``, ``benchmarks/pipeline.py`` and
``benchmarks/pipeline_rule.py`` write the results files;
tests/test_docs.py checks the sections are current.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "alignment.md"
RESULTS = ROOT / "benchmarks" / "results" / "alignment.json"
START, END = "<!-- alignment-measurements:start -->\n", "<!-- alignment-measurements:end -->"
DETECTOR = ROOT / "benchmarks" / "results" / "detector.json"
DET_START, DET_END = "<!-- detector-measurements:start -->\n", "<!-- detector-measurements:end -->"
PIPELINE = ROOT / "benchmarks" / "results" / "pipeline.json"
PIPELINE_PASSES = ROOT / "benchmarks" / "results" / "pipeline_passes.json"
DETECTOR_BEFORE = ROOT / "benchmarks" / "results" / "detector_mse_peak.json"
DETECTOR_160 = ROOT / "benchmarks" / "results" / "detector_160.json"
#: Detector runs on how many training frames and their jitter (``DetectorTargets.jitter``),
#: each with its lead text: every row of the table above was taught on 3000 frames without jitter.
DETECTOR_DATA = (
    (
        ROOT / "benchmarks" / "results" / "detector_jitter.json",
        "With frame jitter, on the same 3000 frames for the same 40 epochs",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_frames12k.json",
        "Without jitter, on four times the frames for a quarter of the epochs (the same number of "
        "training samples)",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_frames12k_jitter.json",
        "With frame jitter, on those four times the frames for a quarter of the epochs",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_frames24k.json",
        "Without jitter, on eight times the frames for an eighth of the epochs (the same number "
        "of training samples again)",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_width05.json",
        "On the 12000 frames for 10 epochs with a wider backbone (width 0.5)",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_demo_2000x12.json",
        "At the demo's budget as it was, 2000 frames for 12 epochs",
    ),
    (
        ROOT / "benchmarks" / "results" / "detector_demo_8000x3.json",
        "At the same budget as the demo now spends it, 8000 frames for 3 epochs",
    ),
)
#: The same detectors and more, on frames of their own (``benchmarks/detector_compare.py``).
DETECTOR_COMPARE = ROOT / "benchmarks" / "results" / "detector_compare.json"
PEERS = ROOT / "benchmarks" / "results" / "peers_pipeline.json"
PIPE_START, PIPE_END = (
    "<!-- pipeline-measurements:start -->\n",
    "<!-- pipeline-measurements:end -->",
)
RULE = ROOT / "benchmarks" / "results" / "pipeline_rule.json"
RULE_START, RULE_END = "<!-- pipeline-rule:start -->\n", "<!-- pipeline-rule:end -->"
PHOTO = ROOT / "benchmarks" / "results" / "photo_passes.json"
PHOTO_START, PHOTO_END = "<!-- photo-passes:start -->\n", "<!-- photo-passes:end -->"
GAP = ROOT / "benchmarks" / "results" / "pipeline_gap.json"
GAP_START, GAP_END = "<!-- pipeline-gap:start -->\n", "<!-- pipeline-gap:end -->"
VIEWS = ROOT / "benchmarks" / "results" / "pipeline_views.json"
VIEWS_START, VIEWS_END = "<!-- pipeline-views:start -->\n", "<!-- pipeline-views:end -->"


def _table(title: str, rows: dict, key: str, part: str, counts: str | None) -> list:
    names = list(rows["box"][part][key])
    people = rows["box"][part].get(counts, {}) if counts else {}
    lines = [
        f"| {title} | people | box crops | aligned crops | aligned - box, points |",
        "|---|---|---|---|---|",
    ]
    for n in names:
        b, a = rows["box"][part][key][n], rows["aligned"][part][key][n]
        lines.append(f"| {n} | {people.get(n, '')} | {b:.3f} | {a:.3f} | {100 * (a - b):+.1f} |")
    return lines + [""]


def render() -> str:
    if not RESULTS.exists():
        return (
            "Not recorded yet: `python benchmarks/alignment.py --box RUN --aligned RUN --hard DIR` "
            "writes benchmarks/results/alignment.json.\n"
        )
    doc = json.loads(RESULTS.read_text())
    p, rows = doc["provenance"], doc["rows"]
    lines = [
        f"`{doc['command']}` ({p.get('cpu')}, {p.get('cores')} cores; commit {p.get('commit')}, "
        f"{p.get('time')}). Runs: box {rows['box']['run']} (config {rows['box']['config_fingerprint']}), "
        f"aligned {rows['aligned']['run']} (config {rows['aligned']['config_fingerprint']}).",
        "",
        "| set | box crops PCK@0.2 | aligned crops PCK@0.2 | aligned - box, points |",
        "|---|---|---|---|",
    ]
    sets = [("synthetic validation", "val"), (f"hard poses ({doc['hard_set']})", "hard")]
    for title, part in sets:
        b, a = rows["box"][part]["pck"], rows["aligned"][part]["pck"]
        lines.append(
            f"| {title}, {rows['box'][part]['people']} people | {b:.3f} | {a:.3f} | {100 * (a - b):+.1f} |"
        )
    if "real" in rows["box"] and "real" in rows["aligned"]:
        b, a = rows["box"]["real"]["pck"], rows["aligned"]["real"]["pck"]
        lines.append(
            f"| real people ({doc['real_set']}, {rows['box']['real']['people']} people; "
            f"each rule from its labels) | {b:.3f} | {a:.3f} | {100 * (a - b):+.1f} |"
        )
    lines += ["", "Hard poses by camera roll:", ""]
    lines += _table("roll", rows, "by_roll", "hard", "people_by_roll")
    lines += ["Hard poses by pose category:", ""]
    lines += _table("category", rows, "by_category", "hard", "people_by_category")
    return "\n".join(lines)


def targets_text(targets: dict) -> str:
    """``DetectorTargets.settings()`` as prose: ``heat_loss focal, ..., frames zoomed ...``."""
    out = [f"{n} {v}" for n, v in targets.items() if n != "jitter"]
    if "jitter" in targets:
        j = targets["jitter"]
        out.append(
            f"training frames zoomed by {j['zoom'][0]} to {j['zoom'][1]} and moved by up to "
            f"{j['shift']} of their side"
        )
    return ", ".join(out)


def render_detector() -> str:
    if not DETECTOR.exists():
        return "Not recorded yet: `python benchmarks/detector.py` writes benchmarks/results/detector.json.\n"
    doc = json.loads(DETECTOR.read_text())
    p, k, q = doc["provenance"], doc["keras"], doc["int8"]
    ms = doc["latency_ms_1_thread"]
    fmt = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
    lines = [
        f"`{doc['command']}` ({p.get('cpu')}, {p.get('cores')} cores; commit {p.get('commit')}, "
        f"{p.get('time')}). Input {k['input_size'][0]} px, width {k['width']}, {k['epochs']} epochs "
        f"on {k['train_frames']} frames ({k['fit_seconds'] / 60:.1f} min"
        + ("; trained by an earlier invocation and reused" if k.get("reused") else "")
        + "); held out: "
        f"{q['frames']} frames, {q['people']} people. Taught with "
        + (
            targets_text(k["targets"])
            if k.get("targets")
            else "heat_loss mse, geometry_cells 1, reach 0 (before `DetectorTargets`)"
        )
        + ".",
        "",
        "| model | box AP50 | people whose box is found (IoU >= 0.5) | people whose hip centre is "
        "found (within 0.5 radii) | hip centre error, radii (median) "
        "| incline error, degrees (median / 90th percentile) |",
        "|---|---|---|---|---|---|",
    ]
    rows = [("Keras float", k), ("int8 TFLite (post-training quantization)", q)]
    if "pqat_int8" in doc:
        c = doc["pqat_int8"]["compression"]
        rows.append(
            (
                f"int8 TFLite (pruned to {c['prunable_sparsity']:.0%} of prunable kernels, "
                f"{c['prune_epochs']} epochs, then {c['qat_epochs']} epochs of PQAT)",
                doc["pqat_int8"],
            )
        )
    for name, m in rows:
        lines.append(
            f"| {name} | {m['ap50']:.3f} | {m['matched_people']} of {m['people']} "
            f"| {fmt(m.get('centre_found'), 'd')} of {m['people']} "
            f"| {fmt(m['centre_error_radii_median'], '.3f')} "
            f"| {fmt(m['angle_error_degrees_median'], '.1f')} / {fmt(m['angle_error_degrees_p90'], '.1f')} |"
        )
    lines += _earlier_run(
        DETECTOR_BEFORE,
        "Before `DetectorTargets`",
        "; the squared-error heatmap loss, geometry taught at the peak cell only, people whose hip "
        "centre is outside the frame left out; the same frames and budget",
    )
    lines += _earlier_run(DETECTOR_160, "At {px} px input, taught alike on the same frames")
    for path, lead in DETECTOR_DATA:
        lines += _earlier_run(path, lead)
    lines += render_compare()
    if "pqat_int8" in doc:
        a, b = q, doc["pqat_int8"]
        lines += [
            "",
            f"File sizes: post-training int8 {a['bytes']:,} bytes ({a['gzip_bytes']:,} gzipped), "
            f"pruned + PQAT int8 {b['bytes']:,} bytes ({b['gzip_bytes']:,} gzipped).",
        ]
    lines += [
        "",
        "Latency at 1 thread, interleaved in one process (median ms): "
        + ", ".join(f"{n} {v}" for n, v in ms.items())
        + f"; the detector takes {doc['detector_over_pose']}x the pose model's time (budget: 2x).",
        "",
    ]
    if PEERS.exists():
        peers = json.loads(PEERS.read_text())
        one = [r for r in peers["results"] if r["threads"] == 1]
        blaze = next((r for r in one if r["file"] == peers.get("peer")), None)
        ours = [r for r in one if r["file"] != peers.get("peer")]
        total = sum(r["median_ms"] for r in ours)
        pp = peers["provenance"]
        lines += [
            "Beside BlazePose Full's landmark model in one process (`benchmarks/peers.py`, 1 thread, "
            f"median ms; {pp.get('cpu')}, commit {pp.get('commit')}): "
            + " + ".join(f"{r['file']} {r['median_ms']}" for r in ours)
            + f" = {total:.3f}"
            + (f", against {blaze['file']} {blaze['median_ms']}." if blaze else "."),
            "",
        ]
    return "\n".join(lines)


def render_compare() -> list:
    """The detectors side by side on frames of their own, with the commands."""
    if not DETECTOR_COMPARE.exists():
        return []
    rows = json.loads(DETECTOR_COMPARE.read_text())["rows"]
    first = next(iter(rows.values()))
    p = first["provenance"]
    lines = [
        "",
        f"On {first['frames']} held-out frames of their own ({first['people']} people; "
        f"`{first['data']}`, `benchmarks/detector_compare.py`; {p.get('cpu')}, commit "
        f"{p.get('commit')}), the int8 files:",
        "",
        "| detector | file | box AP50 | people whose box is found | people whose hip centre is "
        "found | hip centre error, radii (median) | incline error, degrees (median) |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, r in rows.items():
        lines.append(
            f"| {label} | {r['file']} | {r['ap50']:.3f} | {r['matched_people']} "
            f"| {r['centre_found']} | {r['centre_error_radii_median']:.3f} "
            f"| {r['angle_error_degrees_median']:.1f} |"
        )
    return lines + ["", "Commands:", ""] + [f"- `{r['command']}`" for r in rows.values()]


def _earlier_run(path, lead: str, how: str = "") -> list:
    """A line on an earlier detector run kept beside the table: ``lead`` (``{px}``: its input
    size), its command, commit and ``how``, then its figures."""
    if not path.exists():
        return []
    b = json.loads(path.read_text())
    bk, bq = b["keras"], b["int8"]
    centres = (
        f", hip centres for {bk['centre_found']} and {bq['centre_found']}"
        if "centre_found" in bk and "centre_found" in bq
        else ""
    )
    speed = (
        f"; {b['detector_over_pose']}x the pose model's time" if "detector_over_pose" in b else ""
    )
    return [
        "",
        f"{lead.format(px=bk['input_size'][0])} (`{b['command']}`, commit "
        f"{b['provenance'].get('commit')}{how}): box AP50 {bk['ap50']:.3f} (Keras) and "
        f"{bq['ap50']:.3f} (int8), boxes found for {bk['matched_people']} and "
        f"{bq['matched_people']}{centres} of {bk['people']} people{speed} "
        f"({path.relative_to(ROOT)}).",
    ]


def render_pipeline() -> str:
    """The whole-image rows, then the passes rows with their commands."""
    out = render_rows(PIPELINE) + "\n" + render_rows(PIPELINE_PASSES)
    if PIPELINE_PASSES.exists():
        rows = json.loads(PIPELINE_PASSES.read_text())["rows"].values()
        out += "\nCommands:\n\n" + "".join(f"- `{r['command']}`\n" for r in rows)
    return out


def render_rows(path) -> str:
    if not path.exists():
        return (
            f"Not recorded yet: `python benchmarks/pipeline.py` writes {path.relative_to(ROOT)}.\n"
        )
    doc = json.loads(path.read_text())
    lines = [
        "| row | detector | data | pose crops | views | passes | who is a person | people found (box or "
        "centre) | people some box finds (IoU >= 0.5) | people kept | whole image PCK@0.2 / AP | "
        "crops from the labels PCK@0.2 / AP | whole image - crops, PCK points | GT-box crops "
        "PCK@0.2 / AP | whole image - GT-box crops, PCK points | the people found: "
        "whole image / crops PCK@0.2 | the people missed: share of labelled keypoints | "
        "commit, machine |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
    for label, r in doc["rows"].items():
        w, c, p = r["whole_image"], r["labelled_crops"], r["provenance"]
        lines.append(
            f"| {label} | {r['detector']} | {r['data']} | {r['crop_rule']} | {r.get('views', 1)} "
            f"| {fmt(r.get('passes'))} "
            f"| {rule_text(r.get('rule'))} "
            f"| {r['found']} of {r['people']} | {fmt(r.get('found_box_iou50'))} "
            f"| {r['detections']} "
            f"| {w['pck']:.3f} / {w['AP']:.3f} | {c['pck']:.3f} / {c['AP']:.3f} "
            f"| {100 * (w['pck'] - c['pck']):+.1f} | {gt_box_text(r)} "
            f"| {found_text(r.get('found_people'))} "
            f"| {fmt(r.get('missed_keypoint_share'))} | {p.get('commit')}, {p.get('cpu')} |"
        )
    return "\n".join(lines + [""])


def gt_box_crops(r):
    """A row's pose model on crops around the GT boxes (a box model's crops from the labels), or
    ``None`` for an aligned row recorded before the pipeline scored them."""
    return r.get("gt_box_crops") or (r["labelled_crops"] if r["crop_rule"] == "box" else None)


def gt_box_text(r) -> str:
    """The GT-box crops' PCK@0.2 / AP and the whole image against them, two cells."""
    b = gt_box_crops(r)
    if b is None:
        return "- | -"
    return f"{b['pck']:.3f} / {b['AP']:.3f} | {100 * (r['whole_image']['pck'] - b['pck']):+.1f}"


def found_text(found) -> str:
    """The people found, scored on the whole image and on crops from the labels ("-" for rows
    recorded before the split was)."""
    if not found or found["whole_image_pck"] is None:
        return "-"
    return f"{found['whole_image_pck']:.3f} / {found['labelled_crops_pck']:.3f}"


def render_gap() -> str:
    """Where the found people's crops lose: each part of the detection's alignment alone."""
    if not GAP.exists():
        return f"Not recorded yet: `python benchmarks/pipeline_gap.py` writes {GAP.relative_to(ROOT)}.\n"
    doc = json.loads(GAP.read_text())
    ref = doc["pck"]["labels"]
    lines = [
        "| the pose model's crop | PCK@0.2 | against the labelled alignment, points |",
        "|---|---|---|",
    ]
    for name, words in doc["crops"].items():
        v = doc["pck"][name]
        lines.append(f"| {words} | {v:.3f} | {100 * (v - ref):+.1f} |")
    e, pp = doc["detection_errors_percentiles"], doc["provenance"]
    q = lambda d: f"{d['10']:.3g} / {d['50']:.3g} / {d['90']:.3g}"  # noqa: E731
    lines += [
        "",
        f"`{doc['command']}` ({pp.get('cpu')}, commit {pp.get('commit')}): {doc['scored']} people, "
        f"those of the {doc['found']} found (of {doc['people']}) who have a labelled alignment. "
        f"The detection's errors on them, 10th / 50th / 90th percentile: hip centre "
        f"{q(e['centre_radii'])} body radii, radius {q(e['radius_ratio'])} times the labelled "
        f"one, incline {q(e['incline_degrees'])} degrees.",
        "",
    ]
    return "\n".join(lines)


def render_views() -> str:
    """The sets of views compared for :data:`posenet_mobile.runtime.pipeline.VIEW_TURNS`."""
    if not VIEWS.exists():
        return f"Not recorded yet: `python benchmarks/pipeline_views.py` writes {VIEWS.relative_to(ROOT)}.\n"
    doc = json.loads(VIEWS.read_text())
    base = doc["pck"]["detection"]

    def words(name: str) -> str:
        parts = {"detection": "the detection's crop", "follow": "the crop from that pose"}
        return ", ".join(
            parts.get(p, f"turned +-{p.removeprefix('turn')} degrees") for p in name.split("+")
        )

    lines = [
        "| views (each keypoint from the surest) | PCK@0.2 | against the detection's crop alone, points |",
        "|---|---|---|",
    ]
    for name, v in doc["pck"].items():
        mark = " (the pipeline's)" if name == doc["pipeline_views"] else ""
        lines.append(f"| {words(name)}{mark} | {v:.3f} | {100 * (v - base):+.1f} |")
    pp = doc["provenance"]
    lines += [
        "",
        f"`{doc['command']}` ({pp.get('cpu')}, commit {pp.get('commit')}): {doc['scored']} people, "
        f"those of the {doc['found']} found (of {doc['people']}) who have a labelled alignment.",
        "",
    ]
    return "\n".join(lines)


def rule_text(rule) -> str:
    """A pipeline row's rule for who is a person, in words."""
    if not rule:  # rows from before the rule was recorded: there was only the detector's
        return "detections at the detector's threshold"
    if rule["rule"] == "detector":
        return f"detections scoring >= {rule['detector_threshold']:g}"
    return (
        f"pose-checked: candidates >= {rule['candidate_threshold']:g}, person score >= "
        f"{rule['person_threshold']:g}, pose weight {rule['pose_weight']:g}"
    )


def render_rule() -> str:
    if not RULE.exists():
        return "Not recorded yet: `python benchmarks/pipeline_rule.py` writes benchmarks/results/pipeline_rule.json.\n"
    doc = json.loads(RULE.read_text())
    ref, best, cur = doc["detector_alone_at_its_threshold"], doc["chosen"], doc["current"]
    alone = doc["detector_alone"]
    low = alone[min(alone, key=float)]
    lines = [
        "| who is a person | people found | people kept | found share | precision |",
        "|---|---|---|---|---|",
    ]
    rows = [
        (f"the detector alone, scoring >= {ref['threshold']:g} (its exported threshold)", ref),
        (f"the detector alone, scoring >= {min(alone, key=float)} (the most it finds)", low),
    ]
    if best:
        rows.append(
            (
                f"pose-checked, person score >= {best['threshold']:g}, pose weight "
                f"{best['weight']:g} (the most people at no lower precision)",
                best,
            )
        )
    if cur.get("found") is not None and (
        not best or (cur["weight"], cur["threshold"]) != (best["weight"], best["threshold"])
    ):
        rows.append(
            (
                f"pose-checked as the package's constants set it (person score >= "
                f"{cur['threshold']:g}, pose weight {cur['weight']:g})",
                cur,
            )
        )
    for name, r in rows:
        lines.append(
            f"| {name} | {r['found']} of {doc['people']} | {r['kept']} | {r['recall']:.3f} | {r['precision']:.3f} |"
        )
    p = doc["provenance"]
    lines += [
        "",
        f"`{doc['command']}` ({p.get('cpu')}, {p.get('cores')} cores; commit {p.get('commit')}, "
        f"{p.get('time')}). Candidates: detections scoring >= {doc['candidate_threshold']:g}.",
        "",
    ]
    return "\n".join(lines)


def render_photo() -> str:
    if not PHOTO.exists():
        return "Not recorded yet: `python benchmarks/photo_passes.py` writes benchmarks/results/photo_passes.json.\n"
    doc = json.loads(PHOTO.read_text())
    rows = doc["rows"]
    most = max(len(r["by_passes"]) for r in rows.values())
    lines = [
        "| row | data | model's crops | people | "
        + " | ".join(f"{n} pass{'es' if n > 1 else ''}" for n in range(1, most + 1))
        + " | commit, machine |",
        "|---|---|---|---|" + "---|" * most + "---|",
    ]
    for label, r in rows.items():
        cells = [f"{b['pck']:.3f}" for b in r["by_passes"]] + [""] * (most - len(r["by_passes"]))
        p = r["provenance"]
        lines.append(
            f"| {label} | {r['data']} | {r['crop_rule']} | {r['people']} | "
            + " | ".join(cells)
            + f" | {p.get('commit')}, {p.get('cpu')} |"
        )
    commands = sorted({r["command"] for r in rows.values()})
    lines += ["", "PCK@0.2 of whole-image `predict` after each number of passes. Commands:", ""]
    lines += [f"- `{c}`" for c in commands]
    return "\n".join(lines + [""])


def main():
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())
    replace_section(DOC, DET_START, DET_END, render_detector())
    replace_section(DOC, PIPE_START, PIPE_END, render_pipeline())
    replace_section(DOC, PHOTO_START, PHOTO_END, render_photo())
    replace_section(DOC, RULE_START, RULE_END, render_rule())
    replace_section(DOC, GAP_START, GAP_END, render_gap())
    replace_section(DOC, VIEWS_START, VIEWS_END, render_views())


if __name__ == "__main__":
    main()
