"""The named conventions on the command line and in the library: `--convention NAME` everywhere, a
quantity a convention does not count refused in one line, `--classes`, knob-derived values, and
`archcalc reconcile` (checked against the real tools with `--run`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_cli_errors import assert_refused

import archcalc
from archcalc.count.conventions import CONVENTIONS
from archcalc.errors import ArchcalcError
from archcalc.spec.catalog import builtin_names, load_spec

M = 1_000_000


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["size", "mobilenet_v1", "--convention", "tf"], ["convention 'tf' counts no params", "FLOPs"]),
        (["size", "mobilenet_v1", "--convention", "torchprofile"], ["'torchprofile' counts no params"]),
        (
            ["budget", "mobilenet_v1", "--convention", "keras", "--max-macs", "100M"],
            ["--max-macs", "'keras' counts no MACs", "params"],
        ),
        (["budget", "mobilenet_v1", "--convention", "tf", "--max-params", "1M"], ["--max-params", "'tf'"]),
        (["budget", "mobilenet_v1", "--convention", "tf", "--max-bytes", "1MB"], ["--max-bytes", "'tf'"]),
        (
            ["sweep", "mobilenet_v1", "--convention", "tf", "--plot", "x.png"],
            ["--plot", "'tf' counts no MACs"],
        ),
        (["paper", "mobilenet_v1", "--convention", "flopth"], ["--convention 'flopth'", "ptflops"]),
        (["table", "mobilenet_v1", "--classes", "10", "--param", "classes=10"], ["--classes", "--param"]),
        (["table", "mobilenet_v1", "--classes", "0"], ["fc.out", "positive", "$classes"]),
        (["reconcile", "mobilenet_v1", "--format", "xml"], ["--format 'xml'"]),
    ],
)
def test_refused(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], fragments) -> None:
    monkeypatch.chdir(tmp_path)
    assert_refused(cli(*args), *fragments)
    assert not (tmp_path / "x.png").exists()


def test_classes_on_a_spec_without_the_knob(cli, tmp_path: Path) -> None:
    spec = tmp_path / "tiny.yaml"
    spec.write_text(
        "name: tiny\ntitle: Tiny\nsource: a test\nwidth: {rule: truncate}\n"
        "body:\n  - {kind: conv, out: 8, k: 3}\nhead:\n  - {kind: global_pool}\n  - {kind: flatten}\n"
        "  - {kind: linear, out: 10, width: fixed}\n"
    )
    assert_refused(cli("table", str(spec), "--classes", "5"), "--classes", "tiny has no `classes` knob")


@pytest.mark.parametrize("net", builtin_names())
def test_classes_changes_only_the_classifier(net: str) -> None:
    """N classes instead of 1000: the classifier's weights and biases change by (N − 1000)·(fan-in + 1)
    (SqueezeNet's is a 1×1 conv on a 13×13 map: its MACs change by that times the map, without bias)."""
    base, ten = archcalc.cost(net), archcalc.cost(net, classes=10)
    last = next(x for x in reversed(base.layers) if x.params_without_bn)
    fan_in = last.input_shapes[0][0]
    has_bias = last.params_without_bn % 1000 == 0 and last.params_without_bn // 1000 == fan_in + 1
    per_class = fan_in + (1 if has_bias else 0)
    assert base.totals.params_without_bn - ten.totals.params_without_bn == 990 * per_class
    positions = 1 if len(last.output_shape) == 1 else last.output_shape[1] * last.output_shape[2]
    assert base.totals.macs - ten.totals.macs == 990 * fan_in * positions
    assert ten.output_shape == [10] and ten.knobs["classes"] == 10


def test_every_command_takes_every_convention(cli) -> None:
    for name in CONVENTIONS:
        for args in (
            ["table", "mobilenet_v3_small", "--summary", "--format", "json"],
            ["sweep", "mobilenet_v3_small", "--alpha", "0.75,1", "--res", "160,224", "--format", "json"],
            ["paper", "mobilenet_v3_small", "--format", "json"],
        ):
            r = cli(*args, "--convention", name)
            assert r.code == 0, (name, args, r.err)
            json.loads(r.out)


def test_table_under_tf_prints_flops_per_layer(cli) -> None:
    """Under tf the per-layer column is FLOPs; they sum to the total, which is 2 × the paper's MACs plus
    what the ledger lists (bias, BN, add, multiply, pooling, hard-swish …)."""
    r = cli("table", "mobilenet_v1", "--convention", "tf", "--format", "csv")
    assert r.code == 0, r.err
    header, *rows, total = [line.split(",") for line in r.out.strip().splitlines()]
    col = header.index("flops[tf]")
    assert sum(int(row[col]) for row in rows) == int(total[col]) == 1_147_682_920


def test_derived_knob_values_must_cover_every_choice() -> None:
    spec = load_spec("mobilenet_v3_small").model_dump()
    spec["knobs"]["layout"]["sets"]["stem_width"] = {"torchvision": "scaled"}
    with pytest.raises(ValueError, match=r"sets.stem_width: needs a value for each of keras, torchvision"):
        type(load_spec("mobilenet_v3_small")).model_validate(spec)
    spec = load_spec("mobilenet_v3_small").model_dump()
    spec["knobs"]["minimalistic"]["sets"]["exp_from"] = {"true": "input", "false": "scaled"}
    with pytest.raises(ValueError, match=r"'exp_from' is already set by knobs\.layout"):
        type(load_spec("mobilenet_v3_small")).model_validate(spec)


def test_a_knob_value_a_field_cannot_take_is_named() -> None:
    spec = load_spec("mobilenet_v3_small").model_dump()
    spec["knobs"]["minimalistic"]["sets"]["nonlinearity"] = {"true": "relu", "false": "gelu_fast"}
    bad = type(load_spec("mobilenet_v3_small")).model_validate(spec)
    with pytest.raises(ArchcalcError, match=r"conv1.act: expected an activation .* got 'gelu_fast'"):
        archcalc.cost(bad)


def test_reconcile_json_ledger_sums_to_every_figure(cli) -> None:
    r = cli("reconcile", "mobilenet_v2", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    figures = {f["convention"]: f for f in data["figures"]}
    assert list(figures) == list(CONVENTIONS)
    for counter in data["counters"]:
        assert sum(row["counts"][counter] for row in data["ledger"]) == figures[counter]["count"]
    # The figures the issue quotes for MobileNet V2: 300.8 M (paper), 314.2 M (fvcore), 320.4 M (ptflops)
    assert [round(figures[c]["count"] / M, 1) for c in ("paper", "fvcore", "ptflops")] == [
        300.8,
        314.2,
        320.4,
    ]
    params = {p["what"]: p for p in data["params"]}
    assert params["batch norm running mean and variance"]["counted_by"] == ["keras"]
    assert figures["keras"]["params"] == sum(p["params"] for p in data["params"])


def _mobilenet_v1_macs(h: int, w: int) -> int:
    """MobileNet V1 (α = 1) mult-adds by hand from Howard et al. 2017, Table 1: a 3×3 stride-2 conv
    3 → 32, thirteen depthwise 3×3 + pointwise pairs (stride 2 halves a side, rounding up: 'same'
    padding), the 1024 → 1000 classifier."""
    h, w = -(-h // 2), -(-w // 2)
    macs = 3 * 3 * 3 * 32 * h * w
    pairs = [(32, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2), (256, 256, 1), (256, 512, 2)]
    pairs += [(512, 512, 1)] * 5 + [(512, 1024, 2), (1024, 1024, 1)]
    for c_in, c_out, s in pairs:
        h, w = -(-h // s), -(-w // s)
        macs += 3 * 3 * c_in * h * w + c_in * c_out * h * w
    return macs + 1024 * 1000


def test_reconcile_at_a_non_square_resolution(cli) -> None:
    """`reconcile` takes `--res H×W` as every other command does (it used to end in a traceback)."""
    assert _mobilenet_v1_macs(224, 224) == 568_740_352  # the paper's "569 million" mult-adds
    r = cli("reconcile", "mobilenet_v1", "--res", "224x160", "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["resolution"] == [224, 160]
    figures = {f["convention"]: f for f in data["figures"]}
    assert figures["paper"]["count"] == _mobilenet_v1_macs(224, 160) == 406_535_680


def test_reconcile_run_matches_every_real_tool(cli) -> None:
    """`reconcile --run` runs fvcore, FlopCounterMode, ptflops, thop, torchinfo and torchprofile on
    the torch model: each prints exactly the figure of its convention."""
    r = cli("reconcile", "mnasnet1_0", "--alpha", "0.5", "--res", "161", "--run", "--format", "json")
    assert r.code == 0, r.err
    figures = {f["convention"]: f for f in json.loads(r.out)["figures"]}
    for name in ("fvcore", "torch", "ptflops", "thop", "torchinfo", "torchprofile"):
        assert figures[name]["measured"] == figures[name]["count"], name
    for name in ("fvcore", "torch", "ptflops", "thop", "torchinfo"):
        assert figures[name]["measured_params"] == figures[name]["params"], name
    assert figures["paper"]["measured"] is None and figures["tf"]["measured"] is None
    rich = cli("reconcile", "mnasnet1_0", "--alpha", "0.5", "--res", "161", "--run")
    assert rich.code == 0 and "✗" not in rich.out and rich.out.count("✓") == 6
