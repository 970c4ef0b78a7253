"""Element-wise nonlinearities: no parameters, no MACs under any convention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Literal

from archcalc.model.ops.base import LayerRow, Op, Shape, numel
from archcalc.model.ops.counting import Rule, Tally, rule

ActName = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish"]
ACTIVATIONS: tuple[str, ...] = ("relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish")
_EXP_ACTIVATIONS = frozenset({"sigmoid", "swish"})


@cache
def _unruled(fn: str) -> Rule:
    return rule(f"{fn} output element (no counter's rule stated)")


@dataclass(slots=True, unsafe_hash=True)
class Activation(Op):
    """ReLU, ReLU6, h-swish x·ReLU6(x+3)/6, h-sigmoid ReLU6(x+3)/6, sigmoid, swish x·σ(x).

    Counted as 0 MACs by the papers and by fvcore (which skips these ops).
    """

    kind: ClassVar[str] = "activation"
    rules: ClassVar[Mapping[str, Rule]] = {
        # ptflops hooks nn.ReLU and also patches F.relu, which nn.ReLU calls: each element counts twice
        "relu": rule("ReLU output element", ptflops=2),
        # nn.ReLU6 is a Hardtanh: its module hook counts, F.hardtanh is not patched
        "relu6": rule("ReLU6 output element", ptflops=1),
        # ptflops patches F.silu (no module hook); TF's silu is x·σ(β·x): two Muls
        "swish": rule("SiLU (swish) output element", ptflops=1, tf=2),
        # Keras hard_swish x·relu6(x + 3)/6: AddV2, RealDiv, Mul
        "hswish": rule("hard-swish output element", tf=3),
        # Keras MobileNetV3's hard_sigmoid relu6(x + 3)·(1/6): AddV2, Mul
        "hsigmoid": rule("hard-sigmoid output element", tf=2),
        "sigmoid": rule("sigmoid output element"),
    }
    """What each counter charges per output element of an activation function (0 where unnamed)."""
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

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """One unit per output element, charged as :attr:`rules` says for ``fn`` (a function without
        a rule is charged nothing; ``tests/test_counters_torch.py`` wants every one stated)."""
        r = self.rules.get(self.fn)
        return ((r if r is not None else _unruled(self.fn), numel(out)),)

    def category(self) -> str:
        return "Activation"

    def describe(self) -> str:
        return self.fn

    def torch_module(self) -> Any:
        from archcalc.measure.torch_modules import ACTIVATION_MODULES

        return ACTIVATION_MODULES[self.fn]()
