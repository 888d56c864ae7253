"""Occluder meshes: closed outward-facing surfaces resting on the table, a hand shaped like one."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.occluders import Occluder, occluder_mesh


@pytest.mark.parametrize("kind", ["hand", "pen", "clip"])
def test_faces_wind_outward_and_the_mesh_rests_on_the_table(kind: str) -> None:
    """The shader lights the side a triangle's winding faces, so a face wound inward renders black; every occluder
    lies on z = 0 (the paper) without sinking into it."""
    mesh = occluder_mesh(Occluder(kind=kind))
    tri = mesh.vertices.reshape(-1, 3, 3).astype(np.float64)
    geometric = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(geometric, axis=1)
    keep = area > 1e-6 * area.max()  # degenerate slivers at poles have no winding
    shading = mesh.normals.reshape(-1, 3, 3).mean(axis=1)
    agree = np.einsum("ij,ij->i", geometric[keep], shading[keep]) > 0
    assert agree.mean() > 0.99
    assert -1.0 <= mesh.vertices[:, 2].min() <= 1.0


def test_the_hand_has_five_fingertips_on_the_paper_and_an_arm_leaving_the_page() -> None:
    mesh = occluder_mesh(Occluder(kind="hand"))
    v = mesh.vertices
    low = v[(v[:, 2] < 1.5) & (v[:, 0] > 0.0)]  # what touches the paper beyond the knuckles: the pads
    # five separate contact patches (four fingertips and the thumb), found by clustering the low points across y
    order = np.argsort(low[:, 1])
    gaps = np.diff(low[order, 1]) > 6.0
    assert gaps.sum() + 1 == 5
    assert v[:, 0].min() < -200.0  # the forearm leaves toward -x
    assert 15.0 < v[:, 2].max() < 70.0  # a hand's height above the paper, not a block


@pytest.mark.parametrize("kind", ["hand", "pen", "clip"])
def test_occluder_triangles_are_short_enough_for_the_lens(kind):
    """The lens bends only vertices: an occluder's grid lines are at most SEGMENT_MM apart (a cell's diagonal at most
    √2 times that), so a 120 mm pen barrel bends with the image instead of staying a straight 120 mm edge."""
    from simulator.occluders import SEGMENT_MM
    tri = occluder_mesh(Occluder(kind=kind)).vertices.reshape(-1, 3, 3)
    edges = np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=2)
    assert edges.max() <= SEGMENT_MM * np.sqrt(2.0) + 1e-3
