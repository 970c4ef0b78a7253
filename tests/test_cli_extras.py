"""Small things a new user trips on (issue 16, item 5) and the sweep's top-1 sources as footnotes
(item 7)."""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.util
import io
import json
import re
import warnings
from pathlib import Path

import pytest

import archcalc
from archcalc.errors import ArchcalcError, ArchcalcWarning
from archcalc.spec.catalog import builtin_names

ROOT = Path(__file__).resolve().parent.parent


def test_version(cli) -> None:
    r = cli("--version")
    assert r.code == 0 and r.out == f"archcalc {importlib.metadata.version('archcalc')}\n"


def test_list_honours_format(cli) -> None:
    names = builtin_names()
    rows = list(csv.DictReader(io.StringIO(cli("list", "--format", "csv").out)))
    assert [r["name"] for r in rows] == names
    v1 = next(r for r in rows if r["name"] == "mobilenet_v1")
    assert v1["resolution"] == "224" and "shallow=false" in v1["knobs"] and "1704.04861" in v1["source"]
    md = cli("list", "--format", "markdown").out.splitlines()
    assert md[0] == "| name | title | resolution | knobs | source |" and len(md) == 2 + len(names)
    assert [x["name"] for x in json.loads(cli("list", "--format", "json").out)] == names


def test_missing_torch_names_the_pinned_install(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    pin = next(
        line
        for line in (ROOT / "constraints-test.txt").read_text().splitlines()
        if line.startswith("torch==")
    )
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "fvcore" else real(n, *a))
    r = cli("validate", "mobilenet_v1")
    assert r.code == 2 and r.err.count("\n") == 1
    assert f"pip install {pin} && pip install 'archcalc[validate]'" in r.err


def test_spec_errors_come_all_at_once(cli, tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "name: bad\ntitle: Bad\nsource: a test\ninput: {channels: 3, resolution: 32}\n"
        "width: {rule: truncate}\nstem:\n  - {kind: conv, out: -3, k: 3}\n"
        "body:\n  - {kind: dwsep, out: 32, strid: 2}\n"
        "head:\n  - {kind: linear, out: 10, width: fixed, act: tahn}\n"
    )
    r = cli("table", str(spec))
    assert r.code == 2 and r.out == "" and r.err.count("\n") == 1
    assert "3 problems" in r.err
    for fragment in ("stem.0.out: Input should be greater than or equal to 1", "body.0.strid", "head.0.act"):
        assert fragment in r.err


CLASSIFIER = """
name: tiny
title: Tiny
source: a test
input: {channels: 3, resolution: 32}
width: {rule: truncate}
stem:
  - {kind: conv, out: 16, k: 3}
head:
  - {kind: global_pool}
  - {kind: flatten}
  - {kind: linear, name: fc, out: 10}
"""


def test_scaled_classifier_warns(cli, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(CLASSIFIER)
    r = cli("table", str(spec), "--alpha", "0.5", "--format", "json")
    assert r.code == 0
    assert json.loads(r.out)["output_shape"] == [5]  # ⌊0.5·10⌋: the classes shrank
    assert r.err == (
        "archcalc: warning: tiny: row fc, the classifier, has width 'scaled' (the default), so α=0.5 gives "
        "it 5 outputs, not 10; add `width: fixed` to the row to keep the classes\n"
    )
    assert cli("table", str(spec), "--format", "json").err == ""  # α = 1: nothing shrinks
    spec.write_text(CLASSIFIER.replace("out: 10}", "out: 10, width: fixed}"))
    assert cli("table", str(spec), "--alpha", "0.5", "--format", "json").err == ""


def test_no_builtin_classifier_shrinks() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ArchcalcWarning)
        for net in builtin_names():
            archcalc.cost(net, alpha=0.5)


def test_res_is_spelt_resolution() -> None:
    with pytest.raises(ArchcalcError, match=r"cost\(\): res=160 .* write resolution=160"):
        archcalc.cost("mobilenet_v1", res=160)
    with pytest.raises(ArchcalcError, match=r"write resolutions=\[160\]"):
        archcalc.sweep("mobilenet_v1", res=[160])
    assert archcalc.cost("mobilenet_v1", resolution=160).totals.macs == 290_675_200  # Table 7, 290 M


def test_sweep_rows_fit_one_line_with_sources_below(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    out = cli("sweep", "mobilenet_v1", "--no-latency").out
    rows = [line for line in out.splitlines() if re.match(r"│ \d", line)]
    assert len(rows) == 16  # one line per configuration: no source text in the rows
    marks = dict(re.findall(r"^\[([a-z]+)\] (.+)$", out, re.M))
    assert marks and all(f"[{m}]" in "".join(rows) for m in marks)
    row = next(line for line in rows if "0.5 MobileNet V1-160" in line)
    mark = re.search(r"60\.2 \[([a-z]+)\]", row).group(1)  # Table 9: 0.50 MobileNet-160, 60.2 %
    assert marks[mark] == "Howard et al. 2017, Table 9"


@pytest.mark.parametrize(
    "args",
    [
        ["table", "mobilenet_v1", "--view", "primitives"],
        ["table", "mobilenet_v1", "--traffic"],
        ["size", "mobilenet_v1", "--bits", "5"],
    ],
)
def test_csv_says_which_row_is_the_total(cli, args: list[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(cli(*args, "--format", "csv").out)))
    layers = len(json.loads(cli(*args, "--format", "json").out)["layers"])
    assert [r["total"] for r in rows] == ["no"] * layers + ["yes"]  # every layer, then the sum
    assert rows[-1]["name"] == "TOTAL"
    layers = [r for r in rows if r["total"] == "no"]
    key = next(k for k in rows[0] if k.startswith(("macs[", "params")))
    assert sum(int(r[key]) for r in layers) == int(rows[-1][key])


@pytest.mark.parametrize("extra", ["validate", "measure", "counters", "onnx"])
def test_missing_extra_hint_never_pulls_an_unpinned_torch(extra: str) -> None:
    """Every extra that depends on torch (pyproject.toml) is installed after the pinned CPU torch;
    a plain `pip install 'archcalc[measure]'` would pull several GB of CUDA packages."""
    from pathlib import Path

    import tomllib

    from archcalc.errors import ArchcalcError, require

    deps = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ][extra]
    with pytest.raises(ArchcalcError) as e:
        require(("archcalc_no_such_module",), "this command", extra)
    message = str(e.value)
    assert "\n" not in message and f"'archcalc[{extra}]'" in message
    if any(d.startswith("torch>") for d in deps):
        assert f"pip install torch==2.13.0 && pip install 'archcalc[{extra}]'" in message
