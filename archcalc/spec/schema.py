"""The spec-file schema (pydantic v2): a network written as data, like its paper's table.

A spec has a ``stem``, a ``body`` and a ``head``, each a list of entries. An entry is one row of
the paper's table: a block ``kind`` with its arguments, a ``repeat`` count and a ``stride`` that
applies to the first repeat only. Any argument typed ``… | $knob`` may name a knob declared under
``knobs``; ``only_if`` / ``unless`` keep or drop a whole row on a boolean knob. ``defaults`` gives
arguments shared by every entry of a kind. The ``width`` rule says how the width multiplier α
scales channel counts; an entry's ``width`` says whether α applies to it at all.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, Union

from pydantic import (
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import CoreSchema

from archcalc.inputs.limits import MAX_ALPHA, MAX_CHANNELS, MAX_RESOLUTION, MAX_SPEC_INT
from archcalc.model.blocks import BLOCKS, import_all
from archcalc.spec.fields import Entry, Identifier, WidthRule
from archcalc.spec.fields import Strict as _Strict

ENTRY_KINDS: tuple[str, ...] = tuple(BLOCKS)


def layer_entry() -> Any:
    """The discriminated union on ``kind`` over every row kind, in :data:`ENTRY_KINDS`' order (it
    imports every module of :mod:`archcalc.model.blocks`)."""
    import_all()
    return Annotated[Union[tuple(BLOCKS[k].entry for k in BLOCKS)], Field(discriminator="kind")]  # noqa: UP007


class _AnyKind:
    """Validates a row as :func:`layer_entry`, whose union pydantic builds only when ``NetworkSpec``'s
    validator or JSON schema is first asked for (``defer_build``), so defining ``NetworkSpec`` imports
    no row kind."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return handler.generate_schema(layer_entry())


LayerEntry = Annotated[Entry, _AnyKind()]
"""A row of any kind (:func:`layer_entry`)."""

KnobValue = StrictBool | Annotated[StrictInt, Field(ge=-MAX_SPEC_INT, le=MAX_SPEC_INT)] | StrictFloat | str
Alpha = Annotated[float, Field(gt=0, le=MAX_ALPHA)]
"""A width multiplier in a spec: 0 < α ≤ 1000, as ``--alpha``."""
Side = Annotated[int, Field(ge=1, le=MAX_RESOLUTION)]
"""An input side (or height, or width) in a spec: 1 … 1,000,000 pixels, as ``--res``."""


def _empty_list() -> list[Any]:
    """``default_factory=list``, but cheap to build: pydantic calls ``inspect.signature`` on a field's
    factory, and for the builtin ``list`` that tokenizes its text signature, compiling tokenize's
    regular expressions (~1.5 % of a cold start, for nothing else)."""
    return []


def _knob_refs(value: object) -> list[str]:
    """Every ``$knob`` string in a field value, looking inside lists and mappings."""
    if isinstance(value, str):
        return [value] if value.startswith("$") else []
    if isinstance(value, list | tuple):
        return [r for v in value for r in _knob_refs(v)]
    if isinstance(value, dict):
        return [r for v in value.values() for r in _knob_refs(v)]
    return []


def knob_key(value: object) -> str:
    """A knob value as a ``sets`` key: ``true`` / ``false``, a number's digits, a string as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


class KnobSpec(_Strict):
    """A network-specific switch, set from the CLI with ``--param NAME=VALUE``.

    ``sets`` derives further values from this knob's value, for rows to read as ``$name``: one
    switch (``layout: keras``) can then change several fields (a stem width, a head width, an
    expansion rule) without the user setting each. Keys are the knob's values as JSON writes them
    (``"true"``, ``"false"``, ``"8"``, ``keras``); every value the knob can take needs one.
    """

    default: KnobValue
    choices: list[KnobValue] | None = None
    help: str = ""
    sets: dict[Identifier, dict[str, KnobValue]] = Field(
        default_factory=dict, description="values rows read as $name, by this knob's value"
    )

    @model_validator(mode="before")
    @classmethod
    def _string_keys(cls, data: Any) -> Any:
        """YAML reads ``true:`` as a bool key; ``sets`` keys are the values' JSON text."""
        if isinstance(data, dict) and isinstance(data.get("sets"), dict):
            data = dict(data)
            data["sets"] = {
                k: {knob_key(v): x for v, x in m.items()} if isinstance(m, dict) else m
                for k, m in data["sets"].items()
            }
        return data

    @model_validator(mode="after")
    def _default_in_choices(self) -> KnobSpec:
        if self.choices is not None and self.default not in self.choices:
            raise ValueError(f"default {self.default!r} is not one of the choices {self.choices}")
        if self.sets:
            values = (
                self.choices
                if self.choices is not None
                else [False, True]
                if isinstance(self.default, bool)
                else None
            )
            if values is None:
                raise ValueError("a knob with `sets` needs `choices` (or a true / false default)")
            want = {knob_key(v) for v in values}
            for name, mapping in self.sets.items():
                if set(mapping) != want:
                    raise ValueError(
                        f"sets.{name}: needs a value for each of {', '.join(sorted(want))}, "
                        f"has {', '.join(sorted(mapping)) or 'none'}"
                    )
        return self

    def derived(self, value: object) -> dict[str, KnobValue]:
        """The values this knob sets when it is ``value``."""
        key = knob_key(value)
        return {name: mapping[key] for name, mapping in self.sets.items()}

    @property
    def type_name(self) -> str:
        return type(self.default).__name__


