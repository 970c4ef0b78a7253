"""Small torch models written in different styles, for the importer tests (tests/test_import_*.py).

Each is a real ``nn.Module`` as a user would write it; the tests count them with fvcore,
FlopCounterMode and ``sum(p.numel())`` and compare with what archcalc makes of the import.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Functional(nn.Module):
    """A plain CNN written with torch.nn.functional calls."""

    def __init__(self, width: int = 16, classes: int = 10) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, width, 3, stride=2, padding=1, bias=False)
        self.b1 = nn.BatchNorm2d(width)
        self.c2 = nn.Conv2d(width, 2 * width, (3, 1), padding=(1, 0))
        self.fc = nn.Linear(2 * width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self.b1(self.c1(x)))
        x = F.max_pool2d(x, 2)
        x = F.hardswish(self.c2(x))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


def sequential(width: int = 8) -> nn.Sequential:
    """nn.Sequential with dropout, a flatten of a spatial map and two linear layers."""
    return nn.Sequential(
        nn.Conv2d(3, width, 5, stride=2, padding=2),
        nn.BatchNorm2d(width),
        nn.ReLU(inplace=True),
        nn.AvgPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1, groups=2),
        nn.SiLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(2 * width * 4 * 4, 32),
        nn.Tanh(),
        nn.Linear(32, 5),
    )


class ShuffleUnit(nn.Module):
    """ShuffleNet V2's unit with the channel shuffle written by hand (view / transpose / reshape)."""

    def __init__(self, c: int = 16) -> None:
        super().__init__()
        h = c // 2
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        self.pw1 = nn.Conv2d(h, h, 1, bias=False)
        self.dw = nn.Conv2d(h, h, 3, padding=1, groups=h, bias=False)
        self.bn = nn.BatchNorm2d(h)
        self.pw2 = nn.Conv2d(h, h, 1, bias=False)

    @staticmethod
    def shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
        b, c, h, w = x.size()
        x = x.view(b, groups, c // groups, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(b, -1, h, w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))
        a, b = x.chunk(2, dim=1)
        b = F.relu(self.pw1(b))
        b = self.bn(self.dw(b))
        b = F.relu(self.pw2(b))
        return self.shuffle(torch.cat((a, b), 1), 2)


class SqueezeExcite(nn.Module):
    """An inverted residual with a squeeze-and-excite gate written as ``x * s`` (and ``s * x``)."""

    def __init__(self, c: int = 16, e: int = 4) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, stride=2, padding=1)
        self.expand = nn.Conv2d(c, c * e, 1, bias=False)
        self.dw = nn.Conv2d(c * e, c * e, 5, padding=2, groups=c * e, bias=False)
        self.bn = nn.BatchNorm2d(c * e)
        self.se1 = nn.Conv2d(c * e, c, 1)
        self.se2 = nn.Conv2d(c, c * e, 1)
        self.project = nn.Conv2d(c * e, c, 1, bias=False)
        self.gate = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.hardswish(self.stem(x))
        y = F.relu6(self.expand(x))
        y = F.silu(self.bn(self.dw(y)))
        s = y.mean((2, 3), keepdim=True)
        s = F.hardsigmoid(self.se2(F.relu(self.se1(s))))
        y = y * s
        y = self.gate(y.mean((2, 3), keepdim=True)) * y
        return x + self.project(y)


class UNet(nn.Module):
    """A two-level U-Net: transposed-conv upsampling and concatenated skips."""

    def __init__(self, w: int = 16, out: int = 2) -> None:
        super().__init__()

        def block(i: int, o: int) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)
            )

        self.e1, self.e2, self.mid = block(3, w), block(w, 2 * w), block(2 * w, 4 * w)
        self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.d2 = block(4 * w, 2 * w)
        self.up1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
        self.d1 = block(2 * w, w)
        self.head = nn.Conv2d(w, out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        m = self.mid(F.max_pool2d(e2, 2))
        d2 = self.d2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.d1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)


class Interpolation(nn.Module):
    """An FPN-like top-down path: nearest by scale, nn.Upsample, bilinear to a skip's size."""

    def __init__(self, w: int = 8) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, w, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(w, w, 3, stride=2, padding=1)
        self.c3 = nn.Conv2d(w, w, 3, stride=2, padding=1)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.out = nn.Conv2d(w, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = F.relu(self.c1(x))
        b = F.relu(self.c2(a))
        c = F.relu(self.c3(b))
        b = b + F.interpolate(c, scale_factor=2.0, mode="nearest")
        a = a + F.interpolate(b, size=a.shape[-2:], mode="bilinear", align_corners=False)
        return self.out(self.up(a))


class Attention(nn.Module):
    """A patch embedding and one transformer block (multi-head self-attention + GELU MLP)."""

    def __init__(self, dim: int = 32, heads: int = 4, patch: int = 4, classes: int = 10) -> None:
        super().__init__()
        self.heads = heads
        self.embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.ln1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ln2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(2 * dim, dim)
        self.head = nn.Linear(dim, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.embed(x).flatten(2).transpose(1, 2)  # B × T × D
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q = q.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        k = k.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        v = v.reshape(b, t, self.heads, d // self.heads).transpose(1, 2)
        a = torch.softmax((q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5, dim=-1)
        y = (a @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(y)
        x = x + self.fc2(self.act(self.fc1(self.ln2(x))))
        return self.head(x.mean(1))


class LayerScale(nn.Module):
    """A ConvNeXt-like block: learnt tensors used as data (a position embedding added to a map, a
    layer scale γ multiplied channels-last), a depthwise 7×7, LayerNorm and an MLP on channels-last
    maps, permutes."""

    def __init__(self, c: int = 16) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, c, 4, stride=4)
        self.pos = nn.Parameter(torch.zeros(1, c, 8, 8))
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.ln = nn.LayerNorm(c)
        self.fc1 = nn.Linear(c, 4 * c)
        self.fc2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.full((c,), 1e-6))
        self.head = nn.Linear(c, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x) + self.pos
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.gamma * self.fc2(F.gelu(self.fc1(self.ln(y))))
        x = x + y.permute(0, 3, 1, 2)
        return self.head(x.mean((2, 3)))


ZOO: dict[str, tuple[type[nn.Module] | object, tuple[int, int, int]]] = {
    "functional": (Functional, (3, 32, 32)),
    "sequential": (sequential, (3, 32, 32)),
    "shuffle": (ShuffleUnit, (3, 16, 16)),
    "squeeze_excite": (SqueezeExcite, (3, 32, 24)),
    "unet": (UNet, (3, 64, 48)),
    "interpolation": (Interpolation, (3, 32, 32)),
    "attention": (Attention, (3, 32, 24)),
    "layer_scale": (LayerScale, (3, 32, 32)),
}
"""name → (constructor, input shape C×H×W)."""


def make(name: str) -> tuple[nn.Module, tuple[int, int, int]]:
    """A fresh model of the zoo in eval mode, with fixed random weights, and its input shape."""
    ctor, shape = ZOO[name]
    torch.manual_seed(0)
    return ctor().eval(), shape  # type: ignore[operator]
