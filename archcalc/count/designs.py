"""Single-layer designs side by side (MobileNet V1 Table 3 and §3's cost formulas).

A design is a tiny graph of primitives built from the layer dimensions; its cost comes from the
same per-primitive rules as a whole network's. Symbols follow the MobileNet paper: D_K kernel side,
M input channels, N output channels, D_F the output map side (= input side for stride 1, else
⌈input/stride⌉ with 'same' padding), G groups. α scales M and N as ⌊α·c⌋ (eq. 6); ρ scales the
input side as round(ρ·D_F) (eq. 7). No batch norm: Table 3 counts conv weights only.

To add a design: write a builder and register a :class:`Design` in ``DESIGNS``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from archcalc.count.closed_form import LayerCost, layer_costs
from archcalc.errors import ArchcalcError
from archcalc.model.blocks.basic import conv_bn_act, dwsep
from archcalc.model.blocks.fire import fire
from archcalc.model.blocks.inverted_residual import inverted_residual
from archcalc.model.graph import GraphBuilder
from archcalc.model.ops import ChannelShuffle, Conv2d
from archcalc.model.width import exact_alpha, truncate


@dataclass(frozen=True, slots=True)
class LayerDims:
    """Resolved dimensions of the compared layer (after α and ρ)."""

    dk: int
    m: int
    n: int
    df_in: int
    stride: int
    groups: int
    t: int = 6
    squeeze: int = 1
    bottleneck: int = 1
    rank: int = 0

    @property
    def df(self) -> int:
        """Output side D_F: ⌈input / stride⌉ ('same' padding)."""
        return -(-self.df_in // self.stride)


KNOB_SYMBOLS: dict[str, str] = {"t": "t", "squeeze": "S", "bottleneck": "m", "rank": "R"}
"""The dimensions only some designs read (a :attr:`Design.knob`), in :class:`LayerDims` order, with
their symbols."""


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
    knob: str | None = None
    """The dimension the design reads beyond D_K, M, N, D_F, stride and G (a key of
    :data:`KNOB_SYMBOLS`), shown beside the others when the design is compared."""


def _conv(b: GraphBuilder, name: str, out: int, k: int, stride: int = 1, groups: int = 1) -> str:
    """A bare convolution (no bias, BN or activation: Table 3 counts conv weights only)."""
    return conv_bn_act(b, name, out, k, stride, groups, act="none", bn=False, bias=False)


def _standard(b: GraphBuilder, d: LayerDims) -> None:
    _conv(b, "conv", d.n, d.dk, d.stride)


def _depthwise(b: GraphBuilder, d: LayerDims) -> None:
    _conv(b, "dw", d.m, d.dk, d.stride, groups=d.m)


def _pointwise(b: GraphBuilder, d: LayerDims) -> None:
    _conv(b, "pw", d.n, 1, d.stride)


def _dwsep(b: GraphBuilder, d: LayerDims) -> None:
    """The ``dwsep`` block (:func:`archcalc.model.blocks.basic.dwsep`), bare."""
    dwsep(b, "", d.n, d.dk, d.stride, act="none", bn=False, bias=False)


def _group(b: GraphBuilder, d: LayerDims) -> None:
    _conv(b, "gconv", d.n, d.dk, d.stride, groups=d.groups)


def _fire(b: GraphBuilder, d: LayerDims) -> None:
    """The ``fire`` block (:func:`archcalc.model.blocks.fire.fire`), bare: squeeze 1×1 M→S (stride),
    then expand 1×1 S→N/2 ‖ expand D_K×D_K S→N/2, concat."""
    fire(b, "", d.squeeze, d.n // 2, d.n - d.n // 2, act="none", k=d.dk, stride=d.stride, bias=False)


def _shuffle(b: GraphBuilder, d: LayerDims) -> None:
    """ShuffleNet unit body: group 1×1 M→m (G groups), shuffle, depthwise D_K×D_K m, group 1×1 m→N."""
    _conv(b, "gconv1", d.bottleneck, 1, groups=d.groups)
    b.op("shuffle", ChannelShuffle, groups=d.groups)
    _conv(b, "dw", d.bottleneck, d.dk, d.stride, groups=d.bottleneck)
    _conv(b, "gconv2", d.n, 1, groups=d.groups)


def _inverted_residual(b: GraphBuilder, d: LayerDims) -> None:
    """The ``inverted_residual`` block (:func:`archcalc.model.blocks.inverted_residual.inverted_residual`),
    bare and without the residual: expand 1×1 M→tM (also at t = 1), depthwise D_K×D_K tM (stride),
    project 1×1 tM→N."""
    hidden = d.t * d.m
    inverted_residual(
        b, "", hidden, d.n, d.dk, d.stride, "none", residual=False, bn=False, bias=False, expand_always=True
    )


def _spatial(b: GraphBuilder, d: LayerDims) -> None:
    """Spatially separable: D_K×1 M→N (vertical stride), then 1×D_K N→N (horizontal stride)."""
    pad = d.dk // 2
    b.op(
        "conv_kx1",
        Conv2d,
        in_channels=d.m,
        out_channels=d.n,
        kernel=(d.dk, 1),
        stride=(d.stride, 1),
        padding=(pad, 0),
    )
    b.op(
        "conv_1xk",
        Conv2d,
        in_channels=d.n,
        out_channels=d.n,
        kernel=(1, d.dk),
        stride=(1, d.stride),
        padding=(0, pad),
    )


def _svd(b: GraphBuilder, d: LayerDims) -> None:
    """Low-rank (truncated SVD) factorization of an M×N fully connected or 1×1 layer W ≈ U·V:
    a 1×1 conv M→R (stride here) then a 1×1 conv R→N. A fully connected layer is D_F = 1."""
    _conv(b, "svd_u", d.rank, 1, d.stride)
    _conv(b, "svd_v", d.n, 1)


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
        Design(
            "fire",
            "SqueezeNet Fire module: squeeze S, expand N/2 1×1 + N/2 D_K×D_K (--squeeze S)",
            "M·S·D_F·D_F + S·(N/2)·D_F·D_F + D_K·D_K·S·(N/2)·D_F·D_F",
            "M·S + S·(N/2) + D_K·D_K·S·(N/2)",
            _fire,
            "(M·S + S·(N/2)·(1 + D_K²)) / (D_K²·M·N)",
            lambda d: (d.m * d.squeeze + d.squeeze * (d.n // 2) * (1 + d.dk**2)) / (d.dk**2 * d.m * d.n),
            knob="squeeze",
        ),
        Design(
            "shuffle",
            "ShuffleNet unit: group 1×1, shuffle, depthwise, group 1×1 (--groups G, --bottleneck m)",
            "(M·m/G + D_K·D_K·m + m·N/G)·D_F·D_F",
            "M·m/G + D_K·D_K·m + m·N/G",
            _shuffle,
            "(M·m/G + D_K²·m + m·N/G) / (D_K²·M·N)",
            lambda d: (
                (d.m * d.bottleneck / d.groups + d.dk**2 * d.bottleneck + d.bottleneck * d.n / d.groups)
                / (d.dk**2 * d.m * d.n)
            ),
            knob="bottleneck",
        ),
        Design(
            "inverted_residual",
            "MobileNet V2 bottleneck: expand ×t, depthwise, linear projection (--t)",
            "M·t·D_F·D_F·(M + D_K² + N)  [V2 paper, stride 1]",
            "M·tM + D_K·D_K·tM + tM·N",
            _inverted_residual,
            "t·(M + D_K² + N) / (D_K²·N)",
            lambda d: d.t * (d.m + d.dk**2 + d.n) / (d.dk**2 * d.n),
            knob="t",
        ),
        Design(
            "spatial",
            "spatially separable: D_K×1 (M→N) then 1×D_K (N→N)",
            "D_K·M·N·D_F·D_F + D_K·N·N·D_F·D_F",
            "D_K·M·N + D_K·N·N",
            _spatial,
            "(M + N) / (D_K·M)",
            lambda d: (d.m + d.n) / (d.dk * d.m),
        ),
        Design(
            "svd",
            "low-rank (SVD) factorization of an M×N 1×1 / FC layer: M→R then R→N (--rank R; FC: --df 1)",
            "(M·R + R·N)·D_F·D_F",
            "M·R + R·N",
            _svd,
            "R·(M + N) / (D_K²·M·N)  [vs the unfactorized 1×1: R·(M + N) / (M·N)]",
            lambda d: d.rank * (d.m + d.n) / (d.dk**2 * d.m * d.n),
            knob="rank",
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
    t: int
    squeeze: int
    bottleneck: int
    rank: int | None = Field(None, description="rank R of the `svd` design")
    alpha: float
    rho: float
    designs: list[DesignCost]


MAX_SIZE = 1_000_000
"""Largest D_K, M, N, D_F, α, ρ (and α·M, ρ·D_F) accepted by ``compare``."""


def _pos_int(value: int, option: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ArchcalcError(f"{option} must be a whole number ≥ 1, got {value!r}")
    if value > MAX_SIZE:
        raise ArchcalcError(f"{option} {value} is larger than the supported maximum {MAX_SIZE:,}")
    return value


def _pos_real(value: float, option: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ArchcalcError(f"{option} must be a finite number > 0, got {value!r}")
    if value > MAX_SIZE:
        raise ArchcalcError(f"{option} {value:g} is larger than the supported maximum {MAX_SIZE:,}")
    return float(value)


def resolve_dims(
    dk: int,
    m: int,
    n: int,
    df: int,
    stride: int = 1,
    groups: int = 1,
    alpha: float = 1.0,
    rho: float = 1.0,
    t: int = 6,
    squeeze: int | None = None,
    bottleneck: int | None = None,
) -> LayerDims:
    """Apply α (⌊α·M⌋, ⌊α·N⌋) and ρ (round(ρ·D_F)) to the given sizes, refusing impossible ones.

    Defaults: Fire squeeze S = max(1, ⌊N/8⌋) (SqueezeNet's SR = 0.125), ShuffleNet bottleneck
    m = max(1, ⌊N/4⌋) (ShuffleNet §3.3)."""
    dk, m, n, df = (_pos_int(v, o) for v, o in ((dk, "--dk"), (m, "--m"), (n, "--n"), (df, "--df")))
    if dk % 2 == 0:
        raise ArchcalcError(
            f"--dk {dk} is even: the paper's formulas assume 'same' padding (output side = input "
            "side / stride), which a symmetric pad gives only for odd kernels"
        )
    stride, groups = _pos_int(stride, "--stride"), _pos_int(groups, "--groups")
    alpha, rho = _pos_real(alpha, "--alpha"), _pos_real(rho, "--rho")
    exact = exact_alpha(alpha)
    am, an = truncate(m, exact), truncate(n, exact)
    if max(am, an, rho * df) > MAX_SIZE:
        raise ArchcalcError(f"--alpha / --rho scale a size past the supported maximum {MAX_SIZE:,}")
    if am < 1 or an < 1:
        raise ArchcalcError(f"--alpha {alpha:g} leaves {am} input / {an} output channels; need ≥ 1")
    rdf = round(rho * df)
    if rdf < 1:
        raise ArchcalcError(f"--rho {rho:g} shrinks D_F={df} to {rho * df:g}, below 1 pixel")
    t = _pos_int(t, "--t")
    sq = _pos_int(squeeze, "--squeeze") if squeeze is not None else max(1, an // 8)
    bn = _pos_int(bottleneck, "--bottleneck") if bottleneck is not None else max(1, an // 4)
    return LayerDims(dk, am, an, rdf, stride, groups, t, sq, bn)


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
    t: int = 6,
    squeeze: int | None = None,
    bottleneck: int | None = None,
    rank: int | None = None,
) -> Comparison:
    """Cost each design at the same sizes; ratios are to the first design.

    ``svd`` needs ``rank`` R, 1 ≤ R ≤ min(M, N) (after α): a rank of min(M, N) is already the full
    matrix, and a larger one is not a factorization."""
    if not kinds:
        raise ArchcalcError(f"name at least one design: {', '.join(DESIGNS)}")
    for k in kinds:
        if k not in DESIGNS:
            close = difflib.get_close_matches(k, list(DESIGNS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ArchcalcError(f"unknown design {k!r}{hint} (designs: {', '.join(DESIGNS)})")
    d = resolve_dims(dk, m, n, df, stride, groups, alpha, rho, t, squeeze, bottleneck)
    if "svd" in kinds:
        limit = min(d.m, d.n)
        if rank is None:
            raise ArchcalcError(f"svd: give the rank with --rank R (1 ≤ R ≤ min(M, N) = {limit})")
        r = _pos_int(rank, "--rank")
        if r > limit:
            raise ArchcalcError(f"--rank {r} is larger than min(M, N) = min({d.m}, {d.n}) = {limit}")
        d = dataclasses.replace(d, rank=r)
    if "fire" in kinds and d.n % 2:
        raise ArchcalcError(
            f"fire: --n {d.n} is odd; a Fire module splits N into N/2 expand 1×1 + N/2 expand 3×3"
        )
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
        t=d.t,
        squeeze=d.squeeze,
        bottleneck=d.bottleneck,
        rank=d.rank or None,
        alpha=alpha,
        rho=rho,
        designs=costs,
    )