Convention = Literal[
    "paper", "fvcore", "torch", "ptflops", "thop", "torchinfo", "torchprofile", "tf", "keras"
]
"""The conventions a published figure can be printed under (``archcalc.count.conventions``)."""
Printed = Annotated[str, StringConstraints(pattern=r"^[0-9][0-9,]*(\.[0-9]+)?\s*[KMG]?$", max_length=40)]
"""A figure as printed: ``325M``, ``4.2M``, ``0.31G``, ``1,248,424`` (an exact count)."""


class Setting(_Strict):
    alpha: Alpha = 1.0
    resolution: Side | None = Field(None, description="default: the spec's")
    knobs: dict[str, KnobValue] = Field(default_factory=dict)


class StorageSetting(_Strict):
    """How a printed model size stores its weights (``archcalc size``'s options, as data)."""

    dtype: Literal["fp32", "fp16", "bf16", "int8"] = "fp32"
    bits: Annotated[int, Field(ge=1, le=32)] | None = Field(None, description="cluster-index bits B")
    density: Annotated[float, Field(gt=0, le=1)] = Field(1.0, description="fraction of weights kept")
    index_bits: Annotated[int, Field(ge=1, le=32)] = Field(4, description="relative-index bits I")
    huffman: StrictBool = Field(False, description="compare the Huffman estimate (an estimate)")
    layers: dict[str, dict[str, float]] = Field(
        default_factory=dict, description="per-layer density / bits / index_bits, by row or layer name"
    )


class PublishedSize(_Strict):
    """A printed model size (in megabytes) or compression ratio, at one storage setting.

    ``megabyte`` says which megabyte reproduces the figure (MB = 10^6 bytes, MiB = 2^20 bytes).
    ``ratio`` is the reference size ÷ this size: the reference is ``ratio_to`` (another built-in
    network) dense at fp32, or this network dense at fp32."""

    storage: StorageSetting = Field(default_factory=StorageSetting)
    megabyte: Literal["MB", "MiB"] = "MB"
    mb: Printed | None = Field(None, description="the size as printed, in megabytes")
    mb_unit: Printed | None = None
    ratio: Printed | None = Field(None, description="'510' for '510× smaller'")
    ratio_to: Identifier | None = None
    expect_mb: Printed | None = None
    expect_ratio: Printed | None = None

    @model_validator(mode="after")
    def _something_printed(self) -> PublishedSize:
        if self.mb is None and self.ratio is None:
            raise ValueError("a published size needs mb or ratio")
        return self


