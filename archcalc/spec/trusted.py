"""A spec rebuilt from data that validated before, without building a single pydantic validator.

The warm start's last shortcut (one of those :mod:`archcalc.cli.startup` lists). The spec cache
(:mod:`archcalc.spec.cache`) stores a built-in spec only *after* it validated, as :func:`dump`
writes it: the validated spec's fields, only those the file set (at every level), by alias. A hit
is rebuilt by :func:`construct`: pydantic's ``model_construct`` ("trusted or pre-validated data")
model by model, each nested model (input, width rule, knobs, rows by their ``kind``, published
figures, sweep grid) from its own mapping, with the same fields set as validation gave.

What it skips: building the validators of ``NetworkSpec``'s models and of the spec's row kinds,
and running them (~30 M instructions of ``archcalc table mobilenet_v2 --format json``), for data
that this archcalc and this pydantic validated from these exact bytes: the cache key holds both
versions and the spec file's SHA-256, and the data's own SHA-256 turns any damage into a miss.
Checked against validation by ``tests/test_cold_start.py::test_a_cached_spec_is_the_validated_spec``
(every built-in spec: equal models, equal fields set in every nested model, equal types of every
value) and ``test_every_builtin_round_trips_through_the_cache``.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from archcalc.model.blocks import BLOCKS
from archcalc.spec.fields import Entry


def dump(value: Any) -> Any:
    """What the cache stores of a validated spec: ``model_dump(by_alias=True, exclude_unset=True)``
    of its plain values, read off the models' fields rather than through ``NetworkSpec``'s
    serializer, which would build the schema of every row kind."""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return {fields[k].alias or k: dump(getattr(value, k)) for k in fields if k in value.model_fields_set}
    if isinstance(value, list):
        return [dump(v) for v in value]
    if isinstance(value, dict):
        return {k: dump(v) for k, v in value.items()}
    return value


def construct(model: type[BaseModel], data: Mapping[str, Any]) -> Any:
    """``model`` from :func:`dump`'s mapping of it, validating nothing; the row base class
    :class:`~archcalc.spec.fields.Entry` stands for the row kind its ``kind`` names."""
    if model is Entry:
        model = BLOCKS[data["kind"]].entry
    values = {}
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key in data:
            values[name] = _value(field.annotation, data[key])
    return model.model_construct(_fields_set=set(values), **values)


def _bare(annotation: Any) -> Any:
    """``annotation`` without its ``Annotated`` wrappers."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    annotation = _bare(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _value(annotation: Any, value: Any) -> Any:
    """``value`` of a field typed ``annotation``: its models constructed, anything else as is."""
    annotation = _bare(annotation)
    origin = get_origin(annotation)
    model = _model(annotation)
    if model is not None:
        return construct(model, value)
    if origin is list and isinstance(value, list):
        (item,) = get_args(annotation)
        return [_value(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = get_args(annotation)
        return {k: _value(item, v) for k, v in value.items()}
    if origin in (Union, types.UnionType) and isinstance(value, dict):
        models = [m for m in map(_model, get_args(annotation)) if m is not None]
        if len(models) == 1:
            return construct(models[0], value)
        if models:
            raise TypeError(f"a mapping for {annotation}: more than one model could hold it")
    return value
