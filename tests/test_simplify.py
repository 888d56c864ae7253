"""Sheet simplification (simulator/simplify.py): fewer triangles where the sheet is smooth, no cracks, every fine
vertex within the tolerance, creases kept, and ground truth still exact for the triangles drawn (llvmpipe)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from simulator.background import Background
from simulator.camera import Camera, project_points
from simulator.deform import CreaseLines, Curl, DogEar, Fold, Wrinkles
from simulator.gl_context import create_context
from simulator.layout import PageSpec, plan_page
from simulator.lighting import Light, Lighting
from simulator.page import render_page
from simulator.records import load_record
from simulator.renderer import PageTextures, Renderer
from simulator.sheet import SheetSpec, build_sheet
from simulator.simplify import SimplifiedSheet, simplify_sheet
from tests.render_scenes import uv_at

W, H = 279.4, 215.9
THICKNESS = 0.1
GENTLE = (Curl(edge="right", radius_mm=150.0, length_mm=60.0), Wrinkles(amplitude_mm=0.6, scale_mm=90.0))
CAMERA = Camera(width_px=1280, height_px=960, target=(W / 2, H / 2, 0.0), distance_mm=260.0, tilt_deg=15.0,
                azimuth_deg=-70.0, dist=(-0.05, 0.01, 0.0, 0.0, 0.0))


def _sheet(*deformations, seed: int = 0):
    return build_sheet(SheetSpec(width_mm=W, height_mm=H, cell_mm=2.0, deformations=tuple(deformations)),
                       np.random.default_rng(seed))


def _edge_counts(faces: np.ndarray) -> dict[tuple[int, int], int]:
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    keys, counts = np.unique(edges, axis=0, return_counts=True)
    return {tuple(k): int(c) for k, c in zip(keys, counts)}


def _signed_areas(xy: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = xy[faces[:, 0]], xy[faces[:, 1]], xy[faces[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0]))


def test_a_gently_bent_sheet_loses_most_triangles_and_every_fine_vertex_stays_within_tolerance():
    fine = _sheet(*GENTLE)
    coarse = simplify_sheet(fine, CAMERA, 0.5, THICKNESS)
    assert isinstance(coarse, SimplifiedSheet)
    assert len(coarse.faces) < 0.5 * len(fine.faces)
    # the simplified surface passes within half the paper's thickness (the cap on 0.5 px here) of every fine vertex
    away = np.linalg.norm(coarse.uv_to_world(fine.uv) - fine.vertices, axis=1)
    assert away.max() <= THICKNESS / 2 + 1e-5
    # its vertices are fine vertices, unmoved, with the fine mesh's normals
    keep = np.flatnonzero(np.isin(fine.uv.view("f4,f4").ravel(), coarse.uv.view("f4,f4").ravel()))
    assert len(keep) == len(coarse.vertices)
    assert np.array_equal(np.sort(fine.vertices[keep], axis=0), np.sort(coarse.vertices, axis=0))
    assert coarse.ao is not None and len(coarse.ao) == len(coarse.vertices)


def test_the_simplified_mesh_has_no_cracks_and_keeps_the_faces_winding():
    coarse = simplify_sheet(_sheet(*GENTLE), CAMERA, 0.5, THICKNESS)
    counts = _edge_counts(coarse.faces)
    assert max(counts.values()) == 2
    xy = coarse.flat_xy
    on_border = lambda v: np.isclose(xy[v, 0], 0) | np.isclose(xy[v, 0], W) | np.isclose(xy[v, 1], 0) | \
        np.isclose(xy[v, 1], H)  # noqa: E731
    open_edges = np.array([e for e, c in counts.items() if c == 1])
    assert (on_border(open_edges[:, 0]) & on_border(open_edges[:, 1])).all()  # no T-junction opens a crack inside
    areas = _signed_areas(coarse.flat_vertices.astype(np.float64), coarse.faces)
    assert (areas > 0).all() and areas.sum() == pytest.approx(W * H, rel=1e-6)


def test_fold_creases_stay_sharp_and_a_uv_on_a_crease_takes_the_side_after_it():
    fine = _sheet(Fold(pattern="letter", creases="vertical", angle_deg=150.0), Wrinkles(amplitude_mm=0.4))
    coarse = simplify_sheet(fine, CAMERA, 0.5, THICKNESS)
    assert len(coarse.faces) < 0.6 * len(fine.faces)
    for x in (W / 3, 2 * W / 3):
        on = np.isclose(coarse.flat_xy[:, 0], x)
        normals = coarse.normals[on]
        assert len(np.unique(np.round(normals[:, 0], 3))) >= 2  # both copies, each with its own side's normal
    uv = np.c_[np.full(50, 1 / 3), np.linspace(0.01, 0.99, 50)]
    assert np.abs(coarse.uv_to_world(uv) - fine.uv_to_world(uv)).max() <= THICKNESS / 2 + 1e-5


@pytest.mark.parametrize("deformations", [
    (CreaseLines(count=3, depth_mm=0.8), *GENTLE),
    (DogEar(corner="top_right", size_mm=30.0), *GENTLE),
])
def test_creases_and_dog_ears_keep_their_fine_cells_and_stay_within_tolerance(deformations):
    fine = _sheet(*deformations, seed=4)
    coarse = simplify_sheet(fine, CAMERA, 0.5, THICKNESS)
    assert len(coarse.faces) < len(fine.faces)
    assert np.linalg.norm(coarse.uv_to_world(fine.uv) - fine.vertices, axis=1).max() <= THICKNESS / 2 + 1e-5
    assert max(_edge_counts(coarse.faces).values()) == 2


def _random_case(k: int):
    """A sheet of random size, mesh spacing and deformations, and a random camera (either projection, a lens)."""
    rng = np.random.default_rng(k)
    w, h = float(rng.uniform(20, 400)), float(rng.uniform(20, 400))
    deformations = []
    if rng.random() < 0.4:
        deformations.append(Fold(pattern=str(rng.choice(["half", "letter", "quarter"])),
                                 angle_deg=float(rng.uniform(100, 180))))
    if rng.random() < 0.3:
        deformations.append(CreaseLines(count=int(rng.integers(1, 4))))
    if rng.random() < 0.3 and min(w, h) > 60:
        deformations.append(DogEar(size_mm=20.0))
    if rng.random() < 0.5:
        deformations.append(Wrinkles(amplitude_mm=float(rng.uniform(0.1, 1.0))))
    spec = SheetSpec(width_mm=w, height_mm=h, cell_mm=float(rng.choice([0.7, 1.5, 3.0, 6.0])),
                     deformations=tuple(deformations))
    cam = Camera(width_px=int(rng.integers(200, 2400)), height_px=int(rng.integers(200, 1800)),
                 projection=str(rng.choice(["perspective", "orthographic"])), target=(w / 2, h / 2, 0.0),
                 distance_mm=float(rng.uniform(1.0, 2.0) * max(w, h)), tilt_deg=float(rng.uniform(0, 40)),
                 dist=(float(rng.uniform(-0.08, 0.06)), 0.0, 0.0, 0.0, 0.0))
    gap = float(rng.choice([THICKNESS, np.inf]))
    return build_sheet(spec, rng), cam, float(rng.choice([0.1, 0.5, 1.5])), gap


@pytest.mark.parametrize("k", range(12))
def test_random_sheets_and_cameras_keep_every_guarantee(k):
    fine, cam, tol, gap = _random_case(k)
    coarse = simplify_sheet(fine, cam, tol, gap)
    assert len(coarse.faces) <= len(fine.faces)
    assert max(_edge_counts(coarse.faces).values()) <= 2
    # off the duplicated crease lines (whose first copy a UV cannot name), every fine vertex lies on the drawn
    # surface: within half the layers' gap, and within the tolerance where the camera sees it
    single_x = np.array([np.count_nonzero(fine.grid_x == x) == 1 for x in fine.grid_x])
    single_y = np.array([np.count_nonzero(fine.grid_y == y) == 1 for y in fine.grid_y])
    single = (single_y[:, None] & single_x[None, :]).ravel()
    drawn = coarse.uv_to_world(fine.uv[single])
    assert np.linalg.norm(drawn - fine.vertices[single], axis=1).max() <= gap / 2 + 1e-5
    moved = np.linalg.norm(project_points(cam, drawn)[0] - project_points(cam, fine.vertices[single])[0], axis=1)
    assert moved.max() <= tol * 1.01


def test_only_flaps_over_the_page_cap_the_tolerance_at_half_the_paper_thickness():
    spec = SheetSpec(thickness_mm=0.12)
    assert spec.layer_gap_mm() == np.inf
    assert dataclasses.replace(spec, deformations=(Fold(angle_deg=170.0), Wrinkles())).layer_gap_mm() == np.inf
    assert dataclasses.replace(spec, deformations=(Fold(angle_deg=40.0),)).layer_gap_mm() == 0.12
    assert dataclasses.replace(spec, deformations=(DogEar(), Curl())).layer_gap_mm() == 0.12


def test_no_tolerance_keeps_the_sheet_and_the_result_is_deterministic():
    fine = _sheet(*GENTLE)
    assert simplify_sheet(fine, CAMERA, 0.0, THICKNESS) is fine
    a, b = simplify_sheet(fine, CAMERA, 0.5, THICKNESS), simplify_sheet(fine, CAMERA, 0.5, THICKNESS)
    assert np.array_equal(a.faces, b.faces) and np.array_equal(a.vertices, b.vertices)


@pytest.fixture(scope="module")
def rendering():
    layout = plan_page(load_record("assets/records/ptbxl/00001_lr"), PageSpec(dpi=100))
    image = render_page(layout)
    return Renderer(create_context()), PageTextures(image.rgb, image.masks), (layout.width_mm, layout.height_mm)


@pytest.mark.parametrize("dist", [(-0.08, 0.02, 0.0, 0.0, 0.0), (0.06, 0.0, 0.002, -0.002, 0.0)])
def test_the_drawn_simplified_sheet_puts_every_point_where_its_ground_truth_says(rendering, dist):
    """Reading the rendered UV layer at the pixel where ``uv_to_world`` + ``project_points`` put a page point returns
    that point's UV, to a small fraction of a pixel, under strong lenses: large merged cells are drawn straight
    between distorted vertices, and the simplification keeps them small enough that this does not show."""
    renderer, textures, size = rendering
    fine = build_sheet(SheetSpec(width_mm=size[0], height_mm=size[1], cell_mm=2.0, deformations=GENTLE),
                       np.random.default_rng(0))
    cam = dataclasses.replace(CAMERA, target=(size[0] / 2, size[1] / 2, 0.0), distance_mm=300.0, dist=dist)
    coarse = simplify_sheet(fine, cam, 0.5, THICKNESS)
    assert len(coarse.faces) < 0.5 * len(fine.faces)
    uv_layer = renderer.render(coarse, textures, cam, Lighting(), Background(), passes={"uv"})["uv"]
    uv_points = np.random.default_rng(1).uniform(0.02, 0.98, (4000, 2))
    xy, _ = project_points(cam, coarse.uv_to_world(uv_points))
    inside, uv = uv_at(uv_layer, xy)
    on_sheet = (uv >= 0).all(axis=1)
    assert inside.sum() > 2000 and on_sheet.mean() > 0.99
    error_mm = np.abs((uv[on_sheet] - uv_points[inside][on_sheet]) * size).max(axis=1)
    px_per_mm = cam.fx / 300.0
    assert np.percentile(error_mm * px_per_mm, 99) < 0.1, dist


def test_the_simplified_sheet_is_shaded_like_the_full_one(rendering):
    """A blank page under a low, grazing lamp shows nothing but the sheet's shading (wrinkles, curl, creases): the
    simplified mesh, whose normals and ambient occlusion stay within 0.6° and 0.01 of the fine mesh's, shades it
    within 1% almost everywhere."""
    renderer, textures, size = rendering
    blank = PageTextures(np.full_like(textures.rgb, 240), {k: np.zeros_like(v) for k, v in textures.masks.items()})
    fine = build_sheet(SheetSpec(width_mm=size[0], height_mm=size[1], cell_mm=2.0,
                                 deformations=(CreaseLines(count=2, depth_mm=0.6), *GENTLE)), np.random.default_rng(3))
    cam = dataclasses.replace(CAMERA, target=(size[0] / 2, size[1] / 2, 0.0))
    coarse = simplify_sheet(fine, cam, 0.5, THICKNESS)
    assert len(coarse.faces) < 0.5 * len(fine.faces)
    lamp = Lighting(lights=(Light(kind="point", position=(-500.0, 120.0, 250.0), target=(140.0, 108.0, 0.0),
                                  size_mm=30.0),), ao_strength=0.7)
    a, b = (renderer.render(s, blank, cam, lamp, Background(), passes={"rgb", "object"}) for s in (fine, coarse))
    assert (a["object"] == b["object"]).mean() > 0.9999
    on_sheet = (a["object"] == 2) & (b["object"] == 2)
    relative = (np.abs(a["rgb"] - b["rgb"]).max(axis=2) / (a["rgb"].max(axis=2) + 0.05))[on_sheet]
    assert np.median(relative) < 0.003 and np.percentile(relative, 99) < 0.01

