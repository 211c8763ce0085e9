"""compare-heads on the embedded synthetic data with the quickstart budget (not a test).

Usage: .venv/bin/python benchmarks/heads.py [--out runs/heads] [--set section.key=value ...]
Prints heads.json's rows as JSON; heads.md and heads.png land in OUT.
"""

import argparse
import json
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="runs/heads")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    from posenet_mobile.harness.compare import compare_heads

    t0 = time.perf_counter()
    doc = compare_heads("quickstart", out=a.out, overrides=a.set, progress=lambda *_: None)
    doc["wall_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps({k: doc[k] for k in ("machine", "overrides", "wall_seconds", "rows")}, indent=1))


if __name__ == "__main__":
    main()
