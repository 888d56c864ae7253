"""Self-intersection of a triangle mesh, for the sheet tests: do any two triangles that share no vertex cross?

Broad phase: triangles binned by their bounding boxes on a grid over the table (x, y), as the sheet's layers stack
in z; pairs that share a bin are candidates. Narrow phase: two triangles cross when an edge of one passes through
the other's interior (Möller–Trumbore), which catches every crossing of triangles in general position.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9


def _candidate_pairs(tri: np.ndarray, bin_mm: float) -> np.ndarray:
    """(K, 2) face index pairs i < j whose bounding boxes share a bin of ``bin_mm`` on x and y."""
    lo = np.floor(tri[:, :, :2].min(axis=1) / bin_mm).astype(np.int64)
    hi = np.floor(tri[:, :, :2].max(axis=1) / bin_mm).astype(np.int64)
    faces, keys = [], []
    span = hi - lo + 1
    for dx in range(int(span[:, 0].max())):
        for dy in range(int(span[:, 1].max())):
            ok = (dx < span[:, 0]) & (dy < span[:, 1])
            idx = np.nonzero(ok)[0]
            faces.append(idx)
            keys.append((lo[idx, 0] + dx) * 1_000_003 + (lo[idx, 1] + dy))
    faces, keys = np.concatenate(faces), np.concatenate(keys)
    order = np.lexsort((faces, keys))
    faces, keys = faces[order], keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    counts = np.diff(np.r_[starts, len(keys)])
    pairs = []
    for size in np.unique(counts[counts > 1]):
        groups = faces[starts[counts == size][:, None] + np.arange(size)]  # (G, size)
        i, j = np.triu_indices(size, 1)
        pairs.append(np.stack([groups[:, i].ravel(), groups[:, j].ravel()], axis=1))
    if not pairs:
        return np.zeros((0, 2), np.int64)
    return np.unique(np.concatenate(pairs), axis=0)


def _edges_cross(tri_a: np.ndarray, tri_b: np.ndarray, tol: float) -> np.ndarray:
    """(K,) whether an edge of triangle a passes through the interior of triangle b (Möller–Trumbore); both are
    (K, 3, 3). ``tol``: barycentric and edge-parameter margin, so touching at a boundary does not count."""
    hit = np.zeros(len(tri_a), bool)
    e1, e2 = tri_b[:, 1] - tri_b[:, 0], tri_b[:, 2] - tri_b[:, 0]
    for k in range(3):
        p, q = tri_a[:, k], tri_a[:, (k + 1) % 3]
        d = q - p
        h = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, h)
        ok = np.abs(det) > EPS  # parallel: no crossing point
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = p - tri_b[:, 0]
        u = inv * np.einsum("ij,ij->i", s, h)
        qv = np.cross(s, e1)
        v = inv * np.einsum("ij,ij->i", d, qv)
        t = inv * np.einsum("ij,ij->i", e2, qv)
        hit |= ok & (u > tol) & (v > tol) & (u + v < 1 - tol) & (t > tol) & (t < 1 - tol)
    return hit


def self_intersections(vertices: np.ndarray, faces: np.ndarray, tol: float = 1e-6) -> np.ndarray:
    """(K, 2) pairs of faces that share no vertex and cross each other."""
    v, f = np.asarray(vertices, np.float64), np.asarray(faces, np.int64)
    tri = v[f]
    edge = np.linalg.norm(tri[:, 1] - tri[:, 0], axis=1)
    pairs = _candidate_pairs(tri, bin_mm=2.0 * float(np.median(edge)))
    shared = (f[pairs[:, 0]][:, :, None] == f[pairs[:, 1]][:, None, :]).any(axis=(1, 2))
    pairs = pairs[~shared]
    crossing = np.zeros(len(pairs), bool)
    for start in range(0, len(pairs), 200_000):  # in chunks: a crumpled sheet has millions of candidates
        a, b = tri[pairs[start:start + 200_000, 0]], tri[pairs[start:start + 200_000, 1]]
        crossing[start:start + len(a)] = _edges_cross(a, b, tol) | _edges_cross(b, a, tol)
    return pairs[crossing]
