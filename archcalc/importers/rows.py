"""What the importers share: layers as spec rows, the ledger of what was dropped, the passes that
turn a traced graph into a readable spec (channel shuffles recognised, α's equalities), and the
check that the spec resolves to the shapes the real graph had.

An importer (torch.fx, ONNX) walks its graph in order and calls :meth:`RowBuilder.row` once per
layer it maps, naming the tensors the layer reads, and :meth:`RowBuilder.alias` /
:meth:`RowBuilder.drop` for what costs nothing (identity, dropout, ``contiguous``, shape
arithmetic), which goes to the ledger. What it cannot map it reports with
:meth:`RowBuilder.unmapped`; :meth:`RowBuilder.spec` refuses, listing every unmapped op at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import prod
from typing import Any

from pydantic import BaseModel, Field

from archcalc.errors import ArchcalcError
from archcalc.model.blocks import BLOCKS
from archcalc.model.graph import INPUT
from archcalc.model.ops import Shape, fmt_shape
from archcalc.spec.schema import NetworkSpec

WIDTH_RULES: dict[str, dict[str, Any]] = {
    "truncate": {"rule": "truncate"},
    "round8": {"rule": "round_divisible", "divisor": 8},
}
"""How α scales an imported graph's channel counts: ⌊α·c⌋, or torchvision's ``_make_divisible``
to multiples of 8."""

_ROW_KEYS_FIRST = ("name", "kind", "from")


class LedgerEntry(BaseModel):
    """One thing the importer did not turn into a layer, and why it costs nothing."""

    node: str = Field(description="the node or operation in the source graph")
    op: str = Field(description="its op type (torch target, ONNX op_type)")
    action: str = Field(description="'alias' (passes its input through), 'folded' (a constant), 'merged'")
    why: str


class ImportResult(BaseModel):
    """A spec made from a user's model, with the import ledger."""

    model_config = {"arbitrary_types_allowed": True}

    spec: NetworkSpec
    ledger: list[LedgerEntry]
    source_params: int | None = Field(
        None, description="the source's own parameter count (torch: sum(p.numel()), ONNX: initializers)"
    )


def identifier(text: str, default: str = "layer") -> str:
    """A spec identifier from a graph name: ``layer1.0.conv1`` → ``layer1_0_conv1``."""
    s = re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_")
    s = re.sub(r"_+", "_", s)
    if not s:
        s = default
    if not (s[0].isalpha() or s[0] == "_"):
        s = f"{default}_{s}"
    return s


def side(v: int | Sequence[int], default: int | None = None) -> Any:
    """A kernel side, stride, padding or dilation as a row writes it: ``(3, 3)`` → 3, ``(3, 1)`` →
    [3, 1]; None (left out) when equal to ``default``, the row's default."""
    t = (v, v) if isinstance(v, int) else tuple(v)
    out = t[0] if t[0] == t[1] else [t[0], t[1]]
    return None if out == default else out


def conv_args(
    out: int,
    k: int | Sequence[int],
    stride: int | Sequence[int],
    padding: int | Sequence[int],
    dilation: int | Sequence[int],
    groups: int,
    bias: bool,
    *,
    in_channels: int | None = None,
    output_padding: int | Sequence[int] | None = None,
) -> dict[str, Any]:
    """The arguments of a ``conv2d`` row (with ``in_channels``: groups = in = out > 1 is written
    ``depthwise``) or of a ``conv_transpose2d`` row (with ``output_padding``), in the order the row
    writes them; an argument at its default (stride 1, padding 0, dilation 1, groups 1, a bias) is
    None, which :meth:`RowBuilder.row` leaves out."""
    g: int | str | None = None if groups == 1 else groups
    if in_channels is not None and groups == in_channels == out and groups > 1:
        g = "depthwise"
    args: dict[str, Any] = {"out": out, "k": side(k), "stride": side(stride, 1), "padding": side(padding, 0)}
    if output_padding is not None:
        args["output_padding"] = side(output_padding, 0)
    return {**args, "dilation": side(dilation, 1), "groups": g, "bias": None if bias else False}


@dataclass
class Unmapped:
    node: str
    op: str
    why: str


@dataclass
class _Row:
    data: dict[str, Any]
    inputs: list[str]  # tensor names read
    out_shapes: list[Shape]  # traced output shape(s), batch excluded
    outputs: list[str]  # tensor names written (one, or a split's parts)
    var: str | None = None  # the channel variable this row introduces (conv / linear outs)


