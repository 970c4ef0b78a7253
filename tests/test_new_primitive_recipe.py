"""docs/design.md's "Adding a primitive" recipe, followed in this file only: two primitive kinds
archcalc has never seen, each one class written here, run through every consumer of ops.

``ChannelMix`` is a 1×1 channel mixing y = W·x (W: C_out×C_in, no bias) that torch runs as a
matmul, not a conv; ``Mish`` is x·tanh(softplus(x)) element by element. Nothing in ``archcalc/``
knows either: the closed form, the memory rules, the sweep's level engine (fast path against the
full path), the latency model and the torch build with fvcore's validation must all work from the
classes alone. The expected figures are worked by hand below, and fvcore counts the real torch model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from test_latency import make_profile

from archcalc.count.closed_form import layer_costs, report
from archcalc.count.latency import layer_kind, predict
from archcalc.count.memory import peak_activation_bytes
from archcalc.model.graph import INPUT, Graph, GraphBuilder
from archcalc.model.ops import (
    PRIMITIVES,
    AdaptivePool2d,
    Add,
    Conv2d,
    Flatten,
    Linear,
    Op,
    Shape,
)
from archcalc.model.resolve import Resolved
from archcalc.spec.schema import NetworkSpec
from archcalc.sweeps.levels import matches, plan


@dataclass(slots=True, unsafe_hash=True)
class ChannelMix(Op):
    """y[o] = Σ_i W[o, i]·x[i] at every pixel.  params = C_in·C_out;  MACs = C_in·C_out·H·W."""

    kind: ClassVar[str] = "channel_mix"
    streams_channels = True  # each output channel from the whole input: ends a streamed bottleneck
    level_rule = "same"  # the output keeps the input's H×W
    latency_kind = "pointwise"
    in_channels: int
    out_channels: int

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        return (self.out_channels, *shape[1:])

    def weight_params(self) -> int:
        return self.in_channels * self.out_channels

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return self.in_channels * out[0] * out[1] * out[2]

    def category(self) -> str:
        return "Channel mix"

    def describe(self) -> str:
        return f"{self.in_channels}→{self.out_channels}"

    def torch_module(self) -> Any:
        import torch
        from torch import nn

        class Mix(nn.Module):
            def __init__(self, cin: int, cout: int) -> None:
                super().__init__()
                self.weight = nn.Parameter(torch.randn(cout, cin))

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return torch.matmul(self.weight, x.flatten(2)).unflatten(2, x.shape[2:])

        return Mix(self.in_channels, self.out_channels)


@dataclass(slots=True, unsafe_hash=True)
class Mish(Op):
    """x·tanh(softplus(x)).  0 MACs (fvcore has no handle for ``aten::mish``)."""

    kind: ClassVar[str] = "mish"
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    latency_kind = "activation_exp"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::mish": "mish: 0 MACs"}

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return inputs[0]

    def category(self) -> str:
        return "Activation"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Mish()


def graph(side: int) -> Graph:
    """8×side×side → mix 8→32 → mish → depthwise 3×3 → mix 32→8 → + input → global avg → fc 8→10."""
    b = GraphBuilder((8, side, side))
    b.op("mix1", ChannelMix, in_channels=8, out_channels=32)
    b.op("mish", Mish)
    b.op("dw", Conv2d, in_channels=32, out_channels=32, kernel=(3, 3), padding=(1, 1), groups=32)
    b.op("mix2", ChannelMix, in_channels=32, out_channels=8)
    b.op("add", Add, inputs=[INPUT, "mix2"])
    b.op("gap", AdaptivePool2d, op="avg", output=1)
    b.op("flat", Flatten)
    b.op("fc", Linear, in_features=8, out_features=10)
    return b.graph


def paper_macs(side: int) -> int:
    """mix1 8·32·s² + depthwise 32·9·s² + mix2 32·8·s² + fc 8·10 = 800·s² + 80."""
    return 800 * side * side + 80


PARAMS = 8 * 32 + 32 * 9 + 32 * 8 + (8 * 10 + 10)  # 890: no BN anywhere


def test_defining_the_class_registers_it() -> None:
    assert PRIMITIVES["channel_mix"] is ChannelMix and PRIMITIVES["mish"] is Mish


def test_closed_form_table() -> None:
    rows = {r.name: r for r in layer_costs(graph(16), "fvcore")}
    assert rows["mix1"].macs == 8 * 32 * 256 and rows["mix1"].params == 256
    assert rows["mix1"].category == "Channel mix" and rows["mix1"].args == "8→32"
    # bytes read = 4·(input 8·256 + weights 256); written = 4·(32·256)
    assert (rows["mix1"].bytes_read, rows["mix1"].bytes_written) == (4 * (2048 + 256), 4 * 8192)
    assert rows["mish"].macs == 0 and rows["mish"].params == 0
    # fvcore adds the global average pool's 8·256 input elements
    assert sum(r.macs for r in rows.values()) == paper_macs(16) + 8 * 256
    assert sum(r.params for r in rows.values()) == PARAMS


def test_memory_rules_by_hand() -> None:
    """Live elements per step at 16×16 (input 2048, the 32-channel maps 8192 each):

    materialize: at mish, input (held for the add) + mix1 + mish = 18432 (also at dw);
    fused: mish folds into mix1, at dw input + mish + dw = 18432;
    streamed: mix1·mish → dw → mix2 is one chain (A and B are ChannelMix, N holds one depthwise
    conv), so at it input + mix2 + 2 inner channels of 256 = 4608, and at the add
    input + mix2 + add = 6144."""
    g = graph(16)
    assert peak_activation_bytes(g, 4, "materialize") == 4 * 18432
    assert peak_activation_bytes(g, 4, "fused") == 4 * 18432
    assert peak_activation_bytes(g, 4, "streamed") == 4 * 6144


def test_sweep_fast_path_agrees_with_the_full_path() -> None:
    big, small = graph(32), graph(12)
    p = plan(big, "paper", 4)
    assert p is not None, "the level engine refused the new kinds (no level_rule?)"
    assert matches(p, big, small)
    for side in (12, 17, 32):
        g = graph(side)
        rows = layer_costs(g, "paper")
        totals = p.totals(side)
        assert totals["macs"] == sum(r.macs for r in rows) == paper_macs(side)
        assert totals["params"] == sum(r.params for r in rows) == PARAMS
        assert totals["bytes_read"] == sum(r.bytes_read for r in rows)
        assert totals["bytes_written"] == sum(r.bytes_written for r in rows)
        assert p.peak_elements(p.sides(side)) * 4 == peak_activation_bytes(g, 4)


def test_latency_with_a_hand_made_profile() -> None:
    spec = NetworkSpec.model_validate(
        {
            "name": "recipe",
            "title": "new primitives",
            "source": "test",
            "input": {"channels": 8, "resolution": 16},
            "width": {"rule": "truncate"},
            "body": [{"kind": "flatten"}],
        }
    )
    rep = report(Resolved(spec, 1.0, 16, {}, graph(16)))
    kinds = {x.name: layer_kind(x) for x in rep.layers}
    assert kinds["mix1"] == kinds["mix2"] == "pointwise" and kinds["mish"] == "activation_exp"
    pred = {x.name: x for x in predict(rep, make_profile(mac_rate=1e7)).layers}
    # mix1: compute 65536 MACs / 1e7 = 6.5536e-3 s > memory 4·(2048 + 256 + 8192) / 5e8; + 1e-6 overhead
    assert pred["mix1"].bound == "compute"
    assert pred["mix1"].seconds == pytest.approx(6.5536e-3 + 1e-6)
    # mish: bytes only, 4·(8192 + 8192) / (0.5 · 1e9) = 1.31072e-4 s; + 1e-6 overhead
    assert pred["mish"].bound == "memory"
    assert pred["mish"].seconds == pytest.approx(1.31072e-4 + 1e-6)


def test_torch_build_and_fvcore_validate() -> None:
    from archcalc.measure.validate import validate_graph

    v = validate_graph(graph(16), "recipe")
    assert v.ok and v.mismatches == 0
    layers = {c.name: c for c in v.layers}
    assert layers["mix1"].fvcore_macs == 8 * 32 * 256  # fvcore's matmul handle, not archcalc
    assert layers["mix1"].fvcore_params == 256
    assert layers["mix1"].flop_counter_flops == 2 * 8 * 32 * 256  # torch's FlopCounterMode
    assert v.fvcore_total == paper_macs(16) + 8 * 256
    assert v.fvcore_params == v.torch_params == PARAMS
    skipped = {s.op: s.archcalc_counts for s in v.skipped_ops}
    assert skipped["aten::mish"] == "mish: 0 MACs"
