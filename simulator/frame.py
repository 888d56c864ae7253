"""One frame from a Scene and a record: plan → page → ink → (sheet → render → post) → image, masks and ground truth.

``render_frame`` never writes files; ``write_frame`` does, atomically, JSON last. The page command, generation,
sweeps and the preview all go through these two functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from .atomic import write_atomic
from .ink import add_ink
from .layout import PageLayout, plan_page
from .output import write_image, write_masks, write_sidecar
from .page import PageImage, render_page
from .provenance import made_by
from .records import Record
from .reuse import LastResult
from .scene import Scene
from .truth import page_truth, write_truth_record

PHOTO_PASSES = frozenset({"uv", "depth", "normal", "object", "visibility"})  # --gt-passes for 3D frames
STAGE_SHEET, STAGE_CREASES, STAGE_POST = 1, 2, 3  # per-stage generators: default_rng([scene.seed, STAGE])


@dataclass(frozen=True)
class Frame:
    """A rendered frame: the image, its masks and passes, the truth JSON, and the layout (for the WFDB truth)."""

    image: np.ndarray
    masks: dict[str, np.ndarray]
    passes: dict[str, np.ndarray]
    truth: dict
    layout: PageLayout
    jpeg_quality: int = 95


_LAST_PAGE: LastResult[tuple[PageLayout, PageImage]] = LastResult()


def _page(scene: Scene, record: Record) -> tuple[PageLayout, PageImage]:
    """The scene's page layout for ``record`` and the printed page, inked."""
    layout = plan_page(record, scene.page)
    return layout, add_ink(render_page(layout), layout, scene.ink, scene.seed)


def render_frame(scene: Scene, record: Record, renderer=None, passes: Iterable[str] = ()) -> Frame:
    """Render ``record`` (already cut to the scene's window) as the scene describes.

    A 3D scene needs a :class:`simulator.renderer.Renderer` (one per process, reused); ``passes`` picks the extra
    ground-truth layers (:data:`PHOTO_PASSES`) returned with it.
    """
    if scene.is_3d:  # a photographed page is only read, so a sweep's frames can share it
        layout, page = _LAST_PAGE.get((record,), (scene.page, scene.ink, scene.seed), lambda: _page(scene, record))
    else:  # the flat page is the frame's image, which callers may draw on
        layout, page = _page(scene, record)
    truth = page_truth(layout, page)
    truth["scene"] = scene.to_dict()
    truth["record_start_sample"] = record.start_sample
    if not scene.is_3d:
        return Frame(image=page.rgb, masks=page.masks, passes={}, truth=truth, layout=layout)
    if renderer is None:
        raise ValueError("a 3D scene needs a Renderer")
    from .photograph import photograph
    return photograph(scene, layout, page, truth, renderer, set(passes))


def write_frame(out_dir: Path, name: str, frame: Frame, image_format: str = "png", jpeg_quality: int | None = None
                ) -> list[str]:
    """Write image, masks, passes (.npy), WFDB truth, then the JSON; returns the file names written."""
    files = [write_image(out_dir, name, frame.image, image_format, jpeg_quality or frame.jpeg_quality)]
    truth = dict(frame.truth)
    truth["image"] = files[0]
    truth["masks"] = write_masks(out_dir, name, frame.masks)
    files += truth["masks"].values()
    truth["passes"] = {}
    for pass_name, layer in frame.passes.items():
        fname = f"{name}_{pass_name}.npy"
        write_atomic(out_dir / fname, lambda tmp, layer=layer: _save_npy(tmp, layer))
        truth["passes"][pass_name] = fname
        files.append(fname)
    files += write_truth_record(out_dir, name, frame.layout)
    truth["truth_record"] = name
    truth["made_by"] = made_by()
    write_sidecar(out_dir, name, truth)
    files.append(f"{name}.json")
    return files


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as fh:
        np.save(fh, array, allow_pickle=False)

