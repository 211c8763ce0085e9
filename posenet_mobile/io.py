"""Files the package writes and reads: atomic writes, stale temp files, output checks, folder locks.

* Every write goes to a temporary name in the target folder (:func:`temp_path`) and is renamed
  over the target, so a reader sees the old file or the new one, never half of one. A failed or
  interrupted write removes its temporary file; one left by a killed process (``SIGKILL``) is
  removed by :func:`sweep_temps` the next time a command writes into that folder.
* :func:`commit_files` writes several files as one change: every temporary file is written and
  checked first, and only then renamed, in the given order.
* :func:`check_output_dir` / :func:`check_output_file` refuse an output that cannot be written
  before any work starts.
* :class:`FolderLock` keeps a second process out of a run folder (``fcntl.flock``, released when
  the process exits, however it exits).
* :func:`read_json` names the file when it is missing, not UTF-8, not JSON or not the expected
  type at the top level.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from .errors import BusyError, DataError, OutputError

#: ``.NAME.tmpPID`` with an optional suffix kept for writers that need it (``.model.tmp12.keras``).
TEMP_RE = re.compile(r"^\.(?P<name>.+)\.tmp(?P<pid>\d+)(?P<suffix>\.[A-Za-z0-9]+)?$")


def temp_path(path, keep_suffix: bool = False) -> Path:
    """This process's temporary name for ``path``, in the same folder (so ``os.replace`` is atomic)."""
    path = Path(path)
    if keep_suffix and path.suffix:
        return path.with_name(f".{path.stem}.tmp{os.getpid()}{path.suffix}")
    return path.with_name(f".{path.name}.tmp{os.getpid()}")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def write_json_atomic(path, obj, indent=None) -> None:
    """Write JSON to ``path`` via a temp file in the same folder and ``os.replace``."""
    write_bytes_atomic(path, json_bytes(obj, indent))


def replace_section(path, start: str, end: str, body: str) -> None:
    """Rewrite the text between the markers ``start`` and ``end`` of the text file ``path`` with
    ``body`` (atomically): how generated sections of the docs are kept current."""
    path = Path(path)
    text = path.read_text()
    if start not in text or end not in text:
        raise OutputError(f"{path}: markers {start.strip()!r} and {end.strip()!r} expected")
    head, rest = text.split(start, 1)
    write_bytes_atomic(path, (head + start + body + end + rest.split(end, 1)[1]).encode())


def json_bytes(obj, indent=None) -> bytes:
    text = json.dumps(
        obj, indent=indent, separators=None if indent else (",", ":"), default=_default
    )
    return text.encode()


def write_bytes_atomic(path, data: bytes) -> None:
    """Write bytes to ``path`` via a temp file in the same folder and ``os.replace``."""
    commit_files([(path, data)])


def commit_files(items) -> None:
    """Write ``[(path, bytes), ...]`` as one change: all temporary files first, then the renames
    in list order. Nothing that existed before is touched unless every temporary file was
    written; on any failure (or ``SIGTERM``, which the CLI turns into ``SystemExit``) the
    temporary files are removed. Put the file that readers look for first (a model) last."""
    temps = []
    try:
        for path, data in items:
            tmp = temp_path(path)
            temps.append((tmp, Path(path)))
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temps(folder, recursive: bool = False) -> list[str]:
    """Remove temporary files and folders (:data:`TEMP_RE`) of processes that no longer run.

    Returns the removed names. Temp files of live processes (a concurrent writer) are kept.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    entries = folder.rglob(".*") if recursive else folder.glob(".*")
    for p in list(entries):
        m = TEMP_RE.match(p.name)
        if m and not _alive(int(m.group("pid"))):
            _remove(p)
            removed.append(str(p))
    return removed


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not p.exists():
        if p.parent == p:
            break
        p = p.parent
    return p


def _probe(folder: Path, what: str) -> None:
    """Create and remove a file in ``folder`` (``os.access`` says yes to root everywhere)."""
    if not folder.is_dir():
        raise OutputError(f"{what}: {folder} is not a folder")
    try:
        fd, name = tempfile.mkstemp(prefix=".write-check.", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise OutputError(f"{what}: cannot write in {folder} ({exc.strerror})") from None


def check_output_dir(path, what: str) -> Path:
    """Refuse (:class:`OutputError`) an output folder that is a file or cannot be created or
    written; nothing is created. ``what`` names the option (``--out``)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{what} {path}: exists and is not a folder")
    base = _existing_ancestor(path)
    if not base.is_dir():
        raise OutputError(f"{what} {path}: {base} is a file, so the folder cannot be created")
    _probe(base, f"{what} {path}")
    return path


def check_output_file(path, what: str) -> Path:
    """Refuse an output file path that is a folder or whose folder cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{what} {path}: is a folder; expected a file path")
    base = _existing_ancestor(path.parent)
    if not base.is_dir():
        raise OutputError(f"{what} {path}: {base} is a file, so the folder cannot be created")
    _probe(base, f"{what} {path}")
    return path


class FolderLock:
    """Exclusive lock of a folder for this process: ``FOLDER/.lock`` held with ``fcntl.flock``.

    A second process is refused at once (:class:`BusyError` naming the holder's PID). The kernel
    releases the lock when the holder exits, even on ``SIGKILL``, so there is no stale lock to
    clear. Re-entrant within one process (the demo locks its folder, then trains inside it).
    """

    _held: dict = {}  # resolved folder -> [fd, depth]

    def __init__(self, folder, what: str = "run folder"):
        self.folder = Path(folder)
        self.what = what

    def __enter__(self):
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        key = str(self.folder.resolve())
        if key in self._held:
            self._held[key][1] += 1
            return self
        path = self.folder / ".lock"
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise BusyError(
                f"{self.folder}: {self.what} in use by another posenet-mobile process (PID {holder}); "
                "wait for it to finish or use another folder"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._held[key] = [fd, 1]
        return self

    def __exit__(self, *exc):
        key = str(self.folder.resolve())
        entry = self._held.get(key)
        if entry is None:
            return False
        entry[1] -= 1
        if entry[1] == 0:
            del self._held[key]
            os.close(entry[0])  # closing the descriptor releases the flock
        return False


def read_json(path, expect: type | None = None, what: str | None = None):
    """Parse a JSON file; a missing file, non-UTF-8 bytes, invalid JSON or (with ``expect``) a
    top level of another type is a :class:`DataError` naming the file."""
    label = f"{path}" + (f" ({what})" if what else "")
    try:
        raw = Path(path).read_bytes()
    except IsADirectoryError:
        raise DataError(f"{label}: is a folder; expected a JSON file") from None
    except OSError as exc:
        raise DataError(f"{label}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{label}: not UTF-8 text (byte {exc.start}); expected a JSON file"
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{label}: not valid JSON: {exc}") from None
    if expect is not None and not isinstance(doc, expect):
        got = _kind(type(doc))
        raise DataError(
            f"{label}: expected a JSON {_kind(expect)} at the top level, got {'an' if got[0] in 'ao' else 'a'} {got}"
        )
    return doc


def _kind(t) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(
        t, t.__name__
    )


def sha256_bytes(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


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


def write_row(path, kind: str, label: str, row: dict) -> None:
    """Set ``rows[label]`` of the results file ``path`` (``{"benchmark": kind, "rows": {...}}``,
    made when missing), keeping its other rows; written atomically. Benchmarks that score one
    model or data set per invocation gather their rows this way."""
    import json

    path = Path(path)
    doc = json.loads(path.read_text()) if path.exists() else {"benchmark": kind, "rows": {}}
    doc["rows"][label] = row
    write_json_atomic(path, doc, indent=1)
