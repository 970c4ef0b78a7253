"""The CLI's outputs: every format, built-in and user specs, and no torch on the analytic path."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from test_mobilenet_v1_paper import hand_count

from archcalc.spec.catalog import specs_dir

M = 10**6


def test_table_json_is_exact_and_labelled(cli) -> None:
    r = cli("table", "mobilenet_v1", "--alpha", "0.5", "--res", "160", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["convention"] == "paper"
    assert data["alpha"] == 0.5 and data["resolution"] == 160
    assert data["input_shape"] == [3, 160, 160] and data["output_shape"] == [1000]
    t = data["totals"]
    # the hand count of tests/test_mobilenet_v1_paper.py (Table 1 worked by hand)
    assert (t["macs"], t["params_without_bn"]) == hand_count(0.5, 160) and isinstance(t["macs"], int)
    assert t["flops"] == 2 * t["macs"]
    assert sum(x["macs"] for x in data["layers"]) == t["macs"]
    assert sum(x["params"] for x in data["layers"]) == t["params"]
    assert list(data["by_convention"]) == [
        *("paper", "fvcore", "torch"),
        *("ptflops", "thop", "torchinfo", "torchprofile", "tf", "keras"),
    ]
    for c in data["by_convention"].values():
        # a rule for every quantity a convention counts, and null for the ones it does not
        assert (c["macs_rule"] is not None) == (c["flops"] is not None)
        assert (c["params_rule"] is not None) == (c["params"] is not None)
        assert c["macs_rule"] or c["params_rule"]


def test_convention_switch_changes_the_labelled_figures(cli) -> None:
    paper = json.loads(cli("table", "mobilenet_v1", "--format", "json", "--summary").out)
    fv = json.loads(
        cli("table", "mobilenet_v1", "--format", "json", "--summary", "--convention", "fvcore").out
    )
    assert "layers" not in paper
    assert fv["convention"] == "fvcore"
    # fvcore adds 2 MACs per BN input element and 1 per element entering the global average pool.
    bn_elems = paper["totals"]["params_with_bn"] - paper["totals"]["params_without_bn"]  # 2·ΣC_bn
    assert bn_elems == 2 * (
        32
        + sum(
            m + n
            for m, n in zip(
                [32, 64, 128, 128, 256, 256, *[512] * 6, 1024],
                [64, 128, 128, 256, 256, *[512] * 6, 1024, 1024],
                strict=True,
            )
        )
    )
    # By hand from Table 1: every conv output passes through one BN.
    bn_inputs = 32 * 112 * 112  # conv0
    m, df = 32, 112
    for n, s in [
        (64, 1),
        (128, 2),
        (128, 1),
        (256, 2),
        (256, 1),
        (512, 2),
        *[(512, 1)] * 5,
        (1024, 2),
        (1024, 1),
    ]:
        df = -(-df // s)
        bn_inputs += m * df * df + n * df * df  # dw output, pw output
        m = n
    extra = fv["totals"]["macs"] - paper["totals"]["macs"]
    assert extra == 2 * bn_inputs + 1024 * 7 * 7
    # fvcore 0.1.5's FlopCountAnalysis on a torch MobileNet V1 (eval, 1×3×224×224) printed 578,875,904.
    assert fv["totals"]["macs"] == 578_875_904
    assert fv["totals"]["params"] == paper["totals"]["params_with_bn"]


def test_csv_and_markdown(cli) -> None:
    r = cli("table", "mobilenet_v1", "--format", "csv")
    assert r.code == 0
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert rows[-1]["name"] == "TOTAL"
    assert (
        sum(int(x["macs[paper]"]) for x in rows[:-1])
        == int(rows[-1]["macs[paper]"])
        == hand_count(1.0, 224)[0]
    )
    md = cli("table", "mobilenet_v1", "--format", "markdown", "--summary").out
    assert md.startswith("**MobileNet V1**") and "| TOTAL |" in md


def test_rich_table_names_the_convention(cli) -> None:
    out = cli("table", "mobilenet_v1", "--view", "primitives").out
    assert "MACs [paper]" in out and "params with BN [torch]" in out
    assert "sep13.pw.conv" in out and "568,740,352" in out
    assert "Conv DW 3×3" in out


def test_compare_json(cli) -> None:
    r = cli(
        "compare",
        "standard",
        "dwsep",
        "--dk",
        "3",
        "--m",
        "512",
        "--n",
        "512",
        "--df",
        "14",
        "--format",
        "json",
    )
    d = json.loads(r.out)
    std, sep = d["designs"]
    assert std["macs"] == 3 * 3 * 512 * 512 * 14 * 14  # eq. 2; Table 3: 462 M
    assert sep["macs"] == 3 * 3 * 512 * 14 * 14 + 512 * 512 * 14 * 14  # eq. 5; Table 3: 52.3 M
    assert sep["vs_standard_formula"] == "1/N + 1/D_K²"
    assert abs(sep["vs_standard_formula_value"] - (1 / 512 + 1 / 9)) < 1e-12
    assert abs(sep["macs_ratio"] - sep["vs_standard_formula_value"]) < 1e-12  # exact for stride 1


def test_compare_group_and_stride(cli) -> None:
    r = cli(
        "compare",
        "standard",
        "group",
        "pointwise",
        "depthwise",
        "--m",
        "64",
        "--n",
        "128",
        "--df",
        "15",
        "--stride",
        "2",
        "--groups",
        "4",
        "--format",
        "json",
    )
    d = json.loads(r.out)
    assert d["df"] == 8  # ⌈15 / 2⌉
    std, grp, pw, dw = d["designs"]
    assert std["macs"] == 9 * 64 * 128 * 64
    assert grp["macs"] == 9 * 16 * 128 * 64 and grp["macs_ratio"] == 0.25
    assert pw["macs"] == 64 * 128 * 64
    assert dw["macs"] == 9 * 64 * 64


def test_list_and_schema(cli) -> None:
    out = cli("list").out.splitlines()
    assert any(line.startswith("mobilenet_v1 ") and "shallow=false" in line for line in out)
    assert len(out) == len(list(specs_dir().glob("*.yaml")))
    schema = json.loads(cli("schema").out)
    assert schema["title"] == "NetworkSpec"
    assert {"stem", "body", "head", "width", "knobs"} <= set(schema["properties"])


def test_user_spec_file(cli, tmp_path: Path) -> None:
    spec = tmp_path / "my_net.yaml"
    spec.write_text(
        """
