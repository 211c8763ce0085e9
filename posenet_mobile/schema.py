"""Keypoint schemas: names, left/right flip pairs, skeleton edges and OKS sigmas.

COCO-17 is the default. Custom schemas (any keypoint count) load from a COCO ``categories``
entry, the same place annotation tools write them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .errors import SchemaError

COCO_KEYPOINT_NAMES = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)

# Per-keypoint OKS constants from the COCO keypoint evaluation (cocoeval.py, kpt_oks_sigmas).
COCO_SIGMAS = (
    0.026,
    0.025,
    0.025,
    0.035,
    0.035,
    0.079,
    0.079,
    0.072,
    0.072,
    0.062,
    0.062,
    0.107,
    0.107,
    0.087,
    0.087,
    0.089,
    0.089,
)

# COCO's skeleton, 0-based (the categories entry in person_keypoints_*.json is 1-based).
COCO_SKELETON = (
    (15, 13),
    (13, 11),
    (16, 14),
    (14, 12),
    (11, 12),
    (5, 11),
    (6, 12),
    (5, 6),
    (5, 7),
    (6, 8),
    (7, 9),
    (8, 10),
    (1, 2),
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
    (3, 5),
    (4, 6),
)

#: Sigma used for a custom keypoint whose name is not a COCO name (between COCO's wrist and hip).
DEFAULT_SIGMA = 0.072


def _mirror_name(name: str) -> str | None:
    for a, b in (("left", "right"), ("right", "left"), ("l_", "r_"), ("r_", "l_")):
        if name.startswith(a):
            return b + name[len(a) :]
    return None


@dataclass(frozen=True)
class KeypointSchema:
    """A keypoint set: ``K`` names, flip pairs, skeleton edges and per-keypoint OKS sigmas.

    Indices are 0-based. ``flip_pairs`` lists each left/right pair once; ``flip_index[k]`` is
    the keypoint that ``k`` becomes in a horizontally mirrored image (itself if unpaired).
    """

    names: tuple[str, ...]
    flip_pairs: tuple[tuple[int, int], ...] = ()
    skeleton: tuple[tuple[int, int], ...] = ()
    sigmas: tuple[float, ...] = field(default=())
    name: str = "custom"

    def __post_init__(self):
        k = len(self.names)
        if k == 0:
            raise SchemaError("keypoint schema: names: expected at least one keypoint name")
        if len(set(self.names)) != k:
            raise SchemaError(
                f"keypoint schema {self.name!r}: names: duplicate names in {self.names}"
            )
        object.__setattr__(self, "names", tuple(self.names))
        if not self.sigmas:
            object.__setattr__(self, "sigmas", tuple(_default_sigma(n) for n in self.names))
        object.__setattr__(self, "sigmas", tuple(float(s) for s in self.sigmas))
        if len(self.sigmas) != k or any(not s > 0 for s in self.sigmas):
            raise SchemaError(
                f"keypoint schema {self.name!r}: sigmas: expected {k} positive values, got {self.sigmas}"
            )
        for fname in ("flip_pairs", "skeleton"):
            pairs = tuple((int(a), int(b)) for a, b in getattr(self, fname))
            for a, b in pairs:
                if not (0 <= a < k and 0 <= b < k) or a == b:
                    raise SchemaError(
                        f"keypoint schema {self.name!r}: {fname}: pair ({a}, {b}) is not two distinct "
                        f"indices in [0, {k})"
                    )
            object.__setattr__(self, fname, pairs)
        seen = [i for p in self.flip_pairs for i in p]
        if len(seen) != len(set(seen)):
            raise SchemaError(
                f"keypoint schema {self.name!r}: flip_pairs: a keypoint appears in two pairs: {self.flip_pairs}"
            )

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    @property
    def flip_index(self) -> np.ndarray:
        """Permutation ``(K,)`` int: channel ``k`` of a mirrored image is channel ``flip_index[k]``."""
        idx = np.arange(self.num_keypoints)
        for a, b in self.flip_pairs:
            idx[a], idx[b] = b, a
        return idx

    @property
    def sigmas_array(self) -> np.ndarray:
        return np.asarray(self.sigmas, dtype=np.float64)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SchemaError(
                f"keypoint schema {self.name!r}: no keypoint named {name!r}"
            ) from None

    def torso_diagonals(self) -> tuple[tuple[int, int], ...]:
        """Shoulder-to-opposite-hip index pairs used as PCK's torso size (may be empty)."""
        pairs = []
        for a, b in (("left_shoulder", "right_hip"), ("right_shoulder", "left_hip")):
            if a in self.names and b in self.names:
                pairs.append((self.names.index(a), self.names.index(b)))
        return tuple(pairs)

    # --- COCO categories -------------------------------------------------------------------

    def to_coco_category(self, category_id: int = 1, category_name: str = "person") -> dict:
        """The COCO ``categories`` entry (1-based skeleton, as COCO writes it)."""
        return {
            "id": category_id,
            "name": category_name,
            "supercategory": category_name,
            "keypoints": list(self.names),
            "skeleton": [[a + 1, b + 1] for a, b in self.skeleton],
        }

    @classmethod
    def from_coco_category(
        cls, category: Mapping, sigmas: Sequence[float] | None = None, source: str = "categories"
    ) -> "KeypointSchema":
        """Build a schema from a COCO ``categories`` entry (any keypoint count).

        Flip pairs come from ``left_*``/``right_*`` (or ``l_``/``r_``) names. Sigmas, unless
        given, are COCO's for COCO names and :data:`DEFAULT_SIGMA` otherwise. ``source`` names
        the file the entry came from, for error messages.
        """
        if not isinstance(category, Mapping):
            raise SchemaError(
                f"{source}: expected a category object, got {type(category).__name__}"
            )
        names = category.get("keypoints")
        if (
            not isinstance(names, (list, tuple))
            or not all(isinstance(n, str) for n in names)
            or not names
        ):
            raise SchemaError(
                f"{source}: categories[].keypoints: expected a non-empty list of names"
            )
        k = len(names)
        edges = category.get("skeleton", []) or []
        if not isinstance(edges, (list, tuple)):
            raise SchemaError(
                f"{source}: categories[].skeleton: expected a list of [a, b] pairs, got {edges!r:.60}"
            )
        for edge in edges:
            if not (
                isinstance(edge, (list, tuple))
                and len(edge) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in edge)
            ):
                raise SchemaError(
                    f"{source}: categories[].skeleton: expected [a, b] integer pairs, got {edge!r}"
                )
        flat = [v for e in edges for v in e]
        # COCO numbers keypoints from 1; exports from Human3.6M or CrowdPose tools often from 0. An
        # index 0 with nothing above K - 1 can only be 0-based, so it is shifted (with a warning).
        base = 0 if flat and min(flat) == 0 and max(flat) <= k - 1 else 1
        if base == 0:
            import warnings

            from .errors import PoseNetWarning

            warnings.warn(
                f"{source}: categories[].skeleton is 0-based (COCO is 1-based); read as 0-based",
                PoseNetWarning,
                stacklevel=2,
            )
        skeleton = []
        for edge in edges:
            a, b = int(edge[0]) - base, int(edge[1]) - base
            if not (0 <= a < k and 0 <= b < k):
                raise SchemaError(
                    f"{source}: categories[].skeleton: edge {list(edge)} is outside 1..{k} (COCO is 1-based)"
                )
            skeleton.append((a, b))
        pairs = []
        for i, n in enumerate(names):
            m = _mirror_name(n)
            if m is not None and m in names and n.startswith(("left", "l_")):
                pairs.append((i, names.index(m)))
        is_coco = tuple(names) == COCO_KEYPOINT_NAMES
        return cls(
            names=tuple(names),
            flip_pairs=tuple(pairs),
            skeleton=tuple(skeleton),
            sigmas=tuple(sigmas) if sigmas is not None else (),
            name="coco17" if is_coco else str(category.get("name", "custom")),
        )

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "names": list(self.names),
            "flip_pairs": [list(p) for p in self.flip_pairs],
            "skeleton": [list(e) for e in self.skeleton],
            "sigmas": list(self.sigmas),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> "KeypointSchema":
        unknown = set(d) - {"name", "names", "flip_pairs", "skeleton", "sigmas"}
        if unknown:
            raise SchemaError(f"keypoint schema: unknown field(s) {sorted(unknown)}")
        return cls(
            names=tuple(d["names"]),
            flip_pairs=tuple(tuple(p) for p in d.get("flip_pairs", ())),
            skeleton=tuple(tuple(e) for e in d.get("skeleton", ())),
            sigmas=tuple(d.get("sigmas", ())),
            name=d.get("name", "custom"),
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict())


