"""The oracle digitizer: a frame's plotted pixels mapped back to millivolts through the inverse of the whole chain.

It reads only the image-space ``plotted_pixels`` (and ``visible``) of a frame's JSON sidecar plus its ``scene``, and
inverts what made the image: for a photographed frame, image px → (lens, camera) → the deformed sheet mesh rebuilt
from the scene, as drawn (:func:`simulator.photograph.drawn_sheet`) → page UV → page px; then, as on a flat page,
``mV = (baseline_y − y_page_px) / px_per_mv``. A perfect digitizer can do no better, so its score measures the chain
itself: it must be far above any real digitizer (> 60 dB on the samples it returns), and anything less is a bug in
projection or ground truth.

The inverse is solved, not approximated: ``project(uv_to_world(uv)) = pixel`` by Newton's method with a
finite-difference Jacobian, started at the sample's flat-page position at 0 mV (its time gives its page column, the
lead's baseline its row), which picks the right layer where a fold or crease makes the map many-to-one. Hidden
samples (``visible`` false) are NaN: they are not in the photo.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import wfdb

from simulator.atomic import write_atomic
from simulator.camera import project_points
from simulator.coords import mm_to_px, px_to_mm
from simulator.photograph import drawn_sheet
from simulator.scene import Scene
from simulator.sheet import Sheet

NEWTON_STEPS = 40
FD_STEP_UV = 1e-7      # finite-difference step in UV (~0.03 µm on the page)
CONVERGED_PX = 1e-6    # image residual at which a sample counts as solved
REJECT_PX = 1e-3       # a visible sample whose residual stays above this is returned as NaN (and counted)
OUTPUT_RESOLUTION_MV = 1e-6  # 32-bit WFDB in nV steps, so the record keeps the inverse's full precision


@dataclass(frozen=True)
class OracleRecord:
    """Signals recovered from one frame's JSON: ``signals[n, lead]`` in mV, NaN where nothing is visible."""

    name: str
    fs: float
    lead_names: tuple[str, ...]
    signals: np.ndarray
    max_residual_px: float
    """Largest image-space residual of the samples returned (0 for a flat page)."""
    n_unsolved: int
    """Visible samples the inverse could not solve to :data:`REJECT_PX` (returned as NaN)."""


def _forward(sheet: Sheet, camera, uv: np.ndarray) -> np.ndarray:
    """Image px (x, y) of page UVs: the same path :func:`simulator.project.project_samples` takes."""
    return project_points(camera, sheet.uv_to_world(uv))[0]


