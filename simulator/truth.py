"""Ground truth of a flat page: the JSON sidecar (ECG-Image-Kit field names plus ours) and the plotted WFDB record.

The JSON's ``plotted_pixels`` are ``[y, x]`` page pixels (centres at +0.5, see :mod:`simulator.coords`), one per
sample from ``start_sample`` to ``end_sample - 1``; a NaN sample is ``[null, null]``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from wfdb.io.annotation import ann_label_table

from .atomic import write_bytes_atomic
from .coords import mm_to_px, yx_rows
from .layout import TRUTH_RESOLUTION_MV, LeadTrace, PageLayout
from .page import PageImage
from .params import to_dict
from .records import ANNOTATOR, Beats

SCHEMA_VERSION = "1.0"
WFDB_GAIN = 1.0 / TRUTH_RESOLUTION_MV  # ADC units per mV of the truth record
WFDB_NAN_16 = -32768                  # format 16's missing-sample value


def bbox_corners(x0: float, y0: float, x1: float, y1: float) -> dict[str, list[float]]:
    """ECG-Image-Kit's box: corners '0'..'3' as [y, x] = top-left, top-right, bottom-right, bottom-left."""
    r = lambda v: round(float(v), 2)  # noqa: E731 - tiny formatter
    return {"0": [r(y0), r(x0)], "1": [r(y0), r(x1)], "2": [r(y1), r(x1)], "3": [r(y1), r(x0)]}


def trace_pixels(layout: PageLayout, trace: LeadTrace) -> np.ndarray:
    """(N, 2) page pixel (x, y) of each sample of a trace; NaN where the sample is NaN."""
    return mm_to_px(layout.sample_xy_mm(trace), layout.spec.dpi)


def page_truth(layout: PageLayout, page: PageImage) -> dict:
    """The JSON sidecar of a flat page."""
    spec = layout.spec
    dpi = spec.dpi
    leads = []
    for trace, label in zip(layout.traces, layout.labels):
        xy = trace_pixels(layout, trace)
        ok = ~np.isnan(xy[:, 0])
        entry = {"lead_name": trace.lead_name, "start_sample": trace.start_sample, "end_sample": trace.end_sample,
                 "plotted_pixels": yx_rows(xy[:, 0], xy[:, 1])}
        if ok.any():
            lo, hi = xy[ok].min(axis=0), xy[ok].max(axis=0)
            entry["lead_bounding_box"] = bbox_corners(lo[0], lo[1], hi[0], hi[1])
        entry["text_bounding_box"] = bbox_corners(*(mm_to_px(np.array(label.bbox_mm), dpi)))
        entry.update({"record_lead": layout.record_lead_names[trace.record_lead], "row": trace.row, "column": trace.col,
                      "is_rhythm": trace.is_rhythm, "baseline_y": round(float(mm_to_px(trace.baseline_mm, dpi)), 3),
                      "x_start": round(float(mm_to_px(trace.x0_mm, dpi)), 3),
                      "px_per_mv": float(mm_to_px(trace.gain_mm_mv, dpi)), "mask_value": len(leads) + 1})
        leads.append(entry)
    h, w = page.rgb.shape[:2]
    return {
        "schema_version": SCHEMA_VERSION,
        "record_id": layout.record_name,
        "sampling_frequency": layout.fs,
        "width": w, "height": h, "resolution": dpi,
        "x_grid": float(mm_to_px(5.0, dpi)), "y_grid": float(mm_to_px(5.0, dpi)),
        "gridlines": spec.grid != "none", "dc_pulse": spec.pulse != "none",
        "number_of_columns_in_image": layout.n_columns,
        "full_mode_lead": ",".join(t.lead_name for t in layout.traces if t.is_rhythm) or "None",
        "leads": leads,
        "px_per_second": float(mm_to_px(spec.speed_mm_s, dpi)),
        "px_per_mv": float(mm_to_px(spec.gain_mm_mv, dpi)),
        "paper": {"size": spec.paper, "orientation": spec.orientation,
                  "width_mm": layout.width_mm, "height_mm": layout.height_mm},
        "dpi": dpi,
        "colour_scheme": spec.grid,
        "seed": spec.seed,
        "missing_leads": list(layout.missing_leads),
        "text_items": [{"text": t.text, "kind": t.kind, "redacted": t.redacted,
                        "bounding_box": bbox_corners(*(mm_to_px(np.array(t.bbox_mm), dpi)))}
                       for t in (*layout.labels, *layout.texts)],
        "redactions": [bbox_corners(*(mm_to_px(np.array(box), dpi))) for box in layout.redactions],
        "page_spec": to_dict(spec),
    }


