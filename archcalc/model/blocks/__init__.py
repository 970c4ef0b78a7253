"""Row kinds ("blocks"): each has a spec-entry model and an expander into primitive layers.

One module per family of kinds; each registers its kinds with :func:`block`. :data:`KINDS` lists
every kind with the module that defines it, in the order the spec schema's union lists them, so
that a spec's rows import only the modules of the kinds they use (a cold start of ``archcalc
table mobilenet_v2`` imports two of the nine). A new kind is its class and expander in a module
here, plus its line in :data:`KINDS`: ``tests/test_blocks_registry.py`` imports every module and
checks that the table lists exactly what they register, in order, and :func:`block` refuses a kind
the table does not place in its module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from archcalc.spec.fields import Entry

Expander = Callable[[Any, Any, Any, str, bool], None]
"""(entry, context, builder, name, first_repeat) → appends the block's primitives to the builder."""

KINDS: dict[str, str] = {
    # basic.py: the layers of the 2014–2017 papers' tables
    "conv": "basic",
    "dwsep": "basic",
    "pool": "basic",
    "global_pool": "basic",
    "adaptive_pool": "basic",
    "flatten": "basic",
    "linear": "basic",
    "fire": "fire",
    "inception": "inception",
    "inverted_residual": "inverted_residual",
    "widen": "inverted_residual",
    "uib": "mobilenetv4",
    "fused_ib": "mobilenetv4",
    "mobile_mqa": "mobilenetv4",
    # primitives.py: one primitive layer per row (what the importers write)
    "conv2d": "primitives",
    "conv_transpose2d": "primitives",
    "batchnorm2d": "primitives",
    "layernorm": "primitives",
    "activation": "primitives",
    "softmax": "primitives",
    "mean": "primitives",
    "upsample": "primitives",
    "add": "primitives",
    "mul": "primitives",
    "concat": "primitives",
    "matmul": "primitives",
    "split": "primitives",
    "shuffle": "primitives",
    "reshape": "primitives",
    "transpose": "primitives",
    "scalar": "primitives",
    "identity": "primitives",
    "parameter": "primitives",
    "bottleneck": "resnet",
    "shuffle_v1_stem": "shufflenet",
    "shuffle_v1": "shufflenet",
    "shuffle_v2": "shufflenet",
    "sepconv": "xception",
    "xception": "xception",
}
"""Every row kind → the module of this package that defines it, in the schema's order."""


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    entry: type[Entry]
    expand: Expander


_REGISTERED: dict[str, Block] = {}


def block(entry: type[Entry]) -> Callable[[Expander], Expander]:
    """Register ``entry`` (whose ``kind`` field is a one-value Literal) with the decorated expander."""

    def register(expand: Expander) -> Expander:
        (kind,) = get_args(entry.model_fields["kind"].annotation)
        module = entry.__module__.rpartition(".")[2]
        if KINDS.get(kind) != module:
            raise RuntimeError(
                f"block kind {kind!r} ({module}.py) needs its line in KINDS "
                f'(archcalc/model/blocks/__init__.py): "{kind}": "{module}"'
            )
        if kind in _REGISTERED:
            raise RuntimeError(f"block kind {kind!r} is registered twice")
        _REGISTERED[kind] = Block(kind, entry, expand)
        return expand

    return register


class _Blocks(Mapping[str, Block]):
    """``kind`` → :class:`Block`, importing the kind's module the first time it is asked for.

    Iterating, ``len`` and ``in`` read :data:`KINDS` and import nothing."""

    def __getitem__(self, kind: str) -> Block:
        found = _REGISTERED.get(kind)
        if found is None:
            importlib.import_module(f"{__name__}.{KINDS[kind]}")
            found = _REGISTERED[kind]
        return found

    def __contains__(self, kind: object) -> bool:
        return kind in KINDS

    def __iter__(self) -> Iterator[str]:
        return iter(KINDS)

    def __len__(self) -> int:
        return len(KINDS)


BLOCKS: Mapping[str, Block] = _Blocks()
"""Every row kind's :class:`Block`, in :data:`KINDS`'s order; a kind's module is imported on first use."""


def import_all() -> None:
    """Import every module of this package (what the spec schema's union of every kind needs), so
    that a module with a kind missing from :data:`KINDS` is found."""
    for name in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        importlib.import_module(f"{__name__}.{name}")
