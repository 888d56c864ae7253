"""Where the rows are when the picture does not show them all (digitize/rows.py, ``_complete_rows``): a photo that
crops the page's last row must not have its rows' leads read from the row above theirs."""

from __future__ import annotations

import numpy as np

from digitize.rows import _complete_rows, find_rows, row_bands

H = 860
SPACING = 126.0


def profile(rows: list[float], height: int = H, strength: float = 50.0) -> np.ndarray:
    """A row score profile: a bump of ``strength`` at each row, a stray mark of 2 at y = 180."""
    y = np.arange(height, dtype=np.float64)
    score = sum(strength * np.exp(-0.5 * ((y - r) / 8.0) ** 2) for r in rows)
    return score + 2.0 * np.exp(-0.5 * ((y - 180.0) / 8.0) ** 2)


ROWS = [222.0 + k * SPACING for k in range(5)]      # five rows shown; the sixth, at 852, is cropped


def shown_down_to(bottom: int) -> np.ndarray:
    shown = np.ones(H)
    shown[bottom:] = 0.0
    return shown


def test_a_row_the_photo_crops_goes_where_the_spacing_puts_it_not_on_a_stray_mark():
    centres = np.array([180.0, *ROWS])
    out = _complete_rows(centres, profile(ROWS), shown_down_to(800))
    assert np.allclose(out, [*ROWS, ROWS[-1] + SPACING])
    bands = row_bands(out, H)
    assert bands[-1] == (789, H) and all(t <= b for t, b in bands)


def test_a_cropped_row_outside_the_image_gets_an_empty_band():
    centres = np.array([180.0, *ROWS])
    short = 760
    out = _complete_rows(centres, profile(ROWS, short), np.ones(short))
    assert out[-1] > short                                   # below the picture, where nothing is shown
    t, b = row_bands(out, short)[-1]
    assert t == b == short


def test_rows_are_left_alone_when_nothing_says_where_the_missing_one_is():
    # all strong; a faint row between strong ones (their spacing is uneven); a weak row already where the spacing
    # puts one; both ends of the rows equally hidden
    assert np.array_equal(_complete_rows(np.array(ROWS), profile(ROWS), np.ones(H)), ROWS)
    gap = [ROWS[0], ROWS[1], ROWS[3], ROWS[4]]
    with_faint = np.array([ROWS[0], ROWS[1], ROWS[2], ROWS[3], ROWS[4]])
    assert np.array_equal(_complete_rows(with_faint, profile(gap), shown_down_to(800)), with_faint)
    on_spacing = np.array([ROWS[0] - SPACING, *ROWS])
    assert np.array_equal(_complete_rows(on_spacing, profile(ROWS), shown_down_to(800)), on_spacing)
    both = np.array([180.0, *ROWS])
    assert np.array_equal(_complete_rows(both, profile(ROWS), np.ones(H)), both)


def test_find_rows_passes_what_the_picture_shows():
    ink = np.zeros((H, 600), bool)
    for r in ROWS:
        ink[int(r) - 1: int(r) + 2, 20:580] = True
    ink[179:182, 20:40] = True                               # a stray mark above the first row
    assert np.allclose(find_rows(ink, 6, 4.0, shown=shown_down_to(800)), [*ROWS, ROWS[-1] + SPACING], atol=2)
    assert 180 <= find_rows(ink, 6, 4.0)[0] <= 182           # without it, as before
