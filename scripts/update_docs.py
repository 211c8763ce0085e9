"""Regenerate every generated section of the docs from its source, in one go.

    python scripts/update_docs.py

- docs/cli.md: the CLI reference, from the parser;
- docs/training.md, docs/heads.md, docs/measured.md, docs/compression.md, docs/alignment.md:
  measured figures, from benchmarks/results/;

docs/data.md's ablation tables are rewritten by ``benchmarks/data_ablation.py`` itself whenever it
scores a row (``--table-only`` just rewrites them). tests/test_docs.py fails when a section here
is stale.
"""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    for name in (
        "update_cli_doc",
        "update_training_doc",
        "update_heads_doc",
        "update_measured_doc",
        "update_compression_doc",
        "update_alignment_doc",
    ):
        mod = _script(ROOT / "scripts" / f"{name}.py")
        if hasattr(mod, "main"):
            mod.main()
        print(f"{name}: done")


if __name__ == "__main__":
    main()
