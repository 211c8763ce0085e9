"""The one loader of Keras model files: only the zip ``.keras`` format, without running code.

tf_keras applies ``safe_mode`` only to a real ``.keras`` zip archive; an HDF5 file or a
SavedModel folder, even one named ``model.keras``, is deserialised by older paths that rebuild
``Lambda`` layers from their pickled Python bytecode and run it while the model is rebuilt. A
run folder is exactly what people pass around, so every Keras model the package reads comes
through :func:`load_keras_model`, which

* decides the format by content (the first bytes, or a folder), never by the file name;
* refuses HDF5 and SavedModel with one :class:`~posenet_mobile.errors.ModelError` naming the file;
* reads a zip archive's ``config.json`` first and refuses ``Lambda`` layers and classes from
  modules outside Keras before anything is deserialised (importing an arbitrary module can run
  code too), then loads it with ``safe_mode=True``.

``unsafe=True`` (the CLI's ``--unsafe-load``) is the explicit opt-in for a trusted file: any
format, ``safe_mode=False``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from ..errors import ModelError

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
#: Classes that carry Python code in their config.
CODE_CLASSES = {"Lambda", "__lambda__", "TFOpLambda", "SlicingOpLambda"}
KERAS_MODULES = ("keras.", "tf_keras.")
UNSAFE_HINT = "pass --unsafe-load (Python: unsafe=True) only if you trust who made this file"


def model_format(path) -> str:
    """``"keras_zip"``, ``"hdf5"``, ``"savedmodel"`` or ``"unknown"``, by content."""
    p = Path(path)
    if p.is_dir():
        return (
            "savedmodel"
            if (p / "saved_model.pb").exists() or (p / "saved_model.pbtxt").exists()
            else "folder"
        )
    with open(p, "rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC) and zipfile.is_zipfile(p):
        return "keras_zip"
    if head == HDF5_MAGIC:
        return "hdf5"
    return "unknown"


def _walk(obj, found: list):
    if isinstance(obj, dict):
        if "class_name" in obj:
            found.append(obj)
        for v in obj.values():
            _walk(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _walk(v, found)


def check_config(config: dict, source: str) -> None:
    """Refuse a zip archive's model config that would run code when deserialised."""
    objs: list = []
    _walk(config, objs)
    for o in objs:
        cls, module = str(o.get("class_name")), o.get("module")
        if cls in CODE_CLASSES:
            name = (
                (o.get("config") or {}).get("name", "?")
                if isinstance(o.get("config"), dict)
                else "?"
            )
            raise ModelError(
                f"{source}: layer {name!r} is a {cls}, which runs Python code stored in the file; "
                f"refused ({UNSAFE_HINT})"
            )
        if module is not None and not str(module).startswith(KERAS_MODULES):
            raise ModelError(
                f"{source}: class {cls!r} comes from module {module!r}, outside Keras; importing it "
                f"could run code; refused ({UNSAFE_HINT})"
            )


def load_keras_model(path, unsafe: bool = False, custom_objects=None):
    """Load a tf_keras model file (uncompiled) as described in the module docstring."""
    from ..keras import keras

    p = Path(path)
    if not p.exists():
        raise ModelError(f"{p}: no such model file")
    try:
        fmt = model_format(p)
    except OSError as exc:
        raise ModelError(f"{p}: cannot read: {exc.strerror}") from None
    if unsafe:
        try:
            return keras.models.load_model(
                str(p), compile=False, safe_mode=False, custom_objects=custom_objects
            )
        except Exception as exc:  # corrupt or foreign file
            raise ModelError(
                f"{p}: cannot be loaded as a tf_keras model ({type(exc).__name__})"
            ) from None
    if fmt != "keras_zip":
        what = {
            "hdf5": "an HDF5 file",
            "savedmodel": "a SavedModel folder",
            "folder": "a folder",
        }.get(fmt, "not a Keras zip archive")
        raise ModelError(
            f"{p}: is {what}, not the zip .keras format; older Keras formats can run code stored in "
            f"the file while loading, so only .keras archives load by default ({UNSAFE_HINT})"
        )
    try:
        with zipfile.ZipFile(p) as zf:
            config = json.loads(zf.read("config.json"))
    except (KeyError, zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError, OSError):
        raise ModelError(
            f"{p}: zip archive without a readable config.json; not a .keras model"
        ) from None
    check_config(config, str(p))
    from ..keras import tf

    target = p
    if p.suffix != ".keras":  # tf_keras' zip loader insists on the suffix
        import os
        import tempfile

        fd, name = tempfile.mkstemp(suffix=".keras")
        os.close(fd)
        target = Path(name)
        target.write_bytes(p.read_bytes())
    try:
        from tf_keras.src.saving import saving_lib

        return saving_lib.load_model(
            str(target), custom_objects=custom_objects, compile=False, safe_mode=True
        )
    except (ValueError, TypeError, KeyError, OSError, tf.errors.OpError) as exc:
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{p}: cannot be loaded as a tf_keras model ({first})") from None
    finally:
        if target != p:
            target.unlink(missing_ok=True)
