"""Atomic file writes (temp file + rename) and JSON reads that name the file on failure."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import DataError


def write_json_atomic(path, obj, indent=None) -> None:
    """Write JSON to ``path`` via a temp file in the same folder and ``os.replace``."""
    path = Path(path)
    text = json.dumps(obj, indent=indent, separators=None if indent else (",", ":"), default=_default)
    write_bytes_atomic(path, text.encode())


def write_bytes_atomic(path, data: bytes) -> None:
    """Write bytes to ``path`` via a temp file in the same folder and ``os.replace``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:  # interrupted or failed: no temp file stays behind
        tmp.unlink(missing_ok=True)
        raise


def read_json(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON: {exc}") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror}") from None


def _default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, os.PathLike):
        return os.fspath(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
