"""Regenerate docs/cli.md's CLI reference from the parser: python scripts/update_cli_doc.py"""

from pathlib import Path

from posenet_mobile.cli import cli_reference
from posenet_mobile.io import replace_section

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
START, END = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"


def main():
    replace_section(DOC, START, END, cli_reference())


if __name__ == "__main__":
    main()
