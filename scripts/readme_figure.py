"""The README's picture: a model's predicted skeletons on fresh synthetic people (whole-image
``predict``, as a user runs it on a photo), tiled into one JPEG.

    python scripts/readme_figure.py MODEL.tflite [--out docs/predicted.jpg] [--seed 2026] [--images 4]

The people come from seeds no training run uses by default (training 0, validation 1).
"""

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--out", default=str(ROOT / "docs" / "predicted.jpg"))
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--images", type=int, default=4)
    a = ap.parse_args()

    from posenet_mobile.data.coco import read_image
    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.runtime.predict import predict
    from posenet_mobile.viz import contact_sheet, write_image

    with tempfile.TemporaryDirectory() as tmp:
        data, pred = Path(tmp) / "people", Path(tmp) / "predicted"
        synthesize(
            data, a.images, seed=a.seed, cfg=SynthConfig(image_size=256), workers=1, progress=False
        )
        res = predict(a.model, str(data / "images"), str(pred), progress=lambda *_: None)
        images = [read_image(pred / r) for r in sorted(p.name for p in pred.glob("*.jpg"))]
        write_image(a.out, contact_sheet(images, cols=len(images)))
    print(f"{a.out}: {res['images']} images, mean inference {res['mean_inference_ms']} ms")


if __name__ == "__main__":
    main()
