"""What each counter charges for an op: the per-kind rules every convention is a sum of.

An op kind lists the quantities it has that some counter counts (its multiply-adds, its bias adds,
its elements, its channels …) as :class:`Tally` items: a :class:`Rule` (what is counted, and the
charge per unit under each counter) and a number of units. A counter's figure for the op is
Σ units × charge, and a network's figure is that summed over its nodes. The same items, grouped by
rule over a graph, are the ledger of why two counters disagree (``archcalc reconcile``).

The counters, in the order :data:`COUNTERS` lists them (``keras`` counts parameters only, so it
has no entry here):

* ``paper``, ``fvcore``, ``torch``: archcalc's own conventions (see ``archcalc.count.conventions``).
* ``ptflops`` 0.7.5 (default ``pytorch`` backend), ``thop`` 0.1.1, ``torchinfo`` 1.8.0 (total
  mult-adds), ``torchprofile`` 0.1.0: MACs as each tool reports them on the torch model.
* ``tf``: FLOPs as TensorFlow 2.21's profiler counts them on the Keras model (``tf`` is the one
  counter in FLOPs rather than MACs).

A kind that states no rules gets :meth:`Op.tallies`' default: its paper MACs charged 1 by every MAC
counter and 2 by ``tf`` (a multiply and an add), plus whatever fvcore's handle adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

COUNTERS: tuple[str, ...] = (
    "paper",
    "fvcore",
    "torch",
    "ptflops",
    "thop",
    "torchinfo",
    "torchprofile",
    "tf",
)
"""Every counter an op states a charge for, in a fixed order (the index of a charge in a rule)."""

_INDEX = {c: i for i, c in enumerate(COUNTERS)}


@dataclass(frozen=True, slots=True)
class Rule:
    """One countable quantity of an op kind and what each counter charges per unit of it.

    ``what`` names the unit (``"batch norm output element"``); ``charge[i]`` is what counter
    ``COUNTERS[i]`` counts per unit (0: that counter does not count it)."""

    what: str
    charge: tuple[int, ...]

    def of(self, counter: str) -> int:
        """The charge per unit under ``counter``."""
        return self.charge[_INDEX[counter]]


def rule(what: str, **charges: int) -> Rule:
    """A :class:`Rule` charging ``charges[counter]`` per unit (counters not named charge 0)."""
    unknown = set(charges) - set(COUNTERS)
    if unknown:
        raise ValueError(f"rule {what!r}: unknown counters {sorted(unknown)}")
    return Rule(what, tuple(charges.get(c, 0) for c in COUNTERS))


MAC_COUNTERS = {c: 1 for c in COUNTERS if c != "tf"}
"""Every MAC counter at 1 per multiply-add (``tf`` counts 2 FLOPs per multiply-add)."""


@cache
def default_macs_rule(kind: str) -> Rule:
    """A kind's own multiply-adds, counted as the paper counts them by every MAC counter, 2 by tf."""
    return rule(f"{kind} multiply-add", **MAC_COUNTERS, tf=2)


@cache
def default_fvcore_rule(kind: str) -> Rule:
    """What fvcore's handle adds for a kind beyond its paper MACs (fvcore only)."""
    return rule(f"{kind}, as fvcore's handle counts it beyond the multiply-adds", fvcore=1)


Tally = tuple[Rule, int]
"""A rule and how many units of it one node has."""


def charges(tallies: tuple[Tally, ...]) -> tuple[int, ...]:
    """Σ units × charge per counter, in :data:`COUNTERS` order."""
    out = [0] * len(COUNTERS)
    for r, units in tallies:
        if units:
            for i, c in enumerate(r.charge):
                if c:
                    out[i] += c * units
    return tuple(out)
