"""The 3D half of a frame: the printed page on a deformed sheet, rendered, post-processed, and its truth projected.

Every sample's image position comes from the same mesh, camera and lens that made the image
(:func:`simulator.project.project_samples`), and its ``visible`` flag from the depth/UV/object layers of the same
render. Warped masks are the renderer's nearest-filtered mask layers.
"""

from __future__ import annotations

import numpy as np

from .camera import camera_record
from .coords import yx_rows
from .crease_marks import mark_creases
from .layout import PageLayout
from .page import PageImage
from .post import apply_post
from .project import bounding_box, project_samples
from .renderer import PageTextures
from .reuse import LastResult
from .scene import Scene
from .sheet import Sheet, build_sheet
from .simplify import simplify_sheet
from .truth import bbox_corners

VISIBILITY_LAYERS = {"depth", "uv", "object"}  # what project_samples reads
MASK_LAYERS = ("trace", "grid", "text", "marks", "ink")


def _box_outline_uv(page_box_px: dict, dpi: float, size_mm) -> np.ndarray:
    """Page UVs along a flat-page box's outline (ECG-Image-Kit corners, page px), 8 points a side."""
    corners = np.array([page_box_px[k][::-1] for k in ("0", "1", "2", "3", "0")], dtype=np.float64)  # (x, y)
    edge = np.concatenate([np.linspace(a, b, 8, endpoint=False) for a, b in zip(corners[:-1], corners[1:])])
    return edge * (25.4 / dpi) / np.asarray(size_mm)


def _warped_box(xy: np.ndarray) -> dict | None:
    """The image box of a flat-page box's projected outline, or None when none of it is in the image."""
    box = bounding_box(xy)
    return bbox_corners(*box) if box else None


def _project_all(sheet, scene: Scene, layers: dict, size_mm, uv_lists: list[np.ndarray]) -> list[tuple]:
    """:func:`project_samples` of several UV lists in one call (each sample's result is its own, so this equals one
    call per list, without a call's fixed cost per lead and per box)."""
    if not uv_lists:
        return []
    xy, visible = project_samples(sheet, scene.camera, np.concatenate(uv_lists), layers, size_mm)
    cuts = np.cumsum([len(uv) for uv in uv_lists])[:-1]
    return list(zip(np.split(xy, cuts), np.split(visible, cuts)))


_LAST_DEFORMED: LastResult[Sheet] = LastResult()
_LAST_DRAWN: LastResult[Sheet] = LastResult()
_LAST_TEXTURE: LastResult[PageTextures] = LastResult()


def deformed_sheet(scene: Scene) -> Sheet:
    """The sheet mesh of a 3D ``scene``, deformed from the scene's seed (the last one reused, :mod:`reuse`)."""
    from .frame import STAGE_SHEET

    return _LAST_DEFORMED.get((), (scene.sheet, scene.seed), lambda: build_sheet(
        scene.sheet, np.random.default_rng([scene.seed, STAGE_SHEET])))


def drawn_sheet(scene: Scene) -> Sheet:
    """The sheet mesh of a 3D ``scene`` as the renderer draws it: deformed, then simplified for its camera
    (:mod:`simplify`). The oracle rebuilds it from a sidecar's scene."""
    sheet = deformed_sheet(scene)
    return _LAST_DRAWN.get((sheet,), (scene.camera,), lambda: simplify_sheet(
        sheet, scene.camera, scene.sheet.tolerance_px, scene.sheet.layer_gap_mm()))


def photograph(scene: Scene, layout: PageLayout, page: PageImage, truth: dict, renderer, passes: set[str]):
    """Render the 3D frame of ``scene`` and rewrite ``truth`` into image coordinates; returns a Frame."""
    from .frame import Frame, STAGE_CREASES, STAGE_POST

    deformed, sheet = deformed_sheet(scene), drawn_sheet(scene)
    textures = _LAST_TEXTURE.get((page, deformed), (scene.seed,), lambda: PageTextures(mark_creases(
        page.rgb, deformed.creases, page.dpi, np.random.default_rng([scene.seed, STAGE_CREASES])), page.masks))
    wanted = {"rgb"} | VISIBILITY_LAYERS | {f"mask_{m}" for m in MASK_LAYERS}
    wanted |= {p for p in passes if p in ("normal",)}
    layers = renderer.render(sheet, textures, scene.camera, scene.lighting, scene.background, passes=wanted,
                             msaa=scene.post.msaa, edge_aa=scene.post.edge_aa)
    image = apply_post(layers, scene.post, np.random.default_rng([scene.seed, STAGE_POST]), overwrite=True)
    del layers["rgb"]  # post wrote over it

    size_mm = (layout.width_mm, layout.height_mm)
    flat_width, flat_height = truth["width"], truth["height"]
    boxes = ([lead["text_bounding_box"] for lead in truth["leads"]] + [item["bounding_box"] for item in
             truth["text_items"]] + truth["redactions"])
    traces = [layout.sample_xy_mm(trace) / np.asarray(size_mm) for trace in layout.traces]
    projected = _project_all(sheet, scene, layers, size_mm,
                             traces + [_box_outline_uv(box, page.dpi, size_mm) for box in boxes])
    warped = [_warped_box(xy) for xy, _ in projected[len(traces):]]
    for entry, (xy, visible), text_box in zip(truth["leads"], projected[:len(traces)], warped):
        entry["plotted_pixels"] = yx_rows(xy[:, 0], xy[:, 1])
        entry["visible"] = visible.tolist()
        box = bounding_box(np.where(visible[:, None], xy, np.nan))
        entry.pop("lead_bounding_box", None)
        if box:
            entry["lead_bounding_box"] = bbox_corners(*box)
        if text_box:
            entry["text_bounding_box"] = text_box
        else:
            entry.pop("text_bounding_box")
    warped = warped[len(truth["leads"]):]
    for item, box in zip(truth["text_items"], warped):
        item["bounding_box"] = box
    truth["redactions"] = warped[len(truth["text_items"]):]
    h, w = image.shape[:2]
    truth.update({
        "width": w, "height": h, "page_width": flat_width, "page_height": flat_height,
        "camera": {**camera_record(scene.camera),
                   "note": "x_cam = R X_world + t (OpenCV axes); K uses pixel centres at +0.5; "
                           "dist is (k1, k2, p1, p2, k3)"},
        "visible_fraction": (float(np.mean(np.concatenate([lead["visible"] for lead in truth["leads"]])))
                             if truth["leads"] else 0.0),
    })
    masks = {m: layers[f"mask_{m}"] for m in MASK_LAYERS}
    out_passes = {p: layers[p] for p in passes if p in layers}
    if "visibility" in passes:
        out_passes["visibility"] = (layers["object"] == 2).astype(np.uint8)
    return Frame(image=image, masks=masks, passes=out_passes, truth=truth, layout=layout,
                 jpeg_quality=scene.post.jpeg_quality)
