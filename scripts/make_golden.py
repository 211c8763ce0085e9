"""Train five tiny runs, export heatmap / heatmap with facing (side decoding) / regression / simcc /
simcc with facing / in-graph-decoded models, write golden vectors for posecore's JUnit tests.
Usage: python scripts/make_golden.py OUT_DIR."""

import sys
from pathlib import Path


def main(out: Path) -> None:
    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.export.exporter import export_run
    from posenet_mobile.harness.golden import write_golden
    from posenet_mobile.train.config import load_config
    from posenet_mobile.train.trainer import train

    quiet = lambda *_: None  # noqa: E731
    work = out / "work"
    tiny = [
        "model.facing_head=false",
        "model.global_context=false",
        "model.input_size=[64,64]",
        "model.depth=0.25",
        "model.decoder_channels=16",
        "model.regression_channels=16",
        "train.batch_size=8",
        "train.eval_batch_size=16",
        "train.epochs=1",
        "compress.representative_samples=16",
        # the model goldens replay box crops and letterboxes (golden_for_model's cases); aligned
        # crops have golden vectors of their own (the ROI and detection cases)
        "data.crop_rule=box",
    ]
    if not (work / "val" / "annotations.json").exists():
        synthesize(
            work / "train", 16, seed=0, cfg=SynthConfig(image_size=96), workers=1, progress=False
        )
        synthesize(
            work / "val", 8, seed=1, cfg=SynthConfig(image_size=96), workers=1, progress=False
        )
    models = []
    for name, sets, variants in (
        ("heatmap", ["model.head=heatmap"], [("int8", False), ("float32", False), ("int8", True)]),
        (
            "sides",
            ["model.head=heatmap", "model.facing_head=true"],
            [("int8", False), ("float32", False)],
        ),
        ("regression", ["model.head=regression"], [("int8", False)]),
        ("simcc", ["model.head=simcc"], [("int8", False), ("float32", False)]),
        ("simcc_sides", ["model.head=simcc", "model.facing_head=true"], [("int8", False)]),
    ):
        # named by the whole config's fingerprint, the preset's settings included: a changed
        # config trains anew instead of being refused
        cfg = load_config("quickstart", tiny + sets)
        run = work / f"{name}-{cfg.fingerprint()}"
        train(
            cfg,
            run,
            work / "train",
            work / "val",
            verbose=0,
            progress=quiet,
        )
        for fmt, decoded in variants:
            path = out / "models" / f"{name}_{fmt}{'_decoded' if decoded else ''}.tflite"
            export_run(
                run,
                fmt,
                path,
                quantization="ptq",
                decode_in_graph=decoded,
                force=True,
                progress=quiet,
            )
            models.append(path)
    for f in write_golden(models, out):
        print("golden:", f)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/golden"))
