"""``python -m eval``: the evaluation CLI."""

from .cli import main

raise SystemExit(main())
