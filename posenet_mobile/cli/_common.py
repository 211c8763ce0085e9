"""What the subcommand modules share: argument types and common arguments."""

from __future__ import annotations

import argparse
import sys


def size_arg(text: str) -> tuple:
    """``HEIGHT,WIDTH``, ``HxW`` or one ``SIZE`` as a ``(height, width)`` argument type."""
    parts = text.lower().replace("x", ",").split(",")
    try:
        vals = tuple(int(p) for p in parts if p)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH or SIZE, got {text!r}") from None
    if len(vals) == 1:
        vals = vals * 2
    if len(vals) != 2:
        raise argparse.ArgumentTypeError(f"expected HEIGHT,WIDTH or SIZE, got {text!r}")
    return vals


def add_unsafe_load(s) -> None:
    """``--unsafe-load``, for subcommands that open a run's Keras files."""
    s.add_argument(
        "--unsafe-load",
        action="store_true",
        help="load the run's Keras files in any format, running code they may contain (trusted files only)",
    )


def err(msg: str) -> None:
    """Progress and notes go to stderr, so stdout carries only the JSON result."""
    print(msg, file=sys.stderr, flush=True)


def add_overrides(s) -> None:
    """``--set SECTION.KEY=VALUE``, repeatable."""
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override a config value",
    )
