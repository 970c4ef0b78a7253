"""Fully connected layer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import OnnxSink, Op, Shape, fmt_shape
from archcalc.model.ops.counting import MAC_COUNTERS, Tally, rule

LINEAR_MACS = rule("linear multiply-add", **{**MAC_COUNTERS, "torchinfo": 0}, tf=2)
"""MatMul: 2 FLOPs per multiply-add in TF's profiler. torchinfo counts a linear layer's parameters
instead (:data:`LINEAR_PARAMS`): the same for a vector, not for a token sequence."""
LINEAR_PARAMS = rule("linear weight or bias (torchinfo: batch × params, whatever the tokens)", torchinfo=1)
LINEAR_BIAS = rule("linear bias add (1 per output element)", ptflops=1, tf=1)
"""ptflops' linear hook adds the bias per output element; so does TF's BiasAdd."""
MATMUL_MACS = rule("matmul multiply-add", paper=1, fvcore=1, torch=1, torchprofile=1, tf=2)
"""``a @ b`` is ``Tensor.__matmul__``, which ptflops does not patch (it patches ``torch.matmul`` and
``Tensor.matmul``); thop and torchinfo see no module with a rule; torchprofile counts aten::matmul."""


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Linear(Op):
    """Fully connected M → N on the last dimension (a vector, or each token of a sequence).

    params = M·N (+ N bias);  MACs = T·M·N, where T is the product of the other dimensions (1 for a
    vector: M·N). fvcore's ``linear_flop_jit`` counts prod(input)·N, the same number.
    """

    kind: ClassVar[str] = "linear"
    level_rule = "vector"
    latency_kind = "linear"
    in_features: int
    out_features: int
    bias: bool = True

    def __post_init__(self) -> None:
        if self.in_features < 1 or self.out_features < 1:
            raise ArchcalcError(
                f"linear has {self.in_features} inputs and {self.out_features} outputs; "
                "both must be at least 1"
            )

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if shape == (self.in_features,):
            return (self.out_features,)
        if len(shape) < 2 or shape[-1] != self.in_features:
            raise ArchcalcError(
                f"linear expects a vector of {self.in_features} features, got shape "
                f"{fmt_shape(shape)} (flatten or pool first)"
            )
        return (*shape[:-1], self.out_features)

    def weight_params(self) -> int:
        return self.in_features * self.out_features + self.bias_params()

    def bias_params(self) -> int:
        return self.out_features if self.bias else 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(out) * self.in_features

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """T·M·N multiply-adds (T = 1 for a vector, the tokens of a sequence otherwise), its weights
        and biases once (torchinfo), and T·N bias adds with a bias."""
        items: list[Tally] = [
            (LINEAR_MACS, prod(out) * self.in_features),
            (LINEAR_PARAMS, self.weight_params()),
        ]
        if self.bias:
            items.append((LINEAR_BIAS, prod(out)))
        return tuple(items)

    def category(self) -> str:
        return "Fully Connected"

    def describe(self) -> str:
        return f"{self.in_features}×{self.out_features}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Linear(self.in_features, self.out_features, self.bias)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Gemm`` y = x·Wᵀ + b with W of N × M (torch's layout, ``transB=1``); on a token
        sequence (more than one dimension besides the batch) ``MatMul`` by Wᵀ then ``Add`` of b."""
        if len(in_shapes[0]) > 1:
            wt = sink.weight(f"{name}.weight", (self.in_features, self.out_features))
            if not self.bias:
                sink.node("MatMul", [inputs[0], wt], name, name)
                return
            y = sink.node("MatMul", [inputs[0], wt], f"{name}/matmul", f"{name}/matmul")
            sink.node("Add", [y, sink.weight(f"{name}.bias", (self.out_features,), "bias")], name, name)
            return
        ins = [inputs[0], sink.weight(f"{name}.weight", (self.out_features, self.in_features))]
        if self.bias:
            ins.append(sink.weight(f"{name}.bias", (self.out_features,), "bias"))
        sink.node("Gemm", ins, name, name, transB=1)


def broadcast_shapes(a: Shape, b: Shape) -> Shape | None:
    """numpy / torch broadcasting of two shapes (right-aligned; a side of 1 stretches), or None."""
    out: list[int] = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            return None
        out.append(max(x, y))
    return tuple(reversed(out))


@dataclass(slots=True, unsafe_hash=True, repr=False)
class MatMul(Op):
    """Product of two activations, ``a @ b``: (…, M, K) @ (…, K, N) → (…, M, N) (attention's
    Q·Kᵀ and A·V).

    MACs = prod(output)·K. There are no parameters. fvcore's ``matmul_flop_jit`` counts
    prod(a)·N, equal to prod(output)·K when the batch dimensions of ``a`` are the output's (no
    broadcasting of ``a``); FlopCounterMode counts its ``bmm`` as 2·prod(output)·K FLOPs.
    """

    kind: ClassVar[str] = "matmul"
    latency_kind = "linear"
    n_inputs: ClassVar[int | None] = 2

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        a, b = inputs
        if len(a) < 2 or len(b) < 2 or a[-1] != b[-2]:
            raise ArchcalcError(f"matmul cannot multiply {fmt_shape(a)} by {fmt_shape(b)}")
        batch = broadcast_shapes(a[:-2], b[:-2])
        if batch is None:
            raise ArchcalcError(f"matmul cannot broadcast {fmt_shape(a)} with {fmt_shape(b)}")
        return (*batch, a[-2], b[-1])

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(out) * inputs[0][-1]

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return prod(inputs[0]) * inputs[1][-1]

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        return ((MATMUL_MACS, prod(out) * inputs[0][-1]),)

    def category(self) -> str:
        return "MatMul"

    def describe(self) -> str:
        return "a @ b"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.MatMul()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``MatMul`` of the two activations."""
        sink.node("MatMul", list(inputs), name, name)
