"""What a model outputs, declared once: every output tensor's name, shape, layout, frame and
meaning, and which outputs each head trains and exports.

Below export and runtime: the model builder, the exporter's shape check, the metadata document
and the decoders read this table. Shapes use symbols: ``N`` images, ``K`` keypoints, ``Hh x Wh``
heatmap cells, ``Bx`` / ``By`` simcc bins; ints are fixed sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError


@dataclass(frozen=True)
class OutputSpec:
    """One output tensor: ``shape`` in symbols (see the module), ``layout`` as the metadata spells
    it, ``frame`` the coordinates its values are in, ``meaning`` for people reading the metadata,
    ``exported`` False for training-only outputs."""

    name: str
    shape: tuple
    layout: str
    frame: str
    meaning: str
    exported: bool = True

    def resolve(self, k: int, heatmap_size=None, simcc_bins=None, batch: int = 1) -> tuple:
        """The concrete shape for ``k`` keypoints, ``heatmap_size (Hh, Wh)`` and ``simcc_bins
        (Bx, By)``, with ``batch`` (``None`` for Keras' symbolic batch) first; a symbol whose size is
        not given raises :class:`ConfigError`."""
        hh, ww = heatmap_size or (None, None)
        bx, by = simcc_bins or (None, None)
        sizes = {"K": k, "2K": 2 * k, "Hh": hh, "Wh": ww, "Bx": bx, "By": by}
        out = tuple(s if isinstance(s, int) else sizes.get(s) for s in self.shape[1:])
        if None in out:
            raise ConfigError(
                f"output {self.name!r}: shape {self.shape} needs sizes that were not given"
            )
        return (batch,) + out


_BINS = "bins (bin b centred on (b + 0.5) / split_ratio input pixels)"
#: Every output tensor a model of this package can have, by name.
OUTPUTS = {
    spec.name: spec
    for spec in (
        OutputSpec(
            "heatmaps",
            ("N", "Hh", "Wh", "K"),
            "NHWK",
            "heatmap cells (cell j centred on (j + 0.5) * stride input pixels)",
            "Gaussian keypoint heatmaps, one channel per keypoint; argmax gives the cell",
        ),
        OutputSpec(
            "offsets",
            ("N", "Hh", "Wh", "2K"),
            "NHW(2K) interleaved dx,dy",
            "heatmap cells",
            "sub-cell offsets, interleaved (dx, dy) per keypoint, added to the argmax cell centre",
        ),
        OutputSpec(
            "coords",
            ("N", "K", 2),
            "NK2",
            "normalised input [0, 1] (x / W, y / H)",
            "regressed keypoint positions (x, y)",
        ),
        OutputSpec(
            "visibility",
            ("N", "K"),
            "NK",
            "logit",
            "visibility logits; sigmoid gives the keypoint score",
        ),
        OutputSpec(
            "facing",
            ("N", 1),
            "N1",
            "logit",
            "whether the person faces the camera (logit > 0: facing); decides left from right in the side decoders",
        ),
        OutputSpec(
            "simcc_x",
            ("N", "K", "Bx"),
            "NK(Bx)",
            _BINS,
            "SimCC logits over the x bins, one row per keypoint (softmax(beta * row) is the distribution)",
        ),
        OutputSpec(
            "simcc_y",
            ("N", "K", "By"),
            "NK(By)",
            _BINS,
            "SimCC logits over the y bins, one row per keypoint",
        ),
        OutputSpec(
            "keypoints",
            ("N", "K", 3),
            "NK3",
            "input pixels (pixel i centred on i + 0.5); score = heatmap peak value",
            "decoded keypoints (x, y, score) from in-graph argmax + offset decoding",
        ),
        OutputSpec(
            "coords_dist",
            ("N", "K", 4),
            "NK4",
            "normalised input, then log scale",
            "coordinates and a log Laplace scale per coordinate, read by the Laplace likelihood",
            exported=False,
        ),
    )
}

#: The outputs each head trains on, in the model's order (``coords_dist`` and ``facing`` follow
#: where the config asks for them).
TRAINING_OUTPUTS = {
    "heatmap": ("heatmaps", "offsets"),
    "regression": ("heatmaps", "offsets", "coords", "visibility"),
    "integral": ("coords", "visibility"),
    "direct": ("coords", "visibility"),
    "simcc": ("simcc_x", "simcc_y"),
}
#: The outputs each head's exported graph keeps (``facing`` follows for the side heads).
INFERENCE_OUTPUTS = {
    "heatmap": ("heatmaps", "offsets"),
    "regression": ("coords", "visibility"),
    "integral": ("coords", "visibility"),
    "direct": ("coords", "visibility"),
    "simcc": ("simcc_x", "simcc_y"),
}


def expected_shapes(k: int, heatmap_size=None, simcc_bins=None, batch: int = 1) -> dict:
    """``{name: shape}`` of every exported output whose sizes are given."""
    out = {}
    for name, spec in OUTPUTS.items():
        if spec.exported:
            try:
                out[name] = spec.resolve(k, heatmap_size, simcc_bins, batch)
            except ConfigError:
                continue
    return out


__all__ = ["OutputSpec", "OUTPUTS", "TRAINING_OUTPUTS", "INFERENCE_OUTPUTS", "expected_shapes"]
