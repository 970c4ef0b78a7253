"""A report's rows seen three ways (``archcalc table --view``): as the papers print them, per block,
or per primitive.

* ``paper``: one row per layer of the papers' tables. An op whose kind
  :attr:`~archcalc.model.ops.Op.folds_into_previous` (batch norm, the activation, flatten) and
  that reads the output of the node just before it is written into that node's row, so MobileNet
  V1 has the 28 conv / FC rows of its Table 1, plus the pooling.
* ``blocks``: one row per instance of a spec row (each of MobileNet V2's 17 bottlenecks, the stem
  conv, each head row).
* ``primitives``: one row per primitive layer, the report's own :attr:`Report.layers`.

A grouped row's counts are sums of its members' (params, MACs, weight bytes, bytes read and written
under the report's convention and dtype), its intensity is MACs / (bytes read + bytes written), so
every view has the same totals. Repeated blocks keep their own rows in every view.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import Field

from archcalc.count.closed_form import LayerCost, Report
from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph

VIEWS: tuple[str, ...] = ("paper", "blocks", "primitives")

VIEW_TEXT: dict[str, str] = {
    "paper": "one row per layer as the papers print them: batch norm, the activation and flatten "
    "are written into the row of the layer they follow",
    "blocks": "one row per block: each instance of a spec row (repeats keep their own rows)",
    "primitives": "one row per primitive layer",
}


class LayerGroup(LayerCost):
    """A row of the ``paper`` or ``blocks`` view: the sum of consecutive primitive layers."""

    primitives: list[str] = Field(description="the primitive layers this row adds up, in graph order")


def check_view(view: str) -> str:
    if view not in VIEWS:
        raise ArchcalcError(f"--view {view!r} is not known; choose one of {', '.join(VIEWS)}")
    return view


def view_rows(r: Report, view: str) -> list[LayerCost]:
    """The rows of ``r`` in ``view`` (``primitives``: ``r.layers`` itself)."""
    check_view(view)
    if view == "primitives":
        return r.layers
    graph = _graph(r)
    spans = _paper_spans(graph) if view == "paper" else [(b.start, b.stop) for b in graph.blocks]
    kinds = {b.start: b.kind for b in graph.blocks} if view == "blocks" else {}
    names = {b.start: b.name for b in graph.blocks} if view == "blocks" else {}
    rows = r.layers
    out: list[LayerCost] = []
    for start, stop in spans:
        members = rows[start:stop]
        if view == "paper":
            name, kind, args = _paper_labels(graph, start, stop)
        else:
            name, kind, args = names[start], kinds[start], _block_args(graph, start, stop)
        out.append(_group(members, name, kind, args))
    return out


def _graph(r: Report) -> Graph:
    counts = r._counts
    if counts is None:
        raise ArchcalcError(
            "this report was not made by archcalc.count.closed_form.report: it has no graph to group"
        )
    graph = counts.graph
    if not graph.blocks:
        raise ArchcalcError(f"{r.network}: the graph was not built from a spec, so it has no blocks")
    return graph


def _paper_spans(graph: Graph) -> list[tuple[int, int]]:
    """Runs of nodes: a node starts a run unless its kind folds into the node just before it,
    whose output it reads."""
    spans: list[tuple[int, int]] = []
    nodes = graph.nodes
    start = 0
    for i in range(1, len(nodes)):
        n = nodes[i]
        folds = type(n.op).folds_into_previous and n.inputs == (nodes[i - 1].name,)
        if not folds:
            spans.append((start, i))
            start = i
    if nodes:
        spans.append((start, len(nodes)))
    return spans


def _common_prefix(names: Sequence[str]) -> str:
    parts = [n.split(".") for n in names]
    prefix: list[str] = []
    for column in zip(*parts, strict=False):
        if len(set(column)) != 1:
            break
        prefix.append(column[0])
    return ".".join(prefix)


def _paper_labels(graph: Graph, start: int, stop: int) -> tuple[str, str, str]:
    """Name (the members' common dotted prefix), kind and args of the layer's row: ``sep1.dw``,
    ``conv2d``, ``3×3×32 dw + BN + relu``."""
    nodes = graph.nodes[start:stop]
    head = nodes[0]
    name = _common_prefix([n.name for n in nodes]) if len(nodes) > 1 else head.name
    args = " + ".join([head.op.describe(), *(n.op.fold_label() for n in nodes[1:])])
    return name or head.name, head.kind, args


def _block_args(graph: Graph, start: int, stop: int) -> str:
    """The block's weighted layers (``1×1×16×96, 3×3×96 dw s2, 1×1×96×24``), else its first op."""
    nodes = graph.nodes[start:stop]
    weighted = [n.op.describe() for n in nodes if n.op.weight_params()]
    return ", ".join(weighted) if weighted else nodes[0].op.describe()


def _total(counts: Sequence[int | None]) -> int | None:
    """Σ counts, or None where the convention counts none of them (a member's None)."""
    return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]


def _group(members: Sequence[LayerCost], name: str, kind: str, args: str) -> LayerGroup:
    head, last = members[0], members[-1]
    weighted = next((m for m in members if m.params_without_bn), head)
    macs = _total([m.macs for m in members])
    read = sum(m.bytes_read for m in members)
    written = sum(m.bytes_written for m in members)
    return LayerGroup(
        name=name,
        kind=kind,
        category=weighted.category,
        row=head.row,
        args=args,
        inputs=list(head.inputs),
        input_shapes=[list(s) for s in head.input_shapes],
        output_shape=list(last.output_shape),
        params=_total([m.params for m in members]),
        params_without_bn=sum(m.params_without_bn for m in members),
        params_with_bn=sum(m.params_with_bn for m in members),
        macs=macs,
        flops=_total([m.flops for m in members]),
        weight_bytes=sum(m.weight_bytes for m in members),
        bytes_read=read,
        bytes_written=written,
        intensity=None if macs is None else macs / (read + written),
        primitives=[m.name for m in members],
    )
