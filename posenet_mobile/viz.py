"""Drawing: skeletons on images and contact sheets (for previews, reports and `predict`).

Colours (RGB): the person's left side orange, right side blue, the middle green. Visible
keypoints (flag 2) are filled dots, occluded ones (flag 1) hollow; unlabelled ones are skipped.
"""

from __future__ import annotations

import cv2
import numpy as np

from .schema import COCO17, KeypointSchema

LEFT, RIGHT, MIDDLE = (255, 140, 0), (30, 144, 255), (50, 205, 50)


def _side(name: str):
    if name.startswith(("left", "l_")):
        return LEFT
    if name.startswith(("right", "r_")):
        return RIGHT
    return MIDDLE


def draw_pose(
    img: np.ndarray,
    keypoints: np.ndarray,
    schema: KeypointSchema = COCO17,
    radius: int = 3,
    thickness: int = 1,
    colour=None,
) -> np.ndarray:
    """Draw one pose on a copy of ``img`` (RGB uint8).

    keypoints: ``(K, 3)`` [x, y, v] image pixels (pixel centres at +0.5) with COCO flags, or
    ``(K, 2)`` (all drawn as visible). ``colour`` overrides the side colours (e.g. ground truth).
    """
    out = np.ascontiguousarray(img).copy()
    kp = np.asarray(keypoints, np.float64)
    if kp.shape[1] == 2:
        kp = np.concatenate([kp, np.full((len(kp), 1), 2.0)], axis=1)
    pt = lambda k: (int(round((kp[k, 0] - 0.5) * 16)), int(round((kp[k, 1] - 0.5) * 16)))  # noqa: E731
    for a, b in schema.skeleton:
        if kp[a, 2] > 0 and kp[b, 2] > 0 and np.all(np.isfinite(kp[[a, b], :2])):
            col = colour or (
                _side(schema.names[a])
                if _side(schema.names[a]) == _side(schema.names[b])
                else MIDDLE
            )
            cv2.line(out, pt(a), pt(b), col, thickness, cv2.LINE_AA, 4)
    for k in range(len(kp)):
        if kp[k, 2] > 0 and np.all(np.isfinite(kp[k, :2])):
            col = colour or _side(schema.names[k])
            cv2.circle(out, pt(k), radius * 16, col, -1 if kp[k, 2] >= 2 else 1, cv2.LINE_AA, 4)
    return out


def contact_sheet(images, cols: int = 4, labels=None) -> np.ndarray:
    """Tile equally sized RGB images into a grid, optionally with a short label on each."""
    images = [np.asarray(i) for i in images]
    h, w = images[0].shape[:2]
    rows = (len(images) + cols - 1) // cols
    sheet = np.full((rows * h, cols * w, 3), 255, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        tile = cv2.resize(im, (w, h)) if im.shape[:2] != (h, w) else im
        if labels is not None:
            tile = tile.copy()
            cv2.putText(
                tile,
                str(labels[i]),
                (3, 12),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.38,
                (0, 0, 0),
                3,
                cv2.LINE_AA,
            )
            cv2.putText(
                tile,
                str(labels[i]),
                (3, 12),
                cv2.FONT_HERSHEY_SIMPLEX,
                0.38,
                (255, 255, 255),
                1,
                cv2.LINE_AA,
            )
        sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = tile
    return sheet


def write_image(path, rgb: np.ndarray) -> None:
    """Write an RGB image atomically (format from the extension)."""
    import os

    from .io import write_bytes_atomic

    ext = os.path.splitext(str(path))[1] or ".png"
    ok, buf = cv2.imencode(ext, cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"{path}: could not encode image")
    write_bytes_atomic(path, buf.tobytes())


def save_figure(fig, path, dpi: int = 90) -> None:
    """Save a matplotlib figure as PNG atomically and close it."""
    import io

    import matplotlib.pyplot as plt

    from .io import write_bytes_atomic

    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)
    write_bytes_atomic(path, buf.getvalue())
