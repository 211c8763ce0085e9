"""``posenet-mobile`` command line: parse, call one library function, print its result.

Every failure is one line on stderr and a non-zero exit: user errors
(:class:`~posenet_mobile.errors.PoseNetError`, and file errors the library did not foresee) exit
2, a failed gate exits 1, anything else is an internal error (exit 3). ``--debug`` shows the
traceback instead. ``SIGTERM`` is turned into an exit that runs every clean-up, so no temporary
file stays behind; warnings print as one line each.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..errors import PoseNetError
from . import checks, data, demo, shipping, training


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="posenet-mobile",
        description="Single-person 2D pose estimation for phones: synthetic or COCO data, training, compression, TFLite export and validation.",
    )
    p.add_argument("--version", action="version", version=f"posenet_mobile {__version__}")
    p.add_argument("--debug", action="store_true", help="show the traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)

    for module in (data, training, shipping, checks, demo):
        module.add_parsers(sub)
    return p


def cli_reference() -> str:
    """Markdown reference of every subcommand, generated from the parser (kept in docs/cli.md)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub._choices_actions}
    lines = []
    for name, sp in sub.choices.items():
        lines.append(f"- `posenet-mobile {name}`: {helps.get(name, '')}")
        for a in sp._actions:
            if a.help == argparse.SUPPRESS or isinstance(a, argparse._HelpAction):
                continue
            flag = ", ".join(a.option_strings) or a.dest
            extra = []
            if a.choices:
                extra.append("one of " + "/".join(str(c) for c in a.choices))
            shown = (
                a.default is not None
                and a.default is not False
                and a.default != []
                and a.default != argparse.SUPPRESS
            )
            if a.option_strings and shown and not a.required:
                extra.append(f"default {a.default}")
            if a.required and a.option_strings:
                extra.append("required")
            text = (a.help or "") + (f" ({'; '.join(extra)})" if extra else "")
            lines.append(f"  - `{flag}` {text}".rstrip())
    return "\n".join(lines) + "\n"


def _on_sigterm(signum, frame):
    raise SystemExit(128 + signum)  # unwinds like an exception: clean-ups and temp-file removal run


def _one_line_warnings() -> None:
    import warnings

    from ..errors import PoseNetWarning

    def show(message, category, filename, lineno, file=None, line=None):
        tag = "warning" if issubclass(category, PoseNetWarning) else category.__name__
        print(f"posenet-mobile: {tag}: {message}", file=sys.stderr, flush=True)

    warnings.showwarning = show


def main(argv=None) -> int:
    import signal
    import threading

    args = build_parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():  # handlers can only be set there
        signal.signal(signal.SIGTERM, _on_sigterm)
    _one_line_warnings()
    try:
        return int(args.func(args) or 0)
    except PoseNetError as exc:
        if args.debug:
            raise
        print(f"posenet-mobile {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posenet-mobile {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # a file problem the library did not put into words
        if args.debug:
            raise
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"posenet-mobile {args.command}: error: {name}{exc.strerror or exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        text = " ".join(str(exc).split())[:300] or "no message"
        print(
            f"posenet-mobile {args.command}: internal error: {type(exc).__name__}: {text} "
            "(--debug shows the traceback; please report it)",
            file=sys.stderr,
        )
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