def _default_sigma(name: str) -> float:
    if name in COCO_KEYPOINT_NAMES:
        return COCO_SIGMAS[COCO_KEYPOINT_NAMES.index(name)]
    return DEFAULT_SIGMA


COCO17 = KeypointSchema(
    names=COCO_KEYPOINT_NAMES,
    flip_pairs=((1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)),
    skeleton=COCO_SKELETON,
    sigmas=COCO_SIGMAS,
    name="coco17",
)


#: COCO names of the torso keypoints: the facing target, side decoding and PCK's torso rule read them.
TORSO_NAMES = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


def torso_indices(names) -> tuple | None:
    """Indices of :data:`TORSO_NAMES` in a schema's keypoint names, or ``None`` if any is missing."""
    names = list(names)
    return (
        tuple(names.index(n) for n in TORSO_NAMES) if all(n in names for n in TORSO_NAMES) else None
    )


def get_schema(name_or_schema="coco17") -> KeypointSchema:
    """Resolve ``"coco17"`` or pass a :class:`KeypointSchema` through."""
    if isinstance(name_or_schema, KeypointSchema):
        return name_or_schema
    if name_or_schema in ("coco17", "coco", None):
        return COCO17
    raise SchemaError(f"keypoint schema: unknown schema name {name_or_schema!r}; expected 'coco17'")
