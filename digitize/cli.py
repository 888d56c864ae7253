"""``ecg-digitize`` / ``python -m digitize``: ``run`` digitizes images into WFDB records, ``train`` fits the U-Net.

Bad input prints one ``error: ...`` line to stderr and exits 2; in a batch, an image that cannot be read is
reported and skipped, and the run exits 1 at the end. Rerunning ``run`` skips the images already digitized from the
same bytes with the same options, model and digitizer (:mod:`digitize.resume`), so an interrupted batch finishes.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

from simulator.errors import InputError, run_command

if TYPE_CHECKING:
    from .dewarp import GivenMaps
    from .layouts import PageLayoutSpec
    from .pipeline import Calibration

MAX_FS_HZ = 20_000.0  # output records hold fs × duration samples a lead: 1e9 Hz asked numpy for 75 GB
MAX_DURATION_S = 600.0
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "weights" / "digitizer_unet.pt"
DEFAULT_MARKS_WEIGHTS = DEFAULT_WEIGHTS.with_name("digitizer_unet_marks.pt")


def _digitizer(args: argparse.Namespace) -> tuple[Callable, dict]:
    """The digitizing function the options ask for, and the settings that shape its output (for ``made_from``)."""
    settings = {"method": args.method, "layout": args.layout, "fs": args.fs, "duration": args.duration,
                "speed": args.speed, "gain": args.gain, "dewarp": args.dewarp, "from_sidecar": args.from_sidecar,
                **({"overlay": True} if args.overlay else {})}  # a rerun asking for overlays redoes the images
    if args.method == "naive":
        from .naive import digitize_naive
        return partial(digitize_naive, view=args.overlay), settings
    from simulator.manifest import sha256_file

    from .infer import UnetDigitizer

    weights = Path(args.weights) if args.weights else DEFAULT_WEIGHTS
    marks = None if args.marks_weights == "none" else Path(args.marks_weights or DEFAULT_MARKS_WEIGHTS)
    digitizer = UnetDigitizer.load(weights, tile=args.tile, marks_path=marks)
    settings = {**settings, "tile": args.tile, "weights_sha256": sha256_file(weights),
                "marks_weights_sha256": None if marks is None else sha256_file(marks)}
    return partial(digitizer.digitize, view=args.overlay), settings


def frame_sidecar(image: Path, option: str = "--dewarp exact") -> Path:
    """The JSON sidecar beside one of our frames' image (its page, and its scene when photographed), which
    ``option`` reads."""
    sidecar = image.with_suffix(".json")
    if not sidecar.is_file():
        raise InputError(f"{option}: {image.name} has no frame sidecar {sidecar.name} beside it")
    return sidecar


def sidecar_page(image: Path, fs: float) -> tuple[PageLayoutSpec, Calibration]:
    """``--from-sidecar``: the layout and calibration one of our frames was printed with (``fs``: the output's)."""
    import json

    from .layouts import frame_calibration, parse_layout
    from .pipeline import Calibration

    sidecar = frame_sidecar(image, "--from-sidecar")
    try:
        page = frame_calibration(json.loads(sidecar.read_text()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"--from-sidecar: {sidecar.name} is not a frame sidecar ({exc!r})") from None
    return parse_layout(str(page["layout"])), Calibration(fs=fs, duration_s=float(page["duration"]),
                                                          speed_mm_s=float(page["speed"]),
                                                          gain_mm_mv=float(page["gain"]))


def frame_geometry(image: Path, shape: tuple[int, ...]) -> GivenMaps:
    """``--dewarp exact``: the flattening of a rendered frame taken from its own sheet, camera and lens (its
    sidecar), for measuring what the grid-based flattening costs."""
    import json

    from eval.oracle import exact_flat_maps

    from .dewarp import GivenMaps

    sidecar = frame_sidecar(image)
    try:
        truth = json.loads(sidecar.read_text())
        size, scene = (truth["height"], truth["width"]), truth.get("scene")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"--dewarp exact: {sidecar.name} is not a frame sidecar ({exc})") from None
    if scene is None:
        raise InputError(f"--dewarp exact: {sidecar.name} has no scene (a flat page made without one?)")
    if tuple(shape[:2]) != tuple(size):
        raise InputError(f"--dewarp exact: {image.name} is {shape[1]}x{shape[0]} px but its frame was rendered at "
                         f"{size[1]}x{size[0]} (resized or cropped?)")
    return GivenMaps(*exact_flat_maps(truth))


def cmd_run(args: argparse.Namespace) -> int:
    from simulator.manifest import sha256_file
    from simulator.output import prepare_output_dir

    from .image_io import OVERLAY_SUFFIX, expand_inputs, read_rgb, record_name
    from eval.consistency import consistency

    from .layouts import parse_layout
    from .pipeline import Calibration
    from .resume import already_done, made_from
    from .wfdb_out import not_ours, signal_matrix, write_detections, write_overlay, write_record

    layout = parse_layout(args.layout)
    for key, most in (("fs", MAX_FS_HZ), ("duration", MAX_DURATION_S), ("speed", None), ("gain", None)):
        value = getattr(args, key)
        if not (math.isfinite(value) and value > 0) or (most is not None and value > most):
            raise InputError(f"--{key}: {value:g} must be positive" + (f" and at most {most:g}" if most else ""))
    cal = Calibration(fs=args.fs, duration_s=args.duration, speed_mm_s=args.speed, gain_mm_mv=args.gain)
    images = expand_inputs(args.images)
    for path in images:  # digitizing a frames folder into itself would overwrite its ground truth
        foreign = not_ours(Path(args.output), record_name(path))
        if foreign:
            raise InputError(f"--output: {args.output} holds {foreign}, which digitize did not write (a frame's "
                             f"ground truth?); digitize into another folder")
    out = prepare_output_dir(args.output)
    digitize, settings = _digitizer(args)
    made, done, failed = 0, 0, 0
    bar = tqdm(images, unit="image", disable=len(images) < 2 or None, dynamic_ncols=True)
    for path in bar:
        name = record_name(path)
        try:
            exact = args.dewarp == "exact"
            reads_sidecar = exact or args.from_sidecar
            option = "--from-sidecar" if args.from_sidecar else "--dewarp exact"
            source = made_from(path, {**settings, **({"sidecar_sha256": sha256_file(frame_sidecar(path, option))}
                                                     if reads_sidecar else {})})
            if already_done(out, name, source):  # a rerun finishes an interrupted batch
                done += 1
                continue
            if args.from_sidecar:
                layout, cal = sidecar_page(path, args.fs)
            rgb = read_rgb(path)
            result = digitize(rgb, layout, cal, dewarp=frame_geometry(path, rgb.shape) if exact else args.dewarp)
        except (InputError, OSError) as exc:  # one unreadable image in a batch is skipped, as generate does
            if len(images) == 1:
                raise
            failed += 1
            bar.write(f"skipped {exc}", file=sys.stderr)
            continue
        agreement = consistency(result.signals, result.row_signals)
        matrix = signal_matrix(result.signals, result.n_samples, layout.leads)
        write_record(out, name, matrix, cal.fs, layout.leads)
        if args.overlay:
            write_overlay(out / f"{name}{OVERLAY_SUFFIX}.jpg", result)
        write_detections(out, name, {"image": str(path), **result.detections, "consistency": agreement.as_dict(),
                                     "made_from": source})
        made += 1
        d = result.detections
        bar.write(f"{name}: {d['px_per_mm']:.3f} px/mm, rotation {d['rotation_deg']:+.2f} deg, {len(d['rows'])} rows, "
                  f"self-consistency {agreement.snr_db:.1f} dB")
    bar.close()
    print(f"{made} images digitized into {out}" + (f"; {done} were already done with these settings" if done else ""))
    if failed:
        print(f"error: {failed} of {len(images)} images could not be digitized (listed above)", file=sys.stderr)
        return 1
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from simulator.params import validate

    from .train import TrainConfig, train

    cfg = TrainConfig(epochs=args.epochs, steps_per_epoch=args.steps, batch_size=args.batch, tile=args.tile,
                      lr=args.lr, seed=args.seed, width=args.width, threads=args.threads,
                      crops_per_frame=args.crops_per_frame, marks=args.marks)
    validate(cfg, "train")
    result = train([Path(d) for d in args.data], Path(args.out), cfg, resume=args.resume, stop_after=args.stop_after)
    done = f"wrote {args.out}" if result["finished"] else "stopped early (continue with --resume)"
    print(f"{done}: {result['frames']} frames, {result['crops']} crops, last epoch loss {result['loss']:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .train import TrainConfig

    parser = argparse.ArgumentParser(prog="ecg-digitize", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="digitize ECG images into WFDB records (one per image, named after it)")
    run.add_argument("images", nargs="+", help="image files or folders of images")
    run.add_argument("--output", "-o", required=True, help="output folder for NAME.hea/.dat and NAME.json")
    run.add_argument("--method", choices=("naive", "unet"), default="naive")
    run.add_argument("--weights", default=None, help=f"trace net weights (default {DEFAULT_WEIGHTS.name} in assets)")
    run.add_argument("--marks-weights", default=None,
                     help=f"marks net weights, where the calibration pulses and column separators are looked for "
                          f"(default {DEFAULT_MARKS_WEIGHTS.name} in assets; none: in the trace net's map)")
    run.add_argument("--layout", default="3x4+1",
                     help="3x4, 3x4+N, 6x2, 6x2+N or 12x1 (default 3x4+1), or the page's leads, each column's top "
                          "to bottom, columns separated by '/' (MLII,V5 for a 2-lead Holter page)")
    run.add_argument("--from-sidecar", action="store_true",
                     help="take each image's layout, speed, gain and duration from the JSON sidecar beside it (frames "
                          "simulator made; --layout, --speed, --gain and --duration are then not used)")
    run.add_argument("--fs", type=float, default=500.0, help="output sampling frequency, Hz")
    run.add_argument("--duration", type=float, default=10.0, help="seconds shown by a full-width row")
    run.add_argument("--speed", type=float, default=25.0, help="paper speed, mm/s")
    run.add_argument("--gain", type=float, default=10.0, help="gain, mm/mV")
    run.add_argument("--tile", type=int, default=512, help="U-Net inference tile size, px")
    run.add_argument("--dewarp", choices=("auto", "always", "never", "exact"), default="auto",
                     help="flatten a bent page (perspective, curl, folds) from its grid before reading rows: "
                          "auto (default) when the grid shows it bent, always, or never; exact: a rendered "
                          "frame's own geometry from the JSON sidecar beside it, to measure what flattening costs")
    run.add_argument("--overlay", action="store_true",
                     help="also write NAME_overlay.jpg: the image as read (flattened, deskewed) with the signals, "
                          "baselines and column boundaries found drawn on it")
    run.set_defaults(func=cmd_run)

    tr = sub.add_parser("train", help="train the U-Net on frames with NAME_mask_trace.png (and _mask_marks.png) "
                                      "ground truth")
    tr.add_argument("--data", nargs="+", required=True,
                    help="folders of frames (NAME.png + NAME_mask_trace.png + NAME_mask_marks.png)")
    tr.add_argument("--out", required=True, help="weights file; a checkpoint NAME.ckpt is kept beside it")
    d = TrainConfig()
    tr.add_argument("--epochs", type=int, default=d.epochs)
    tr.add_argument("--steps", type=int, default=d.steps_per_epoch, help="optimiser steps per epoch")
    tr.add_argument("--batch", type=int, default=d.batch_size)
    tr.add_argument("--tile", type=int, default=d.tile, help="training crop size, px (multiple of 8)")
    tr.add_argument("--crops-per-frame", type=int, default=d.crops_per_frame, help="crops cached per frame")
    tr.add_argument("--lr", type=float, default=d.lr, help="peak learning rate (one-cycle schedule)")
    tr.add_argument("--width", type=int, default=d.width, help="channels of the first U-Net level")
    tr.add_argument("--seed", type=int, default=d.seed)
    tr.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads")
    tr.add_argument("--marks", action="store_true",
                    help="train the marks net: the calibration pulses and column separators with the trace, the map "
                         "the pipeline times the page by (default: the trace net, the map it traces)")
    tr.add_argument("--stop-after", type=int, default=None, help="stop after this many epochs in this run")
    tr.add_argument("--resume", action="store_true", help="continue from the checkpoint beside --out")
    tr.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.func(args))
