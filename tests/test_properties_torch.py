"""Property tests against real counters: random layers and random small DAGs.

For each example: closed form (fvcore convention) == fvcore's FlopCountAnalysis per layer, closed
form (torch convention) == torch's parameter count, == fvcore's parameter_count, 2 × MACs == torch's
FlopCounterMode, and every output shape == torch's.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from archcalc.errors import CollapseError
from archcalc.measure.validate import validate_graph
from archcalc.model.blocks.basic import conv_bn_act
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import (
    ACTIVATIONS,
    Activation,
    AdaptivePool2d,
    Add,
    BatchNorm2d,
    Concat,
    Conv2d,
    Flatten,
    Linear,
    Mul,
    Pool2d,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(b: GraphBuilder) -> None:
    v = validate_graph(b.graph)
    bad = [c for c in v.layers if not c.ok]
    assert not bad, bad
    assert v.ok, v.model_dump(exclude={"layers"})


@st.composite
def conv_layers(draw: st.DrawFn) -> GraphBuilder:
    g = draw(st.integers(1, 4))
    cin = g * draw(st.integers(1, 4))
    cout = g * draw(st.integers(1, 4))
    kh, kw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 20)), draw(st.integers(1, 20))
    b = GraphBuilder((cin, h, w))
    try:
        b.op("conv", Conv2d, in_channels=cin, out_channels=cout, kernel=(kh, kw), stride=(sh, sw),
             padding=(ph, pw), dilation=(dh, dw), groups=g, bias=draw(st.booleans()))  # fmt: skip
    except CollapseError:
        assume(False)
    return b


@SETTINGS
@given(conv_layers())
def test_random_conv(b: GraphBuilder) -> None:
    check(b)


@st.composite
def simple_layers(draw: st.DrawFn) -> GraphBuilder:
    c, h = draw(st.integers(1, 12)), draw(st.integers(1, 16))
    kind = draw(st.sampled_from(["depthwise", "linear", "bn", "pool", "global", "act"]))
    if kind == "linear":
        b = GraphBuilder((draw(st.integers(1, 64)),))
        b.op(
            "fc",
            Linear,
            in_features=b.shape()[0],
            out_features=draw(st.integers(1, 64)),
            bias=draw(st.booleans()),
        )
        return b
    b = GraphBuilder((c, h, h))
    if kind == "depthwise":
        k = draw(st.sampled_from([1, 3, 5, 7]))
        mult = draw(st.integers(1, 3))
        try:
            b.op("dw", Conv2d, in_channels=c, out_channels=c * mult, kernel=(k, k),
                 stride=(draw(st.integers(1, 2)),) * 2, padding=(k // 2, k // 2), groups=c)  # fmt: skip
        except CollapseError:
            assume(False)
    elif kind == "bn":
        b.op("bn", BatchNorm2d, channels=c, affine=draw(st.booleans()))
    elif kind == "pool":
        k = draw(st.integers(1, 5))
        try:
            b.op("pool", Pool2d, op=draw(st.sampled_from(["max", "avg"])), kernel=k,
                 stride=draw(st.integers(1, 3)), padding=draw(st.integers(0, k // 2)),
                 ceil_mode=draw(st.booleans()))  # fmt: skip
        except CollapseError:
            assume(False)
    elif kind == "global":
        b.op("gp", AdaptivePool2d, op=draw(st.sampled_from(["avg", "max"])), output=draw(st.integers(1, 4)))
    else:
        b.op("act", Activation, fn=draw(st.sampled_from(ACTIVATIONS)))
    return b


@SETTINGS
@given(simple_layers())
def test_random_simple_layer(b: GraphBuilder) -> None:
    check(b)


@st.composite
def small_dags(draw: st.DrawFn) -> GraphBuilder:
    """Stacks of conv-BN-act, residual adds, two-branch concats and squeeze-and-excite gates."""
    c, h = draw(st.sampled_from([4, 8, 12])), draw(st.integers(4, 24))
    b = GraphBuilder((3, h, h))
    conv_bn_act(b, "stem", c, 3, draw(st.integers(1, 2)))
    for i in range(draw(st.integers(1, 4))):
        block = draw(st.sampled_from(["conv", "residual", "concat", "se", "pool"]))
        n, x = f"b{i}", b.current
        ch = b.shape()[0]
        if block == "conv":
            conv_bn_act(b, n, draw(st.sampled_from([4, 8, 16])), draw(st.sampled_from([1, 3, 5])),
                        draw(st.integers(1, 2)), act=draw(st.sampled_from(ACTIVATIONS)))  # fmt: skip
        elif block == "residual":
            conv_bn_act(b, f"{n}.a", ch, 3, groups=ch if draw(st.booleans()) else 1)
            conv_bn_act(b, f"{n}.b", ch, 1, act="none")
            b.add(f"{n}.add", Add(), [x, b.current])
        elif block == "concat":
            left = conv_bn_act(b, f"{n}.left", draw(st.sampled_from([2, 4])), 1)
            b.current = x
            right = conv_bn_act(b, f"{n}.right", draw(st.sampled_from([2, 4])), 3)
            b.add(f"{n}.cat", Concat(), [x, left, right] if draw(st.booleans()) else [left, right])
        elif block == "se":
            b.op(f"{n}.pool", AdaptivePool2d, op="avg")
            b.op(f"{n}.fc1", Conv2d, in_channels=ch, out_channels=max(1, ch // 4), kernel=(1, 1), bias=True)
            b.op(f"{n}.relu", Activation, fn="relu")
            b.op(f"{n}.fc2", Conv2d, in_channels=max(1, ch // 4), out_channels=ch, kernel=(1, 1), bias=True)
            b.op(f"{n}.gate", Activation, fn="hsigmoid")
            b.add(f"{n}.scale", Mul(), [x, b.current])
        else:
            b.op(n, Pool2d, op="max", kernel=3, stride=2, padding=1)
    b.op("head.pool", AdaptivePool2d, op="avg")
    b.op("head.flatten", Flatten)
    b.op("head.fc", Linear, in_features=b.shape()[0], out_features=10)
    return b


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_dags())
def test_random_small_dags(b: GraphBuilder) -> None:
    check(b)
