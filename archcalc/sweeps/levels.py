"""Fast, exact totals over many input resolutions at one width multiplier α: the "level" engine.

Channel counts depend on α and the knobs, never on the input resolution r, so one resolved graph
serves every r. A tensor's spatial side is a function of r through the chain of strided layers
feeding it, and a network has only a handful of distinct chains: its spatial **levels** (MobileNet
V2 has 7: 224, 112, 56, 28, 14, 7 and the pooled 1×1). For each node,

    numel(tensor)  = coef · area(level)                  (coef = channels; area = H·W of the level)
    MACs(node)     = c₀ + Σ_L a_L · area(L)               (found by probing the op's count, then checked)
    bytes read     = b · (Σ_inputs coef·area + weights read),   bytes written = b · coef_out·area_out

so per α the totals are ``constant + Σ_L coefficient_L · area_L`` and per r they cost one side
computation per level (the level's own op's ``out_shape`` on its parent's side) and a few
multiply-adds.

Each op says where its output sits (``Op.level_rule``, see :data:`archcalc.model.ops.LevelRule`):
on a new level through its window (conv, pooling), on its input's level (element-wise ops, merges,
channel plumbing), on a constant level (adaptive pooling), or as a vector.

This is the sweep's fast path. It skips, per configuration, resolving the spec and building the
report; it is valid only where the graph's structure does not depend on r. Anything else makes
:func:`plan` return ``None`` and the caller takes the full path (``resolve`` + ``report``) per
configuration: an op kind without a level rule, a linear layer fed by a flattened map whose size
depends on r (no adaptive pooling), a MAC count that is not affine in the level areas, or a second
resolve at another resolution whose layers or shapes differ from the prediction. Merges (add,
concat, mul) whose inputs sit on different levels are re-checked per r with the op's own
``out_shape``; a layer that collapses to zero size at some r makes :meth:`Plan.totals` raise
:class:`LevelMismatch`, and the caller re-runs that configuration on the full path, which raises
the same one-line error as ``archcalc.cost``. ``tests/test_sweep.py::test_sweep_equals_cost``
checks it against the full path on random configurations of every built-in network, and
``tests/test_new_primitive_recipe.py`` on a primitive defined outside ``archcalc``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import mul

from archcalc.count.conventions import Convention, get_convention
from archcalc.count.liveness import last_reads, live_totals
from archcalc.errors import ArchcalcError
from archcalc.inputs.resolution import Resolution
from archcalc.inputs.resolution import sides as input_sides
from archcalc.model.graph import INPUT, Graph, Node
from archcalc.model.ops import Op, Shape, numel
from archcalc.model.ops.counting import charges

Side = tuple[int, int]

_PROBE = (3, 5)
_CHECK = (7, 2)


class LevelMismatch(Exception):
    """This configuration cannot be evaluated on levels (a collapse or a merge of unequal sides)."""


@dataclass(frozen=True, slots=True)
class _Tensor:
    coef: int  # channels (maps) or the flattened channel count (vectors)
    level: int
    is_map: bool


@dataclass(slots=True)
class _Level:
    parent: int  # -1: the input level (side r×r) or a constant level
    op: Op | None  # the op taking the parent's side to this one
    channels: int  # a channel count the op accepts (its in_channels for a conv)
    const: Side | None = None


@dataclass(slots=True)
class Plan:
    """Per-α coefficients: every total is ``const + Σ_L coef[L] · area(L)``."""

    levels: list[_Level]
    consts: dict[str, int]
    coefs: dict[str, list[int]]
    checks: list[tuple[Op, tuple[_Tensor, ...]]] = field(default_factory=list)
    tensors: dict[str, _Tensor] = field(default_factory=dict)
    peak: list[tuple[int, tuple[int, ...]]] = field(default_factory=list)
    """Live activation elements per step as (constant, coefficient per level), dominated steps
    removed: the peak is the largest of these at the level areas."""

    def peak_elements(self, sides: list[Side]) -> int:
        """Peak live activation elements (the ``materialize`` rule of :mod:`archcalc.count.memory`)."""
        areas = [h * w for h, w in sides]
        return max(c + sum(map(mul, v, areas)) for c, v in self.peak)

    @property
    def signature(self) -> tuple:
        """The levels' spatial rules, independent of channel counts: equal signatures, equal sides."""
        return tuple((lv.parent, lv.const, lv.op.side_key() if lv.op else None) for lv in self.levels)

    def sides(self, resolution: Resolution) -> list[Side]:
        """The side of every level at input resolution ``resolution``."""
        out: list[Side] = []
        for lv in self.levels:
            if lv.const is not None:
                out.append(lv.const)
            elif lv.op is None:
                out.append(input_sides(resolution))
            else:
                h, w = out[lv.parent]
                try:
                    shape = lv.op.out_shape([(lv.channels, h, w)])
                except ArchcalcError:
                    raise LevelMismatch from None
                out.append((shape[1], shape[2]))
        return out

    def check(self, sides: list[Side]) -> None:
        """Re-check the merges whose inputs sit on different levels (their ``out_shape`` at these sides)."""
        for op, tensors in self.checks:
            try:
                op.out_shape([_shape(t, sides) for t in tensors])
            except ArchcalcError:
                raise LevelMismatch from None

    def totals(self, resolution: Resolution, sides: list[Side] | None = None) -> dict[str, int]:
        """Every total at ``resolution`` (``sides``: this plan's :meth:`sides` there, if known);
        raises :class:`LevelMismatch` where levels do not apply."""
        if sides is None:
            sides = self.sides(resolution)
        self.check(sides)
        areas = [h * w for h, w in sides]
        coefs = self.coefs
        return {k: c + sum(map(mul, coefs[k], areas)) for k, c in self.consts.items()}


