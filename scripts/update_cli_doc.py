"""Regenerate docs/cli.md's CLI reference from the parser: python scripts/update_cli_doc.py"""

from pathlib import Path

from posenet_mobile.cli import cli_reference

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
START, END = "<!-- cli-reference:start -->\n", "<!-- cli-reference:end -->"


def main():
    text = DOC.read_text()
    head, rest = text.split(START, 1)
    DOC.write_text(head + START + cli_reference() + END + rest.split(END, 1)[1])


if __name__ == "__main__":
    main()
