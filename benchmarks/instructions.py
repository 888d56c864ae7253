"""Instructions per 3D frame, counted by callgrind: a figure that repeats exactly from run to run.

    python benchmarks/instructions.py [--frames 2]   # needs valgrind (apt-get install -y valgrind); ~10 min

On a shared VM wall-clock times vary by 10-15% from run to run, more than most single changes to the renderer, so
two versions cannot be told apart by timing them. Instruction counts can: this makes benchmarks/render.py's frame
(its page, every pass, post and the projection of the samples) under ``valgrind --tool=callgrind`` twice, once with
one frame and once with ``1 + --frames`` frames, each after a warm-up frame, and prints the difference divided by
``--frames``: one frame's instructions, everything the process runs, with imports and shader compilation cancelled
out. llvmpipe rasterises on the calling thread (``LP_NUM_THREADS=0``), so its work is counted too. Compare two
checkouts by running it in each. Counts understate what memory traffic costs (a large copy is few instructions).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def frames(count: int) -> None:
    """The child: a warm-up frame, then ``count`` more (run under callgrind by the parent)."""
    os.environ["LP_NUM_THREADS"] = "0"  # read by Mesa when the context is created
    sys.path.insert(0, str(HERE))
    import numpy as np

    from render import benchmark_scene
    from simulator import post
    from simulator.gl_context import create_context
    from simulator.page import render_page
    from simulator.project import project_samples
    from simulator.renderer import GT_PASSES, PageTextures, Renderer

    scene, layout, sheet = benchmark_scene()
    renderer = Renderer(create_context())
    size = np.array([layout.width_mm, layout.height_mm])
    for _ in range(1 + count):
        image = render_page(layout)
        layers = renderer.render(sheet, PageTextures(image.rgb, image.masks), scene.camera, scene.lighting,
                                 scene.background, passes=GT_PASSES | {"rgb"})
        post.apply_post(layers, scene.post, np.random.default_rng(1))
        for trace in layout.traces:
            project_samples(sheet, scene.camera, layout.sample_xy_mm(trace) / size, layers, tuple(size))


def count_instructions(count: int, folder: Path) -> subprocess.Popen:
    """Start ``count`` frames under callgrind; its stderr ends with the instructions it collected."""
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder / f'callgrind.{count}'}",
           sys.executable, __file__, "--child", str(count)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def collected(proc: subprocess.Popen) -> int:
    _, err = proc.communicate()
    found = re.search(r"Collected : (\d+)", err)
    if proc.returncode != 0 or not found:
        sys.exit(f"callgrind run failed (exit {proc.returncode}): {err.strip().splitlines()[-1:] or ['no output']}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=2, help="frames whose instructions are averaged (default 2)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        frames(args.child)
        return
    if args.frames < 1:
        sys.exit("--frames: at least 1")
    try:
        subprocess.run(["valgrind", "--version"], capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        sys.exit("valgrind not found: install it (apt-get install -y valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        one, more = count_instructions(1, Path(tmp)), count_instructions(1 + args.frames, Path(tmp))  # side by side
        base, total = collected(one), collected(more)
    per_frame = (total - base) / args.frames
    print(f"2200x1700, page, every pass, post and projection: {per_frame / 1e9:.3f} G instructions per frame "
          f"(callgrind, LP_NUM_THREADS=0; {args.frames} frames)")


if __name__ == "__main__":
    main()
