"""The paper sheet as a deformable triangle mesh on a rectilinear grid in page space.

The grid's lines are page x positions (columns) and page y positions (rows); fold creases appear twice, as two
coincident lines, so the two sides of a crease share no vertex and shading stays sharp across it. A fold's flap
is the mirror image of the panel it closes onto, cell for cell: the panels between creases are divided evenly and the
flap's cells are split along the mirrored diagonal (:attr:`Sheet.flip`). Wrinkles then move a closed flap's vertices
exactly as the ones beneath it, and the layers keep their gap. :meth:`Sheet.uv_to_world` finds the cell under any
UV by two binary searches and interpolates in exactly the triangles the GPU rasterises.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import ConvexHull

from . import coords, folds, warps
from .deform import Crease, CreaseLines, Curl, Deformation, DogEar, Fold, Wrinkles, check_order
from .errors import InputError
from .params import rng

MAX_VERTICES = 2_000_000
"""Refuse grids larger than this (a typo in cell_mm would otherwise exhaust memory)."""


@dataclass(frozen=True)
class SheetSpec:
    """Paper size, mesh spacing, thickness and the deformations applied in order."""

    width_mm: float = field(default=279.4, metadata=rng(0.0, 2000.0, lo_open=True))
    height_mm: float = field(default=215.9, metadata=rng(0.0, 2000.0, lo_open=True))
    cell_mm: float = field(default=1.5, metadata=rng(0.2, 20.0))
    thickness_mm: float = field(default=0.1, metadata=rng(0.01, 2.0))
    gloss: float = field(default=0.04, metadata=rng(0.0, 0.5))  # 0.04 matte office paper; 0.1-0.3 glossy thermal
    deformations: tuple[Deformation, ...] = ()
    # > 0: cells merged where the photo cannot tell, by this many output pixels (simplify.py); 0: every cell drawn
    tolerance_px: float = field(default=0.0, metadata=rng(0.0, 2.0))

    def check(self, name: str) -> None:
        """Cross-field checks: grid size, and folds before the deformations that act on a shaped sheet."""
        prefix = f"{name}." if name else ""
        count = (self.width_mm / self.cell_mm + 2) * (self.height_mm / self.cell_mm + 2)
        if count > MAX_VERTICES:
            raise InputError(f"{prefix}cell_mm: {self.cell_mm} gives {count:.0f} vertices (max {MAX_VERTICES})")
        check_order(self.deformations, f"{prefix}deformations")

    def layer_gap_mm(self) -> float:
        """The narrowest gap between layers of this sheet lying over one another: the paper's thickness where a
        dog-ear or a fold closed past 90° puts a flap over the page, else none (inf). Simplifying the mesh keeps
        positions within half of it, so a flap never dips into the page under it."""
        layered = any(isinstance(d, DogEar) or (isinstance(d, Fold) and d.angle_deg < 90.0) for d in self.deformations)
        return self.thickness_mm if layered else float("inf")


@dataclass
class Sheet:
    """A deformed sheet: world-mm vertices with UVs (v down), CCW faces (front = printed side), crisp normals."""

    vertices: np.ndarray  # (N, 3) float32, world mm
    flat_vertices: np.ndarray  # (N, 3) float32, the undeformed sheet on the table
    uv: np.ndarray  # (N, 2) float32, v down
    faces: np.ndarray  # (M, 3) int32
    normals: np.ndarray  # (N, 3) float32, unit
    creases: list[Crease]
    width_mm: float
    height_mm: float
    grid_x: np.ndarray  # (C,) page x of the grid columns, fold creases duplicated
    grid_y: np.ndarray  # (R,) page y of the grid rows
    gloss: float = 0.04  # specular weight of the paper (SheetSpec.gloss)
    ao: np.ndarray | None = None  # (N,) ambient visibility from a finer mesh (simplify.py); None: from this one
    flip: np.ndarray | None = None  # (R-1, C-1) bool: cell split along b–d, not a–c (grid_faces); None: none

    def uv_to_world(self, uv: np.ndarray) -> np.ndarray:
        """World position (K, 3) of UVs (K, 2) on the deformed mesh, exact for its triangulation.

        UVs outside [0, 1] are clamped to the page edge. A UV on a fold crease resolves to the side after it.
        """
        xy = self.page_xy(uv)
        cols = len(self.grid_x)
        j, i = self.cells(xy)
        fx = (xy[:, 0] - self.grid_x[i]) / (self.grid_x[i + 1] - self.grid_x[i])
        fy = (xy[:, 1] - self.grid_y[j]) / (self.grid_y[j + 1] - self.grid_y[j])
        v = self.vertices.astype(np.float64)
        a, b = v[j * cols + i], v[j * cols + i + 1]
        c, d = v[(j + 1) * cols + i + 1], v[(j + 1) * cols + i]
        fx, fy = fx[:, None], fy[:, None]
        lower = fy >= fx  # triangle (a, d, c) below the a–c diagonal in page space, else (a, c, b)
        split_ac = np.where(lower, (1 - fy) * a + (fy - fx) * d + fx * c, (1 - fx) * a + (fx - fy) * b + fy * c)
        if self.flip is None:
            return split_ac
        near = fx + fy <= 1  # triangle (a, d, b) before the b–d diagonal, else (b, d, c)
        split_bd = np.where(near, (1 - fx - fy) * a + fx * b + fy * d, (fx + fy - 1) * c + (1 - fx) * d + (1 - fy) * b)
        return np.where(self.flip[j, i][:, None], split_bd, split_ac)

    def page_xy(self, uv: np.ndarray) -> np.ndarray:
        """Page mm (K, 2) of UVs (K, 2), clamped to the page."""
        return coords.uv_to_page(np.clip(np.asarray(uv, dtype=np.float64), 0.0, 1.0), self.width_mm, self.height_mm)

    def cells(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of the grid cell each page point (K, 2) lies in; on a grid line, the cell after it (so a
        point on a fold crease takes the side after it)."""
        i = np.clip(np.searchsorted(self.grid_x, xy[:, 0], side="right") - 1, 0, len(self.grid_x) - 2)
        j = np.clip(np.searchsorted(self.grid_y, xy[:, 1], side="right") - 1, 0, len(self.grid_y) - 2)
        return j, i

    def outline(self) -> np.ndarray:
        """The border of the deformed sheet as one closed loop of world points (the vertex grid's outer ring)."""
        grid = np.asarray(self.vertices).reshape(len(self.grid_y), len(self.grid_x), 3)
        return np.concatenate([grid[0, :-1], grid[:-1, -1], grid[-1, :0:-1], grid[:0:-1, 0]])

    def to_trimesh(self):
        """The mesh as a ``trimesh.Trimesh`` (no merging), with GL-style texture coordinates for export."""
        import trimesh

        visual = trimesh.visual.TextureVisuals(uv=coords.uv_to_gl(self.uv))
        return trimesh.Trimesh(self.vertices, self.faces, vertex_normals=self.normals, visual=visual, process=False)


