"""``python -m simulator rerender``: frames again from their JSON sidecars, with more passes or changed parameters.

A sidecar's ``scene`` holds every parameter and its ``source`` the input and window, so a frame comes back byte for
byte (same machine, same versions: its ``made_by`` says which, and frames made by another are noted after the run).
``--gt-passes`` adds ground-truth layers its run did not ask for; ``--set`` changes parameters of those frames only
(a larger camera, no noise, another light). A simulated record is rebuilt by replaying its run's draws (``run.json``
of the run the frame belongs to). A frame of ``page`` or of a sweep names no source: give its record with
``--input``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from tqdm import tqdm

from .config import load_yaml
from .errors import InputError, brief
from .frame import write_frame
from .generate import parse_passes
from .manifest import RUN_FILE, scene_hash
from .output import prepare_output_dir
from .provenance import difference
from .records import Record, load_record, read_header, would_overwrite
from .scene import Scene
from .sweep import with_values
from .synthetic import is_synthetic
from .workers import draw_frame, render_scene, window_s

CARRIED = ("source", "sweep")  # sidecar fields that say where a frame came from: kept in the new sidecar


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("rerender", help="render frames again from their JSON sidecars (more passes, other values)",
                       description="Render frames again from their JSON sidecars: the same bytes, or with other "
                                   "ground-truth passes (--gt-passes) or scene values (--set).")
    p.add_argument("sidecars", nargs="+", metavar="FRAME.json", help="sidecars written by generate, page or a sweep")
    p.add_argument("--output", "-o", required=True, help="output folder (not a sidecar's own folder)")
    p.add_argument("--gt-passes", default=None, metavar="LIST",
                   help="comma-separated ground-truth passes (default: each frame's own)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="values",
                   help="a scene value by dotted key, the value in YAML (repeatable): --set camera.width_px=4400")
    p.add_argument("--input", default=None, metavar="RECORD",
                   help="the WFDB record to draw (default: the sidecar's source; needed for page and sweep frames)")
    p.add_argument("--image-format", choices=("same", "png", "jpg"), default="same",
                   help="image format (default: the frame's own)")
    p.add_argument("--jpeg-quality", type=int, default=None, help="JPEG quality 1-100 (default: the frame's own)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def parse_values(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items as {dotted key: YAML-parsed value} (InputError names a malformed one)."""
    values = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set: {item!r} is not KEY=VALUE")
        try:
            values[key.strip()] = load_yaml(text)
        except yaml.YAMLError:
            raise InputError(f"--set: the value of {key.strip()} ({text!r}) is not YAML") from None
    return values


def _no_constant(name: str) -> None:
    """Python's json reads NaN and Infinity, which JSON has not (our sidecars never hold them; writing one back
    would fail after rendering)."""
    raise ValueError(f"{name} is not a JSON value")


