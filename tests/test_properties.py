"""Property tests: the paper's closed forms hold for random layer sizes."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from archcalc.designs import compare
from archcalc.spec_types import WidthRule
from archcalc.width import make_divisible, scale_channels

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
    assert trunc == math.floor(alpha * c + 1e-9)
    rd = scale_channels(c, alpha, WidthRule(rule="round_divisible", divisor=8))
    assert rd % 8 == 0 and rd >= 8 and rd >= 0.9 * alpha * c
    assert scale_channels(c, alpha, WidthRule(rule="truncate"), "fixed") == c
    assert make_divisible(alpha * c, 8) == rd