name: my_net
title: My net
source: a test
input: {channels: 3, resolution: 32}
width: {rule: round_divisible, divisor: 8}
knobs:
  wide: {default: 16, help: first conv width}
stem:
  - {kind: conv, out: $wide, k: 3}
body:
  - {kind: dwsep, out: 32, stride: 2, repeat: 2, act: relu6}
head:
  - {kind: global_pool}
  - {kind: flatten}
  - {kind: linear, out: 10, width: fixed}
"""
    )
    r = cli("table", str(spec), "--format", "json", "--param", "wide=24", "--view", "primitives")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    # conv 3×3×3×24 on 32² (+BN, no bias); dwsep 24→32 stride 2 to 16²; dwsep 32→32 on 16²; fc 32·10+10
    macs = 27 * 24 * 32 * 32 + (9 * 24 + 24 * 32) * 16 * 16 + (9 * 32 + 32 * 32) * 16 * 16 + 320
    assert d["totals"]["macs"] == macs
    assert d["totals"]["params_without_bn"] == 27 * 24 + 9 * 24 + 24 * 32 + 9 * 32 + 32 * 32 + 330
    assert [x["name"] for x in d["layers"]][:4] == [
        "stem.0.conv",
        "stem.0.bn",
        "stem.0.act",
        "body.0.0.dw.conv",
    ]


def test_works_from_any_directory_and_never_imports_torch(tmp_path: Path) -> None:
    for args in (["table", "mobilenet_v1", "--format", "json"], ["compare", "standard", "dwsep"]):
        p = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "archcalc", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert p.returncode == 0, p.stderr[-500:]
        imported = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if "import time:" in line}
        assert "archcalc.cli" in imported
        assert not {m for m in imported if m.split(".")[0] in ("torch", "fvcore", "numpy")}, args


def test_help_groups_every_command_in_one_panel(cli) -> None:
    """`archcalc --help` lists each command once, under its panel, in the panels' order."""
    import typer.main

    from archcalc.cli import command_name
    from archcalc.cli.app import PANELS, app

    listed = [name for names in PANELS.values() for name in names]
    assert sorted(listed) == sorted(typer.main.get_group(app).commands)
    assert [command_name(c) for c in app.registered_commands] == listed
    r = cli("--help")
    assert r.code == 0
    at = [r.out.index(title) for title in PANELS]
    assert at == sorted(at)


def test_command_help_paragraphs_wrap_to_the_terminal(cli, monkeypatch) -> None:
    """A command's help is its docstring with each paragraph on one line, which rich wraps to the
    terminal: at 80 columns `time --help` reads as a paragraph, not as the source's lines wrapped a
    second time (a short line after each long one)."""
    import inspect

    from archcalc.cli import command_name, reflowed
    from archcalc.cli.app import app

    assert reflowed("One.\n\nTwo\nlines.\n\nThree") == "One.\n\nTwo lines.\n\nThree"
    for c in app.registered_commands:
        doc = inspect.cleandoc(c.callback.__doc__)
        assert c.help is not None and c.help.replace("\n\n", "").count("\n") == 0, command_name(c)
        assert c.help.split() == doc.split()  # the same words
    monkeypatch.setenv("COLUMNS", "80")
    r = cli("time", "--help")
    assert r.code == 0
    start = r.out.index("--backend torch runs")
    lines = []
    for x in r.out[start:].splitlines():
        if not x.strip():
            break
        lines.append(x.strip())
    assert len(lines) == 6 and all(len(x) >= 70 for x in lines[:-1]), lines