def _read_json(path: Path) -> Any:
    """A JSON file, strictly (InputError names the first problem)."""
    try:
        return json.loads(path.read_text(), parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not JSON ({exc})") from None


def read_sidecar(path: Path) -> dict:
    """A frame's sidecar (InputError if the file is not one)."""
    if not path.is_file():
        raise InputError(f"{path}: no such sidecar")
    sidecar = _read_json(path)
    if not isinstance(sidecar, dict) or not isinstance(sidecar.get("scene"), dict):
        raise InputError(f"{path}: no 'scene' in it, so not a frame sidecar of this tool")
    source = sidecar.get("source")
    if source is not None and not (isinstance(source, dict) and isinstance(source.get("input", ""), str)):
        raise InputError(f"{path}: its source is {brief(source)}, not the mapping with an input path that "
                         f"generate writes")
    return sidecar


def _run_of(path: Path) -> dict | None:
    """The ``run.json`` of the generate run a frame sidecar sits in (DIR/000/frame.json → DIR/run.json), if any."""
    run_file = path.resolve().parent.parent / RUN_FILE
    if not run_file.is_file():
        return None
    run = _read_json(run_file)
    if not (isinstance(run, dict) and isinstance(run.get("config"), dict) and isinstance(run.get("inputs"), list)):
        raise InputError(f"{run_file}: not a generate run's record (no config and inputs in it)")
    return run


def _run_frame(path: Path, source: dict) -> tuple[int, int]:
    """(run seed, frame index) of a generate frame's source, checked: they seed the frame's draws."""
    values = source.get("run_seed"), source.get("frame")
    for key, value in zip(("run_seed", "frame"), values):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(f"{path}: source.{key} is {brief(value)}, not an integer ≥ 0 as generate writes it")
    return values


def _window(path: str, scene: Scene) -> Record:
    """The window of record ``path`` that ``scene``'s page shows, read as generate reads it."""
    header = read_header(path)
    duration = window_s(scene, tuple(header.sig_name), header.fs, header.record_name)
    return load_record(path, scene.page.start_s, duration, header)


def _record(path: Path, sidecar: dict, scene: Scene, record_path: str | None, run: dict | None) -> Record:
    """The record the frame shows: ``--input``, else its source (a simulated one replayed from its run)."""
    if record_path:
        return _window(record_path, scene)
    source = sidecar.get("source") or {}
    if is_synthetic(str(source.get("input"))):
        run_seed, index = _run_frame(path, source)
        _, record, drawn = draw_frame(run_seed, index, run["config"], tuple(run["inputs"]))
        if scene_hash(drawn.to_dict()) != scene_hash(sidecar["scene"]):
            raise InputError(f"{path}: its run's {RUN_FILE} draws another scene for frame {source['frame']} "
                             f"(another run, or another version of the simulator)")
        return record
    if source.get("input"):
        record = source["input"]
        if not Path(f"{record}.hea").is_file() and not Path(record).is_absolute():
            raise InputError(f"{path}: its record {record} was named relative to the folder generate ran in; "
                             f"rerender from there, or give the record with --input")
        return _window(record, scene)
    raise InputError(f"{path}: the sidecar names no source record (a page or sweep frame); give it with --input")


@dataclass(frozen=True)
class SidecarFrame:
    """What a sidecar says about its frame: the sidecar itself, its scene (with any values set), the record window
    it shows, and the run it came from (a generate frame's ``run.json``, else None)."""

    sidecar: dict
    scene: Scene
    record: Record
    run: dict | None


def _scene_and_run(path: Path, values: dict[str, Any] | None) -> tuple[dict, Scene, dict | None]:
    """A sidecar, its scene with any values set, and its generate run (None for others), all checked; cheap
    beside reading its record, so ``run`` checks every sidecar before it writes anything."""
    sidecar = read_sidecar(path)
    scene = Scene.from_dict(sidecar["scene"])
    if values:
        scene = with_values(scene, values)
    source = sidecar.get("source") or {}
    run = None
    if "run_seed" in source:  # a generate frame
        _run_frame(path, source)
        run = _run_of(path)
    if is_synthetic(str(source.get("input"))) and run is None:
        raise InputError(f"{path}: its simulated record is rebuilt from its run's draws, but the run's "
                         f"{RUN_FILE} is not two folders up")
    return sidecar, scene, run


def load_sidecar(path: Path, values: dict[str, Any] | None = None, record_path: str | None = None) -> SidecarFrame:
    """Everything needed to render the frame of sidecar ``path`` again (InputError names what is missing)."""
    sidecar, scene, run = _scene_and_run(path, values)
    return SidecarFrame(sidecar, scene, _record(path, sidecar, scene, record_path, run), run)


def rerender_one(path: Path, out: Path, passes: tuple[str, ...] | None, values: dict[str, Any],
                 record_path: str | None, image_format: str, jpeg_quality: int | None) -> list[str]:
    """Render the frame of sidecar ``path`` again into ``out``; returns the file names written."""
    loaded = load_sidecar(path, values, record_path)
    sidecar, scene, record, run = loaded.sidecar, loaded.scene, loaded.record, loaded.run
    frame = render_scene(scene, record, sidecar.get("passes", {}).keys() if passes is None else passes)
    carried = {k: sidecar[k] for k in CARRIED if k in sidecar}
    frame = replace(frame, truth={**frame.truth, **carried, "rerender": {"sidecar": str(path), "set": values}})
    if image_format == "same":
        image_format = Path(sidecar.get("image", "")).suffix.lstrip(".") or ("jpg" if scene.is_3d else "png")
    if jpeg_quality is None and run is not None:
        jpeg_quality = run.get("jpeg_quality")
    return write_frame(out, path.stem, frame, image_format, jpeg_quality)


def run(args: argparse.Namespace) -> int:
    passes = parse_passes(args.gt_passes) if args.gt_passes is not None else None
    values = parse_values(args.values)
    if args.jpeg_quality is not None and not 1 <= args.jpeg_quality <= 100:
        raise InputError(f"--jpeg-quality: {args.jpeg_quality} is not in 1-100")
    paths = [Path(p) for p in args.sidecars]
    out = Path(args.output).resolve()
    for path in paths:  # checked before anything is written
        if path.resolve().parent == out:
            raise InputError(f"--output: {out} holds {path.name}; its frame would be overwritten, use another folder")
    stems = [p.stem for p in paths]
    if len(set(stems)) < len(stems):
        raise InputError(f"two sidecars named {next(s for s in stems if stems.count(s) > 1)}.json would write the "
                         f"same files; rerender them into separate folders")
    for path in paths:
        sidecar, _, _ = _scene_and_run(path, values)
        record = args.input or (sidecar.get("source") or {}).get("input")
        if record and not is_synthetic(str(record)) and would_overwrite(out, path.stem, record):
            raise InputError(f"--output: {path.stem}'s truth record would overwrite its input record {record}; "
                             f"use another folder")
    out = prepare_output_dir(out)
    for path in tqdm(paths, unit="frame", disable=args.no_progress or len(paths) < 2 or None):
        rerender_one(path, out, passes, values, args.input, args.image_format, args.jpeg_quality)
    print(f"{len(paths)} frame{'s' if len(paths) > 1 else ''} rendered again into {out}")
    other = [(p, d) for p in paths if (d := difference(read_sidecar(p).get("made_by")))]
    if other:
        print(f"note: {len(other)} of them ({other[0][0].name} first) were made with {other[0][1]}, so they may "
              f"differ from their originals beyond the values set")
    return 0
