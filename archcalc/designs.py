"""Single-layer designs side by side (MobileNet V1 Table 3 and §3's cost formulas).

A design is a tiny graph of primitives built from the layer dimensions; its cost comes from the
same per-primitive rules as a whole network's. Symbols follow the MobileNet paper: D_K kernel side,
M input channels, N output channels, D_F the output map side (= input side for stride 1, else
⌈input/stride⌉ with 'same' padding), G groups. α scales M and N as ⌊α·c⌋ (eq. 6); ρ scales the
input side as round(ρ·D_F) (eq. 7). No batch norm: Table 3 counts conv weights only.

To add a design: write a builder and register a :class:`Design` in ``DESIGNS``.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from archcalc.blocks.basic import conv_bn_act
from archcalc.closed_form import LayerCost, layer_costs
from archcalc.errors import ArchcalcError
from archcalc.graph import GraphBuilder


@dataclass(frozen=True, slots=True)
class LayerDims:
    """Resolved dimensions of the compared layer (after α and ρ)."""

    dk: int
    m: int
    n: int
    df_in: int
    stride: int
    groups: int

    @property
    def df(self) -> int:
        """Output side D_F: ⌈input / stride⌉ ('same' padding)."""
        return -(-self.df_in // self.stride)


@dataclass(frozen=True, slots=True)
class Design:
    kind: str
    title: str
    macs_formula: str
    params_formula: str
    build: Callable[[GraphBuilder, LayerDims], None]
    ratio_formula: str
    """MACs relative to ``standard`` in symbols (stride 1, as the paper derives it)."""
    ratio: Callable[[LayerDims], float]


def _standard(b: GraphBuilder, d: LayerDims) -> None:
    conv_bn_act(b, "conv", d.n, d.dk, d.stride, bn=False, act="none", bias=False)


def _depthwise(b: GraphBuilder, d: LayerDims) -> None:
    conv_bn_act(b, "dw", d.m, d.dk, d.stride, groups=d.m, bn=False, act="none", bias=False)


def _pointwise(b: GraphBuilder, d: LayerDims) -> None:
    conv_bn_act(b, "pw", d.n, 1, d.stride, bn=False, act="none", bias=False)


def _dwsep(b: GraphBuilder, d: LayerDims) -> None:
    _depthwise(b, d)
    conv_bn_act(b, "pw", d.n, 1, 1, bn=False, act="none", bias=False)


def _group(b: GraphBuilder, d: LayerDims) -> None:
    conv_bn_act(b, "gconv", d.n, d.dk, d.stride, groups=d.groups, bn=False, act="none", bias=False)


DESIGNS: dict[str, Design] = {
    d.kind: d
    for d in (
        Design(
            "standard",
            "standard convolution (eq. 2)",
            "D_K·D_K·M·N·D_F·D_F",
            "D_K·D_K·M·N",
            _standard,
            "1",
            lambda d: 1.0,
        ),
        Design(
            "depthwise",
            "depthwise convolution (eq. 4)",
            "D_K·D_K·M·D_F·D_F",
            "D_K·D_K·M",
            _depthwise,
            "1/N",
            lambda d: 1 / d.n,
        ),
        Design(
            "pointwise",
            "pointwise 1×1 convolution",
            "M·N·D_F·D_F",
            "M·N",
            _pointwise,
            "1/D_K²",
            lambda d: 1 / d.dk**2,
        ),
        Design(
            "dwsep",
            "depthwise separable: depthwise + pointwise (eq. 5)",
            "D_K·D_K·M·D_F·D_F + M·N·D_F·D_F",
            "D_K·D_K·M + M·N",
            _dwsep,
            "1/N + 1/D_K²",
            lambda d: 1 / d.n + 1 / d.dk**2,
        ),
        Design(
            "group",
            "group convolution with G groups",
            "D_K·D_K·(M/G)·N·D_F·D_F",
            "D_K·D_K·(M/G)·N",
            _group,
            "1/G",
            lambda d: 1 / d.groups,
        ),
    )
}


class DesignCost(BaseModel):
    kind: str
    title: str
    macs_formula: str
    params_formula: str
    params: int = Field(description="conv weights (paper convention; no bias, no BN)")
    macs: int = Field(description="multiply-accumulates (paper convention)")
    bytes_read: int
    bytes_written: int
    macs_ratio: float = Field(description="MACs ÷ the first design's MACs")
    params_ratio: float = Field(description="params ÷ the first design's params")
    vs_standard_formula: str = Field(description="the paper's MACs ratio to a standard conv")
    vs_standard_formula_value: float
    layers: list[LayerCost]


class Comparison(BaseModel):
    convention: str = "paper"
    dtype: str
    dk: int
    m: int
    n: int
    df_in: int
    df: int = Field(description="output side D_F used in the formulas")
    stride: int
    groups: int
    alpha: float
    rho: float
    designs: list[DesignCost]


def _pos_int(value: int, option: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArchcalcError(f"{option} must be a whole number ≥ 1, got {value!r}")
    return value


def _pos_real(value: float, option: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ArchcalcError(f"{option} must be a finite number > 0, got {value!r}")
    return float(value)


def resolve_dims(
    dk: int, m: int, n: int, df: int, stride: int = 1, groups: int = 1, alpha: float = 1.0, rho: float = 1.0
) -> LayerDims:
    """Apply α (⌊α·M⌋, ⌊α·N⌋) and ρ (round(ρ·D_F)) to the given sizes, refusing impossible ones."""
    dk, m, n, df = (_pos_int(v, o) for v, o in ((dk, "--dk"), (m, "--m"), (n, "--n"), (df, "--df")))
    if dk % 2 == 0:
        raise ArchcalcError(
            f"--dk {dk} is even: the paper's formulas assume 'same' padding (output side = input "
            "side / stride), which a symmetric pad gives only for odd kernels"
        )
    stride, groups = _pos_int(stride, "--stride"), _pos_int(groups, "--groups")
    alpha, rho = _pos_real(alpha, "--alpha"), _pos_real(rho, "--rho")
    am, an = math.floor(alpha * m + 1e-9), math.floor(alpha * n + 1e-9)
    if am < 1 or an < 1:
        raise ArchcalcError(f"--alpha {alpha:g} leaves {am} input / {an} output channels; need ≥ 1")
    rdf = round(rho * df)
    if rdf < 1:
        raise ArchcalcError(f"--rho {rho:g} shrinks D_F={df} to {rho * df:g}, below 1 pixel")
    return LayerDims(dk, am, an, rdf, stride, groups)


def compare(
    kinds: list[str],
    dk: int = 3,
    m: int = 512,
    n: int = 512,
    df: int = 14,
    stride: int = 1,
    groups: int = 1,
    alpha: float = 1.0,
    rho: float = 1.0,
    dtype: str = "fp32",
) -> Comparison:
    """Cost each design at the same sizes; ratios are to the first design."""
    if not kinds:
        raise ArchcalcError(f"name at least one design: {', '.join(DESIGNS)}")
    for k in kinds:
        if k not in DESIGNS:
            close = difflib.get_close_matches(k, list(DESIGNS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ArchcalcError(f"unknown design {k!r}{hint} (designs: {', '.join(DESIGNS)})")
    d = resolve_dims(dk, m, n, df, stride, groups, alpha, rho)
    costs: list[DesignCost] = []
    for k in kinds:
        design = DESIGNS[k]
        b = GraphBuilder((d.m, d.df_in, d.df_in))
        b.row = k
        try:
            design.build(b, d)
        except ArchcalcError as e:
            raise ArchcalcError(f"{k}: {e}") from None
        rows = layer_costs(b.graph, "paper", dtype)
        costs.append(
            DesignCost(
                kind=k,
                title=design.title,
                macs_formula=design.macs_formula,
                params_formula=design.params_formula,
                params=sum(r.params for r in rows),
                macs=sum(r.macs for r in rows),
                bytes_read=sum(r.bytes_read for r in rows),
                bytes_written=sum(r.bytes_written for r in rows),
                macs_ratio=0.0,
                params_ratio=0.0,
                vs_standard_formula=design.ratio_formula,
                vs_standard_formula_value=design.ratio(d),
                layers=rows,
            )
        )
    first = costs[0]
    for c in costs:
        c.macs_ratio = c.macs / first.macs
        c.params_ratio = c.params / first.params
    return Comparison(
        dtype=dtype,
        dk=d.dk,
        m=d.m,
        n=d.n,
        df_in=d.df_in,
        df=d.df,
        stride=d.stride,
        groups=d.groups,
        alpha=alpha,
        rho=rho,
        designs=costs,
    )
