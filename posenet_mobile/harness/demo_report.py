"""The demo's report: Markdown and HTML with the metrics, sizes, latency and the commands."""

from __future__ import annotations

import html as H
import os
import platform
import shutil
from pathlib import Path

from ..io import write_bytes_atomic
from ..detect.codec import CENTRE_RADII


def labelled_crops(crop_rule) -> str:
    """How the crops from the labels are made for a model of ``crop_rule`` (``None``: a result
    recorded before the rule was, when every such model used boxes)."""
    if crop_rule == "aligned":
        return "crops aligned from the labelled keypoints"
    return "GT-box crops"


def _pct(v):
    return "n/a" if v is None else f"{100 * v:.1f}"


def write_demo_report(
    out: Path, cfg, tr, comp, ex, va, be, cmds, real=None, detector=None, whole=None
) -> dict:
    out = Path(out)
    best = tr.get("best") or {}
    f32, i8 = ex["float32"], ex["int8"]
    ref = va.get("reference", {})
    rows = [
        ("Keras float (trained)", best.get("pck"), best.get("AP"), "", ""),
        ("Keras pruned", comp["pruned"]["val"]["pck"], comp["pruned"]["val"]["AP"], "", ""),
        ("Keras PQAT (fake-quant)", comp["qat"]["val"]["pck"], comp["qat"]["val"]["AP"], "", ""),
        (
            "TFLite float32",
            f32["validation"]["tflite"]["pck"],
            f32["validation"]["tflite"]["AP"],
            f32["size_bytes"],
            f32["gzip_bytes"],
        ),
        (
            "TFLite int8 (" + i8["produced_by"].split(" (")[0] + ")",
            va["metrics"]["pck"],
            va["metrics"]["AP"],
            i8["size_bytes"],
            i8["gzip_bytes"],
        ),
    ]
    lat = be["results"]
    gate = "passed" if va["passed"] else "FAILED: " + "; ".join(va["failures"])
    headline = {
        "float_pck": best.get("pck"),
        "int8_pck": va["metrics"]["pck"],
        "pck_drop_points": ref.get("pck_drop_points"),
        "int8_bytes": i8["size_bytes"],
        "float32_bytes": f32["size_bytes"],
        "gate": gate,
        "int8_ms_1_thread": next(
            (
                r["median_ms"]
                for r in lat
                if r["model"].endswith("int8.tflite") and r["threads"] == 1
            ),
            None,
        ),
    }
    if real:
        headline.update(real_pck=real["pck"], real_AP=real["AP"])
    if detector:
        headline["detector_ap50"] = detector["int8"]["ap50"]
    curve = out / "learning_curve.png"
    if (out / "run" / "learning_curve.png").exists():
        shutil.copyfile(out / "run" / "learning_curve.png", curve)
    md = [
        "# posenet_mobile demo report",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}. Preset `{cfg.name}`: "
        f"{cfg.model.head} head, width {cfg.model.width}, input {cfg.model.input_size[0]}x{cfg.model.input_size[1]}, "
        f"{cfg.train.epochs} epochs on {tr.get('train_people')} synthetic people; scored on {tr.get('val_people')} held-out people.",
        "",
        f"**int8 gate ({ref.get('max_pck_drop_points')} PCK points vs the float Keras model): {gate}**",
        "",
    ]
    rej = ex.get("int8_pqat_rejected")
    if rej:
        md += [
            f"The PQAT int8 file was {rej['validation']['pck_drop_points']:.2f} PCK points below float, over the bound; "
            f"{i8.get('replacement', 'post-training quantization of the same pruned weights')} was "
            f"{i8['validation']['pck_drop_points']:.2f} below and "
            f"is the file shipped. The PQAT file is kept as `{Path(rej['file']).name}`.",
            "",
        ]
    md += [
        "## Accuracy and size",
        "",
        "| model | PCK@0.2 (%) | OKS AP (%) | bytes | gzip bytes |",
        "|---|---|---|---|---|",
    ]
    md += [
        f"| {n} | {_pct(p)} | {_pct(a)} | {s if s == '' else f'{s:,}'} | {g if g == '' else f'{g:,}'} |"
        for n, p, a, s, g in rows
    ]
    if real:
        src = ", ".join(f"{k} {_pct(v['pck'])}" for k, v in real.get("by_source", {}).items())
        md += [
            "",
            f"**Real photographs** ({real['count']} people, {labelled_crops(real.get('crop_rule'))}, `{real['data']}`): int8 PCK@0.2 "
            f"{_pct(real['pck'])}%, OKS AP {_pct(real['AP'])}%"
            + (f" (by source: {src})" if src else "")
            + (
                f"; on GT-box crops (given only the person's box) {_pct(real['box_crops']['pck'])}%, "
                f"OKS AP {_pct(real['box_crops']['AP'])}%"
                if real.get("box_crops")
                else ""
            )
            + _flip_line(real.get("flip_test"))
            + ". The rows above are synthetic people held out from training; these are real ones, never trained on. "
            "With so few people, differences under ~4 points are noise.",
        ]
    md += [
        "",
        f"Sparsity of prunable kernels: {comp['pruned']['sparsity']['prunable_sparsity']:.2f} "
        f"(depthwise kernels are not prunable by tfmot and stay dense); pruning shrinks only the compressed size.",
        f"Keras vs TFLite float32 max abs difference: {f32['validation']['keras_vs_tflite']['max_abs_diff']}.",
        f"XNNPACK vs reference kernels (int8): keypoints max {va['kernels']['keypoint_px'].get('max', 0):.3f} px, "
        f"mean {va['kernels']['keypoint_px'].get('mean', 0):.4f} px; raw outputs {va['kernels']['outputs']}.",
        "",
        "## Latency (median / p90 ms per invoke, XNNPACK, interleaved)",
        "",
        "| model | threads | median | p90 |",
        "|---|---|---|---|",
    ]
    md += [
        f"| {Path(r['model']).name} | {r['threads']} | {r['median_ms']:.2f} | {r['p90_ms']:.2f} |"
        for r in lat
    ]
    if detector and whole:
        d, k = detector["settings"], detector["int8"]
        md += [
            "",
            "## Whole frames: the person detector, then pose",
            "",
            f"`{Path(detector['file']).name}` ({detector['bytes']:,} bytes): input {d['input']} px, "
            f"width {d['width']}, {d['epochs']} epochs on {d['train']} synthetic scenes of 0 to 3 "
            f"people; on {k['frames']} held-out scenes box AP50 {k['ap50']:.3f}, "
            f"{k['matched_people']} of {k['people']} people found (IoU >= 0.5).",
            "",
            "The int8 pose file on whole frames (each person's crop from their detection; a person "
            "is found by a detection whose box overlaps theirs with IoU >= 0.5 or whose hip centre "
            f"lies within {CENTRE_RADII} body radii of theirs; a person not found counts as every "
            "keypoint missed) beside the same file on crops made from the labels:",
            "",
            "| data | crops | people found | whole frames PCK@0.2 (%) / AP (%) | crops from the "
            "labels PCK@0.2 (%) / AP (%) | GT-box crops PCK@0.2 (%) / AP (%) | the people found "
            "alone: whole frames / crops from the labels PCK@0.2 (%) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, r in whole["rows"].items():
            w, c = r["whole_image"], r["labelled_crops"]
            b = r.get("gt_box_crops") or {}  # stages scored before the GT-box crops lack them
            f = r.get("found_people") or {}  # stages scored before the split lack it
            md.append(
                f"| {name} | {r['crop_rule']} | {r['found']} of {r['people']} "
                f"| {_pct(w['pck'])} / {_pct(w['AP'])} | {_pct(c['pck'])} / {_pct(c['AP'])} "
                f"| {_pct(b.get('pck'))} / {_pct(b.get('AP'))} "
                f"| {_pct(f.get('whole_image_pck'))} / {_pct(f.get('labelled_crops_pck'))} |"
            )
    md += [
        "",
        "## Learning curve",
        "",
        "![learning curve](learning_curve.png)",
        "",
        "## Validation samples (worst first)",
        "",
        "![worst cases](validate_worst_cases.png)",
        "",
        "Full validation report: [validate.html](validate.html).",
        "",
        "## Reproduce each number",
        "",
    ]
    md += [f"- {name}: `{cmd}`" for name, cmd in cmds.items()]
    md += [
        "- accuracy of the compression variants: `python benchmarks/compression.py --run demo_output/run`",
        "",
    ]
    text = "\n".join(md)
    write_bytes_atomic(out / "report.md", text.encode())
    write_bytes_atomic(out / "report.html", _md_to_html(text).encode())
    return {"headline": headline}


def _md_to_html(md: str) -> str:
    """The small Markdown subset the report uses (headings, tables, images, code, bold, lists)."""
    import re

    def inline(s):
        s = H.escape(s)
        s = re.sub(
            r"!\[([^\]]*)\]\(([^)]+)\)", r'<img alt="\1" src="\2" style="max-width:100%">', s
        )
        s = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', s)
        s = re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", s)
        return re.sub(r"`([^`]+)`", r"<code>\1</code>", s)

    body, table, lst = [], [], False
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not set("".join(cells)) <= set("-:"):
                table.append(cells)
            continue
        if table:
            body.append(
                "<table>"
                + "".join(
                    "<tr>"
                    + "".join(
                        f"<{'th' if i == 0 else 'td'}>{inline(c)}</{'th' if i == 0 else 'td'}>"
                        for c in r
                    )
                    + "</tr>"
                    for i, r in enumerate(table)
                )
                + "</table>"
            )
            table = []
        if line.startswith("- "):
            body.append(("" if lst else "<ul>") + f"<li>{inline(line[2:])}</li>")
            lst = True
            continue
        if lst:
            body.append("</ul>")
            lst = False
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{inline(line.lstrip('#').strip())}</h{level}>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    style = "body{font-family:sans-serif;max-width:1000px;margin:2em auto}td,th{padding:2px 8px;border-bottom:1px solid #ddd}"
    return f'<!doctype html><html><head><meta charset="utf-8"><title>posenet_mobile demo</title><style>{style}</style></head><body>{"".join(body)}</body></html>'


def _flip_line(flip) -> str:
    """The real figures with the flip test (each crop run mirrored too), beside the one-run ones."""
    if not flip:
        return ""
    parts = [
        f"{what} {_pct(flip[key]['pck'])}% (AP {_pct(flip[key]['AP'])}%)"
        for key, what in (("own_crops", "these crops"), ("box_crops", "GT-box crops"))
        if key in flip
    ]
    return "; with the flip test (a second, mirrored run per crop): " + ", ".join(parts)
