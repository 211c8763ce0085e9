"""The README's CLI reference matches the parser."""

from pathlib import Path

from posenet_mobile.cli import build_parser, cli_reference

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_cli_reference_matches_the_parser():
    text = README.read_text()
    start, end = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"
    assert start in text and end in text
    section = text.split(start, 1)[1].split(end, 1)[0]
    assert section == cli_reference(), "README CLI reference is stale: regenerate it from cli_reference()"
    sub = next(a for a in build_parser()._actions if hasattr(a, "choices") and isinstance(a.choices, dict))
    for name in sub.choices:
        assert f"`posenet-mobile {name}`" in section
