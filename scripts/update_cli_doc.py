"""Regenerate the README's CLI reference from the parser: python scripts/update_readme_cli.py"""

from pathlib import Path

from posenet_mobile.cli import cli_reference

readme = Path(__file__).resolve().parents[1] / "README.md"
text = readme.read_text()
start, end = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"
head, rest = text.split(start, 1)
readme.write_text(head + start + cli_reference() + end + rest.split(end, 1)[1])
