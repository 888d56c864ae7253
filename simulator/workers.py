"""Making frames: the per-frame function every backend runs, and the local process pool and Ray backends.

Frame ``i`` of a run draws everything from ``numpy.random.default_rng([seed, i])`` — the record, the window, every
scene parameter — so its bytes depend only on (seed, i), never on the worker, backend or order. Each process holds at
most one GL renderer, created the first time a frame needs the 3D path (GL contexts do not survive ``fork``, so
pools use ``spawn``).
"""

from __future__ import annotations

import dataclasses
import errno
import gc
import itertools
import math
import multiprocessing
import os
import warnings
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Collection, Iterable, Iterator

import numpy as np

from .config import sample_scene
from .errors import InputError
from .frame import Frame, render_frame, write_frame
from .layout import PAPER_SPEEDS_MM_S, STANDARD_12, plan_page
from .manifest import frame_dir, frame_name, scene_hash, sha256_file
from .provenance import code_fingerprint
from .records import Record, load_record, read_header
from .reuse import forget_all
from .scene import Scene
from .synthetic import FS_HZ as SYNTHETIC_FS, INPUT as SYNTHETIC, is_synthetic, parse_kinds, synthetic_record

_renderer = None         # this process's GL renderer, made on first use
_gc_settled = False      # whether this process's long-lived objects are out of the collector's full passes


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to make any frame of a run; sent to each worker once."""

    out_dir: str
    seed: int
    count: int
    config: dict
    sources: tuple[str, ...]     # record base paths, or SYNTHETIC (with a mix of kinds: synthetic:af=2,sinus=1)
    gt_passes: tuple[str, ...] = ()
    image_format: str = "auto"      # auto: JPEG for photographed (3D) frames, PNG for flat pages
    jpeg_quality: int | None = None  # None: the scene's own (post.jpeg_quality)


def process_renderer():
    """The renderer of this process (one GL context per process), created on first use."""
    global _renderer
    if _renderer is None:
        from .gl_context import create_context
        from .renderer import Renderer
        _renderer = Renderer(create_context())
    return _renderer


def render_scene(scene: Scene, record: Record, passes: Iterable[str] = ()) -> Frame:
    """Render one scene: the flat page path, or the 3D path with this process's renderer once the scene has a sheet."""
    if not scene.is_3d:
        return render_frame(scene, record)
    return render_frame(scene, record, renderer=process_renderer(), passes=tuple(passes))


