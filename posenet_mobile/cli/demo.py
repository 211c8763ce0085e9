"""The whole pipeline on the embedded synthetic data."""

from __future__ import annotations

import argparse
import json
import sys
from ._common import add_overrides


def cmd_demo(args) -> int:
    from ..demo import run_demo

    res = run_demo(
        args.out, args.config, args.set, real_data=args.real_data, detector=args.detector
    )
    print(json.dumps(res))
    if not res["passed"]:
        print(
            f"posenet-mobile demo: int8 gate failed: {res.get('gate')} (report: {res['report']})",
            file=sys.stderr,
        )
        return 1
    return 0


def add_parsers(sub) -> None:
    """The parsers of this module's subcommands."""
    s = sub.add_parser(
        "demo", help="the whole pipeline on embedded synthetic data (resumes finished stages)"
    )
    s.add_argument("--out", default="demo_output")
    s.add_argument("--config", default="quickstart", help="preset or YAML")
    s.add_argument(
        "--real-data",
        default=None,
        help="real photographs (COCO) to score the int8 file on too (default: $POSENET_REAL_PEOPLE or "
        "../shared/data/real_people_dev beside the working directory or the checkout, when present)",
    )
    s.add_argument(
        "--detector",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train and export a person detector, and score whole frames through it and "
        "the int8 pose file (posenet_mobile.demo.DEMO_DETECTOR); --no-detector skips it",
    )
    add_overrides(s)
    s.set_defaults(func=cmd_demo)
