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
from archcalc.model.ops.counting import COUNTERS, charges
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
    params: int | None = Field(description="under the report's convention (null: it counts none)")
    params_without_bn: int
    params_with_bn: int
    macs: int | None = Field(description="under the report's convention (null: it counts none)")
    flops: int | None = Field(description="2 × macs, or the count of a FLOP convention (tf)")
    weight_bytes: int
    bytes_read: int
    bytes_written: int
    intensity: float | None = Field(description="MACs per byte moved (read + written)")


class CategoryShare(BaseModel):
    category: str
    layers: int
    macs: int | None
    macs_share: float | None = Field(description="fraction of total MACs (0–1)")
    params: int | None
    params_share: float | None = Field(description="fraction of total params (0–1)")


class Totals(BaseModel):
    layers: int
    macs: int | None = Field(description="multiply-accumulates under the report's convention (null: none)")
    flops: int | None = Field(description="2 × macs, or the count of a FLOP convention (tf)")
    params: int | None = Field(description="parameters under the report's convention (null: none)")
    params_without_bn: int = Field(description="conv + linear weights and biases (paper)")
    params_with_bn: int = Field(description="every learnable parameter, BN γ/β included (torch)")
    weight_bytes: int
    bytes_read: int
    bytes_written: int


class ConventionTotals(BaseModel):
    """One convention's totals; a quantity the convention does not count is null."""

    macs: int | None
    flops: int | None = Field(description="2 × macs, or the count of a FLOP convention (tf)")
    params: int | None
    trainable_params: int | None = Field(description="params but BN running statistics (Keras's split)")
    non_trainable_params: int | None = Field(description="BN running mean and variance (keras only)")
    macs_rule: str | None
    params_rule: str | None
    reproduces: str


