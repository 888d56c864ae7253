"""Which lead sits where on a page: rows × columns of leads plus full-width rhythm strips.

Standard pages by name (``3x4+1``, ``6x2``, ``12x1``), and any other lead set as a list of columns, each listing
its leads top to bottom (``MLII,V5``: the page ``simulator`` prints with its ``auto`` layout for a 2-lead Holter
record; ``I,II,III/aVR,aVL,aVF``: two columns, each over half the time)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.errors import InputError
from simulator.layout import DEFAULT_RHYTHM, STANDARD_3X4, STANDARD_6X2, STANDARD_12

LEAD_NAMES = STANDARD_12
BASE_LAYOUTS = {"3x4": STANDARD_3X4, "6x2": STANDARD_6X2, "12x1": (STANDARD_12,)}
LEAD_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f,/]{1,64}")   # a WFDB signal name (no control characters) that
                                                         # is not cut by the list's separators
MAX_LEADS = 64
STANDARD_FORM = re.compile(r"\s*\d+\s*x\s*\d+\s*")  # what is meant as a standard layout's name (3x4, 3x5 …)
STANDARD_NAMES = "3x4, 3x4+N, 6x2, 6x2+N with N 0-3, 12x1"


@dataclass(frozen=True)
class RowPlan:
    """One printed row: the lead in each column ("" where that column has no lead in this row; a rhythm strip is a
    row with one lead over the whole width)."""

    leads: tuple[str, ...]

    @property
    def is_rhythm(self) -> bool:
        return len(self.leads) == 1


@dataclass(frozen=True)
class PageLayoutSpec:
    """A layout, e.g. ``3x4+1`` or ``MLII,V5``: its rows top to bottom, the number of columns, and the leads the
    digitized record holds, in its order (the 12 standard leads for a standard layout, else the page's leads
    column by column)."""

    name: str
    rows: tuple[RowPlan, ...]
    n_columns: int
    leads: tuple[str, ...] = LEAD_NAMES


def _lead_columns(text: str) -> PageLayoutSpec:
    """A layout given as its leads: columns separated by ``/``, each column's leads top to bottom, by commas."""
    columns = [[name.strip() for name in column.split(",")] for column in text.strip().split("/")]
    names = [name for column in columns for name in column]
    bad = next((name for name in names if not LEAD_NAME.fullmatch(name)), None)
    if bad is not None:
        raise InputError(f"--layout: {text!r} is neither {STANDARD_NAMES} nor the page's leads ({bad!r} is not a "
                         "lead name: 1-64 characters, no control characters; leads separated by ',', columns by "
                         "'/', e.g. MLII,V5)")
    seen = [name.lower() for name in names]
    twice = next((name for k, name in enumerate(names) if seen.index(name.lower()) != k), None)
    if twice is not None:
        raise InputError(f"--layout: lead {twice!r} is listed twice in {text!r}")
    if len(names) > MAX_LEADS:
        raise InputError(f"--layout: {len(names)} leads in {text!r}; at most {MAX_LEADS}")
    n_rows = max(len(column) for column in columns)
    rows = [RowPlan(tuple(column[r] if r < len(column) else "" for column in columns)) for r in range(n_rows)]
    name = "/".join(",".join(column) for column in columns)
    return PageLayoutSpec(name=name, rows=tuple(rows), n_columns=len(columns), leads=tuple(names))


def parse_layout(text: str) -> PageLayoutSpec:
    """``3x4``, ``3x4+N`` (N rhythm strips II, V1, V5), ``6x2``, ``6x2+N``, ``12x1``, or the page's leads as
    columns (``MLII,V5``; ``II``; ``I,II,III/aVR,aVL,aVF``); InputError otherwise."""
    base, _, plus = text.strip().lower().partition("+")
    if not STANDARD_FORM.fullmatch(base):
        return _lead_columns(text)
    if base not in BASE_LAYOUTS or (plus and not (plus.isdigit() and int(plus) <= 3)) or (plus and base == "12x1"):
        raise InputError(f"--layout: unknown layout {text!r} (use {STANDARD_NAMES}, or the page's leads, columns "
                         "separated by '/', e.g. MLII,V5)")
    columns = BASE_LAYOUTS[base]
    n_rows = len(columns[0])
    rows = [RowPlan(tuple(col[r] for col in columns)) for r in range(n_rows)]
    rows += [RowPlan((lead,)) for lead in DEFAULT_RHYTHM[: int(plus or 0)]]
    if len(columns) == 1:  # 12x1: each row is a single lead over the whole width, not a rhythm strip
        rows = [RowPlan((lead,)) for lead in columns[0]]
    return PageLayoutSpec(name=text.strip().lower(), rows=tuple(rows), n_columns=len(columns))


def frame_layout(truth: dict) -> str:
    """The ``--layout`` that describes one of our frames, from its JSON sidecar: the standard layout it was printed
    with, or for an ``auto`` page its leads column by column (top to bottom)."""
    spec = truth["page_spec"]
    if spec["layout"] == "12x1":
        return "12x1"
    if spec["layout"] != "auto":
        return f"{spec['layout']}+{len(spec['rhythm_leads'])}"
    columns: dict[int, list[tuple[int, str]]] = {}
    for lead in truth["leads"]:
        if not LEAD_NAME.fullmatch(lead["lead_name"].strip()):
            raise InputError(f"lead {lead['lead_name']!r} cannot be named in a --layout (it holds ',' or '/')")
        columns.setdefault(int(lead["column"]), []).append((int(lead["row"]), lead["lead_name"]))
    return "/".join(",".join(name for _, name in sorted(columns[c])) for c in sorted(columns))


def frame_calibration(truth: dict) -> dict[str, str | float]:
    """How one of our frames was printed, from its JSON sidecar, as the ``run`` options that describe it: layout,
    speed, gain, duration and the record's sampling rate."""
    spec, leads = truth["page_spec"], truth["leads"]
    fs = float(truth["sampling_frequency"])
    duration = (max(lead["end_sample"] for lead in leads) - min(lead["start_sample"] for lead in leads)) / fs
    return {"layout": frame_layout(truth), "speed": float(spec["speed_mm_s"]), "gain": float(spec["gain_mm_mv"]),
            "duration": duration, "fs": fs}
