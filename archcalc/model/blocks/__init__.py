"""Row kinds ("blocks"): each has a spec-entry model and an expander into primitive layers.

One module per family of kinds; each registers its kinds with :func:`block`. Every module in this
package is imported on first use, so a new kind is a new file here and nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, get_args

from archcalc.spec.fields import Entry

Expander = Callable[[Any, Any, Any, str, bool], None]
"""(entry, context, builder, name, first_repeat) → appends the block's primitives to the builder."""


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    entry: type[Entry]
    expand: Expander


BLOCKS: dict[str, Block] = {}


def block(entry: type[Entry]) -> Callable[[Expander], Expander]:
    """Register ``entry`` (whose ``kind`` field is a one-value Literal) with the decorated expander."""

    def register(expand: Expander) -> Expander:
        (kind,) = get_args(entry.model_fields["kind"].annotation)
        if kind in BLOCKS:
            raise RuntimeError(f"block kind {kind!r} is registered twice")
        BLOCKS[kind] = Block(kind, entry, expand)
        return expand

    return register


for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