def grid_lines(extent: float, cell_mm: float, creases: list[float]) -> np.ndarray:
    """Grid coordinates over [0, extent], each stretch between creases (and the edges) divided evenly into cells of
    at most ``cell_mm``, so each crease is a grid line twice. Stretches of equal length (a fold's panels) get
    the same lines, so the grid is its own mirror image about a crease between them."""
    cuts = np.unique(np.concatenate([[0.0, extent], np.asarray(creases, dtype=np.float64)]))
    stretches = [np.linspace(a, b, max(1, int(np.ceil((b - a) / cell_mm - 1e-9))) + 1)
                 for a, b in zip(cuts[:-1], cuts[1:])]
    return np.concatenate(stretches)


def cell_triangles(a, b, c, d, flip: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cells' two CCW (seen from +z on the flat sheet) triangles from their corner ids (arrays of one shape; a b above
    d c on the page, a the first row and column): (a, d, c) and (a, c, b), split along a–c, or where ``flip`` is set
    (a, d, b) and (b, d, c), along b–d."""
    first, second = np.stack([a, d, c], -1), np.stack([a, c, b], -1)
    if flip is not None:
        first = np.where(flip[..., None], np.stack([a, d, b], -1), first)
        second = np.where(flip[..., None], np.stack([b, d, c], -1), second)
    return first, second


def grid_faces(rows: int, cols: int, flip: np.ndarray | None = None) -> np.ndarray:
    """The grid's faces: every cell's two :func:`cell_triangles` (``flip`` (rows-1, cols-1) as there), first ones
    first."""
    j, i = np.mgrid[0 : rows - 1, 0 : cols - 1]
    a = j * cols + i
    first, second = cell_triangles(a, a + 1, a + cols + 1, a + cols, flip)
    return np.concatenate([first.reshape(-1, 3), second.reshape(-1, 3)]).astype(np.int32)


def grid_normals(pos: np.ndarray, gx: np.ndarray, gy: np.ndarray, flip: np.ndarray | None = None) -> np.ndarray:
    """Area-weighted unit vertex normals (R, C, 3) of the triangles of :func:`grid_faces`.

    The zero-width cells between a fold crease's two copies are left out, so each copy takes only its own side's
    faces and the crease shades sharply.
    """
    a, b, c, d = pos[:-1, :-1], pos[:-1, 1:], pos[1:, 1:], pos[1:, :-1]
    real = ((np.diff(gy)[:, None] > 0) & (np.diff(gx)[None, :] > 0))[..., None]
    flip = np.zeros(real.shape, bool) if flip is None else flip[..., None]
    # twice each triangle's area along its normal: (a, d, c) and (a, c, b), or (a, d, b) and (b, d, c) where flipped
    first = np.where(flip, np.cross(d - a, b - a), np.cross(d - a, c - a)) * real
    second = np.where(flip, np.cross(d - b, c - b), np.cross(c - a, b - a)) * real
    n = np.zeros_like(pos)
    n[:-1, :-1] += first + np.where(flip, 0.0, second)
    n[1:, 1:] += second + np.where(flip, 0.0, first)
    n[1:, :-1] += first + np.where(flip, second, 0.0)
    n[:-1, 1:] += second + np.where(flip, first, 0.0)
    length = np.linalg.norm(n, axis=-1, keepdims=True)
    return np.where(length > 0, n / np.maximum(length, 1e-30), [0.0, 0.0, 1.0])


def rest_on_table(pos: np.ndarray) -> np.ndarray:
    """Turn the sheet (R, C, 3) onto the stable face of its convex hull nearest its pose, then lift it to z ≥ 0.

    A sheet rests on the hull facet under its centre of mass: a tented fold on its two edges, a V on one panel.
    """
    pts = pos.reshape(-1, 3)
    if np.ptp(pts[:, 2]) < 1e-9:
        return pos - [0.0, 0.0, pts[:, 2].min()]
    rows, cols = pos.shape[:2]
    stride = max(1, int(np.sqrt(rows * cols / 2000)))
    sample = np.concatenate([pos[::stride, ::stride].reshape(-1, 3), pos[[0, -1]].reshape(-1, 3),
                             pos[:, [0, -1]].reshape(-1, 3)])
    hull = ConvexHull(sample)
    normal, offset = hull.equations[:, :3], hull.equations[:, 3]
    com = pts.mean(axis=0)
    down = normal[:, 2] < -0.3
    tri = sample[hull.simplices[down]]
    proj = com - (normal[down] @ com + offset[down])[:, None] * normal[down]
    # Barycentric containment of the centre of mass's projection in each downward facet.
    e0, e1, ep = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0], proj - tri[:, 0]
    d00, d01, d11 = (e0 * e0).sum(1), (e0 * e1).sum(1), (e1 * e1).sum(1)
    d20, d21 = (ep * e0).sum(1), (ep * e1).sum(1)
    den = np.maximum(d00 * d11 - d01 * d01, 1e-30)
    bv, bw = (d11 * d20 - d01 * d21) / den, (d00 * d21 - d01 * d20) / den
    inside = (bv >= -1e-9) & (bw >= -1e-9) & (bv + bw <= 1 + 1e-9)
    cand = normal[down][inside] if inside.any() else normal[down]
    n = cand[np.argmin(cand[:, 2])]
    axis = np.cross(n, [0.0, 0.0, -1.0])
    s, c = np.linalg.norm(axis), -n[2]
    out = pts
    if s > 1e-9:
        k = axis / s
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        rot = np.eye(3) + s * kx + (1 - c) * kx @ kx
        out = com + (pts - com) @ rot.T
    out = out - [0.0, 0.0, out[:, 2].min()]
    return out.reshape(pos.shape)


def _apply(d: Deformation, pos: np.ndarray, page: np.ndarray, spec: SheetSpec,
           gen: np.random.Generator, name: str) -> tuple[np.ndarray, list[Crease]]:
    """Deformation ``d`` (named ``name`` in errors) applied to the grid ``pos``; returns it and any creases made."""
    size = (spec.width_mm, spec.height_mm)
    if isinstance(d, Fold):
        return folds.fold(d, pos, page, size, spec.thickness_mm)
    if isinstance(d, DogEar):
        return folds.dog_ear(d, pos, page, size, spec.cell_mm, spec.thickness_mm)
    if isinstance(d, Curl):
        return warps.curl(d, pos, size, name), []
    if isinstance(d, CreaseLines):
        return warps.crease_lines(d, pos, page, size, gen)
    if isinstance(d, Wrinkles):
        return warps.wrinkles(d, pos, gen), []
    raise TypeError(f"unknown deformation {type(d).__name__}")


def build_sheet(spec: SheetSpec, gen: np.random.Generator) -> Sheet:
    """Mesh the page, apply ``spec.deformations`` in order, and rest the result on the table."""
    size = (spec.width_mm, spec.height_mm)
    fold = next((d for d in spec.deformations if isinstance(d, Fold)), None)  # at most one (check_order)
    fold_x, fold_y = folds.grid_lines(fold, size) if fold else ([], [])
    gx = grid_lines(spec.width_mm, spec.cell_mm, fold_x)
    gy = grid_lines(spec.height_mm, spec.cell_mm, fold_y)
    flip = folds.mirrored_cells(fold, size, gx, gy) if fold else None
    page = np.stack(np.meshgrid(gx, gy), axis=-1)  # (R, C, 2) page mm
    flat = coords.page_to_world(page, spec.height_mm)
    pos = flat
    creases: list[Crease] = []
    for i, d in enumerate(spec.deformations):
        pos, new = _apply(d, pos, page, spec, gen, f"sheet.deformations[{i}]")
        creases += new
    pos = rest_on_table(pos)
    uv = coords.page_to_uv(page, *size).reshape(-1, 2)
    faces = grid_faces(len(gy), len(gx), flip)
    vertices = pos.reshape(-1, 3)
    normals = grid_normals(pos, gx, gy, flip).reshape(-1, 3)
    return Sheet(vertices=vertices.astype(np.float32), flat_vertices=flat.reshape(-1, 3).astype(np.float32),
                 uv=uv.astype(np.float32), faces=faces, normals=normals.astype(np.float32),
                 creases=creases, width_mm=spec.width_mm, height_mm=spec.height_mm, grid_x=gx, grid_y=gy,
                 gloss=spec.gloss, flip=flip)
