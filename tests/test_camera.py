"""Camera, lens and scene-parameter checks that need no OpenGL: conventions, GL ↔ OpenCV agreement, bad input."""

from __future__ import annotations


import numpy as np
import pytest

from simulator import background, lighting, post
from simulator.camera import Camera, extrinsics, gl_matrices, intrinsics_matrix, project_points
from simulator.errors import InputError
from simulator.lens import lens_limit
from simulator.params import from_dict, to_dict
from tests.render_scenes import camera_preset, lighting_preset, post_preset

PAGE = (279.4, 215.9)


def test_top_down_camera_reads_the_page_upright():
    cam = Camera(target=(140.0, 108.0, 0.0))
    xy, z = project_points(cam, np.array([[140.0, 108.0, 0.0], [150.0, 108.0, 0.0], [140.0, 118.0, 0.0]]))
    assert xy[1, 0] > xy[0, 0]  # world +x → image right
    assert xy[2, 1] < xy[0, 1]  # world +y (page top) → image up
    assert np.allclose(xy[0], [cam.cx, cam.cy]) and np.allclose(z, cam.distance_mm)
    r, _ = extrinsics(cam)
    assert np.allclose(r @ r.T, np.eye(3)) and np.isclose(np.linalg.det(r), 1.0)


def test_the_pose_is_cached_by_value_read_only_and_takes_any_sequence():
    """extrinsics is cached (every pass of a frame asks): by the pose's values, so a camera built with lists (the
    Python API allows it; such a camera is unhashable) works too, and the shared arrays cannot be changed."""
    a = Camera(target=(100.0, 50.0, 0.0), tilt_deg=20.0, azimuth_deg=30.0, roll_deg=5.0)
    b = Camera(target=[100, 50, 0], tilt_deg=20, azimuth_deg=30, roll_deg=5, dist=[0.01, 0.0, 0.0, 0.0, 0.0])
    (ra, ta), (rb, tb) = extrinsics(a), extrinsics(b)
    assert np.array_equal(ra, rb) and np.array_equal(ta, tb)
    assert not np.array_equal(extrinsics(Camera(target=(100.0, 50.0, 0.0), tilt_deg=21.0))[0], ra)
    with pytest.raises(ValueError):
        ra[0, 0] = 2.0


@pytest.mark.parametrize("projection", ["perspective", "orthographic"])
def test_gl_matrices_agree_with_k_r_t(projection):
    cam = Camera(projection=projection, tilt_deg=30.0, azimuth_deg=20.0, roll_deg=7.0, principal_dx_px=13.0,
                 principal_dy_px=-9.0)
    pts = np.random.default_rng(0).uniform([0, 0, 0], [280, 216, 40], (50, 3))
    xy, _ = project_points(cam, pts)
    view, proj = gl_matrices(cam, far_mm=3000.0)
    clip = np.c_[pts, np.ones(len(pts))] @ (proj.astype(np.float64) @ view).T
    ndc = clip[:, :2] / clip[:, 3:]
    px = np.stack([(ndc[:, 0] + 1) / 2 * cam.width_px, (1 - ndc[:, 1]) / 2 * cam.height_px], 1)
    assert np.abs(px - xy).max() < 1e-3
    assert intrinsics_matrix(cam)[0, 2] == cam.width_px / 2 + 13.0


def test_the_lens_model_is_exact_past_the_frame_and_refuses_a_fold_inside_it():
    """The vertex shader applies the polynomial up to ``lens_limit``: past the frame's corners, within the radius
    where it still grows; coefficients that fold the image back inside the frame are refused, naming the key."""
    cam = Camera(width_px=1600, height_px=1200, dist=(-0.06, -0.01, 0.0, 0.0, 0.0))
    corner = np.hypot(800, 600) / cam.fx
    limit = lens_limit(cam)
    r = np.linspace(0.0, limit, 1000)
    g = r * (1 - 0.06 * r**2 - 0.01 * r**4)
    assert np.all(np.diff(g) > 0) and g[-1] >= 1.2 * corner  # monotonic, and well past the corners
    with pytest.raises(InputError) as err:
        Camera(focal_mm=14.0, dist=(-0.9, 0.0, 0.0, 0.0, 0.0)).check("camera")
    assert str(err.value).startswith("camera.dist") and "\n" not in str(err.value)


def test_scene_parameters_round_trip_through_dicts():
    gen = np.random.default_rng(3)
    for obj in (camera_preset("phone_photo", gen, PAGE), lighting_preset("phone_photo", gen, (140, 108)),
                background.Background(occluders=(background.Occluder(kind="hand"),)), post_preset("phone_photo", gen)):
        assert from_dict(type(obj), to_dict(obj)) == obj


@pytest.mark.parametrize("cls, data, key", [
    (Camera, {"focal_mm": -5.0}, "camera.focal_mm"),
    (Camera, {"tilt_deg": 95.0}, "camera.tilt_deg"),
    (Camera, {"target": [0.0, 0.0, -10.0]}, "camera.target"),
    (Camera, {"target": [0.0, 0.0, -1000.0]}, "camera.target"),  # the camera below the table too: the target's fault
    (Camera, {"width_px": 0}, "camera.width_px"),
    (Camera, {"distance_mm": 0.0}, "camera.distance_mm"),
    (Camera, {"projection": "fisheye"}, "camera.projection"),
    (lighting.Light, {"position": [0.0, 0.0, -100.0]}, "light.position"),
    (lighting.Light, {"kind": "laser"}, "light.kind"),
    (background.Background, {"table": "marble"}, "background.table"),
    (background.Occluder, {"scale": 0.0}, "occluder.scale"),
    (post.PostFX, {"jpeg_quality": 0}, "post.jpeg_quality"),
    (post.PostFX, {"white_balance_k": -1.0}, "post.white_balance_k"),
])
def test_bad_scene_parameters_name_the_key(cls, data, key):
    with pytest.raises(InputError) as err:
        from_dict(cls, data, key.split(".")[0])
    message = str(err.value)
    assert message.startswith(key) and "\n" not in message


def test_unknown_preset_is_a_one_line_error():
    from simulator.config import preset_scene
    with pytest.raises(InputError, match="underwater") as err:
        preset_scene("underwater", 0)
    assert "\n" not in str(err.value)


def test_missing_egl_says_what_to_install(monkeypatch):
    import moderngl

    from simulator import gl_context

    def no_egl(**_):
        raise Exception("libEGL.so.1: cannot open shared object file")

    monkeypatch.setattr(moderngl, "create_context", no_egl)
    with pytest.raises(InputError) as err:
        gl_context.create_context()
    assert "apt-get install -y libegl1 libgl1-mesa-dri" in str(err.value) and "\n" not in str(err.value)
