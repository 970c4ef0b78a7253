"""The fast path of :func:`archcalc.spec.catalog.validate_spec`: a spec validated without building
the validator of every row kind.

:class:`~archcalc.spec.schema.NetworkSpec` validates ``stem``, ``body`` and ``head`` as lists of a
discriminated union over every row kind (``conv``, ``inverted_residual``, ``fire`` …). pydantic
builds that validator whole, with every kind's schema in it, the first time a spec is validated:
about 55 M instructions, 6 % of ``archcalc table mobilenet_v2 --format json``, for a network that
uses a handful of kinds. :func:`validate` instead validates the data with :class:`RowsByKind`, a
subclass of ``NetworkSpec`` whose three row fields hand each row to its own kind's model (each row
model is ``defer_build``: pydantic builds a kind's validator when a row of that kind first comes),
then copies the validated fields into a ``NetworkSpec`` with ``model_construct``, which validates
nothing a second time. Everything else (fields, defaults, the ``before`` and ``after`` model
validators) is inherited, so it runs exactly as in ``NetworkSpec``.

What it skips: building ``NetworkSpec``'s own validator, and the row kinds the spec does not use.
It only ever *accepts*: anything else (a row that is not a mapping with a known ``kind``, a field
error, a failed knob check, an unexpected exception) returns None, and the caller validates with
``NetworkSpec`` itself, whose error is the one reported. Checked against ``NetworkSpec.model_validate``
by ``tests/test_cold_start.py::test_fast_validation_equals_the_schema`` (every built-in spec: field
values, set fields, dumps) and ``test_fast_validation_refuses_what_the_schema_refuses``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainValidator

from archcalc.model.blocks import BLOCKS
from archcalc.spec.fields import Entry
from archcalc.spec.schema import NetworkSpec, _empty_list


class _NotAccepted(Exception):
    """A row the fast path leaves to ``NetworkSpec``'s own validator."""


def _rows_by_kind(value: Any) -> list[Entry]:
    """A list of plain mappings, each validated by the model of its ``kind``."""
    if type(value) is not list:
        raise _NotAccepted
    rows = []
    for row in value:
        kind = row.get("kind") if type(row) is dict else None
        if type(kind) is not str or kind not in BLOCKS:
            raise _NotAccepted
        rows.append(BLOCKS[kind].entry.model_validate(row))
    return rows


Rows = Annotated[list[Any], PlainValidator(_rows_by_kind)]


class RowsByKind(NetworkSpec):
    """``NetworkSpec`` with each row validated by its own kind's model. Only :func:`validate` uses it."""

    stem: Rows = Field(default_factory=_empty_list)
    body: Rows = Field(default_factory=_empty_list)
    head: Rows = Field(default_factory=_empty_list)


def validate(data: dict[str, Any]) -> NetworkSpec | None:
    """``NetworkSpec.model_validate(data)`` when the fast path accepts ``data``, else None."""
    try:
        fast = RowsByKind.model_validate(data)
    except Exception:  # refused, or anything unusual: NetworkSpec decides, and words the error
        return None
    return NetworkSpec.model_construct(_fields_set=fast.model_fields_set, **dict(fast))
