"""The primitive-op protocol: every primitive layer kind answers the same questions.

A resolved graph is made of primitives only (conv with groups, linear, batch norm, activation,
pooling, add, multiply, concat, flatten …). Each primitive kind is one slotted dataclass, a
subclass of :class:`Op`, and every fact about the kind lives on it: its output shape, its
parameters, its multiply-accumulates (MACs) under each counting convention, the weight elements it
reads, its Table 2 category, its torch module, and the class attributes below that the memory
model, the sweep's level engine, the latency model and ``validate`` ask. The base class answers
each with the conservative default, so a new kind overrides only what differs; nothing outside
``archcalc/model/ops/`` branches on kind names. Defining the class registers it in
:data:`PRIMITIVES` (by ``kind``), the one place a layer row's ``kind`` is looked up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from math import prod
from typing import Any, ClassVar, Literal, Protocol

from archcalc.model.ops.counting import Tally, default_fvcore_rule, default_macs_rule

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(C, H, W)`` for maps, ``(F,)`` for vectors."""


def fmt_shape(shape: Shape | list[int]) -> str:
    """``(32, 112, 112)`` → ``32×112×112``."""
    return "×".join(str(d) for d in shape)


def numel(shape: Shape) -> int:
    """Number of elements of one sample's tensor: the product of its dimensions."""
    return prod(shape)


LevelRule = Literal["window", "same", "fixed", "flatten", "vector"]
"""Where the sweep's level engine (:mod:`archcalc.sweeps.levels`) puts an op's output:

``window``  a new level, the input's side through the op's window (:meth:`Op.side_key`,
            :meth:`Op.keeps_side`): conv, windowed pooling;
``same``    the level of the (first) input: element-wise ops, merges, channel plumbing;
``fixed``   a constant side whatever the resolution (the output shape's own H×W): adaptive pooling;
``flatten`` a vector of the input's elements (channels × the input level's area);
``vector``  a vector of constant size, from a vector of constant size: fully connected.
"""


class LayerRow(Protocol):
    """What :meth:`Op.row_latency_kind` and the kernel-fusion facts (:meth:`Op.joins_kernel`) read
    of a layer row (``closed_form.LayerCost``)."""

    name: str
    kind: str
    category: str
    args: str
    inputs: Sequence[str]
    input_shapes: Sequence[Sequence[int]]
    output_shape: Sequence[int]
    weight_bytes: int


PRIMITIVES: dict[str, type[Op]] = {}
"""Every primitive class by its ``kind``, filled as the classes are defined (``Op.__init_subclass__``)."""


class OnnxSink(Protocol):
    """Where :meth:`Op.onnx_nodes` writes a layer as ONNX (``archcalc.export.onnx`` implements it,
    so the op classes never import onnx)."""

    def node(self, op_type: str, inputs: Sequence[str], output: str, name: str, **attrs: Any) -> str:
        """Append an ONNX node ``op_type`` named ``name`` reading ``inputs``; returns ``output``."""
        ...

    def weight(self, name: str, shape: Shape, role: str = "weight") -> str:
        """A random float32 initializer (role: ``weight`` (He-normal over the fan-in ``shape[1:]``),
        ``bias``, ``scale``, ``mean`` or ``var`` (positive)); returns its name."""
        ...

    def ints(self, name: str, values: Sequence[int]) -> str:
        """An int64 initializer (shapes, slice bounds); returns its name."""
        ...

    def floats(self, name: str, values: Sequence[float]) -> str:
        """A float32 initializer holding constants (a scalar when ``values`` has one element)."""
        ...


