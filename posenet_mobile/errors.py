"""Exception types whose messages name the culprit: file, field and what was expected.

The CLI turns any :class:`PoseNetError` into one line on stderr and a non-zero exit status.
"""


class PoseNetError(Exception):
    """Base class of every user-facing error of the package."""


class ConfigError(PoseNetError, ValueError):
    """A configuration value or YAML key is unknown or out of range."""


class SchemaError(PoseNetError, ValueError):
    """A keypoint schema (names, flip pairs, skeleton, sigmas) is inconsistent."""


class DataError(PoseNetError, ValueError):
    """A dataset file or annotation field is missing or malformed."""


class ModelError(PoseNetError, ValueError):
    """A model cannot be built or loaded as asked."""


class ExportError(PoseNetError, RuntimeError):
    """A model cannot be exported as asked (unsupported op, failed conversion)."""


class TrainError(PoseNetError, RuntimeError):
    """Training ended without a usable model (diverged, or never scored a finite PCK)."""


class OutputError(PoseNetError, OSError):
    """An output path cannot be written (checked before any work starts)."""


class BusyError(PoseNetError, RuntimeError):
    """A run or output folder is held by another posenet_mobile process (see :class:`io.FolderLock`)."""


class PoseNetWarning(UserWarning):
    """Something was accepted and changed or skipped on the way in (a 0-based skeleton shifted,
    an image whose size differs from its JSON record); the CLI prints it as one line."""


def where(path=None, field=None):
    """Format a ``file: field:`` prefix for an error message; either part may be omitted."""
    parts = [str(p) for p in (path, field) if p not in (None, "")]
    return (": ".join(parts) + ": ") if parts else ""
