"""Imports point down the package's layers (shared/STYLE.md, "One contract"): a module may import
its own layer or a lower one, never a higher one, at module level or inside a function."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "posenet_mobile"

#: Lowest first. Within a layer modules may import each other.
LAYERS = (
    ("__init__", "errors"),
    ("io", "schema", "config", "contract", "metadata", "viz"),
    ("geometry", "codec", "simcc", "metrics", "targets"),
    ("keras",),
    ("data",),
    ("losses", "models"),
    ("train",),
    ("runs",),
    ("compress",),
    ("detect",),
    ("runtime",),
    ("export",),
    ("harness",),
    ("demo",),
    ("cli", "__main__"),
)
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _unit(module: str) -> str:
    """``posenet_mobile.data.pipeline`` -> ``data``; the package itself -> ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _imports(path: Path):
    """``(line, imported module)`` for every import of the package in ``path``, wherever it is."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    package = parts if path.name == "__init__.py" else parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("posenet_mobile"):
                for a in (
                    node.names
                ):  # ``from . import metadata`` imports a module; ``__version__`` a name
                    yield (
                        node.lineno,
                        f"{target}.{a.name}" if _is_module(f"{target}.{a.name}") else target,
                    )
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("posenet_mobile"):
                    yield node.lineno, a.name


def _back_edges():
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        here = _unit(".".join(rel.parts))
        assert here in RANK, f"{path}: module {here!r} has no layer in LAYERS"
        for line, target in _imports(path):
            there = _unit(target)
            assert there in RANK, f"{path}:{line}: imports {target}, whose layer is not in LAYERS"
            if RANK[there] > RANK[here]:
                out.append(
                    f"{path.relative_to(PACKAGE.parent)}:{line} ({here}) imports {target} ({there})"
                )
    return out


def test_imports_point_down_the_layers():
    assert _back_edges() == []


def test_the_check_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "posenet_mobile"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "codec.py").write_text("def f():\n    from .harness import compare\n")
    (pkg / "data" / "__init__.py").write_text("")
    (pkg / "data" / "pipeline.py").write_text("from ..losses import x\nfrom .. import geometry\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", pkg)
    edges = _back_edges()
    assert len(edges) == 2 and "codec.py:2 (codec) imports posenet_mobile.harness" in edges[0]
    assert "pipeline.py:1 (data) imports posenet_mobile.losses" in edges[1]
