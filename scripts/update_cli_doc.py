"""Regenerate docs/cli.md's CLI reference from the parser: python scripts/update_cli_doc.py"""

from pathlib import Path

from posenet_mobile.cli import cli_reference

doc = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
text = doc.read_text()
start, end = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"
head, rest = text.split(start, 1)
doc.write_text(head + start + cli_reference() + end + rest.split(end, 1)[1])