def _shape(t: _Tensor, sides: list[Side]) -> Shape:
    h, w = sides[t.level]
    return (t.coef, h, w) if t.is_map else (t.coef * h * w,)


def _affine(
    fn: Callable[[list[Shape], Shape], int],
    ins: tuple[_Tensor, ...],
    out: _Tensor,
    node: Node,
    levels: list[_Level],
    n_levels: int,
) -> tuple[int, dict[int, int]] | None:
    """``fn`` (an op's MAC count) as c₀ + Σ a_L·area(L) over the node's variable levels, or None.

    Probes ``fn`` with every variable level at 1×1, then one level at a time at 3×5; checks the
    result at the node's real shapes and at a third point (7×2 everywhere)."""
    tensors = (*ins, out)
    var = sorted({t.level for t in tensors if levels[t.level].const is None})

    def at(assign: dict[int, Side]) -> int:
        sides = [assign.get(i, levels[i].const or (1, 1)) for i in range(n_levels)]
        return fn([_shape(t, sides) for t in ins], _shape(out, sides))

    base = at({})
    coef: dict[int, int] = {}
    area = _PROBE[0] * _PROBE[1]
    for lv in var:
        diff = at({lv: _PROBE}) - base
        if diff % (area - 1):
            return None
        coef[lv] = diff // (area - 1)
    c0 = base - sum(coef.values())
    check = at(dict.fromkeys(var, _CHECK))
    if check != c0 + sum(a * _CHECK[0] * _CHECK[1] for a in coef.values()):
        return None
    real = fn(node.in_shapes, node.out_shape)
    predicted = c0 + sum(a * numel(_real_side(node, tensors, lv)) for lv, a in coef.items())
    return (c0, coef) if real == predicted else None


