"""Plan an ECG page: where every lead segment, calibration pulse, label and tick goes, in page millimetres.

The plan is pure geometry: a sample ``n`` of a lead placed at ``(x0, baseline)`` lands at
``x = x0 + (n - start) / fs * speed`` and ``y = baseline - value * gain`` (mm, y down). Everything downstream
(rasteriser, ground truth, the 3D sheet) reads positions from here, so there is one formula for where ink goes.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .paper import GRID_SCHEME_NAMES, paper_size_mm
from .params import choices, rng
from .records import Beats, Record
from .text import TextItem, text_item

STANDARD_3X4 = (("I", "II", "III"), ("aVR", "aVL", "aVF"), ("V1", "V2", "V3"), ("V4", "V5", "V6"))
STANDARD_6X2 = (("I", "II", "III", "aVR", "aVL", "aVF"), ("V1", "V2", "V3", "V4", "V5", "V6"))
STANDARD_12 = tuple(lead for col in STANDARD_3X4 for lead in col)
DEFAULT_RHYTHM = ("II", "V1", "V5")
LAYOUTS = ("3x4", "6x2", "12x1", "auto")
PAPER_SPEEDS_MM_S = (12.5, 25.0, 50.0)   # the standard paper speeds, slowest first

MARGIN_MM = 6.0           # paper edge to grid
TOP_MM = 10.0             # paper top to grid when there is no header
HEADER_MM = 30.0          # space for the printed header
FOOTER_MM = 10.0          # grid bottom to paper bottom (holds the footer line)
PULSE_S = 0.2             # calibration pulse width
PULSE_LEAD_MM = 1.5       # flat lead-in and lead-out either side of the pulse
TRACE_FROM_EDGE_MM = 5.0  # where a trace with no pulse before it starts, from the grid's left edge
MARK_WIDTH_MM = 0.28      # calibration pulses and separator ticks are drawn this thick
TICK_MM = 3.0             # a separator tick reaches this far above and below the baseline
BAR_MM = (2.0, 7.0)       # a separator bar: from this far to that far from the baseline, above it and below it
BAR_WIDTH_MM = 0.6        # ... drawn this thick
DOT_PITCH_MM = 1.0        # a dotted separator: a dot of DOT_MM every DOT_PITCH_MM, through the rows of columns
DOT_MM = 0.1               # (a round dot with the stroke's caps: 0.38 mm)
LABEL_CAP_MM = 3.0        # lead label cap height
REDACTABLE = ("name", "ID", "birth date and sex", "exam date")  # the header's first lines, in order
REDACTION_PAD_MM = 0.8  # a redaction bar overlaps its text by this much at least
AUTO_MIN_ROW_MM = 20.0  # the auto layout adds columns rather than squeeze rows below this
STANDARD_STRIP_MM = 250.0  # ECG printers show 10 s at 25 mm/s per row


class PageWarning(UserWarning):
    """Something the page shows differently from what was asked (missing lead, short record)."""


@dataclass(frozen=True)
class PageSpec:
    """Everything that decides a flat ECG page. Validated by :func:`simulator.params.validate`."""

    paper: str = field(default="letter", metadata=choices("letter", "a4"))
    orientation: str = field(default="landscape", metadata=choices("landscape", "portrait"))
    dpi: int = field(default=200, metadata=rng(100, 600))
    layout: str = field(default="3x4", metadata=choices(*LAYOUTS))
    rhythm_leads: tuple[str, ...] = ("II",)
    speed_mm_s: float = field(default=25.0, metadata=choices(*PAPER_SPEEDS_MM_S))
    gain_mm_mv: float = field(default=10.0, metadata=choices(5.0, 10.0, 20.0))
    lead_gain_mm_mv: dict[str, float] = field(default_factory=dict)
    start_s: float = field(default=0.0, metadata=rng(0.0))
    duration_s: float | None = field(default=None, metadata=rng(0.0, lo_open=True))
    grid: str = field(default="red", metadata=choices(*GRID_SCHEME_NAMES))
    minor_grid: str = field(default="lines", metadata=choices("lines", "dots"))
    grid_line_mm: tuple[float, float] = field(default=(0.10, 0.22), metadata=rng(0.02, 1.0))  # minor, major width
    grid_density: float = field(default=1.0, metadata=rng(0.2, 4.0))  # grid ink's optical density, x the scheme's
    pulse: str = field(default="start", metadata=choices("start", "end", "none"))  # each row's calibration pulse
    pulse_gap_mm: float = field(default=1.5, metadata=rng(0.0, 5.0))  # an end pulse this far after the trace
    separators: str = field(default="ticks", metadata=choices("ticks", "bars", "dotted", "none"))  # between columns
    trace_width_mm: float = field(default=0.28, metadata=rng(0.05, 1.5))
    trace_rgb: tuple[int, int, int] = field(default=(25, 25, 30), metadata=rng(0, 255))
    paper_rgb: tuple[int, int, int] = field(default=(255, 255, 255), metadata=rng(0, 255))
    header: bool = False
    redacted_lines: int = field(default=0, metadata=rng(0, len(REDACTABLE)))  # header lines under a bar (if any)
    seed: int = field(default=0, metadata=rng(0))

    def check(self, name: str = "") -> None:
        prefix = f"{name}." if name else ""
        if len(self.rhythm_leads) > 3:
            raise InputError(f"{prefix}rhythm_leads: at most 3 rhythm strips, got {len(self.rhythm_leads)}")
        if self.rhythm_leads and self.layout not in ("3x4", "6x2"):
            raise InputError(f"{prefix}rhythm_leads: rhythm strips go with the 3x4 and 6x2 layouts, not {self.layout}")
        for lead, gain in self.lead_gain_mm_mv.items():
            if gain not in (5.0, 10.0, 20.0):
                raise InputError(f"{prefix}lead_gain_mm_mv.{lead}: {gain} is not one of 5, 10, 20 mm/mV")

    def gain_for(self, lead: str) -> float:
        """Gain in mm/mV of a lead (per-lead override matched case-insensitively)."""
        for name, gain in self.lead_gain_mm_mv.items():
            if name.lower() == lead.lower():
                return float(gain)
        return float(self.gain_mm_mv)


def parse_layout(text: str) -> tuple[str, int | None]:
    """``"3x4+1"`` → ("3x4", 1); ``"6x2"`` → ("6x2", None). Unknown layouts are an InputError."""
    base, _, plus = text.strip().lower().partition("+")
    if base not in LAYOUTS or (plus and not plus.isdigit()):
        raise InputError(f"--layout: unknown layout {text!r} (use 3x4, 3x4+N, 6x2, 6x2+N, 12x1 or auto)")
    if plus and int(plus) > 3:
        raise InputError(f"--layout: {text!r} asks for {plus} rhythm strips; at most 3")
    return base, int(plus) if plus else None


@dataclass(frozen=True)
class LeadTrace:
    """One lead segment on the page: which samples of the window, and where sample ``start_sample`` sits."""

    lead_name: str
    record_lead: int          # column of the record's signals
    row: int
    col: int
    start_sample: int         # window-relative, inclusive
    end_sample: int           # window-relative, exclusive
    x0_mm: float
    baseline_mm: float
    gain_mm_mv: float
    is_rhythm: bool


@dataclass(frozen=True)
class PageLayout:
    """The planned page: geometry in mm plus the plotted window of the signal (mV, NaN = no ink)."""

    spec: PageSpec
    record_name: str
    fs: float
    signals: np.ndarray                      # (n_window, n_record_leads), quantised to the truth's resolution
    record_lead_names: tuple[str, ...]
    width_mm: float
    height_mm: float
    grid_box_mm: tuple[float, float, float, float]   # x0, y0, x1, y1 of the printed grid
    traces: tuple[LeadTrace, ...]
    pulses: tuple[np.ndarray, ...]           # calibration pulse polylines (K, 2) in mm
    ticks: tuple[np.ndarray, ...]            # column separator polylines (ticks, bars, or the dots of dotted lines)
    labels: tuple[TextItem, ...]             # one lead label per trace, in trace order
    texts: tuple[TextItem, ...]              # header and footer lines
    n_columns: int
    missing_leads: tuple[str, ...]
    redactions: tuple[tuple[float, float, float, float], ...] = ()  # black bars (x0, y0, x1, y1 mm) over the header
    beats: Beats | None = None               # the record's beat annotations within the window, where it has them
    tick_width_mm: float = MARK_WIDTH_MM     # the separators' stroke width

    def sample_xy_mm(self, trace: LeadTrace) -> np.ndarray:
        """(end - start, 2) page positions in mm of a trace's samples; NaN where the signal is NaN."""
        n = np.arange(trace.start_sample, trace.end_sample)
        v = self.signals[n, trace.record_lead]
        x = trace.x0_mm + (n - trace.start_sample) / self.fs * self.spec.speed_mm_s
        y = trace.baseline_mm - v * trace.gain_mm_mv
        x = np.where(np.isnan(v), np.nan, x)
        return np.stack([x, y], axis=1)


