"""How the synthetic crops differ from real ones in contrast and detail. Prints JSON (not a test).

Each person is cut out as the model sees it (the GT box grown by 1.25, at 128 px, through
:func:`posenet_mobile.geometry.box_to_crop` and :func:`~posenet_mobile.geometry.warp`). Inside
the person (the hull of its labelled keypoints, widened a little) and in the scene around it,
the benchmark measures the grey level's mean and spread (contrast) and the mean gradient
magnitude and absolute Laplacian (detail, edges). Medians and quartiles over the people of each
set: the real dev set, and the generator with each of the named ``SynthConfig`` switches on.

The real set is only measured here: nothing is fitted to it. The figures say what a renderer
change did to the pixels; whether that helped is what `benchmarks/data_ablation.py` measures.

Usage: .venv/bin/python benchmarks/image_stats.py [--variants defaults,scene_exposure,...]
       [--images 200] [--out FILE] [--table-only]

It writes its table into docs/data.md (between the ``image-stats`` markers) from the results
file; ``--table-only`` rewrites the table without measuring.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "data.md"
START, END = "<!-- image-stats:start -->\n", "<!-- image-stats:end -->"
sys.path.insert(0, str(ROOT))
from posenet_mobile.data.real import DEV_SET  # noqa: E402

SIZE = (128, 128)
#: generator variants: name -> SynthConfig switches (the defaults plus these)
VARIANTS = {
    "defaults": {},
    "scene_exposure": {"scene_exposure": True},
    "camera_tone": {"scene_exposure": True, "camera_tone": True},
    "clutter": {"clutter": 1.0},
}
#: measure -> its column in docs/data.md's table
MEASURES = {
    "grey_mean_person": "grey mean, person",
    "grey_mean_around": "grey mean, around",
    "grey_std_person": "contrast, person",
    "grey_std_around": "contrast, around",
    "gradient_person": "gradient, person",
    "gradient_around": "gradient, around",
    "laplacian_person": "Laplacian, person",
    "laplacian_around": "Laplacian, around",
}


def crop_stats(data_dir) -> dict:
    """Medians and quartiles of each measure over the people of a COCO dataset folder."""
    from posenet_mobile import geometry as G
    from posenet_mobile.data.coco import load_coco, read_image

    ds = load_coco(data_dir)
    rows = []
    for s in ds.samples:
        vis = s.visibility > 0
        if vis.sum() < 6:
            continue
        img = read_image(s.image_path)
        if img is None:
            continue
        crop = G.box_to_crop(s.bbox, SIZE)
        patch = G.warp(img, crop, SIZE)
        inside = G.warp(np.full(img.shape[:2], 255, np.uint8), crop, SIZE) > 127
        kp = G.to_input(crop, SIZE, s.keypoints[vis]).astype(np.int32)
        person = np.zeros(SIZE, np.uint8)
        cv2.fillConvexPoly(person, cv2.convexHull(kp), 1)
        person = cv2.dilate(person, np.ones((9, 9), np.uint8)) > 0
        around = ~person & cv2.erode(inside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        if person.sum() < 50 or around.sum() < 50:
            continue
        grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32)
        grad = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
        lap = np.abs(cv2.Laplacian(grey, cv2.CV_32F))
        # in the order of MEASURES: each quantity inside the person, then around it
        rows.append([f(m) for f in (np.mean, np.std) for m in (grey[person], grey[around])])
        rows[-1] += [grad[person].mean(), grad[around].mean()]
        rows[-1] += [lap[person].mean(), lap[around].mean()]
    a = np.array(rows, np.float64)
    out = {"people": len(a)}
    for name, col in zip(MEASURES, a.T):
        q = np.percentile(col, [25, 50, 75])
        out[name] = {
            "median": round(float(q[1]), 1),
            "iqr": [round(float(q[0]), 1), round(float(q[2]), 1)],
        }
    return out


def table(doc) -> str:
    """docs/data.md's table: the median of each measure per set (quartiles in the results)."""
    lines = [
        "| set | people | " + " | ".join(MEASURES.values()) + " |",
        "|---|---|" + "---|" * len(MEASURES),
    ]
    for name, r in doc["results"].items():
        cells = [str(r[m]["median"]) for m in MEASURES]
        lines.append(f"| `{name}` | {r['people']} | " + " | ".join(cells) + " |")
    p = doc["provenance"]
    lines.append("")
    lines.append(
        f"Commit {p['commit']}, {p['cpu']} ({p['cores']} cores); "
        "`python benchmarks/image_stats.py`. Medians over the people of each set, on 128 px "
        "crops of the GT box grown by 1.25; grey levels 0-255 (contrast: their standard "
        "deviation; gradient: mean Sobel magnitude; Laplacian: its mean absolute value)."
    )
    return "\n".join(lines) + "\n"


def write_table(doc):
    from posenet_mobile.errors import OutputError
    from posenet_mobile.io import replace_section

    try:  # atomic: an interrupted write leaves the old docs/data.md
        replace_section(DOC, START, END, table(doc))
    except OutputError as e:
        sys.exit(f"image_stats.py: {e}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--images", type=int, default=200, help="synthetic images per variant (seed 1)")
    ap.add_argument("--real", default=str(DEV_SET))
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "image_stats.json"))
    ap.add_argument("--table-only", action="store_true")
    a = ap.parse_args()
    if a.table_only:
        write_table(json.loads(Path(a.out).read_text()))
        return

    from posenet_mobile.data.synthetic import SynthConfig, synthesize
    from posenet_mobile.harness.provenance import provenance
    from posenet_mobile.io import write_json_atomic

    rows = {}
    if Path(a.real).exists():
        rows["real_people_dev"] = crop_stats(a.real)
    with tempfile.TemporaryDirectory(prefix="image_stats_") as tmp:
        for name in a.variants.split(","):
            if name not in VARIANTS:
                sys.exit(
                    f"image_stats.py: --variants: unknown {name!r}, expected some of {list(VARIANTS)}"
                )
            folder = Path(tmp) / name
            synthesize(folder, a.images, seed=1, cfg=SynthConfig(**VARIANTS[name]), progress=False)
            rows[f"synthetic_{name}"] = {"switches": VARIANTS[name], **crop_stats(folder)}
    doc = {
        "benchmark": "image_stats",
        "crop": "GT box x1.25, 128 px",
        "provenance": provenance(),
        "results": rows,
    }
    print(json.dumps(doc, indent=1))
    write_json_atomic(a.out, doc, indent=1)
    write_table(doc)


if __name__ == "__main__":
    main()
