"""The header every result of one network starts with: which network, at which α, resolution and knobs.

The result models (``Report``, ``MemoryReport``, ``SizeReport``, ``Reconciliation``,
``LatencyPrediction``, ``Validation``, ``Timing``, ``Sweep``, ``Fit``) inherit these fields instead
of declaring them, and are filled by :meth:`OfNetwork.header` from a resolved network or from
another result.

Pydantic lists inherited fields first, in the order the class hierarchy declares them (the most
basic class first; of two bases, the right one first), then the class's own. The facets below are
arranged so that every result keeps the key order its JSON has always had:

=====================  ==========================================  ===================================
class                  header keys                                 results
=====================  ==========================================  ===================================
``AtSetting``          network, alpha, resolution                  ``LatencyPrediction``
``Configured``         network, alpha, resolution, knobs           ``Validation``, ``Timing``
``TitledConfigured``   network, title, alpha, resolution, knobs    ``MemoryReport``, ``SizeReport``,
                                                                   ``Reconciliation``
``SourcedConfigured``  network, title, source, alpha, resolution,  ``Report``
                       knobs
``GridHeader``         network, title, knobs, convention,          ``Sweep``, ``Fit``
                       macs_rule, params_rule, dtype
=====================  ==========================================  ===================================

``tests/test_result_headers.py`` checks these orders.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from archcalc.model.resolve import Resolved

Knobs = dict[str, bool | int | float | str]
"""Every knob's value, as a result reports it."""


class OfNetwork(BaseModel):
    """A result of one network: its spec ``name``."""

    network: str

    @classmethod
    def header(cls, source: Resolved | OfNetwork) -> dict[str, Any]:
        """The header fields this model has, from a resolved network or from another result."""
        keys = _header_keys(cls)
        if isinstance(source, OfNetwork):
            return {k: getattr(source, k) for k in keys}
        spec = source.spec
        values = {
            "network": spec.name,
            "title": spec.title,
            "source": spec.source,
            "alpha": source.alpha,
            "resolution": source.resolution,
            "knobs": dict(source.knobs),
        }
        return {k: values[k] for k in keys if k in values}


class Titled(OfNetwork):
    """… and its title."""

    title: str


class Sourced(Titled):
    """… and the source its layer table follows."""

    source: str


class AtSetting(OfNetwork):
    """… at one width multiplier and input side."""

    alpha: float
    resolution: int | tuple[int, int] = Field(
        description="input side in pixels, or (height, width) when the input is not square"
    )


class Configured(AtSetting):
    """… and knob values: one configuration."""

    knobs: Knobs


class TitledConfigured(Configured, Titled):
    """network, title, alpha, resolution, knobs."""


class SourcedConfigured(Configured, Sourced):
    """network, title, source, alpha, resolution, knobs."""


class GridHeader(Titled):
    """A grid of configurations of one network at one set of knobs, labelled with its convention."""

    knobs: Knobs
    convention: str = Field(description="convention of every `macs` and `params` below")
    macs_rule: str | None = Field(description="what the count counts (null: the convention counts none)")
    params_rule: str | None = Field(description="which parameters (null: the convention counts none)")
    dtype: str


HEADER_KEYS = (
    *("network", "title", "source", "alpha", "resolution", "knobs"),
    *("convention", "macs_rule", "params_rule", "dtype"),
)
"""The fields :meth:`OfNetwork.header` copies from one result to another (a resolved network gives
the first six)."""


@cache
def _header_keys(cls: type[OfNetwork]) -> tuple[str, ...]:
    return tuple(k for k in HEADER_KEYS if k in cls.__pydantic_fields__)
