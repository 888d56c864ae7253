"""Reading WFDB records into millivolts, with every way a record can be wrong turned into one clear line.

Single-segment records and multi-segment ones (fixed or variable layout, gaps read as NaN) alike.

Checks happen before wfdb parses the data, so a broken record never reaches the page as a silently wrong image.

A dataset run reads the same records again and again (the bundled three, or a folder smaller than the run), and
wfdb parses a header in ~15 ms, twice per window (``rdrecord`` parses it again). So parsed headers are kept, and
records of up to ``WHOLE_RECORD_VALUES`` values are read whole once and windows cut from them (the same numbers:
the physical conversion is per sample), both keyed by the files' identity, size and modification time, so a record
rewritten on disk is read again.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import wfdb

from .errors import InputError

MIN_FS_HZ = 50.0
# Bytes per sample of the storage formats whose size we can check up front (WFDB signal formats).
BYTES_PER_SAMPLE = {"8": 1.0, "16": 2.0, "61": 2.0, "80": 1.0, "160": 2.0, "212": 1.5, "24": 3.0, "32": 4.0,
                    "310": 4.0 / 3.0, "311": 4.0 / 3.0}
SUPPORTED_FORMATS = set(BYTES_PER_SAMPLE)
# Scale from a header's units to millivolts (matched case-insensitively, after stripping).
UNIT_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}
WHOLE_RECORD_VALUES = 2_000_000  # samples x signals of a record read whole and kept (16 MB of float64)
KEPT_HEADERS = 256
KEPT_RECORDS = 8
BEAT_SYMBOLS = frozenset("NLRBAaJSVrFejnE/fQ?")
"""WFDB annotation codes that mark a beat."""
ANNOTATOR = "atr"  # the reference beat annotations' extension (MIT-BIH's ``100.atr``), read and written


@dataclass(frozen=True)
class Beats:
    """Beat annotations: sample indices (into the record's ``signals``) and their WFDB codes (N normal, V premature
    ventricular, ...)."""

    samples: np.ndarray
    symbols: tuple[str, ...]

    def window(self, start: int, stop: int) -> Beats:
        """The beats in samples [start, stop), counted from ``start``."""
        keep = (self.samples >= start) & (self.samples < stop)
        return Beats(self.samples[keep] - start, tuple(c for c, k in zip(self.symbols, keep) if k))


@dataclass(frozen=True)
class Record:
    """An ECG record in millivolts: ``signals[n, lead]``, NaN where the record has no value."""

    name: str
    fs: float
    signals: np.ndarray
    lead_names: tuple[str, ...]
    path: Path
    start_sample: int = 0  # index in the source record of signals[0]
    beats: Beats | None = None  # the record's beat annotations in this window, where it has them

    @property
    def n_samples(self) -> int:
        return int(self.signals.shape[0])

    def lead_index(self, name: str) -> int | None:
        """Index of a lead matched case-insensitively (aVR = AVR), or None if the record lacks it."""
        wanted = name.strip().lower()
        for i, lead in enumerate(self.lead_names):
            if lead.strip().lower() == wanted:
                return i
        return None


def _first_line(exc: Exception) -> str:
    """The first line of an exception's message, or its type when it has none."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def record_base(path: Path | str) -> Path:
    """The record's base path (no extension) from ``dir/100``, ``dir/100.hea`` or ``dir/100.dat``."""
    p = Path(path)
    return p.with_suffix("") if p.suffix.lower() in (".hea", ".dat") else p


def _stamp(path: Path) -> tuple[int, int, int]:
    """What tells a file's versions apart: inode, size, modification time (ns)."""
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns


@lru_cache(maxsize=KEPT_HEADERS)
def _parsed_header(base: str, stamp: tuple[int, int, int]) -> wfdb.Record | wfdb.MultiRecord:
    """wfdb's parse of a header file, kept per version of the file (``stamp``)."""
    return wfdb.rdheader(base)


@lru_cache(maxsize=KEPT_RECORDS)
def _whole_record(base: str, stamps: tuple) -> tuple[np.ndarray, tuple[str, ...], tuple[str | None, ...]]:
    """(physical signals, names, units) of a whole record, read-only, kept per version of its files."""
    rec = wfdb.rdrecord(base, physical=True)
    signals = np.asarray(rec.p_signal, dtype=np.float64)
    signals.setflags(write=False)
    return signals, tuple(rec.sig_name), tuple(rec.units)


@lru_cache(maxsize=KEPT_RECORDS)
def _annotated_beats(base: str, stamp: tuple[int, int, int]) -> Beats:
    """The beats of ``base``'s ``.atr`` (other annotations, such as rhythm changes, left out), kept per version."""
    ann = wfdb.rdann(base, ANNOTATOR)
    keep = [k for k, c in enumerate(ann.symbol) if c in BEAT_SYMBOLS]
    samples = np.asarray(ann.sample, dtype=np.int64)[keep]
    samples.setflags(write=False)
    return Beats(samples, tuple(ann.symbol[k] for k in keep))