class PublishedFigure(_Strict):
    """One published figure (MACs and/or params of one configuration), with its source.

    A figure is reproduced when the count, under the stated convention, rounds to the printed value
    at its printed precision (half a unit of the last printed digit, or ``*_unit`` where the printed
    zeros are not significant, e.g. 15300 M printed to the hundred). ``status: erratum`` marks a
    figure a careful count does not reproduce: ``note`` says why and ``expect_*`` is what the count
    prints as at the same precision.
    """

    source: str = Field(description="paper and table, or implementation and file")
    label: str = Field(description="the row as the source names it, e.g. '0.75 MobileNet-224'")
    setting: Setting = Field(default_factory=Setting)
    macs: Printed | None = None
    params: Printed | None = None
    macs_unit: Printed | None = Field(None, description="precision of `macs` when not its last digit")
    params_unit: Printed | None = None
    macs_convention: Convention = "paper"
    params_convention: Convention = "paper"
    top1: Annotated[float, Field(ge=0, le=100)] | None = Field(
        None, description="ImageNet top-1 accuracy (%) the source reports"
    )
    size: PublishedSize | None = Field(None, description="a model size or compression ratio")
    status: Literal["reproduced", "erratum"] = "reproduced"
    expect_macs: Printed | None = None
    expect_params: Printed | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _erratum_explained(self) -> PublishedFigure:
        expect_size = self.size is not None and (self.size.expect_mb or self.size.expect_ratio)
        if self.status == "erratum" and not (
            self.note and (self.expect_macs or self.expect_params or expect_size)
        ):
            raise ValueError("an erratum needs a note and expect_macs, expect_params or size.expect_*")
        for unit in (self.macs_unit, self.params_unit):
            if unit is not None and not any(c in "123456789" for c in unit):
                raise ValueError(f"a precision unit must be > 0, got {unit!r}")
        if self.macs is None and self.params is None and self.top1 is None and self.size is None:
            raise ValueError("a published figure needs macs, params, top1 or size")
        return self


class InputSpec(_Strict):
    channels: Annotated[int, Field(ge=1, le=MAX_CHANNELS)] = 3
    resolution: Side = Field(224, description="default input side in pixels (a square input)")
    height: Side | None = Field(None, description="default input height (with width: a non-square input)")
    width: Side | None = Field(None, description="default input width (with height)")

    @model_validator(mode="after")
    def _height_with_width(self) -> InputSpec:
        if (self.height is None) != (self.width is None):
            raise ValueError("give height and width together (or resolution for a square input)")
        if self.height is not None and "resolution" in self.model_fields_set:
            raise ValueError("give resolution (a square input) or height and width, not both")
        return self

    @property
    def size(self) -> int | tuple[int, int]:
        """The default input: the side (square) or (height, width)."""
        if self.height is None or self.width is None:
            return self.resolution
        return self.height if self.height == self.width else (self.height, self.width)


class SweepGrid(_Strict):
    """The default search grid of ``archcalc sweep`` / ``budget`` (the configurations the sources
    publish), overridable with ``--alpha`` / ``--res``."""

    alphas: Annotated[list[Alpha], Field(min_length=1)]
    resolutions: Annotated[list[Side], Field(min_length=1)]
    source: str = Field("", description="where the grid comes from")


SECTIONS: tuple[str, ...] = ("stem", "body", "head")


class NetworkSpec(_Strict):
    """One network, as data.

    Its validator is built on first use (``defer_build``): loading a spec by name or path goes through
    :mod:`archcalc.spec.fast_validate`, which builds only the row kinds the spec uses."""

    model_config = ConfigDict(defer_build=True)

    name: Identifier
    title: str
    source: str = Field(description="paper and table the layout follows")
    input: InputSpec = InputSpec.model_construct()  # InputSpec(), without building its validator
    width: WidthRule
    knobs: dict[Identifier, KnobSpec] = Field(default_factory=dict)
    defaults: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="arguments applied to every entry of a kind, e.g. {dwsep: {act: relu6}}",
    )
    stem: list[LayerEntry] = Field(default_factory=_empty_list)
    body: list[LayerEntry] = Field(default_factory=_empty_list)
    head: list[LayerEntry] = Field(default_factory=_empty_list)
    published: list[PublishedFigure] = Field(
        default_factory=_empty_list, description="figures the papers and reference implementations print"
    )
    sweep: SweepGrid | None = Field(None, description="default (α, resolution) grid for sweep / budget")

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
        derived: dict[str, str] = {}
        for knob, k in self.knobs.items():
            for name in k.sets:
                if name in self.knobs or name in derived:
                    other = derived.get(name, name)
                    raise ValueError(f"knobs.{knob}.sets.{name}: {name!r} is already set by {other}")
                derived[name] = f"knobs.{knob}"
        names: set[str] = set()
        for section, i, entry in self.entries():
            where = f"{section}.{i}"
            for field, value in entry.__dict__.items():  # the fields' values (pydantic's iteration, cheaper)
                for ref in _knob_refs(value):
                    if ref[1:] not in self.knobs and ref[1:] not in derived:
                        known = ", ".join([*self.knobs, *derived]) or "none declared"
                        raise ValueError(f"{where}.{field}: unknown knob {ref} (knobs: {known})")
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
