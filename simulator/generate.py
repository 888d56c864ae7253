"""``python -m simulator generate``: a reproducible, resumable training set of N frames drawn from a config.

Frame ``i`` depends only on (seed, i), so any worker count or backend writes the same bytes, and rerunning the same
command after a crash finishes the set: ``manifest.jsonl`` lists the finished frames, everything else is redone
(atomic writes mean no file is ever partial). See docs/generate.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from tqdm import tqdm

from .config import load_config, merge, preset_names, validate_config
from .errors import InputError
from .frame import PHOTO_PASSES
from .manifest import ManifestWriter, check_run, done_frames, read_manifest, sweep_partial
from .output import prepare_output_dir, sole_writer
from .records import find_records
from .synthetic import is_synthetic, parse_kinds
from .workers import Job, Todo, run_local, run_ray

BUNDLED_RECORDS = Path(__file__).resolve().parent.parent / "assets" / "records"
OUTPUT_FULL = ("ENOSPC", "EDQUOT", "EROFS")  # a frame's write failed for a reason no later frame escapes
DEFAULT_PRESET = "clean"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("generate", help="render a reproducible, resumable dataset of N frames",
                       description="Render N frames whose scenes are drawn from a preset or config file. Frame i "
                                   "depends only on (seed, i); rerun the same command to finish an interrupted run.")
    p.add_argument("--output", "-o", required=True, help="output folder (frames, manifest.jsonl, run.json)")
    p.add_argument("--count", "-n", type=int, required=True, help="number of frames")
    p.add_argument("--seed", type=int, default=0, help="seed of the whole set (default 0)")
    p.add_argument("--input", nargs="+", default=None, metavar="RECORDS",
                   help="WFDB records, folders (searched recursively), list files, or 'synthetic' for simulated "
                        "12-lead records ('synthetic:af=2,sinus=1' for a mix of kinds; default: the bundled records)")
    p.add_argument("--preset", default=None, help=f"named config: {', '.join(preset_names())} (default clean)")
    p.add_argument("--config", default=None, help="YAML or TOML config; with --preset, it overrides the preset")
    p.add_argument("--workers", "-j", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="local process pool, or Ray (cluster at RAY_ADDRESS, else local; pip install .[ray])")
    p.add_argument("--gt-passes", default="", metavar="LIST",
                   help="comma-separated extra ground-truth passes of the 3D renderer (e.g. uv,depth,normal)")
    p.add_argument("--image-format", choices=("auto", "png", "jpg"), default="auto",
                   help="image format; auto (default): JPEG for photographed frames, PNG for flat pages")
    p.add_argument("--jpeg-quality", type=int, default=None,
                   help="JPEG quality 1-100 (default: the scene's own, drawn by the preset)")
    p.add_argument("--allow-other-version", action="store_true",
                   help="finish a set that another version of the simulator or its libraries began (run.json lists "
                        "both; each manifest line names its frame's code)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (the summary is still printed)")
    p.set_defaults(func=run)


def resolve_config(preset: str | None, config_file: str | None) -> dict:
    """The validated config: a preset, a file, or a file over a preset."""
    config = load_config(preset or DEFAULT_PRESET, "--preset") if preset or not config_file else {}
    if config_file:
        config = merge(config, load_config(config_file))
    validate_config(config)
    return config


def _in_frame_folder(record: Path, output: Path) -> bool:
    """Whether ``record`` lies in one of the numbered folders where generate writes frames in ``output``."""
    try:
        parts = record.resolve().relative_to(output.resolve()).parts
    except ValueError:
        return False
    return len(parts) > 1 and parts[0].isdigit()


def resolve_sources(inputs: list[str] | None, output: Path | None = None) -> list[str]:
    """Record base paths (and ``synthetic``) from the --input items; a path that does not exist is an error.

    The frames' own truth records (in ``output``'s numbered folders, when the output folder sits in an input folder)
    are left out: they would feed the set its own frames, and change the inputs between a run and its resumption."""
    if not inputs:
        if not BUNDLED_RECORDS.is_dir():
            raise InputError("--input: no bundled records in this installation; give records or 'synthetic'")
        inputs = [str(BUNDLED_RECORDS)]
    sources: list[str] = []
    for item in inputs:
        if is_synthetic(item):
            parse_kinds(item)  # a mistyped kind is refused now, not in every frame that draws it
            sources.append(item)
            continue
        path = Path(item)
        if not (path.exists() or path.with_suffix(".hea").exists()):
            raise InputError(f"--input: {item} not found")
        found = find_records([item])
        if output is not None:
            found = [p for p in found if not _in_frame_folder(p, output)]
        if not found:
            raise InputError(f"--input: no WFDB records (.hea) under {item}")
        missing = next((p for p in found if not (p.parent / f"{p.name}.hea").is_file()), None)
        if missing is not None:  # a list file's typo would fail every frame that drew it, hours into a run
            raise InputError(f"--input: {item} names record {missing}, which has no header {missing.name}.hea")
        sources += [str(p) for p in found]
    return sources


def check_options(args: argparse.Namespace) -> tuple[str, ...]:
    """Range checks of the numeric options; returns the GT pass names."""
    if args.count < 1:
        raise InputError(f"--count: {args.count} must be at least 1")
    if args.seed < 0:
        raise InputError(f"--seed: {args.seed} must be ≥ 0")
    if args.workers < 1:
        raise InputError(f"--workers: {args.workers} must be at least 1")
    if args.jpeg_quality is not None and not 1 <= args.jpeg_quality <= 100:
        raise InputError(f"--jpeg-quality: {args.jpeg_quality} is not in 1-100")
    return parse_passes(args.gt_passes)


def parse_passes(text: str) -> tuple[str, ...]:
    """The sorted pass names of a --gt-passes list (InputError names an unknown one)."""
    passes = tuple(sorted({p.strip() for p in text.split(",") if p.strip()}))
    unknown = sorted(set(passes) - PHOTO_PASSES)
    if unknown:
        raise InputError(f"--gt-passes: unknown pass {unknown[0]!r} (known: {', '.join(sorted(PHOTO_PASSES))})")
    return passes


def run(args: argparse.Namespace) -> int:
    passes = check_options(args)
    config = resolve_config(args.preset, args.config)
    sources = resolve_sources(args.input, Path(args.output))
    out = prepare_output_dir(args.output)
    job = Job(out_dir=str(out), seed=args.seed, count=args.count, config=config, sources=tuple(sources),
              gt_passes=passes, image_format=args.image_format, jpeg_quality=args.jpeg_quality)
    with sole_writer(out):
        return _generate(args, job, out)


def _generate(args: argparse.Namespace, job: Job, out: Path) -> int:
    """Record or check the run's settings, sweep a killed run's temporaries, make the frames still to make."""
    check_run(out, {"seed": job.seed, "count": job.count, "config": json.loads(json.dumps(job.config)),
                    "inputs": list(job.sources), "gt_passes": list(job.gt_passes), "image_format": job.image_format,
                    "jpeg_quality": job.jpeg_quality}, args.allow_other_version)
    sweep_partial(out)
    done = done_frames(read_manifest(out))
    todo = Todo(job.count, frozenset(done))
    runner = run_ray if args.backend == "ray" else run_local
    results: Counter = Counter()
    failures: list[dict] = []
    start = time.monotonic()
    bar = tqdm(total=job.count, initial=len(done), unit="frame", disable=args.no_progress or None,
               dynamic_ncols=True, smoothing=0.05)
    stopped = None  # why the run stopped before its last frame
    with ManifestWriter(out) as manifest:
        frames = runner(job, todo, args.workers)
        try:
            for entry in frames:
                manifest.append(entry)
                results[entry["status"]] += 1
                bar.update(1)
                if entry["status"] != "ok":
                    failures.append(entry)
                    bar.write(f"frame {entry['frame']} {entry['status']}: {entry['reason']}")
                if entry.get("errno") in OUTPUT_FULL:  # every later frame would fail the same way
                    stopped = f"cannot write to {out} ({entry['reason']}); free space, then"
                    break
        except BrokenProcessPool as exc:  # a worker was killed (out of memory?) or crashed in native code
            stopped = f"a worker process died ({exc});"
        finally:
            frames.close()  # stops the workers' queued frames
    bar.close()
    print(summary(results, failures, len(done), time.monotonic() - start, out))
    if stopped is not None:
        print(f"error: {stopped} rerun the same command to finish the set", file=sys.stderr)
    return 0 if not failures and stopped is None else 1


def summary(results: Counter, failures: list[dict], already: int, elapsed: float, out: Path) -> str:
    """The end-of-run report: frames made, time and rate, and the failures grouped by reason."""
    made = sum(results.values())
    lines = [f"{results['ok']} frames written to {out} in {elapsed:.1f} s "
             f"({made / elapsed if elapsed > 0 else 0.0:.2f} frames/s)"
             + (f"; {already} were already done" if already else "")]
    if failures:
        lines.append(f"{len(failures)} frames failed (listed in manifest.jsonl; 'error' ones are retried on rerun):")
        for reason, n in Counter(f["reason"] for f in failures).most_common(10):
            lines.append(f"  {n} × {reason}")
    return "\n".join(lines)