def plotted_signals(layout: PageLayout) -> np.ndarray:
    """(n_window, n_record_leads) mV: exactly what the page shows, NaN where nothing of that lead is plotted."""
    out = np.full_like(layout.signals, np.nan)
    for trace in layout.traces:
        sl = slice(trace.start_sample, trace.end_sample)
        out[sl, trace.record_lead] = layout.signals[sl, trace.record_lead]
    return out


def write_truth_record(out_dir: Path, name: str, layout: PageLayout) -> list[str]:
    """Write ``name.hea/.dat`` (format 16, µV resolution) and, where the record has beat annotations, ``name.atr``
    (its beats in the window, so RR is scored against them rather than against detected beats), atomically, the
    header last; returns the file names.

    The bytes are exactly what ``wfdb.wrsamp`` and ``wfdb.wrann`` write for this record (tests compare them), made
    here with numpy because wfdb's field checks cost ~25 ms a page, more than rasterising the traces.
    """
    sig_names = list(layout.record_lead_names)
    _check_wfdb_names(name, sig_names)
    digital = _to_digital(plotted_signals(layout))
    files = [f"{name}.dat"]
    write_bytes_atomic(out_dir / files[0], digital.astype("<i2").tobytes())
    if layout.beats is not None and len(layout.beats.samples):
        files.append(f"{name}.{ANNOTATOR}")
        write_bytes_atomic(out_dir / files[-1], annotation_bytes(layout.beats))
    files.append(f"{name}.hea")
    write_bytes_atomic(out_dir / files[-1], _wfdb_header(name, layout.fs, sig_names, digital).encode())
    return files


def annotation_bytes(beats: Beats) -> bytes:
    """WFDB's MIT annotation format: per annotation a 16-bit word, code << 10 | samples since the previous one; a
    gap over 1023 samples is a SKIP word (code 59) and the gap as 32 bits, high half first; a zero word ends it."""
    words, previous = [], 0
    for sample, symbol in zip(beats.samples.tolist(), beats.symbols):
        gap = sample - previous
        if gap > 1023:
            words += [59 << 10, gap >> 16, gap & 0xFFFF]
            gap = 0
        words.append(_ANNOTATION_CODES[symbol] << 10 | gap)
        previous = sample
    words.append(0)
    return np.array(words, dtype="<u2").tobytes()


_ANNOTATION_CODES = dict(zip(ann_label_table["symbol"], ann_label_table["label_store"].astype(int)))


def _to_digital(sig: np.ndarray) -> np.ndarray:
    """wfdb's analogue-to-digital conversion of mV to int64 µV (gain 1000, baseline 0), NaN as format 16's -32768."""
    digital = np.round(sig * WFDB_GAIN)
    digital[np.isnan(sig)] = WFDB_NAN_16
    return digital.astype(np.int64)


def _wfdb_header(name: str, fs: float, sig_names: list[str], digital: np.ndarray) -> str:
    """The header wfdb writes: record line, then per signal its file, format, gain(baseline)/units, resolution,
    zero, first value, checksum, block size and name."""
    fs_text = str(int(fs)) if isinstance(fs, float) and round(fs, 8) == float(int(fs)) else str(fs)
    lines = [f"{name} {len(sig_names)} {fs_text} {digital.shape[0]}"]
    checksums = digital.sum(axis=0) % 65536
    lines += [f"{name}.dat 16 {WFDB_GAIN}(0)/mV 16 0 {int(first)} {int(check)} 0 {sig}"
              for first, check, sig in zip(digital[0], checksums, sig_names)]
    return "".join(f"{line}\n" for line in lines)


RECORD_NAME = re.compile(r"[-\w]+")  # what wfdb accepts as a record name: letters, digits, - and _


def _check_wfdb_names(name: str, sig_names: list[str]) -> None:
    """Refuse the names wfdb refuses, with its messages: a record name of letters, digits, - and _; lead names
    unique, without control characters or surrounding whitespace."""
    if "." in name:
        raise ValueError("Record name must not contain '.'")
    if not RECORD_NAME.fullmatch(name):
        raise ValueError("File names should only contain alphanumerics, hyphens, and an extension. eg. record-100.dat")
    for sig in sig_names:
        if sig[:1].isspace() or sig[-1:].isspace():
            raise ValueError("sig_name strings may not begin or end with whitespace.")
        if re.search(r"[\x00-\x1f\x7f-\x9f]", sig):
            raise ValueError("sig_name strings may not contain control characters.")
    if len(set(sig_names)) != len(sig_names):
        raise ValueError("sig_name strings must be unique.")