TRUTH_RESOLUTION_MV = 1e-3  # the truth record stores µV integers; the page plots exactly those values


def _grid_geometry(spec: PageSpec, width: float, height: float) -> tuple[float, float, float, float]:
    """The grid box: whole millimetres from its origin, so traces and baselines can sit on grid lines."""
    top = TOP_MM + (HEADER_MM if spec.header else 0.0)
    x1 = MARGIN_MM + math.floor(width - 2 * MARGIN_MM)
    y1 = top + math.floor(height - top - FOOTER_MM)
    return MARGIN_MM, top, float(x1), float(y1)


def _columns(spec: PageSpec, record: Record) -> tuple[list[list[str]], list[str]]:
    """Lead names per column and the rhythm strips, for the chosen layout."""
    if spec.layout == "3x4":
        return [list(c) for c in STANDARD_3X4], list(spec.rhythm_leads)
    if spec.layout == "6x2":
        return [list(c) for c in STANDARD_6X2], list(spec.rhythm_leads)
    if spec.layout == "12x1":
        return [list(STANDARD_12)], []
    return [list(record.lead_names)], []  # auto: split into columns later if rows get too thin


def _check_lead_names(record: Record, spec: PageSpec) -> None:
    """Lead names the user typed must be standard leads or leads of the record (case-insensitive)."""
    known = {n.lower() for n in STANDARD_12} | {n.lower() for n in record.lead_names}
    for option, names in (("page.rhythm_leads (--rhythm-leads)", spec.rhythm_leads),
                          ("page.lead_gain_mm_mv (--lead-gain)", tuple(spec.lead_gain_mm_mv))):
        for name in names:
            if name.lower() not in known:
                raise InputError(f"{option}: unknown lead name {name!r} "
                                 f"(not a standard lead nor a lead of record {record.name})")


