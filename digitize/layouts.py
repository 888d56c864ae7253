"""Which lead sits where on a standard page: rows × columns of leads plus full-width rhythm strips."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import InputError
from simulator.layout import DEFAULT_RHYTHM, STANDARD_3X4, STANDARD_6X2, STANDARD_12

LEAD_NAMES = STANDARD_12
BASE_LAYOUTS = {"3x4": STANDARD_3X4, "6x2": STANDARD_6X2, "12x1": (STANDARD_12,)}


@dataclass(frozen=True)
class RowPlan:
    """One printed row: the lead in each column (a rhythm strip is a row with one lead over the whole width)."""

    leads: tuple[str, ...]

    @property
    def is_rhythm(self) -> bool:
        return len(self.leads) == 1


@dataclass(frozen=True)
class PageLayoutSpec:
    """A layout by name, e.g. ``3x4+1``: its rows top to bottom and the number of columns."""

    name: str
    rows: tuple[RowPlan, ...]
    n_columns: int


def parse_layout(text: str) -> PageLayoutSpec:
    """``3x4``, ``3x4+N`` (N rhythm strips II, V1, V5), ``6x2``, ``6x2+N`` or ``12x1``; InputError otherwise."""
    base, _, plus = text.strip().lower().partition("+")
    if base not in BASE_LAYOUTS or (plus and not (plus.isdigit() and int(plus) <= 3)) or (plus and base == "12x1"):
        raise InputError(f"--layout: unknown layout {text!r} (use 3x4, 3x4+N, 6x2, 6x2+N with N 0-3, or 12x1)")
    columns = BASE_LAYOUTS[base]
    n_rows = len(columns[0])
    rows = [RowPlan(tuple(col[r] for col in columns)) for r in range(n_rows)]
    rows += [RowPlan((lead,)) for lead in DEFAULT_RHYTHM[: int(plus or 0)]]
    if len(columns) == 1:  # 12x1: each row is a single lead over the whole width, not a rhythm strip
        rows = [RowPlan((lead,)) for lead in columns[0]]
    return PageLayoutSpec(name=text.strip().lower(), rows=tuple(rows), n_columns=len(columns))
