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
from functools import cached_property
from math import prod
from operator import add
from typing import Any

from pydantic import BaseModel, Field, ModelWrapValidatorHandler, PrivateAttr, computed_field, model_validator

from archcalc.count.conventions import CONVENTIONS, Convention, get_convention
from archcalc.count.header import SourcedConfigured
from archcalc.dtypes import dtype_bytes
from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph
from archcalc.model.ops import Op
from archcalc.model.resolve import Resolved


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


class Report(SourcedConfigured):
    """A network's cost at one configuration, every figure labelled with its convention.

    The totals, the convention totals and the breakdown are computed when the report is made; the
    per-layer rows (``layers``) are built on first use from the same per-layer counts, and are
    part of every dump (``model_dump``, JSON) like any field.
    """

    input_shape: list[int]
    output_shape: list[int]
    convention: str = Field(description="convention of every `macs` and `params` field below")
    dtype: str
    dtype_bytes: int
    totals: Totals
    breakdown: list[CategoryShare] = Field(description="by layer type, excluding zero-cost types")
    by_convention: dict[str, ConventionTotals]
    _counts: LayerCounts | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _given_rows(cls, data: Any, handler: ModelWrapValidatorHandler[Report]) -> Report:
        """``Report(**fields, layers=[…])`` and ``Report.model_validate(dump)`` keep the given rows."""
        if not isinstance(data, dict) or "layers" not in data:
            return handler(data)
        fields = dict(data)
        rows = fields.pop("layers")
        rep = handler(fields)
        if not isinstance(rows, list):
            raise ValueError("layers must be a list of layer rows")
        rep.__dict__["layers"] = [LayerCost.model_validate(x) for x in rows]  # the cached_property's slot
        return rep

    @computed_field(description="one row per primitive layer, in graph order")  # type: ignore[prop-decorator]
    @cached_property
    def layers(self) -> list[LayerCost]:
        if self._counts is None:
            raise ArchcalcError(
                "this report was not made by archcalc.count.closed_form.report: it has no layers"
            )
        return self._counts.rows(get_convention(self.convention), self.dtype_bytes)


class LayerCounts:
    """Every per-layer count of a graph, as columns, computed in one pass over its nodes.

    Per node: MACs under the paper rule (conv + linear) and under fvcore's rule, conv / linear
    weights and biases, batch norm γ and β, weight elements read (weights + BN γ, β, running mean
    and variance), input elements and output elements, and the Table 2 category. An op kind's
    method that the base :class:`Op` answers by default is not called for it (an activation has
    no weights, MACs or buffers; conv's fvcore MACs are its paper MACs), which is most of the
    saving over asking every op every question.
    """

    __slots__ = (
        "category",
        "fvcore",
        "graph",
        "in_elems",
        "norm",
        "out_elems",
        "paper",
        "read_weights",
        "weights",
    )

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        rows: list[tuple[int, int, int, int, int, int, int, str]] = []
        asks = _ASKS
        for n in graph.nodes:
            op = n.op
            ask = asks.get(type(op)) or _asks(type(op))
            ins = n.in_shapes
            out = n.out_shape
            paper = op.macs(ins, out) if ask[0] else 0
            w = op.weight_params() if ask[2] else 0
            nb = op.norm_params() if ask[3] else 0
            rows.append(
                (
                    paper,
                    op.fvcore_macs(ins, out) if ask[1] else paper,
                    w,
                    nb,
                    w + nb + op.buffer_elems() if ask[4] else w + nb,
                    prod(ins[0]) if len(ins) == 1 else sum(map(prod, ins)),
                    prod(out),
                    op.category(),
                )
            )
        columns = tuple(map(list, zip(*rows, strict=True))) if rows else ([],) * 8
        (
            self.paper,
            self.fvcore,
            self.weights,
            self.norm,
            self.read_weights,
            self.in_elems,
            self.out_elems,
            self.category,
        ) = columns

    def macs(self, conv: Convention) -> list[int]:
        """Per-layer MACs under ``conv``."""
        return self.fvcore if conv.fvcore_macs else self.paper

    def params(self, conv: Convention) -> list[int]:
        """Per-layer parameters under ``conv``."""
        return list(map(add, self.weights, self.norm)) if conv.bn_params else self.weights

    def rows(self, conv: Convention, b: int) -> list[LayerCost]:
        """One :class:`LayerCost` per node at ``b`` bytes per element.

        bytes read = b·(input elements + weight elements read); bytes written = b·output elements;
        intensity = MACs / (bytes read + bytes written).
        """
        new_row = _new_layer_cost
        macs, params = self.macs(conv), self.params(conv)
        rows: list[LayerCost] = []
        for i, n in enumerate(self.graph.nodes):
            w, nb = self.weights[i], self.norm[i]
            w_bytes = self.read_weights[i] * b
            read = self.in_elems[i] * b + w_bytes
            written = self.out_elems[i] * b
            rows.append(
                new_row(  # type: ignore[arg-type]
                    name=n.name,
                    kind=n.kind,
                    category=self.category[i],
                    row=n.row,
                    args=n.op.describe(),
                    inputs=list(n.inputs),
                    input_shapes=[list(s) for s in n.in_shapes],
                    output_shape=list(n.out_shape),
                    params=params[i],
                    params_without_bn=w,
                    params_with_bn=w + nb,
                    macs=macs[i],
                    weight_bytes=w_bytes,
                    bytes_read=read,
                    bytes_written=written,
                    intensity=macs[i] / (read + written),
                )
            )
        return rows