class Report(SourcedConfigured):
    """A network's cost at one configuration, every figure labelled with its convention.

    The totals and the breakdown are computed when the report is made; every convention's totals
    (``by_convention``) and the per-layer rows (``layers``) are built on first use from the same
    per-layer counts, and are part of every dump (``model_dump``, JSON) like any field.
    """

    input_shape: list[int]
    output_shape: list[int]
    convention: str = Field(description="convention of every `macs` and `params` field below")
    dtype: str
    dtype_bytes: int
    totals: Totals
    breakdown: list[CategoryShare] = Field(description="by layer type, excluding zero-cost types")
    _counts: LayerCounts | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _given_rows(cls, data: Any, handler: ModelWrapValidatorHandler[Report]) -> Report:
        """``Report(**fields, layers=[…], by_convention={…})`` and ``Report.model_validate(dump)``
        keep the given rows and convention totals."""
        if not isinstance(data, dict) or ("layers" not in data and "by_convention" not in data):
            return handler(data)
        fields = dict(data)
        rows = fields.pop("layers", None)
        by_conv = fields.pop("by_convention", None)
        rep = handler(fields)
        if rows is not None:
            if not isinstance(rows, list):
                raise ValueError("layers must be a list of layer rows")
            rep.__dict__["layers"] = [LayerCost.model_validate(x) for x in rows]  # the cached_property's slot
        if by_conv is not None:
            if not isinstance(by_conv, dict):
                raise ValueError("by_convention must map convention names to totals")
            rep.__dict__["by_convention"] = {
                k: ConventionTotals.model_validate(v) for k, v in by_conv.items()
            }
        return rep

    @computed_field(description="the totals under every convention, with their rules")  # type: ignore[prop-decorator]
    @cached_property
    def by_convention(self) -> dict[str, ConventionTotals]:
        if self._counts is None:
            raise ArchcalcError(
                "this report was not made by archcalc.count.closed_form.report: it has no convention totals"
            )
        return convention_totals(self._counts)

    @computed_field(description="one row per primitive layer, in graph order")  # type: ignore[prop-decorator]
    @cached_property
    def layers(self) -> list[LayerCost]:
        if self._counts is None:
            raise ArchcalcError(
                "this report was not made by archcalc.count.closed_form.report: it has no layers"
            )
        return self._counts.rows(get_convention(self.convention), self.dtype_bytes)

    def layers_under(self, convention: str) -> list[LayerCost]:
        """The layer rows under another convention (the same graph, dtype and bytes)."""
        if convention == self.convention:
            return self.layers
        if self._counts is None:
            raise ArchcalcError(
                f"this report was not made by archcalc.count.closed_form.report: it has no rows "
                f"under convention {convention!r}"
            )
        return self._counts.rows(get_convention(convention), self.dtype_bytes)


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
        "buffers",
        "category",
        "charges",
        "fvcore",
        "graph",
        "in_elems",
        "norm",
        "out_elems",
        "paper",
        "read_weights",
        "unseen",
        "weights",
    )

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        rows: list[tuple[int, int, int, int, int, int, int, int, str]] = []
        asks = _ASKS
        self.charges: list[tuple[int, ...]] | None = None
        self.unseen: list[int] = []  # nodes whose parameters some convention does not count
        for n in graph.nodes:
            op = n.op
            ask = asks.get(type(op)) or _asks(type(op))
            ins = n.in_shapes
            out = n.out_shape
            paper = op.macs(ins, out) if ask[0] else 0
            w = op.weight_params() if ask[2] else 0
            nb = op.norm_params() if ask[3] else 0
            buf = op.buffer_elems() if ask[4] else 0
            if type(op).params_unseen_by:
                self.unseen.append(len(rows))
            rows.append(
                (
                    paper,
                    op.fvcore_macs(ins, out) if ask[1] else paper,
                    w,
                    nb,
                    buf,
                    w + nb + buf,
                    prod(ins[0]) if len(ins) == 1 else sum(map(prod, ins)),
                    prod(out),
                    op.category(),
                )
            )
        columns = tuple(map(list, zip(*rows, strict=True))) if rows else ([],) * 9
        (
            self.paper,
            self.fvcore,
            self.weights,
            self.norm,
            self.buffers,
            self.read_weights,
            self.in_elems,
            self.out_elems,
            self.category,
        ) = columns

    def charge_columns(self) -> list[tuple[int, ...]]:
        """Per node, every counter's charge (:data:`archcalc.model.ops.counting.COUNTERS` order),
        computed on first use: only the tool conventions need them."""
        if self.charges is None:
            cached = _CHARGES
            out = []
            for n in self.graph.nodes:
                key = (n.op, n.in_shapes, n.out_shape)
                ch = cached.get(key)
                out.append(_charges(key) if ch is None else ch)
            self.charges = out
        return self.charges

    def counts(self, conv: Convention) -> list[int] | list[None]:
        """Per-layer counts under ``conv``, in its unit (MACs, or FLOPs for tf); None: it counts none."""
        if conv.counter is None:
            return [None] * len(self.paper)
        if conv.counter in ("paper", "torch"):
            return self.paper
        if conv.counter == "fvcore":
            return self.fvcore
        i = conv.index
        return [c[i] for c in self.charge_columns()]

    def macs(self, conv: Convention) -> list[int] | list[None]:
        """Per-layer MACs under ``conv`` (None for a convention that counts no MACs)."""
        return self.counts(conv) if conv.counts_macs else [None] * len(self.paper)

    def flops(self, conv: Convention) -> list[int] | list[None]:
        """Per-layer FLOPs: 2 × MACs, or the count of a FLOP convention."""
        counts = self.counts(conv)
        if conv.unit == "MACs":
            return [2 * c for c in counts]  # type: ignore[operator]
        return counts

    def params(self, conv: Convention) -> list[int] | list[None]:
        """Per-layer parameters under ``conv`` (None for a convention that counts none)."""
        parts = conv.params_parts
        if parts is None:
            return [None] * len(self.paper)
        if parts == (True, False, False):
            out = self.weights
        elif parts == (True, True, False):
            out = list(map(add, self.weights, self.norm))
        elif parts == (True, True, True):
            out = list(map(add, map(add, self.weights, self.norm), self.buffers))
        else:
            raise AssertionError(f"no column for parameter parts {parts}")
        hidden = [i for i in self.unseen if conv.name in type(self.graph.nodes[i].op).params_unseen_by]
        if hidden:
            out = list(out)
            for i in hidden:
                out[i] = 0
        return out

    def rows(self, conv: Convention, b: int) -> list[LayerCost]:
        """One :class:`LayerCost` per node at ``b`` bytes per element.

        bytes read = b·(input elements + weight elements read); bytes written = b·output elements;
        intensity = MACs / (bytes read + bytes written).
        """
        new_row = _new_layer_cost
        macs, params, flops = self.macs(conv), self.params(conv), self.flops(conv)
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
                    flops=flops[i],
                    weight_bytes=w_bytes,
                    bytes_read=read,
                    bytes_written=written,
                    intensity=None if macs[i] is None else macs[i] / (read + written),
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
_CHARGES: dict[tuple, tuple[int, ...]] = {}
_MAX_CACHED = 100_000


