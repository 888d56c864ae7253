"""``python -m simulator page``: one WFDB record → one flat ECG page with all its ground truth."""

from __future__ import annotations

import argparse

from .errors import InputError
from .layout import DEFAULT_RHYTHM, PageSpec, parse_layout
from .frame import render_frame, write_frame
from .output import prepare_output_dir
from .params import from_dict
from .records import load_record, read_header, record_base, would_overwrite
from .scene import Scene
from .truth import RECORD_NAME

MAX_PAGE_S = 60.0  # no layout shows more than this, so never read more of a long record


def add_page_options(p: argparse.ArgumentParser) -> None:
    """Page options shared by ``page`` and the other commands that print a page."""
    g = p.add_argument_group("page")
    g.add_argument("--layout", default="3x4+1", help="3x4, 3x4+N (N rhythm strips, 0-3), 6x2, 6x2+N, 12x1 or auto")
    g.add_argument("--rhythm-leads", default=None, help="comma-separated rhythm strip leads (default II, V1, V5)")
    g.add_argument("--paper", default="letter", help="letter or a4")
    g.add_argument("--orientation", default="landscape", help="landscape or portrait")
    g.add_argument("--dpi", type=int, default=200, help="page resolution, 100-600")
    g.add_argument("--speed", type=float, default=25.0, help="paper speed in mm/s: 12.5, 25 or 50")
    g.add_argument("--gain", type=float, default=10.0, help="gain in mm/mV: 5, 10 or 20")
    g.add_argument("--lead-gain", action="append", default=[], metavar="LEAD=GAIN",
                   help="per-lead gain override, repeatable (e.g. --lead-gain V1=5)")
    g.add_argument("--start", type=float, default=0.0, help="start of the window in the record, seconds")
    g.add_argument("--duration", type=float, default=None, help="window length in seconds (default: fill the page)")
    g.add_argument("--grid", default="red", help="red, pink, salmon, green, blue, grey, bw or none")
    g.add_argument("--minor-grid", default="lines", help="lines or dots")
    g.add_argument("--grid-line-width", type=float, nargs=2, default=(0.10, 0.22), metavar=("MINOR", "MAJOR"),
                   help="width in mm of the minor and major grid lines")
    g.add_argument("--grid-density", type=float, default=1.0,
                   help="how heavily the grid is printed: its ink's optical density as a multiple of the scheme's")
    g.add_argument("--pulse", default="start", help="calibration pulse at each row's start, end, or none")
    g.add_argument("--pulse-gap", type=float, default=1.5,
                   help="mm between the trace's end and a pulse printed after it (0: touching it)")
    g.add_argument("--separators", default="ticks",
                   help="column separators: ticks (across the baseline), bars (thick, above and below it), dotted "
                        "(lines of dots down the column boundaries) or none")
    g.add_argument("--trace-width", type=float, default=0.28, help="trace width in mm")
    g.add_argument("--header", action="store_true", help="print a synthetic patient/ward/device header")
    g.add_argument("--redact", type=int, default=0, metavar="N",
                   help="cover the header's first N lines (name, ID, birth date, exam date) with black bars, 0-4")
    g.add_argument("--seed", type=int, default=0, help="seed of the synthetic header text")


def page_spec_from_args(args: argparse.Namespace) -> PageSpec:
    """A validated PageSpec from command-line options (InputError names the bad option)."""
    layout, n_rhythm = parse_layout(args.layout)
    if args.rhythm_leads is not None:
        rhythm = tuple(x.strip() for x in args.rhythm_leads.split(",") if x.strip())
    else:
        rhythm = DEFAULT_RHYTHM[:n_rhythm] if n_rhythm is not None else ()
    gains = {}
    for item in args.lead_gain:
        lead, sep, value = item.partition("=")
        try:
            gains[lead.strip()] = float(value)
        except ValueError:
            raise InputError(f"--lead-gain: {item!r} is not LEAD=GAIN") from None
        if not sep:
            raise InputError(f"--lead-gain: {item!r} is not LEAD=GAIN")
    return from_dict(PageSpec, {
        "paper": args.paper.lower(), "orientation": args.orientation.lower(), "dpi": args.dpi, "layout": layout,
        "rhythm_leads": list(rhythm), "speed_mm_s": args.speed, "gain_mm_mv": args.gain, "lead_gain_mm_mv": gains,
        "start_s": args.start, "duration_s": args.duration, "grid": args.grid.lower(),
        "minor_grid": args.minor_grid.lower(), "grid_line_mm": list(args.grid_line_width),
        "grid_density": args.grid_density, "pulse": args.pulse.lower(), "pulse_gap_mm": args.pulse_gap,
        "separators": args.separators.lower(),
        "trace_width_mm": args.trace_width, "header": args.header,
        "redacted_lines": args.redact,
        "seed": args.seed})


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("page", help="render one record as a flat ECG page with ground truth",
                       description="Render a WFDB record as a flat, geometrically exact ECG page. Writes NAME.png, "
                                   "NAME.json, NAME_mask_*.png and the plotted signal as NAME.hea/.dat (its beats as "
                                   "NAME.atr, where the record has them).")
    p.add_argument("record", help="WFDB record (path with or without .hea)")
    p.add_argument("--output", "-o", required=True, help="output folder")
    p.add_argument("--name", default=None, help="output file stem (default: the record name)")
    add_page_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    spec = page_spec_from_args(args)
    if args.name is not None and not RECORD_NAME.fullmatch(args.name):
        raise InputError(f"--name: {args.name!r} is not a WFDB record name (letters, digits, - and _ only)")
    header = read_header(args.record)
    name = args.name or record_base(args.record).name  # the file's name, as before (a header may name itself otherwise)
    if would_overwrite(args.output, name, args.record):
        raise InputError(f"--output: the page's truth record {name}.hea/.dat would overwrite the input record in "
                         f"{args.output}; write to another folder or give another --name")
    out = prepare_output_dir(args.output)
    record = load_record(args.record, spec.start_s, spec.duration_s if spec.duration_s else MAX_PAGE_S, header)
    frame = render_frame(Scene(page=spec, seed=spec.seed), record)
    write_frame(out, name, frame)
    print(f"wrote {out / name}.png ({len(frame.layout.traces)} traces)")
    return 0
