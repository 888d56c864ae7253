"""Training the U-Net (the trace net, or with ``marks`` the marks net): deterministic from the seed, a checkpoint every
epoch, ``--resume`` continues.

Epoch ``e`` draws its batches from ``Generator([seed, e])``, so a resumed run is the same as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from simulator.atomic import write_atomic
from simulator.errors import InputError
from simulator.output import check_output_file
from simulator.params import rng as rng_meta

from .dataset import batch, build_bank, find_frames
from .model import UNet, count_parameters, to_input


@dataclass(frozen=True)
class TrainConfig:
    """Training hyper-parameters (stored in the checkpoint and the weights file)."""

    epochs: int = field(default=10, metadata=rng_meta(1))
    steps_per_epoch: int = field(default=100, metadata=rng_meta(1))
    batch_size: int = field(default=8, metadata=rng_meta(1))
    tile: int = field(default=192, metadata=rng_meta(32))
    lr: float = field(default=2e-3, metadata=rng_meta(0.0, lo_open=True))
    seed: int = field(default=0, metadata=rng_meta(0))
    width: int = field(default=12, metadata=rng_meta(2))
    threads: int = field(default=2, metadata=rng_meta(1))
    crops_per_frame: int = field(default=16, metadata=rng_meta(1))
    pos_weight: float = 3.0
    marks: bool = False  # learn the calibration pulses and column separators with the trace: the marks net


def loss_fn(logits: torch.Tensor, target: torch.Tensor, pos_weight: float) -> torch.Tensor:
    """Weighted binary cross-entropy (trace pixels are rare) plus soft Dice (thin lines count as a whole)."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits(
        logits, target, pos_weight=torch.tensor(pos_weight))
    p = torch.sigmoid(logits)
    dice = 1.0 - (2.0 * (p * target).sum() + 1.0) / (p.sum() + target.sum() + 1.0)
    return bce + dice


def checkpoint_path(out: Path) -> Path:
    return out.with_suffix(".ckpt")


def _seed_all(seed: int, threads: int) -> None:
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def train(data: list[Path], out: Path, cfg: TrainConfig, resume: bool = False, stop_after: int | None = None) -> dict:
    """Train (or resume) and write ``out`` (weights + config); returns the last epoch's mean loss and counts.

    ``stop_after`` ends this run after that many epochs (the checkpoint stays; ``resume`` finishes the job).
    """
    if cfg.tile % 8:
        raise InputError(f"--tile: {cfg.tile} is not a multiple of 8")
    check_output_file(out, "--out")  # now, not when the trained weights are to be written
    if stop_after is not None and stop_after < 1:
        raise InputError(f"--stop-after: {stop_after} epochs must be at least 1")
    _seed_all(cfg.seed, cfg.threads)
    model = UNet(cfg.width)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * cfg.steps_per_epoch,
                                                pct_start=0.1)
    start_epoch = 0
    ckpt = checkpoint_path(out)
    if resume:
        if not ckpt.is_file():
            raise InputError(f"--resume: no checkpoint {ckpt}")
        try:
            state = torch.load(ckpt, map_location="cpu", weights_only=True)
        except Exception as exc:  # torch.load raises many kinds on a damaged file
            raise InputError(f"--resume: checkpoint {ckpt} is unreadable ({type(exc).__name__})") from None
        if not isinstance(state, dict) or state.get("config") != asdict(cfg):
            raise InputError(f"--resume: checkpoint {ckpt} was made with different settings")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start_epoch = state["epoch"] + 1
    pairs = find_frames(data)
    bank = build_bank(pairs, cfg.crops_per_frame, cfg.tile, np.random.default_rng([cfg.seed, 7919]), cfg.marks,
                      progress=lambda it: tqdm(it, desc="reading frames", unit="frame"))
    out.parent.mkdir(parents=True, exist_ok=True)
    mean_loss = float("nan")
    last = cfg.epochs if stop_after is None else min(cfg.epochs, start_epoch + stop_after)
    for epoch in range(start_epoch, last):
        rng = np.random.default_rng([cfg.seed, epoch])
        torch.manual_seed(cfg.seed * 100003 + epoch)
        model.train()
        losses = []
        bar = tqdm(range(cfg.steps_per_epoch), desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="step")
        for _ in bar:
            imgs, tgts = batch(bank, cfg.batch_size, rng)
            logits = model(to_input(torch.from_numpy(imgs)))
            loss = loss_fn(logits, torch.from_numpy(tgts)[:, None], cfg.pos_weight)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}")
        mean_loss = float(np.mean(losses))
        _save(ckpt, {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                     "epoch": epoch, "config": asdict(cfg), "loss": mean_loss})
    if last < cfg.epochs:
        return {"loss": mean_loss, "frames": len(pairs), "crops": len(bank.images), "finished": False}
    _save(out, {"model": model.state_dict(), "width": cfg.width, "config": asdict(cfg), "loss": mean_loss,
                "frames": len(pairs), "parameters": count_parameters(model)})
    return {"loss": mean_loss, "frames": len(pairs), "crops": len(bank.images), "finished": True}


def _save(path: Path, obj: dict) -> None:
    """torch.save to a temporary name, then rename (a killed run never leaves a half-written file)."""
    write_atomic(path, lambda tmp: torch.save(obj, tmp))
