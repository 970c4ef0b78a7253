"""Real torch models built from the resolved graphs, checked against fvcore and FlopCounterMode."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch

from archcalc.count.closed_form import report
from archcalc.measure.torch_build import build, param_counts, total_params
from archcalc.measure.validate import default_settings, validate
from archcalc.model.ops import Conv2d
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec

SETTINGS = [(1.0, None), (0.5, 160)]


@pytest.mark.parametrize("net", builtin_names())
@pytest.mark.parametrize("alpha,res", SETTINGS)
def test_builder_matches_graph(net: str, alpha: float, res: int | None) -> None:
    resolved = resolve(load_spec(net), alpha, res)
    graph = resolved.graph
    model = build(graph)
    assert not model.training
    # one submodule per graph node, with the node's name
    leaves = {name for name, m in model.named_modules() if name and not list(m.children())}
    assert leaves == {n.name for n in graph}
    x = model.example_input()
    shapes = model.output_shapes(x)
    for node in graph:
        assert shapes[node.name] == node.out_shape, node.name
    with torch.no_grad():
        assert tuple(model(x).shape[1:]) == graph.output.out_shape
    # params: torch's own count equals the closed form's torch convention, layer by layer
    rep = report(resolved, "torch")
    assert total_params(model) == rep.totals.params == rep.totals.params_with_bn
    per_layer = param_counts(model)
    for row in rep.layers:
        assert per_layer[row.name] == row.params, row.name


def test_validate_all_builtin_networks_exactly(cli) -> None:
    """`archcalc validate --all`: every built-in network at ≥ 2 settings, every layer exact."""
    r = cli("validate", "--all", "--format", "json")
    assert r.code == 0, r.out[-2000:] + r.err
    runs = json.loads(r.out)
    for net in builtin_names():
        mine = [v for v in runs if v["network"] == net]
        assert len(mine) >= 2, net
        assert len({(v["alpha"], v["resolution"], json.dumps(v["knobs"], sort_keys=True)) for v in mine}) >= 2
    for v in runs:
        assert v["ok"] and v["mismatches"] == 0
        assert v["macs"] == v["fvcore_total"]
        assert v["params"] == v["fvcore_params"] == v["torch_params"]
        assert v["torch_convention_flops"] == v["flop_counter_flops"]
        assert all(c["ok"] for c in v["layers"])


def test_settings_cover_every_knob() -> None:
    spec = load_spec("mobilenet_v1")
    knobs = [k for _, _, k in default_settings(spec)]
    assert {"separable": False} in knobs and {"shallow": True} in knobs


def test_mobilenet_v1_fvcore_figures() -> None:
    v = validate(resolve(load_spec("mobilenet_v1")))
    assert v.ok
    # fvcore's own total equals the closed form under the fvcore convention, and differs from the
    # paper convention by exactly BN (2 per element) and the global average pool (1 per element).
    paper = report(resolve(load_spec("mobilenet_v1"))).totals.macs
    bn = sum(c.fvcore_macs for c in v.layers if c.kind == "batchnorm2d")
    pool = sum(c.fvcore_macs for c in v.layers if c.kind == "adaptive_pool")
    assert v.fvcore_total == paper + bn + pool
    assert pool == 1024 * 7 * 7
    assert v.flop_counter_flops == 2 * paper


def test_a_wrong_closed_form_is_caught(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself: a conv rule off by one MAC per layer must fail, naming the layers."""
    monkeypatch.setattr(Conv2d, "fvcore_macs", lambda self, i, o: self.macs(i, o) + 1)
    r = cli("validate", "mobilenet_v1", "--alpha", "0.25", "--res", "96")
    assert r.code == 1
    assert "✗" in r.out and "conv0.conv" in r.out


def test_missing_torch_stack_is_a_clear_error(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "fvcore" else real(n, *a))
    r = cli("validate", "mobilenet_v1")
    assert r.code == 2 and r.out == ""
    assert r.err.strip().count("\n") == 0
    assert "install the `validate` extra" in r.err and "fvcore" in r.err


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["validate"], "give a network, or --all"),
        (["validate", "mobilenet_v1", "--all"], "not both"),
        (["validate", "mobilenet_v1", "--alpha", "0"], "--alpha"),
        (["validate", "nosuchnet"], "unknown network"),
        (["validate", "--all", "--alpha", "0.5"], "--all uses its own settings"),
    ],
)
def test_validate_bad_input(cli, args: list[str], fragment: str) -> None:
    r = cli(*args)
    assert r.code == 2 and r.out == "" and fragment in r.err
