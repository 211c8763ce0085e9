"""Generated documentation matches its sources: the CLI reference, the training and heads measurements."""

from pathlib import Path

from posenet_mobile.cli import build_parser, cli_reference

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_cli_reference_matches_the_parser():
    text = (ROOT / "docs" / "cli.md").read_text()
    start, end = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"
    assert start in text and end in text
    section = text.split(start, 1)[1].split(end, 1)[0]
    assert section == cli_reference(), "docs/cli.md is stale: run scripts/update_cli_doc.py"
    sub = next(
        a for a in build_parser()._actions if hasattr(a, "choices") and isinstance(a.choices, dict)
    )
    for name in sub.choices:
        assert f"`posenet-mobile {name}`" in section


def _generated_section(script: str):
    """The script module (``scripts/SCRIPT.py``) and its doc's generated section."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(script, ROOT / "scripts" / f"{script}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.DOC.read_text()
    assert mod.START in text and mod.END in text
    return mod, text.split(mod.START, 1)[1].split(mod.END, 1)[0]


def test_training_doc_measurements_match_the_results_files():
    mod, section = _generated_section("update_training_doc")
    assert section == mod.render(), "docs/training.md is stale: run scripts/update_training_doc.py"
    assert "ms per step" in section and "over baseline" in section  # both results files were read


def test_heads_doc_measurements_match_the_results_file():
    mod, section = _generated_section("update_heads_doc")
    assert section == mod.render(), "docs/heads.md is stale: run scripts/update_heads_doc.py"
    assert "| heatmap |" in section and "| simcc |" in section and "Pareto frontier" in section


def test_measured_doc_matches_the_results_files():
    mod, section = _generated_section("update_measured_doc")
    assert section == mod.render(), "docs/measured.md is stale: run scripts/update_docs.py"
    for name in ("demo", "train_quickstart", "peers"):  # every source is either shown or named
        assert (ROOT / "benchmarks" / "results" / f"{name}.json").exists() or (
            f"benchmarks/{name}.py" in section
        )


def test_compression_doc_matches_the_results_file():
    mod, section = _generated_section("update_compression_doc")
    assert section == mod.render(), "docs/compression.md is stale: run scripts/update_docs.py"
    assert "| int8 PQAT" in section or "benchmarks/compression.py" in section


def test_alignment_doc_matches_the_results_file():
    mod, section = _generated_section("update_alignment_doc")
    assert section == mod.render(), "docs/alignment.md is stale: run scripts/update_docs.py"
    assert "| inverted" in section or "benchmarks/alignment.py" in section
    text = mod.DOC.read_text()
    for start, end, render in (
        (mod.DET_START, mod.DET_END, mod.render_detector),
        (mod.PIPE_START, mod.PIPE_END, mod.render_pipeline),
        (mod.PHOTO_START, mod.PHOTO_END, mod.render_photo),
        (mod.RULE_START, mod.RULE_END, mod.render_rule),
        (mod.GAP_START, mod.GAP_END, mod.render_gap),
        (mod.VIEWS_START, mod.VIEWS_END, mod.render_views),
    ):
        section = text.split(start, 1)[1].split(end, 1)[0]
        assert section == render(), "docs/alignment.md is stale: run scripts/update_docs.py"


def test_every_generated_section_has_one_regenerating_script():
    import re

    scripts = (ROOT / "scripts" / "update_docs.py").read_text()
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for marker in re.findall(r"<!-- ([a-z0-9-]+):start -->", doc.read_text()):
            if doc.name == "data.md":  # benchmarks/data_ablation.py rewrites its own tables
                continue
            owner = [
                p.stem
                for p in (ROOT / "scripts").glob("update_*_doc.py")
                if f"<!-- {marker}:start -->" in p.read_text()
            ]
            assert len(owner) == 1 and owner[0] in scripts, (doc.name, marker, owner)
