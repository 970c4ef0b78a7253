"""Peak activation memory: which tensors must be live at once when a network runs (MobileNet V2 §5.1).

Pure Python (no torch, no numpy). The graph's nodes are run one after another in the order
:func:`archcalc.model.resolve.resolve` emits them, which is a valid topological order. Ops are grouped
into *steps* by a named rule (below); each step reads some tensors and writes one. With
``first(T)`` the step that writes tensor T (0 for the image ``input``) and ``last(T)`` the last step
that reads it (the final step for the graph's output; ``first(T)`` for a tensor nobody reads):

    live(k) = Σ_{T : first(T) ≤ k ≤ last(T)} |T|  +  workspace(k)
    peak    = max_k live(k) · b                     (b = bytes per element of --dtype)

So while step k runs, its inputs, its output, and every tensor written earlier that a later step
still reads (a residual branch's input held for the add, the branches of a concat, the image until
its last use) are all live. This is eq. 2 of MobileNet V2 §5.1 extended to a DAG: "the maximum total
size of combined inputs and outputs across all operations", plus whatever is held across the op.
|T| counts one sample (batch 1); weights are not activations and are not counted.

The rules (``--rule``), each a refinement of the one before:

``materialize`` (default)
    One step per primitive node: every node writes a new tensor. No op runs in place and nothing is
    fused: a conv, its batch norm and its activation each materialise their output, so a
    conv → BN → act triple has two same-sized tensors live at the BN and at the activation. This is
    what an eager framework without in-place ops allocates (``torch_build.GraphModule`` drops each
    tensor after its last use in the same way).
``fused``
    A batch norm or activation whose input has no other reader is folded into the step that wrote
    that input (conv + BN + act is one op, as inference engines run it; so is add + ReLU). The
    intermediate tensors of the group never exist; the group reads the conv's inputs and writes the
    activation's output. Largest tensors per resolution do not change; the peak does (at a 1×1 conv
    from C to C′ channels it drops from (C′ + C′)·HW to (C + C′)·HW when C < C′).
``streamed``
    ``fused``, and every chain X → A → N → B → Y of MobileNet V2's bottleneck form (§5.1–5.2) is run
    as one step with its inner tensor computed one channel at a time, the t = n split of the
    paper's F(x) = Σ_i (A_i ∘ N ∘ B_i)(x). A is a convolution that is not depthwise (the 1×1
    expansion, or a stem conv), N is a run of per-channel steps that contains exactly one depthwise
    convolution (channel shuffles allowed), B is a convolution that is not depthwise (the
    projection), and every tensor from A's output to B's input has exactly one reader. The chain
    reads X and writes Y; each inner tensor (C×H×W) adds one channel, H·W elements, to the workspace
    while the chain runs, the paper's O(max(s², s′²)) term in |s²k| + |s′²k′| + O(max(s², s′²)).
    Chains are matched greedily in node order and do not overlap (a step absorbed into a chain is
    neither A nor B of another). Inner tensors are not materialised, so they are left out of the
    per-resolution rows. This is what MobileNet V2's Table 3 counts for its V2 column.

The per-resolution rows list, for each spatial size H×W (vectors count as 1×1), the materialised
tensor with the most elements (its channels and bytes): the columns of MobileNet V2 Table 3. The
table's "max" row is the largest of those tensors, :attr:`MemoryReport.largest`, which is not the
peak: the peak adds every tensor live beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

from pydantic import BaseModel, Field

from archcalc.count.header import TitledConfigured
from archcalc.count.liveness import last_reads, live_totals
from archcalc.dtypes import dtype_bytes
from archcalc.errors import ArchcalcError
from archcalc.model.graph import INPUT, Graph, Node
from archcalc.model.resolve import Resolved

RULES: dict[str, str] = {
    "materialize": "every node materialises its output (no in-place ops, no fusion)",
    "fused": "BN and activations fused into the op that feeds them (conv + BN + act is one op)",
    "streamed": (
        "fused, and each conv → depthwise → conv bottleneck streamed one inner channel at a time "
        "(MobileNet V2 §5.2); its inner tensors are never materialised"
    ),
}
"""The liveness rules, by name, with a one-line description of each."""


def check_rule(rule: str) -> str:
    if rule not in RULES:
        raise ArchcalcError(f"--rule {rule!r} is not known; choose one of {', '.join(RULES)}")
    return rule


# ---------------------------------------------------------------------------------------------
# Steps: what runs as one op under a rule.


@dataclass(slots=True)
class _Step:
    nodes: list[Node]
    inputs: tuple[str, ...]  # the tensors it reads
    name: str  # the tensor it writes
    workspace: int = 0  # elements held besides materialised tensors (streamed inner channels)
    streamed: list[str] = field(default_factory=list)


def _readers(graph: Graph) -> dict[str, int]:
    """Number of nodes that read each tensor (a node reading a tensor twice counts once)."""
    count: dict[str, int] = {}
    for n in graph.nodes:
        for t in set(n.inputs):
            count[t] = count.get(t, 0) + 1
    return count


def _steps(graph: Graph, rule: str) -> list[_Step]:
    steps: list[_Step] = []
    if rule == "materialize":
        return [_Step([n], n.inputs, n.name) for n in graph.nodes]
    readers = _readers(graph)
    writer: dict[str, _Step] = {}
    for n in graph.nodes:
        src = n.inputs[0] if n.inputs else INPUT  # a parameter reads nothing
        if n.op.fuses_into_producer and src != INPUT and readers.get(src, 0) == 1:
            s = writer.pop(src)
            s.nodes.append(n)
            s.name = n.name
        else:
            s = _Step([n], n.inputs, n.name)
            steps.append(s)
        writer[n.name] = s
    if rule == "streamed":
        steps = _stream(steps, readers)
    return steps


def _stream(steps: list[_Step], readers: dict[str, int]) -> list[_Step]:
    """Merge each A → N → B bottleneck chain (see the module docstring) into one step."""
    by_read: dict[str, int] = {}  # tensor → index of the (single) step reading it
    for i, s in enumerate(steps):
        for t in s.inputs:
            by_read[t] = i
    out: list[_Step] = []
    absorbed: set[int] = set()
    for i, a in enumerate(steps):
        if i in absorbed:
            continue
        chain = _chain_from(i, steps, readers, by_read, absorbed)
        if chain is None:
            out.append(a)
            continue
        inner = [steps[j] for j in chain[:-1]]
        b = steps[chain[-1]]
        step = _Step(
            [n for j in chain for n in steps[j].nodes],
            a.inputs,
            b.name,
            workspace=sum(prod(s.nodes[-1].out_shape[1:]) for s in inner),
            streamed=[n.name for s in inner for n in s.nodes],
        )
        absorbed.update(chain[1:])
        out.append(step)  # run where A ran: X is available there, and nothing else feeds the chain
    return out


def _chain_from(
    i: int, steps: list[_Step], readers: dict[str, int], by_read: dict[str, int], absorbed: set[int]
) -> list[int] | None:
    """Indices [A, N…, B] of a streamable chain starting at step i, or None (the ops say what they
    are: ``Op.streams_channels`` for A and B, ``Op.per_channel`` and ``Op.is_depthwise`` for N)."""
    a = steps[i]
    if not a.nodes[0].op.streams_channels:
        return None
    chain = [i]
    depthwise = 0
    cur = a
    while True:
        if readers.get(cur.name, 0) != 1 or cur.name not in by_read:
            return None
        j = by_read[cur.name]
        if j in absorbed or j <= chain[-1]:
            return None
        nxt = steps[j]
        head = nxt.nodes[0]
        chain.append(j)
        if head.op.streams_channels:
            return chain if depthwise == 1 and len(nxt.inputs) == 1 else None
        if not all(n.op.per_channel for n in nxt.nodes) or len(nxt.inputs) != 1:
            return None
        depthwise += sum(n.op.is_depthwise for n in nxt.nodes)
        cur = nxt


# ---------------------------------------------------------------------------------------------
# Liveness.


def _live_per_step(graph: Graph, steps: list[_Step]) -> tuple[list[int], dict[str, int]]:
    """Elements live at each step (workspace included), and the last step reading each tensor
    (:mod:`archcalc.count.liveness`)."""
    last = last_reads(steps)
    sizes = [prod(s.nodes[-1].out_shape) for s in steps]
    live = live_totals(steps, last, prod(graph.input_shape), sizes)
    return [x + s.workspace for x, s in zip(live, steps, strict=True)], last


def peak_activation_bytes(graph: Graph, dtype_bytes: int, rule: str = "materialize") -> int:
    """Peak live activation bytes of ``graph``: max over steps of Σ live tensor elements · dtype_bytes.

    Plain ints throughout (no pydantic); see the module docstring for the live set and the rules.
    Under ``materialize`` the steps are the nodes themselves (no :class:`_Step` objects are made:
    the sweep calls this per configuration); ``tests/test_speed_paths.py`` checks it against
    :func:`memory_report`, which builds the steps, on every built-in network.
    """
    if rule == "materialize":
        nodes = graph.nodes
        sizes = [prod(n.out_shape) for n in nodes]
        return max(live_totals(nodes, last_reads(nodes), prod(graph.input_shape), sizes)) * dtype_bytes
    live, _ = _live_per_step(graph, _steps(graph, check_rule(rule)))
    return max(live) * dtype_bytes


# ---------------------------------------------------------------------------------------------
# The report.


class LiveTensor(BaseModel):
    name: str = Field(description="the node that wrote it (`input` for the image)")
    shape: list[int]
    bytes: int


class ResolutionRow(BaseModel):
    """The largest materialised tensor at one spatial size (a column cell of MobileNet V2 Table 3)."""

    height: int
    width: int
    channels: int = Field(description="channels of the largest tensor at this size")
    bytes: int = Field(description="its size in bytes at the report's dtype")
    tensor: str = Field(description="the node that writes it")
    tensors: int = Field(description="materialised tensors at this size")


class MemoryReport(TitledConfigured):
    """Largest tensor per spatial resolution and the peak of live activations, at one dtype and rule."""

    dtype: str
    dtype_bytes: int
    rule: str = Field(description="materialize | fused | streamed")
    rule_text: str
    rows: list[ResolutionRow] = Field(description="one per spatial size, largest first")
    largest: LiveTensor = Field(description="the largest materialised tensor (Table 3's max row)")
    peak_bytes: int = Field(description="max over steps of the bytes of every live tensor")
    peak_step: list[str] = Field(description="the node(s) run as the step where the peak occurs")
    peak_live: list[LiveTensor] = Field(description="the tensors live at the peak")
    peak_workspace_bytes: int = Field(description="streamed inner channels held at the peak")
    streamed_tensors: int = Field(description="tensors never materialised under the rule")


def _spatial(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) >= 3:
        return shape[1], shape[2]
    return 1, 1


def memory_report(resolved: Resolved, dtype: str = "fp32", rule: str = "materialize") -> MemoryReport:
    """The per-resolution largest tensors and the peak of ``resolved`` at ``dtype`` under ``rule``."""
    b = dtype_bytes(dtype)
    check_rule(rule)
    graph = resolved.graph
    steps = _steps(graph, rule)
    live, last = _live_per_step(graph, steps)
    shapes: dict[str, tuple[int, ...]] = {INPUT: graph.input_shape}
    shapes.update((s.name, s.nodes[-1].out_shape) for s in steps)
    size = {t: prod(shape) for t, shape in shapes.items()}
    first = {INPUT: 0} | {s.name: j for j, s in enumerate(steps)}

    rows: dict[tuple[int, int], ResolutionRow] = {}
    largest = INPUT
    for t, shape in shapes.items():
        hw = _spatial(shape)
        row = rows.get(hw)
        if row is None:
            rows[hw] = ResolutionRow(
                height=hw[0], width=hw[1], channels=shape[0], bytes=size[t] * b, tensor=t, tensors=1
            )
        else:
            row.tensors += 1
            if size[t] * b > row.bytes:
                row.channels, row.bytes, row.tensor = shape[0], size[t] * b, t
        if size[t] > size[largest]:
            largest = t

    k = max(range(len(live)), key=live.__getitem__)
    held = [t for t in shapes if first[t] <= k <= last.get(t, first[t])]

    def tensor(t: str) -> LiveTensor:
        return LiveTensor(name=t, shape=list(shapes[t]), bytes=size[t] * b)

    return MemoryReport(
        **MemoryReport.header(resolved),
        dtype=dtype,
        dtype_bytes=b,
        rule=rule,
        rule_text=RULES[rule],
        rows=sorted(rows.values(), key=lambda r: (-r.height * r.width, -r.height)),
        largest=tensor(largest),
        peak_bytes=live[k] * b,
        peak_step=[n.name for n in steps[k].nodes],
        peak_live=[tensor(t) for t in held],
        peak_workspace_bytes=steps[k].workspace * b,
        streamed_tensors=sum(len(s.streamed) for s in steps),
    )
