"""Fewer triangles where the sheet is smooth: a quadtree of the fine grid's cells, merged where the photo cannot tell
the merged surface from the full grid.

The sheet is meshed on a fine grid so that creases, curls and wrinkles are smooth (:mod:`sheet`), yet most of a
photographed sheet is flat or gently bent, and a CPU rasteriser (Mesa's llvmpipe) spends about a microsecond per
triangle in every pass, needed or not: at 1280×960 the triangles are about 40% of a frame's render. An aligned
square block of cells becomes one *leaf*, drawn as a fan from its centre vertex, when every fine vertex inside lies
close to that fan:

- its position within ``tol_px`` (converted to millimetres at the sheet's largest image scale), in every direction,
  along the view ray too, and within half the paper's thickness where a flap lies over the page (a dog-ear, a fold
  closed past 90°), so the flap keeps its gap to the page under it;
- its normal within ``NORMAL_TOL`` and its ambient visibility within ``AO_TOL``, so shading does not change;
- where the GPU draws it, within ``LENS_TOL_PX`` of where :func:`camera.project_points` (and so the ground truth's
  sample positions) puts it: a lens bends straight lines, but triangles are drawn straight between distorted
  vertices. A bound from the distortion's curvature clears the small triangles (:func:`lens.lens_span`); larger ones
  are probed where a straight triangle strays most (:data:`LENS_PROBES`).

Neighbouring leaves differ by at most a factor of two in size, and a leaf beside smaller ones adds the middle vertex
of that side to its fan, so the mesh has no T-junctions (no cracks); leaves whose fan changed that way are checked
again, and split where they fail. Every vertex of the result is a vertex of the fine grid, with its normal, and the
ground truth comes from the simplified mesh as drawn (:meth:`SimplifiedSheet.uv_to_world` finds a UV's triangle
through the fine cell it lies in), so it is as exact as before: the tolerances only bound how far the drawn paper
departs from the simulated one. Fold creases stay sharp: a leaf across a crease's two copies fails the normal test.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .camera import Camera, camera_space, distort, normalized_coords, project_points, to_pixels
from .lens import lens_span
from .shadows import vertex_ao
from .sheet import Sheet, cell_triangles

NORMAL_TOL = 0.01  # unit-normal difference (0.6°): diffuse light changes by under 1%
AO_TOL = 0.01  # ambient visibility (0.25-1)
LENS_TOL_PX = 0.05  # drawn against projected: what the ground truth's sample positions may differ by
MAX_LEAF = 32  # cells on a side of the largest leaf
CHECKS = 12  # rounds of checking the finished mesh and splitting the leaves that fail, before giving up on it
LENS_PROBES = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5], [0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
"""Barycentric points where a triangle drawn straight under a lens strays most: edge middles and the centroid (the
stray is zero at the vertices and smooth, near quadratic, across a leaf)."""
FAN = 8  # triangles of a leaf's fan at most (four sides, each halved where the neighbour is smaller)


@dataclasses.dataclass(kw_only=True)
class SimplifiedSheet(Sheet):
    """A :class:`Sheet` drawn with fewer triangles: its vertices are a subset of the fine grid's, its faces the
    leaves' fans. ``grid_x``/``grid_y`` stay the fine grid's lines, by which a UV finds its leaf."""

    cell_leaf: np.ndarray  # (R-1, C-1) int: the leaf holding each fine cell
    leaf_faces: np.ndarray  # (L, FAN, 3) int: each leaf's triangles (vertex ids) by side, padded with its first
    leaf_box: np.ndarray  # (L, 6) page mm: x0, x1, y0, y1 of each leaf and its centre vertex's x, y
    leaf_single: np.ndarray  # (L,) bool: a single cell, drawn as the fine grid's two triangles (slots 0 and 1)
    flat_xy: np.ndarray  # (N, 2) page mm of the vertices (barycentric coordinates are taken there)
    ring: np.ndarray  # the fine grid's outer ring of world points (the table is cut along it)

    def uv_to_world(self, uv: np.ndarray) -> np.ndarray:
        """World position (K, 3) of UVs (K, 2) on the simplified mesh, exact for the triangles drawn. As for
        :meth:`Sheet.uv_to_world`, UVs outside [0, 1] clamp and a UV on a fold crease resolves to the side after it.

        A UV finds its leaf through the fine cell it lies in, then the side of the leaf the ray from the leaf's
        centre through it leaves by (each side has the fan's one or two triangles), then its triangle of those."""
        xy = self.page_xy(uv)
        leaf = self.cell_leaf[self.cells(xy)]
        x0, x1, y0, y1, xc, yc = self.leaf_box[leaf].T
        dx, dy = xy[:, 0] - xc, xy[:, 1] - yc
        with np.errstate(divide="ignore", invalid="ignore"):  # at the centre itself any side holds the point
            across = np.abs(dx / np.where(dx > 0, x1 - xc, xc - x0))
            down = np.abs(dy / np.where(dy > 0, y1 - yc, yc - y0))
        side = np.where(across >= down, np.where(dx < 0, 0, 2), np.where(dy > 0, 1, 3))  # a-d, d-c, c-b, b-a
        slot = np.where(self.leaf_single[leaf], 0, 2 * side)[:, None] + np.arange(2)
        weights, ids = _barycentric(self.flat_xy, self.leaf_faces[leaf[:, None], slot], xy)
        return np.einsum("kt,ktd->kd", weights, np.asarray(self.vertices, np.float64)[ids])

    def outline(self) -> np.ndarray:
        return self.ring


@dataclasses.dataclass
class _Fields:
    """What must survive simplification, per fine vertex (R*C, ...), with the page positions of the vertices."""

    xy: np.ndarray  # (N, 2) page mm
    pos: np.ndarray  # (N, 3) world mm
    screen: np.ndarray  # (N, 2) image px where the GPU puts the vertex (distorted)
    w: np.ndarray  # (N,) clip w: camera depth (perspective) or 1 (orthographic)
    ray: np.ndarray  # (N, 2) undistorted normalised image coordinates (what the lens acts on)
    normal: np.ndarray  # (N, 3)
    ao: np.ndarray  # (N,)


@dataclasses.dataclass(frozen=True)
class _Tolerance:
    mm: float
    px: float
    lens_span: float  # the longest triangle edge (normalised image coordinates) the lens cannot bend by ``px``
    normal: float = NORMAL_TOL
    ao: float = AO_TOL


def simplify_sheet(sheet: Sheet, camera: Camera, tol_px: float, gap_mm: float = np.inf) -> Sheet:
    """``sheet`` with its cells merged where ``camera`` cannot tell the difference within ``tol_px`` (see the module
    docstring), positions also within half ``gap_mm``, the narrowest gap between layers of paper lying over one
    another (:meth:`SheetSpec.layer_gap_mm`); ``tol_px <= 0`` returns it unchanged, as does a sheet reaching behind
    the camera."""
    if tol_px <= 0:
        return sheet
    rows, cols = len(sheet.grid_y), len(sheet.grid_x)
    grid = (sheet.grid_x, sheet.grid_y, cols)
    cam_pts = camera_space(camera, sheet.vertices)
    ray = normalized_coords(camera, cam_pts)
    screen, depth = to_pixels(camera, distort(camera, ray)), cam_pts[:, 2]  # camera.project_points, in its steps
    if not (np.isfinite(screen).all() and (depth > 0).all()):
        return sheet
    ao = vertex_ao(np.asarray(sheet.vertices), np.asarray(sheet.faces), np.asarray(sheet.normals))
    xy = np.stack(np.meshgrid(sheet.grid_x, sheet.grid_y), axis=-1).reshape(-1, 2).astype(np.float64)
    fields = _Fields(xy, np.asarray(sheet.vertices, np.float64), screen,
                     depth if camera.projection == "perspective" else np.ones_like(depth), ray,
                     np.asarray(sheet.normals, np.float64), ao.astype(np.float64))
    tol = _Tolerance(min(tol_px / _px_per_mm(fields, rows, cols), gap_mm / 2), LENS_TOL_PX,
                     lens_span(camera, ray, LENS_TOL_PX))
    leaves = _grow_leaves(fields, camera, tol, grid)
    checked = _keys(leaves, cols)  # these passed as plain fans
    for _ in range(CHECKS):
        leaves = _balance(leaves, rows, cols)
        tris, index, mids = _triangulate(leaves, rows, cols, sheet.flip)
        # a leaf is drawn as checked unless balancing made it or gave its fan a middle vertex (size 1 is exact)
        suspect = np.flatnonzero((leaves[:, 2] > 1) & (mids.any(axis=1) | ~np.isin(_keys(leaves, cols), checked)))
        bad = _failing(fields, camera, tol, leaves, mids, suspect, grid)
        if not len(bad):
            return _simplified(sheet, leaves, tris, index, fields)
        leaves = _split(leaves, bad, rows, cols)
    return sheet


def _keys(leaves: np.ndarray, cols: int) -> np.ndarray:
    """One integer per leaf, for set membership."""
    return ((leaves[:, 0] * cols + leaves[:, 1]) << 7) | leaves[:, 2]  # sizes stay below 2**7


def _failing(f: _Fields, camera: Camera, tol: _Tolerance, leaves: np.ndarray, mids: np.ndarray, which: np.ndarray,
             grid: tuple) -> np.ndarray:
    """The leaves among ``which`` whose fan as drawn (with its ``mids``) misses a fine vertex by more than ``tol``."""
    bad = [np.zeros(0, int)]
    for s in np.unique(leaves[which, 2]):
        sel = which[leaves[which, 2] == s]
        bad.append(sel[~_fan_ok(f, camera, tol, leaves[sel, :2], int(s), mids[sel], grid)])
    return np.concatenate(bad)


def _px_per_mm(f: _Fields, rows: int, cols: int) -> float:
    """The sheet's largest image scale: image length over world length of its grid edges."""
    pos, screen = f.pos.reshape(rows, cols, 3), f.screen.reshape(rows, cols, 2)
    scale = 0.0
    for axis in (0, 1):
        d_world = np.linalg.norm(np.diff(pos, axis=axis), axis=-1)
        d_image = np.linalg.norm(np.diff(screen, axis=axis), axis=-1)
        real = d_world > 1e-9  # not the zero-length edges between a fold crease's two copies
        if real.any():
            scale = max(scale, float((d_image[real] / d_world[real]).max()))
    return max(scale, 1e-9)


# --- leaves: (j0, i0, size) rows of an int array, in fine-cell units -------------------------------------------------

def _grow_leaves(f: _Fields, camera: Camera, tol: _Tolerance, grid: tuple) -> np.ndarray:
    """Bottom-up: aligned blocks of 2, 4, … MAX_LEAF cells, a block merged when its four quarters were and its own
    fan lies within ``tol``; what no merged block takes stays a leaf of its size. Rows of (j0, i0, size) in fine
    cells. (Bottom-up, a crumpled sheet costs one round of checks, not one per size.)"""
    gx, gy, cols = grid
    cells = (len(gy) - 1, cols - 1)
    ok, size, leaves = np.ones(cells, bool), 1, []  # ok: blocks of ``size`` merged so far (single cells: all)
    while size < MAX_LEAF and ok.any():
        n_r, n_c = cells[0] // (2 * size), cells[1] // (2 * size)  # parent blocks wholly inside the grid
        whole = ok[:2 * n_r, :2 * n_c].reshape(n_r, 2, n_c, 2).all(axis=(1, 3))
        if size == 1:  # the whole grid: the cheap way
            up = _pairs_ok(f, camera, tol, grid, n_r, n_c)
        else:
            up, candidates = np.zeros((n_r, n_c), bool), np.argwhere(whole)
            plain = np.zeros((len(candidates), 4), bool)  # the fan without middle vertices
            if len(candidates):
                up[tuple(candidates.T)] = _fan_ok(f, camera, tol, candidates * 2 * size, 2 * size, plain, grid)
        taken = np.zeros_like(ok)
        taken[:2 * n_r, :2 * n_c] = up.repeat(2, axis=0).repeat(2, axis=1)
        stay = np.argwhere(ok & ~taken)
        leaves.append(np.column_stack([stay * size, np.full(len(stay), size)]))
        ok, size = up, 2 * size
    stay = np.argwhere(ok)
    leaves.append(np.column_stack([stay * size, np.full(len(stay), size)]))
    return np.concatenate(leaves)


def _pairs_ok(f: _Fields, camera: Camera, tol: _Tolerance, grid: tuple, n_r: int, n_c: int) -> np.ndarray:
    """(n_r, n_c) whether each aligned block of 2x2 cells lies within ``tol`` of its fan. Its corners and centre are
    fan vertices, so only the middles of its sides are interpolated, each between two corners: checked for the whole
    grid at once by slicing, each side once for the two blocks that share it."""
    gx, gy, cols = grid
    rows = len(gy)
    shape = (rows, cols)
    fields = [(f.pos.reshape(*shape, 3), tol.mm), (f.normal.reshape(*shape, 3), tol.normal),
              (f.ao.reshape(*shape, 1), tol.ao)]

    def middles_ok(axis: int) -> np.ndarray:
        """Whether every second vertex along ``axis`` lies within tol of the chord of its two neighbours."""
        lines = gx if axis == 1 else gy
        n = n_c if axis == 1 else n_r
        lo, mid, hi = (np.s_[0:2 * n:2], np.s_[1:2 * n:2], np.s_[2:2 * n + 1:2])
        width = lines[hi] - lines[lo]
        t = np.where(width > 0, (lines[mid] - lines[lo]) / np.where(width > 0, width, 1.0), 1.0)
        t = t[None, :, None] if axis == 1 else t[:, None, None]
        take = (lambda a, sl: a[:, sl]) if axis == 1 else (lambda a, sl: a[sl])
        ok = True
        for k, (field, limit) in enumerate(fields):
            mixed = (1 - t) * take(field, lo) + t * take(field, hi)
            if k == 1:  # normals: renormalised, as the shader does
                mixed = mixed / np.maximum(np.linalg.norm(mixed, axis=-1, keepdims=True), 1e-12)
            ok = ok & (np.linalg.norm(mixed - take(field, mid), axis=-1) <= limit)
        return ok

    across, down = middles_ok(1), middles_ok(0)  # (rows, n_c) and (n_r, cols)
    ok = across[0:2 * n_r:2] & across[2:2 * n_r + 1:2] & down[:, 0:2 * n_c:2] & down[:, 2:2 * n_c + 1:2]
    merged = np.argwhere(ok)  # and where the lens bends them
    ok[tuple(merged.T)] = _lens_ok(f, camera, tol, _fans(merged * 2, 2, np.zeros((len(merged), 4), bool), cols))
    return ok


def _quarters(nodes: np.ndarray, size: int, rows: int, cols: int) -> np.ndarray:
    """The four children of each node (size // 2), without those starting outside the grid's cells."""
    half = size // 2
    kids = (nodes[:, None, :] + np.array([[0, 0], [0, half], [half, 0], [half, half]])[None]).reshape(-1, 2)
    return kids[(kids[:, 0] < rows - 1) & (kids[:, 1] < cols - 1)]


def _block_points(nodes: np.ndarray, size: int, cols: int) -> np.ndarray:
    """(n, (size+1)**2) fine vertex ids of each node's block, row by row."""
    dj, di = np.meshgrid(np.arange(size + 1), np.arange(size + 1), indexing="ij")
    return (nodes[:, 0, None] + dj.ravel()[None]) * cols + nodes[:, 1, None] + di.ravel()[None]


def _fan_ok(f: _Fields, camera: Camera, tol: _Tolerance, nodes: np.ndarray, size: int, mids: np.ndarray,
            grid: tuple) -> np.ndarray:
    """Whether each node's fine vertices lie within ``tol`` of its fan (:func:`_fans`; ``mids`` (n, 4) says which
    sides have their middle vertex), and, for nodes too large on screen for the lens to leave alone, whether the fan
    is drawn where the lens puts it at :data:`LENS_PROBES`.

    Barycentric weights are affine-invariant, so they are taken in the node's own coordinates (u, v in [0, 1]
    across its page rectangle; the grid's lines need not be evenly spaced): each fan triangle is solved in closed
    form, and the one whose smallest weight is largest holds the point. Degenerate slots (a side without its middle)
    give NaN weights and are never chosen."""
    gx, gy, cols = grid
    n = len(nodes)

    def fractions(lines: np.ndarray, start: np.ndarray) -> np.ndarray:
        x = lines[start[:, None] + np.arange(size + 1)]
        return (x - x[:, :1]) / (x[:, -1:] - x[:, :1])

    u, v = fractions(gx, nodes[:, 1]), fractions(gy, nodes[:, 0])  # (n, size+1)
    tris = _fans(nodes, size, mids, cols)  # (n, FAN, 3) fine ids, vertex 0 the centre
    tu = np.take_along_axis(u, (tris % cols - nodes[:, 1, None, None]).reshape(n, -1), axis=1).reshape(tris.shape)
    tv = np.take_along_axis(v, (tris // cols - nodes[:, 0, None, None]).reshape(n, -1), axis=1).reshape(tris.shape)
    best = np.full((n, size + 1, size + 1), -np.inf)
    weights, which = np.zeros(best.shape + (3,)), np.zeros(best.shape, int)
    for t in range(FAN):
        if t % 2 and not mids[:, t // 2].any():
            continue  # the second half of a side no node here splits: degenerate everywhere
        cu, cv = tu[:, t, 0, None, None], tv[:, t, 0, None, None]
        eu, ev = tu[:, t, 1, None, None] - cu, tv[:, t, 1, None, None] - cv
        gu, gv = tu[:, t, 2, None, None] - cu, tv[:, t, 2, None, None] - cv
        qu, qv = u[:, None, :] - cu, v[:, :, None] - cv  # the block's points relative to the centre
        with np.errstate(divide="ignore", invalid="ignore"):
            det = eu * gv - gu * ev
            alpha, beta = (qu * gv - gu * qv) / det, (eu * qv - qu * ev) / det
            gamma = 1 - alpha - beta
        take = np.minimum(np.minimum(gamma, alpha), beta) > best
        best = np.where(take, np.minimum(np.minimum(gamma, alpha), beta), best)
        weights = np.where(take[..., None], np.stack([gamma, alpha, beta], axis=-1), weights)
        which = np.where(take, t, which)
    tri = tris[np.arange(n)[:, None], which.reshape(n, -1)]  # (n, P, 3)
    points = _block_points(nodes, size, cols)
    ok = _close(f, tol, weights.reshape(-1, 3), tri.reshape(-1, 3), points.ravel()).reshape(n, -1).all(axis=1)
    ok[ok] = _lens_ok(f, camera, tol, tris[ok])
    return ok


def _lens_ok(f: _Fields, camera: Camera, tol: _Tolerance, tris: np.ndarray) -> np.ndarray:
    """(n,) whether each node's fan triangles ``tris`` (n, T, 3) are drawn where the lens puts their points: true
    at once for nodes whose triangles are too small on screen for the lens's curvature to matter (lens.lens_span), else
    probed where a straight triangle strays most from the curve (:data:`LENS_PROBES`)."""
    corners = f.ray[tris]  # (n, T, 3, 2)
    edges = np.linalg.norm(corners - np.roll(corners, 1, axis=2), axis=-1).max(axis=(1, 2))
    ok = np.ones(len(tris), bool)
    probe = edges > tol.lens_span
    if probe.any():
        m, t = int(probe.sum()), tris.shape[1]
        probe_ids = np.repeat(tris[probe].reshape(-1, 3), len(LENS_PROBES), axis=0)
        w = np.tile(LENS_PROBES, (m * t, 1))
        ok[probe] = _drawn_close(f, camera, tol, w, probe_ids).reshape(m, -1).all(axis=1)
    return ok


def _blocks(leaves: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the fine cells of each of ``leaves`` (all of ``size``), (n, size * size) each."""
    dj, di = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    return ((leaves[:, 0, None] + dj.ravel()[None]), (leaves[:, 1, None] + di.ravel()[None]))


def _size_map(leaves: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(leaf size of every fine cell, leaf index of every fine cell), both (rows-1, cols-1)."""
    size, index = np.zeros((rows - 1, cols - 1), int), np.zeros((rows - 1, cols - 1), int)
    for s in np.unique(leaves[:, 2]):
        sel = np.flatnonzero(leaves[:, 2] == s)
        jj, ii = _blocks(leaves[sel], int(s))
        size[jj, ii] = s
        index[jj, ii] = sel[:, None]
    return size, index


def _balance(leaves: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Split leaves until every leaf's edge neighbours are at least half its size (so at most one extra vertex per
    side: the middle one)."""
    while True:
        size, _ = _size_map(leaves, rows, cols)
        padded = np.pad(size, 1, constant_values=1 << 30)
        smallest = np.minimum.reduce([padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]])
        need = []
        for s in np.unique(leaves[:, 2]):
            sel = np.flatnonzero(leaves[:, 2] == s)
            jj, ii = _blocks(leaves[sel], int(s))
            need.append(sel[smallest[jj, ii].min(axis=1) < s // 2])
        need = np.concatenate(need)
        if not len(need):
            return leaves
        leaves = _split(leaves, need, rows, cols)


def _split(leaves: np.ndarray, which: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Leaves with the ``which`` ones (of size > 1) replaced by their quarters."""
    which = np.unique(which)
    which = which[leaves[which, 2] > 1]
    if not len(which):
        return leaves
    kids = []
    for s in np.unique(leaves[which, 2]):
        quarters = _quarters(leaves[which[leaves[which, 2] == s], :2], int(s), rows, cols)
        kids.append(np.column_stack([quarters, np.full(len(quarters), s // 2)]))
    return np.concatenate([np.delete(leaves, which, axis=0), *kids])


# --- triangles -----------------------------------------------------------------------------------------------------

def _fans(nodes: np.ndarray, size: int, mids: np.ndarray, cols: int, flip: np.ndarray | None = None) -> np.ndarray:
    """(n, FAN, 3) fine vertex ids of each node's fan: centre to the loop a, d, c, b (the rotation of
    :func:`sheet.grid_faces`' triangles), with each side's middle vertex where ``mids`` (n, 4: sides a-d, d-c,
    c-b, b-a) says. A side without its middle gives a degenerate triangle, later dropped. Size-1 nodes are the
    grid's own two triangles, split along the diagonal the sheet's ``flip`` (R-1, C-1) gives their cell."""
    j0, i0 = nodes[:, 0], nodes[:, 1]
    vid = lambda dj, di: (j0 + dj) * cols + i0 + di  # noqa: E731  (a vertex of each node, by offset)
    if size == 1:
        two = np.stack(cell_triangles(vid(0, 0), vid(0, 1), vid(1, 1), vid(1, 0),
                                      None if flip is None else flip[j0, i0]), 1)
        return np.concatenate([two, np.repeat(two[:, :1], FAN - 2, axis=1)], axis=1)
    s, h = size, size // 2
    corners = [vid(0, 0), vid(s, 0), vid(s, s), vid(0, s)]  # a, d, c, b
    middles = [vid(h, 0), vid(s, h), vid(h, s), vid(0, h)]
    loop = []
    for k in range(4):
        loop += [corners[k], np.where(mids[:, k], middles[k], corners[(k + 1) % 4])]
    loop = np.stack(loop, 1)  # (n, 8)
    centre = vid(h, h)[:, None].repeat(FAN, axis=1)
    return np.stack([centre, loop, np.roll(loop, -1, axis=1)], axis=-1)


def _triangulate(leaves: np.ndarray, rows: int, cols: int,
                 flip: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (balanced) leaf's fan in fine vertex ids (L, FAN, 3), each side split where the neighbour is smaller,
    padded with the leaf's first triangle (single cells split as the sheet's ``flip`` says); the leaf index of every
    fine cell (rows-1, cols-1); and which sides of each leaf have their middle vertex (L, 4)."""
    size, index = _size_map(leaves, rows, cols)
    tris, all_mids = np.empty((len(leaves), FAN, 3), int), np.zeros((len(leaves), 4), bool)
    for s in np.unique(leaves[:, 2]):
        sel = np.flatnonzero(leaves[:, 2] == s)
        j0, i0 = leaves[sel, 0], leaves[sel, 1]
        mids = np.zeros((len(sel), 4), bool)
        if s > 1:  # a neighbour's size at the first cell past each side (the grid's border has none)
            for k, (dj, di) in enumerate([(0, -1), (s, 0), (0, s), (-1, 0)]):  # sides a-d, d-c, c-b, b-a
                jj, ii = j0 + dj, i0 + di
                there = (jj >= 0) & (jj < rows - 1) & (ii >= 0) & (ii < cols - 1)
                mids[there, k] = size[jj[there], ii[there]] < s
        tris[sel] = _fans(leaves[sel, :2], int(s), mids, cols, flip)
        all_mids[sel] = mids
    degenerate = (tris[..., 0] == tris[..., 1]) | (tris[..., 1] == tris[..., 2]) | (tris[..., 0] == tris[..., 2])
    return np.where(degenerate[..., None], tris[:, :1], tris), index, all_mids


def _simplified(sheet: Sheet, leaves: np.ndarray, tris: np.ndarray, index: np.ndarray, f: _Fields) -> SimplifiedSheet:
    """The sheet drawn as the ``leaves``' fans ``tris`` (fine vertex ids): only the vertices they use."""
    first = np.zeros(tris.shape[:2], bool)
    first[:, 0] = True
    padding = (tris == tris[:, :1]).all(axis=-1) & ~first  # the fan's first triangle repeated
    faces = tris[~padding]
    used, remap = np.unique(faces, return_inverse=True)
    gx, gy = np.asarray(sheet.grid_x, np.float64), np.asarray(sheet.grid_y, np.float64)
    j0, i0, size = leaves.T
    box = np.stack([gx[i0], gx[i0 + size], gy[j0], gy[j0 + size], gx[i0 + size // 2], gy[j0 + size // 2]], axis=1)
    return SimplifiedSheet(
        vertices=sheet.vertices[used], flat_vertices=sheet.flat_vertices[used], uv=sheet.uv[used],
        faces=remap.reshape(-1, 3).astype(np.int32), normals=sheet.normals[used], creases=sheet.creases,
        width_mm=sheet.width_mm, height_mm=sheet.height_mm, grid_x=sheet.grid_x, grid_y=sheet.grid_y,
        gloss=sheet.gloss, flip=sheet.flip, ao=f.ao[used].astype(np.float32), cell_leaf=index,
        leaf_faces=np.searchsorted(used, tris), leaf_box=box, leaf_single=size == 1, flat_xy=f.xy[used],
        ring=sheet.outline())


# --- interpolation ---------------------------------------------------------------------------------------------------

def _barycentric(vertex_xy: np.ndarray, tris: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Barycentric weights (K, 3) and vertex ids (K, 3) of each point (K, 2) in the candidate triangle (K, T, 3) that
    holds it (the one whose smallest weight is largest, so points on shared edges and rounding are handled)."""
    p = vertex_xy[tris]  # (K, T, 3, 2)
    a, b, c = p[..., 0, :], p[..., 1, :], p[..., 2, :]
    q = xy[:, None, :]
    det = (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (c[..., 0] - a[..., 0]) * (b[..., 1] - a[..., 1])
    safe = np.where(np.abs(det) > 1e-12, det, 1.0)
    wb = ((q[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1]) - (c[..., 0] - a[..., 0]) * (q[..., 1] - a[..., 1])) / safe
    wc = ((b[..., 0] - a[..., 0]) * (q[..., 1] - a[..., 1]) - (q[..., 0] - a[..., 0]) * (b[..., 1] - a[..., 1])) / safe
    w = np.stack([1.0 - wb - wc, wb, wc], axis=-1)  # (K, T, 3)
    score = np.where(np.abs(det) > 1e-12, w.min(axis=-1), -np.inf)  # zero-area triangles hold nothing
    best = score.argmax(axis=1)
    k = np.arange(len(xy))
    return w[k, best], tris[k, best]


def _close(f: _Fields, tol: _Tolerance, weights: np.ndarray, ids: np.ndarray, target) -> np.ndarray:
    """(K,) whether the fine vertices ``target`` lie within ``tol`` (position, normal, ambient visibility) of their
    interpolation by ``weights`` (K, 3) of the vertices ``ids`` (K, 3), as the rasteriser interpolates a triangle's
    attributes."""
    def mix(field: np.ndarray) -> np.ndarray:
        return np.einsum("kt,kt...->k...", weights, field[ids])

    ok = _distance2(mix(f.pos), f.pos[target]) <= tol.mm**2
    normal = mix(f.normal)
    normal /= np.sqrt(np.maximum(np.einsum("kd,kd->k", normal, normal), 1e-24))[:, None]
    ok &= _distance2(normal, f.normal[target]) <= tol.normal**2
    return ok & (np.abs(mix(f.ao) - f.ao[target]) <= tol.ao)


def _distance2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances of matching rows."""
    d = a - b
    return np.einsum("kd,kd->k", d, d)


def _drawn_close(f: _Fields, camera: Camera, tol: _Tolerance, weights: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(K,) whether the surface points ``weights`` (K, 3) of the triangles ``ids`` (K, 3) are drawn within ``tol.px``
    of where the lens puts them: the GPU places them perspective-correctly (weights times clip w) between the
    distorted vertices; :func:`camera.project_points` distorts the point itself."""
    w = f.w[ids] * weights
    drawn = np.einsum("kt,ktd->kd", w, f.screen[ids]) / w.sum(axis=1, keepdims=True)
    exact, _ = project_points(camera, np.einsum("kt,ktd->kd", weights, f.pos[ids]))
    return _distance2(drawn, exact) <= tol.px**2
