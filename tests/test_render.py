"""Rendered frames against their ground truth, on a real record (PTB-XL 00001) and the real sheet mesh (llvmpipe).

Every check compares two things computed independently: samples projected on the CPU through mesh, camera and lens,
against pixels rasterised by OpenGL with the lens applied to the vertices (lens.glsl).
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from simulator import background, post
from simulator.camera import project_points
from simulator.coords import mm_to_px
from simulator.deform import CreaseLines, Curl, DogEar, Fold, Wrinkles
from simulator.gl_context import create_context
from simulator.layout import PageSpec, plan_page
from simulator.occluders import Occluder
from simulator.page import render_page
from simulator.project import project_samples
from simulator.records import load_record
from simulator.renderer import FOOTPRINT_TAPS_FROM, PageTextures, Renderer, typical_texels_per_pixel
from simulator.sheet import SheetSpec, build_sheet
from tests.render_scenes import background_preset, camera_preset, lighting_preset, post_preset, uv_at

DPI = 100
PHOTO_SIZE = (1200, 900)
GT = {"uv", "depth", "object", "mask_trace"}
DEFORMATIONS = {
    "scanner": (),
    "phone_photo": (Curl(edge="right", radius_mm=80.0, length_mm=50.0),),
    "folded_letter": (Fold(pattern="letter", creases="horizontal", angle_deg=155.0),),
    "crumpled": (CreaseLines(count=12, depth_mm=1.5), Wrinkles(amplitude_mm=1.5, scale_mm=40.0)),
}


@pytest.fixture(scope="module")
def renderer():
    return Renderer(create_context())


@pytest.fixture(scope="module")
def page():
    layout = plan_page(load_record("assets/records/ptbxl/00001_lr"), PageSpec(dpi=DPI, trace_width_mm=0.45))
    image = render_page(layout)
    uvs = [layout.sample_xy_mm(t) / [layout.width_mm, layout.height_mm] for t in layout.traces]
    return layout, PageTextures(image.rgb, image.masks), uvs


def scene(name: str, seed: int, size_mm, deformations=None, occluders=None):
    gen = np.random.default_rng(seed)
    sheet = build_sheet(SheetSpec(width_mm=size_mm[0], height_mm=size_mm[1], cell_mm=3.0,
                                  deformations=DEFORMATIONS[name] if deformations is None else deformations), gen)
    cam = camera_preset(name, gen, size_mm, image_size=PHOTO_SIZE, scan_dpi=DPI)
    light = lighting_preset(name, gen, (size_mm[0] / 2, size_mm[1] / 2))
    bg = background_preset(name, gen, size_mm)
    if occluders is not None:
        bg = background.Background(table=bg.table, color=bg.color, seed=bg.seed, occluders=occluders)
    return sheet, cam, light, bg, post_preset(name, gen), gen


def project_all(sheet, cam, uvs, layers, size_mm):
    out = [project_samples(sheet, cam, uv, layers, size_mm) for uv in uvs]
    return [o[0] for o in out], [o[1] for o in out]


@pytest.mark.parametrize("name", list(DEFORMATIONS))
def test_visible_samples_land_on_dark_trace_pixels(renderer, page, name):
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, fx, gen = scene(name, 11, size)
    layers = renderer.render(sheet, textures, cam, light, bg, passes={"rgb"} | GT)
    photo = post.apply_post(layers, fx, gen)
    lum = photo.astype(np.float32).mean(axis=2)
    paper = cv2.dilate(lum, np.ones((15, 15), np.uint8))  # local paper brightness
    xys, vis = project_all(sheet, cam, uvs, layers, size)
    on_mask, dark, n_visible, n_total = [], [], 0, 0
    for lead, (xy, v) in enumerate(zip(xys, vis)):
        col, row = xy[v, 0].astype(int), xy[v, 1].astype(int)
        on_mask.append(layers["mask_trace"][row, col] == lead + 1)
        dark.append(lum[row, col] < 0.75 * paper[row, col])
        n_visible += v.sum()
        n_total += np.isfinite(xy[:, 0]).sum()
    assert n_visible > 0.5 * n_total, f"{name}: only {n_visible} of {n_total} samples visible"
    assert np.concatenate(on_mask).mean() >= 0.9
    assert np.concatenate(dark).mean() >= 0.9, f"{name}: {np.concatenate(dark).mean():.3f} on dark pixels"


def test_flat_sheet_under_orthographic_camera_is_the_flat_page(renderer, page):
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("scanner", 0, size)
    cam = cam.__class__(**{**cam.__dict__, "roll_deg": 0.0})
    layers = renderer.render(sheet, textures, cam, light, bg, passes=GT | {"mask_grid", "normal", "sheet"})
    assert layers["mask_trace"].shape == textures.masks["trace"].shape
    assert layers["sheet"].all() and np.allclose(layers["normal"], [0.0, 0.0, 1.0], atol=1e-3)
    for uv, trace in zip(uvs, layout.traces):
        xy, visible = project_samples(sheet, cam, uv, layers, size)
        expected = mm_to_px(layout.sample_xy_mm(trace), DPI)
        ok = np.isfinite(expected[:, 0])
        assert np.abs(xy[ok] - expected[ok]).max() < 0.5
        assert visible[ok].all()
    assert (layers["mask_trace"] == textures.masks["trace"]).mean() > 0.999
    assert (layers["mask_grid"] == textures.masks["grid"]).mean() > 0.999
    h, w = layers["uv"].shape[:2]
    centres = (np.arange(w) + 0.5) / w
    assert np.abs(layers["uv"][h // 2, :, 0] - centres).max() < 0.5 / w


def test_a_low_resolution_scan_averages_each_pixels_footprint_like_a_sensor(renderer):
    """A sensor pixel integrates the page over its footprint (a box): a flat page scanned at 72 dpi from a 200 dpi
    texture matches the texture area-averaged to 72 dpi. One trilinear lookup per pixel was wider than that box:
    the trace kept 87 % of its darkest pixels' darkness and the frame differed from the box by 0.032 on average
    (0.97 and 0.011 with the 2x2 footprint taps)."""
    layout = plan_page(load_record("assets/records/ptbxl/00001_lr"), PageSpec(dpi=200, trace_width_mm=0.3))
    image = render_page(layout)
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("scanner", 0, size)
    cam = camera_preset("scanner", np.random.default_rng(0), size, scan_dpi=72)
    cam = dataclasses.replace(cam, roll_deg=0.0)
    lum = renderer.render(sheet, PageTextures(image.rgb, image.masks), cam, light, bg, passes={"rgb"},
                          msaa=1)["rgb"].mean(axis=2)
    linear = ((image.rgb.astype(np.float32) / 255.0) ** 2.2).mean(axis=2)
    box = cv2.resize(linear, lum.shape[::-1], interpolation=cv2.INTER_AREA)
    rendered, expected = (1.0 - a / np.percentile(a, 90) for a in (lum, box))   # darkness against the paper
    trace = cv2.resize(image.masks["trace"].astype(np.float32), lum.shape[::-1], interpolation=cv2.INTER_AREA) > 0
    assert np.percentile(rendered[trace], 90) > 0.93 * np.percentile(expected[trace], 90)
    assert np.abs(rendered - expected).mean() < 0.02


@pytest.mark.parametrize("dpi", [72, 100, 200])
def test_the_typical_minification_is_the_page_texels_per_frame_pixel(dpi):
    """It decides whether the colour pass reads each pixel's footprint at 2x2 points: a 200 dpi page scanned flat at
    ``dpi`` spans 200 / dpi texels a pixel, from a sample of the sheet's triangles."""
    size = (279.4, 215.9)
    sheet = build_sheet(SheetSpec(width_mm=size[0], height_mm=size[1], cell_mm=3.0), np.random.default_rng(0))
    cam = dataclasses.replace(camera_preset("scanner", np.random.default_rng(0), size, scan_dpi=dpi), roll_deg=0.0)
    texture = (round(size[1] * 200 / 25.4), round(size[0] * 200 / 25.4), 3)
    assert typical_texels_per_pixel(sheet, cam, texture) == pytest.approx(200 / dpi, rel=0.01)
    assert (typical_texels_per_pixel(sheet, cam, texture) > FOOTPRINT_TAPS_FROM) == (dpi < 200)


