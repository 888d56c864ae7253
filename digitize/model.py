"""A small U-Net: RGB image → per-pixel trace-ink logit. Four levels, ~0.5 M parameters at width 16."""

from __future__ import annotations

import torch
from torch import nn


def _block(c_in: int, c_out: int) -> nn.Sequential:
    """Two 3×3 convolutions with batch norm and ReLU."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))


class UNet(nn.Module):
    """Encoder-decoder with skip connections; input sides must be multiples of 8."""

    def __init__(self, width: int = 16):
        super().__init__()
        w = width
        self.width = width
        self.enc = nn.ModuleList([_block(3, w), _block(w, 2 * w), _block(2 * w, 4 * w)])
        self.bottom = _block(4 * w, 8 * w)
        self.up = nn.ModuleList([nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2),
                                 nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2),
                                 nn.ConvTranspose2d(2 * w, w, 2, stride=2)])
        self.dec = nn.ModuleList([_block(8 * w, 4 * w), _block(4 * w, 2 * w), _block(2 * w, w)])
        self.head = nn.Conv2d(w, 1, 1)
        self.pool = nn.MaxPool2d(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-0.5, 0.5] → (B, 1, H, W) logits."""
        skips = []
        for enc in self.enc:
            x = enc(x)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x)
        for up, dec, skip in zip(self.up, self.dec, reversed(skips)):
            x = dec(torch.cat([up(x), skip], dim=1))
        return self.head(x)


def to_input(rgb_uint8: torch.Tensor) -> torch.Tensor:
    """(B, H, W, 3) uint8 → (B, 3, H, W) float in [-0.5, 0.5], the network's input scaling."""
    return rgb_uint8.permute(0, 3, 1, 2).float() / 255.0 - 0.5


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
