"""Benchmark ``generate``: frames/s and peak RSS per worker for phone_photo frames at 2200×1700 with all ground truth.

    python benchmarks/generate.py [--frames 24] [--workers 1 2] [--device-note "H100"] [--full-mesh] [--floor]
                                  [--preset clean] [--input synthetic]

Each worker count runs in a fresh process (so peak RSS is its own), pinned to that many cores: the main process's
peak and the largest worker's peak are printed, with frames/s, seconds per frame per worker, CPU seconds per frame
(every thread of every process), and the machine (CPU count, GL renderer). ``--floor`` also runs one worker
with the real shaders and with trivial ones, alternating (floor_shaders.py): what a dataset frame costs before
shading. ``--preset`` measures another preset as it is (its sizes, its default passes) instead, and ``--input``
the frames of other records (``synthetic``: simulated ones) instead of the bundled ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S_PER_FRAME_PER_CORE = 0.44  # ECG-Image-Kit: 4.4 s per wrinkles+augment image


def bench_config(folder: Path, full_mesh: bool = False, preset: str = "phone_photo") -> tuple[Path, list[str]]:
    """phone_photo at 2200×1700 (letter at 200 dpi, a 2200×1700 camera aimed at its centre) and every GT pass;
    ``full_mesh``: every cell of the sheet drawn (sheet.tolerance_px 0), to see what simplifying it saves. Another
    ``preset``: that preset as it is, with its default passes."""
    from simulator.frame import PHOTO_PASSES
    path = folder / "bench.yaml"
    if preset != "phone_photo":
        path.write_text(f"extends: {preset}\n" + ("sheet.tolerance_px: 0.0\n" if full_mesh else ""))
        return path, []
    lines = ["extends: phone_photo", "page.paper: letter", "page.orientation: landscape", "page.dpi: 200",
             "sheet.width_mm: 279.4", "sheet.height_mm: 215.9", "camera.target: [139.7, 107.95, 0.0]",
             "camera.width_px: 2200", "camera.height_px: 1700"] + (["sheet.tolerance_px: 0.0"] if full_mesh else [])
    path.write_text("\n".join(lines) + "\n")
    return path, ["--gt-passes", ",".join(sorted(PHOTO_PASSES))]


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (pool workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(workers: int, frames: int, backend: str, full_mesh: bool = False, shader_dir: str | None = None,
            preset: str = "phone_photo", inputs: list[str] | None = None) -> dict:
    """Run one generate in this process, pinned to ``workers`` cores where the machine has them (so numpy's and
    OpenCV's helper threads cannot borrow idle cores); returns wall and CPU time and peak RSS (this process and its
    largest child). ``shader_dir``: one worker (this process) draws with the shaders there."""
    from simulator.cli import main
    if shader_dir is not None:
        from simulator import workers as frames_module
        from simulator.gl_context import create_context
        from simulator.renderer import Renderer
        frames_module._renderer = Renderer(create_context(), shader_dir=Path(shader_dir))  # this process's renderer
    pinned = hasattr(os, "sched_setaffinity") and workers <= len(os.sched_getaffinity(0))
    if pinned:
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:workers])  # workers inherit it
    with tempfile.TemporaryDirectory() as tmp:
        config, extra = bench_config(Path(tmp), full_mesh, preset)
        argv = ["generate", "-o", str(Path(tmp) / "out"), "-n", str(frames), "--seed", "1", "--config", str(config),
                "--workers", str(workers), "--backend", backend, "--no-progress", *extra,
                *(["--input", *inputs] if inputs else [])]
        start, cpu = time.perf_counter(), cpu_seconds()
        code = main(argv)
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    kib = 1 if platform.system() == "Linux" else 1 / 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    return {"code": code, "seconds": elapsed, "cpu_seconds": cpu, "pinned": pinned, "frames": frames,
            "workers": workers,
            "main_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * kib / 1024,
            "worker_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * kib / 1024}


def run_measure(workers: int, args: argparse.Namespace, shader_dir: Path | None = None) -> dict | str:
    """``measure`` in a fresh process (so peak RSS is its own); its figures, or what went wrong."""
    # one llvmpipe thread per worker: a worker is a core, so s/frame/worker is per core and scaling is like for like
    # (left alone, one worker's llvmpipe would use every core)
    env = {**os.environ, "LP_NUM_THREADS": os.environ.get("LP_NUM_THREADS", "1")}
    command = [sys.executable, __file__, "--measure", str(workers), "--frames", str(args.frames),
               "--backend", args.backend, "--preset", args.preset] + (["--full-mesh"] if args.full_mesh else [])
    if args.input:
        command += ["--input", *args.input]
    if shader_dir is not None:
        command += ["--shader-dir", str(shader_dir)]
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return f"workers={workers}: failed\n{out.stderr[-2000:]}"
    r = json.loads(out.stdout.strip().splitlines()[-1])
    if r["code"] != 0:
        return f"workers={workers}: generate exited {r['code']}\n{out.stdout[-2000:]}{out.stderr[-2000:]}"
    return r


def print_floor(args: argparse.Namespace, pairs: int = 2) -> int:
    """One worker with the real shaders and with trivial ones, ``pairs`` times in ABBA order; the medians."""
    import statistics

    from floor_shaders import write_floor_shaders

    seconds: dict[str, list[float]] = {"shaders": [], "trivial shaders": []}
    with tempfile.TemporaryDirectory() as tmp:
        floor = write_floor_shaders(Path(tmp) / "floor")
        runs = (("shaders", None), ("trivial shaders", floor))
        for k in range(pairs):
            for kind, shader_dir in runs if k % 2 == 0 else runs[::-1]:  # ABBA: a run's leftovers hit both alike
                r = run_measure(1, args, shader_dir)
                if isinstance(r, str):
                    print(r)
                    return 1
                seconds[kind].append(r["seconds"] / r["frames"])
    for kind, values in seconds.items():
        print(f"one worker, {kind}: {statistics.median(values):.3f} s/frame (median of {pairs}, "
              f"{min(values):.3f}-{max(values):.3f})")
    return 0


def gl_renderer() -> str:
    try:
        from simulator.gl_context import create_context
        ctx = create_context()
        return f"{ctx.info['GL_RENDERER']} ({ctx.info['GL_VERSION']})"
    except Exception as exc:  # a benchmark on a machine without GL still reports the flat-page path
        return f"none ({exc})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--backend", default="local", choices=("local", "ray"))
    parser.add_argument("--device-note", default="", help="what machine this is, printed with the figures")
    parser.add_argument("--full-mesh", action="store_true", help="draw every cell of the sheet (no simplification)")
    parser.add_argument("--floor", action="store_true",
                        help="also one worker with real and with trivial fragment shaders, alternating (the floor)")
    parser.add_argument("--preset", default="phone_photo",
                        help="another preset, as it is (default: phone_photo at 2200×1700 with every GT pass)")
    parser.add_argument("--input", nargs="+", default=None,
                        help="records to draw from, as generate's --input (default: the bundled records)")
    parser.add_argument("--measure", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--shader-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.frames, args.backend, args.full_mesh, args.shader_dir, args.preset,
                                 args.input)))
        return 0
    print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs; "
          f"GL: {gl_renderer()} {args.device_note}".rstrip())
    print(f"preset: {args.preset}{' at 2200x1700, every GT pass' if args.preset == 'phone_photo' else ''}; "
          f"inputs: {' '.join(args.input) if args.input else 'the bundled records'}")
    base = None
    for workers in args.workers:
        r = run_measure(workers, args)
        if isinstance(r, str):
            print(r)
            return 1
        fps = r["frames"] / r["seconds"]
        base = base or fps / workers
        per_core = workers / fps
        worker_rss = r["worker_rss_mib"] if workers > 1 else r["main_rss_mib"]
        print(f"workers={workers}{' (pinned to as many cores)' if r['pinned'] else ''}: {fps:.2f} frames/s, "
              f"{per_core:.3f} s/frame/worker (target ≤ {TARGET_S_PER_FRAME_PER_CORE}), "
              f"{r['cpu_seconds'] / r['frames']:.3f} CPU s/frame, scaling {fps / base / workers:.0%} of linear, "
              f"peak RSS main {r['main_rss_mib']:.0f} MiB, per worker {worker_rss:.0f} MiB")
    if args.floor:
        return print_floor(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
