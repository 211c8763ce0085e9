"""Regenerate docs/compression.md's measured section from benchmarks/results/compression.json.

    python scripts/update_compression_doc.py

``benchmarks/compression.py --run RUN [--set compress.k=v ...] [--label L]`` writes one row per
label; this script makes one table per row. tests/test_docs.py checks the section is current.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "compression.md"
RESULTS = ROOT / "benchmarks" / "results" / "compression.json"
START, END = "<!-- compression-measurements:start -->\n", "<!-- compression-measurements:end -->"

#: The exported variants, in the order a reader follows the chain.
VARIANTS = {
    "float32": "float32, trained weights",
    "float16": "float16, trained weights",
    "int8_ptq_dense": "int8 PTQ, dense weights",
    "int8_ptq_pruned": "int8 PTQ, pruned weights",
    "int8_pqat": "int8 PQAT (pruned, then prune-preserving QAT)",
    "int8_ptq_dense_per_tensor": "int8 PTQ, dense, per-tensor weight scales",
    "int8_ptq_pruned_per_tensor": "int8 PTQ, pruned, per-tensor weight scales",
}


def _row_table(label: str, r: dict) -> list:
    p = r.get("provenance", {})
    cmd = "python benchmarks/compression.py --run " + r["run"]
    cmd += "".join(f" --set {o}" for o in r.get("overrides", []))
    c = r["compress_settings"]
    test = r.get("test") or {}
    lines = [
        f"**{label}**: target sparsity {c['target_sparsity']}, {c['prune_epochs']} pruning "
        f"epochs, {c['qat_epochs']} QAT epochs, block size {c['block_size']} "
        f"(`{cmd}`; run config {r['config_fingerprint']}; {p.get('cpu')}, {p.get('cores')} cores, "
        f"commit {p.get('commit')}, {p.get('time')}).",
        "",
        f"Keras float PCK@0.2 {r['keras_float']['pck']:.4f} on the validation set"
        + (
            f", {test['keras_float']['pck']:.4f} on {test['people']} test people that chose nothing"
            if test
            else ""
        )
        + f"; pruned {r['keras_pruned']['pck']:.4f} ({r['sparsity_prunable']:.1%} of the prunable "
        f"weights zero), after PQAT {r['keras_pqat']['pck']:.4f} ({r['sparsity_after_pqat']:.1%} "
        f"zero); compression took {r['compress_seconds'] / 60:.1f} min.",
        "",
        "| file | bytes | gzip bytes | val PCK@0.2 | below float, points | test PCK@0.2 "
        "| below float, points |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, what in VARIANTS.items():
        v = r["variants"].get(key)
        if v is None:
            continue
        t = test.get(key, {})
        lines.append(
            f"| {what} | {v['size_bytes']:,} | {v['gzip_bytes']:,} | {v['pck']:.4f} "
            f"| {v['pck_drop_points']:.2f} | {t.get('pck', float('nan')):.4f} "
            f"| {t.get('pck_drop_points', float('nan')):.2f} |"
        )
    lines += [
        "",
        f"- int8 PQAT is {r['int8_pqat_over_float32_raw']:.1%} of the float32 file in raw bytes; "
        f"per-tensor PTQ {r['int8_ptq_per_tensor_over_float32_raw']:.1%}.",
        f"- gzip: the PQAT file is {r['int8_pqat_gzip_over_dense_gzip']:.2f}x the dense int8 "
        f"file; its prunable weights alone {r['int8_pqat_prunable_weights_gzip_over_dense']:.2f}x. "
        f"{r['int8_dense_gzip_share_not_prunable']:.0%} of the dense file's gzip bytes are not "
        "prunable weights (scales, depthwise weights, biases, structure) and do not shrink.",
        "",
    ]
    return lines


def render() -> str:
    if not RESULTS.exists():
        return (
            "Not recorded yet: `python benchmarks/compression.py --run RUN` writes "
            "benchmarks/results/compression.json.\n"
        )
    doc = json.loads(RESULTS.read_text())
    lines = []
    for label, r in doc["rows"].items():
        lines += _row_table(label, r)
    return "\n".join(lines)


def main():
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())


if __name__ == "__main__":
    main()
