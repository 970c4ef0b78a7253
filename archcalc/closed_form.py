"""The closed-form cost of a resolved graph: per-layer rows, totals, breakdown by layer type.

Pure Python: no torch. Per layer, at an element size of ``b`` bytes (``--dtype``):

    bytes read    = b · (Σ input elements + weight elements read)
    bytes written = b · output elements
    intensity     = MACs / (bytes read + bytes written)

The weight elements read are the conv / linear weights and biases, and batch norm's γ, β, running
mean and running variance. For a 1×1 conv this is ShuffleNet V2's memory access cost
h·w·(c1 + c2) + c1·c2 elements.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from archcalc.conventions import CONVENTIONS, get_convention
from archcalc.dtypes import dtype_bytes
from archcalc.graph import Graph, Node
from archcalc.ops import numel
from archcalc.resolve import Resolved


class LayerCost(BaseModel):
    """One primitive layer. ``params`` and ``macs`` follow the report's ``convention``."""

    name: str
    kind: str
    category: str = Field(description="MobileNet V1 Table 2 bucket: Conv 1×1, Conv DW 3×3, …")
    row: str = Field(description="the spec row this layer was expanded from")
    args: str
    inputs: list[str]
    input_shapes: list[list[int]]
    output_shape: list[int]
    params: int
    params_without_bn: int
    params_with_bn: int
    macs: int
    weight_bytes: int
    bytes_read: int
    bytes_written: int
    intensity: float = Field(description="MACs per byte moved (read + written)")


class CategoryShare(BaseModel):
    category: str
    layers: int
    macs: int
    macs_share: float = Field(description="fraction of total MACs (0–1)")
    params: int
    params_share: float = Field(description="fraction of total params (0–1)")


class Totals(BaseModel):
    layers: int
    macs: int = Field(description="multiply-accumulates under the report's convention")
    flops: int = Field(description="2 × macs")
    params: int = Field(description="parameters under the report's convention")
    params_without_bn: int = Field(description="conv + linear weights and biases (paper)")
    params_with_bn: int = Field(description="every learnable parameter, BN γ/β included (torch)")
    weight_bytes: int
    bytes_read: int
    bytes_written: int


class ConventionTotals(BaseModel):
    macs: int
    params: int
    macs_rule: str
    params_rule: str
    reproduces: str


class Report(BaseModel):
    """A network's cost at one configuration, every figure labelled with its convention."""

    network: str
    title: str
    source: str
    alpha: float
    resolution: int
    knobs: dict[str, bool | int | float | str]
    input_shape: list[int]
    output_shape: list[int]
    convention: str = Field(description="convention of every `macs` and `params` field below")
    dtype: str
    dtype_bytes: int
    layers: list[LayerCost]
    totals: Totals
    breakdown: list[CategoryShare] = Field(description="by layer type, excluding zero-cost types")
    by_convention: dict[str, ConventionTotals]


def _rows_of(cls: type[BaseModel]) -> Callable[..., BaseModel]:
    """``cls.model_construct`` for rows that give every field: no validation, no default lookup.

    pydantic's ``model_construct`` walks every field's aliases and defaults per call, a third of the
    cost of a report; rows built here set the same instance state (``__dict__``, the fields set, no
    extra, no private attributes), which ``tests/test_speed_paths.py`` checks against it.
    """
    names = frozenset(cls.model_fields)

    def construct(**values: object) -> BaseModel:
        m = cls.__new__(cls)
        object.__setattr__(m, "__dict__", values)
        object.__setattr__(m, "__pydantic_fields_set__", set(names))
        object.__setattr__(m, "__pydantic_extra__", None)
        object.__setattr__(m, "__pydantic_private__", None)
        return m

    return construct


