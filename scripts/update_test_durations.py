"""Copy the per-file test seconds of the last whole passing run (``build/test_durations.json``,
written by tests/conftest.py) to ``tests/durations.json``, the order ``make test`` starts files in.
Usage: python scripts/update_test_durations.py (after ``make test``)."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    src, dst = ROOT / "build" / "test_durations.json", ROOT / "tests" / "durations.json"
    if not src.exists():
        print(f"{src}: missing; run `make test` (the whole suite) first", file=sys.stderr)
        return 1
    seconds = json.loads(src.read_text())
    tmp = dst.with_suffix(".tmp")
    tmp.write_text(json.dumps(seconds, indent=1, sort_keys=True) + "\n")
    tmp.replace(dst)
    print(f"{dst}: {len(seconds)} files, {sum(seconds.values()):.0f} s in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