@dataclass
class RowBuilder:
    """Collects rows, tensor names and the ledger while an importer walks its graph."""

    input_shape: Shape
    rows: list[_Row] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)
    unmapped_ops: list[Unmapped] = field(default_factory=list)
    shapes: dict[str, Shape] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)
    _splits: dict[tuple[str, int, tuple[int, ...]], list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.shapes[INPUT] = self.input_shape
        self._names.add(INPUT)

    def unique(self, name: str) -> str:
        base = identifier(name)
        out, i = base, 1
        while out in self._names:
            out = f"{base}_{i}"
            i += 1
        self._names.add(out)
        return out

    def row(
        self,
        name: str,
        kind: str,
        inputs: Sequence[str],
        out_shape: Shape,
        var: bool = False,
        **args: Any,
    ) -> str:
        """Add a one-output layer reading ``inputs``; returns its tensor name."""
        n = self.unique(name)
        data = {"name": n, "kind": kind, **{k: v for k, v in args.items() if v is not None}}
        self.rows.append(_Row(data, list(inputs), [tuple(out_shape)], [n], n if var else None))
        self.shapes[n] = tuple(out_shape)
        return n

    def split(self, name: str, src: str, dim: int, sizes: list[int], out_shapes: list[Shape]) -> list[str]:
        """A split of ``src`` along ``dim`` into parts of ``sizes``; returns the parts' tensor names.

        The same split asked for again (two slices of one tensor, as exporters write ``chunk``)
        returns the first one's parts."""
        key = (src, dim, tuple(sizes))
        if key in self._splits:
            return self._splits[key]
        n = self.unique(name)
        equal = len(set(sizes[:-1])) <= 1 and sizes[-1] <= sizes[0]
        total = self.shapes[src][dim]
        chunks = len(sizes)
        args: dict[str, Any] = {"chunks": chunks} if equal and -(-total // chunks) == sizes[0] else {}
        if not args:
            args = {"sizes": list(sizes)}
        if dim != 0:
            args["dim"] = dim
        parts = [f"{n}.{i}" for i in range(len(sizes))]
        self.rows.append(_Row({"name": n, "kind": "split", **args}, [src], list(out_shapes), parts))
        for p, s in zip(parts, out_shapes, strict=True):
            self.shapes[p] = tuple(s)
        self._splits[key] = parts
        return parts

    def note(self, node: str, op: str, action: str, why: str) -> None:
        self.ledger.append(LedgerEntry(node=node, op=op, action=action, why=why))

    def unmapped(self, node: str, op: str, why: str = "") -> None:
        self.unmapped_ops.append(Unmapped(node, op, why))

    # --- passes -------------------------------------------------------------------------------

    def _readers(self) -> dict[str, int]:
        count: dict[str, int] = {}
        for r in self.rows:
            for t in set(r.inputs):
                count[t] = count.get(t, 0) + 1
        return count

    def merge_shuffles(self) -> None:
        """reshape C×H×W → g×(C/g)×H×W, transpose of the first two, reshape (or flatten) back to
        C×H×W, each read once: one ``shuffle`` row with ``groups: g`` (named as the last)."""
        readers = self._readers()
        by_out = {r.outputs[0]: i for i, r in enumerate(self.rows)}
        drop: set[int] = set()

        def step(r: _Row) -> str | None:
            entry = BLOCKS[r.data["kind"]].entry
            return entry.shuffle_step(r.data, [self.shapes[t] for t in r.inputs], r.out_shapes[0])

        for i, r in enumerate(self.rows):
            if i in drop or step(r) != "split":
                continue
            src = self.shapes[r.inputs[0]]
            out = r.out_shapes[0]
            t_i = next((j for j in range(i + 1, len(self.rows)) if r.outputs[0] in self.rows[j].inputs), None)
            if t_i is None or readers.get(r.outputs[0]) != 1:
                continue
            t = self.rows[t_i]
            if step(t) != "swap":
                continue
            b_i = next(
                (j for j in range(t_i + 1, len(self.rows)) if t.outputs[0] in self.rows[j].inputs), None
            )
            if b_i is None or readers.get(t.outputs[0]) != 1:
                continue
            back = self.rows[b_i]
            if step(back) != "merge" or back.out_shapes[0] != src:
                continue
            g = out[0]
            back.data = {"name": back.data["name"], "kind": "shuffle", "groups": g}
            back.inputs = list(r.inputs)
            drop.update((i, t_i))
            self.note(
                back.data["name"],
                "reshape → transpose → reshape",
                "merged",
                f"a channel shuffle with {g} groups (written as {r.data['name']}, {t.data['name']}, "
                f"{back.data['name']}): one shuffle layer, so α and the resolution can change",
            )
        self.rows = [r for i, r in enumerate(self.rows) if i not in drop]
        del by_out

    def _fixed_widths(self, output: str) -> set[str]:
        """Channel variables that α must leave alone: the input image's channels, the network's
        output channels, and every variable the graph makes equal to one of them."""
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent.get(x, x) != x:
                x = parent[x]
            return x

        def union(a: str, b: str) -> None:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[ra] = rb

        chan: dict[str, str | None] = {INPUT: "$input"}
        for r in self.rows:
            entry = BLOCKS[r.data["kind"]].entry
            links = entry.channel_links(r.data, [self.shapes[t] for t in r.inputs], r.out_shapes[0])
            tied = [r.var] if r.var is not None else []
            tied += [c for c in (chan.get(r.inputs[i]) for i in links) if c is not None]
            for c in tied[1:]:
                union(tied[0], c)
            out_c = tied[0] if tied else None
            for o in r.outputs:
                chan[o] = out_c
        fixed_roots = {find("$input")}
        final = chan.get(output)
        if final is not None:
            fixed_roots.add(find(final))
        return {r.var for r in self.rows if r.var is not None and find(r.var) in fixed_roots}

    # --- the spec -----------------------------------------------------------------------------

    def check_mapped(self, what: str) -> None:
        """Refuse, listing every op the importer could not map (never a silent zero)."""
        if not self.unmapped_ops:
            return
        kinds = sorted({u.op for u in self.unmapped_ops})
        listed = "; ".join(
            f"{u.op} at {u.node}" + (f" ({u.why})" if u.why else "") for u in self.unmapped_ops[:20]
        )
        more = f" … and {len(self.unmapped_ops) - 20} more" if len(self.unmapped_ops) > 20 else ""
        raise ArchcalcError(
            f"{what}: {len(self.unmapped_ops)} op(s) cannot be mapped to archcalc layers "
            f"({', '.join(kinds)}): {listed}{more}"
        )

    def spec(self, name: str, title: str, source: str, output: str, width: str = "truncate") -> NetworkSpec:
        """The rows as a validated :class:`NetworkSpec` (after :meth:`check_mapped`)."""
        if width not in WIDTH_RULES:
            raise ArchcalcError(f"width {width!r}: choose one of {', '.join(WIDTH_RULES)}")
        if not self.rows:
            raise ArchcalcError(f"{name}: the graph has no layers archcalc counts")
        self.merge_shuffles()
        if output != self.rows[-1].outputs[-1]:
            raise ArchcalcError(
                f"{name}: the graph's output is {output}, not its last layer ({self.rows[-1].outputs[-1]}); "
                "only graphs whose output is computed last are supported"
            )
        fixed = self._fixed_widths(output)
        body: list[dict[str, Any]] = []
        current = INPUT
        for r in self.rows:
            data = {k: v for k, v in r.data.items() if k != "alpha_safe"}
            if r.var is not None and r.var in fixed:
                data["width"] = "fixed"
            if r.inputs and r.inputs != [current]:
                data["from"] = list(r.inputs)
            body.append({k: data[k] for k in (*_ROW_KEYS_FIRST, *data) if k in data})
            current = r.outputs[-1]
        c, *hw = self.input_shape
        inp: dict[str, Any] = {"channels": c}
        if len(hw) == 2 and hw[0] == hw[1]:
            inp["resolution"] = hw[0]
        elif len(hw) == 2:
            inp["height"], inp["width"] = hw
        else:
            raise ArchcalcError(
                f"{name}: the input must be an image C×H×W, got {fmt_shape(self.input_shape)}"
            )
        data = {
            "name": identifier(name, "model"),
            "title": title,
            "source": source,
            "input": inp,
            "width": dict(WIDTH_RULES[width]),
            "body": body,
        }
        try:
            return NetworkSpec.model_validate(data)
        except Exception as e:  # a row the importer wrote wrongly: name it
            raise ArchcalcError(f"{name}: the imported spec does not validate: {e}") from None

    def check_shapes(self, spec: NetworkSpec) -> None:
        """Resolve ``spec`` at its own input and compare every layer's shape with the traced one."""
        from archcalc.model.resolve import resolve

        graph = resolve(spec).graph
        got = {n.name: n.out_shape for n in graph}
        for r in self.rows:
            for t, s in zip(r.outputs, r.out_shapes, strict=True):
                if got.get(t) != s:
                    raise ArchcalcError(
                        f"layer {t} ({r.data['kind']}): the source graph gives {fmt_shape(s)}, archcalc's "
                        f"rule {fmt_shape(got.get(t, ()))}; this layer is not imported faithfully"
                    )


def numel(shape: Sequence[int]) -> int:
    return prod(shape)
