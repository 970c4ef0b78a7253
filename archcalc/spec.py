"""The spec-file schema (pydantic v2): a network written as data, like its paper's table.

A spec has a ``stem``, a ``body`` and a ``head``, each a list of entries. An entry is one row of
the paper's table: a block ``kind`` with its arguments, a ``repeat`` count and a ``stride`` that
applies to the first repeat only. Any argument typed ``… | $knob`` may name a knob declared under
``knobs``; ``only_if`` / ``unless`` keep or drop a whole row on a boolean knob. ``defaults`` gives
arguments shared by every entry of a kind. The ``width`` rule says how the width multiplier α
scales channel counts; an entry's ``width`` says whether α applies to it at all.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)

KnobRef = Annotated[str, StringConstraints(pattern=r"^\$[A-Za-z_][A-Za-z0-9_]*$")]
"""A reference to a declared knob, written ``$name``."""

PosInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
IntArg = PosInt | KnobRef
BoolArg = StrictBool | KnobRef
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Act = Literal["relu", "relu6", "hswish", "hsigmoid", "sigmoid", "swish", "none"]
WidthMode = Literal["scaled", "fixed", "grow_only"]
"""``scaled``: α applies (width rule); ``fixed``: α never applies (e.g. classifier outputs);
``grow_only``: scaled by max(α, 1), i.e. kept for α < 1 (MobileNet V2's last conv)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Strict):
    """Fields shared by every row: a name, a repeat count and knob conditions."""

    name: Identifier | None = Field(None, description="row name; default: section.index")
    repeat: IntArg = Field(1, description="how many times the row's block is stacked")
    only_if: KnobRef | None = Field(None, description="keep the row only if this bool knob is true")
    unless: KnobRef | None = Field(None, description="drop the row if this bool knob is true")


class ConvEntry(Entry):
    """Convolution + batch norm + activation (a "Conv" row)."""

    kind: Literal["conv"]
    out: IntArg = Field(description="output channels before the width multiplier")
    k: PosInt = Field(3, description="square kernel size D_K")
    stride: IntArg = 1
    padding: Literal["same"] | NonNegInt = Field(
        "same", description="'same' pads d·(k−1)/2 on each side (output = ⌈input/stride⌉ for odd k)"
    )
    dilation: PosInt = 1
    groups: PosInt | Literal["depthwise"] = 1
    bn: StrictBool = True
    act: Act = "relu"
    bias: StrictBool | None = Field(None, description="default: a bias only when there is no BN")
    width: WidthMode = "scaled"

    @model_validator(mode="after")
    def _same_needs_odd_kernel(self) -> ConvEntry:
        if self.padding == "same" and self.k % 2 == 0:
            raise ValueError(f"padding 'same' needs an odd kernel, k is {self.k}; give padding as a number")
        return self


class DwSepEntry(Entry):
    """Depthwise-separable pair: D_K×D_K depthwise conv (stride here) then 1×1 pointwise conv,
    each followed by BN and the activation. ``separable: false`` replaces the pair by one full
    D_K×D_K convolution (MobileNet V1 Table 4's "Conv MobileNet")."""

    kind: Literal["dwsep"]
    out: IntArg
    k: PosInt = 3
    stride: IntArg = 1
    act: Act = "relu"
    separable: BoolArg = True
    width: WidthMode = "scaled"

    @model_validator(mode="after")
    def _odd_kernel(self) -> DwSepEntry:
        if self.k % 2 == 0:
            raise ValueError(
                f"a depthwise-separable pair pads 'same', which needs an odd kernel; k is {self.k}"
            )
        return self


class PoolEntry(Entry):
    """Windowed max or average pooling."""

    kind: Literal["pool"]
    op: Literal["max", "avg"]
    k: PosInt
    stride: PosInt | None = Field(None, description="default: the window size")
    padding: NonNegInt = 0
    ceil_mode: StrictBool = False


class GlobalPoolEntry(Entry):
    """Global (adaptive 1×1) pooling over the whole map."""

    kind: Literal["global_pool"]
    op: Literal["avg", "max"] = "avg"


class FlattenEntry(Entry):
    """C×H×W → C·H·W vector."""

    kind: Literal["flatten"]


class LinearEntry(Entry):
    """Fully connected layer (optionally followed by an activation)."""

    kind: Literal["linear"]
    out: IntArg
    bias: StrictBool = True
    act: Act = "none"
    width: WidthMode = "scaled"


LayerEntry = Annotated[
    ConvEntry | DwSepEntry | PoolEntry | GlobalPoolEntry | FlattenEntry | LinearEntry,
    Field(discriminator="kind"),
]
ENTRY_KINDS: tuple[str, ...] = ("conv", "dwsep", "pool", "global_pool", "flatten", "linear")

KnobValue = StrictBool | StrictInt | StrictFloat | str


class KnobSpec(_Strict):
    """A network-specific switch, set from the CLI with ``--param NAME=VALUE``."""

    default: KnobValue
    choices: list[KnobValue] | None = None
    help: str = ""

    @model_validator(mode="after")
    def _default_in_choices(self) -> KnobSpec:
        if self.choices is not None and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of the choices {self.choices}")
        return self

    @property
    def type_name(self) -> str:
        return type(self.default).__name__


class WidthRule(_Strict):
    """How α scales a channel count c.

    ``truncate``:        max(⌊α·c⌋, min_value)                         (MobileNet V1, eq. 6)
    ``round_divisible``: c' = max(min_value or d, ⌊α·c + d/2⌋ // d · d), plus d if c' < 0.9·α·c
                         (torchvision / TF ``_make_divisible`` with divisor d)
    """

    rule: Literal["truncate", "round_divisible"]
    divisor: PosInt = 8
    min_value: PosInt | None = None


class InputSpec(_Strict):
    channels: PosInt = 3
    resolution: PosInt = Field(224, description="default input side in pixels")


SECTIONS: tuple[str, ...] = ("stem", "body", "head")


class NetworkSpec(_Strict):
    """One network, as data."""

    name: Identifier
    title: str
    source: str = Field(description="paper and table the layout follows")
    input: InputSpec = InputSpec()
    width: WidthRule
    knobs: dict[Identifier, KnobSpec] = {}
    defaults: dict[str, dict[str, Any]] = Field(
        {}, description="arguments applied to every entry of a kind, e.g. {dwsep: {act: relu6}}"
    )
    stem: list[LayerEntry] = []
    body: list[LayerEntry] = []
    head: list[LayerEntry] = []

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("defaults", {}), dict):
            return data
        defaults = data.get("defaults") or {}
        for kind, args in defaults.items():
            if kind not in ENTRY_KINDS:
                raise ValueError(f"defaults: unknown kind {kind!r} (kinds: {', '.join(ENTRY_KINDS)})")
            if not isinstance(args, dict):
                raise ValueError(f"defaults.{kind}: expected a mapping of arguments")
        out = dict(data)
        for section in SECTIONS:
            entries = data.get(section)
            if isinstance(entries, list):
                out[section] = [
                    {**defaults.get(e.get("kind"), {}), **e}
                    if isinstance(e, dict) and isinstance(e.get("kind"), str)
                    else e
                    for e in entries
                ]
        return out

    @model_validator(mode="after")
    def _check_refs(self) -> NetworkSpec:
        names: set[str] = set()
        for section, i, entry in self.entries():
            where = f"{section}.{i}"
            for field, value in entry:
                if isinstance(value, str) and value.startswith("$"):
                    knob = value[1:]
                    if knob not in self.knobs:
                        known = ", ".join(self.knobs) or "none declared"
                        raise ValueError(f"{where}.{field}: unknown knob {value} (knobs: {known})")
            name = entry.name or where
            if name in names:
                raise ValueError(f"{where}.name: {name!r} is used by two rows")
            names.add(name)
        if not self.stem and not self.body and not self.head:
            raise ValueError("the network has no layers (stem, body and head are all empty)")
        return self

    def entries(self) -> list[tuple[str, int, Any]]:
        """Every row as (section, index, entry), in order."""
        return [(s, i, e) for s in SECTIONS for i, e in enumerate(getattr(self, s))]
