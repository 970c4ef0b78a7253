"""Primitive layer kinds, keyed by ``kind`` (the registry every consumer looks up)."""

from __future__ import annotations

from archcalc.ops.activation import ACTIVATIONS, Activation
from archcalc.ops.base import Op, Shape, numel
from archcalc.ops.conv import Conv2d
from archcalc.ops.linear import Linear
from archcalc.ops.norm import BatchNorm2d
from archcalc.ops.pool import GlobalPool, Pool2d
from archcalc.ops.tensor import Add, Concat, Flatten, Mul

PRIMITIVES: dict[str, type[Op]] = {
    cls.kind: cls
    for cls in (Conv2d, Linear, BatchNorm2d, Activation, Pool2d, GlobalPool, Flatten, Add, Mul, Concat)
}

__all__ = [
    "ACTIVATIONS",
    "PRIMITIVES",
    "Activation",
    "Add",
    "BatchNorm2d",
    "Concat",
    "Conv2d",
    "Flatten",
    "GlobalPool",
    "Linear",
    "Mul",
    "Op",
    "Pool2d",
    "Shape",
    "numel",
]