def test_the_lens_puts_every_point_where_the_camera_model_does(renderer, page):
    """The vertex shader bends the image with the camera's Brown–Conrady coefficients: reading the UV layer at the
    pixel ``project_points`` gives for a page point returns that point's UV, to a small fraction of a pixel, over the
    whole frame (barrel, pincushion, and tangential terms)."""
    import dataclasses
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("phone_photo", 3, size, deformations=())
    gen = np.random.default_rng(0)
    page_mm = gen.uniform([5.0, 5.0], [size[0] - 5.0, size[1] - 5.0], (4000, 2))
    for dist in ((-0.08, 0.02, 0.0, 0.0, 0.0), (0.06, 0.0, 0.002, -0.002, 0.0)):
        lensed = dataclasses.replace(cam, tilt_deg=20.0, roll_deg=4.0, distance_mm=300.0, dist=dist)
        uv_layer = renderer.render(sheet, textures, lensed, light, bg, passes={"uv"})["uv"]
        xy, _ = project_points(lensed, np.c_[page_mm[:, 0], size[1] - page_mm[:, 1], np.zeros(len(page_mm))])
        inside, uv = uv_at(uv_layer, xy)
        on_sheet = (uv >= 0).all(axis=1)
        assert inside.sum() > 2000 and on_sheet.mean() > 0.99
        error_mm = np.abs(uv[on_sheet] * size - page_mm[inside][on_sheet]).max(axis=1)
        px_per_mm = cam.fx / 300.0
        assert np.percentile(error_mm * px_per_mm, 99) < 0.1, dist


def test_the_table_fills_a_strongly_distorted_tilted_frame_where_the_lens_puts_it(renderer, page):
    """Only vertices are bent, and the polynomial folds back far outside the frame: the far-field scale must keep the
    table covering every pixel the sheet leaves, and its grid must put each table point where the camera model does
    (a shadow on the table is placed by the table's own positions), checked through the depth layer."""
    import dataclasses

    from simulator.camera import camera_space, normalized_coords
    from simulator.lens import lens_limit
    from simulator.table import TABLE_Z_MM
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("phone_photo", 5, size)
    points = np.random.default_rng(1).uniform([-150.0, -150.0], [size[0] + 150, size[1] + 150], (20000, 2))
    points = np.c_[points, np.full(len(points), TABLE_Z_MM)]
    for dist in ((-0.08, -0.02, 0.0, 0.0, 0.0), (0.08, 0.02, 0.0, 0.0, 0.0)):
        lensed = dataclasses.replace(cam, tilt_deg=35.0, distance_mm=250.0, dist=dist)
        layers = renderer.render(sheet, textures, lensed, light, bg, passes={"object", "depth"})
        obj, depth = layers["object"], layers["depth"]
        assert (obj > 0).all(), f"{dist}: {np.count_nonzero(obj == 0)} empty pixels"
        assert (obj == 2).mean() > 0.2
        xy, z = project_points(lensed, points)
        # points the polynomial folds back into the frame from far outside it are not seen by a real lens
        seen = (z > 0) & (np.hypot(*normalized_coords(lensed, camera_space(lensed, points)).T) < lens_limit(lensed))
        h, w = obj.shape
        i, j = np.floor(xy[:, 1]).astype(int), np.floor(xy[:, 0]).astype(int)
        inside = seen & (i >= 1) & (i < h - 1) & (j >= 1) & (j < w - 1)
        i, j, z = i[inside], j[inside], z[inside]
        table = (obj[i, j] == 1) & (obj[i - 1, j] == 1) & (obj[i + 1, j] == 1)  # away from the sheet's edge
        assert table.sum() > 500
        # depth varies across a pixel: compare with the nearest of the pixel and its neighbours above and below
        near = np.min([np.abs(depth[i + d, j] - z) for d in (-1, 0, 1)], axis=0)[table]
        assert np.percentile(near, 99) < 0.15, f"{dist}: table depth off by {np.percentile(near, 99):.3f} mm"


