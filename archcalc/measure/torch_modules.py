"""torch modules for the primitives torch lacks as modules (imported only when torch is wanted)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class Add(nn.Module):
    """Element-wise sum of its inputs (residual add)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Mul(nn.Module):
    """x · gate, the gate broadcast over H×W (squeeze-and-excite scale)."""

    def forward(self, x: torch.Tensor, gate: torch.Tensor) -> torch.Tensor:
        return x * gate


class Concat(nn.Module):
    """Concatenation along ``dim`` (default 1: channels)."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.dim)


class Flatten(nn.Module):
    """C×H×W → C·H·W per sample."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(x, 1)


class Slice(nn.Module):
    """Elements [start, stop) along ``dim`` (default 1: channels)."""

    def __init__(self, start: int, stop: int, dim: int = 1) -> None:
        super().__init__()
        self.start, self.stop, self.dim = start, stop, dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.dim == 1:
            return x[:, self.start : self.stop]
        return x.narrow(self.dim, self.start, self.stop - self.start)


class ChannelShuffle(nn.Module):
    """Reshape to (g, C/g), transpose, flatten back (ShuffleNet)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        x = x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2)
        return x.reshape(n, c, h, w)


class FlattenDims(nn.Module):
    """Dimensions start … end (batch excluded) merged into one."""

    def __init__(self, start: int, end: int) -> None:
        super().__init__()
        self.start = start + 1 if start >= 0 else start
        self.end = end + 1 if end >= 0 else end

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.flatten(x, self.start, self.end)


class Reshape(nn.Module):
    """Each sample reshaped to ``shape``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Permute(nn.Module):
    """Each sample's dimensions permuted by ``perm`` (batch excluded)."""

    def __init__(self, perm: tuple[int, ...]) -> None:
        super().__init__()
        self.perm = (0, *(p + 1 for p in perm))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.perm)


class MatMul(nn.Module):
    """``a @ b`` of two activations."""

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a @ b


class Mean(nn.Module):
    """Mean over ``dims`` (batch counted, as torch numbers them)."""

    def __init__(self, dims: tuple[int, ...], keepdim: bool) -> None:
        super().__init__()
        self.dims, self.keepdim = tuple(dims), keepdim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(self.dims, keepdim=self.keepdim)


class Scalar(nn.Module):
    """``x * c``, ``x / c``, ``x + c`` or ``x - c``."""

    def __init__(self, op: str, value: float) -> None:
        super().__init__()
        self.op, self.value = op, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.op == "mul":
            return x * self.value
        if self.op == "div":
            return x / self.value
        if self.op == "add":
            return x + self.value
        return x - self.value


class ParameterTensor(nn.Module):
    """A learnt tensor of ``shape`` (batch excluded) that the graph reads as data."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1, *shape))

    def forward(self) -> torch.Tensor:
        return self.weight


ACTIVATION_MODULES: dict[str, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "hswish": nn.Hardswish,
    "hsigmoid": nn.Hardsigmoid,
    "sigmoid": nn.Sigmoid,
    "swish": nn.SiLU,
    "gelu": nn.GELU,
    "gelu_tanh": lambda: nn.GELU(approximate="tanh"),
    "tanh": nn.Tanh,
}
