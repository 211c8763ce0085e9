"""Subcommands that train: a run, its compression, and the head comparison."""

from __future__ import annotations

import argparse
import json

from ..harness.compare import ROWS  # the rows' names (a light module: nothing heavy at parse time)
from ._common import err, add_overrides, add_unsafe_load


def cmd_train(args) -> int:
    from ..train.config import load_config
    from ..train.trainer import train

    cfg = load_config(args.config, args.set)
    result = train(
        cfg,
        args.out,
        args.train_data,
        args.val_data,
        strategy=args.strategy,
        stop_after_epoch=args.stop_after_epoch,
        overwrite=args.overwrite,
        progress=err,
    )
    best = result.get("best") or {}
    print(
        json.dumps(
            {
                "run": args.out,
                "epochs_completed": result.get("epochs_completed"),
                "best_epoch": result.get("best_epoch"),
                "val_pck": best.get("pck"),
                "val_AP": best.get("AP"),
                "train_seconds": result.get("train_seconds"),
            }
        )
    )
    return 0


def cmd_compress(args) -> int:
    from ..compress.chain import compress_run, reset
    from ..io import FolderLock
    from ..runs import load_run

    run = load_run(args.run, args.set, unsafe_load=args.unsafe_load)
    with FolderLock(run.path, "run folder"):
        run.load_float()  # a model that cannot be loaded fails now, before anything is discarded
        if args.redo:
            reset(run)
        result = compress_run(
            run, tuple(args.stages), preserve_sparsity=not args.plain_qat, progress=err
        )
    print(
        json.dumps(
            {
                k: {
                    "sparsity": v["sparsity"]["prunable_sparsity"],
                    "val": v["val"],
                    "seconds": v.get("seconds"),
                }
                for k, v in result.items()
            }
        )
    )
    return 0


def cmd_compare_heads(args) -> int:
    from ..harness.compare import ROWS, compare_heads, markdown_table

    real = None if args.no_real else (args.real_data or "default")
    doc = compare_heads(
        args.config,
        args.train_data,
        args.val_data,
        args.out,
        args.set,
        heads=tuple(args.heads or ROWS),
        real_data=real,
        progress=err,
    )
    print(markdown_table(doc), end="")
    return 0


def add_parsers(sub) -> None:
    """The parsers of this module's subcommands."""
    s = sub.add_parser("train", help="train a model (resumes when OUT holds the same run)")
    s.add_argument(
        "--config", default="quickstart", help="preset name (training/configs) or YAML path"
    )
    s.add_argument(
        "--train-data", default=None, help="COCO dataset folder or JSON (default: synthetic)"
    )
    s.add_argument("--val-data", default=None)
    s.add_argument("--out", required=True, help="run directory")
    s.add_argument(
        "--strategy", default="auto", choices=["auto", "default", "mirrored", "multi_worker"]
    )
    add_overrides(s)
    s.add_argument("--overwrite", action="store_true", help="discard a different run in OUT")
    s.add_argument("--stop-after-epoch", type=int, default=None, help=argparse.SUPPRESS)
    s.set_defaults(func=cmd_train)

    s = sub.add_parser(
        "compress",
        help="prune and quantization-aware fine-tune a trained run (stages saved in RUN/compress)",
    )
    s.add_argument("--run", required=True, help="run directory written by `train`")
    s.add_argument("--stages", nargs="+", choices=["prune", "qat"], default=["prune", "qat"])
    s.add_argument(
        "--plain-qat", action="store_true", help="default 8-bit QAT instead of prune-preserving QAT"
    )
    s.add_argument("--redo", action="store_true", help="discard saved stages first")
    add_unsafe_load(s)
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="compress.KEY=VALUE",
        help="override a compression setting (target_sparsity, prune_epochs, qat_epochs, fine_tune_lr, ...)",
    )
    s.set_defaults(func=cmd_compress)

    s = sub.add_parser(
        "compare-heads",
        help="train heatmap / integral / direct / regression / simcc heads on one budget; int8 speed vs quality",
    )
    s.add_argument(
        "--config", default="quickstart", help="preset name or YAML (the head is set per row)"
    )
    s.add_argument(
        "--train-data", default=None, help="COCO dataset folder or JSON (default: synthetic)"
    )
    s.add_argument("--val-data", default=None)
    s.add_argument(
        "--out", default="compare_heads", help="output folder (runs, int8 files, heads.md/json/png)"
    )
    s.add_argument(
        "--heads",
        nargs="+",
        choices=list(ROWS),
        default=None,
        help="the rows, in order (default: every head and variant)",
    )
    s.add_argument(
        "--real-data",
        default=None,
        help="real people (COCO) to score each int8 file on (default: $POSENET_REAL_PEOPLE or "
        "../shared/data/real_people_dev beside the working directory or the checkout, when present)",
    )
    s.add_argument("--no-real", action="store_true", help="skip the real-people column")
    add_overrides(s)
    s.set_defaults(func=cmd_compare_heads)
