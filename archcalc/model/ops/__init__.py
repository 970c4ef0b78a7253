"""Primitive layer kinds: one class per kind, each registered in :data:`PRIMITIVES` by ``kind``.

To add a primitive, write its class (a subclass of :class:`Op`, see ``base.py`` for every fact it
can state) in a module here and import it below; defining the class registers it.
"""

from __future__ import annotations

from archcalc.model.ops.activation import ACTIVATIONS, Activation, Softmax
from archcalc.model.ops.base import PRIMITIVES, LayerRow, LevelRule, Op, Shape, fmt_shape, numel
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
    "LayerRow",
    "LevelRule",
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
