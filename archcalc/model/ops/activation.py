"""Element-wise nonlinearities: no parameters, no MACs under any convention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import LayerRow, Op, Shape

ActName = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "gelu", "gelu_tanh", "tanh"]
ACTIVATIONS: tuple[str, ...] = (
    "relu",
    "relu6",
    "hswish",
    "hsigmoid",
    "sigmoid",
    "swish",
    "gelu",
    "gelu_tanh",
    "tanh",
)
_EXP_ACTIVATIONS = frozenset({"sigmoid", "swish", "gelu", "gelu_tanh", "tanh"})


@dataclass(slots=True, unsafe_hash=True)
class Activation(Op):
    """ReLU, ReLU6, h-swish x·ReLU6(x+3)/6, h-sigmoid ReLU6(x+3)/6, sigmoid, swish x·σ(x),
    GELU x·Φ(x) (``gelu``: erf form; ``gelu_tanh``: the tanh approximation), tanh.

    Counted as 0 MACs by the papers, by fvcore (which skips these ops) and by FlopCounterMode.
    """

    kind: ClassVar[str] = "activation"
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::hardswish": "activation: 0 MACs",
        "aten::hardsigmoid": "activation: 0 MACs",
        "aten::silu": "activation: 0 MACs",
        "aten::sigmoid": "activation: 0 MACs",
        "aten::hardtanh": "ReLU6: 0 MACs",
        "aten::gelu": "activation: 0 MACs",
        "aten::tanh": "activation: 0 MACs",
    }
    fn: str

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str:
        """``activation_exp`` for sigmoid, swish, GELU and tanh (an exponential or erf per element),
        else ``activation``
        (piecewise linear); the row's ``args`` is the function's name (:meth:`describe`)."""
        return "activation_exp" if row.args in _EXP_ACTIVATIONS else "activation"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return inputs[0]

    def category(self) -> str:
        return "Activation"

    def describe(self) -> str:
        return self.fn

    def torch_module(self) -> Any:
        from archcalc.measure.torch_modules import ACTIVATION_MODULES

        return ACTIVATION_MODULES[self.fn]()


@dataclass(slots=True, unsafe_hash=True)
class Softmax(Op):
    """softmax along ``dim`` (of the sample's tensor, batch excluded): exp(x_i) / Σ_j exp(x_j).

    0 MACs under every convention: the papers count none, fvcore skips ``aten::softmax`` and
    FlopCounterMode counts only matrix products and convolutions.
    """

    kind: ClassVar[str] = "softmax"
    latency_kind = "activation_exp"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::softmax": "softmax: 0 MACs"}
    dim: int = -1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if not -len(shape) <= self.dim < len(shape):
            raise ArchcalcError(f"softmax over dim {self.dim} of a {len(shape)}-d tensor")
        return shape

    def category(self) -> str:
        return "Activation"

    def describe(self) -> str:
        return f"softmax dim {self.dim}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Softmax(dim=self.dim if self.dim < 0 else self.dim + 1)
