"""Which layers a backend runs as one kernel, and what such a kernel costs (pure Python).

A *kernel* is what a runtime actually launches: in eager torch every primitive layer is its own
call; onnxruntime's CPU provider, with its default graph optimisations, folds batch norm into the
convolution before it, adds a residual inside the convolution that writes one of its inputs, and
applies ReLU, ReLU6, h-swish, h-sigmoid or sigmoid inside the convolution's kernel. Which layer
joins which kernel is a fact about the layer's kind, so each op class states it
(``Op.joins_kernel``); :func:`group_kernels` only walks the layers in order and asks.

A layer joins the kernel that wrote one of its inputs (tried in order) when that input has no
other reader and the layer's class says yes (``Op.joins_kernel``; for a layer with a constant
input, ``Op.folds_constant_into``: onnxruntime folds a layer scale γ into the convolution's
weights); else it may join a kernel whose head reads the same inputs (``Op.joins_sibling``:
onnxruntime runs sibling channel slices as one ``Split``). A layer the backend folds into a
constant at load (``Op.is_constant``: onnxruntime's constant folding of a learnt tensor) is no
kernel. A kernel's cost is that of one pass:

    MACs      = Σ MACs of its layers
    read      = the head's input activations + every other input not written inside the kernel
                (a fused residual) + Σ weights
    written   = the last layer's output (intermediates never reach memory)

Kernel *types* are the latency kinds of their heads (``archcalc.count.latency.KINDS``): a
``pointwise`` kernel may carry a batch norm, an activation and a residual add, which the features
of :func:`kernel_features` record.

**Layout (onnxruntime on x86).** onnxruntime's NCHWc transformer runs convolutions and pooling whose
channels suit its block size (16 with AVX-512, 8 with AVX2) in the blocked NCHWc layout, keeps
element-wise kernels whose inputs are all blocked in it, and converts at the borders: a
``ReorderInput`` kernel before a blocked kernel reading an NCHW tensor (once per tensor), a
``ReorderOutput`` kernel after a blocked tensor that an unblocked kernel reads (once per tensor).
Which layer runs blocked is a fact about its kind (``Op.runs_blocked``, ``Op.reorders_input``);
:func:`assign_layout` walks the kernels in order, marks each ``blocked`` and gives each reorder to
the kernel it converts for (a ``ReorderInput`` to its reader, a ``ReorderOutput`` to the writer),
as bytes read and written. A blocked and an unblocked depthwise convolution are different code
(the unblocked one several times slower), so the layout is a feature of the kernel too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from archcalc.count.closed_form import LayerCost
from archcalc.errors import ArchcalcError
from archcalc.model.ops import PRIMITIVES

Backend = Literal["torch", "onnxruntime"]
BACKENDS: tuple[str, ...] = ("torch", "onnxruntime")


def check_backend(backend: str) -> str:
    """``backend`` if it is one of :data:`BACKENDS`, else a one-line error naming ``--backend``."""
    if backend not in BACKENDS:
        raise ArchcalcError(f"--backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    return backend


@dataclass(slots=True, frozen=True)
class Reorder:
    """A layout reorder kernel onnxruntime runs: ``ReorderInput`` (``into_blocked``) of tensor
    ``tensor`` (a layer's name, or the graph input) into NCHWc, or ``ReorderOutput`` of it back to
    NCHW; bytes per sample."""

    tensor: str
    into_blocked: bool
    read: int
    written: int


@dataclass(slots=True)
class Kernel:
    """Layers run as one kernel: ``layers[0]`` is the head (its name names the kernel)."""

    layers: list[LayerCost] = field(default_factory=list)
    blocked: bool = False
    """Runs in onnxruntime's blocked NCHWc layout (:func:`assign_layout`)."""
    reorders: list[Reorder] = field(default_factory=list)
    """The layout reorder kernels run for this kernel (onnxruntime; :func:`assign_layout`)."""
    block: int = 0
    """The NCHWc block size it runs blocked with (0: not blocked; :func:`assign_layout`)."""

    @property
    def name(self) -> str:
        return self.layers[0].name

    @property
    def head(self) -> LayerCost:
        return self.layers[0]

    @property
    def macs(self) -> int:
        return sum(x.macs for x in self.layers)

    @property
    def priced_macs(self) -> float:
        """The multiply-adds the head runs: its MACs, times its op class's padded work when the
        kernel runs blocked (``Op.blocked_work_factor``: channels padded to the NCHWc block)."""
        h = self.head
        macs = float(h.macs or 0)
        if self.blocked and self.block > 0:
            macs *= PRIMITIVES[h.kind].blocked_work_factor(h, self.block)
        return macs

    @property
    def weight_bytes(self) -> int:
        return sum(x.weight_bytes for x in self.layers)

    @property
    def bytes_written(self) -> int:
        """Outputs that leave the kernel: every layer's output not read inside it (a chain: the
        last layer's; sibling slices fused into one split: each slice's)."""
        read_inside = {i for x in self.layers for i in x.inputs}
        return sum(x.bytes_written for x in self.layers if x.name not in read_inside)

    @property
    def activation_bytes_read(self) -> int:
        """Activations read from memory: each input tensor not written inside the kernel, once."""
        inside = {x.name for x in self.layers}
        seen: dict[str, int] = {}
        for x in self.layers:
            elems = [math.prod(s) for s in x.input_shapes]
            per = (x.bytes_read - x.weight_bytes) / max(sum(elems), 1)  # bytes per element
            for i, e in zip(x.inputs, elems, strict=True):
                if i not in inside and i not in seen:
                    seen[i] = round(per * e)
        return sum(seen.values())

    def moved_bytes(self, batch: int = 1) -> int:
        """bytes(B) = B·(activations read + written) + weights."""
        return batch * (self.activation_bytes_read + self.bytes_written) + self.weight_bytes


def group_kernels(layers: Sequence[LayerCost], backend: str, block: int = 0) -> list[Kernel]:
    """The kernels ``backend`` runs for ``layers`` (a report's rows, in graph order), in order; on
    onnxruntime with an NCHWc ``block`` size (0: none), with their layout and reorders
    (:func:`assign_layout`)."""
    check_backend(backend)
    readers: dict[str, int] = {}
    for x in layers:
        for i in x.inputs:
            readers[i] = readers.get(i, 0) + 1
    kernels: list[Kernel] = []
    tail_of: dict[str, Kernel] = {}  # a layer's name → its kernel, while that layer is the kernel's last
    heads_on: dict[tuple[str, ...], list[Kernel]] = {}  # input tensors → kernels whose head reads them
    constants: set[str] = set()  # layers the backend folds into constants: no kernel runs them
    for x in layers:
        cls = PRIMITIVES.get(x.kind)
        if cls is None:
            raise ArchcalcError(f"layer {x.name}: unknown op {x.kind!r}")
        if cls.is_constant(backend, x):
            constants.add(x.name)
            continue
        with_constant = any(i in constants for i in x.inputs)
        joined = None
        for i in x.inputs:
            k = tail_of.get(i)
            if k is None or readers.get(i) != 1:
                continue
            if (
                cls.folds_constant_into(backend, x, k.layers)
                if with_constant
                else cls.joins_kernel(backend, x, k.layers)
            ):
                joined = k
                del tail_of[k.layers[-1].name]
                break
        if joined is None:
            joined = next(
                (k for k in heads_on.get(tuple(x.inputs), []) if cls.joins_sibling(backend, x, k.layers)),
                None,
            )
        if joined is None:
            joined = Kernel([x])
            kernels.append(joined)
            heads_on.setdefault(tuple(x.inputs), []).append(joined)
        else:
            joined.layers.append(x)
        tail_of[x.name] = joined
    if backend == "onnxruntime" and block > 0:
        return assign_layout(kernels, block)
    return kernels


def _reorder_bytes(shape: Sequence[int], per_elem: float, block: int) -> tuple[int, int]:
    """(logical bytes, bytes with the channels padded to a multiple of ``block``) of a map."""
    rest = math.prod(shape[1:]) if len(shape) > 1 else 1
    padded = -(-int(shape[0]) // block) * block
    return round(per_elem * shape[0] * rest), round(per_elem * padded * rest)


def assign_layout(kernels: Sequence[Kernel], block: int) -> list[Kernel]:
    """The kernels with their layout: each marked ``blocked``, given the reorders onnxruntime's NCHWc
    transformer inserts for it (module doc), and split where a blocked kernel cannot keep a layer
    whose other inputs are not blocked (``Op.joins_blocked_only``: the residual add), its layers
    from there on then each a kernel of their own."""
    blocked: dict[str, bool] = {}
    writer: dict[str, Kernel] = {}
    shape_of: dict[str, tuple[Sequence[int], float]] = {}
    reordered_in: set[str] = set()
    back: list[str] = []  # blocked tensors an unblocked kernel reads, in order
    out: list[Kernel] = []
    todo = list(kernels)

    def is_blocked(t: str) -> bool:
        """Whether tensor ``t`` is blocked, looking ahead to a kernel not walked yet (the shortcut
        of a residual add is written after the branch whose kernel the add joined)."""
        if t in blocked:
            return blocked[t]
        k = next((k for k in todo if any(x.name == t for x in k.layers)), None)
        if k is None:
            return False
        h = k.head
        return PRIMITIVES[h.kind].runs_blocked(h, [is_blocked(i) for i in h.inputs], block)

    while todo:
        k = todo.pop(0)
        out.append(k)
        for x in k.layers:
            for t, s in zip(x.inputs, x.input_shapes, strict=True):
                if t not in shape_of:
                    shape_of[t] = (s, x.bytes_written / max(math.prod(x.output_shape), 1))
        head = k.head
        cls = PRIMITIVES[head.kind]
        k.blocked = cls.runs_blocked(head, [blocked.get(t, False) for t in head.inputs], block)
        k.block = block if k.blocked else 0
        inside = {x.name for x in k.layers}
        for i, x in enumerate(k.layers[1:], 1):
            others = [t for t in x.inputs if t not in inside]
            if (
                PRIMITIVES[x.kind].joins_blocked_only("onnxruntime", x)
                and k.blocked
                and not all(is_blocked(t) for t in others)
            ):
                todo[:0] = [Kernel([y]) for y in k.layers[i:]]
                del k.layers[i:]
                inside = {y.name for y in k.layers}
                break
        external = [t for x in k.layers for t in x.inputs if t not in inside]
        reads_blocked = k.blocked and cls.reorders_input(head, block)
        if reads_blocked:
            for t in head.inputs:
                if not blocked.get(t, False) and t not in reordered_in:
                    reordered_in.add(t)
                    logical, padded = _reorder_bytes(*shape_of[t], block)
                    k.reorders.append(Reorder(t, True, logical, padded))
        else:  # it reads NCHW (a blocked conv with few input channels: its first input only)
            nchw = external if not k.blocked else head.inputs[:1]
            back += [t for t in dict.fromkeys(nchw) if blocked.get(t, False) and t not in back]
        for x in k.layers:
            blocked[x.name] = k.blocked
            writer[x.name] = k
            shape_of[x.name] = (x.output_shape, x.bytes_written / max(math.prod(x.output_shape), 1))
    if out and out[-1].blocked:  # the graph's output leaves in NCHW
        back.append(out[-1].layers[-1].name)
    for t in back:
        logical, padded = _reorder_bytes(*shape_of[t], block)
        writer[t].reorders.append(Reorder(t, False, padded, logical))
    return out


FEATURES: tuple[str, ...] = (
    "log_macs",
    "log_bytes",
    "log_in_elems",
    "log_out_elems",
    "log_weight_elems",
    "in_channels",
    "out_channels",
    "out_side",
    "kernel_side",
    "stride",
    "group_width",
    "fused_bn",
    "fused_act",
    "fused_add",
    "log_compute_s",
    "log_memory_s",
    "nchwc",
    "channel_pow2",
    "torch_native",
)
"""What the learned predictor of a kernel type sees: sizes (log), shape, the fused tail, and the
two roofline terms of the profile (log seconds), and whether it runs in onnxruntime's blocked
NCHWc layout (always 0 on torch), and ``channel_pow2``: the largest power of two (as its exponent,
at most 6) dividing both the head's input and output channels per group (``Op.row_groups``;
torch's convolutions run a 3×3 of 256 → 256 channels at 56×56 at 127 GMAC/s and one of 264 → 264
at 83; in 8 groups, 256 → 256 at 107 and 264 → 264 at 42: vectors of 16 floats). The head's
kernel side and group width, and the tail's flags,
are the op classes' (``Op.row_window``, ``Op.row_tail_feature``). A predictor reads the features by
name, so one fitted before a feature was added still predicts. ``torch_native``: 1 when eager
torch runs the head with ATen's own kernel rather than oneDNN (``Op.row_torch_native``: at one thread
every 1×1 convolution of stride 1, and a 3×3 on at most 20 480 input elements, which runs at 40
GMAC/s where oneDNN runs its neighbours at 110; the roofline of the dense type spans both)."""


def _side(shape: Sequence[int]) -> int:
    return shape[1] if len(shape) == 3 else 1


def kernel_features(k: Kernel, batch: int, compute_s: float, memory_s: float, threads: int) -> list[float]:
    """The values of :data:`FEATURES` for kernel ``k`` at ``batch`` on ``threads`` intra-op threads
    (roofline terms given)."""
    h = k.head
    in_shape = h.input_shapes[0] if h.input_shapes else [1]
    out = k.layers[-1].output_shape
    ksz, width = PRIMITIVES[h.kind].row_window(h)
    groups = max(PRIMITIVES[h.kind].row_groups(h), 1)
    stride = _side(in_shape) / max(_side(out), 1)
    cin, cout = in_shape[0], out[0]
    tail: dict[str, float] = {}
    for x in k.layers[1:]:
        feature = PRIMITIVES[x.kind].row_tail_feature(x)
        if feature is not None:
            tail.setdefault(*feature)  # the first layer setting a feature decides it
    return [
        math.log1p(batch * k.macs),
        math.log1p(k.moved_bytes(batch)),
        math.log1p(batch * math.prod(in_shape)),
        math.log1p(batch * math.prod(out)),
        math.log1p(k.weight_bytes / 4),
        float(cin),
        float(cout),
        float(_side(out)),
        ksz,
        float(stride),
        width,
        tail.get("fused_bn", 0.0),
        tail.get("fused_act", 0.0),
        tail.get("fused_add", 0.0),
        math.log(max(compute_s, 1e-9)),
        math.log(max(memory_s, 1e-9)),
        float(k.blocked),
        float(min(_pow2(cin // groups), _pow2(cout // groups), 6)),
        float(PRIMITIVES[h.kind].row_torch_native(h, batch, threads)),
    ]


def _pow2(n: int) -> int:
    """The exponent of the largest power of two dividing ``n`` (0 for odd n or n < 1)."""
    return (n & -n).bit_length() - 1 if n > 0 else 0


__all__ = [
    "BACKENDS",
    "FEATURES",
    "Backend",
    "Kernel",
    "Reorder",
    "assign_layout",
    "check_backend",
    "group_kernels",
    "kernel_features",
]
