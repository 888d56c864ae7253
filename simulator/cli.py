"""The ``ecg-sim`` / ``python -m simulator`` command line: one subcommand per driver, one error policy.

Bad input (``InputError``) prints one line and exits 2; warnings (a missing lead, a short record) print one line
each and the command goes on.
"""

from __future__ import annotations

import argparse
import sys
import warnings

from . import generate, page_cmd, rerender
from .errors import run_command

SUBCOMMANDS = [page_cmd, generate, rerender]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecg-sim", description="Synthetic paper-ECG imaging with exact ground truth.")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in SUBCOMMANDS:
        module.add_parser(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = _show_warning
    return run_command(lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
