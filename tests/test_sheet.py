"""The sheet mesh: coverage, exact UV → world lookup, normals, validation, determinism, resting on the table."""

from __future__ import annotations

import numpy as np
import pytest

from simulator import coords, params
from simulator.deform import CreaseLines, Curl, DogEar, Fold, Wrinkles
from simulator.errors import InputError
from simulator.sheet import SheetSpec, build_sheet

W, H = 279.4, 215.9


def _sheet(*deformations, seed: int = 0, **kw):
    return build_sheet(SheetSpec(width_mm=W, height_mm=H, deformations=tuple(deformations), **kw),
                       np.random.default_rng(seed))


def _face_areas(v: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Signed areas in the xy plane (positive = counter-clockwise seen from +z)."""
    a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def test_flat_sheet_covers_the_page_exactly_with_ccw_faces():
    s = _sheet(cell_mm=2.0)
    v = s.vertices.astype(np.float64)
    assert np.allclose(v.min(axis=0), [0, 0, 0], atol=1e-4) and np.allclose(v.max(axis=0), [W, H, 0], atol=1e-4)
    areas = _face_areas(v, s.faces)
    assert (areas > 0).all()
    assert areas.sum() == pytest.approx(W * H, rel=1e-6)
    assert np.allclose(s.normals, [0, 0, 1])
    assert np.allclose(s.flat_vertices, s.vertices)
    assert np.allclose(s.flat_vertices, coords.page_to_world(coords.uv_to_page(s.uv, W, H), H), atol=1e-4)
    assert s.vertices.dtype == np.float32 and s.uv.dtype == np.float32 and s.faces.dtype == np.int32


def test_fold_crease_is_a_grid_line_and_faces_stay_ccw_on_the_flat_sheet():
    s = _sheet(Fold(pattern="letter", angle_deg=120), cell_mm=2.0)
    assert np.count_nonzero(np.isclose(s.grid_x, W / 3)) == 2 and np.count_nonzero(np.isclose(s.grid_x, 2 * W / 3)) == 2
    areas = _face_areas(s.flat_vertices.astype(np.float64), s.faces)
    assert (areas >= 0).all() and areas.sum() == pytest.approx(W * H, rel=1e-6)


def test_uv_to_world_on_flat_sheet_is_page_to_world():
    s = _sheet(Fold(pattern="quarter", angle_deg=180), cell_mm=1.7)
    uv = np.random.default_rng(1).uniform(0, 1, (2000, 2))
    expect = coords.page_to_world(coords.uv_to_page(uv, W, H), H)
    assert np.abs(s.uv_to_world(uv) - expect).max() < 1e-3


@pytest.mark.parametrize("deformations", [
    (Fold(pattern="half", angle_deg=40),),
    (Fold(pattern="quarter", angle_deg=30), Wrinkles(amplitude_mm=2.0, scale_mm=30.0)),  # cells split both ways
    (CreaseLines(count=5), DogEar(angle_deg=30), Curl(), Wrinkles(amplitude_mm=2.0)),
])
def test_uv_to_world_is_exact_on_the_deformed_mesh(deformations):
    s = _sheet(*deformations)
    # A vertex's own UV returns the vertex (off the duplicated crease lines, where both copies share one UV).
    single_x = np.array([np.count_nonzero(s.grid_x == x) == 1 for x in s.grid_x])
    single_y = np.array([np.count_nonzero(s.grid_y == y) == 1 for y in s.grid_y])
    jj, ii = np.nonzero(single_y[:, None] & single_x[None, :])
    idx = jj * len(s.grid_x) + ii
    assert np.abs(s.uv_to_world(s.uv[idx]) - s.vertices[idx]).max() < 1e-4
    # A point inside a triangle (in UV) maps onto that triangle's plane, at the same barycentric weights.
    rng = np.random.default_rng(2)
    faces = s.faces[rng.integers(0, len(s.faces), 3000)]
    uvf = s.uv[faces].astype(np.float64)
    e1, e2 = uvf[:, 1] - uvf[:, 0], uvf[:, 2] - uvf[:, 0]
    faces = faces[np.abs(e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]) > 1e-12]
    w = rng.dirichlet([1, 1, 1], len(faces)) * 0.98 + 0.02 / 3
    uv = np.einsum("fk,fkd->fd", w, s.uv[faces].astype(np.float64))
    expect = np.einsum("fk,fkd->fd", w, s.vertices[faces].astype(np.float64))
    assert np.abs(s.uv_to_world(uv) - expect).max() < 1e-3


def test_normals_are_unit_and_sharp_across_a_fold():
    s = _sheet(Fold(pattern="half", angle_deg=100), cell_mm=2.0)
    assert np.allclose(np.linalg.norm(s.normals, axis=1), 1.0, atol=1e-5)
    cols = np.flatnonzero(np.isclose(s.grid_x, W / 2))
    row = len(s.grid_y) // 2
    left, right = s.normals[row * len(s.grid_x) + cols[0]], s.normals[row * len(s.grid_x) + cols[1]]
    assert np.degrees(np.arccos(np.clip(left @ right, -1, 1))) == pytest.approx(80.0, abs=1.0)


def test_a_folds_panels_are_mirror_images_cell_for_cell():
    """Each stretch between creases is divided evenly, so the grid is its own mirror about each crease, and the cells
    a fold turns over (once) are split along the other diagonal: a closed flap lies over the panel triangle on
    triangle."""
    s = _sheet(Fold(pattern="letter", angle_deg=30), cell_mm=2.3)
    for c in (W / 3, 2 * W / 3):
        side = s.grid_x[s.grid_x <= c + 1e-9]
        mirror = 2 * c - side[side >= 2 * c - W / 3 - 1e-9]
        assert np.isin(np.round(mirror, 6), np.round(s.grid_x, 6)).all()
    centre = (s.grid_x[:-1] + s.grid_x[1:]) / 2
    assert (s.flip == ((centre < W / 3) | (centre > 2 * W / 3))[None, :]).all()
    assert _sheet(cell_mm=2.3).flip is None


def test_normals_agree_with_the_triangles_drawn():
    """The vertex normals are the area-weighted normals of the sheet's own faces, cells split either way (the
    zero-width strips that join a crease's two copies left out, so the crease shades sharply)."""
    s = _sheet(Fold(pattern="quarter", angle_deg=120), Wrinkles(amplitude_mm=2.0, scale_mm=30.0), cell_mm=3.0)
    v = s.vertices.astype(np.float64)
    faces = s.faces[_face_areas(s.flat_vertices.astype(np.float64), s.faces) > 1e-9]
    tri = v[faces]
    area_normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    n = np.zeros_like(v)
    for k in range(3):
        np.add.at(n, faces[:, k], area_normal)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    assert np.abs(n - s.normals).max() < 1e-4


def test_to_trimesh_keeps_every_vertex():
    s = _sheet(Fold(pattern="half", angle_deg=150))
    mesh = s.to_trimesh()
    assert len(mesh.vertices) == len(s.vertices) and len(mesh.faces) == len(s.faces)


def test_same_seed_same_sheet_and_another_seed_differs():
    defs = (CreaseLines(count=4), DogEar(), Wrinkles())
    a, b, c = _sheet(*defs, seed=7), _sheet(*defs, seed=7), _sheet(*defs, seed=8)
    assert a.vertices.tobytes() == b.vertices.tobytes() and a.creases == b.creases
    assert a.vertices.tobytes() != c.vertices.tobytes()


def _random_spec(rng: np.random.Generator) -> SheetSpec:
    """A draw from sensible preset-like ranges."""
    defs = []
    if rng.uniform() < 0.5:
        defs.append(CreaseLines(count=int(rng.integers(0, 30)), depth_mm=float(rng.uniform(0, 2)),
                                length_mm=float(rng.uniform(40, 300)), axis_bias=float(rng.uniform(0, 1))))
    if rng.uniform() < 0.4:
        defs.append(DogEar(corner=str(rng.choice(["top_left", "top_right", "bottom_left", "bottom_right"])),
                           size_mm=float(rng.uniform(10, 40)), angle_deg=float(rng.uniform(5, 170))))
    if rng.uniform() < 0.7:
        defs.append(Fold(pattern=str(rng.choice(["half", "letter", "quarter"])), angle_deg=float(rng.uniform(3, 180)),
                         creases=str(rng.choice(["vertical", "horizontal"])),
                         direction=str(rng.choice(["valley", "mountain"])), flap_side=str(rng.choice(["low", "high"]))))
    if rng.uniform() < 0.5:
        defs.append(Curl(edge=str(rng.choice(["left", "right", "top", "bottom", "whole"])),
                         radius_mm=float(rng.uniform(40, 400)), length_mm=float(rng.uniform(0, 60)),
                         arch=bool(rng.uniform() < 0.5)))
    if rng.uniform() < 0.6:
        defs.append(Wrinkles(amplitude_mm=float(rng.uniform(0, 3)), scale_mm=float(rng.uniform(20, 150)),
                             ridged=float(rng.uniform(0, 1))))
    return SheetSpec(width_mm=float(rng.uniform(150, 300)), height_mm=float(rng.uniform(100, 300)), cell_mm=2.5,
                     deformations=tuple(defs))


def test_random_sheets_rest_on_the_table():
    rng = np.random.default_rng(11)
    for k in range(16):
        spec = _random_spec(rng)
        s = build_sheet(spec, np.random.default_rng(k))
        z = s.vertices[:, 2]
        assert z.min() == pytest.approx(0.0, abs=1e-4), spec
        assert np.isfinite(s.vertices).all() and np.isfinite(s.normals).all()


@pytest.mark.parametrize("data, key", [
    ({"width_mm": 0}, "sheet.width_mm"),
    ({"height_mm": -3}, "sheet.height_mm"),
    ({"cell_mm": 0.01}, "sheet.cell_mm"),
    ({"cell_mm": 0.2, "width_mm": 2000, "height_mm": 2000}, "sheet.cell_mm"),
    ({"thickness_mm": 0}, "sheet.thickness_mm"),
    ({"tolerance_px": -0.5}, "sheet.tolerance_px"),
    ({"deformations": [{"kind": "fold", "angle_deg": 190}]}, "sheet.deformations[0].angle_deg"),
    ({"deformations": [{"kind": "fold", "angle_deg": 0}]}, "sheet.deformations[0].angle_deg"),
    ({"deformations": [{"kind": "fold", "pattern": "origami"}]}, "sheet.deformations[0].pattern"),
    ({"deformations": [{"kind": "dog_ear", "size_mm": 0}]}, "sheet.deformations[0].size_mm"),
    ({"deformations": [{"kind": "curl", "radius_mm": 10, "length_mm": 100}]}, "sheet.deformations[0].length_mm"),
    ({"deformations": [{"kind": "wrinkles", "octaves": 0}]}, "sheet.deformations[0].octaves"),
    ({"deformations": [{"kind": "crease_lines", "count": -1}]}, "sheet.deformations[0].count"),
    ({"deformations": [{"kind": "crumple"}]}, "sheet.deformations[0].kind"),
    ({"deformations": [{"kind": "wrinkles"}, {"kind": "fold"}]}, "sheet.deformations[1]"),
    ({"deformations": [{"kind": "fold"}, {"kind": "fold"}]}, "sheet.deformations[1]"),
    ({"deformations": [{"kind": "fold"}, {"kind": "dog_ear"}]}, "sheet.deformations[1]"),
    ({"deformations": [{"kind": "fold"}, {"kind": "crease_lines"}]}, "sheet.deformations[1]"),
])
def test_bad_parameters_name_the_key(data, key):
    with pytest.raises(InputError) as err:
        params.from_dict(SheetSpec, data, "sheet")
    message = str(err.value)
    assert message.startswith(key) and "\n" not in message


def test_spec_round_trips_through_a_dict():
    spec = SheetSpec(deformations=(CreaseLines(), DogEar(corner="bottom_left"), Fold(pattern="letter"), Curl(),
                                   Wrinkles()))
    assert params.from_dict(SheetSpec, params.to_dict(spec)) == spec