def layer_costs(graph: Graph, convention: str = "paper", dtype: str = "fp32") -> list[LayerCost]:
    """Per-layer rows of ``graph`` under one convention and element size."""
    conv = get_convention(convention)
    b = dtype_bytes(dtype)
    new_row = _rows_of(LayerCost)
    rows: list[LayerCost] = []
    for n in graph:
        op = n.op
        macs = conv.macs(n)
        weights = op.weight_params()
        w_bytes = op.weights_read() * b
        read = sum(numel(s) for s in n.in_shapes) * b + w_bytes
        written = numel(n.out_shape) * b
        rows.append(
            new_row(  # type: ignore[arg-type]
                name=n.name,
                kind=n.kind,
                category=op.category(),
                row=n.row,
                args=op.describe(),
                inputs=list(n.inputs),
                input_shapes=[list(s) for s in n.in_shapes],
                output_shape=list(n.out_shape),
                params=conv.params(n),
                params_without_bn=weights,
                params_with_bn=weights + op.norm_params(),
                macs=macs,
                weight_bytes=w_bytes,
                bytes_read=read,
                bytes_written=written,
                intensity=macs / (read + written),
            )
        )
    return rows


def breakdown(rows: list[LayerCost]) -> list[CategoryShare]:
    """MACs and params per layer type (the rows of MobileNet V1 Table 2), largest MACs first."""
    total_macs = sum(r.macs for r in rows) or 1
    total_params = sum(r.params for r in rows) or 1
    acc: dict[str, list[int]] = {}
    for r in rows:
        if r.macs == 0 and r.params == 0:
            continue
        a = acc.setdefault(r.category, [0, 0, 0])
        a[0] += 1
        a[1] += r.macs
        a[2] += r.params
    out = [
        CategoryShare(
            category=k,
            layers=n,
            macs=m,
            macs_share=m / total_macs,
            params=p,
            params_share=p / total_params,
        )
        for k, (n, m, p) in acc.items()
    ]
    return sorted(out, key=lambda s: (-s.macs, -s.params))


def report(resolved: Resolved, convention: str = "paper", dtype: str = "fp32") -> Report:
    """The full :class:`Report` of a resolved network."""
    rows = layer_costs(resolved.graph, convention, dtype)
    macs = sum(r.macs for r in rows)
    totals = Totals(
        layers=len(rows),
        macs=macs,
        flops=2 * macs,
        params=sum(r.params for r in rows),
        params_without_bn=sum(r.params_without_bn for r in rows),
        params_with_bn=sum(r.params_with_bn for r in rows),
        weight_bytes=sum(r.weight_bytes for r in rows),
        bytes_read=sum(r.bytes_read for r in rows),
        bytes_written=sum(r.bytes_written for r in rows),
    )
    # Σ over the graph of each counting rule, once per rule: the rows already hold the report's own
    # convention, and conventions share rules (paper and torch count the same MACs).
    conv = get_convention(convention)
    sums: dict[Callable[[Node], int], int] = {conv.macs: totals.macs, conv.params: totals.params}

    def total(rule: Callable[[Node], int]) -> int:
        if rule not in sums:
            sums[rule] = sum(rule(n) for n in resolved.graph)
        return sums[rule]

    by_conv = {
        c.name: ConventionTotals(
            macs=total(c.macs),
            params=total(c.params),
            macs_rule=c.macs_rule,
            params_rule=c.params_rule,
            reproduces=c.reproduces,
        )
        for c in CONVENTIONS.values()
    }
    spec = resolved.spec
    return Report(
        network=spec.name,
        title=spec.title,
        source=spec.source,
        alpha=resolved.alpha,
        resolution=resolved.resolution,
        knobs=dict(resolved.knobs),
        input_shape=list(resolved.graph.input_shape),
        output_shape=list(resolved.graph.output.out_shape),
        convention=convention,
        dtype=dtype,
        dtype_bytes=dtype_bytes(dtype),
        layers=rows,
        totals=totals,
        breakdown=breakdown(rows),
        by_convention=by_conv,
    )
