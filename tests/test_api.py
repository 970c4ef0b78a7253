"""The library entry points."""

from __future__ import annotations

import doctest

from test_mobilenet_v1_paper import hand_count

import archcalc
from archcalc.count.closed_form import Report


def test_docstring_example_runs() -> None:
    assert doctest.testmod(archcalc).failed == 0


def test_cost_and_compare_are_functions_even_after_submodule_imports() -> None:
    import archcalc.count.closed_form
    import archcalc.count.designs

    r = archcalc.cost("mobilenet_v1", shallow=True)
    assert isinstance(r, Report) and r.knobs["shallow"] is True
    assert (r.totals.macs, r.totals.params_without_bn) == hand_count(1.0, 224, shallow=True)
    c = archcalc.compare(["dwsep"], dk=3, m=512, n=512, df=14)
    assert c.designs[0].macs == 3 * 3 * 512 * 196 + 512 * 512 * 196
