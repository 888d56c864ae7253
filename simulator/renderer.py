"""The render core: one ``Renderer`` per process draws a sheet, its table and occluders into named layers.

Passes (ask only for what you need; only those are read back):
- ``rgb``: linear radiance (H, W, 3) float32 with soft shadows and ambient occlusion; post turns it into a photo.
  Edges are anti-aliased by multisampling (``msaa``) or by FXAA on silhouettes only (``edge_aa``: shaders/edge_aa.frag
  over the blocks shaders/edge_tiles.geom picks; the cheap choice on a CPU). Light is computed at reduced resolution
  and applied to the full-resolution albedo: shadows (percentage-closer soft shadows: penumbrae widen with the
  caster's height and the light's size) go into a shadow mask at about 1 mm of the page
  (:func:`shadows.shadow_mask_scale`), blurred where penumbrae are wide; the lights' diffuse and specular terms (for
  bare paper and for ink) are computed at about 0.5 mm (:func:`shadows.light_scale`), with the mask upsampled by
  depth; the colour pass upsamples the terms the same way and multiplies each pixel's albedo. Light is smooth at those
  scales, and per-pixel lighting dominated the frame's cost on a CPU.
- ground truth, from one non-multisampled pass over the same geometry: ``uv`` (H, W, 2) float32 (image-style v down,
  -1 off the sheet), ``depth`` (H, W) float32 camera z in mm (0 where nothing was drawn), ``normal`` (H, W, 3)
  float16 world normal of the visible side (the target's half floats, to ~1e-3), ``object`` (H, W) uint8 (0 none,
  1 table, 2 sheet's printed side, 3 occluder, 4 sheet's blank back), ``sheet`` (H, W) uint8 coverage of the sheet
  (either side), and the page masks ``mask_trace`` (lead index + 1), ``mask_grid``, ``mask_text``, ``mask_marks``,
  ``mask_ink`` (H, W) uint8, nearest.
Every layer is drawn in the final image geometry: the vertex shader applies the camera's lens distortion
(:mod:`lens`), so colour and ground truth come from one rasterisation of the same distorted triangles.
Rendering never writes files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Mapping

import cv2
import moderngl
import numpy as np

from .background import Background, table_texture
from .camera import GL_NEAR_MM, Camera, extrinsics, far_plane, gl_matrices, project_points
from .errors import InputError
from .lens import lens_uniforms
from .lighting import MAX_LIGHTS, MAX_SHADOW_LIGHTS, Lighting
from .mipmaps import srgb_mip_chain
from .occluders import Occluder, SolidMesh, occluder_mesh, photographer_mesh
from .programs import SHADER_DIR, ProgramCache
from .reuse import LastResult
from .shadows import SHADOW_MAP_PX, ShadowView, light_scale, light_view_proj, shadow_mask_scale, vertex_ao
from .table import depth_push, table_mesh

# page masks packed in one RGBA8 integer texture: name -> (channel, bit); bit None = the whole byte (lead index + 1)
MASK_CHANNELS = {"trace": (0, None), "grid": (1, 0), "text": (2, 0), "marks": (2, 1), "ink": (3, 0)}
GT_PASSES = frozenset({"uv", "depth", "normal", "object", "sheet"} | {f"mask_{m}" for m in MASK_CHANNELS})
PASSES = GT_PASSES | {"rgb"}
SRGB8_ALPHA8 = 0x8C43  # GL_SRGB8_ALPHA8: the sampler decodes sRGB to linear before filtering
VERTEX_FORMAT = "3f 3f 2f 1f"  # position, normal, page uv (image-style, v down), ambient visibility
VERTEX_ATTRS = ("in_pos", "in_normal", "in_uv", "in_ao")
GT_TARGETS = ((2, "f4"), (1, "f4"), (1, "f1"), (4, "f2"), (4, "f1"))  # uv, depth, object, normal, masks (gt.frag)
GT_TARGET_LAYERS = ({"uv"}, {"depth"}, {"object", "sheet"}, {"normal"}, {f"mask_{m}" for m in MASK_CHANNELS})
LIGHT_TERMS = ("u_diffuse", "u_spec_paper", "u_spec_ink")  # lighting.frag's outputs, as scene.frag samples them
MIPMAPPED_KEPT = 3  # mipmapped textures kept per name, by size: ~20 MB each for a 2200x1700 page
FBO_STEP_PX = 64  # framebuffers grow in steps of this, so frames of nearby sizes share them
DEPTH_STEPS = 4  # the table is drawn at least this many 24-bit depth steps deeper than it is (_clip_push)
TABLE_PUSH_STRIDE = 97  # every this many sheet vertices (with its outline) is where the table depth push is measured
EDGE_MARGIN_PX = 2.0  # edge AA: pixels around a flagged lighting texel that FXAA may change (edge_tiles.geom)
EDGE_BLOCK_PX = 12  # edge AA: pixels per side, about, of the blocks it is drawn over (edge_tiles.geom)
EDGE_STEP_MM = 0.5  # edge AA: a depth step between lighting texels that flags them (plus 0.4% of the depth)
SPLIT_STEP_MM = 0.5  # colour pass: the same for its careful upsampling (scene.frag's tolerance, as it is there)


@dataclass(frozen=True)
class PageTextures:
    """The flat page as the renderer needs it: sRGB colour (row 0 = page top) and same-size uint8 masks. Uploaded
    once per object (rendered again, it is drawn from the textures already uploaded), so its arrays must not change."""

    rgb: np.ndarray
    masks: Mapping[str, np.ndarray] = field(default_factory=dict)


@lru_cache(maxsize=16)
def _occluder_mesh(occ: Occluder) -> SolidMesh:
    return occluder_mesh(occ)


def _interleave(pos, nrm, uv, ao) -> np.ndarray:
    return np.ascontiguousarray(np.column_stack([pos, nrm, uv, ao]), dtype=np.float32)


def _bounding_sphere(points: np.ndarray) -> tuple[np.ndarray, float]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2.0
    return centre, float(np.linalg.norm(hi - lo) / 2.0) + 1.0


def _reduced(size: tuple[int, int], scale: int) -> tuple[int, int]:
    """A canvas size divided by ``scale``, rounded up: the reduced targets cover the whole canvas."""
    return -(-size[0] // scale), -(-size[1] // scale)


def _power_of_two(size: tuple[int, int]) -> tuple[int, int]:
    """Each side rounded up to a power of two. The targets the colour path samples (lighting terms, shadow mask,
    colour) are made at such sizes: shaders address them by normalised coordinates, x / size, which the sampler turns
    back into x; only for a power of two is that exact, so a frame's pixels do not depend on how large the targets
    were (earlier, larger frames of a dataset grow them)."""
    return tuple(1 << max(0, int(v) - 1).bit_length() for v in size)


FOOTPRINT_TAPS_FROM = 1.25  # at most 1:1.25 one trilinear lookup is within a texel of a pixel's box: the 2x2 taps
                            # (+0.13 s at 2200x1700 on one llvmpipe core) change nothing worth their cost
TYPICAL_FACES = 2000        # triangles sampled for the typical minification (all of them cost ~10 ms at 15k vertices)


def _texels_per_pixel(sheet, cam: Camera, texture_shape: tuple[int, ...], faces: np.ndarray,
                      vertices: np.ndarray | slice) -> np.ndarray:
    """Page-texture texels one image pixel spans along each edge of ``faces`` with an end in the frame (through the
    lens); ``faces`` index ``vertices``, the sheet's vertices they use (all of them, or a sample's)."""
    xy, z = project_points(cam, np.asarray(sheet.vertices, np.float64)[vertices])
    texels = np.asarray(sheet.uv, np.float64)[vertices] * [texture_shape[1], texture_shape[0]]
    edges = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    a, b = edges[:, 0], edges[:, 1]
    in_frame = (z > 0) & (xy >= 0).all(axis=1) & (xy < [cam.width_px, cam.height_px]).all(axis=1)
    use = (in_frame[a] | in_frame[b]) & (z[a] > 0) & (z[b] > 0)
    px = np.linalg.norm(xy[a[use]] - xy[b[use]], axis=1)
    tx = np.linalg.norm(texels[a[use]] - texels[b[use]], axis=1)
    real = tx > 1e-6  # not the zero-length edges across a fold crease's two copies
    return tx[real] / np.maximum(px[real], 1e-9)


def most_texels_per_pixel(sheet, cam: Camera, texture_shape: tuple[int, ...]) -> float:
    """The most page-texture texels one image pixel spans along any edge of the sheet's triangles with an end in the
    frame: above 1.5 the masks are gathered over each pixel's footprint (gt.frag)."""
    ratio = _texels_per_pixel(sheet, cam, texture_shape, np.asarray(sheet.faces), slice(None))
    return float(ratio.max()) if ratio.size else 0.0


