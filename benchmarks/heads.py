"""compare-heads on the embedded synthetic data with the quickstart budget (not a test).

Usage: .venv/bin/python benchmarks/heads.py [--out runs/heads] [--heads heatmap simcc ...]
                                             [--set section.key=value ...]

Trains every row under one asserted budget (re-running with the same --out resumes: finished rows
are not retrained), exports each to int8, and writes the rows with the commit, the machine and
the command to benchmarks/results/heads.json; `python scripts/update_heads_doc.py` renders
docs/heads.md's measured section and plot from that file. heads.md / heads.png also land in OUT.
"""

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    from posenet_mobile.harness.compare import ROWS

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/heads")
    ap.add_argument("--heads", nargs="+", choices=ROWS, default=list(ROWS))
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument(
        "--bench-runs", type=int, default=200, help="interleaved invokes per model and thread count"
    )
    ap.add_argument(
        "--bench-rounds",
        type=int,
        default=5,
        help="interleaved benchmarks; the median of their medians and of their ratios is kept",
    )
    ap.add_argument("--results", default=os.path.join(HERE, "results", "heads.json"))
    a = ap.parse_args()
    from posenet_mobile.harness.compare import compare_heads
    from posenet_mobile.io import write_json_atomic

    t0 = time.perf_counter()
    doc = compare_heads(
        "quickstart",
        out=a.out,
        overrides=a.set,
        heads=tuple(a.heads),
        bench_runs=a.bench_runs,
        bench_rounds=a.bench_rounds,
        progress=lambda *m: print(*m, file=sys.stderr, flush=True),
    )
    doc["wall_seconds"] = round(time.perf_counter() - t0, 1)
    doc["command"] = "python benchmarks/heads.py " + " ".join(sys.argv[1:])
    doc["bench_runs"], doc["bench_rounds"] = a.bench_runs, a.bench_rounds
    write_json_atomic(a.results, doc, indent=1)
    print(
        json.dumps({k: doc[k] for k in ("machine", "overrides", "wall_seconds", "rows")}, indent=1)
    )


if __name__ == "__main__":
    main()
