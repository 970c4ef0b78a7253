"""Primitive layer kinds, keyed by ``kind`` (the registry every consumer looks up)."""

from __future__ import annotations

from archcalc.model.ops.activation import ACTIVATIONS, Activation, Softmax
from archcalc.model.ops.base import Op, Shape, fmt_shape, numel
from archcalc.model.ops.conv import Conv2d, ConvTranspose2d
from archcalc.model.ops.linear import Linear, MatMul, broadcast_shapes
from archcalc.model.ops.norm import BatchNorm2d, LayerNorm
from archcalc.model.ops.pool import AdaptivePool2d, Mean, Pool2d
from archcalc.model.ops.resize import Upsample
from archcalc.model.ops.tensor import (
    Add,
    ChannelShuffle,
    Concat,
    Flatten,
    Identity,
    Mul,
    Parameter,
    Reshape,
    Scalar,
    Slice,
    Transpose,
)

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
        ConvTranspose2d,
        LayerNorm,
        Softmax,
        Mean,
        Upsample,
        MatMul,
        Reshape,
        Transpose,
        Scalar,
        Identity,
        Parameter,
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
    "ConvTranspose2d",
    "Flatten",
    "Identity",
    "LayerNorm",
    "Linear",
    "MatMul",
    "Mean",
    "Mul",
    "Op",
    "Parameter",
    "Pool2d",
    "Reshape",
    "Scalar",
    "Shape",
    "Slice",
    "Softmax",
    "Transpose",
    "Upsample",
    "broadcast_shapes",
    "fmt_shape",
    "numel",
]