class Op:
    """Base class of primitive layer kinds.

    Subclasses are ``@dataclass(slots=True, unsafe_hash=True, repr=False)`` values: never mutated
    after construction, hashed by their fields (the sweep engine memoises on ops). They are not
    ``frozen=True`` because a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, which made building ops a fifth of resolving a network. ``repr=False``
    because :meth:`__repr__` here writes the dataclass repr for every kind (generating one per
    class was 8 M instructions of a cold start); a subclass that lets ``dataclass`` write its own
    gets the same text.

    A subclass that sets ``kind`` is registered in :data:`PRIMITIVES`. The class attributes below
    are the facts other modules ask about a kind; a kind whose answer depends on its arguments
    overrides the attribute with a ``property`` (``Conv2d.is_depthwise``).
    """

    kind: ClassVar[str]
    """The kind's name in layer rows and error messages (``conv2d``, ``activation`` …); unique."""
    n_inputs: ClassVar[int | None] = 1
    """Tensors the op reads; None: any number ≥ 1."""

    # -- the papers' one-row-per-layer view (archcalc.count.views) ----------------------------------
    folds_into_previous: ClassVar[bool] = False
    """In the papers' one-row-per-layer tables (``table --view paper``) this kind has no row of its
    own: it is written into the row of the node whose output it reads (BN and the activation after
    a conv, flatten after the pool). Wider than :attr:`fuses_into_producer`: a reshape folds too."""

    # -- memory rules (archcalc.count.memory) ------------------------------------------------------
    fuses_into_producer: ClassVar[bool] = False
    """One input, a same-shaped output, element by element (batch norm, activations): under the
    ``fused`` and ``streamed`` memory rules the op folds into the step that wrote its input when
    nothing else reads that input."""
    per_channel: ClassVar[bool] = False
    """Output channel i depends on input channel i only, up to a fixed permutation (depthwise
    conv, batch norm, activations, channel shuffle): it may sit inside a streamed bottleneck."""
    is_depthwise: ClassVar[bool] = False
    """A per-channel op with a spatial window (depthwise conv): a streamed bottleneck holds
    exactly one (MobileNet V2 §5.2)."""
    streams_channels: ClassVar[bool] = False
    """Computes each output channel from the whole input, one channel at a time (a conv that is
    not depthwise): it can open or close a streamed bottleneck (A and B of MobileNet V2 §5.2)."""

    # -- the sweep's level engine (archcalc.sweeps.levels) -----------------------------------------
    level_rule: ClassVar[LevelRule | None] = None
    """Where the output's spatial side comes from (see :data:`LevelRule`). None: the engine
    refuses any graph holding this kind and the sweep takes the full path (exact, slower)."""
    broadcasts_gate: ClassVar[bool] = False
    """With level rule ``same``: an input of side 1×1 is broadcast onto any map (the
    squeeze-and-excite multiply), so it never needs re-checking per resolution."""

    # -- the latency model (archcalc.count.latency) -------------------------------------------------
    latency_kind: ClassVar[str | None] = None
    """The device-profile kind the op is priced as (a key of ``archcalc.count.latency.KINDS``).
    None: ``table --latency`` refuses a layer of this kind, naming it. A kind whose profile kind
    depends on its arguments overrides :meth:`row_latency_kind` instead."""

    # -- counting conventions (archcalc.count.conventions) ---------------------------------------
    params_unseen_by: ClassVar[frozenset[str]] = frozenset()
    """The conventions that do not count this kind's parameters although it has some (thop counts
    only the parameters of the torch modules it has a rule for: a bare learnt tensor escapes it)."""

    # -- validate (archcalc.measure.validate) -------------------------------------------------------
    fvcore_skipped: ClassVar[Mapping[str, str]] = {}
    """The aten ops the kind's torch module runs that fvcore has no handle for (it lists them as
    skipped), each with what archcalc counts for it; ``validate`` prints these beside fvcore's list."""

    def __repr__(self) -> str:
        """``Conv2d(in_channels=3, out_channels=32, …)``: what ``dataclass`` writes, for every kind."""
        args = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({args})"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is None:
            return
        prev = PRIMITIVES.get(kind)
        # ``@dataclass(slots=True)`` builds a second class of the same name: it replaces the first.
        if prev is not None and (prev.__module__, prev.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(
                f"primitive kind {kind!r} is defined twice ({prev.__qualname__}, {cls.__qualname__})"
            )
        PRIMITIVES[kind] = cls

    @classmethod
    def row_latency_kind(cls, row: LayerRow) -> str | None:
        """The profile kind of a layer row this class wrote (read from the row, so a report loaded
        from JSON is priced as the one computed): :attr:`latency_kind` unless overridden."""
        return cls.latency_kind

    @classmethod
    def row_window(cls, row: LayerRow) -> tuple[float, float]:
        """(kernel side, input channels per group) of a kernel headed by this layer row, as the
        learned kernel predictor sees them (``archcalc.count.kernels.kernel_features``), read from
        the row this class wrote; (1, 0) for kinds without a window."""
        return 1.0, 0.0

    @classmethod
    def row_groups(cls, row: LayerRow) -> int:
        """The groups a layer row of this kind splits its channels into (1 for kinds without)."""
        return 1

    @classmethod
    def row_torch_native(cls, row: LayerRow, batch: int, threads: int) -> bool:
        """Whether eager torch runs a layer row of this kind at ``batch`` on ``threads`` intra-op
        threads with ATen's own kernel where it has a oneDNN one too (:meth:`Conv2d.row_torch_native`);
        False for kinds without that choice."""
        return False

    @classmethod
    def row_tail_feature(cls, row: LayerRow) -> tuple[str, float] | None:
        """The feature of ``archcalc.count.kernels.FEATURES`` a layer of this kind sets when it runs
        inside another layer's kernel (a fused tail), with its value; None: it sets none."""
        return None

    @classmethod
    def row_fused_pass(cls, row: LayerRow) -> str | None:
        """The pass of its own this layer may make over its kernel's output when it runs fused into
        another layer's kernel (a key, with the kernel's layout, of ``DeviceProfile.fused_passes``,
        which calibration measures); None: it makes none."""
        return None

    def side_key(self) -> tuple:
        """Level rule ``window``: the arguments that decide the output side from the input side (ops
        with equal keys give equal sides)."""
        raise NotImplementedError

    def keeps_side(self) -> bool:
        """Level rule ``window``: the output side equals the input side at every input side."""
        raise NotImplementedError

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        """Output shape for the given input shapes; raises on a mismatch or a collapsed map."""
        raise NotImplementedError

    def weight_params(self) -> int:
        """Learnable conv / linear weights and biases (the papers' parameter count)."""
        return 0

    def bias_params(self) -> int:
        """The bias part of :meth:`weight_params`."""
        return 0

    def norm_params(self) -> int:
        """Learnable normalisation parameters (batch norm γ and β): counted by torch, not papers."""
        return 0

    def buffer_elems(self) -> int:
        """Non-learnable state read at inference (batch norm running mean and variance)."""
        return 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """Multiply-accumulates under the paper convention: conv and linear only."""
        return 0

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """What fvcore's FlopCountAnalysis counts for this op (its default handles).

        The paper count unless a kind says otherwise: fvcore counts conv and linear as the papers
        do, adds batch norm and adaptive average pooling, and skips every other kind (0 MACs in the
        paper count too).
        """
        return self.macs(inputs, out)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """What this op has that some counter counts: (rule, units) pairs (see
        :mod:`archcalc.model.ops.counting`); a counter's figure is Σ units × its charge.

        The default, for a kind that states no rules of its own: its paper MACs, charged 1 by every
        MAC counter and 2 by ``tf``, and whatever fvcore's handle counts beyond them.
        """
        macs = self.macs(inputs, out)
        extra = self.fvcore_macs(inputs, out) - macs
        items: list[Tally] = []
        if macs:
            items.append((default_macs_rule(self.kind), macs))
        if extra:
            items.append((default_fvcore_rule(self.kind), extra))
        return tuple(items)

    def weights_read(self) -> int:
        """Elements of weights and state read by one forward pass (traffic rule)."""
        return self.weight_params() + self.norm_params() + self.buffer_elems()

    def category(self) -> str:
        """The layer-type bucket of MobileNet V1 Table 2 (``Conv 1×1``, ``Fully Connected`` …)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human description of the op's arguments (filter shape, stride …)."""
        return self.kind

    def fold_label(self) -> str:
        """How a row that this op :attr:`folds_into_previous` names it (``relu``, ``BN``)."""
        return self.describe()

    def torch_module(self) -> Any:
        """The equivalent ``torch.nn.Module`` (torch is imported only inside this method)."""
        raise NotImplementedError

    @classmethod
    def joins_kernel(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """Whether layer ``row`` of this kind runs inside ``kernel`` (the layer rows of the kernel that
        wrote its input, head first) on ``backend`` (``torch``: eager, one call per layer, so never;
        ``onnxruntime``: the CPU provider's default graph optimisations). Asked only when that input
        has no other reader (``archcalc.count.kernels``)."""
        return False

    @classmethod
    def folds_constant_into(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """Whether layer ``row``, one of whose inputs is a constant (:meth:`is_constant`), is folded
        by ``backend`` into ``kernel`` (the layer rows of the kernel that wrote its other input, head
        first), i.e. into that kernel's weights. Asked instead of :meth:`joins_kernel` for such a
        layer, and only when that other input has no other reader."""
        return False

    @classmethod
    def is_constant(cls, backend: str, row: LayerRow) -> bool:
        """Whether ``backend`` folds the layer's output into a constant when it loads the model, so
        that no kernel runs it (its readers see a constant input)."""
        return False

    @classmethod
    def joins_sibling(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """Whether layer ``row`` runs inside ``kernel``, an earlier kernel whose head reads exactly
        the same inputs, on ``backend``."""
        return False

    # -- onnxruntime's NCHWc layout (archcalc.count.kernels.assign_layout) --------------------------
    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """Whether onnxruntime's NCHWc transformer (x86; ``block`` = ``MlasNchwcGetBlockSize()``, 16
        with AVX-512, 8 with AVX2) runs a kernel headed by this layer in the blocked NCHWc layout,
        given which of its inputs are already blocked. Default: never; a blocked tensor read by an
        unblocked kernel is converted back by a ``ReorderOutput`` kernel."""
        return False

    @classmethod
    def joins_blocked_only(cls, backend: str, row: LayerRow) -> bool:
        """Whether the layer, once it joined a kernel (:meth:`joins_kernel`) that runs in the blocked
        NCHWc layout, stays in it only when its other inputs are blocked too; else it and the
        layers after it run as kernels of their own."""
        return False

    @classmethod
    def blocked_work_factor(cls, row: LayerRow, block: int) -> float:
        """Run blocked, how many times the layer's own multiply-adds the blocked kernel computes:
        the NCHWc layout pads channels up to a multiple of ``block``, and the kernel computes the
        padding too. Default: 1 (no padded work)."""
        return 1.0

    @classmethod
    def reorders_input(cls, row: LayerRow, block: int) -> bool:
        """Run blocked, whether an unblocked input is converted by a ``ReorderInput`` kernel (True),
        or read as it is (a convolution with fewer than ``block`` input channels)."""
        return True

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """Write the layer as ONNX nodes (opset 17) on ``sink``: reading tensors ``inputs`` (shapes
        ``in_shapes``, without the batch), the last node writing the tensor ``name`` and named
        ``name``; helper nodes are named ``name/…``. Weights are random (``sink.weight``)."""
        from archcalc.errors import ArchcalcError

        raise ArchcalcError(f"layer {name}: op {self.kind!r} has no ONNX export")
