"""Element-wise nonlinearities: no parameters, no MACs under any convention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar, Literal

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import LayerRow, OnnxSink, Op, Shape, numel
from archcalc.model.ops.counting import Rule, Tally, rule

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
_CONV_FUSED = frozenset({"relu", "relu6", "hswish", "hsigmoid", "sigmoid"})
_GEMM_FUSED = frozenset({"relu", "hsigmoid", "sigmoid"})
_UNBLOCKED = frozenset({"relu6"})
"""Functions onnxruntime's NCHWc transformer does not run on a blocked tensor (``Clip``)."""
_KERNEL_CODE = {"relu": 1.0, "relu6": 2.0, "hsigmoid": 3.0, "hswish": 4.0, "sigmoid": 5.0, "swish": 6.0}


@cache
def _unruled(fn: str) -> Rule:
    return rule(f"{fn} output element (no counter's rule stated)")


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Activation(Op):
    """ReLU, ReLU6, h-swish x·ReLU6(x+3)/6, h-sigmoid ReLU6(x+3)/6, sigmoid, swish x·σ(x),
    GELU x·Φ(x) (``gelu``: erf form; ``gelu_tanh``: the tanh approximation), tanh.

    Counted as 0 MACs by the papers, by fvcore (which skips these ops) and by FlopCounterMode.
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
        # ptflops 0.7.5 hooks nn.GELU (relu_flops_counter_hook) and patches F.gelu, which it calls:
        # each element counts twice, either approximation; nn.Tanh is neither hooked nor patched.
        # TF's gelu: 4 ops per element (erf form) or 7 (tanh form)
        "gelu": rule("GELU output element", ptflops=2, tf=4),
        "gelu_tanh": rule("GELU (tanh approximation) output element", ptflops=2, tf=7),
        "tanh": rule("tanh output element"),
    }
    """What each counter charges per output element of an activation function (0 where unnamed)."""
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
        "aten::gelu": "activation: 0 MACs",
        "aten::tanh": "activation: 0 MACs",
    }
    fn: str

    @classmethod
    def joins_kernel(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime runs ReLU, ReLU6 (Clip), h-swish, h-sigmoid and sigmoid inside the convolution
        kernel that writes their input (``FusedConv``, or its NCHWc conv), after a folded batch norm
        and a fused residual add, one activation per kernel; ReLU, h-sigmoid and sigmoid inside a
        fully connected layer's (``FusedGemm``). Swish (x·σ(x)) is not among them: it runs as its
        own ``QuickGelu`` kernel; h-swish after a fully connected layer as two kernels."""
        if backend != "onnxruntime" or any(k.kind == "activation" for k in kernel):
            return False
        if kernel[0].kind == "conv2d":
            return row.args in _CONV_FUSED
        return kernel[0].kind == "linear" and len(kernel) == 1 and row.args in _GEMM_FUSED

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """On a blocked input, onnxruntime 1.32 runs every activation blocked (ReLU, sigmoid, tanh,
        h-sigmoid, h-swish, swish's ``QuickGelu``, GELU) but ReLU6, which it exports as ``Clip``."""
        return row.args not in _UNBLOCKED and all(inputs_blocked)

    @classmethod
    def row_tail_feature(cls, row: LayerRow) -> tuple[str, float]:
        """``fused_act``: a code per function (the row's ``args``), 0 for one without a code."""
        return "fused_act", _KERNEL_CODE.get(row.args, 0.0)

    @classmethod
    def row_fused_pass(cls, row: LayerRow) -> str:
        """The function's name: MLAS applies ReLU inside a convolution's loop and any other fused
        activation in a second pass over each block of output it wrote (``DoActivation`` in
        ``snchwc.cpp``; ``MlasActivation`` after the GEMM of an unblocked convolution), each at a
        rate of its own that calibration measures per function and layout (0 where it is free)."""
        return row.args

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str:
        """``activation_exp`` for sigmoid, swish, GELU and tanh (an exponential or erf per element),
        else ``activation``
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

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Relu``; ReLU6 as ``Clip(0, 6)``; ``HardSwish``; h-sigmoid ReLU6(x+3)/6 as
        ``HardSigmoid(α = 1/6, β = 1/2)``; ``Sigmoid``; swish x·σ(x) as ``Sigmoid`` then ``Mul``."""
        x = inputs[0]
        if self.fn == "relu":
            sink.node("Relu", [x], name, name)
        elif self.fn == "relu6":
            lo, hi = sink.floats(f"{name}.min", [0.0]), sink.floats(f"{name}.max", [6.0])
            sink.node("Clip", [x, lo, hi], name, name)
        elif self.fn == "hswish":
            sink.node("HardSwish", [x], name, name)
        elif self.fn == "hsigmoid":
            sink.node("HardSigmoid", [x], name, name, alpha=1.0 / 6.0, beta=0.5)
        elif self.fn == "sigmoid":
            sink.node("Sigmoid", [x], name, name)
        elif self.fn == "tanh":
            sink.node("Tanh", [x], name, name)
        elif self.fn == "gelu":  # x·(1 + erf(x/√2))/2, the exporters' pattern (opset 17 has no Gelu)
            d = sink.node("Div", [x, sink.floats(f"{name}.sqrt2", [2.0**0.5])], f"{name}/div", f"{name}/div")
            e = sink.node("Erf", [d], f"{name}/erf", f"{name}/erf")
            a = sink.node("Add", [e, sink.floats(f"{name}.one", [1.0])], f"{name}/add", f"{name}/add")
            m = sink.node("Mul", [x, a], f"{name}/mul", f"{name}/mul")
            sink.node("Mul", [m, sink.floats(f"{name}.half", [0.5])], name, name)
        elif self.fn == "swish":
            gate = sink.node("Sigmoid", [x], f"{name}/sigmoid", f"{name}/sigmoid")
            sink.node("Mul", [x, gate], name, name)
        else:
            super().onnx_nodes(sink, name, inputs, in_shapes)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Softmax(Op):
    """softmax along ``dim`` (of the sample's tensor, batch excluded): exp(x_i) / Σ_j exp(x_j).

    0 MACs under every convention: the papers count none, fvcore skips ``aten::softmax`` and
    FlopCounterMode counts only matrix products and convolutions.
    """

    kind: ClassVar[str] = "softmax"
    ELEMENT: ClassVar[Rule] = rule("softmax element", ptflops=1, thop=3, tf=5)
    """ptflops patches F.softmax (1 per input element); thop 0.1.1 ``count_softmax``: exp, add and
    divide per element, one add fewer per row (see :attr:`ROW`); TF's Softmax: 5 per element."""
    ROW: ClassVar[Rule] = rule("softmax row (thop: one add fewer per row)", thop=-1)
    latency_kind = "activation_exp"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::softmax": "softmax: 0 MACs"}
    dim: int = -1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if not -len(shape) <= self.dim < len(shape):
            raise ArchcalcError(f"softmax over dim {self.dim} of a {len(shape)}-d tensor")
        return shape

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Elements, and rows (elements ÷ the length of ``dim``) for thop's one-fewer add per row."""
        n = numel(out)
        return ((self.ELEMENT, n), (self.ROW, n // out[self.dim]))

    def category(self) -> str:
        return "Activation"

    def describe(self) -> str:
        return f"softmax dim {self.dim}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Softmax(dim=self.dim if self.dim < 0 else self.dim + 1)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Softmax`` along ``dim`` (+1 for the batch)."""
        sink.node("Softmax", [inputs[0]], name, name, axis=self.dim + 1 if self.dim >= 0 else self.dim)
