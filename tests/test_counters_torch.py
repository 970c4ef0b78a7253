"""The tool-named conventions against the real tools: ptflops, thop, torchinfo and torchprofile run on
the torch model built from every built-in network, at its default and at α ≠ 1 with an odd input side.

Each tool's figure is what it returns as its README calls it (``archcalc.measure.counters``); the
expectation is archcalc's count under the convention of the same name, which the tests never feed
back into the tool.
"""

from __future__ import annotations

from importlib.metadata import version

import pytest
from zoo import ZOO, make

from archcalc.count.closed_form import report
from archcalc.count.conventions import CONVENTIONS
from archcalc.measure.counters import TORCH_TOOLS, run_tools
from archcalc.model.ops import ACTIVATIONS, Activation
from archcalc.model.ops.counting import COUNTERS, charges
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import builtin_names, load_spec

SETTINGS = [(1.0, None), (0.75, 197)]

PINNED = {"ptflops": "0.7.5", "thop": "0.1.1-2209072238", "torchinfo": "1.8.0", "torchprofile": "0.1.0"}


def test_each_tool_convention_names_the_installed_release() -> None:
    """The conventions reproduce one release each; the test toolchain installs exactly that one."""
    for tool, pinned in PINNED.items():
        assert version(tool) == pinned
        assert f"{tool} {pinned.split('-')[0]}" in CONVENTIONS[tool].reproduces


@pytest.mark.parametrize("net", builtin_names())
@pytest.mark.parametrize("alpha,res", SETTINGS)
def test_torch_tools_count_what_their_conventions_say(net: str, alpha: float, res: int | None) -> None:
    resolved = resolve(load_spec(net), alpha, res)
    rep = report(resolved)
    measured = run_tools(resolved.graph)
    assert set(measured) == set(TORCH_TOOLS)
    for tool, (count, params) in measured.items():
        assert count == rep.by_convention[tool].macs, tool
        if params is not None:  # ptflops, thop and torchinfo count torch's parameters, but for the
            # learnt tensors of modules a tool has no rule for (thop: MobileNetV4's layer scales)
            unseen = sum(n.op.norm_params() for n in resolved.graph if tool in type(n.op).params_unseen_by)
            torch_params = rep.by_convention["torch"].params
            assert params == rep.by_convention[tool].params == torch_params - unseen, tool
    # the tools disagree among themselves on every network (a BN, a bias or a pool tells them apart)
    assert len({c for c, _ in measured.values()}) >= 2


def test_mobilenet_v1_half_160_every_tool() -> None:
    """MobileNet V1 0.5-160: the same exactness at the paper's Table 9 configuration."""
    resolved = resolve(load_spec("mobilenet_v1"), 0.5, 160)
    rep = report(resolved)
    for tool, (count, _) in run_tools(resolved.graph).items():
        assert count == rep.by_convention[tool].macs, tool


def test_every_activation_function_has_a_stated_rule() -> None:
    assert set(Activation.rules) == set(ACTIVATIONS)


@pytest.mark.parametrize("net", [*builtin_names(), *(f"zoo:{name}" for name in sorted(ZOO))])
def test_op_rules_agree_with_the_fast_path(net: str) -> None:
    """The per-op rules' paper, torch and fvcore charges are exactly the ops' own MAC counts."""
    if net.startswith("zoo:"):
        import archcalc

        graph = resolve(archcalc.import_torch(*make(net[4:]))).graph
    else:
        graph = resolve(load_spec(net), 0.5, 193).graph
    paper, fvcore, torch_ = (COUNTERS.index(c) for c in ("paper", "fvcore", "torch"))
    for n in graph:
        got = charges(n.op.tallies(n.in_shapes, n.out_shape))
        assert got[paper] == got[torch_] == n.op.macs(n.in_shapes, n.out_shape), n.name
        assert got[fvcore] == n.op.fvcore_macs(n.in_shapes, n.out_shape), n.name


@pytest.mark.parametrize("name", sorted(ZOO))
def test_torch_tools_on_imported_models(name: str) -> None:
    """The imported models of the zoo (transposed convs, layer norm, attention's matmuls and softmax,
    GELU, token linears, upsampling, learnt tensors …): every tool, on the torch model built from the
    imported spec, prints the figure of its convention, and its parameters where it counts them."""
    import archcalc

    model, shape = make(name)
    resolved = resolve(archcalc.import_torch(model, shape))
    rep = report(resolved)
    for tool, (count, params) in run_tools(resolved.graph).items():
        assert count == rep.by_convention[tool].macs, tool
        if params is not None:
            assert params == rep.by_convention[tool].params, tool
