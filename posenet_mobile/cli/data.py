"""Subcommands about data: the toolchain and schema, model sizes, synthetic people, contact sheets."""

from __future__ import annotations

import json

from ..errors import ConfigError
from ..config import HEAD_TYPES
from .. import __version__
from ._common import size_arg


def cmd_info(args) -> int:
    from importlib import metadata

    from ..config import preset_names
    from ..schema import get_schema

    versions = {}
    for dist in (
        "tensorflow",
        "tf-keras",
        "tensorflow-model-optimization",
        "ai-edge-litert",
        "numpy",
        "opencv-python-headless",
        "pycocotools",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    print(
        json.dumps(
            {
                "posenet_mobile": __version__,
                "schema": get_schema(args.schema).to_dict(),
                "presets": preset_names(),
                "dependencies": versions,
            },
            indent=2,
        )
    )
    return 0


def cmd_profile(args) -> int:
    from ..models.profile import profile_heads

    rows = profile_heads(args.input_size, args.width, args.head, output_stride=args.output_stride)
    print(json.dumps(rows, indent=2))
    return 0


def cmd_synth(args) -> int:
    from ..data.synthetic import SynthConfig, synthesize

    if args.num_images < 1:
        raise ConfigError(f"--num-images: expected >= 1, got {args.num_images}")
    if args.image_size < 64 or args.max_people < 1:
        raise ConfigError("--image-size must be >= 64 and --max-people >= 1")
    cfg = SynthConfig(
        image_size=args.image_size,
        max_people=args.max_people,
        purpose="detection" if args.detection else "pose",
        pose_mix=args.pose_mix,
        full_roll_prob=SynthConfig.full_roll_prob if args.roll_prob is None else args.roll_prob,
    )
    summary = synthesize(
        args.out, args.num_images, args.seed, cfg, workers=args.workers, progress=not args.quiet
    )
    if args.preview:
        from ..data.preview import dataset_sheet

        summary["preview"] = dataset_sheet(args.out, f"{args.out}/preview.png")
    print(json.dumps(summary))
    return 0


def cmd_preview(args) -> int:
    from ..data.preview import dataset_sheet, training_sheet

    if args.training:
        path = training_sheet(args.data, args.out, args.input_size, args.stride, seed=args.seed)
    else:
        path = dataset_sheet(args.data, args.out)
    print(path)
    return 0


def add_parsers(sub) -> None:
    """The parsers of this module's subcommands."""
    s = sub.add_parser(
        "info", help="versions of the package and its toolchain, and the keypoint schema"
    )
    s.add_argument("--schema", default="coco17")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser(
        "profile", help="parameters and MACs of each head (training and exported graphs)"
    )
    s.add_argument(
        "--input-size", type=size_arg, default=(192, 192), help="HEIGHT,WIDTH or SIZE (default 192)"
    )
    s.add_argument("--width", type=float, nargs="+", default=[0.35, 0.5])
    s.add_argument("--head", nargs="+", choices=list(HEAD_TYPES), default=None)
    s.add_argument("--output-stride", type=int, choices=[4, 8], default=4)
    s.set_defaults(func=cmd_profile)

    s = sub.add_parser(
        "synth", help="write a synthetic COCO person-keypoints dataset (the embedded default data)"
    )
    s.add_argument("--out", required=True, help="dataset folder (images/ and annotations.json)")
    s.add_argument("--num-images", type=int, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--image-size", type=int, default=256)
    s.add_argument(
        "--max-people",
        type=int,
        default=1,
        help="with --detection: 0 to this many people per frame; otherwise more than 1 places "
        "extra people anywhere",
    )
    s.add_argument(
        "--pose-mix",
        choices=["coco", "uniform"],
        default="coco",
        help="coco: mostly upright people, as in photographs; uniform: every pose category alike "
        "(lying, sitting, inverted... as often as standing)",
    )
    s.add_argument(
        "--roll-prob",
        type=float,
        default=None,
        help="chance that a person is turned by any angle in the image plane "
        "(default: the generator's own)",
    )
    s.add_argument(
        "--detection",
        action="store_true",
        help="frames for a person detector: people anywhere, a tenth to nine tenths of the frame tall, clutter",
    )
    s.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    s.add_argument(
        "--preview",
        action="store_true",
        help="also write OUT/preview.png, 16 images with keypoints",
    )
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_synth)

    s = sub.add_parser("preview", help="contact sheet of a dataset, or of augmented training crops")
    s.add_argument("--data", required=True)
    s.add_argument("--out", required=True, help="PNG path")
    s.add_argument(
        "--training", action="store_true", help="show augmented crops with heatmap targets"
    )
    s.add_argument("--input-size", type=size_arg, default=(192, 192))
    s.add_argument("--stride", type=int, default=4)
    s.add_argument("--seed", type=int, default=0)
    s.set_defaults(func=cmd_preview)
