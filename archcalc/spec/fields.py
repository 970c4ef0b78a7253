"""Field types and the row base class shared by the spec schema and the block kinds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from archcalc.inputs.limits import MAX_SPEC_INT

KnobRef = Annotated[str, StringConstraints(pattern=r"^\$[A-Za-z_][A-Za-z0-9_]*$")]
"""A reference to a declared knob, written ``$name``."""

PosInt = Annotated[int, Field(ge=1, le=MAX_SPEC_INT)]
"""1 … 2²² (:data:`archcalc.inputs.limits.MAX_SPEC_INT`): every integer in a spec is bounded."""
NonNegInt = Annotated[int, Field(ge=0, le=MAX_SPEC_INT)]
IntArg = PosInt | KnobRef


def _odd(k: int) -> int:
    if k % 2 == 0:
        raise ValueError(f"'same' padding (k−1)/2 on each side needs an odd kernel; k is {k}")
    return k


OddKernel = Annotated[int, Field(ge=1, le=MAX_SPEC_INT), AfterValidator(_odd)]
"""A kernel side for layers that pad 'same' symmetrically, as torch does: odd only."""
BoolArg = StrictBool | KnobRef
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
LayerRef = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")]
"""An earlier row's name (its output), a layer's name inside a row (``block.conv``, ``split.0``),
or ``input`` (the image)."""
Act = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "gelu", "gelu_tanh", "tanh", "none"]
WidthMode = Literal["scaled", "fixed", "grow_only"]
"""``scaled``: α applies (width rule); ``fixed``: α never applies (e.g. classifier outputs);
``grow_only``: scaled by max(α, 1), i.e. kept for α < 1 (MobileNet V2's last conv)."""


ActArg = Act | KnobRef
"""An activation, or a knob whose value is one (``$nonlinearity``)."""
WidthArg = WidthMode | KnobRef
"""A width mode, or a knob whose value is one (``$head_width``)."""
OddKernelArg = OddKernel | KnobRef
"""An odd kernel side, or a knob whose value is one (``$big_kernel``)."""


class Strict(BaseModel):
    """A spec model: unknown fields refused, and no lax conversions — ``true`` is not the number 1,
    ``"3"`` not the number 3, ``3.0`` not an integer; floats are finite (no ``.nan``, ``.inf``).

    Validators are built on first use (``defer_build``): a spec from the cache is rebuilt without
    any (:mod:`archcalc.spec.trusted`), and a validated spec builds those of the models it holds."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True)


class Entry(Strict):
    """Fields shared by every row: a name, where its input comes from, a repeat count and knob
    conditions.

    ``from`` names the tensors the row reads: earlier rows (a row's output is its last layer's),
    layers inside earlier rows, or ``input``. Without it a row reads the previous row's output.
    Rows that combine tensors (add, mul, concat, matmul) take several; every other row one.
    """

    model_config = ConfigDict(populate_by_name=True)
    max_from: ClassVar[int | None] = 1
    """How many tensors ``from`` may name (None: any number ≥ 2)."""
    passes_channels: ClassVar[bool] = False
    """The row's output has its first input's channel count under every α (batch norm, activations,
    pooling, shuffle …); read by :meth:`channel_links`."""

    @classmethod
    def channel_links(
        cls, data: Mapping[str, Any], in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...]
    ) -> tuple[int, ...]:
        """The inputs (by position) whose channel count equals the output's under every α, for a
        row written as ``data`` reading tensors of ``in_shapes`` (batch excluded). The importers
        (:mod:`archcalc.importers.rows`) tie these counts together, so a count α must leave alone
        (the image's, the network's output's) stays fixed through the row. Default: the first input
        when :attr:`passes_channels`, else none; a kind whose answer depends on its arguments
        overrides it."""
        return (0,) if cls.passes_channels and in_shapes else ()

    @classmethod
    def shuffle_step(
        cls, data: Mapping[str, Any], in_shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...]
    ) -> Literal["split", "swap", "merge"] | None:
        """This row's step in a channel shuffle written out as reshape → transpose → reshape, which
        the importers merge into one ``shuffle`` row (:mod:`archcalc.importers.rows`): ``split``
        (C×H×W viewed as g×(C/g)×H×W), ``swap`` (the first two of four dimensions exchanged),
        ``merge`` (viewed back as a map; the importer checks it is the map that was split); None
        (the default) for a row that is no such step."""
        return None

    name: Identifier | None = Field(None, description="row name; default: section.index")
    from_: list[LayerRef] | None = Field(
        None,
        alias="from",
        min_length=1,
        description="the tensors this row reads: earlier rows' or layers' names, or 'input' "
        "(default: the previous row's output)",
    )
    repeat: IntArg = Field(1, description="how many times the row's block is stacked")
    only_if: KnobRef | None = Field(None, description="keep the row only if this bool knob is true")
    unless: KnobRef | None = Field(None, description="drop the row if this bool knob is true")


class WidthRule(Strict):
    """How α scales a channel count c.

    ``truncate``:        max(⌊α·c⌋, min_value)                         (MobileNet V1, eq. 6)
    ``round_divisible``: c' = max(min_value or d, ⌊α·c + d/2⌋ // d · d), plus d if c' < 0.9·α·c
                         (torchvision / TF ``_make_divisible`` with divisor d)
    """

    rule: Literal["truncate", "round_divisible"]
    divisor: PosInt = 8
    min_value: PosInt | None = None
