"""Several networks in one table (``archcalc table A B C``, ``archcalc.compare_networks``), checked
against MobileNet V1 Tables 8 and 9 and the claims the paper's text makes from them."""

from __future__ import annotations

import csv
import io
import json

import pytest

import archcalc
from archcalc.errors import ArchcalcError


def test_table_8_mobilenet_googlenet_vgg16() -> None:
    """§4.7: MobileNet "is nearly as accurate as VGG16 while being 32 times smaller and 27 times
    less compute intensive", and has "more than 2.5 times less computation" than GoogLeNet."""
    c = archcalc.compare_networks(["mobilenet_v1", "googlenet", "vgg16"])
    mobilenet, googlenet, vgg = c.networks
    assert (mobilenet.macs_vs_first, mobilenet.params_vs_first) == (1.0, 1.0)
    assert int(vgg.params_vs_first) == 32 and round(vgg.macs_vs_first) == 27
    assert googlenet.macs_vs_first > 2.5
    assert mobilenet.top1 == 70.6  # Table 8, 1.0 MobileNet-224
    assert vgg.macs == 15_470_264_320 and vgg.macs / mobilenet.macs == vgg.macs_vs_first


def test_table_9_settings_per_network() -> None:
    """§4.7: 0.50 MobileNet-160 has "9.4× less compute than AlexNet" (Krizhevsky et al. 2012)."""
    c = archcalc.compare_networks([("mobilenet_v1", {"alpha": 0.5, "resolution": 160}), "alexnet_2012"])
    small, alexnet = c.networks
    assert (small.alpha, small.resolution, small.top1) == (0.5, 160, 60.2)  # Table 9
    assert small.macs == 76_524_800
    assert 9.4 <= alexnet.macs_vs_first < 9.5


def test_cli_several_networks(cli) -> None:
    args = ["table", "mobilenet_v1", "googlenet", "vgg16", "--summary"]
    rows = list(csv.DictReader(io.StringIO(cli(*args, "--format", "csv").out)))
    assert [r["network"] for r in rows] == ["mobilenet_v1", "googlenet", "vgg16"]
    assert rows[0]["top1"] == "70.6" and float(rows[2]["params_vs_first"]) > 32
    d = json.loads(cli("table", "mobilenet_v1@alpha=0.5,res=160", "alexnet_2012", "--format", "json").out)
    assert d["networks"][0]["resolution"] == 160 and d["networks"][0]["macs"] == 76_524_800
    out = cli(*args).out
    assert "15,470,264,320" in out and "27.20×" in out and "Howard et al. 2017, Tables 4, 6, 7, 8" in out
    knob = json.loads(cli("table", "mobilenet_v1@shallow=true", "mobilenet_v1", "--format", "json").out)
    assert knob["networks"][0]["macs"] == 307_323_392  # Table 5's Shallow MobileNet, 307 M


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["mobilenet_v1", "vgg16", "--traffic"], "--traffic is for one network"),
        (["mobilenet_v1", "vgg16", "--view", "blocks"], "--view is for one network"),
        (["mobilenet_v1@alpha=x", "vgg16"], "alpha must be a number"),
        (["mobilenet_v1@alpha", "vgg16"], "expected NET@NAME=VALUE"),
        (["mobilenet_v1", "vgg16@deep=1"], "vgg16 has no such knob"),
    ],
)
def test_cli_several_networks_errors(cli, args: list[str], fragment: str) -> None:
    r = cli("table", *args)
    assert r.code == 2 and r.out == "" and fragment in r.err and r.err.count("\n") == 1


def test_library_errors() -> None:
    with pytest.raises(ArchcalcError, match="at least one"):
        archcalc.compare_networks([])
    with pytest.raises(ArchcalcError, match="write resolution=160"):
        archcalc.compare_networks([("mobilenet_v1", {"res": 160})])
