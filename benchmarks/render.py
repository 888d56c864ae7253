"""Seconds per frame of the 3D renderer at 2200×1700, against the flat page path, per pass and in all.

    python benchmarks/render.py              # all llvmpipe threads (or the GPU, where there is one)
    python benchmarks/render.py --one-core   # LP_NUM_THREADS=1: llvmpipe on one CPU core
    python benchmarks/render.py --msaa 4     # multisampled instead of the presets' edge anti-aliasing
    python benchmarks/render.py --frames 200 --rgb-only   # frames per second of the render alone (GPU machines):
                                                          # drawn only, and with the copy to memory
    python benchmarks/render.py --one-core --floor        # also each pass with trivial fragment shaders: what
                                                          # rasterising, writing and reading cost before shading

Wall-clock seconds are the minimum over ``--frames`` repeats (other processes share the machine); CPU seconds
(process time, all threads) are printed beside them. The device is printed first. The last rows compare the sheet
drawn whole and simplified (simulator/simplify.py) in turn, as medians, since they are to be compared.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(fn, frames: int) -> tuple[float, float, object]:
    """(min wall s, min CPU s, last result) of ``fn()`` over ``frames`` calls."""
    best_wall = best_cpu = float("inf")
    out = None
    for _ in range(frames):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        best_wall = min(best_wall, time.perf_counter() - w0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu, out


def interleaved(fns: dict, frames: int) -> dict[str, tuple[float, float]]:
    """{name: (median wall s, median CPU s)} of each of ``fns``, called in turn ``frames`` times: compared runs
    share whatever this machine is doing meanwhile (on the development VM, ±15% from minute to minute)."""
    import statistics
    walls, cpus = {k: [] for k in fns}, {k: [] for k in fns}
    for _ in range(frames):
        for name, fn in fns.items():
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls[name].append(time.perf_counter() - w0)
            cpus[name].append(time.process_time() - c0)
    return {k: (statistics.median(walls[k]), statistics.median(cpus[k])) for k in fns}


def fixed_cost(ctx, scene, passes, aa: dict) -> tuple[float, float, int]:
    """(median wall s, median CPU s, triangles) of a render call that draws next to nothing: a 64x48 frame of a
    sheet of a few dozen triangles with 16 px shadow maps, drawn again (no upload). What is left is Python and the
    driver's per-call work, which bounds a GPU's frames per second whatever its speed."""
    import statistics

    import numpy as np

    from simulator.renderer import PageTextures, Renderer
    from simulator.sheet import build_sheet

    renderer = Renderer(ctx, shadow_map_px=16)
    sheet = build_sheet(dataclasses.replace(scene.sheet, cell_mm=100.0), np.random.default_rng(0))
    page = PageTextures(np.full((48, 64, 3), 255, np.uint8), {})
    cam = dataclasses.replace(scene.camera, width_px=64, height_px=48)
    bg = dataclasses.replace(scene.background, occluders=(), photographer=False)
    walls, cpus = [], []
    for i in range(105):
        w0, c0 = time.perf_counter(), time.process_time()
        renderer.render(sheet, page, cam, scene.lighting, bg, passes=passes, **aa, read_back=False)
        if i >= 5:  # the first calls compile and allocate
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), len(sheet.faces)


def floor_rows(ctx, frame: tuple, aa: dict, frames: int) -> list[tuple[str, float, float]]:
    """(label, median wall s, median CPU s) of each pass group drawn with the real shaders and with trivial ones
    (floor_shaders.py), interleaved: the second is what a renderer with free shading would cost on this device.
    ``frame``: (sheet, page factory, camera, lighting, background), the sheet simplified as the presets draw it."""
    import tempfile

    from floor_shaders import write_floor_shaders

    from simulator.renderer import GT_PASSES, Renderer

    sheet, page, cam, light, bg = frame
    with tempfile.TemporaryDirectory() as tmp:
        floor = write_floor_shaders(Path(tmp))
        renderers = {"shaders": Renderer(ctx), "trivial shaders": Renderer(ctx, shader_dir=floor)}
        groups = {"rgb": {"rgb"}, "ground truth": GT_PASSES, "all passes": GT_PASSES | {"rgb"}}

        def draw(renderer: Renderer, passes: set[str]) -> None:
            # a new page each call, as in the rows above: its upload is no shading, so both count it
            renderer.render(sheet, page(), cam, light, bg, passes=passes, **aa)
        draws = {f"{label}, {kind}, median": partial(draw, r, passes)
                 for label, passes in groups.items() for kind, r in renderers.items()}
        for fn in draws.values():
            fn()  # compile and allocate
        return [(label, w, c) for label, (w, c) in interleaved(draws, frames).items()]


def benchmark_scene():
    """The benchmark's frame: the phone_photo preset's scene with a letter fold, a letter page at 200 dpi and a
    2200x1700 sensor of the same field of view. Returns (scene, page layout, sheet mesh)."""
    import numpy as np

    from simulator.config import preset_scene
    from simulator.deform import Fold
    from simulator.layout import plan_page
    from simulator.records import load_record
    from simulator.sheet import build_sheet

    scene = preset_scene("phone_photo", 0)
    scene = dataclasses.replace(
        scene, page=dataclasses.replace(scene.page, dpi=200, paper="letter", layout="3x4", rhythm_leads=("II",)),
        sheet=dataclasses.replace(scene.sheet, width_mm=279.4, height_mm=215.9,
                                  deformations=(Fold(pattern="letter", creases="horizontal", angle_deg=160.0),)),
        camera=dataclasses.replace(scene.camera, width_px=2200, height_px=1700, target=(139.7, 107.95, 0.0)))
    layout = plan_page(load_record(str(ROOT / "assets/records/ptbxl/00001_lr")), scene.page)
    return scene, layout, build_sheet(scene.sheet, np.random.default_rng(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--one-core", action="store_true", help="llvmpipe with one thread (LP_NUM_THREADS=1)")
    parser.add_argument("--rgb-only", action="store_true", help="only the frames-per-second of the colour pass")
    parser.add_argument("--msaa", type=int, default=1,
                        help="colour-pass samples per pixel (default 1, with the presets' edge anti-aliasing)")
    parser.add_argument("--floor", action="store_true",
                        help="also the passes drawn with every fragment shader trivial (floor_shaders.py), as medians")
    args = parser.parse_args()
    if args.one_core:
        os.environ["LP_NUM_THREADS"] = "1"  # read by Mesa when the context is created

    import numpy as np

    from simulator import post
    from simulator.gl_context import create_context
    from simulator.deform import Wrinkles
    from simulator.occluders import Occluder
    from simulator.page import render_page
    from simulator.project import project_samples
    from simulator.renderer import GT_PASSES, PageTextures, Renderer
    from simulator.sheet import build_sheet
    from simulator.simplify import simplify_sheet

    ctx = create_context()
    print(f"device: {ctx.info['GL_RENDERER']} ({ctx.info['GL_VENDOR']}); "
          f"LP_NUM_THREADS={os.environ.get('LP_NUM_THREADS', 'all')}; cpus={os.cpu_count()}")
    renderer = Renderer(ctx)
    scene, layout, sheet = benchmark_scene()
    size = (layout.width_mm, layout.height_mm)
    cam, light, bg, fx = scene.camera, scene.lighting, scene.background, scene.post
    n = args.frames
    aa = dict(msaa=args.msaa, edge_aa=args.msaa == 1)  # the presets: one sample and FXAA on silhouettes

    flat_wall, flat_cpu, image = timed(lambda: render_page(layout), n)
    # a new PageTextures object is a new page to the renderer, uploaded with its mipmaps as in a dataset frame; the
    # same object again is drawn from the textures already uploaded, as in a sweep or the preview
    page = partial(PageTextures, image.rgb, image.masks)
    if args.rgb_only:
        frames = max(n, 20)
        same = page()
        for label, passes, read_back, textures in (
                ("colour (page upload, shadows, lighting, colour)", {"rgb"}, False, page),
                ("colour, the page uploaded before (a sweep)", {"rgb"}, False, lambda: same),
                ("colour + read back", {"rgb"}, True, page),
                ("colour + all GT passes, drawn only", GT_PASSES | {"rgb"}, False, page),
                ("colour + all GT passes, page uploaded before", GT_PASSES | {"rgb"}, False, lambda: same),
                ("colour + all GT passes, read back", GT_PASSES | {"rgb"}, True, page)):
            renderer.render(sheet, textures(), cam, light, bg, passes=passes, **aa, read_back=read_back)
            w0 = time.perf_counter()
            for _ in range(frames):
                renderer.render(sheet, textures(), cam, light, bg, passes=passes, **aa, read_back=read_back)
            print(f"{label:52s} {frames / (time.perf_counter() - w0):8.1f} frames/s")
        return

    all_passes = GT_PASSES | {"rgb"}
    renderer.render(sheet, page(), cam, light, bg, passes=all_passes, **aa)  # warm-up: compile, allocate
    uvs = [layout.sample_xy_mm(t) / np.array(size) for t in layout.traces]
    rows = [("flat page (reference)", flat_wall, flat_cpu)]
    for label, passes in (("rgb (shadows, lighting, colour)", {"rgb"}), ("ground truth, all GT passes", GT_PASSES),
                          ("uv + depth + object only", {"uv", "depth", "object"})):
        w, c, _ = timed(lambda: renderer.render(sheet, page(), cam, light, bg, passes=passes, **aa), n)
        rows.append((label, w, c))
    if args.msaa == 1:  # what the edge anti-aliasing saves: the same pass multisampled instead
        w, c, _ = timed(lambda: renderer.render(sheet, page(), cam, light, bg, passes={"rgb"}, msaa=4, edge_aa=False),
                        n)
        rows.append(("rgb, MSAA 4 instead of edge AA", w, c))
    w, c, layers = timed(lambda: renderer.render(sheet, page(), cam, light, bg, passes=all_passes, **aa), n)
    rows.append(("render, all passes", w, c))
    same = page()
    sw, sc, _ = timed(lambda: renderer.render(sheet, same, cam, light, bg, passes=all_passes, **aa), n)
    rows.append(("render, all passes, page uploaded before (a sweep)", sw, sc))
    pw, pc, _ = timed(lambda: post.apply_post(layers, fx, np.random.default_rng(1)), n)
    rows.append(("post", pw, pc))
    jw, jc, _ = timed(lambda: [project_samples(sheet, cam, uv, layers, size) for uv in uvs], n)
    rows.append(("project samples", jw, jc))
    rows.append(("full frame (render all + post + project)", w + pw + jw, c + pc + jc))
    # the same frame with a hand, a pen and a clip on the sheet (lit per pixel: multisampling makes them costly)
    crowded = dataclasses.replace(bg, occluders=(Occluder(kind="hand", x_mm=170.0, y_mm=60.0, angle_deg=150.0),
                                                 Occluder(kind="pen", x_mm=60.0, y_mm=50.0, angle_deg=20.0),
                                                 Occluder(kind="clip", x_mm=140.0, y_mm=205.0)))
    renderer.render(sheet, page(), cam, light, crowded, passes=all_passes, **aa)
    w, c, _ = timed(lambda: renderer.render(sheet, page(), cam, light, crowded, passes=all_passes, **aa), n)
    rows.append(("render, all passes, hand + pen + clip", w, c))
    # the sheet simplified for this camera as the presets draw it (simulator/simplify.py): this fold alone, and with
    # the folded_letter preset's wrinkles, full mesh against simplified (and what simplifying costs)
    wrinkled = build_sheet(dataclasses.replace(scene.sheet, deformations=scene.sheet.deformations + (
        Wrinkles(amplitude_mm=0.5, scale_mm=90.0),)), np.random.default_rng(0))
    simplify = partial(simplify_sheet, camera=cam, tol_px=0.5, gap_mm=scene.sheet.layer_gap_mm())
    sw, sc, simple = timed(lambda: simplify(wrinkled), n)
    meshes = {"the fold, full mesh": sheet, "the fold, simplified": simplify(sheet),
              "wrinkled, full mesh": wrinkled, "wrinkled, simplified": simple}
    for mesh in meshes.values():
        renderer.render(mesh, page(), cam, light, bg, passes=all_passes, **aa)
    draws = {k: (lambda m=m: renderer.render(m, page(), cam, light, bg, passes=all_passes, **aa))
             for k, m in meshes.items()}
    for label, (w, c) in interleaved(draws, max(n, 5)).items():
        rows.append((f"render all, {label} ({len(meshes[label].faces)} tri), median", w, c))
    rows.append(("simplify the wrinkled sheet", sw, sc))
    w, c, triangles = fixed_cost(ctx, scene, GT_PASSES | {"rgb"}, aa)
    rows.append((f"a render call's fixed cost (64x48, {triangles} tri), median", w, c))
    if args.floor:
        rows += floor_rows(ctx, (meshes["the fold, simplified"], page, cam, light, bg), aa, max(n, 5))
    antialias = "edge AA" if aa["edge_aa"] else f"msaa {args.msaa}"
    print(f"2200x1700, {antialias}, page {image.rgb.shape[1]}x{image.rgb.shape[0]}, "
          f"mesh {len(sheet.vertices)} vertices, min of {n}")
    print(f"{'stage':52s} {'wall s':>8s} {'cpu s':>8s} {'x flat':>8s}")
    for label, wall, cpu in rows:
        print(f"{label:52s} {wall:8.3f} {cpu:8.3f} {wall / flat_wall:8.1f}")


if __name__ == "__main__":
    main()
