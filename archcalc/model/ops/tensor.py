"""Parameter-free tensor plumbing: flatten, reshape, transpose, add, multiply, concat, slice,
channel shuffle, scalar arithmetic and identity."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import LayerRow, LevelRule, OnnxSink, Op, Shape, fmt_shape, numel
from archcalc.model.ops.counting import Tally, rule
from archcalc.model.ops.linear import broadcast_shapes

ADD_ELEMENT = rule("add output element (per input beyond the first)", tf=1)
"""TF's AddV2; torch's tools see ``a + b`` (not ``torch.add``: ptflops patches only the latter,
torchprofile lists ``aten::add`` as free)."""
MUL_ELEMENT = rule("multiply output element", torchprofile=1, tf=1)
SCALAR_MUL_ELEMENT = rule("multiply-by-a-constant output element", torchprofile=1, tf=1)
SCALAR_OTHER_ELEMENT = rule("add / subtract / divide-by-a-constant output element", tf=1)
"""TF's Mul, AddV2, Sub, RealDiv; torchprofile counts aten::mul only (div, add, sub are free);
ptflops sees the operators (``x * c``), not ``torch.mul``."""
PARAMETER_ELEMENT = rule("learnt tensor element (torchinfo: batch × params)", torchinfo=1)
"""torchprofile counts ``aten::mul`` per output element; TF's Mul; ptflops patches only ``torch.mul``."""


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Flatten(Op):
    """Dimensions ``start`` … ``end`` merged into one: C×H×W → (C·H·W,) by default; ``start=1``
    gives C×(H·W) (the token sequence of a map). Dims exclude the batch.  0 MACs."""

    kind: ClassVar[str] = "flatten"
    folds_into_previous = True
    latency_kind = "view"
    start: int = 0
    end: int = -1

    @property
    def level_rule(self) -> LevelRule | None:  # type: ignore[override]
        """A whole flatten makes a vector (``flatten``); a partial one (tokens) is not leveled."""
        return "flatten" if (self.start, self.end) == (0, -1) else None

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if self.start == 0 and self.end == -1:
            return (numel(shape),)
        n = len(shape)
        a, b = self.start % n if -n <= self.start < n else -1, self.end % n if -n <= self.end < n else -1
        if a < 0 or b < a:
            raise ArchcalcError(f"flatten of dims {self.start}…{self.end} of a {n}-d tensor")
        return (*shape[:a], numel(shape[a : b + 1]), *shape[b + 1 :])

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return "flatten" if (self.start, self.end) == (0, -1) else f"flatten {self.start}…{self.end}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        if (self.start, self.end) == (0, -1):
            return torch_modules.Flatten()
        return torch_modules.FlattenDims(self.start, self.end)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Flatten`` from axis 1 (the batch stays)."""
        if (self.start, self.end) == (0, -1):
            sink.node("Flatten", [inputs[0]], name, name, axis=1)
        else:
            out = self.out_shape(in_shapes)
            sink.node("Reshape", [inputs[0], sink.ints(f"{name}.shape", [0, *out])], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Add(Op):
    """Element-wise sum of equal-shape tensors (residual add), or of shapes that broadcast (a
    side of 1 stretches, as in torch).  0 MACs (fvcore skips aten::add)."""

    kind: ClassVar[str] = "add"
    n_inputs: ClassVar[int | None] = None
    level_rule = "same"
    latency_kind = "elementwise"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::add": "residual add: 0 MACs (paper, fvcore, torch)",
        "aten::add_": "residual add: 0 MACs (paper, fvcore, torch)",
    }

    @classmethod
    def joins_kernel(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime adds a residual inside the convolution that writes one of its two inputs (the
        first such input; the sum input of ``FusedConv`` / the NCHWc conv), after a folded batch norm
        (and a folded constant product, :meth:`Mul.folds_constant_into`) and before any activation."""
        return (
            backend == "onnxruntime"
            and len(row.inputs) == 2
            and kernel[0].kind == "conv2d"
            and all(k.kind in ("conv2d", "batchnorm2d", "mul") for k in kernel)
        )

    @classmethod
    def row_tail_feature(cls, row: LayerRow) -> tuple[str, float]:
        return "fused_add", 1.0

    @classmethod
    def joins_blocked_only(cls, backend: str, row: LayerRow) -> bool:
        """A blocked (NCHWc) convolution takes a residual add only when its other input is blocked
        too (onnxruntime's ``TransformBinary``): Xception's entry blocks, whose other input comes
        from an unblocked max pool, run the add on its own. An unblocked convolution takes it as
        ``FusedConv``'s sum input (ShuffleNet V1's grouped convolutions)."""
        return backend == "onnxruntime"

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """onnxruntime's ``TransformBinary``: an add of blocked tensors with the same channels."""
        return all(inputs_blocked) and len({int(s[0]) for s in row.input_shapes}) == 1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        first = inputs[0]
        if len(inputs) >= 2 and all(s == first for s in inputs):
            return first
        out: Shape | None = first if len(inputs) >= 2 else None
        for s in inputs[1:]:
            out = broadcast_shapes(out, s) if out is not None else None
        if out is None:
            raise ArchcalcError(
                f"add needs equal shapes (or shapes that broadcast), got {', '.join(map(fmt_shape, inputs))}"
            )
        return out

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """(inputs − 1) · output elements."""
        return ((ADD_ELEMENT, (len(inputs) - 1) * numel(out)),)

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Add()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Add`` of two tensors, ``Sum`` of more."""
        sink.node("Add" if len(inputs) == 2 else "Sum", list(inputs), name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Mul(Op):
    """Element-wise product with broadcasting, e.g. a C×1×1 gate onto a C×H×W map
    (squeeze-and-excite scale), either operand first.  0 MACs (fvcore skips aten::mul)."""

    kind: ClassVar[str] = "mul"
    n_inputs: ClassVar[int | None] = 2
    level_rule = "same"
    broadcasts_gate = True
    latency_kind = "elementwise"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::mul": "squeeze-and-excite scale: 0 MACs (paper, fvcore, torch)"
    }

    @classmethod
    def folds_constant_into(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime folds a product by a constant of one value per output channel (C×1×1: a layer
        scale γ) into the convolution that writes the other operand, after a folded batch norm and
        before any residual add or activation (its ``ConvMulFusion``: W' = γ·W, b' = γ·b). A gate
        computed from the data (squeeze-and-excite) is no constant and is not folded."""
        if backend != "onnxruntime" or kernel[0].kind != "conv2d":
            return False
        if any(k.kind not in ("conv2d", "batchnorm2d") for k in kernel):
            return False
        out = [int(d) for d in row.output_shape]
        return len(out) == 3 and any(
            [int(d) for d in s] in ([out[0], 1, 1], [1, 1, 1], [1]) for s in row.input_shapes
        )

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """onnxruntime's ``TransformBinary``: a product of blocked tensors of one shape (a gate
        broadcast onto a map is not: both are reordered back to NCHW)."""
        return all(inputs_blocked) and len({tuple(s) for s in row.input_shapes}) == 1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        a, b = inputs
        out = a if a == b else broadcast_shapes(a, b)
        if out is None:
            raise ArchcalcError(f"mul cannot broadcast {fmt_shape(b)} onto {fmt_shape(a)}")
        return out

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Output elements."""
        return ((MUL_ELEMENT, numel(out)),)

    def category(self) -> str:
        return "Elementwise"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Mul()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Mul`` (the C×1×1 gate broadcasts as in torch)."""
        sink.node("Mul", list(inputs), name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Concat(Op):
    """Concatenation along ``dim`` (default: channels, of maps with equal H×W).  0 MACs."""

    kind: ClassVar[str] = "concat"
    n_inputs: ClassVar[int | None] = None
    latency_kind = "copy"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::cat": "concat: 0 MACs"}
    dim: int = 0

    @classmethod
    def runs_blocked(cls, row: LayerRow, inputs_blocked: Sequence[bool], block: int) -> bool:
        """onnxruntime's ``TransformConcat``: along channels, of blocked maps whose channels are
        each a multiple of ``block``."""
        shapes = [list(s) for s in row.input_shapes]
        along_channels = len(row.output_shape) == 3 and sum(s[0] for s in shapes) == row.output_shape[0]
        return along_channels and all(inputs_blocked) and all(s[0] % block == 0 for s in shapes)

    @property
    def level_rule(self) -> LevelRule | None:  # type: ignore[override]
        """Along channels the output sits on the inputs' level; along other dims it is not leveled."""
        return "same" if self.dim == 0 else None

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        d = self.dim
        if d == 0:
            if len(inputs) < 2 or any(s[1:] != inputs[0][1:] for s in inputs):
                raise ArchcalcError(
                    f"concat needs equal spatial sizes, got {', '.join(map(fmt_shape, inputs))}"
                )
            return (sum(s[0] for s in inputs), *inputs[0][1:])
        n = len(inputs[0])
        if not -n <= d < n:
            raise ArchcalcError(f"concat along dim {d} of a {n}-d tensor")
        d %= n
        if len(inputs) < 2 or any(
            len(s) != n or s[:d] + s[d + 1 :] != inputs[0][:d] + inputs[0][d + 1 :] for s in inputs
        ):
            raise ArchcalcError(
                f"concat along dim {d} needs equal other sizes, got {', '.join(map(fmt_shape, inputs))}"
            )
        return (*inputs[0][:d], sum(s[d] for s in inputs), *inputs[0][d + 1 :])

    def category(self) -> str:
        return "Concat"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Concat(self.dim + 1 if self.dim >= 0 else self.dim)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Concat`` along channels (axis 1)."""
        sink.node("Concat", list(inputs), name, name, axis=self.dim + 1 if self.dim >= 0 else self.dim)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Slice(Op):
    """Elements [start, stop) along ``dim`` (default: channels, ShuffleNet V2's channel split;
    one part of a ``split`` / ``chunk``).  0 MACs."""

    kind: ClassVar[str] = "slice"
    latency_kind = "view"
    start: int
    stop: int
    dim: int = 0

    @property
    def level_rule(self) -> LevelRule | None:  # type: ignore[override]
        """A channel slice sits on its input's level; a slice of a side is not leveled."""
        return "same" if self.dim == 0 else None

    @classmethod
    def joins_sibling(cls, backend: str, row: LayerRow, kernel: Sequence[LayerRow]) -> bool:
        """onnxruntime turns channel slices of one tensor into a single ``Split`` (ShuffleNet V2's
        channel split)."""
        return backend == "onnxruntime" and all(k.kind == "slice" for k in kernel)

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        d = self.dim
        if not -len(shape) <= d < len(shape):
            raise ArchcalcError(f"slice along dim {d} of a {len(shape)}-d tensor")
        d %= len(shape)
        if not 0 <= self.start < self.stop <= shape[d]:
            what = "channel slice" if d == 0 else f"slice along dim {d}"
            raise ArchcalcError(f"{what} [{self.start}, {self.stop}) is outside 0..{shape[d]}")
        return (*shape[:d], self.stop - self.start, *shape[d + 1 :])

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return ("channels" if self.dim == 0 else f"dim {self.dim}") + f" {self.start}:{self.stop}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Slice(self.start, self.stop, self.dim + 1 if self.dim >= 0 else self.dim)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Slice`` of channels [start, stop) on axis 1."""
        starts, ends = sink.ints(f"{name}.starts", [self.start]), sink.ints(f"{name}.ends", [self.stop])
        axis = self.dim + 1 if self.dim >= 0 else self.dim
        sink.node("Slice", [inputs[0], starts, ends, sink.ints(f"{name}.axes", [axis])], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class ChannelShuffle(Op):
    """ShuffleNet's channel shuffle with g groups: reshape to g×(C/g), transpose, flatten.  0 MACs."""

    kind: ClassVar[str] = "shuffle"
    per_channel = True
    level_rule = "same"
    latency_kind = "copy"
    groups: int

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if shape[0] % self.groups:
            raise ArchcalcError(
                f"channel shuffle with {self.groups} groups needs channels divisible by it, got {shape[0]}"
            )
        return shape

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return f"g{self.groups}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.ChannelShuffle(self.groups)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """``Reshape`` to N × g × C/g × H × W, ``Transpose`` the two channel axes, ``Reshape`` back."""
        c, h, w = in_shapes[0]
        split = sink.ints(f"{name}.split_shape", [0, self.groups, c // self.groups, h, w])
        r = sink.node("Reshape", [inputs[0], split], f"{name}/split", f"{name}/split")
        t = sink.node("Transpose", [r], f"{name}/transpose", f"{name}/transpose", perm=[0, 2, 1, 3, 4])
        sink.node("Reshape", [t, sink.ints(f"{name}.shape", [0, c, h, w])], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Reshape(Op):
    """A tensor viewed with another shape (batch excluded; one side may be −1: inferred).  0 MACs.

    The sizes are fixed: at another input resolution or width they no longer fit, and the layer
    is refused (an imported graph's reshapes hold the sizes the graph had when it was imported).
    """

    kind: ClassVar[str] = "reshape"
    latency_kind = "view"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::reshape": "reshape: 0 MACs"}
    shape: tuple[int, ...]

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (x,) = inputs
        n = numel(x)
        known = numel(tuple(d for d in self.shape if d != -1))
        if self.shape.count(-1) > 1 or any(d < -1 or d == 0 for d in self.shape):
            raise ArchcalcError(f"reshape to {list(self.shape)}: sides must be ≥ 1, one may be −1")
        if -1 in self.shape:
            if n % known:
                raise ArchcalcError(f"cannot reshape {fmt_shape(x)} ({n:,} elements) to {list(self.shape)}")
            return tuple(n // known if d == -1 else d for d in self.shape)
        if known != n:
            raise ArchcalcError(
                f"cannot reshape {fmt_shape(x)} ({n:,} elements) to {fmt_shape(self.shape)} "
                f"({known:,}): the sizes were fixed for another input resolution or width"
            )
        return self.shape

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return "→ " + fmt_shape(self.shape)

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Reshape(self.shape)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Reshape`` to N × ``shape`` (0 keeps the batch)."""
        sink.node("Reshape", [inputs[0], sink.ints(f"{name}.shape", [0, *self.shape])], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Transpose(Op):
    """Dimensions permuted (``perm`` excludes the batch: (1, 0) swaps the two sides of a matrix);
    a view in torch.  0 MACs."""

    kind: ClassVar[str] = "transpose"
    latency_kind = "view"
    perm: tuple[int, ...]

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (x,) = inputs
        if sorted(self.perm) != list(range(len(x))):
            raise ArchcalcError(f"permutation {list(self.perm)} does not fit a {len(x)}-d tensor")
        return tuple(x[p] for p in self.perm)

    def category(self) -> str:
        return "Reshape"

    def describe(self) -> str:
        return "perm " + ",".join(map(str, self.perm))

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Permute(self.perm)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Transpose`` with the batch kept first."""
        sink.node("Transpose", [inputs[0]], name, name, perm=[0, *(q + 1 for q in self.perm)])


SCALAR_OPS = ("mul", "div", "add", "sub")


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Scalar(Op):
    """A tensor and a constant: ``x * c``, ``x / c``, ``x + c``, ``x - c`` (attention's 1/√d scale).
    0 MACs (fvcore skips aten::mul / div / add; FlopCounterMode counts none)."""

    kind: ClassVar[str] = "scalar"
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    latency_kind = "elementwise"
    fvcore_skipped: ClassVar[dict[str, str]] = {
        "aten::mul": "x · constant: 0 MACs",
        "aten::div": "x / constant: 0 MACs",
        "aten::add": "x + constant: 0 MACs",
        "aten::sub": "x − constant: 0 MACs",
    }
    op: str
    value: float

    def __post_init__(self) -> None:
        if self.op not in SCALAR_OPS:
            raise ArchcalcError(f"scalar op {self.op!r}: choose one of {', '.join(SCALAR_OPS)}")

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return inputs[0]

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        return ((SCALAR_MUL_ELEMENT if self.op == "mul" else SCALAR_OTHER_ELEMENT, numel(out)),)

    def category(self) -> str:
        return "Elementwise"

    def describe(self) -> str:
        return f"{dict(mul='×', div='÷', add='+', sub='−')[self.op]} {self.value:g}"

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.Scalar(self.op, self.value)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Mul`` / ``Div`` / ``Add`` / ``Sub`` with a scalar constant."""
        c = sink.floats(f"{name}.value", [self.value])
        sink.node(self.op.capitalize(), [inputs[0], c], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Identity(Op):
    """A layer that passes its input through at inference: identity, or dropout (``what``).
    Free: 0 MACs, no parameters, listed so that the graph says where it was."""

    kind: ClassVar[str] = "identity"
    fuses_into_producer = True
    per_channel = True
    level_rule = "same"
    latency_kind = "view"
    what: str = "identity"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return inputs[0]

    def category(self) -> str:
        return "Identity"

    def describe(self) -> str:
        return self.what

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Identity()

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Identity``."""
        sink.node("Identity", [inputs[0]], name, name)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Parameter(Op):
    """A learnt tensor used as data (a layer scale γ, a position embedding, a class token): no
    input, output ``shape`` (batch excluded; it broadcasts over the batch).

    params = numel(shape), counted like batch norm's γ and β: by the ``torch`` and ``fvcore``
    conventions (every learnable parameter), not by the papers' conv + linear count. 0 MACs.
    """

    kind: ClassVar[str] = "parameter"
    params_unseen_by = frozenset({"thop"})  # thop counts the parameters of modules it has a rule for
    n_inputs: ClassVar[int | None] = 0
    latency_kind = "view"
    shape: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.shape or any(d < 1 for d in self.shape):
            raise ArchcalcError(f"a parameter's sides must be ≥ 1, got {list(self.shape)}")

    @classmethod
    def is_constant(cls, backend: str, row: LayerRow) -> bool:
        """onnxruntime folds the ``Identity`` of an initializer away (constant folding): no kernel."""
        return backend == "onnxruntime"

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        return self.shape

    def norm_params(self) -> int:
        return numel(self.shape)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        return ((PARAMETER_ELEMENT, numel(self.shape)),)

    def category(self) -> str:
        return "Parameter"

    def describe(self) -> str:
        return fmt_shape(self.shape)

    def torch_module(self) -> Any:
        from archcalc.measure import torch_modules

        return torch_modules.ParameterTensor(self.shape)

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """The learnt tensor (1 × ``shape``) as an initializer, written by an ``Identity``."""
        w = sink.weight(f"{name}.weight", (1, *self.shape), "bias")
        sink.node("Identity", [w], name, name)