def read_beats(base: Path, start: int, stop: int) -> Beats | None:
    """The beats a record's ``.atr`` annotates in samples [start, stop) (None without one). An annotation file that
    cannot be read is a warning, not an error: the signal is still good."""
    atr = base.with_name(f"{base.name}.{ANNOTATOR}")
    if not atr.is_file():
        return None
    try:
        return _annotated_beats(str(base), _stamp(atr)).window(start, stop)
    except Exception as exc:  # wfdb raises many kinds for a damaged file
        warnings.warn(f"record {base}: its annotations {atr.name} cannot be read ({_first_line(exc)}); "
                      f"the frame's truth has none")
        return None


@dataclass(frozen=True)
class Header:
    """What the pipeline needs of a record's header, checked, alike for single- and multi-segment records."""

    record_name: str
    fs: float
    sig_len: int
    sig_name: tuple[str, ...]
    files: tuple[str, ...]  # every file of the record (headers and data, beside the header): a change means re-read

    @property
    def n_sig(self) -> int:
        return len(self.sig_name)


def _parse(base: Path) -> wfdb.Record | wfdb.MultiRecord:
    """wfdb's parse of ``base``'s header file (InputError when it is missing or malformed)."""
    hea = base.with_suffix(".hea")
    if not hea.is_file():
        raise InputError(f"record {base}: header file {hea.name} not found")
    try:
        return _parsed_header(str(base), _stamp(hea))
    except Exception as exc:  # wfdb raises many kinds on a malformed header
        raise InputError(f"record {base}: unreadable header ({_first_line(exc)})") from None


def _check_units(base: Path, units: list[str | None]) -> None:
    for unit in units:
        if (unit or "mV").strip().lower() not in UNIT_TO_MV:
            raise InputError(f"record {base}: unknown signal units {unit!r} (expected mV, uV or V)")


def read_header(path: Path | str) -> Header:
    """Parse and check a record's header and the presence and size of its data files: a single-segment record, or
    a multi-segment one (each segment checked; its lead names from the layout segment or the first segment)."""
    base = record_base(path)
    parsed = _parse(base)
    if not parsed.n_sig or not parsed.sig_len:
        raise InputError(f"record {base}: zero-length record (no samples)")
    if parsed.fs is None or parsed.fs < MIN_FS_HZ:
        raise InputError(f"record {base}: sampling frequency {parsed.fs} Hz is below {MIN_FS_HZ:g} Hz")
    if isinstance(parsed, wfdb.MultiRecord):
        return _multi_segment_header(base, parsed)
    for fmt in parsed.fmt:
        if fmt not in SUPPORTED_FORMATS:
            raise InputError(f"record {base}: unsupported storage format {fmt}")
    _check_units(base, parsed.units)
    _check_data_files(base, parsed)
    return Header(parsed.record_name, float(parsed.fs), int(parsed.sig_len), tuple(parsed.sig_name),
                  (base.with_suffix(".hea").name, *dict.fromkeys(parsed.file_name)))


def _multi_segment_header(base: Path, parsed: wfdb.MultiRecord) -> Header:
    """A multi-segment record (MIMIC's waveform databases, for one): every segment's files checked as a record;
    ``~`` segments are gaps, read as NaN."""
    names: tuple[str, ...] | None = None
    files = [base.with_suffix(".hea").name]
    for segment, length in zip(parsed.seg_name, parsed.seg_len):
        if segment == "~":
            continue
        if not length:  # a variable layout's layout segment: the record's signals, no samples
            layout = _parse(base.parent / segment)
            _check_units(base.parent / segment, layout.units or [])
            names, files = tuple(layout.sig_name or ()), [*files, f"{segment}.hea"]
            continue
        header = read_header(base.parent / segment)
        names = names or header.sig_name
        files += header.files
    if not names:
        raise InputError(f"record {base}: no segment of this multi-segment record has signals")
    return Header(parsed.record_name, float(parsed.fs), int(parsed.sig_len), names, tuple(dict.fromkeys(files)))