def window_s(scene: Scene, lead_names: tuple[str, ...], fs: float, name: str) -> float:
    """Seconds of signal the scene's page shows for record ``name`` with these leads (planned on an empty record
    of that name, so an error names the record)."""
    probe = Record(name=name, fs=fs, signals=np.zeros((1, len(lead_names))), lead_names=tuple(lead_names),
                   path=Path(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plan_page(probe, scene.page).signals.shape[0] / fs


def fit_layout(scene: Scene, lead_names: tuple[str, ...]) -> Scene:
    """A record with fewer than half the standard 12 leads (a 2-lead Holter record) gets the ``auto`` layout, so the
    page shows its leads instead of a nearly empty 3x4 grid."""
    standard = {n.lower() for n in STANDARD_12}
    if scene.page.layout == "auto" or sum(n.strip().lower() in standard for n in lead_names) >= 6:
        return scene
    return dataclasses.replace(scene, page=dataclasses.replace(scene.page, layout="auto", rhythm_leads=()))


def fit_speed(scene: Scene, lead_names: tuple[str, ...], fs: float, name: str, record_s: float) -> Scene:
    """A record shorter than the page's window at the drawn paper speed is printed at the slowest standard speed
    whose window it fills (a 10 s record drawn at 12.5 mm/s, whose 3x4 page shows 20 s, at 25 mm/s), as an ECG
    machine prints what it recorded; left as drawn, half the page stayed blank. A record too short for any speed
    keeps the drawn one (the rest of each row blank, with a warning)."""
    drawn = scene.page.speed_mm_s
    for speed in (drawn, *(s for s in PAPER_SPEEDS_MM_S if s > drawn)):
        fitted = dataclasses.replace(scene, page=dataclasses.replace(scene.page, speed_mm_s=speed))
        if window_s(fitted, lead_names, fs, name) <= record_s + 1e-9:
            return fitted
    return scene


def pick_window(source: str, scene: Scene, rng: np.random.Generator) -> tuple[Record, Scene]:
    """The record window the frame shows (start uniform over the record), and the scene with ``page.start_s`` set
    (and the layout fitted to the record's leads, the paper speed to its length)."""
    if is_synthetic(source):
        record = synthetic_record(rng, window_s(scene, STANDARD_12, SYNTHETIC_FS, SYNTHETIC), parse_kinds(source))
        start_s = 0.0
    else:
        header = read_header(source)
        scene = fit_layout(scene, tuple(header.sig_name))
        scene = fit_speed(scene, tuple(header.sig_name), header.fs, header.record_name, header.sig_len / header.fs)
        duration = window_s(scene, tuple(header.sig_name), header.fs, header.record_name)
        n_window = int(round(duration * header.fs))
        start = int(rng.integers(0, max(0, header.sig_len - n_window) + 1))
        start_s = start / header.fs
        record = load_record(source, start_s, duration, header)
    return record, dataclasses.replace(scene, page=dataclasses.replace(scene.page, start_s=start_s))


def draw_frame(seed: int, index: int, config: dict, sources: tuple[str, ...]) -> tuple[str, Record, Scene]:
    """Frame ``index``'s draws from ``default_rng([seed, index])``: its input, its record window and its scene."""
    rng = np.random.default_rng([seed, index])
    source = sources[int(rng.integers(len(sources)))]
    scene = sample_scene(config, rng)
    record, scene = pick_window(source, scene, rng)
    return source, record, scene


def make_frame(job: Job, index: int) -> dict:
    """Render and write frame ``index``; returns its manifest entry (status ok, failed: bad input, or error)."""
    try:
        return _frame_entry(job, index)
    finally:
        _settle_gc()


def _settle_gc() -> None:
    """Once a process has made a frame, leave what it keeps (modules, caches, the renderer: ~85 000 objects) out of
    the cyclic garbage collector's full passes (``gc.freeze``). Each such pass walked all of them, ~40 ms, and a
    dataset frame's many small JSON lists set one off most frames. Refcounting still frees what is dropped later."""
    global _gc_settled
    if not _gc_settled:
        gc.collect()  # cyclic garbage of the first frame: collected, not frozen
        gc.freeze()
        _gc_settled = True


def _frame_entry(job: Job, index: int) -> dict:
    name, sub = frame_name(index, job.count), frame_dir(index)
    entry = {"frame": index, "name": f"{sub}/{name}"}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            source, record, scene = draw_frame(job.seed, index, job.config, job.sources)
            frame = render_scene(scene, record, job.gt_passes)
            forget_all()  # no later frame shares this one's page or sheet: free them for the files' buffers
            window = {"start_s": scene.page.start_s, "start_sample": record.start_sample,
                      "duration_s": frame.layout.signals.shape[0] / record.fs, "fs": record.fs}
            truth = {**frame.truth, "source": {"input": source, "record": record.name, "run_seed": job.seed,
                                               "frame": index, **window}}
            out = Path(job.out_dir) / sub
            out.mkdir(exist_ok=True)
            fmt = job.image_format if job.image_format != "auto" else ("jpg" if scene.is_3d else "png")
            files = write_frame(out, name, dataclasses.replace(frame, truth=truth), fmt, job.jpeg_quality)
    except InputError as exc:
        return {**entry, "status": "failed", "reason": str(exc)}
    except Exception as exc:  # a bug or a resource problem: report it, retry on resume
        error = {**entry, "status": "error", "reason": f"{type(exc).__name__}: {exc}".splitlines()[0]}
        if isinstance(exc, OSError) and exc.errno is not None:
            error["errno"] = errno.errorcode.get(exc.errno, str(exc.errno))  # ENOSPC: the run stops (generate.py)
        return error
    return {**entry, "status": "ok", "record": record.name, "input": source, "window": window,
            "preset": scene.preset, "scene_hash": scene_hash(scene.to_dict()), "code": code_fingerprint(),
            "files": {f"{sub}/{f}": sha256_file(out / f) for f in files},
            "warnings": frame_warnings(caught)}


LIBRARY_NOTICES = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def frame_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """What a frame's manifest entry lists: our warnings about its input and scene, not a library's notices about
    its own future (pandas warns once a process when wfdb first reads annotations, so which frame carried that
    depended on the worker count and the order: manifests of the same set differed)."""
    return sorted({str(w.message) for w in caught if not issubclass(w.category, LIBRARY_NOTICES)})


# --- backends: each yields manifest entries as frames finish -----------------------------------------------------

_job: Job | None = None


def _gl_threads(workers: int) -> str:
    """llvmpipe (Mesa's CPU renderer) threads per worker: share the cores rather than oversubscribe them."""
    return os.environ.get("LP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))


def _share_cores(threads: str) -> None:
    """Give this worker's llvmpipe and OpenCV ``threads`` threads each. Left alone, OpenCV runs one thread per core
    in every worker: two workers on two cores then made 5-10% fewer frames, from contention."""
    import cv2

    os.environ["LP_NUM_THREADS"] = threads  # read when this process creates its GL context
    cv2.setNumThreads(int(threads))  # the blurs and colour conversions of post; results do not depend on it


def _init_worker(job: Job, gl_threads: str) -> None:
    global _job
    _job = job
    _share_cores(gl_threads)


def _run_chunk(indices: list[int]) -> list[dict]:
    return [make_frame(_job, i) for i in indices]


@dataclass(frozen=True)
class Todo(Collection[int]):
    """The frames of a set still to make, in order: ``range(count)`` less those ``done``, drawn lazily, so memory
    does not grow with the count (a mistyped ``--count 10000000000`` was a list that took all memory)."""

    count: int
    done: frozenset[int]

    def __iter__(self) -> Iterator[int]:
        return (i for i in range(self.count) if i not in self.done)

    def __len__(self) -> int:
        return self.count - sum(1 for i in self.done if 0 <= i < self.count)

    def __contains__(self, index: object) -> bool:
        return isinstance(index, int) and 0 <= index < self.count and index not in self.done


def _chunks(indices: Collection[int], workers: int) -> Iterator[list[int]]:
    """``indices`` in consecutive chunks of up to 8: about four per worker for short runs."""
    size = max(1, min(8, math.ceil(len(indices) / (workers * 4))))
    remaining = iter(indices)
    while chunk := list(itertools.islice(remaining, size)):
        yield chunk


def run_local(job: Job, indices: Collection[int], workers: int) -> Iterator[dict]:
    """Frames in this process (one worker) or in a spawn-context process pool."""
    if workers <= 1:
        for i in indices:
            yield make_frame(job, i)
        return
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(job, _gl_threads(workers))) as pool:
        chunks = _chunks(indices, workers)
        pending = {pool.submit(_run_chunk, c) for c in itertools.islice(chunks, 2 * workers)}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield from future.result()
                    c = next(chunks, None)
                    if c is not None:
                        pending.add(pool.submit(_run_chunk, c))
        finally:  # the caller stopped early (a full disk): drop the chunks not started
            for future in pending:
                future.cancel()


def _ray_chunk(job: Job, indices: list[int]) -> list[dict]:
    if "LP_NUM_THREADS" in os.environ:  # a local Ray's share of the cores (a cluster's workers use their own)
        _share_cores(os.environ["LP_NUM_THREADS"])
    return [make_frame(job, i) for i in indices]


def run_ray(job: Job, indices: Collection[int], workers: int) -> Iterator[dict]:
    """The same chunks as Ray tasks: on the cluster at ``RAY_ADDRESS``, or a local Ray with ``workers`` CPUs."""
    try:
        import ray
    except ImportError:
        raise InputError("--backend ray needs Ray: pip install .[ray]") from None
    address = os.environ.get("RAY_ADDRESS")
    if not ray.is_initialized():
        local = {} if address else {"num_cpus": workers,
                                    "runtime_env": {"env_vars": {"LP_NUM_THREADS": _gl_threads(workers)}}}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False, **local)
    task = ray.remote(_ray_chunk)
    job_ref = ray.put(job)
    slots = 2 * max(workers, int(ray.cluster_resources().get("CPU", workers)))
    chunks = _chunks(indices, slots // 2)
    pending = [task.remote(job_ref, c) for c in itertools.islice(chunks, slots)]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield from ray.get(done[0])
            c = next(chunks, None)
            if c is not None:
                pending.append(task.remote(job_ref, c))
    finally:  # the caller stopped early (a full disk): cancel the tasks still queued or running
        for ref in pending:
            ray.cancel(ref)
