"""Compare a benchmark's figures between this checkout and another, run side by side.

    python benchmarks/compare.py ../baseline render.py --one-core --frames 3
    python benchmarks/compare.py ../baseline --pairs 6 generate.py --workers 1 --frames 12

On a shared or virtual machine one process's speed swings by 15% or more from minute to minute, which hides a 5%
change between two sequential runs. Here the two checkouts run the same benchmark at the same time, each pinned to
a core of its own (they swap cores every pair), so both meet the same phase of the machine; each pair gives a
ratio, this checkout's figure over the other's, and the medians and ranges of the ratios are printed. For
benchmarks that use several cores (``generate.py --workers 2``), ``--sequential`` runs one at a time on every core,
in ABBA order; so does a machine with one core. A checkout
compared with itself shows the method's own spread. Each process gets ``PYTHONPATH`` set to its checkout: the
project is installed editable, so a script would otherwise import whichever ``simulator`` was installed.

Figures are read from the benchmark's output: the first number after a label and two or more spaces
(``render.py``'s table, ``page.py``'s stages), and ``s/frame/worker`` (``generate.py``), keyed by the text before them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = (re.compile(r"^\s*(?P<label>\S(?:.*?\S)?)\s{2,}(?P<value>\d+\.\d+)\b"),  # render.py, page.py: "label  0.12"
           re.compile(r"^(?P<label>workers=\d+).*?(?P<value>\d+\.\d+) s/frame/worker"))  # generate.py


def figures(output: str) -> dict[str, float]:
    """{label: first figure} of each line of a benchmark's output that holds one."""
    out = {}
    for line in output.splitlines():
        for pattern in FIGURES:
            m = pattern.search(line)
            if m:
                out[m["label"]] = float(m["value"])
                break
    return out


def start(checkout: Path, core: int | None, script: str, args: list[str]) -> subprocess.Popen:
    """The benchmark ``script`` of ``checkout`` running, pinned to ``core`` (None: not pinned)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    pin = (lambda: os.sched_setaffinity(0, {core})) if core is not None else None
    return subprocess.Popen([sys.executable, str(checkout / "benchmarks" / script), *args], cwd=checkout, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=pin)


def finish(proc: subprocess.Popen, name: str) -> dict[str, float]:
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        sys.exit(f"compare: {name}'s benchmark exited {proc.returncode}:\n{stderr[-2000:]}")
    return figures(stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout (a git worktree of the commit to compare with)")
    parser.add_argument("script", help="a script in benchmarks/, e.g. render.py")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")
    parser.add_argument("--pairs", type=int, default=4, help="runs of each checkout (default 4)")
    parser.add_argument("--sequential", action="store_true",
                        help="one run at a time on every core, ABBA order (for benchmarks that use several cores, "
                             "e.g. generate.py --workers 2)")
    args = parser.parse_args()
    other = args.other.resolve()
    if not (other / "benchmarks" / args.script).is_file():
        sys.exit(f"compare: {other / 'benchmarks' / args.script} does not exist (is {other} a checkout?)")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    side_by_side = len(cores) >= 2 and not args.sequential
    ratios: dict[str, list[float]] = {}
    values: dict[str, tuple[list[float], list[float]]] = {}
    for i in range(args.pairs):
        swap = i % 2 == 1  # alternate cores (side by side) or order (one after the other)
        if side_by_side:
            c_this, c_other = (cores[1], cores[0]) if swap else (cores[0], cores[1])
            procs = start(ROOT, c_this, args.script, args.args), start(other, c_other, args.script, args.args)
            this, that = finish(procs[0], "this checkout"), finish(procs[1], str(other))
        else:  # one core, or asked to: ABBA order, so a drifting machine favours neither
            runs = [(other, "other"), (ROOT, "this")] if swap else [(ROOT, "this"), (other, "other")]
            got = {name: finish(start(path, None, args.script, args.args), name) for path, name in runs}
            this, that = got["this"], got["other"]
        for label in this:  # in the benchmark's order
            if that.get(label, 0.0) > 0:
                ratios.setdefault(label, []).append(this[label] / that[label])
                values.setdefault(label, ([], []))[0].append(this[label])
                values[label][1].append(that[label])
        print(f"pair {i + 1}/{args.pairs} done", file=sys.stderr)
    how = "side by side, one core each" if side_by_side else "one after the other, ABBA"
    print(f"{args.script} {' '.join(args.args)}: this checkout ({ROOT}) against {other}, {args.pairs} pairs, {how}")
    print(f"{'figure':52s} {'other':>8s} {'this':>8s} {'ratio':>6s}  range")
    for label, r in ratios.items():
        mine, theirs = values[label]
        print(f"{label[:52]:52s} {statistics.median(theirs):8.3f} {statistics.median(mine):8.3f} "
              f"{statistics.median(r):6.3f}  {min(r):.3f}–{max(r):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
