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
from .scene import Scene
from .sheet import Sheet, build_sheet
from .simplify import simplify_sheet
from .truth import bbox_corners

VISIBILITY_LAYERS = {"depth", "uv", "object"}  # what project_samples reads
MASK_LAYERS = ("trace", "grid", "text", "marks", "ink")


def _project_box(sheet, scene: Scene, layers: dict, page_box_px: dict, dpi: float, size_mm) -> dict | None:
    """A flat-page box (ECG-Image-Kit corners, page px) warped into the image: the box of its projected outline."""
    corners = np.array([page_box_px[k][::-1] for k in ("0", "1", "2", "3", "0")], dtype=np.float64)  # (x, y)
    edge = np.concatenate([np.linspace(a, b, 8, endpoint=False) for a, b in zip(corners[:-1], corners[1:])])
    uv = edge * (25.4 / dpi) / np.asarray(size_mm)
    xy, _ = project_samples(sheet, scene.camera, uv, layers, size_mm)
    box = bounding_box(xy)
    return bbox_corners(*box) if box else None


def drawn_sheet(scene: Scene) -> Sheet:
    """The sheet mesh of a 3D ``scene`` as the renderer draws it: deformed from the scene's seed, then simplified
    for its camera (:mod:`simplify`). The oracle rebuilds it from a sidecar's scene."""
    from .frame import STAGE_SHEET

    sheet = build_sheet(scene.sheet, np.random.default_rng([scene.seed, STAGE_SHEET]))
    return simplify_sheet(sheet, scene.camera, scene.sheet.tolerance_px, scene.sheet.thickness_mm)


def photograph(scene: Scene, layout: PageLayout, page: PageImage, truth: dict, renderer, passes: set[str]):
    """Render the 3D frame of ``scene`` and rewrite ``truth`` into image coordinates; returns a Frame."""
    from .frame import Frame, STAGE_CREASES, STAGE_POST

    sheet = drawn_sheet(scene)
    texture = mark_creases(page.rgb, sheet.creases, page.dpi, np.random.default_rng([scene.seed, STAGE_CREASES]))
    wanted = {"rgb"} | VISIBILITY_LAYERS | {f"mask_{m}" for m in MASK_LAYERS}
    wanted |= {p for p in passes if p in ("normal",)}
    layers = renderer.render(sheet, PageTextures(texture, page.masks), scene.camera, scene.lighting,
                             scene.background, passes=wanted, msaa=scene.post.msaa,
                             edge_aa=scene.post.edge_aa)
    image = apply_post(layers, scene.post, np.random.default_rng([scene.seed, STAGE_POST]))

    size_mm = (layout.width_mm, layout.height_mm)
    flat_width, flat_height = truth["width"], truth["height"]
    for entry, trace in zip(truth["leads"], layout.traces):
        uv = layout.sample_xy_mm(trace) / np.asarray(size_mm)
        xy, visible = project_samples(sheet, scene.camera, uv, layers, size_mm)
        entry["plotted_pixels"] = yx_rows(xy[:, 0], xy[:, 1])
        entry["visible"] = visible.tolist()
        box = bounding_box(np.where(visible[:, None], xy, np.nan))
        entry.pop("lead_bounding_box", None)
        if box:
            entry["lead_bounding_box"] = bbox_corners(*box)
        warped = _project_box(sheet, scene, layers, entry["text_bounding_box"], page.dpi, size_mm)
        if warped:
            entry["text_bounding_box"] = warped
        else:
            entry.pop("text_bounding_box")
    for item in truth["text_items"]:
        item["bounding_box"] = _project_box(sheet, scene, layers, item["bounding_box"], page.dpi, size_mm)
    truth["redactions"] = [_project_box(sheet, scene, layers, box, page.dpi, size_mm) for box in truth["redactions"]]
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