def _check_data_files(base: Path, header: wfdb.Record) -> None:
    """Each data file exists and holds exactly ``sig_len`` samples of its signals."""
    per_file: dict[str, float] = {}
    offsets: dict[str, int] = {}
    for fname, fmt, offset in zip(header.file_name, header.fmt, header.byte_offset):
        per_file[fname] = per_file.get(fname, 0.0) + BYTES_PER_SAMPLE[fmt]
        offsets[fname] = offset or 0
    for fname, bytes_per_frame in per_file.items():
        data = base.parent / fname
        if not data.is_file():
            raise InputError(f"record {base}: data file {fname} not found")
        expected = int(np.ceil(bytes_per_frame * header.sig_len)) + offsets[fname]
        size = data.stat().st_size
        if size < expected:
            raise InputError(f"record {base}: data file {fname} is truncated ({size} bytes, header needs {expected})")
        if size > expected + 1:  # format 212/310 may pad one byte
            raise InputError(f"record {base}: header/data length mismatch ({fname} has {size} bytes, "
                             f"header's {header.sig_len} samples need {expected})")


def load_record(path: Path | str, start_s: float = 0.0, duration_s: float | None = None,
                header: Header | None = None) -> Record:
    """Read ``duration_s`` seconds from ``start_s`` of a WFDB record, in mV (µV and V converted); ``header`` is
    the record's from :func:`read_header`, if the caller has it.

    Raises InputError for every problem a user can cause; an all-NaN window is an error too.
    """
    base = record_base(path)
    header = read_header(base) if header is None else header
    if start_s < 0:
        raise InputError(f"--start: {start_s} s is negative")
    start = int(round(start_s * header.fs))
    if start >= header.sig_len:
        raise InputError(f"--start: {start_s} s is past the end of record {base.name} "
                         f"({header.sig_len / header.fs:.2f} s long)")
    stop = header.sig_len if duration_s is None else min(header.sig_len, start + int(np.ceil(duration_s * header.fs)))
    try:
        if header.n_sig * header.sig_len <= WHOLE_RECORD_VALUES:
            stamps = tuple(_stamp(base.parent / f) for f in header.files)
            whole, names, units = _whole_record(str(base), stamps)
            physical = whole[start:stop]
        else:  # a long record: only the window
            rec = wfdb.rdrecord(str(base), sampfrom=start, sampto=stop, physical=True)
            physical, names, units = rec.p_signal, tuple(rec.sig_name), tuple(rec.units)
    except Exception as exc:
        raise InputError(f"record {base}: unreadable data ({_first_line(exc)})") from None
    scale = np.array([UNIT_TO_MV[(u or "mV").strip().lower()] for u in units])
    signals = np.asarray(physical, dtype=np.float64) * scale
    if signals.size == 0:
        raise InputError(f"record {base}: zero-length record (no samples)")
    if np.all(np.isnan(signals)):
        raise InputError(f"record {base}: every sample is NaN (nothing to plot)")
    return Record(name=base.name, fs=float(header.fs), signals=signals, lead_names=names, path=base,
                  start_sample=start, beats=read_beats(base, start, stop))


def _segments(hea: Path) -> list[str]:
    """The segment records a multi-segment header names (its record line reads ``name/segments ...``), read from
    the text: parsing each header with wfdb would cost ~15 ms a record in a folder of thousands."""
    try:
        lines = [line.split() for line in hea.read_text(errors="replace").splitlines()
                 if line.strip() and not line.lstrip().startswith("#")]
    except OSError:
        return []
    if not lines or "/" not in lines[0][0]:
        return []
    count = lines[0][0].split("/")[1]
    n = int(count) if count.isdigit() else 0
    return [line[0] for line in lines[1:1 + n] if line[0] != "~"]


def records_in(folder: Path) -> list[Path]:
    """Every WFDB record under ``folder`` (base paths, sorted), less the segments of its multi-segment records
    (those are read through the record that names them)."""
    headers = sorted(folder.rglob("*.hea"))
    parts = {h.parent / name for h in headers for name in _segments(h)}
    return [h.with_suffix("") for h in headers if h.with_suffix("") not in parts]


def would_overwrite(out_dir: Path | str, name: str, record: Path | str) -> bool:
    """Whether a truth record ``name`` written into ``out_dir`` would replace a file of input ``record`` (a page named
    after its record, written into the record's own folder)."""
    base = record_base(record)
    if Path(out_dir).resolve() != base.parent.resolve() or not base.with_name(f"{base.name}.hea").is_file():
        return False
    return bool({f"{name}.hea", f"{name}.dat"} & set(read_header(base).files))


def find_records(paths: list[Path | str]) -> list[Path]:
    """Record base paths from files, folders (searched recursively for ``.hea``; a multi-segment record's segments
    are not records of their own) and list files (one path a line)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(records_in(p))
        elif p.suffix.lower() in (".txt", ".list", ".lst") and p.is_file():
            try:
                lines = p.read_text(encoding="utf-8").splitlines()
            except UnicodeDecodeError:
                raise InputError(f"--input: {p} is not a text list of records (not UTF-8)") from None
            for line in lines:
                if line.strip() and not line.startswith("#"):
                    found.append(record_base(p.parent / line.strip()))
        else:
            found.append(record_base(p))
    return found