def _real_side(node: Node, tensors: tuple[_Tensor, ...], level: int) -> Side:
    shapes = (*node.in_shapes, node.out_shape)
    for t, s in zip(tensors, shapes, strict=True):
        if t.level == level and t.is_map:
            return (s[1], s[2])
    for t, s in zip(tensors, shapes, strict=True):
        if t.level == level:
            return (1, s[0] // t.coef)
    raise AssertionError("level not among the node's tensors")


def _broadcast_gate(op: Op, t: _Tensor, levels: list[_Level]) -> bool:
    """A C×1×1 gate broadcast onto a map (``Op.broadcasts_gate``): valid at every resolution."""
    return op.broadcasts_gate and t.is_map and levels[t.level].const == (1, 1)


_Terms = tuple[int, tuple[int, ...], int, int, int, int]
"""A node's count c₀ and per-variable-level coefficients (MACs, or FLOPs for tf; the plan's
``macs``), weights read, params (convention; 0 where it counts none), weight params, norm params."""
TermCache = dict[tuple, _Terms | None]


def _count_fn(op: Op, conv: Convention) -> Callable[[list[Shape], Shape], int]:
    """The op's count under ``conv`` as a function of its shapes (0 for a convention without one)."""
    if conv.counter is None:
        return lambda ins, out: 0
    if conv.counter in ("paper", "torch"):
        return op.macs
    if conv.counter == "fvcore":
        return op.fvcore_macs
    i = conv.index
    return lambda ins, out: charges(op.tallies(ins, out))[i]


def _node_terms(
    cache: TermCache, conv: Convention, n: Node, ins: tuple[_Tensor, ...], out: _Tensor, levels: list[_Level]
) -> tuple[_Terms, list[int]] | None:
    """A node's constant terms and MAC coefficients (on the returned variable levels), memoised on
    (op, convention, the pattern of its tensors' channels and levels): MACs depend on nothing else."""
    var: list[int] = []
    pattern: list[tuple] = []
    for t in (*ins, out):
        const = levels[t.level].const
        if const is None and t.level not in var:
            var.append(t.level)
        pattern.append((t.coef, t.is_map, const if const is not None else var.index(t.level)))
    op = n.op
    key = (op, conv.name, tuple(pattern))
    if key not in cache:
        got = _affine(_count_fn(op, conv), ins, out, n, levels, len(levels))
        cache[key] = (
            None
            if got is None
            else (
                got[0],
                tuple(got[1].get(lv, 0) for lv in var),
                op.weights_read(),
                conv.params(n) or 0,
                op.weight_params(),
                op.norm_params(),
            )
        )
    hit = cache[key]
    return None if hit is None else (hit, var)


def plan(
    graph: Graph, convention: str = "paper", dtype_bytes: int = 4, cache: TermCache | None = None
) -> Plan | None:
    """The per-α coefficients of ``graph`` (resolved at any resolution), or None where not valid.

    ``cache`` (a dict shared between calls) memoises the MAC probes of ops seen before."""
    cache = {} if cache is None else cache
    conv = get_convention(convention)
    levels: list[_Level] = [_Level(-1, None, graph.input_shape[0])]
    keys: dict[tuple, int] = {}
    tensors: dict[str, _Tensor] = {INPUT: _Tensor(graph.input_shape[0], 0, True)}
    checks: list[tuple[Op, tuple[_Tensor, ...]]] = []

    def level(key: tuple, make: Callable[[], _Level]) -> int:
        if key not in keys:
            keys[key] = len(levels)
            levels.append(make())
        return keys[key]

    node_io: list[tuple[Node, tuple[_Tensor, ...], _Tensor]] = []
    for n in graph:
        op = n.op
        ins = tuple(tensors[i] for i in n.inputs)
        if not ins:
            return None  # a learnt tensor read as data: the full path
        first = ins[0]
        out_shape = n.out_shape
        rule = op.level_rule
        if rule == "window":
            if not first.is_map:
                return None
            if op.keeps_side():
                lv = first.level
            else:
                ch = n.in_shapes[0][0]
                lv = level(
                    (first.level, op.side_key()), lambda op=op, ch=ch, p=first.level: _Level(p, op, ch)
                )
            out = _Tensor(out_shape[0], lv, True)
        elif rule == "fixed":
            if not first.is_map:
                return None
            side = (out_shape[1], out_shape[2])
            out = _Tensor(out_shape[0], level(("const", side), lambda s=side: _Level(-1, None, 0, s)), True)
        elif rule == "same":
            if any(t.is_map != first.is_map for t in ins):
                return None
            if any(t.level != first.level and not _broadcast_gate(op, t, levels) for t in ins):
                checks.append((op, ins))
            out = _Tensor(out_shape[0], first.level, first.is_map) if first.is_map else first
            if not first.is_map and numel(out_shape) != numel(n.in_shapes[0]):
                return None
        elif rule == "flatten":
            out = _Tensor(first.coef, first.level, False)
        elif rule == "vector":
            if first.is_map or levels[first.level].const is None:
                return None  # in_features would depend on the resolution
            out = _Tensor(out_shape[0], level(("const", (1, 1)), lambda: _Level(-1, None, 0, (1, 1))), False)
        else:
            return None
        tensors[n.name] = out
        node_io.append((n, ins, out))

    n_levels = len(levels)
    consts = {k: 0 for k in ("macs", "bytes_read", "bytes_written")}
    coefs = {k: [0] * n_levels for k in consts}
    consts.update(params=0, params_without_bn=0, params_with_bn=0, weight_bytes=0)
    for key in ("params", "params_without_bn", "params_with_bn", "weight_bytes"):
        coefs[key] = [0] * n_levels
    b = dtype_bytes
    macs, read, written = coefs["macs"], coefs["bytes_read"], coefs["bytes_written"]
    const_area = [lv.const[0] * lv.const[1] if lv.const is not None else 0 for lv in levels]
    c_macs = c_read = c_written = c_params = c_wp = c_np = c_w = 0
    for n, ins, out in node_io:
        got = _node_terms(cache, conv, n, ins, out, levels)
        if got is None:
            return None
        (c0, per, w, params, wp, np_), var = got
        c_macs += c0
        for lv, a in zip(var, per, strict=True):
            macs[lv] += a
        c_w += w
        c_params += params
        c_wp += wp
        c_np += np_
        for t in ins:
            if const_area[t.level]:
                c_read += t.coef * const_area[t.level]
            else:
                read[t.level] += b * t.coef
        if const_area[out.level]:
            c_written += out.coef * const_area[out.level]
        else:
            written[out.level] += b * out.coef
    consts.update(
        macs=c_macs,
        bytes_read=b * (c_read + c_w),
        bytes_written=b * c_written,
        params=c_params,
        params_without_bn=c_wp,
        params_with_bn=c_wp + c_np,
        weight_bytes=b * c_w,
    )
    return Plan(levels, consts, coefs, checks, tensors, _live_steps(graph, tensors, levels))


def _live_steps(
    graph: Graph, tensors: dict[str, _Tensor], levels: list[_Level]
) -> list[tuple[int, tuple[int, ...]]]:
    """Per step (one node each), the elements of every live tensor as (constant, per-level coefficients).

    The ``materialize`` rule of :mod:`archcalc.count.memory`, through the same walk
    (:mod:`archcalc.count.liveness`), once per coefficient: tensor T is live at steps first(T)…last(T),
    where first(T) is the node writing it (0 for the image), last(T) its last reader (the final step
    for the graph's output, first(T) for an unread tensor). Steps dominated by another (no larger in
    any coefficient) cannot hold the maximum at any resolution and are dropped."""
    nodes = graph.nodes
    last = last_reads(nodes)

    def slot(t: _Tensor) -> tuple[int, int]:  # slot 0: constant elements; slot L + 1: level L's area
        const = levels[t.level].const
        return (0, t.coef * const[0] * const[1]) if const is not None else (t.level + 1, t.coef)

    placed = [slot(tensors[INPUT]), *(slot(tensors[n.name]) for n in nodes)]
    per_slot: list[list[int]] = []
    for s in range(len(levels) + 1):
        amounts = [a if at == s else 0 for at, a in placed]
        per_slot.append(live_totals(nodes, last, amounts[0], amounts[1:]))
    steps: set[tuple[int, ...]] = set(zip(*per_slot, strict=True))
    kept: list[tuple[int, ...]] = []
    for v in sorted(steps, key=sum, reverse=True):
        if not any(all(a >= b for a, b in zip(w, v, strict=True)) for w in kept):
            kept.append(v)
    return [(v[0], v[1:]) for v in kept]


def matches(plan_: Plan, graph: Graph, other: Graph) -> bool:
    """True when ``other`` (the same network resolved at another resolution) has the same layers
    as ``graph`` and exactly the shapes the plan predicts for it."""
    if len(graph) != len(other) or graph.input_shape[0] != other.input_shape[0]:
        return False
    try:
        sides = plan_.sides(other.input_shape[1])
        plan_.check(sides)
    except LevelMismatch:
        return False
    tensors = plan_.tensors
    for a, o in zip(graph, other, strict=True):
        if a.name != o.name or a.op != o.op or a.inputs != o.inputs:
            return False
        if o.out_shape != _shape(tensors[a.name], sides):
            return False
    return True
