"""Paper sizes and the printed grid's colour schemes (what real ECG paper looks like, per REALISM.md)."""

from __future__ import annotations

from dataclasses import dataclass

# (width, height) in mm, portrait.
PAPER_MM = {"letter": (215.9, 279.4), "a4": (210.0, 297.0)}


def paper_size_mm(paper: str, orientation: str) -> tuple[float, float]:
    """(width, height) in mm of a paper size in an orientation."""
    w, h = PAPER_MM[paper]
    return (h, w) if orientation == "landscape" else (w, h)


@dataclass(frozen=True)
class GridColours:
    """RGB colours of the printed grid; minor lines are a lighter tint of the major ones."""

    major: tuple[int, int, int]
    minor: tuple[int, int, int]


GRID_SCHEMES: dict[str, GridColours] = {
    "red": GridColours(major=(232, 90, 80), minor=(246, 182, 176)),
    "pink": GridColours(major=(240, 150, 165), minor=(250, 210, 218)),
    "salmon": GridColours(major=(238, 140, 100), minor=(250, 206, 184)),
    "green": GridColours(major=(90, 170, 110), minor=(180, 222, 190)),
    "blue": GridColours(major=(95, 140, 215), minor=(185, 205, 240)),
    "grey": GridColours(major=(140, 140, 140), minor=(205, 205, 205)),
    "bw": GridColours(major=(70, 70, 70), minor=(170, 170, 170)),
}
GRID_SCHEME_NAMES = (*GRID_SCHEMES, "none")