def invert_projection(sheet: Sheet, camera, pixels: np.ndarray, uv0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(UV (K, 2), residual px (K,)) solving ``forward(uv) = pixels`` (x, y) from ``uv0`` by damped Newton steps."""
    uv = np.array(uv0, dtype=np.float64)
    f = _forward(sheet, camera, uv) - pixels
    res = np.linalg.norm(f, axis=1)
    for _ in range(NEWTON_STEPS):
        todo = np.flatnonzero(res > CONVERGED_PX)
        if todo.size == 0:
            break
        u, r = uv[todo], f[todo]
        ju = (_forward(sheet, camera, u + [FD_STEP_UV, 0.0]) - pixels[todo] - r) / FD_STEP_UV
        jv = (_forward(sheet, camera, u + [0.0, FD_STEP_UV]) - pixels[todo] - r) / FD_STEP_UV
        jac = np.stack([ju, jv], axis=2)  # (k, 2 px, 2 uv)
        det = jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0]
        det = np.where(np.abs(det) > 1e-12, det, np.nan)
        step = np.stack([jac[:, 1, 1] * r[:, 0] - jac[:, 0, 1] * r[:, 1],
                         -jac[:, 1, 0] * r[:, 0] + jac[:, 0, 0] * r[:, 1]], axis=1) / det[:, None]
        step = np.nan_to_num(step)
        scale = np.ones(todo.size)
        for _ in range(6):  # backtrack where a full step makes things worse (a kink of the piecewise-linear mesh)
            trial = np.clip(u - scale[:, None] * step, 0.0, 1.0)
            ft = _forward(sheet, camera, trial) - pixels[todo]
            rt = np.linalg.norm(ft, axis=1)
            worse = rt >= res[todo]
            if not worse.any():
                break
            scale[worse] *= 0.5
        better = ~worse
        uv[todo[better]], f[todo[better]], res[todo[better]] = trial[better], ft[better], rt[better]
        if not better.any():
            break
    return uv, res


def exact_flat_maps(truth: dict, max_side: int = 4000) -> tuple[np.ndarray, np.ndarray, float]:
    """(map_x, map_y, px per mm): for every pixel of the flat page, the image pixel (``cv2.remap`` convention,
    centres at integers) that shows it, through the frame's own sheet, camera and lens; ``digitize run --dewarp
    exact`` reads a frame flattened this way, without measuring its grid. The flat page keeps the photo's scale
    (the median over the paper of the image px a page mm spans), at most ``max_side`` px on its longer side. A flat
    frame's maps are the identity at its dpi. What the picture does not show maps outside it."""
    scene = Scene.from_dict(truth["scene"])
    if not scene.is_3d:
        x, y = np.meshgrid(np.arange(truth["width"], dtype=np.float32), np.arange(truth["height"], dtype=np.float32))
        return x, y, truth["dpi"] / 25.4
    w_mm, h_mm = truth["paper"]["width_mm"], truth["paper"]["height_mm"]
    sheet = drawn_sheet(scene)

    def forward(uv: np.ndarray) -> np.ndarray:
        return _forward(sheet, scene.camera, uv)

    g = (np.arange(9) + 0.5) / 9
    uv = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    at = forward(uv)
    dx, dy = forward(uv + [1.0 / w_mm, 0.0]) - at, forward(uv + [0.0, 1.0 / h_mm]) - at
    scale = np.sqrt(np.abs(dx[:, 0] * dy[:, 1] - dx[:, 1] * dy[:, 0]))
    inside = (at[:, 0] >= 0) & (at[:, 0] <= truth["width"]) & (at[:, 1] >= 0) & (at[:, 1] <= truth["height"])
    px_per_mm = min(float(np.median(scale[inside] if inside.any() else scale)), max_side / max(w_mm, h_mm))
    w, h = int(round(w_mm * px_per_mm)), int(round(h_mm * px_per_mm))
    u, v = np.meshgrid((np.arange(w) + 0.5) / (w_mm * px_per_mm), (np.arange(h) + 0.5) / (h_mm * px_per_mm))
    uv = np.clip(np.stack([u.ravel(), v.ravel()], 1), 0.0, 1.0)
    maps = (forward(uv).reshape(h, w, 2) - 0.5).astype(np.float32)
    return maps[..., 0].copy(), maps[..., 1].copy(), px_per_mm


def _rows_xy(rows: list) -> np.ndarray:
    """(N, 2) image px (x, y) of ``[y, x]`` JSON rows; ``[null, null]`` → NaN."""
    arr = np.array([[np.nan, np.nan] if r[0] is None else r for r in rows], dtype=np.float64).reshape(-1, 2)
    return arr[:, ::-1].copy()


def _page_y_px(truth: dict, lead: dict, xy: np.ndarray, sheet: Sheet | None, camera) -> tuple[np.ndarray, float, int]:
    """Flat-page y (px) of a lead's image points, NaN where hidden; plus the largest residual and unsolved count."""
    if sheet is None:
        return xy[:, 1], 0.0, 0
    visible = np.asarray(lead["visible"], dtype=bool) & np.isfinite(xy).all(axis=1)
    out = np.full(len(xy), np.nan)
    idx = np.flatnonzero(visible)
    if idx.size == 0:
        return out, 0.0, 0
    dpi, w_mm, h_mm = truth["dpi"], truth["paper"]["width_mm"], truth["paper"]["height_mm"]
    fs = truth["sampling_frequency"]
    n = lead["start_sample"] + idx
    x0_px = lead["x_start"] + (n - lead["start_sample"]) / fs * truth["px_per_second"]
    uv0 = np.stack([px_to_mm(x0_px, dpi) / w_mm, np.full(idx.size, px_to_mm(lead["baseline_y"], dpi) / h_mm)], 1)
    uv, res = invert_projection(sheet, camera, xy[idx], uv0)
    solved = res <= REJECT_PX
    out[idx[solved]] = mm_to_px(uv[solved, 1] * h_mm, dpi)
    return out, float(res[solved].max(initial=0.0)), int((~solved).sum())


def oracle_record(json_path: str | Path) -> OracleRecord:
    """Recover a frame's signals from its JSON sidecar alone (plotted pixels, visibility, scene)."""
    path = Path(json_path)
    truth = json.loads(path.read_text())
    scene = Scene.from_dict(truth["scene"])
    sheet = drawn_sheet(scene) if scene.is_3d else None
    names: list[str] = []
    for lead in truth["leads"]:
        if lead["record_lead"] not in names:
            names.append(lead["record_lead"])
    n_samples = max((lead["end_sample"] for lead in truth["leads"]), default=0)
    signals = np.full((n_samples, len(names)), np.nan)
    worst, unsolved = 0.0, 0
    for lead in truth["leads"]:
        y_px, res, bad = _page_y_px(truth, lead, _rows_xy(lead["plotted_pixels"]), sheet, scene.camera)
        worst, unsolved = max(worst, res), unsolved + bad
        mv = (lead["baseline_y"] - y_px) / lead["px_per_mv"]
        col = signals[lead["start_sample"]:lead["end_sample"], names.index(lead["record_lead"])]
        fill = np.isnan(col)  # a lead shown twice (its cell and a rhythm strip): the first finite value stands
        col[fill] = mv[fill]
    return OracleRecord(name=path.stem, fs=float(truth["sampling_frequency"]), lead_names=tuple(names),
                        signals=signals, max_residual_px=worst, n_unsolved=unsolved)


def write_oracle_record(out_dir: Path, rec: OracleRecord) -> None:
    """Write ``NAME.hea/.dat`` (32-bit, nV steps) atomically: the .dat is in place before its header."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n = len(rec.lead_names)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=f".{rec.name}.wfdb-") as tmp:
        wfdb.wrsamp(rec.name, fs=rec.fs, units=["mV"] * n, sig_name=list(rec.lead_names), p_signal=rec.signals,
                    fmt=["32"] * n, adc_gain=[1.0 / OUTPUT_RESOLUTION_MV] * n, baseline=[0] * n, write_dir=tmp)
        for ext in (".dat", ".hea"):
            write_atomic(out_dir / f"{rec.name}{ext}",
                         lambda dst, ext=ext: shutil.copyfile(Path(tmp) / f"{rec.name}{ext}", dst))
