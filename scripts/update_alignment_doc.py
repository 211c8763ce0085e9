"""Regenerate docs/alignment.md's measured section from benchmarks/results/alignment.json.

    python scripts/update_alignment_doc.py

``benchmarks/alignment.py`` writes the results file; tests/test_docs.py checks the section is
current.
"""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "alignment.md"
RESULTS = ROOT / "benchmarks" / "results" / "alignment.json"
START, END = "<!-- alignment-measurements:start -->\n", "<!-- alignment-measurements:end -->"


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
            f"| real people ({doc['real_set']}, {rows['box']['real']['keypoints']} keypoints; "
            f"each rule from its labels) | {b:.3f} | {a:.3f} | {100 * (a - b):+.1f} |"
        )
    lines += ["", "Hard poses by camera roll:", ""]
    lines += _table("roll", rows, "by_roll", "hard", "people_by_roll")
    lines += ["Hard poses by pose category:", ""]
    lines += _table("category", rows, "by_category", "hard", "people_by_category")
    return "\n".join(lines)


def main():
    from posenet_mobile.io import replace_section

    replace_section(DOC, START, END, render())


if __name__ == "__main__":
    main()