def _constructor(cls: type[BaseModel]) -> Callable[..., BaseModel]:
    """``cls.model_construct`` for objects given every field: no validation, no default lookup.

    pydantic's ``model_construct`` walks every field's aliases and defaults per call (validating
    costs more again), a third of the cost of a report's rows; objects built here set the same
    instance state (``__dict__``, the fields set, no extra, no private attributes), which
    ``tests/test_speed_paths.py`` checks against it.
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


_new_layer_cost = _constructor(LayerCost)
_new_category_share = _constructor(CategoryShare)
_new_totals = _constructor(Totals)
_new_convention_totals = _constructor(ConventionTotals)


_ASKS: dict[type[Op], tuple[bool, bool, bool, bool, bool]] = {}


def _asks(cls: type[Op]) -> tuple[bool, bool, bool, bool, bool]:
    """Which of macs, fvcore_macs, weight_params, norm_params, buffer_elems ``cls`` overrides.

    The fast path of :class:`LayerCounts`: a method a kind leaves at the base :class:`Op` default
    is not called for it (its answer is known: 0, or the paper MACs for ``fvcore_macs``), so a new
    primitive needs no entry here. ``tests/test_speed_paths.py::test_column_pass_matches_asking_every_op``
    checks the columns against asking every op every question, on every built-in network.
    """
    ask = tuple(
        getattr(cls, m) is not getattr(Op, m)
        for m in ("macs", "fvcore_macs", "weight_params", "norm_params", "buffer_elems")
    )
    _ASKS[cls] = ask  # type: ignore[assignment]
    return ask  # type: ignore[return-value]


def layer_costs(graph: Graph, convention: str = "paper", dtype: str = "fp32") -> list[LayerCost]:
    """Per-layer rows of ``graph`` under one convention and element size."""
    return LayerCounts(graph).rows(get_convention(convention), dtype_bytes(dtype))


def breakdown(counts: LayerCounts, conv: Convention) -> list[CategoryShare]:
    """MACs and params per layer type (the rows of MobileNet V1 Table 2), largest MACs first."""
    macs, params = counts.macs(conv), counts.params(conv)
    total_macs = sum(macs) or 1
    total_params = sum(params) or 1
    acc: dict[str, list[int]] = {}
    for category, m, p in zip(counts.category, macs, params, strict=True):
        if m == 0 and p == 0:
            continue
        a = acc.setdefault(category, [0, 0, 0])
        a[0] += 1
        a[1] += m
        a[2] += p
    out = [
        _new_category_share(
            category=k,
            layers=n,
            macs=m,
            macs_share=m / total_macs,
            params=p,
            params_share=p / total_params,
        )
        for k, (n, m, p) in acc.items()
    ]
    return sorted(out, key=lambda s: (-s.macs, -s.params))  # type: ignore[attr-defined]


def report(resolved: Resolved, convention: str = "paper", dtype: str = "fp32") -> Report:
    """The full :class:`Report` of a resolved network (per-layer rows built on first use)."""
    conv = get_convention(convention)
    b = dtype_bytes(dtype)
    counts = LayerCounts(resolved.graph)
    weights, norm = sum(counts.weights), sum(counts.norm)
    # Each convention picks one of two MAC sums and one of two parameter sums (its two flags).
    macs_sum = {False: sum(counts.paper), True: sum(counts.fvcore)}
    params_sum = {False: weights, True: weights + norm}
    macs = macs_sum[conv.fvcore_macs]
    weight_bytes = sum(counts.read_weights) * b
    totals = _new_totals(
        layers=len(counts.paper),
        macs=macs,
        flops=2 * macs,
        params=params_sum[conv.bn_params],
        params_without_bn=weights,
        params_with_bn=weights + norm,
        weight_bytes=weight_bytes,
        bytes_read=sum(counts.in_elems) * b + weight_bytes,
        bytes_written=sum(counts.out_elems) * b,
    )
    by_conv = {
        c.name: _new_convention_totals(
            macs=macs_sum[c.fvcore_macs],
            params=params_sum[c.bn_params],
            macs_rule=c.macs_rule,
            params_rule=c.params_rule,
            reproduces=c.reproduces,
        )
        for c in CONVENTIONS.values()
    }
    rep = Report.model_construct(
        **Report.header(resolved),
        input_shape=list(resolved.graph.input_shape),
        output_shape=list(resolved.graph.output.out_shape),
        convention=convention,
        dtype=dtype,
        dtype_bytes=b,
        totals=totals,
        breakdown=breakdown(counts, conv),
        by_convention=by_conv,
    )
    rep._counts = counts
    return rep
