"""Property tests: the paper's closed forms hold for random layer sizes."""

from __future__ import annotations

import math
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.count.designs import compare
from archcalc.model.width import make_divisible, scale_channels
from archcalc.spec.fields import WidthRule

sizes = st.integers(min_value=1, max_value=2048)
kernels = st.integers(min_value=0, max_value=5).map(lambda i: 2 * i + 1)  # odd: "same" padding
maps = st.integers(min_value=1, max_value=256)


@settings(max_examples=300, deadline=None)
@given(dk=kernels, m=sizes, n=sizes, df=maps)
def test_dwsep_identity(dk: int, m: int, n: int, df: int) -> None:
    """eq. 5: D_K·D_K·M·D_F² + M·N·D_F²; ratio to eq. 2 is exactly 1/N + 1/D_K²."""
    c = compare(["standard", "dwsep", "depthwise", "pointwise"], dk=dk, m=m, n=n, df=df)
    std, sep, dw, pw = c.designs
    assert std.macs == dk * dk * m * n * df * df
    assert std.params == dk * dk * m * n
    assert sep.macs == dk * dk * m * df * df + m * n * df * df == dw.macs + pw.macs
    assert sep.params == dk * dk * m + m * n
    assert math.isclose(sep.macs / std.macs, 1 / n + 1 / dk**2, rel_tol=1e-12)
    assert math.isclose(sep.macs_ratio, sep.vs_standard_formula_value, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(dk=kernels, m=sizes, n=sizes, df=maps, stride=st.integers(1, 4), data=st.data())
def test_strided_and_grouped(dk: int, m: int, n: int, df: int, stride: int, data: st.DataObject) -> None:
    """With stride s the output side is ⌈D_F/s⌉; a G-group conv costs 1/G of the standard one."""
    g = data.draw(st.sampled_from([d for d in range(1, min(m, n) + 1) if m % d == 0 and n % d == 0]))
    c = compare(["standard", "group", "dwsep"], dk=dk, m=m, n=n, df=df, stride=stride, groups=g)
    out = -(-df // stride)
    std, grp, sep = c.designs
    assert c.df == out
    assert std.macs == dk * dk * m * n * out * out
    assert grp.macs * g == std.macs and grp.params * g == std.params
    assert sep.macs == dk * dk * m * out * out + m * n * out * out


@settings(max_examples=300, deadline=None)
@given(alpha=st.floats(0.05, 4.0), c=st.integers(1, 4096))
def test_width_rules(alpha: float, c: int) -> None:
    trunc = scale_channels(c, alpha, WidthRule(rule="truncate"))
    # ⌊α·c⌋ exact, on α as written (its shortest repr): no tolerance (issue 17.3)
    assert trunc == math.floor(Decimal(repr(alpha)) * c)
    rd = scale_channels(c, alpha, WidthRule(rule="round_divisible", divisor=8))
    assert rd % 8 == 0 and rd >= 8 and rd >= 0.9 * alpha * c
    assert scale_channels(c, alpha, WidthRule(rule="truncate"), "fixed") == c
    assert make_divisible(alpha * c, 8) == rd


@settings(max_examples=200, deadline=None)
@given(
    dk=kernels,
    m=st.integers(1, 512),
    n=st.integers(1, 256).map(lambda x: 2 * x),
    df=maps,
    t=st.integers(1, 6),
    s=st.integers(1, 64),
)
def test_fire_inverted_residual_spatial(dk: int, m: int, n: int, df: int, t: int, s: int) -> None:
    c = compare(["standard", "fire", "inverted_residual", "spatial"], dk=dk, m=m, n=n, df=df, t=t, squeeze=s)
    std, fire, ir, sp = c.designs
    hw = df * df
    assert fire.macs == hw * (m * s + s * (n // 2) + dk * dk * s * (n // 2))
    assert fire.params == m * s + s * (n // 2) + dk * dk * s * (n // 2)
    # MobileNet V2 §3.3: h·w·d′·t·(d′ + k² + d″) for a stride-1 bottleneck
    assert ir.macs == hw * m * t * (m + dk * dk + n)
    assert sp.macs == dk * m * n * hw + dk * n * n * hw
    for d in (fire, ir, sp):
        assert math.isclose(d.macs / std.macs, d.vs_standard_formula_value, rel_tol=1e-12)


@settings(max_examples=200, deadline=None)
@given(dk=kernels, g=st.sampled_from([1, 2, 3, 4, 8]), k=st.integers(1, 16), df=maps, data=st.data())
def test_shufflenet_unit(dk: int, g: int, k: int, df: int, data: st.DataObject) -> None:
    """ShuffleNet §3.2: a stride-1 unit on c channels with bottleneck m costs hw(2cm/g + 9m) for 3×3."""
    c = g * 4 * k
    m = g * data.draw(st.integers(1, 2 * k))
    (unit,) = compare(["shuffle"], dk=dk, m=c, n=c, df=df, groups=g, bottleneck=m).designs
    assert unit.macs * g == df * df * (2 * c * m + g * dk * dk * m)
    if dk == 3:
        assert unit.macs * g == df * df * (2 * c * m + 9 * m * g)
