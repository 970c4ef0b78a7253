"""Every published figure carried in the built-in specs, checked at its printed precision.

The figures live once, as data, in each spec's ``published`` list; ``archcalc paper NET`` shows the
same checks. An erratum must stay an erratum: the count must print as ``expect_*`` and not as the
published figure, so a fix that silently "reproduces" a known typo fails too.
"""

from __future__ import annotations

import json

import pytest

from archcalc.count.published import check_figures, parse_printed
from archcalc.spec.catalog import builtin_names, load_spec

CASES = [(net, i) for net in builtin_names() for i in range(len(load_spec(net).published))]


@pytest.mark.parametrize("net", builtin_names())
def test_every_network_carries_its_published_figures(net: str) -> None:
    spec = load_spec(net)
    assert spec.published, f"{net} has no published figures"
    assert all(f.source and f.label for f in spec.published)


@pytest.mark.parametrize("net,index", CASES, ids=[f"{n}-{i}" for n, i in CASES])
def test_published_figure(net: str, index: int) -> None:
    spec = load_spec(net)
    one = spec.model_copy(update={"published": [spec.published[index]]})
    for check in check_figures(one):
        assert check.ok, check.model_dump()


def test_printed_precision() -> None:
    assert parse_printed("4.2M").holds(4_249_999) and not parse_printed("4.2M").holds(4_250_001)
    assert parse_printed("569M").holds(568_500_000) and not parse_printed("569M").holds(568_499_999)
    assert parse_printed("1,248,424").holds(1_248_424) and not parse_printed("1,248,424").holds(1_248_425)
    assert parse_printed("15300M", "100M").holds(15_349_999_999)
    assert parse_printed("0.31G").format(312_000_000) == "0.31G"


def test_paper_command(cli) -> None:
    r = cli("paper", "mobilenet_v1", "--format", "json")
    assert r.code == 0
    rows = json.loads(r.out)
    assert {x["status"] for x in rows} == {"reproduced", "erratum"}
    conv = next(x for x in rows if x["label"] == "Conv MobileNet" and x["quantity"] == "MACs")
    assert conv["printed"] == "4866M" and conv["computed_printed"] == "4867M" and conv["ok"]
    assert "classifier" in conv["note"]
