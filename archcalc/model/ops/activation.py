"""Element-wise nonlinearities: no parameters, no MACs under any convention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from archcalc.model.ops.base import LayerRow, Op, Shape

ActName = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish"]
ACTIVATIONS: tuple[str, ...] = ("relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish")
_EXP_ACTIVATIONS = frozenset({"sigmoid", "swish"})


@dataclass(slots=True, unsafe_hash=True)
class Activation(Op):
    """ReLU, ReLU6, h-swish x·ReLU6(x+3)/6, h-sigmoid ReLU6(x+3)/6, sigmoid, swish x·σ(x).

    Counted as 0 MACs by the papers and by fvcore (which skips these ops).
    """

    kind: ClassVar[str] = "activation"
    folds_into_previous = True
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::hardswish": "activation: 0 MACs",
        "aten::hardsigmoid": "activation: 0 MACs",
        "aten::silu": "activation: 0 MACs",
        "aten::sigmoid": "activation: 0 MACs",
        "aten::hardtanh": "ReLU6: 0 MACs",
    }
    fn: str

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str:
        """``activation_exp`` for sigmoid and swish (an exponential per element), else ``activation``
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