@pytest.mark.parametrize("change", [
    dict(width_px=320, height_px=240, tilt_deg=30.0, dist=(-0.04, 0.0, 0.0, 0.0, 0.0)),  # a small, distorted frame
    dict(width_px=640, height_px=480, focal_mm=1000.0, distance_mm=12000.0, tilt_deg=20.0),  # 12 m away
])
def test_the_table_never_shows_through_the_sheet(renderer, page, change):
    """The paper lies 0.25 mm above the table. A small frame's table cells are drawn pixels away from where the lens
    puts their inside (1 367 pixels inside this sheet showed table), and 12 m away one depth step is more than
    0.25 mm (14 434): the table is drawn deeper along its own view rays (scene.vert), so no pixel inside the sheet's
    outline shows it."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("phone_photo", 64, size, deformations=(), occluders=())
    cam = dataclasses.replace(cam, **change)
    obj = renderer.render(sheet, textures, cam, light, bg, passes={"object"})["object"]
    xy, _ = project_points(cam, sheet.outline().astype(np.float64))
    inside = np.zeros(obj.shape, np.uint8)
    cv2.fillPoly(inside, [np.round(xy * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    inside = cv2.erode(inside, np.ones((5, 5), np.uint8), borderValue=0) > 0
    assert inside.mean() > 0.2 and (obj == 1).any()
    assert np.count_nonzero(inside & (obj == 1)) == 0


@pytest.mark.parametrize("size, k1", [((320, 240), -0.06), ((320, 240), 0.04), ((1600, 1200), -0.06)])
def test_table_cells_in_the_frame_are_drawn_near_where_the_lens_puts_them(page, size, k1):
    """The table's grid is fine enough that a point inside a cell in the frame (an edge's middle, drawn straight and
    perspective-correct between the distorted corners) lies within about ``STRAY_PX`` of where the lens puts it:
    the depth push assumes that (with ~80 px cells everywhere, these 320 px frames' cells strayed by 11 and 16 px)."""
    from simulator.camera import camera_space, normalized_coords
    from simulator.lens import lens_limit
    from simulator.table import STRAY_PX, TABLE_Z_MM, grid_lines
    layout, _, _ = page
    _, cam, _, _, _, _ = scene("phone_photo", 64, (layout.width_mm, layout.height_mm), deformations=())
    cam = dataclasses.replace(cam, width_px=size[0], height_px=size[1], tilt_deg=35.0, dist=(k1, 0.0, 0.0, 0.0, 0.0))
    xs, ys = grid_lines(cam, np.array([140.0, 108.0]), 600.0)
    grid = np.stack([*np.meshgrid(xs, ys), np.full((len(ys), len(xs)), TABLE_Z_MM)], axis=-1)
    xy, z = project_points(cam, grid.reshape(-1, 3))
    xy, z = xy.reshape(*grid.shape[:2], 2), z.reshape(grid.shape[:2])
    worst = 0.0
    for a, b in (((slice(None), slice(0, -1)), (slice(None), slice(1, None))),  # along x, along y, the diagonal
                 ((slice(0, -1), slice(None)), (slice(1, None), slice(None))),
                 ((slice(0, -1), slice(1, None)), (slice(1, None), slice(0, -1)))):
        mid = (grid[a] + grid[b]) / 2.0
        exact, _ = project_points(cam, mid.reshape(-1, 3))
        exact = exact.reshape(*mid.shape[:2], 2)
        wa, wb = 1.0 / z[a], 1.0 / z[b]  # the rasteriser's perspective-correct weights
        drawn = (xy[a] * wa[..., None] + xy[b] * wb[..., None]) / (wa + wb)[..., None]
        radius = np.hypot(*np.moveaxis(normalized_coords(cam, camera_space(cam, mid)), -1, 0))
        ok = (radius < lens_limit(cam)) & (z[a] > 0) & (z[b] > 0)
        ok &= (exact >= 0).all(axis=-1) & (exact < size).all(axis=-1)
        worst = max(worst, float(np.linalg.norm(drawn - exact, axis=-1)[ok].max()))
    assert 0.2 < worst < STRAY_PX + 1.0


@pytest.mark.parametrize("name", ["phone_photo", "folded_letter", "crumpled"])
def test_leaving_out_the_table_under_the_sheet_changes_nothing(renderer, page, monkeypatch, name):
    """The table's cells inside the sheet's projected outline are not drawn (a CPU rasteriser would shade them under
    multisampling): every layer must be what the whole table gives, and cells must actually be left out."""
    from simulator import table
    layout, textures, _ = page
    s = scene(name, 7, (layout.width_mm, layout.height_mm),
              occluders=(Occluder(kind="pen", x_mm=120.0, y_mm=90.0, z_mm=0.0),))
    passes = {"rgb", "uv", "depth", "object", "normal", "mask_trace"}
    hidden = []
    original = table.hidden_cells

    def spy(*args):
        out = original(*args)
        hidden.append(out.mean())
        return out

    monkeypatch.setattr(table, "hidden_cells", spy)
    culled = renderer.render(s[0], textures, *s[1:4], passes=passes)
    assert hidden[-1] > 0.05, f"only {hidden[-1]:.1%} of the table's cells left out"
    monkeypatch.setattr(table, "hidden_cells", lambda _c, _o, xs, ys: np.zeros((len(ys) - 1, len(xs) - 1), bool))
    whole = renderer.render(s[0], textures, *s[1:4], passes=passes)
    for layer in passes - {"rgb"}:
        assert np.array_equal(culled[layer], whole[layer]), layer
    assert np.abs(culled["rgb"] - whole["rgb"]).max() <= 1e-4 * whole["rgb"].max()


@pytest.mark.parametrize("width", [320, 512])
def test_a_small_frames_trace_mask_marks_every_visible_sample(renderer, page, width):
    """Minified, a mask pixel holds whatever page content reaches into its footprint, not just the texel under its
    centre (which missed 12-34% of the visible samples here: a trace mask full of gaps); the values stay
    labels (lead numbers, never blends), and the marked pixels are where the image is darker."""
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, fx, gen = scene("phone_photo", 11, size, occluders=())
    cam = dataclasses.replace(cam, width_px=width, height_px=width * 3 // 4)
    layers = renderer.render(sheet, textures, cam, light, bg, passes={"rgb", "uv", "depth", "object", "mask_trace"})
    trace = layers["mask_trace"]
    assert set(np.unique(trace)) <= set(np.unique(textures.masks["trace"]))
    hits = []
    for uv in uvs:
        xy, visible = project_samples(sheet, cam, uv, layers, size)
        row, col = np.floor(xy[visible, 1]).astype(int), np.floor(xy[visible, 0]).astype(int)
        front = layers["object"][row, col] == 2
        hits.append(trace[row[front], col[front]] > 0)
    assert np.concatenate(hits).mean() > 0.99
    lum = post.apply_post(layers, fx, gen).astype(np.float32).mean(axis=2)
    darker = cv2.dilate(lum, np.ones((7, 7), np.uint8)) - lum > 8  # than the paper around it
    assert darker[trace > 0].mean() > 0.8


def test_uv_pass_agrees_with_the_frame(renderer, page):
    """Looking up the page texture at each pixel's UV predicts that pixel's brightness, up to smooth lighting."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("phone_photo", 4, size)
    layers = renderer.render(sheet, textures, cam, light, bg, passes={"rgb", "uv", "object"}, msaa=1)
    interior = cv2.erode((layers["object"] == 2).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    uv = layers["uv"][interior]
    th, tw = textures.rgb.shape[:2]
    linear = ((textures.rgb.astype(np.float32) / 255.0) ** 2.2).mean(axis=2)
    # bilinear lookup, as the GPU's texture sampler does (texel centres at +0.5)
    x = np.clip(uv[:, 0] * tw - 0.5, 0, tw - 1.001)
    y = np.clip(uv[:, 1] * th - 0.5, 0, th - 1.001)
    i, j, a, b = y.astype(int), x.astype(int), y % 1, x % 1
    albedo = ((1 - a) * ((1 - b) * linear[i, j] + b * linear[i, j + 1])
              + a * ((1 - b) * linear[i + 1, j] + b * linear[i + 1, j + 1]))
    shade = layers["rgb"].mean(axis=2)
    lighting_field = cv2.dilate(shade, np.ones((21, 21), np.uint8))[interior]  # the paper's brightness nearby
    predicted = albedo / albedo.max() * lighting_field
    assert np.corrcoef(predicted, shade[interior])[0, 1] > 0.9


def test_fold_hides_the_samples_behind_it(renderer, page):
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    folded = (Fold(pattern="half", creases="vertical", angle_deg=3.0, direction="mountain", flap_side="high"),)
    sheet, cam, light, bg, _, _ = scene("scanner", 2, size, deformations=folded, occluders=())
    layers = renderer.render(sheet, textures, cam, light, bg, passes=GT)
    for uv in uvs:
        _, visible = project_samples(sheet, cam, uv, layers, size)
        x_mm = uv[:, 0] * size[0]
        front, behind = x_mm < size[0] / 2 - 3.0, x_mm > size[0] / 2 + 3.0
        assert not visible[behind].any()
        assert visible[front].mean() > 0.98 if front.any() else True
    # folded the other way, the flap covers the rest with its print toward the table: nothing printed is visible
    valley = (Fold(pattern="half", creases="vertical", angle_deg=3.0, direction="valley", flap_side="high"),)
    sheet, cam, light, bg, _, _ = scene("scanner", 2, size, deformations=valley, occluders=())
    layers = renderer.render(sheet, textures, cam, light, bg, passes=GT)
    assert not any(project_samples(sheet, cam, uv, layers, size)[1][np.abs(uv[:, 0] - 0.5) > 0.02].any()
                   for uv in uvs)


@pytest.mark.parametrize("name", ["phone_photo", "scanner"])  # perspective, orthographic
def test_a_sample_on_the_sheets_silhouette_is_seen_only_from_its_printed_side(renderer, page, name):
    """Where a sample's pixel centre just misses the sheet (it lies on the silhouette: the pixel shows the table far
    behind, as set here at every sample's pixel), it counts as visible only if a pixel beside it shows its part of
    the printed side, facing the camera: turned over, the sheet shows the camera its blank back, and no sample on it
    is visible; and with the pixels around it showing table too, its print is drawn nowhere near, so it is not
    visible either. (Before, every such sample counted as visible.)"""
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene(name, 3, size, deformations=(), occluders=())
    v = sheet.vertices.astype(np.float64)
    turned = dataclasses.replace(sheet, vertices=np.column_stack([v[:, 0], size[1] - v[:, 1], 2.0 - v[:, 2]]))
    uv = np.concatenate(uvs)[::53]  # a few pixels apart
    seen = []
    for mesh, spread in ((sheet, 0), (turned, 0), (sheet, 1)):
        layers = renderer.render(mesh, textures, cam, light, bg, passes={"uv", "depth", "object"})
        xy, _ = project_samples(mesh, cam, uv, layers, size)
        for dy in range(-spread, spread + 1):
            for dx in range(-spread, spread + 1):
                row, col = np.floor(xy[:, 1]).astype(int) + dy, np.floor(xy[:, 0]).astype(int) + dx
                layers["object"][row, col], layers["depth"][row, col] = 1, 1e4
        seen.append(project_samples(mesh, cam, uv, layers, size)[1])
    assert seen[0].mean() > 0.9 and not seen[1].any() and not seen[2].any()


def test_an_occluder_hides_samples_under_it(renderer, page):
    layout, textures, uvs = page
    size = (layout.width_mm, layout.height_mm)
    hand = Occluder(kind="hand", x_mm=60.0, y_mm=110.0, z_mm=2.0, color=(0.6, 0.42, 0.32))
    sheet, cam, light, bg, _, _ = scene("phone_photo", 5, size, deformations=(), occluders=(hand,))
    layers = renderer.render(sheet, textures, cam, light, bg, passes=GT)
    hidden_by_hand = 0
    for uv in uvs:
        xy, visible = project_samples(sheet, cam, uv, layers, size)
        inside = np.isfinite(xy[:, 0]) & (xy[:, 0] >= 0) & (xy[:, 0] < cam.width_px) & (xy[:, 1] >= 0) & \
            (xy[:, 1] < cam.height_px)
        col, row = xy[inside, 0].astype(int), xy[inside, 1].astype(int)
        under = layers["object"][row, col] == 3
        assert not visible[inside][under].any()
        hidden_by_hand += under.sum()
    assert hidden_by_hand > 50


def test_same_seed_gives_the_same_bytes(renderer, page):
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    frames = []
    for _ in range(2):
        sheet, cam, light, bg, fx, gen = scene("crumpled", 9, size)
        layers = renderer.render(sheet, textures, cam, light, bg, passes={"rgb", "depth", "mask_trace"})
        frames.append((post.apply_post(layers, fx, gen).tobytes(), layers["mask_trace"].tobytes()))
    assert frames[0] == frames[1]


def test_only_requested_passes_come_back(renderer, page):
    layout, textures, _ = page
    sheet, cam, light, bg, _, _ = scene("scanner", 1, (layout.width_mm, layout.height_mm))
    assert set(renderer.render(sheet, textures, cam, light, bg, passes={"uv"})) == {"uv"}
    with pytest.raises(ValueError, match="unknown render passes"):
        renderer.render(sheet, textures, cam, light, bg, passes={"albedo"})


def test_a_layer_is_the_same_whatever_else_is_asked_for(renderer, page):
    """Ground-truth targets nobody asked for are not written (nor cleared): a layer must not depend on which other
    layers the frame or the frames before it requested."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    a = scene("folded_letter", 3, size)
    b = scene("crumpled", 4, size, occluders=(Occluder(kind="pen", x_mm=90.0, y_mm=70.0),))
    everything = {"uv", "depth", "object", "normal", "mask_trace", "mask_grid", "sheet"}
    renderer.render(a[0], textures, *a[1:4], passes={"object"})  # leaves the other targets holding frame a
    full = renderer.render(b[0], textures, *b[1:4], passes=everything)
    drawn, sheet = full["object"] > 0, full["object"] == 2
    assert drawn.all() and sheet.mean() > 0.2 and (full["depth"][drawn] > 0).all()  # each layer holds this frame
    assert (full["uv"][sheet] >= 0).all() and (full["uv"][full["object"] == 1] == -1).all()
    assert full["normal"].dtype == np.float16  # the target's half floats, read as they are
    assert np.allclose(np.linalg.norm(full["normal"], axis=2), 1.0, atol=1e-2) and full["mask_grid"][sheet].any()
    for layer in sorted(everything):
        alone = renderer.render(b[0], textures, *b[1:4], passes={layer})
        assert np.array_equal(alone[layer], full[layer]), layer
    fresh = Renderer(renderer.ctx).render(b[0], textures, *b[1:4], passes=everything)
    assert all(np.array_equal(fresh[k], full[k]) for k in everything)


def test_reused_buffers_do_not_leak_between_frames(renderer, page):
    """A frame after a bigger mesh is the frame a fresh renderer makes (buffers are reused, counts are not)."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    big = scene("folded_letter", 3, size, occluders=(Occluder(kind="hand", x_mm=10.0, y_mm=100.0),))
    small = scene("phone_photo", 3, size, deformations=(), occluders=())
    renderer.render(big[0], textures, *big[1:4], passes={"rgb"})
    again = renderer.render(small[0], textures, *small[1:4], passes={"rgb", "object"})
    fresh = Renderer(renderer.ctx).render(small[0], textures, *small[1:4], passes={"rgb", "object"})
    assert np.array_equal(again["object"], fresh["object"])
    assert np.array_equal(again["rgb"], fresh["rgb"])


def test_a_bigger_mesh_after_a_smaller_one_is_drawn_from_its_own_buffers(renderer, page):
    """Buffers that a mesh outgrows are reallocated, and the vertex arrays kept for each program (made once, not
    per pass) are remade with them: the bigger frame is the one a fresh renderer makes."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    small = scene("phone_photo", 3, size, deformations=(), occluders=())
    big = scene("folded_letter", 3, size, occluders=(Occluder(kind="hand", x_mm=10.0, y_mm=100.0),))
    grown = Renderer(renderer.ctx)  # its buffers are sized by the first mesh it draws
    grown.render(small[0], textures, *small[1:4], passes={"rgb", "object"})
    again = grown.render(big[0], textures, *big[1:4], passes={"rgb", "object", "uv"})
    fresh = Renderer(renderer.ctx).render(big[0], textures, *big[1:4], passes={"rgb", "object", "uv"})
    for name in ("rgb", "object", "uv"):
        assert np.array_equal(again[name], fresh[name]), name


def test_the_same_sheet_drawn_again_is_the_frame_a_fresh_renderer_makes(renderer, page):
    """The sheet, table and occluder buffers are uploaded again only for another sheet object, camera, table or
    occluders, and with ambient visibility only for colour frames: each frame below, drawn after one that shares
    some of these, is the frame a fresh renderer makes."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("crumpled", 5, size, occluders=(Occluder(kind="pen", x_mm=90.0, y_mm=70.0),))
    other_cam = dataclasses.replace(cam, tilt_deg=cam.tilt_deg + 12.0, distance_mm=cam.distance_mm * 1.6)
    bare = dataclasses.replace(bg, occluders=())
    frames = [(cam, bg, {"object"}), (cam, bg, {"rgb"}), (other_cam, bg, {"rgb", "depth"}),
              (other_cam, bare, {"rgb", "depth"}), (cam, bg, {"rgb", "depth"})]
    for camera, table, passes in frames:
        again = renderer.render(sheet, textures, camera, light, table, passes=passes)
        fresh = Renderer(renderer.ctx).render(sheet, textures, camera, light, table, passes=passes)
        assert all(np.array_equal(again[k], fresh[k]) for k in passes), (camera.tilt_deg, table.occluders, passes)


@pytest.mark.parametrize("aa", [dict(msaa=1, edge_aa=True), dict(msaa=4, edge_aa=False)], ids=["edge_aa", "msaa4"])
def test_a_frame_in_framebuffers_grown_for_a_bigger_one_is_unchanged(renderer, page, aa):
    """Framebuffers only grow (frames differ in canvas size by their lens margin) and a smaller frame draws into
    their corner: it must be the frame a fresh renderer makes, byte for byte (a dataset's frame must not depend on
    the frames a worker drew before it), with nothing of the bigger frame at its borders: passes clear only their
    viewport, and the edge AA and the multisample resolve copy between targets of different sizes."""
    import dataclasses
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    small = scene("crumpled", 5, size, occluders=(Occluder(kind="pen", x_mm=80.0, y_mm=60.0, z_mm=20.0),))
    cam = small[1]
    big_cam = dataclasses.replace(cam, width_px=cam.width_px + 200, height_px=cam.height_px + 150,
                                  dist=(0.08, 0.0, 0.0, 0.0, 0.0))
    passes = {"rgb", "uv", "depth", "object", "mask_trace"}
    renderer.render(small[0], textures, big_cam, *small[2:4], passes=passes, **aa)
    again = renderer.render(small[0], textures, *small[1:4], passes=passes, **aa)
    fresh = Renderer(renderer.ctx).render(small[0], textures, *small[1:4], passes=passes, **aa)
    for name in passes:
        assert np.array_equal(again[name], fresh[name]), name


def test_frames_of_other_reductions_in_the_same_framebuffers_are_unchanged(renderer, page):
    """A dataset's frames differ in width, and with it in how coarsely lighting and soft shadows are computed
    (shadows.light_scale, shadow_mask_scale); the framebuffers made for earlier frames are kept if big enough, and
    every frame is still the one a fresh renderer makes."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    sheet, cam, light, bg, _, _ = scene("phone_photo", 6, size)
    passes = {"rgb", "depth", "object"}
    for width in (1500, 900, 1300, 700):  # lighting scale 3, 1, 2, 1; shadow-mask scale 6, 3, 5, 2
        frame_cam = dataclasses.replace(cam, width_px=width, height_px=width * 3 // 4)
        again = renderer.render(sheet, textures, frame_cam, light, bg, passes=passes)
        fresh = Renderer(renderer.ctx).render(sheet, textures, frame_cam, light, bg, passes=passes)
        assert all(np.array_equal(again[k], fresh[k]) for k in passes), width


def test_drawing_without_read_back_returns_nothing_and_changes_no_later_frame(renderer, page):
    """``read_back=False`` (the benchmarks' GPU timing) draws every pass but returns no layer."""
    layout, textures, _ = page
    s = scene("folded_letter", 2, (layout.width_mm, layout.height_mm))
    passes = {"rgb", "uv", "object"}
    before = renderer.render(s[0], textures, *s[1:4], passes=passes)
    assert renderer.render(s[0], textures, *s[1:4], passes=passes, read_back=False) == {}
    after = renderer.render(s[0], textures, *s[1:4], passes=passes)
    assert all(np.array_equal(before[k], after[k]) for k in passes)


def test_a_renderer_survives_another_context_being_made(renderer, page):
    """Each render makes its own context current: a second context (another renderer, a window) used to take the
    first renderer's GL calls and crash llvmpipe."""
    layout, textures, _ = page
    s = scene("scanner", 1, (layout.width_mm, layout.height_mm))
    before = renderer.render(s[0], textures, *s[1:4], passes={"rgb", "object"})
    other = Renderer(create_context())
    other.render(s[0], textures, *s[1:4], passes={"object"})
    after = renderer.render(s[0], textures, *s[1:4], passes={"rgb", "object"})
    assert np.array_equal(before["object"], after["object"]) and np.array_equal(before["rgb"], after["rgb"])


def _lit_from_the_left(centre, casts_shadow: bool = True):
    """One directional light travelling +x and down at 45°, little ambient: shadows are strong and predictable."""
    from simulator.lighting import Light, Lighting
    light = Light(kind="directional", position=(centre[0] - 400.0, centre[1], 400.0), target=(*centre, 0.0),
                  softness_mm=2.0, casts_shadow=casts_shadow)
    return Lighting(lights=(light,), ambient_intensity=0.1, ao_strength=0.0)


def _mean_luminance_near(layers, size_mm, point_mm, radius_mm: float = 3.0) -> float:
    """Mean luminance of the printed sheet's pixels whose page position lies within ``radius_mm`` of ``point_mm``."""
    mm = layers["uv"] * np.asarray(size_mm)
    near = (np.hypot(mm[..., 0] - point_mm[0], mm[..., 1] - point_mm[1]) < radius_mm) & (layers["object"] == 2)
    assert near.sum() > 20
    return float(layers["rgb"][near].mean())


def test_a_raised_pen_casts_its_shadow_where_the_light_says(renderer, page):
    """A pen 30 mm above a flat sheet, lit at 45° from the left: its shadow lies one axis height to the right."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    centre = (size[0] / 2, size[1] / 2)
    pen = Occluder(kind="pen", x_mm=100.0, y_mm=40.0, z_mm=30.0, angle_deg=90.0)  # along +y, axis at z = 35 mm
    sheet, cam, _, bg, _, _ = scene("scanner", 4, size, deformations=(), occluders=(pen,))
    layers = renderer.render(sheet, textures, cam, _lit_from_the_left(centre), bg, passes={"rgb", "uv", "object"})
    # page y runs down from the top edge; world y runs up from the bottom edge
    y_page = size[1] - 110.0
    shadow = _mean_luminance_near(layers, size, (100.0 + 35.0, y_page))
    lit = [_mean_luminance_near(layers, size, (x, y_page)) for x in (100.0 - 35.0, 100.0 + 70.0)]
    assert shadow < 0.5 * min(lit)
    assert abs(lit[0] - lit[1]) < 0.05 * max(lit)


@pytest.mark.parametrize("name", ["scanner", "crumpled"])
def test_shadow_maps_do_not_darken_unshadowed_paper(renderer, page, name):
    """With nothing above it, a sheet whose creases face away from no light is as bright with shadow mapping as
    without: no acne from wide filters on slopes or in crease valleys."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    centre = (size[0] / 2, size[1] / 2)
    sheet, cam, _, bg, _, _ = scene(name, 6, size, deformations=None if name == "crumpled" else (), occluders=())
    frames = [renderer.render(sheet, textures, cam, _lit_from_the_left(centre, shadow), bg, passes={"rgb", "object"})
              for shadow in (True, False)]
    paper = frames[1]["object"] == 2
    ratio = frames[0]["rgb"][paper].mean(axis=1) / np.maximum(frames[1]["rgb"][paper].mean(axis=1), 1e-4)
    assert np.median(ratio) > 0.995
    assert np.percentile(ratio, 1) > 0.9


def _penumbra_width_mm(renderer, textures, size, z_mm: float, light_size_mm: float) -> float:
    """Width (mm, 20 % to 80 % of the darkest) of the near edge of a raised pen's shadow, lit from the left."""
    from simulator.lighting import Light, Lighting
    centre = (size[0] / 2, size[1] / 2)
    pen = Occluder(kind="pen", x_mm=100.0, y_mm=40.0, z_mm=z_mm, angle_deg=90.0)
    sheet, cam, _, bg, _, _ = scene("scanner", 4, size, deformations=(), occluders=(pen,))
    light = Light(kind="point", position=(centre[0] - 400.0, centre[1], 400.0), target=(*centre, 0.0),
                  softness_mm=0.5, size_mm=light_size_mm)
    layers = renderer.render(sheet, textures, cam, Lighting(lights=(light,), ambient_intensity=0.1, ao_strength=0.0),
                             bg, passes={"rgb", "uv", "object"})
    y_page = size[1] - 110.0
    xs = np.arange(110.0, 260.0, 1.0)
    lum = np.array([_mean_luminance_near(layers, size, (x, y_page), radius_mm=0.8) for x in xs])
    dark = 1.0 - lum / lum[-1]  # lum[-1]: lit paper well past the shadow
    first = int(np.argmax(dark > 0.2 * dark.max()))
    last = int(np.argmax(dark > 0.8 * dark.max()))
    return float(xs[last] - xs[first])


def test_soft_shadows_are_sharp_at_contact_and_widen_with_the_gap(renderer, page):
    """A light of 60 mm radius: a pen almost touching the paper casts a crisp shadow, the same pen 60 mm up a soft
    one (penumbra ∝ light size × gap / distance); a point light (size 0) keeps one penumbra at every height."""
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    near, far = (_penumbra_width_mm(renderer, textures, size, z, 60.0) for z in (1.0, 60.0))
    assert far > 3.0 * max(near, 1.0) and far > 5.0
    point_near, point_far = (_penumbra_width_mm(renderer, textures, size, z, 0.0) for z in (1.0, 60.0))
    assert point_far < 2.5 and point_near < 2.5


def test_reduced_resolution_lighting_matches_per_pixel_lighting(renderer, page, monkeypatch):
    """Light is computed at 1/light_scale of the frame and applied to per-pixel albedo (occluders are lit per pixel):
    on a folded sheet with its blank back, a table and a hand, the frame matches per-pixel lighting (light_scale 1)
    everywhere, silhouettes included (where the upsampling must not mix the sheet's light with the table's or the
    back's)."""
    from simulator import renderer as renderer_module
    from simulator.lighting import Light, Lighting
    layout, textures, _ = page
    size = (layout.width_mm, layout.height_mm)
    hand = Occluder(kind="hand", x_mm=60.0, y_mm=50.0, z_mm=0.0, angle_deg=30.0)
    folds = (Fold(pattern="letter", creases="horizontal", angle_deg=155.0), DogEar(corner="bottom_left", size_mm=60.0))
    sheet, cam, _, bg, _, _ = scene("folded_letter", 3, size, deformations=folds, occluders=(hand,))
    bg = background.Background(table="laminate", color=(0.1, 0.1, 0.12), gloss=1.0, seed=1, occluders=(hand,))
    centre = (size[0] / 2, size[1] / 2, 0.0)  # a bright unshadowed lamp: every difference is the upsampling's
    lamp = Light(kind="point", position=(centre[0] + 150.0, centre[1] - 300.0, 500.0), target=centre,
                 casts_shadow=False)
    lighting = Lighting(lights=(lamp,), ambient_intensity=0.2, ao_strength=0.5)
    assert renderer_module.light_scale(cam.width_px) > 1
    reduced = renderer.render(sheet, textures, cam, lighting, bg, passes={"rgb", "object"})["rgb"].copy()
    monkeypatch.setattr(renderer_module, "light_scale", lambda width_px: 1)
    exact = renderer.render(sheet, textures, cam, lighting, bg, passes={"rgb", "object"})
    objects = exact["object"]
    error = np.abs(reduced - exact["rgb"]).max(axis=2) / np.maximum(exact["rgb"].max(axis=2), 0.05)
    edges = cv2.dilate((cv2.Canny(objects * 60, 1, 1) > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert {1, 2, 3, 4} <= set(np.unique(objects[edges]).tolist())  # table, front, hand and back all meet edges
    paper = (objects == 1) | (objects == 2) | (objects == 4)  # table, sheet front and back
    assert np.percentile(error, 99) < 0.02  # creases, whose light turns within a texel, soften by about one texel
    # at the silhouettes of the sheet, its back and the table, plain bilinear upsampling would be 3x further off
    assert np.percentile(error[paper & edges], 95) < 0.07
    assert np.percentile(error[paper & edges], 99) < 0.3
    assert np.percentile(error[objects == 3], 99) < 0.01  # the hand is lit per pixel: fingers are finer than texels


def test_shader_includes_are_spliced_in_and_cycles_refused(tmp_path):
    from simulator.programs import shader_source
    (tmp_path / "a.frag").write_text('#version 330 core\n#include "b.glsl"\nvoid main() {}\n')
    (tmp_path / "b.glsl").write_text("float b() { return 1.0; }\n")
    assert shader_source(tmp_path, "a.frag") == "#version 330 core\nfloat b() { return 1.0; }\n\nvoid main() {}\n"
    (tmp_path / "b.glsl").write_text('#include "a.frag.glsl"\n')
    (tmp_path / "a.frag.glsl").write_text('#include "b.glsl"\n')
    with pytest.raises(ValueError, match="include cycle"):
        shader_source(tmp_path, "a.frag")


def test_a_frame_too_large_for_the_opengl_is_refused_and_the_renderer_goes_on(monkeypatch):
    """llvmpipe cannot make the 16384² half-float colour texture of a 12000×9000 frame: that was a moderngl
    traceback, and the renderer kept the targets it had just released, so every later frame of the process failed
    too. Here a driver limit is stood in for (each real failure also leaked ~4 GB: docs/render.md, "One frame")."""
    import moderngl

    from simulator.config import preset_scene
    from simulator.errors import InputError
    from simulator.frame import render_frame
    from simulator.workers import pick_window

    real = Renderer._allocate_framebuffers

    def limited(self, alloc, small, lit, msaa):
        if alloc[0] * alloc[1] > 1_500_000:
            self.ctx.texture((256, 256), 4)  # a target made before the failure
            raise moderngl.Error("the framebuffer is not complete (INCOMPLETE_ATTACHMENT)")
        real(self, alloc, small, lit, msaa)

    monkeypatch.setattr(Renderer, "_allocate_framebuffers", limited)
    record, scene = pick_window("assets/records/ptbxl/00001_lr", preset_scene("scanner", 3), np.random.default_rng(0))
    ren = Renderer(create_context())

    def image(width: int, height: int) -> np.ndarray:
        cam = dataclasses.replace(scene.camera, width_px=width, height_px=height)
        return render_frame(dataclasses.replace(scene, camera=cam), record, renderer=ren).image

    first = image(640, 480)
    with pytest.raises(InputError, match=r"^camera\.width_px, camera\.height_px: 2000×1500 px needs render targets"):
        image(2000, 1500)
    assert np.array_equal(image(640, 480), first)
    assert image(1900, 600).shape[:2] == (600, 1900)  # a wide frame, then a tall one: each fits, not both together
    assert image(600, 1900).shape[:2] == (1900, 600)