def typical_texels_per_pixel(sheet, cam: Camera, texture_shape: tuple[int, ...]) -> float:
    """The median over (up to TYPICAL_FACES of) the sheet's triangles of the texels a pixel spans: above
    FOOTPRINT_TAPS_FROM the colour pass reads each pixel's footprint at 2x2 points (scene.frag)."""
    faces = np.asarray(sheet.faces)
    used, local = np.unique(faces[:: max(1, len(faces) // TYPICAL_FACES)], return_inverse=True)
    ratio = _texels_per_pixel(sheet, cam, texture_shape, local.reshape(-1, 3), used)
    return float(np.median(ratio)) if ratio.size else 0.0


def _clip_push(cam: Camera, proj: np.ndarray, push: float, deepest_mm: float) -> float:
    """The clip-space z added to the table's vertices (scene.vert) to draw it deeper by :func:`table.depth_push`'s
    ``push`` at unchanged image positions: eye distances times 1 + ``push`` (perspective), or ``push`` mm farther
    (orthographic); and by at least ``DEPTH_STEPS`` steps of the depth buffer where the table under the sheet is
    deepest (``deepest_mm``). The lens moves only vertices, so a table cell is drawn up to ``table.STRAY_PX`` pixels
    from where the lens puts its inside, and its depth with it; and metres from the camera one depth step is more than
    the paper's 0.25 mm above the table. Either showed the table through the sheet. Nothing lies beneath the table, so
    drawing it deeper hides nothing it should show; the far plane leaves room for twice the eye distance."""
    w = deepest_mm if cam.projection == "perspective" else 1.0  # clip w, which divides the added z
    steps = 2.0 * w * DEPTH_STEPS * 2.0**-24  # window depth is (NDC z + 1) / 2
    if cam.projection == "perspective":
        return max(float(proj[2, 3] * (1.0 / (1.0 + min(push, 1.0)) - 1.0)), steps)
    return max(float(-proj[2, 2] * push), steps)


def _draw(vaos: dict[str, moderngl.VertexArray], item: tuple) -> None:
    """Draw one item of the scene's draw list: the indexed sheet or table, or an occluder's run of triangles."""
    kind, first, count, _ = item
    if kind == "occluder":
        vaos["solid"].render(mode=moderngl.TRIANGLES, first=first, vertices=count)
    else:
        vaos[kind].render(vertices=count)


class Renderer:
    """Holds programs, textures and framebuffers for the life of a context; ``render`` draws one frame."""

    def __init__(self, ctx: moderngl.Context, shadow_map_px: int = SHADOW_MAP_PX, anisotropy: float | None = None,
                 cpu_mipmaps: bool | None = None, shader_dir: Path = SHADER_DIR):
        """``anisotropy``: texture filtering of page and table; by default 16, but 1 on Mesa's llvmpipe, whose
        anisotropic path blurs even unstretched texels (a 0.45 mm trace at 1:1 turns mid-grey). ``cpu_mipmaps``:
        the textures' mip chains made by :mod:`mipmaps` (by default on llvmpipe, where that takes as long as its
        glGenerateMipmap and filters better) or by the GL (elsewhere: a GPU makes them in a fraction of a ms).
        ``shader_dir``: where the GLSL files are read from (``render.py --floor`` draws with trivial ones)."""
        self.ctx = ctx
        with ctx:
            self._create(ctx, shadow_map_px, anisotropy, cpu_mipmaps, shader_dir)

    def _create(self, ctx: moderngl.Context, shadow_map_px: int, anisotropy: float | None,
                cpu_mipmaps: bool | None, shader_dir: Path) -> None:
        software = "llvmpipe" in ctx.info.get("GL_RENDERER", "")
        self.anisotropy = anisotropy or (1.0 if software else 16.0)
        self.cpu_mipmaps = software if cpu_mipmaps is None else cpu_mipmaps
        self.programs = ProgramCache(ctx, shader_dir)
        self._textures: dict[str, moderngl.Texture] = {}
        self._buffers: dict[str, moderngl.Buffer] = {}
        self._vao_cache: dict[tuple[int, bool], dict[str, moderngl.VertexArray]] = {}  # by program (glo), depth only
        self._fbos: tuple[moderngl.Framebuffer, ...] = ()
        self._fbo_msaa = 0  # the colour samples the framebuffers were made for (0: not made yet)
        self._fbo_alloc: tuple[tuple[int, int], ...] = ((0, 0),) * 3  # canvas, shadow-mask and lighting sizes made
        self._quad_vao: moderngl.VertexArray | None = None  # full-viewport quad for the shadow-mask blur
        self._points_vaos: dict[int, moderngl.VertexArray] = {}  # one point per edge block, by program (glo)
        self._last_table_texture: LastResult[moderngl.Texture] = LastResult()
        self._mipmapped: dict[tuple[str, int, int], moderngl.Texture] = {}  # by name and size, least recent first
        self._last_page: LastResult[tuple[moderngl.Texture, moderngl.Texture]] = LastResult()  # what they hold
        self._last_sheet: LastResult[tuple[np.ndarray, float]] = LastResult()  # the sheet buffers' bounding sphere
        self._last_minified: LastResult[bool] = LastResult()  # whether the page's masks are minified (gt.frag)
        self._last_typical: LastResult[float] = LastResult()  # texels a pixel typically spans (scene.frag's taps)
        self._last_table: LastResult[tuple[int, tuple[float, float]]] = LastResult()  # index count, depth push
        self._table_push = 0.0  # u_depth_push of the table this frame (scene.vert)
        self._last_solids: LastResult[list[SolidMesh]] = LastResult()  # the meshes in the occluders' buffer
        # all shadow maps share one depth atlas (slots side by side), so the shader needs one sampler
        self._shadow_px = shadow_map_px
        self._shadow_atlas = ctx.depth_texture((shadow_map_px * MAX_SHADOW_LIGHTS, shadow_map_px))
        self._shadow_atlas.compare_func = "<="  # sampler2DShadow: hardware depth comparison, bilinear-filtered
        self._shadow_atlas.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self._shadow_fbo = ctx.framebuffer(depth_attachment=self._shadow_atlas)
        # the same atlas read as plain depths (no comparison), for the soft shadows' blocker search
        self._shadow_depth = ctx.sampler(texture=self._shadow_atlas, filter=(moderngl.NEAREST, moderngl.NEAREST),
                                         compare_func="")

    # --- resources, reused across frames ---------------------------------------------------------------------------
    def _buffer(self, name: str, data: np.ndarray) -> moderngl.Buffer:
        """A named vertex/index buffer, reallocated only when the data outgrows it."""
        raw = np.ascontiguousarray(data).tobytes()
        buf = self._buffers.get(name)
        if buf is None or buf.size < len(raw):
            if buf is not None:
                buf.release()
            for vaos in self._vao_cache.values():  # they point at the old buffer
                for vao in vaos.values():
                    vao.release()
            self._vao_cache.clear()
            buf = self._buffers[name] = self.ctx.buffer(reserve=max(len(raw), 64), dynamic=True)
        buf.write(raw)
        return buf

    def _texture(self, name: str, size: tuple[int, int], components: int, data: np.ndarray, dtype: str = "f1",
                 internal_format: int | None = None) -> moderngl.Texture:
        """Texture ``name`` (remade if its size changed) holding ``data``, top row first: image-style UVs (v down)
        address it directly."""
        tex = self._textures.get(name)
        if tex is None or tex.size != size or tex.components != components:
            if tex is not None:
                tex.release()
            kwargs = {"internal_format": internal_format} if internal_format else {}
            tex = self._textures[name] = self.ctx.texture(size, components, dtype=dtype, **kwargs)
        tex.write(np.ascontiguousarray(data))  # as it is: moderngl reads the array's memory
        return tex

    def _srgb_mipmapped(self, name: str, image: np.ndarray) -> moderngl.Texture:
        """A texture holding the (H, W, 3) sRGB ``image`` and its mip chain (``cpu_mipmaps``), filtered trilinearly
        and anisotropically. Stored as RGBA: a 3-byte texel costs the driver a repacking pass on upload. Textures
        are kept by size, the last ``MIPMAPPED_KEPT`` of each ``name``: a dataset's pages come in a few sizes, and a
        new texture needs a glGenerateMipmap to allocate its levels (~25 ms on llvmpipe at 2200x1700)."""
        h, w = image.shape[:2]
        rgba = cv2.cvtColor(image, cv2.COLOR_RGB2RGBA)
        key = (name, w, h)
        tex = self._mipmapped.pop(key, None)
        if tex is None:
            same_name = [k for k in self._mipmapped if k[0] == name]  # least recently used first
            for old in same_name[:max(0, len(same_name) - MIPMAPPED_KEPT + 1)]:
                self._mipmapped.pop(old).release()
            tex = self.ctx.texture((w, h), 4, rgba, internal_format=SRGB8_ALPHA8)
            tex.build_mipmaps()  # allocates the levels (and fills them, unless cpu_mipmaps overwrites them below)
        else:
            tex.write(rgba)
            if not self.cpu_mipmaps:
                tex.build_mipmaps()
        self._mipmapped[key] = tex
        if self.cpu_mipmaps:
            for level, data in enumerate(srgb_mip_chain(image), start=1):
                tex.write(cv2.cvtColor(data, cv2.COLOR_RGB2RGBA), level=level)
        tex.filter = (moderngl.LINEAR_MIPMAP_LINEAR, moderngl.LINEAR)
        tex.anisotropy = self.anisotropy
        return tex

    def _upload_page(self, page: PageTextures) -> tuple[moderngl.Texture, moderngl.Texture]:
        """Page colour (mipmapped, anisotropic, sRGB) and packed masks (integer, nearest); uploaded again only for
        another PageTextures object (its arrays are never modified: sweeps and the preview pass the same one)."""
        return self._last_page.get((page,), (), lambda: self._upload_page_textures(page))

    def _upload_page_textures(self, page: PageTextures) -> tuple[moderngl.Texture, moderngl.Texture]:
        h, w = page.rgb.shape[:2]
        rgb = self._srgb_mipmapped("page_rgb", page.rgb)
        rgb.repeat_x = rgb.repeat_y = False
        planes: list[np.ndarray | None] = [None] * 4  # one channel each, merged: strided writes cost more
        for name, (channel, bit) in MASK_CHANNELS.items():
            if name in page.masks:
                mask = page.masks[name]
                value = mask if bit is None else cv2.threshold(mask, 0, 1 << bit, cv2.THRESH_BINARY)[1]
                planes[channel] = value if planes[channel] is None else cv2.bitwise_or(planes[channel], value)
        blank = np.zeros((h, w), np.uint8)
        masks = self._texture("page_masks", (w, h), 4, cv2.merge([blank if p is None else p for p in planes]),
                              dtype="u1")
        masks.filter = (moderngl.NEAREST, moderngl.NEAREST)
        return rgb, masks

    def _upload_table(self, bg: Background) -> moderngl.Texture:
        """The table top's texture (:func:`background.table_texture`), uploaded again only for another table."""
        return self._last_table_texture.get((), (bg,), lambda: self._srgb_mipmapped("table", table_texture(bg)))

    def _framebuffers(self, size: tuple[int, int], msaa: int) -> tuple[moderngl.Framebuffer, ...]:
        """(multisampled colour fbo, resolved colour fbo (its depth a texture, for the edge AA), ground-truth fbo,
        shadow-mask fbo, its blur's scratch fbo, lighting-terms fbo, edge-AA output fbo), their viewports set to this
        frame's canvas (the shadow mask and the lighting terms at their reductions, :mod:`shadows`). Frames of a
        dataset differ in size, so framebuffers only grow (the canvas in steps of ``FBO_STEP_PX``, the reduced ones
        by powers of two) and a frame draws into their lower-left corner: remaking them cost more than a frame's
        colour pass, and a dataset's sizes change the reductions every few frames."""
        scale, mask = light_scale(size[0]), shadow_mask_scale(size[0])
        canvas = tuple(FBO_STEP_PX * n for n in _reduced(size, FBO_STEP_PX))  # rounded up to whole steps
        need = (canvas, _power_of_two(_reduced(size, mask)), _power_of_two(_reduced(size, scale)))
        have = self._fbo_alloc
        if self._fbo_msaa != msaa or any(n[k] > h[k] for n, h in zip(need, have) for k in (0, 1)):
            union = need
            if self._fbo_msaa == msaa:  # a bigger canvas or a finer reduction: cover this frame and the earlier ones
                union = tuple((max(n[0], h[0]), max(n[1], h[1])) for n, h in zip(need, have))
            if not self._allocated(union, msaa):  # a wide frame after a tall one: this frame's own need may fit
                if union == need or not self._allocated(need, msaa):
                    raise InputError(f"camera.width_px, camera.height_px: {size[0]}×{size[1]} px needs render "
                                     f"targets this OpenGL ({self.ctx.info['GL_RENDERER']}) cannot make; render "
                                     f"smaller frames")
                union = need
            self._fbo_msaa, self._fbo_alloc = msaa, union
        for i, fbo in enumerate(self._fbos):
            fbo.viewport = (0, 0, *_reduced(size, (1, 1, 1, mask, mask, scale, 1)[i]))
        return self._fbos

    def _allocated(self, need: tuple[tuple[int, int], ...], msaa: int) -> bool:
        """Make the framebuffers for ``need``, or return False when the OpenGL cannot (a texture past what the
        driver allocates: llvmpipe refuses the 16384² half-float colour texture of a 12000×9000 frame). The old
        ones are gone either way, and so are the targets made before the failure."""
        try:
            self._allocate_framebuffers(*need, msaa)
            return True
        except moderngl.Error:
            self.ctx.gc_mode = "auto"  # the half-made targets are released as the failed call's frame is freed
        self.ctx.gc_mode = None
        self._fbos, self._fbo_msaa, self._fbo_alloc = (), 0, ((0, 0),) * 3  # nothing made: start afresh next time
        return False

    def _allocate_framebuffers(self, alloc: tuple[int, int], small: tuple[int, int], lit: tuple[int, int],
                               msaa: int) -> None:
        """(Re)make the framebuffers for canvases up to ``alloc`` pixels, freeing the old: the targets that are
        only drawn into or read back (ground truth, the multisampled colour, the edge AA's output) at ``alloc``, those
        a shader samples (the resolved colour and its depth, :func:`_power_of_two`) at powers of two, the shadow
        mask's at ``small`` and the lighting terms' at ``lit``. A power of two can be 2.3 times a frame's pixels
        (4096x2048 for 2200x1700), so passes clear only their viewport, and copies between targets cover the smaller
        one (``copy_framebuffer``): clearing, resolving and copying the whole targets cost 10% of a frame on llvmpipe
        (20% at MSAA 4)."""
        for fbo in {id(f): f for f in self._fbos}.values():
            for attachment in (*fbo.color_attachments, fbo.depth_attachment):
                if attachment is not None:  # the blur's scratch has no depth buffer
                    attachment.release()
            fbo.release()
        ctx = self.ctx
        gt = ctx.framebuffer([ctx.texture(alloc, c, dtype=dt) for c, dt in GT_TARGETS], ctx.depth_renderbuffer(alloc))
        full = _power_of_two(alloc)
        depth = ctx.depth_texture(full)
        depth.compare_func = ""  # read as plain depths by the edge AA
        resolved = ctx.framebuffer([ctx.texture(full, 4, dtype="f2")], depth)
        ms = resolved
        if msaa > 1:
            ms = ctx.framebuffer([ctx.renderbuffer(alloc, 4, samples=msaa, dtype="f2")],
                                 ctx.depth_renderbuffer(alloc, samples=msaa))
        mask = ctx.framebuffer([ctx.texture(small, 4, dtype="f4")], ctx.depth_renderbuffer(small))
        blurred = ctx.framebuffer([ctx.texture(small, 4, dtype="f4")])  # between the two blur passes
        light = ctx.framebuffer([ctx.texture(lit, 4, dtype="f4") for _ in LIGHT_TERMS], ctx.depth_renderbuffer(lit))
        for texture in (*mask.color_attachments, *blurred.color_attachments, *light.color_attachments):
            texture.repeat_x = texture.repeat_y = False  # filtered taps at the border clamp, never wrap
        aa = ctx.framebuffer([ctx.texture(alloc, 4, dtype="f2")])
        self._fbos = (ms, resolved, gt, mask, blurred, light, aa)

    # --- scene geometry --------------------------------------------------------------------------------------------
    def _geometry(self, sheet, background: Background, cam: Camera,
                  ao: bool) -> tuple[list[tuple], np.ndarray, float, tuple[float, float]]:
        """Upload sheet, table (:mod:`table`: its grid, without what the sheet hides from ``cam``) and occluders
        (with the photographer, placed by ``cam``); returns draw items (kind, first, count, occluder mesh), the
        bounding sphere (x, y, z, r) of the shadow casters, the table's half-diagonal and how much deeper the table
        is drawn with its greatest depth under the sheet (:func:`table.depth_push`)."""
        # the sheet and the table are uploaded again only for another sheet object, camera or table (reuse.py)
        centre, radius = self._last_sheet.get((sheet,), (ao,), lambda: self._upload_sheet(sheet, ao))
        half = background.size_mm / 2.0
        table_size, push = self._last_table.get((sheet,), (cam, background.size_mm, background.texture_mm),
                                                lambda: self._upload_table_mesh(sheet, cam, centre, half, background))
        meshes = self._last_solids.get((), (background.occluders, background.photographer, cam),
                                       lambda: self._upload_solids(background, cam))
        # counts are explicit: the reused buffers may hold stale data past this frame's end
        # front to back (occluders lie on or above the sheet, the sheet on the table): the depth test then rejects
        # hidden fragments before they are shaded, which a CPU rasteriser would otherwise shade and overwrite
        items, first = [], 0
        for m in meshes:
            items.append(("occluder", first, len(m.vertices), m))
            first += len(m.vertices)
        items += [("sheet", 0, int(np.asarray(sheet.faces).size), None), ("table", 0, table_size, None)]
        if meshes:
            verts = np.asarray(sheet.vertices, np.float32)
            centre, radius = _bounding_sphere(np.concatenate([verts] + [m.vertices for m in meshes]))
        return items, np.append(centre, radius), half * np.sqrt(2.0), push

    def _upload_sheet(self, sheet, ao: bool) -> tuple[np.ndarray, float]:
        """The sheet's vertices (with their ambient visibility when ``ao``) and faces; returns its bounding sphere."""
        verts = np.asarray(sheet.vertices, np.float32)
        nrm = np.asarray(sheet.normals, np.float32)
        vis = np.ones(len(verts), np.float32)
        if ao:  # a simplified sheet brings its full mesh's (the rings it spreads over are the fine grid's)
            vis = sheet.ao if sheet.ao is not None else vertex_ao(verts, np.asarray(sheet.faces), nrm)
        self._buffer("sheet_vbo", _interleave(verts, nrm, sheet.uv, vis))
        self._buffer("sheet_ibo", np.asarray(sheet.faces, np.int32))
        return _bounding_sphere(verts)

    def _upload_solids(self, background: Background, cam: Camera) -> list[SolidMesh]:
        """The occluders' meshes, and the photographer's placed by ``cam``, in one buffer; returns the meshes."""
        meshes = [_occluder_mesh(o) for o in background.occluders]
        if background.photographer:
            r, _ = extrinsics(cam)
            meshes.append(photographer_mesh(cam.position(), *r))
        solids = [_interleave(m.vertices, m.normals, np.zeros((len(m.vertices), 2)), np.ones(len(m.vertices)))
                  for m in meshes]
        self._buffer("solid_vbo", np.concatenate([np.zeros((0, 9), np.float32), *solids]))  # empty without occluders
        return meshes

    def _upload_table_mesh(self, sheet, cam: Camera, centre: np.ndarray, half: float,
                           background: Background) -> tuple[int, tuple[float, float]]:
        """The table top's mesh for this camera, without what ``sheet`` hides (:mod:`table`); returns its index
        count and how much deeper it is drawn under the sheet, with its greatest depth there
        (:func:`table.depth_push`)."""
        outline = sheet.outline()
        t_pos, t_nrm, t_uv, faces = table_mesh(cam, outline, centre[:2], half, background.texture_mm)
        self._buffer("table_vbo", _interleave(t_pos, t_nrm, t_uv, np.ones(len(t_pos))))
        self._buffer("table_ibo", faces.astype(np.int32))
        under = np.concatenate([outline, np.asarray(sheet.vertices)[::TABLE_PUSH_STRIDE]]).astype(np.float64)
        return int(faces.size), depth_push(cam, under)

    def _vaos(self, program: moderngl.Program, depth_only: bool) -> dict[str, moderngl.VertexArray]:
        """``program``'s vertex arrays over the sheet, table and occluder buffers, made once and kept until a buffer
        is reallocated (:meth:`_buffer`): making and releasing them in every pass was a good part of a frame's
        Python, which bounds a GPU's frames per second."""
        key = (program.glo, depth_only)
        if key not in self._vao_cache:
            self._vao_cache[key] = self._make_vaos(program, depth_only)
        return self._vao_cache[key]

    def _make_vaos(self, program: moderngl.Program, depth_only: bool) -> dict[str, moderngl.VertexArray]:
        # attributes a program does not use (optimised away) become padding in the buffer format
        members = frozenset(program)
        kept = [(f, a) for f, a in zip(VERTEX_FORMAT.split(), VERTEX_ATTRS) if a in members and not
                (depth_only and a != "in_pos")]
        fmt = " ".join(f if (f, a) in kept else f"{f[0]}x4" for f, a in zip(VERTEX_FORMAT.split(), VERTEX_ATTRS))
        attrs = [a for _, a in kept]
        vaos = {kind: self.ctx.vertex_array(program, [(self._buffers[f"{kind}_vbo"], fmt, *attrs)],
                                            index_buffer=self._buffers[f"{kind}_ibo"]) for kind in ("sheet", "table")}
        vaos["solid"] = self.ctx.vertex_array(program, [(self._buffers["solid_vbo"], fmt, *attrs)])
        return vaos

    def _draw_items(self, prog: moderngl.Program, items, prepare) -> None:
        """Draw ``items`` with ``prog``; ``prepare(item)`` returns that item's uniforms (and may bind its textures)."""
        set_uniforms = self.programs.setter(prog)
        vaos = self._vaos(prog, depth_only=False)
        for item in items:
            set_uniforms(u_depth_push=self._table_push if item[0] == "table" else 0.0, **prepare(item))
            _draw(vaos, item)

    # --- passes ----------------------------------------------------------------------------------------------------
    def render(self, sheet, page: PageTextures, camera: Camera, lighting: Lighting, background: Background,
               passes: frozenset[str] | set[str] = frozenset({"rgb"}), msaa: int = 1, edge_aa: bool = True,
               read_back: bool = True) -> dict[str, np.ndarray]:
        """Draw one frame; returns the requested layers (see the module docstring) in the final image geometry.

        ``sheet`` is a :class:`simulator.sheet.Sheet` (vertices, normals, uv, faces are read); ``passes`` name the
        layers to return; ``msaa`` is the colour pass's samples per pixel (1 = none) and ``edge_aa`` smooths its
        silhouettes afterwards (shaders/edge_aa.frag); ground truth is never anti-aliased. ``read_back=False`` draws the
        passes, waits for them to finish and returns nothing: the time the GPU takes, without the copy to memory
        (benchmarks/render.py)."""
        unknown = set(passes) - PASSES
        if unknown:
            raise ValueError(f"unknown render passes: {sorted(unknown)} (known: {sorted(PASSES)})")
        if msaa > self.ctx.max_samples:
            raise InputError(f"post.msaa: {msaa} samples per pixel, but this OpenGL device "
                             f"({self.ctx.info.get('GL_RENDERER', '?')}) has at most {self.ctx.max_samples}")
        with self.ctx:  # current for this frame: a context made since (another renderer) would get our calls
            return self._render(sheet, page, camera, lighting, background, set(passes), msaa, edge_aa, read_back)

    def _render(self, sheet, page: PageTextures, cam: Camera, lighting: Lighting, background: Background,
                passes: set[str], msaa: int, edge_aa: bool, read_back: bool) -> dict[str, np.ndarray]:
        ctx = self.ctx
        size = (cam.width_px, cam.height_px)
        items, sphere, table_reach, (push, deepest) = self._geometry(
            sheet, background, cam, ao="rgb" in passes and lighting.ao_strength > 0)
        far = far_plane(cam, table_reach + sphere[3])
        view, proj = gl_matrices(cam, far)
        self._table_push = _clip_push(cam, proj, push, deepest)
        # where every pass puts a vertex: the camera's view-projection, then its lens (scene.vert, lens.glsl)
        projection = dict(u_view_proj=(proj @ view).astype(np.float32).T, **lens_uniforms(cam))
        ms, resolved, gt, mask, blurred, light, aa = self._framebuffers(size, msaa)
        page_rgb, page_masks = self._upload_page(page)
        ctx.enable(moderngl.DEPTH_TEST)
        ctx.disable(moderngl.CULL_FACE)
        ctx.front_face = "cw"  # scene.vert draws upside down, which mirrors the winding (the shadow pass has no sides)
        layers: dict[str, np.ndarray] = {}
        if "rgb" in passes:
            shadow_vps = self._shadow_pass(lighting, sphere, items)
            self._shadow_mask_pass(mask, cam, projection, items, shadow_vps, lighting)
            if shadow_vps:
                self._blur_shadow_mask(mask, blurred)
            self._lighting_pass(light, cam, projection, lighting, background, items, shadow_vps, sheet.gloss, mask)
            self._colour_pass(ms, cam, projection, lighting, background, items, page_rgb, sheet.gloss, light,
                              shadow_vps, mask, footprint_taps=self._last_typical.get(
                                  (sheet,), (cam, page.rgb.shape),
                                  lambda: typical_texels_per_pixel(sheet, cam, page.rgb.shape)) > FOOTPRINT_TAPS_FROM)
            if ms is not resolved:
                ctx.copy_framebuffer(resolved, ms)  # colour and depth
            final = resolved
            if edge_aa:
                self._edge_aa_pass(resolved, aa, light, cam, far)
                final = aa
            if read_back:
                layers["rgb"] = self._read(final, 0, 3, "f4")
        if passes & GT_PASSES:
            minified = bool(passes & GT_TARGET_LAYERS[-1]) and self._last_minified.get(
                (sheet,), (cam, page.rgb.shape), lambda: most_texels_per_pixel(sheet, cam, page.rgb.shape) > 1.5)
            self._gt_pass(gt, cam, projection, items, page_masks, passes, minified)
            if read_back:
                layers.update(self._read_gt(gt, passes))
        if not read_back:
            ctx.finish()
        return layers

    def _shadow_pass(self, lighting: Lighting, sphere: np.ndarray, items) -> list[tuple[int, ShadowView]]:
        """Depth maps for the first shadow-casting lights; returns (light index, its shadow view) per map slot."""
        prog = self.programs.get("shadow.vert", "depth_only.frag")
        vaos = self._vaos(prog, depth_only=True)
        out = []
        casters = [i for i, light in enumerate(lighting.lights) if light.casts_shadow][:MAX_SHADOW_LIGHTS]
        self.ctx.polygon_offset = 1.5, 2.0
        self._shadow_fbo.use()
        self._shadow_fbo.clear(depth=1.0)
        for slot, i in enumerate(casters):
            view = light_view_proj(lighting.lights[i], sphere[:3], float(sphere[3]))
            self._shadow_fbo.viewport = (slot * self._shadow_px, 0, self._shadow_px, self._shadow_px)
            prog["u_light_vp"].write(view.matrix.T.astype(np.float32).tobytes())
            for item in items:
                if item[0] != "table":  # the table receives shadows but casts none
                    _draw(vaos, item)
            out.append((i, view))
        self.ctx.polygon_offset = 0.0, 0.0
        return out

    def _shadow_mask_pass(self, fbo, cam: Camera, projection: dict, items, shadow_vps, lighting: Lighting) -> None:
        """Each shadow light's soft visibility of the visible surface, and its camera depth, at low resolution."""
        prog = self.programs.get("scene.vert", "shadow_mask.frag")
        set_uniforms = self.programs.setter(prog)
        views = [view for _, view in shadow_vps]
        lights = [lighting.lights[i] for i, _ in shadow_vps]
        pad = MAX_SHADOW_LIGHTS - len(views)
        r, t = extrinsics(cam)
        set_uniforms(
            **projection, u_depth_row=(*r[2], t[2]), u_num_slots=len(views),
            u_shadow_vp=[v.matrix.T for v in views] + [np.eye(4)] * pad,
            u_slot_ortho=[int(v.ortho) for v in views] + [0] * pad,
            u_slot_range=[(v.near, v.far) for v in views] + [(1.0, 2.0)] * pad,
            u_slot_half=[v.half for v in views] + [1.0] * pad,
            u_slot_size=[x.size_mm for x in lights] + [0.0] * pad,
            u_slot_soft=[v.soft_mm for v in views] + [1.0] * pad,
            u_slot_dist=[float(np.linalg.norm(np.subtract(x.position, x.target))) for x in lights] + [1.0] * pad,
            u_normal_offset=[0.5 * v.soft_mm for v in views] + [0.0] * pad, u_shadow_atlas=1, u_shadow_depth=2,
            u_texels_per_mm=cam.fx * fbo.viewport[2] / cam.width_px)
        fbo.use()
        fbo.clear(1.0, 1.0, 0.0, 1.0, depth=1.0, viewport=fbo.viewport)
        if not shadow_vps:
            return
        self._shadow_atlas.use(location=1)
        self._shadow_depth.use(location=2)
        self._draw_items(prog, items, lambda item: {})

    def _blur_shadow_mask(self, mask: moderngl.Framebuffer, scratch: moderngl.Framebuffer) -> None:
        """Smooth wide penumbrae in place: across into ``scratch``, then down back into ``mask``."""
        prog = self.programs.get("blit.vert", "shadow_blur.frag")
        if self._quad_vao is None:
            quad = self.ctx.buffer(np.array([-1, -1, 0, 0, 1, -1, 1, 0, -1, 1, 0, 1, 1, 1, 1, 1], np.float32))
            self._quad_vao = self.ctx.vertex_array(prog, [(quad, "2f 2x4", "in_pos")])  # in_uv: unused here
        set_uniforms = self.programs.setter(prog)
        set_uniforms(u_mask=0, u_extent=tuple(float(v) for v in mask.viewport[2:]))
        self.ctx.disable(moderngl.DEPTH_TEST)  # the mask's own depth buffer would reject the quad
        for src, dst, direction in ((mask, scratch, (1.0, 0.0)), (scratch, mask, (0.0, 1.0))):
            texture = src.color_attachments[0]
            texture.filter = (moderngl.LINEAR, moderngl.LINEAR)  # taps land between texels
            texture.use(location=0)
            set_uniforms(u_direction=direction)
            dst.use()
            self._quad_vao.render(moderngl.TRIANGLE_STRIP)
        self.ctx.enable(moderngl.DEPTH_TEST)

    def _edge_aa_pass(self, src: moderngl.Framebuffer, dst: moderngl.Framebuffer, light: moderngl.Framebuffer,
                      cam: Camera, far: float) -> None:
        """``src``'s colour into ``dst``, with FXAA on its silhouettes (edge_aa.frag), drawn only over the edge
        blocks."""
        self.ctx.copy_framebuffer(dst, src)  # the pass rewrites silhouette pixels only
        prog = self.programs.get("edge_tiles.vert", "edge_aa.frag", "edge_tiles.geom")
        colour = src.color_attachments[0]
        colour.filter = (moderngl.LINEAR, moderngl.LINEAR)  # the edge search reads between texels
        colour.use(location=0)
        src.depth_attachment.use(location=1)
        self.ctx.disable(moderngl.DEPTH_TEST)
        dst.use()
        self._draw_edge_blocks(prog, light, cam, EDGE_STEP_MM, u_color=0, u_depth=1, u_extent=src.viewport[2:],
                               u_near_far=(GL_NEAR_MM, far), u_ortho=int(cam.projection == "orthographic"))
        self.ctx.enable(moderngl.DEPTH_TEST)

    def _draw_edge_blocks(self, prog: moderngl.Program, light: moderngl.Framebuffer, cam: Camera, step_mm: float,
                          **uniforms) -> None:
        """Draw ``prog`` over the edge blocks: the blocks of lighting texels near a surface change (keys that differ
        by more than ``step_mm`` plus 0.4% of the depth), which edge_tiles.geom picks from ``light``'s depth keys
        (on texture unit 2; ``uniforms`` are the program's own)."""
        columns, rows = light.viewport[2:]
        texel_px = cam.width_px / columns
        block = int(np.clip(round(EDGE_BLOCK_PX / texel_px), 2, 8))  # texels; edge_tiles.geom holds up to 8
        blocks = _reduced((columns, rows), block)
        self.programs.setter(prog)(
            u_keys=2, u_key_extent=(columns, rows), u_columns=blocks[0], u_texel_px=(texel_px, cam.height_px / rows),
            u_canvas=(float(cam.width_px), float(cam.height_px)), u_tolerance=step_mm,
            u_reach=int(min(2, np.ceil(EDGE_MARGIN_PX / texel_px))), u_block=block, **uniforms)
        light.color_attachments[LIGHT_TERMS.index("u_spec_paper")].use(location=2)
        vao = self._points_vaos.get(prog.glo)
        if vao is None:  # no vertex data: edge_tiles.vert numbers the points by gl_VertexID
            vao = self._points_vaos[prog.glo] = self.ctx.vertex_array(prog, [])
        vao.render(moderngl.POINTS, vertices=blocks[0] * blocks[1])

    @staticmethod
    def _material(item: tuple, background: Background, sheet_gloss: float) -> dict:
        """The material uniforms of one draw item (sheet, table or occluder), for the lighting and colour passes."""
        kind, mesh = item[0], item[3]
        if kind == "sheet":
            return dict(u_use_texture=1, u_color=(0.86, 0.85, 0.82), u_gloss=sheet_gloss, u_is_sheet=1,
                        u_translucency=0.0, u_surface=1)
        if kind == "table":
            return dict(u_use_texture=1, u_color=background.color, u_gloss=background.gloss * 0.3, u_is_sheet=0,
                        u_translucency=0.0, u_surface=0)
        return dict(u_use_texture=0, u_color=mesh.color, u_gloss=mesh.gloss * 0.3, u_is_sheet=0,
                    u_translucency=mesh.translucency, u_surface=3)

    @staticmethod
    def _light_uniforms(cam: Camera, lighting: Lighting, shadow_vps, mask: moderngl.Framebuffer,
                        target: moderngl.Framebuffer, mask_unit: int) -> dict:
        """Uniforms of lighting.glsl: the lights, the shadow mask (on texture unit ``mask_unit``) and how its texels
        map onto ``target``'s fragments, and the camera."""
        lights = lighting.lights
        pad = MAX_LIGHTS - len(lights)
        slot_of = {i: s for s, (i, _) in enumerate(shadow_vps)}
        r, t = extrinsics(cam)
        return dict(
            u_num_lights=len(lights),
            u_light_kind=[("directional", "point", "spot").index(x.kind) for x in lights] + [0] * pad,
            u_light_pos=[x.position for x in lights] + [(0, 0, 1)] * pad,
            u_light_dir=[tuple(x.direction()) for x in lights] + [(0, 0, -1)] * pad,
            u_light_color=[tuple(np.multiply(x.color, x.intensity)) for x in lights] + [(0, 0, 0)] * pad,
            u_light_range=[float(np.linalg.norm(np.subtract(x.target, x.position))) for x in lights] + [1.0] * pad,
            u_light_cos_cone=[float(np.cos(np.radians(x.cone_deg))) for x in lights] + [0.0] * pad,
            u_light_shadow=[slot_of.get(i, -1) for i in range(len(lights))] + [-1] * pad,
            u_depth_row=(*r[2], t[2]), u_ao_strength=lighting.ao_strength, u_cam_pos=tuple(cam.position()),
            u_view_dir=tuple(r[2]), u_ortho=int(cam.projection == "orthographic"), u_shadow_mask=mask_unit,
            u_mask_ratio=(mask.viewport[2] / target.viewport[2], mask.viewport[3] / target.viewport[3]),
            u_mask_extent=mask.viewport[2:])

    def _lighting_pass(self, fbo, cam: Camera, projection: dict, lighting: Lighting, background: Background, items,
                       shadow_vps, sheet_gloss: float, mask: moderngl.Framebuffer) -> None:
        """The lights' diffuse and specular terms of the visible surface, at the lighting terms' resolution."""
        prog = self.programs.get("scene.vert", "lighting.frag")
        set_uniforms = self.programs.setter(prog)
        set_uniforms(**projection, **self._light_uniforms(cam, lighting, shadow_vps, mask, fbo, 0))
        mask.color_attachments[0].use(location=0)
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0, viewport=fbo.viewport)
        self._draw_items(prog, items, lambda item: self._material(item, background, sheet_gloss))

    def _colour_pass(self, fbo, cam: Camera, projection: dict, lighting: Lighting, background: Background, items,
                     page_rgb, sheet_gloss: float, light: moderngl.Framebuffer, shadow_vps,
                     mask: moderngl.Framebuffer, footprint_taps: bool) -> None:
        """Full-resolution albedo times the upsampled lighting terms (scene.frag), and occluders lit per pixel
        (occluder.frag: their details are finer than the lighting terms).

        Upsampling that keeps each surface's lighting its own (scene.frag's SILHOUETTES) costs a quarter of the pass on
        a CPU rasteriser, yet only matters near surface changes. So the scene is drawn twice, split by the depth
        buffer: the edge blocks are first set to depth 0, which no fragment passes, and everything is drawn with
        plain upsampling; then the blocks go back to the far plane and everything is drawn again with the careful
        one, where only the blocks' fragments pass (elsewhere a fragment meets its own depth and fails ``<``).
        Fragments that fail the depth test are never shaded. Multisampled, it is drawn once, all of it with care.
        ``footprint_taps``: the page is minified enough that scene.frag reads each pixel's footprint at 2x2 points."""
        fbo.use()
        fbo.clear(0.02, 0.02, 0.02, 0.0, depth=1.0, viewport=fbo.viewport)  # alpha 0: no object (edge_aa.frag)
        ambient = tuple(np.multiply(lighting.ambient_color, lighting.ambient_intensity))
        occluder = self.programs.get("scene.vert", "occluder.frag")
        self.programs.setter(occluder)(**projection, u_ambient=ambient,
                                       **self._light_uniforms(cam, lighting, shadow_vps, mask, fbo, 0))
        r, t = extrinsics(cam)
        taps = ("FOOTPRINT_TAPS",) if footprint_taps else ()
        scene = [self.programs.get("scene.vert", "scene.frag", defines=taps + d) for d in ((), ("SILHOUETTES",))]
        for prog in scene:
            self.programs.setter(prog)(
                **projection, u_depth_row=(*r[2], t[2]), u_albedo=0, u_ambient=ambient,
                u_light_ratio=(light.viewport[2] / cam.width_px, light.viewport[3] / cam.height_px),
                u_light_extent=light.viewport[2:], **{name: i + 1 for i, name in enumerate(LIGHT_TERMS)})
        table_tex = self._upload_table(background)

        def prepare(item: tuple) -> dict:
            (page_rgb if item[0] == "sheet" else table_tex).use(location=0)
            return self._material(item, background, sheet_gloss)

        marks = self.programs.get("edge_tiles.vert", "depth_only.frag", "edge_tiles.geom")
        occluders = [item for item in items if item[0] == "occluder"]
        # multisampled, drawing twice costs more than it saves (llvmpipe, MSAA 4: +0.3 s at 2200 px)
        split = fbo.color_attachments[0].samples <= 1
        for prog, z in zip(scene, (-1.0, 1.0)) if split else ((scene[1], None),):
            if z is not None:
                fbo.color_mask = False, False, False, False
                self.ctx.depth_func = "1"  # always: the blocks' depth is set, whatever is there
                self._draw_edge_blocks(marks, light, cam, SPLIT_STEP_MM, u_z=z)
                self.ctx.depth_func = "<"
                fbo.color_mask = True, True, True, True
            if occluders:  # first: they are in front
                mask.color_attachments[0].use(location=0)
                self._draw_items(occluder, occluders, lambda item: self._material(item, background, sheet_gloss))
            for i, texture in enumerate(light.color_attachments):
                texture.use(location=i + 1)
            self._draw_items(prog, [item for item in items if item[0] != "occluder"], prepare)

    def _gt_pass(self, fbo, cam: Camera, projection: dict, items, page_masks, passes: set[str],
                 minified: bool) -> None:
        """The ground-truth targets (gt.frag), writing only those the requested ``passes`` are read from; page masks
        gathered over each pixel's footprint where ``minified`` (a pixel covers more than 1.5 texels somewhere)."""
        prog = self.programs.get("scene.vert", "gt.frag", defines=("MINIFIED_MASKS",) if minified else ())
        set_uniforms = self.programs.setter(prog)
        r, t = extrinsics(cam)
        set_uniforms(**projection, u_depth_row=(*r[2], t[2]), u_masks=0)
        fbo.color_mask = [(bool(passes & layers),) * 4 for layers in GT_TARGET_LAYERS]  # also spares their clears
        fbo.use()
        fbo.clear(0.0, 0.0, 0.0, 0.0, depth=1.0, viewport=fbo.viewport)
        page_masks.use(location=0)
        self._draw_items(prog, items, lambda item: {"u_object_id": {"sheet": 2, "table": 1, "occluder": 3}[item[0]]})

    @staticmethod
    def _read(fbo: moderngl.Framebuffer, attachment: int, components: int, dtype: str) -> np.ndarray:
        """One colour attachment as a new array, top row first (scene.vert draws the image upside down, so the
        rows OpenGL hands first are the top ones)."""
        w, h = fbo.viewport[2:]
        np_dtype = {"f1": np.uint8, "f2": np.float16, "f4": np.float32}[dtype]
        out = np.empty((h, w, components) if components > 1 else (h, w), np_dtype)
        fbo.read_into(out, viewport=fbo.viewport, components=components, attachment=attachment, dtype=dtype)
        return out

    def _read_gt(self, fbo, passes) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        read = partial(self._read, fbo)  # (attachment, components, dtype)

        if "uv" in passes:
            out["uv"] = read(0, 2, "f4")
        if "depth" in passes:
            out["depth"] = read(1, 1, "f4")
        if passes & {"object", "sheet"}:
            obj = read(2, 1, "f1")
            if "object" in passes:
                out["object"] = obj
            if "sheet" in passes:
                out["sheet"] = ((obj == 2) | (obj == 4)).astype(np.uint8)
        if "normal" in passes:
            out["normal"] = read(3, 3, "f2")  # the target's own precision: float32 would only be bigger
        if passes & {f"mask_{m}" for m in MASK_CHANNELS}:
            masks = read(4, 4, "f1")
            for name, (channel, bit) in MASK_CHANNELS.items():
                if f"mask_{name}" in passes:
                    layer = masks[..., channel] if bit is None else (masks[..., channel] >> bit) & 1
                    out[f"mask_{name}"] = np.ascontiguousarray(layer)
        return out