def plan_page(record: Record, spec: PageSpec) -> PageLayout:
    """Lay a record out on a page. Missing leads and a short record warn (PageWarning); bad specs raise InputError."""
    _check_lead_names(record, spec)
    width, height = paper_size_mm(spec.paper, spec.orientation)
    gx0, gy0, gx1, gy1 = _grid_geometry(spec, width, height)
    columns, rhythm = _columns(spec, record)
    if spec.layout == "auto":
        max_rows = max(1, int((gy1 - gy0) // AUTO_MIN_ROW_MM))
        leads = columns[0]
        n_cols = math.ceil(len(leads) / max_rows)
        per_col = math.ceil(len(leads) / n_cols)
        columns = [leads[i:i + per_col] for i in range(0, len(leads), per_col)]
    n_cols = len(columns)
    n_rows = max(len(c) for c in columns) + len(rhythm)

    pulse_w = PULSE_S * spec.speed_mm_s + 2 * PULSE_LEAD_MM
    x_pulse = gx0 + 2.0
    if spec.pulse == "start":
        x_start = gx0 + 5.0 * math.ceil((x_pulse + pulse_w + 1.0 - gx0) / 5.0)
        plot_w = gx1 - x_start
    else:  # the trace starts near the grid's edge; a pulse after it needs room at the right
        x_start = gx0 + TRACE_FROM_EDGE_MM
        plot_w = gx1 - x_start - (spec.pulse_gap_mm + pulse_w + 1.0 if spec.pulse == "end" else 0.0)
    if spec.duration_s is None:
        strip_mm = min(plot_w, STANDARD_STRIP_MM)  # a standard 250 mm strip: 10 s at 25 mm/s, even on wider paper
        col_s = math.floor(strip_mm / spec.speed_mm_s / n_cols / 0.25) * 0.25
        if col_s <= 0:
            raise InputError(f"--speed: {spec.speed_mm_s} mm/s leaves no room for {n_cols} columns on this paper")
        total_s = col_s * n_cols
    else:
        total_s = float(spec.duration_s)
        col_s = total_s / n_cols
        if total_s * spec.speed_mm_s > plot_w + 1e-6:
            raise InputError(f"--duration: {total_s:g} s at {spec.speed_mm_s:g} mm/s needs "
                             f"{total_s * spec.speed_mm_s:.0f} mm but the page has {plot_w:.0f} mm")
    fs = record.fs
    if round(col_s * fs) < 2:  # a trace needs two samples; none at all broke the truth record after the image
        raise InputError(f"--duration: {total_s:g} s over {n_cols} column(s) leaves each {col_s * fs:.2g} samples of "
                         f"record {record.name} at {fs:g} Hz; a trace needs at least 2")
    n_window = int(round(total_s * fs))
    signals = np.full((n_window, len(record.lead_names)), np.nan)
    have = min(n_window, record.n_samples)
    signals[:have] = np.round(record.signals[:have] / TRUTH_RESOLUTION_MV) * TRUTH_RESOLUTION_MV
    signals = np.clip(signals, -32.0, 32.0)
    if have < n_window:
        warnings.warn(f"record {record.name} has {have / fs:.2f} s from the start but the page shows {total_s:g} s: "
                      "the rest is left blank", PageWarning, stacklevel=2)

    row_h = (gy1 - gy0) / n_rows
    baselines = [gy0 + round((r + 0.6) * row_h) for r in range(n_rows)]
    traces: list[LeadTrace] = []
    missing: list[str] = []
    n_col_samples = int(round(col_s * fs))
    for c, leads in enumerate(columns):
        for r, lead in enumerate(leads):
            idx = record.lead_index(lead)
            if idx is None:
                missing.append(lead)
                continue
            start = c * n_col_samples
            end = n_window if c == n_cols - 1 else (c + 1) * n_col_samples
            traces.append(LeadTrace(lead_name=record.lead_names[idx] if spec.layout == "auto" else lead,
                                    record_lead=idx, row=r, col=c, start_sample=start, end_sample=end,
                                    x0_mm=x_start + c * col_s * spec.speed_mm_s, baseline_mm=baselines[r],
                                    gain_mm_mv=spec.gain_for(lead), is_rhythm=False))
    first_rhythm_row = n_rows - len(rhythm)
    for k, lead in enumerate(rhythm):
        idx = record.lead_index(lead)
        if idx is None:
            missing.append(f"{lead} (rhythm)")
            continue
        traces.append(LeadTrace(lead_name=lead, record_lead=idx, row=first_rhythm_row + k, col=0, start_sample=0,
                                end_sample=n_window, x0_mm=x_start, baseline_mm=baselines[first_rhythm_row + k],
                                gain_mm_mv=spec.gain_for(lead), is_rhythm=True))
    if missing:
        warnings.warn(f"record {record.name} lacks lead(s) {', '.join(missing)}: their cells are left empty",
                      PageWarning, stacklevel=2)
    if not traces:
        raise InputError(f"record {record.name}: none of its leads ({', '.join(record.lead_names)}) "
                         f"fit layout {spec.layout}")

    if spec.pulse == "end":
        x_pulse = x_start + total_s * spec.speed_mm_s + spec.pulse_gap_mm
    pulses = () if spec.pulse == "none" else tuple(_pulse(x_pulse, b, spec.gain_mm_mv, spec.speed_mm_s)
                                                   for b in baselines)
    ticks = _separators(spec.separators, [t for t in traces if t.col > 0], row_h)
    labels = tuple(text_item(t.lead_name, t.x0_mm + 1.5, t.baseline_mm - min(0.3 * row_h, 9.0), LABEL_CAP_MM,
                             "label", lead_name=t.lead_name) for t in traces)
    texts = []
    texts.append(text_item(_footer(spec), gx0, height - FOOTER_MM / 2 + 1.0, 2.5, "footer"))
    redactions: list[tuple[float, float, float, float]] = []
    if spec.header:
        from .header import header_lines  # synthetic header text only
        for i, line in enumerate(header_lines(spec.seed, fs)):
            texts.append(text_item(line, gx0 + (i % 2) * (width / 2), TOP_MM - 3.0 + (i // 2) * 6.5, 3.0, "header"))
        texts[1:], redactions = _redact(texts[1:], spec)
    return PageLayout(spec=spec, record_name=record.name, fs=fs, signals=signals,
                      record_lead_names=record.lead_names, width_mm=width, height_mm=height,
                      grid_box_mm=(gx0, gy0, gx1, gy1), traces=tuple(traces), pulses=pulses, ticks=ticks,
                      labels=labels, texts=tuple(texts), n_columns=n_cols, missing_leads=tuple(missing),
                      redactions=tuple(redactions),
                      beats=record.beats.window(0, n_window) if record.beats is not None else None,
                      tick_width_mm=BAR_WIDTH_MM if spec.separators == "bars" else MARK_WIDTH_MM)


def _separators(style: str, cells: list[LeadTrace], row_h: float) -> tuple[np.ndarray, ...]:
    """Polylines marking where each column after the first begins, as printers draw them (REALISM.md): ``ticks``
    across the baseline; ``bars``, thick, above and below it with a gap for the trace (Mortara); ``dotted``, a line of
    dots down each column boundary through the rows of columns (the real sample photos); ``none``."""
    if style == "ticks":
        return tuple(np.array([[t.x0_mm, t.baseline_mm - TICK_MM], [t.x0_mm, t.baseline_mm + TICK_MM]])
                     for t in cells)
    if style == "bars":
        near, far = BAR_MM
        return tuple(np.array([[t.x0_mm, t.baseline_mm + side * near], [t.x0_mm, t.baseline_mm + side * far]])
                     for t in cells for side in (-1, 1))
    if style == "dotted":
        dots = []
        for x in sorted({t.x0_mm for t in cells}):
            rows = [t.baseline_mm for t in cells if t.x0_mm == x]
            for y in np.arange(min(rows) - 0.6 * row_h, max(rows) + 0.4 * row_h, DOT_PITCH_MM):
                dots.append(np.array([[x, y], [x, y + DOT_MM]]))
        return tuple(dots)
    return ()


def _redact(header: list[TextItem], spec: PageSpec) -> tuple[list[TextItem], list[tuple[float, float, float, float]]]:
    """Cover the first ``spec.redacted_lines`` header lines (name, ID, …) with hand-placed black bars: a little
    wider than the text, ragged in length, as a marker or a redaction tool leaves them."""
    r = np.random.default_rng([spec.seed, 0x4EDAC])
    bars = []
    for i in range(spec.redacted_lines):
        x0, y0, x1, y1 = header[i].bbox_mm
        pad = REDACTION_PAD_MM
        bars.append((x0 - pad - r.uniform(0.0, 1.5), y0 - pad - r.uniform(0.0, 0.6),
                     x1 + pad + r.uniform(0.0, 12.0), y1 + pad + r.uniform(0.0, 0.6)))
        header[i] = dataclasses.replace(header[i], redacted=True)
    return header, bars


def _pulse(x: float, baseline: float, gain: float, speed: float) -> np.ndarray:
    """A 1 mV × 200 ms calibration pulse drawn as a polyline, starting at ``x`` on the row's baseline."""
    w = PULSE_S * speed
    top = baseline - gain
    a, b = x + PULSE_LEAD_MM, x + PULSE_LEAD_MM + w
    return np.array([[x, baseline], [a, baseline], [a, top], [b, top], [b, baseline], [b + PULSE_LEAD_MM, baseline]])


def _footer(spec: PageSpec) -> str:
    """Footer line with the recording facts the page was printed with."""
    gains = f"{spec.gain_mm_mv:g} mm/mV" + (" (per-lead gains)" if spec.lead_gain_mm_mv else "")
    return f"{spec.speed_mm_s:g} mm/s   {gains}   0.05-150 Hz   50 Hz notch"
