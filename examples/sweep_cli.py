"""The command line the sweep examples share: options, their checks, and the project's error policy.

Checked before anything renders: the record, the contact sheet's image format and folder, the seed. A bad one is
one ``error:`` line and exit code 2, as in every command of the project (``simulator.errors.run_command``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from simulator.errors import InputError, run_command
from simulator.records import read_header

ROOT = Path(__file__).resolve().parent.parent
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


def parse_args(doc: str, default_output: str) -> argparse.Namespace:
    """The examples' options, checked (InputError names the bad one)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--record", default=str(ROOT / "assets" / "records" / "ptbxl" / "00001_lr"))
    parser.add_argument("--output", default=default_output, help="contact sheet image (.png or .jpg)")
    parser.add_argument("--frames", default=None, help="also write every frame with its ground truth here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    read_header(args.record)
    output = Path(args.output)
    if output.suffix.lower() not in IMAGE_SUFFIXES:
        raise InputError(f"--output: {output.name} is not a .png or .jpg file name")
    if not output.parent.is_dir():
        raise InputError(f"--output: folder {output.parent} does not exist")
    if args.seed < 0:
        raise InputError(f"--seed: {args.seed} must be ≥ 0")
    return args


def run(main: Callable[[], None]) -> None:
    """Run an example's ``main`` under the project's error policy and exit with its code."""
    sys.exit(run_command(main))
