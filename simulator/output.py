"""Writing a page or frame to disk: image, masks, WFDB truth, then the JSON sidecar last (it marks completion).

Every file is written atomically, and the output folder is checked before anything is rendered, so a bad path
fails before work is done and existing files are never left half-written.
"""

from __future__ import annotations

import fcntl
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .atomic import write_image_atomic, write_json_atomic
from .errors import InputError

MASK_SUFFIX = "_mask_{}.png"
LOCK_FILE = ".generate.lock"  # held by a generate run (flock) while it writes the folder


@contextmanager
def sole_writer(out: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``out`` for a run's duration (InputError when another run holds it). Two runs into
    one folder would render every frame twice, and each one's start would sweep away the other's temporaries. The
    kernel drops the lock when the process dies, even by ``kill -9``, so a rerun after a crash is never refused."""
    with open(out / LOCK_FILE, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"--output: another run is writing to {out}; wait for it to finish, or use another "
                             f"folder") from None
        except OSError as exc:  # a file system without locks (some network mounts): run, but say so
            warnings.warn(f"cannot lock {out} ({exc.strerror or exc}); make sure no other run writes to it")
        yield


def check_output_file(path: Path | str | None, option: str) -> None:
    """A file a command will write must not be a folder: said before the work that produces it, not after."""
    if path is not None and Path(path).is_dir():
        raise InputError(f"{option}: {path} is a folder; give a file name")


def prepare_output_dir(path: Path | str) -> Path:
    """Create ``path`` if needed and check it is a writable folder; InputError otherwise."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise InputError(f"--output: {out} is a file, not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--output: cannot create folder {out} ({exc.strerror or exc})") from None
    probe = out / f".write-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"--output: folder {out} is not writable ({exc.strerror or exc})") from None
    return out


def write_masks(out_dir: Path, name: str, masks: dict[str, np.ndarray]) -> dict[str, str]:
    """Write each mask as an 8-bit PNG (trace: lead index + 1; others 0/255); returns kind → file name."""
    files = {}
    for kind, mask in masks.items():
        fname = name + MASK_SUFFIX.format(kind)
        image = mask if kind == "trace" else np.multiply(mask > 0, 255, dtype=np.uint8)  # one pass, no int copy
        write_image_atomic(out_dir / fname, image)
        files[kind] = fname
    return files


def write_sidecar(out_dir: Path, name: str, truth: dict) -> Path:
    """Write the JSON sidecar; written last, its presence means the frame is complete."""
    return write_json_atomic(out_dir / f"{name}.json", truth)


def write_image(out_dir: Path, name: str, image: np.ndarray, fmt: str = "png", jpeg_quality: int = 95) -> str:
    fname = f"{name}.{fmt}"
    write_image_atomic(out_dir / fname, image, jpeg_quality)
    return fname