def _charges(key: tuple) -> tuple[int, ...]:
    """Every counter's charge for one (op, input shapes, output shape), memoised (ops are values)."""
    op, ins, out = key
    if len(_CHARGES) >= _MAX_CACHED:
        _CHARGES.clear()
    got = _CHARGES[key] = charges(op.tallies(ins, out))
    return got


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
    has_macs, has_params = conv.counts_macs, conv.counts_params
    macs = counts.macs(conv) if has_macs else [0] * len(counts.paper)
    params = counts.params(conv) if has_params else [0] * len(counts.paper)
    total_macs = sum(macs) or 1  # type: ignore[arg-type]
    total_params = sum(params) or 1  # type: ignore[arg-type]
    acc: dict[str, list[int]] = {}
    for category, m, p in zip(counts.category, macs, params, strict=True):
        if m == 0 and p == 0:
            continue
        a = acc.setdefault(category, [0, 0, 0])
        a[0] += 1
        a[1] += m  # type: ignore[operator]
        a[2] += p  # type: ignore[operator]
    out = [
        _new_category_share(
            category=k,
            layers=n,
            macs=m if has_macs else None,
            macs_share=m / total_macs if has_macs else None,
            params=p if has_params else None,
            params_share=p / total_params if has_params else None,
        )
        for k, (n, m, p) in acc.items()
    ]
    return sorted(out, key=lambda s: (-(s.macs or 0), -(s.params or 0)))  # type: ignore[attr-defined]


def convention_totals(counts: LayerCounts) -> dict[str, ConventionTotals]:
    """Every convention's totals from one set of per-layer columns: each counter's count summed
    once, and the parameter sums each convention picks from."""
    charges = counts.charge_columns()
    count_sum = [sum(col) for col in zip(*charges, strict=True)] if charges else [0] * len(COUNTERS)
    return {c.name: one_convention_totals(counts, c, count_sum) for c in CONVENTIONS.values()}


def one_convention_totals(
    counts: LayerCounts, c: Convention, count_sum: list[int] | None = None
) -> ConventionTotals:
    """One convention's totals: its count (the fast path's own column for paper, torch and fvcore,
    equal to their charges, which ``tests/test_counters_torch.py`` checks) and its parameter sum."""
    weights, norm, buffers = sum(counts.weights), sum(counts.norm), sum(counts.buffers)
    if c.counter is None:
        count = None
    elif c.counter in ("paper", "torch"):
        count = sum(counts.paper)
    elif c.counter == "fvcore":
        count = sum(counts.fvcore)
    elif count_sum is not None:
        count = count_sum[c.index]
    else:
        count = sum(counts.counts(c))  # type: ignore[arg-type]
    params = trainable = non_trainable = None
    if c.params_parts is not None:
        w, nb, buf = c.params_parts
        hidden = [i for i in counts.unseen if c.name in type(counts.graph.nodes[i].op).params_unseen_by]
        weights -= sum(counts.weights[i] for i in hidden)
        norm -= sum(counts.norm[i] for i in hidden)
        buffers -= sum(counts.buffers[i] for i in hidden)
        trainable = (weights if w else 0) + (norm if nb else 0)
        non_trainable = buffers if buf else 0
        params = trainable + non_trainable
    return _new_convention_totals(  # type: ignore[return-value]
        macs=count if c.unit == "MACs" else None,
        flops=None if count is None else 2 * count if c.unit == "MACs" else count,
        params=params,
        trainable_params=trainable,
        non_trainable_params=non_trainable,
        macs_rule=c.macs_rule,
        params_rule=c.params_rule,
        reproduces=c.reproduces,
    )


def report(resolved: Resolved, convention: str = "paper", dtype: str = "fp32") -> Report:
    """The full :class:`Report` of a resolved network (per-layer rows built on first use)."""
    conv = get_convention(convention)
    b = dtype_bytes(dtype)
    counts = LayerCounts(resolved.graph)
    weights, norm = sum(counts.weights), sum(counts.norm)
    mine = one_convention_totals(counts, conv)
    weight_bytes = sum(counts.read_weights) * b
    totals = _new_totals(
        layers=len(counts.paper),
        macs=mine.macs,
        flops=mine.flops,
        params=mine.params,
        params_without_bn=weights,
        params_with_bn=weights + norm,
        weight_bytes=weight_bytes,
        bytes_read=sum(counts.in_elems) * b + weight_bytes,
        bytes_written=sum(counts.out_elems) * b,
    )
    rep = Report.model_construct(
        **Report.header(resolved),
        input_shape=list(resolved.graph.input_shape),
        output_shape=list(resolved.graph.output.out_shape),
        convention=convention,
        dtype=dtype,
        dtype_bytes=b,
        totals=totals,
        breakdown=breakdown(counts, conv),
    )
    rep._counts = counts
    return rep
