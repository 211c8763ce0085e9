"""Contact sheets of what the model is trained on: dataset images and augmented crops."""

from __future__ import annotations

import numpy as np

from .. import viz
from ..errors import DataError
from ..io import check_output_file
from .coco import load_coco, read_image


def dataset_sheet(data_dir, out_png, count: int = 16, cols: int = 4) -> str:
    """Draw the first ``count`` images of a COCO dataset with every person's keypoints."""
    check_output_file(out_png, "--out")
    ds = load_coco(data_dir, min_box_area=0)
    by_image = {}
    for s in ds.samples:
        by_image.setdefault(s.image_path, []).append(s)
    tiles, labels = [], []
    for path, people in list(by_image.items())[:count]:
        img = read_image(path)
        if img is None:
            continue
        for s in people:
            img = viz.draw_pose(
                img, np.concatenate([s.keypoints, s.visibility[:, None]], 1), ds.schema
            )
        tiles.append(img)
        labels.append(path.rsplit("/", 1)[-1])
    if not tiles:
        raise DataError(f"{data_dir}: no readable annotated images to preview")
    viz.write_image(out_png, viz.contact_sheet(tiles, cols, labels))
    return str(out_png)


def training_sheet(
    data_dir,
    out_png,
    input_size=(192, 192),
    stride: int = 4,
    count: int = 16,
    cols: int = 4,
    seed: int = 0,
) -> str:
    """Augmented training crops with their target keypoints, as the network sees them."""
    from ..codec import HeatmapCodec
    from ..geometry import INPUT_MEAN, INPUT_STD
    from .pipeline import KeypointPipeline

    check_output_file(out_png, "--out")
    ds = load_coco(data_dir)
    pipe = KeypointPipeline(
        ds, HeatmapCodec(tuple(input_size), stride), ("heatmaps",), training=True, seed=seed
    )
    tiles = []
    for i in range(min(count, len(ds))):
        img, t, crop, ok = pipe.prepare(i)
        if not ok:
            continue
        rgb = np.clip(img * INPUT_STD + INPUT_MEAN, 0, 255).astype(np.uint8)
        hm = t["heatmaps"][..., : ds.schema.num_keypoints].max(-1)
        overlay = np.clip(
            np.kron(hm, np.ones((stride, stride)))[..., None] * np.array([255, 0, 255]), 0, 255
        )
        rgb = np.clip(0.75 * rgb + 0.5 * overlay, 0, 255).astype(np.uint8)
        tiles.append(
            viz.draw_pose(
                rgb,
                np.concatenate([t["_keypoints"], t["_visibility"][:, None]], 1),
                ds.schema,
                radius=2,
            )
        )
    viz.write_image(out_png, viz.contact_sheet(tiles, cols))
    return str(out_png)
