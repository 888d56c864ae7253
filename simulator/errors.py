"""User-facing errors: one line, exit code 2, never a traceback."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user (a record, a parameter, a path). Its message is the one line the CLI prints."""


EXIT_BAD_INPUT = 2
