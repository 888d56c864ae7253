"""Deformations: fold geometry (creases, angles, stacking), dog-ears, curl, crease lines, wrinkles, crease marks."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import coords
from simulator.crease_marks import REACH_MM, mark_creases
from simulator.deform import Crease, CreaseLines, Curl, DogEar, Fold, Wrinkles
from simulator.errors import InputError
from simulator.folds import dog_ear_line
from simulator.config import preset_scene
from simulator.photograph import deformed_sheet, drawn_sheet
from simulator.sheet import SheetSpec, build_sheet
from tests.mesh_checks import self_intersections

W, H = 279.4, 215.9


def _sheet(*deformations, cell_mm: float = 2.0, seed: int = 0):
    return build_sheet(SheetSpec(width_mm=W, height_mm=H, cell_mm=cell_mm, deformations=tuple(deformations)),
                       np.random.default_rng(seed))


def _page(s) -> np.ndarray:
    return coords.uv_to_page(s.uv, W, H)


def _hits(s, xy: np.ndarray) -> list[list[tuple[float, int]]]:
    """For each world (x, y), every (z, face index) where a vertical line through it meets the mesh."""
    v = s.vertices.astype(np.float64)
    tri = v[s.faces]
    out = []
    for x, y in xy:
        a, b, c = tri[:, 0], tri[:, 1], tri[:, 2]
        det = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
        ok = np.abs(det) > 1e-9
        l1 = ((x - a[:, 0]) * (c[:, 1] - a[:, 1]) - (y - a[:, 1]) * (c[:, 0] - a[:, 0])) / np.where(ok, det, 1)
        l2 = ((b[:, 0] - a[:, 0]) * (y - a[:, 1]) - (b[:, 1] - a[:, 1]) * (x - a[:, 0])) / np.where(ok, det, 1)
        inside = ok & (l1 >= 0) & (l2 >= 0) & (l1 + l2 <= 1)
        z = a[:, 2] + l1 * (b[:, 2] - a[:, 2]) + l2 * (c[:, 2] - a[:, 2])
        f = np.flatnonzero(inside)
        out.append(sorted(zip(z[f], f)))
    return out


def _opening_deg(s, page_a, page_b) -> float:
    """Opening angle (180 = flat) between the surface normals at two page points."""
    na, nb = (s.normals[np.argmin(np.linalg.norm(_page(s) - p, axis=1))] for p in (page_a, page_b))
    return 180.0 - np.degrees(np.arccos(np.clip(na @ nb, -1.0, 1.0)))


@pytest.mark.parametrize("angle", [5.0, 45.0, 90.0, 150.0, 172.0])
@pytest.mark.parametrize("direction", ["valley", "mountain"])
def test_half_fold_crease_and_opening_angle(angle, direction):
    s = _sheet(Fold(pattern="half", angle_deg=angle, direction=direction))
    assert len(s.creases) == 1
    c = s.creases[0]
    assert c.start_mm == (W / 2, 0.0) and c.end_mm == (W / 2, H)
    assert c.kind == ("valley" if direction == "valley" else "ridge")
    assert _opening_deg(s, (W / 4, H / 2), (3 * W / 4, H / 2)) == pytest.approx(angle, abs=1.0)
    # The crease stays a straight line: both copies of the crease column lie on one line in world space.
    line = s.vertices[np.isclose(_page(s)[:, 0], W / 2)].astype(np.float64)
    centred = line - line.mean(axis=0)
    assert np.linalg.svd(centred, compute_uv=False)[1] / np.sqrt(len(line)) < 0.1  # RMS off the line, mm


def test_letter_fold_creases_at_thirds_with_both_flaps_open():
    s = _sheet(Fold(pattern="letter", angle_deg=150, creases="horizontal"))
    assert sorted(c.start_mm[1] for c in s.creases) == pytest.approx([H / 3, 2 * H / 3])
    assert {c.kind for c in s.creases} == {"valley"}
    assert _opening_deg(s, (W / 2, H / 6), (W / 2, H / 2)) == pytest.approx(150.0, abs=1.0)
    assert _opening_deg(s, (W / 2, 5 * H / 6), (W / 2, H / 2)) == pytest.approx(150.0, abs=1.0)


def test_quarter_fold_second_crease_is_valley_on_one_half_and_ridge_on_the_other():
    s = _sheet(Fold(pattern="quarter", angle_deg=160))
    kinds = sorted((c.kind, c.start_mm, c.end_mm) for c in s.creases)
    assert [k[0] for k in kinds] == ["ridge", "valley", "valley"]
    assert _opening_deg(s, (W / 4, H / 4), (W / 4, 3 * H / 4)) == pytest.approx(160.0, abs=1.0)


def test_small_angle_half_fold_puts_the_flap_over_the_other_half():
    s = _sheet(Fold(pattern="half", angle_deg=4.0, flap_side="high"))
    page = _page(s)
    flap = page[:, 0] > W / 2
    # The flap now lies over the left half of the table, above the base everywhere.
    assert s.vertices[flap, 0].max() < W / 2 + 0.5
    xy = np.random.default_rng(0).uniform([5, 5], [W / 2 - 5, H - 5], (25, 2))
    for hits in _hits(s, xy):
        assert len(hits) == 2
        (z_low, f_low), (z_high, f_high) = hits
        assert not flap[s.faces[f_low]].any() and flap[s.faces[f_high]].all()
        assert z_high - z_low > 0.5 * 0.1  # at least half a paper thickness apart: no interpenetration


def test_closed_quarter_fold_stacks_four_layers_in_folding_order():
    s = _sheet(Fold(pattern="quarter", angle_deg=3.0))
    page = _page(s)
    right, bottom = page[:, 0] > W / 2, page[:, 1] > H / 2
    quadrant = right.astype(int) + 2 * bottom.astype(int)  # 0 TL, 1 TR, 2 BL, 3 BR
    xy = np.random.default_rng(1).uniform([5, H / 2 + 5], [W / 2 - 5, H - 5], (20, 2))
    for hits in _hits(s, xy):
        order = [int(np.bincount(quadrant[s.faces[f]]).argmax()) for _, f in hits]
        assert order == [0, 1, 3, 2]  # base, right half over it, then the bottom pair turned over both
        z = [h[0] for h in hits]
        assert min(np.diff(z)) > 0.03


def test_letter_fold_with_small_angle_closes_the_inner_flap_under_the_outer():
    s = _sheet(Fold(pattern="letter", angle_deg=10.0, flap_side="high"))
    page = _page(s)
    panel = np.digitize(page[:, 0], [W / 3, 2 * W / 3])
    xy = np.random.default_rng(2).uniform([W / 3 + 5, 5], [2 * W / 3 - 5, H - 5], (20, 2))
    for hits in _hits(s, xy):
        order = [int(np.bincount(panel[s.faces[f]]).argmax()) for _, f in hits]
        assert order == [1, 0, 2]


@pytest.mark.parametrize("corner", ["top_left", "top_right", "bottom_left", "bottom_right"])
def test_dog_ear_covers_the_page_next_to_its_corner(corner):
    d = DogEar(corner=corner, size_mm=40.0, aspect=1.0, angle_deg=5.0)
    s = _sheet(d)
    assert len(s.creases) == 1 and s.creases[0].kind == "valley"
    c, a, b = dog_ear_line(d, (W, H))
    inward = (a + b) / 2 - c  # from the corner to the fold line's middle
    page = _page(s)
    flap_vertex = ((page - a) @ (c - (a + b) / 2)) > 0
    # Points just across the fold line from the corner are now under the flap.
    probe = (a + b) / 2 + inward * np.array([[0.2], [0.5], [0.8]])
    for hits in _hits(s, coords.page_to_world(probe, H)[:, :2]):
        assert len(hits) == 2
        assert flap_vertex[s.faces[hits[-1][1]]].all() and not flap_vertex[s.faces[hits[0][1]]].any()
    # And the corner itself no longer lies on the table where it was.
    assert _hits(s, coords.page_to_world(c[None] + 0.1 * inward, H)[:, :2]) == [[]]


def test_edge_curl_lies_on_its_cylinder():
    s = _sheet(Curl(edge="right", radius_mm=50.0, length_mm=60.0))
    v = s.vertices.astype(np.float64)
    page = _page(s)
    curled = page[:, 0] > W - 60.0 + 1.0
    centre = np.array([W - 60.0, 50.0])
    r = np.hypot(v[curled, 0] - centre[0], v[curled, 2] - centre[1])
    assert np.allclose(r, 50.0, atol=0.05)
    assert np.allclose(v[~curled & (page[:, 0] < W - 62.0), 2], 0.0, atol=1e-6)


def test_whole_page_arch_rests_on_two_edges():
    s = _sheet(Curl(edge="whole", axis="y", radius_mm=300.0, arch=True))
    v = s.vertices.astype(np.float64)
    page = _page(s)
    assert np.allclose(v[np.isclose(page[:, 0], 0.0), 2], 0.0, atol=1e-3)
    assert np.allclose(v[np.isclose(page[:, 0], W), 2], 0.0, atol=1e-3)
    assert v[:, 2].max() > 20.0


def test_crease_lines_are_ridges_and_valleys_where_recorded():
    s = _sheet(CreaseLines(count=6, depth_mm=1.5, width_mm=10.0), cell_mm=1.0, seed=3)
    assert len(s.creases) > 0
    # Sign of the kink at each crease's midpoint: ridge = local maximum across the line.
    for c in s.creases:
        a, b = np.array(c.start_mm), np.array(c.end_mm)
        mid, t = (a + b) / 2, (b - a) / np.linalg.norm(b - a)
        n = np.array([-t[1], t[0]])
        z = s.uv_to_world(coords.page_to_uv(np.stack([mid - 1.5 * n, mid, mid + 1.5 * n]), W, H))[:, 2]
        curvature = z[0] + z[2] - 2 * z[1]
        assert (curvature < 0) == (c.kind == "ridge")


def test_wrinkles_stay_within_their_amplitude_and_are_seeded():
    wr = Wrinkles(amplitude_mm=2.0, scale_mm=50.0, ridged=0.5)
    a, b = _sheet(wr, seed=4), _sheet(wr, seed=4)
    assert a.vertices.tobytes() == b.vertices.tobytes()
    z = a.vertices[:, 2]
    assert 0.5 < np.ptp(z) < 2 * 2.0 * 1.5


def test_crease_marks_land_on_the_crease_and_nowhere_else():
    dpi = 150.0
    w_px, h_px = coords.page_size_px(W, H, dpi)
    page = np.full((h_px, w_px, 3), 160, np.uint8)
    creases = [Crease((W / 2, 0.0), (W / 2, H), "valley", 1.0), Crease((20.0, 30.0), (200.0, 150.0), "ridge", 0.8)]
    out = mark_creases(page, creases, dpi, np.random.default_rng(0))
    assert out.shape == page.shape and out.dtype == np.uint8
    changed = np.any(out != page, axis=-1)
    rows, cols = np.nonzero(changed)
    pts = coords.px_to_mm(np.stack([cols + 0.5, rows + 0.5], axis=-1), dpi)
    dist = np.full(len(pts), np.inf)
    for c in creases:
        a, b = np.array(c.start_mm), np.array(c.end_mm)
        t = np.clip(((pts - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
        dist = np.minimum(dist, np.linalg.norm(pts - (a + t[:, None] * (b - a)), axis=1))
    assert dist.max() <= REACH_MM + 0.01
    # The crease core is whitened: pixels on the vertical crease are lighter than the page on average.
    col = int(coords.mm_to_px(W / 2, dpi))
    assert out[50:-50, col - 1 : col + 1].astype(float).mean() > 165
    assert changed[:, col].mean() > 0.95
    # Anti-aliased and subtle: nothing far off the page tone.
    assert np.abs(out.astype(int) - 160).max() < 80


def test_creased_sheet_folded_shut_keeps_its_layers_apart():
    s = _sheet(CreaseLines(count=6, depth_mm=1.5), Fold(pattern="half", angle_deg=2.0), seed=5)
    flap = _page(s)[:, 0] > W / 2
    xy = np.random.default_rng(3).uniform([5, 5], [W / 2 - 5, H - 5], (30, 2))
    for hits in _hits(s, xy):
        assert [bool(flap[s.faces[f]].all()) for _, f in hits] == [False, True]
        assert hits[1][0] - hits[0][0] > 0.1


def test_everything_opened_flat_leaves_a_flat_sheet_with_its_crease_records():
    s = _sheet(DogEar(angle_deg=180.0), Fold(pattern="quarter", angle_deg=180.0), Curl(length_mm=0.0))
    assert np.allclose(s.vertices[:, 2], 0.0) and len(s.creases) == 4


def test_dog_ear_pressed_onto_a_creased_page_stays_above_it():
    d = DogEar(corner="top_left", size_mm=60.0, angle_deg=2.0)
    s = _sheet(CreaseLines(count=12, depth_mm=2.0, width_mm=6.0, length_mm=120.0, axis_bias=0.0), d, seed=6)
    c, a, b = dog_ear_line(d, (W, H))
    toward = (c - (a + b) / 2) / np.linalg.norm(c - (a + b) / 2)
    beyond_arc = ((_page(s) - a) @ toward) > 20.0  # the arc itself turns up; test the flat flap beyond it
    faces = s.faces[beyond_arc[s.faces].all(axis=1)]
    flap_vertex = ((_page(s) - a) @ toward) > 0
    centres = s.vertices[faces[np.random.default_rng(4).integers(0, len(faces), 30)]].mean(axis=1)
    for hits in _hits(s, centres[:, :2]):
        assert [bool(flap_vertex[s.faces[f]].all()) for _, f in hits] == [False, True]


def test_the_self_intersection_check_finds_a_flap_pushed_through_the_page():
    """The check below can fail: a closed half fold passes it, and fails once part of its flap is pushed down
    through the half under it."""
    s = _sheet(Fold(pattern="half", angle_deg=3.0), cell_mm=5.0)
    assert len(self_intersections(s.vertices, s.faces)) == 0
    flap = _page(s)[:, 0] > W / 2
    patch = flap & (np.linalg.norm(s.vertices[:, :2] - s.vertices[flap][:, :2].mean(axis=0), axis=1) < 20.0)
    pushed = s.vertices.astype(np.float64)
    pushed[patch, 2] -= 3.0
    assert len(self_intersections(pushed, s.faces)) > 0


@pytest.mark.parametrize("preset, seed", [
    ("phone_photo", 1), ("phone_photo", 9), ("phone_photo", 18),  # creases; creases + dog-ear; dog-ear (+ curl)
    ("folded_letter", 0), ("folded_letter", 3), ("crumpled", 0), ("challenge_like", 20)])
def test_preset_sheets_do_not_pass_through_themselves(preset, seed):
    """Sheets drawn from the presets' ranges, as deformed and as drawn (simplified for their camera): no two
    triangles that share no vertex cross. (A one-off sweep of 24 draws each of phone_photo, crumpled and
    challenge_like and 6 of folded_letter found none either.)"""
    scene = preset_scene(preset, seed)
    for mesh in (deformed_sheet(scene), drawn_sheet(scene)):
        assert len(self_intersections(mesh.vertices, mesh.faces)) == 0


@pytest.mark.parametrize("before, fold", [
    (CreaseLines(count=12, depth_mm=0.5), Fold(pattern="half", angle_deg=150.0)),
    (CreaseLines(count=12, depth_mm=0.5), Fold(pattern="letter", angle_deg=120.0, direction="mountain")),
    (CreaseLines(count=12, depth_mm=0.5), Fold(pattern="quarter", angle_deg=64.0)),
    (DogEar(corner="bottom_left", size_mm=25.0, angle_deg=30.0), Fold(pattern="quarter", angle_deg=35.0)),
])
def test_a_sheet_creased_or_dog_eared_before_folding_does_not_pass_through_itself(before, fold):
    """A hinge turns about a line on the side of all the material on its crease (above it for a valley): with the
    line below a creased sheet's raised crease, or between the layers of a quarter fold's stack lifted for a
    dog-ear, the layers turned through each other along the crease (hundreds of crossing triangles each)."""
    s = _sheet(before, fold, Wrinkles(amplitude_mm=1.0, scale_mm=80.0), cell_mm=4.0)
    assert len(self_intersections(s.vertices, s.faces)) == 0


FINE_RIDGES = Wrinkles(amplitude_mm=1.5, scale_mm=30.0, ridged=1.0)  # bends faster than 4 mm cells follow


@pytest.mark.parametrize("fold", [
    Fold(pattern="letter", angle_deg=30.0),  # the inner flap closed flat under the outer one
    Fold(pattern="quarter", angle_deg=30.0, direction="mountain", flap_side="low", creases="horizontal"),
    Fold(pattern="half", angle_deg=5.0),
])
def test_closed_folds_under_fine_ridged_wrinkles_do_not_pass_through_themselves(fold):
    """Wrinkles move stacked layers together, but each layer is drawn through its own vertices: with the flap's
    cells not over the panel's (a uniform grid, one diagonal everywhere) the layers, 0.1 mm apart, crossed in
    44–4 200 triangle pairs wherever the ridges twist a cell by more than that."""
    s = _sheet(fold, FINE_RIDGES, cell_mm=4.0)
    assert len(self_intersections(s.vertices, s.faces)) == 0


def test_a_closed_flap_keeps_its_gap_to_the_panel_under_wrinkles():
    """The letter's inner flap closes onto the middle panel vertex on vertex: after wrinkles every flap vertex is
    still exactly one paper thickness above the panel's vertex under it."""
    s = _sheet(Fold(pattern="letter", angle_deg=30.0), FINE_RIDGES, cell_mm=4.0)
    page, v = _page(s), s.vertices.astype(np.float64)
    flap, panel = v[page[:, 0] < W / 3 - 1e-3], v[(page[:, 0] > W / 3 - 1e-3) & (page[:, 0] < 2 * W / 3 + 1e-3)]
    gap_xy = np.linalg.norm(flap[:, None, :2] - panel[None, :, :2], axis=-1)
    under = gap_xy.argmin(axis=1)
    assert gap_xy.min(axis=1).max() < 1e-3
    assert np.abs(flap[:, 2] - panel[under, 2] - 0.1).max() < 1e-4
    assert np.ptp(panel[:, 2]) > 2.0  # the wrinkles did move both layers


def test_a_curl_tighter_than_a_standing_flap_is_refused_naming_its_radius():
    """A fold opened to 90° stands its flap ~140 mm high; bending that around a 60 mm cylinder would take it
    through the axis (an inverted, self-crossing flap), so the sheet is refused with the parameter named."""
    with pytest.raises(InputError, match=r"^sheet\.deformations\[1\]\.radius_mm: 60 mm is less than the 140 mm"):
        _sheet(Fold(pattern="half", angle_deg=90.0, flap_side="low"), Curl(edge="whole", radius_mm=60.0, axis="y"),
               cell_mm=4.0)
    s = _sheet(Fold(pattern="half", angle_deg=90.0, flap_side="low"), Curl(edge="whole", radius_mm=300.0, axis="y"),
               cell_mm=4.0)  # wider than the flap is high: bent, and clear of itself
    assert len(self_intersections(s.vertices, s.faces)) == 0
