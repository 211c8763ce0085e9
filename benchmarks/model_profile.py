"""Print parameters and MACs of each head at 192x192, widths 0.35 and 0.5, as JSON.

Usage: .venv/bin/python benchmarks/model_profile.py [--input-size 192] [--width 0.35 0.5]
"""

import argparse
import json

from posenet_mobile.models.profile import profile_heads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--input-size", type=int, default=192)
    ap.add_argument("--width", type=float, nargs="+", default=[0.35, 0.5])
    ap.add_argument("--output-stride", type=int, default=4)
    a = ap.parse_args()
    rows = profile_heads((a.input_size, a.input_size), a.width, output_stride=a.output_stride)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
