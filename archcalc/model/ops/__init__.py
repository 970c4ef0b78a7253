"""Primitive layer kinds, keyed by ``kind`` (the registry every consumer looks up)."""

from __future__ import annotations

from archcalc.model.ops.activation import ACTIVATIONS, Activation
from archcalc.model.ops.base import Op, Shape, fmt_shape, numel
from archcalc.model.ops.conv import Conv2d
from archcalc.model.ops.linear import Linear
from archcalc.model.ops.norm import BatchNorm2d
from archcalc.model.ops.pool import AdaptivePool2d, Pool2d
from archcalc.model.ops.tensor import Add, ChannelShuffle, Concat, Flatten, Mul, Slice

PRIMITIVES: dict[str, type[Op]] = {
    cls.kind: cls
    for cls in (
        Conv2d,
        Linear,
        BatchNorm2d,
        Activation,
        Pool2d,
        AdaptivePool2d,
        Flatten,
        Add,
        Mul,
        Concat,
        Slice,
        ChannelShuffle,
    )
}

__all__ = [
    "ACTIVATIONS",
    "PRIMITIVES",
    "Activation",
    "AdaptivePool2d",
    "Add",
    "BatchNorm2d",
    "ChannelShuffle",
    "Concat",
    "Conv2d",
    "Flatten",
    "Linear",
    "Mul",
    "Op",
    "Pool2d",
    "Shape",
    "Slice",
    "fmt_shape",
    "numel",
]
