"""User-facing errors: one line, exit code 2, never a traceback."""

from __future__ import annotations

import sys
from typing import Callable


class InputError(ValueError):
    """Bad input from the user (a record, a parameter, a path). Its message is the one line the CLI prints."""


EXIT_BAD_INPUT = 2
BRIEF_CHARS = 60


def brief(value: object, limit: int = BRIEF_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error lines that quote what the user wrote (a whole
    sub-tree of a config can be thousands of characters)."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def run_command(handler: Callable[[], int | None]) -> int:
    """Run a command-line handler under the project's error policy, shared by every CLI.

    Bad input (``InputError``) or a file-system refusal (``OSError``) prints one ``error:`` line and returns 2;
    Ctrl-C returns 130. Anything else is a bug and keeps its traceback.
    """
    try:
        return int(handler() or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
