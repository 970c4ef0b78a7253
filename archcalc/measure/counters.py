"""The third-party counters, run for real on the torch model of a graph.

:func:`run_tools` builds one :class:`~archcalc.measure.torch_build.GraphModule` and runs each tool
on it as its README calls it, in an order that keeps them from seeing each other (ptflops patches
``torch.nn.functional`` only while it runs; thop leaves a buffer on every module it has no rule
for, so it runs last), and returns the figure each prints, as an integer:

=============  ==================================================================  ==========
tool           call                                                                figure
=============  ==================================================================  ==========
ptflops        ``get_model_complexity_info(m, (C, H, W), as_strings=False)``       MACs
               (its default ``pytorch`` backend)
thop           ``profile(m, inputs=(x,))``                                          MACs
torchinfo      ``summary(m, input_size=(1, C, H, W)).total_mult_adds``             mult-adds
torchprofile   ``profile_macs(m, x)``                                              MACs
=============  ==================================================================  ==========

Batch 1, eval mode. Used by ``archcalc reconcile --run`` and the tests; imports torch and the tool
only when called.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable

from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph

TOOL_MODULES: dict[str, str] = {
    "ptflops": "ptflops",
    "thop": "thop",
    "torchinfo": "torchinfo",
    "torchprofile": "torchprofile",
}
"""Each torch counter's import name."""


def _model(graph: Graph):  # type: ignore[no-untyped-def]
    from archcalc.measure.torch_build import build

    return build(graph)


def _quiet(fn: Callable[[], object]) -> object:
    """Run ``fn`` with its prints and warnings swallowed (thop and ptflops print as they go)."""
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        return fn()


def ptflops_count(model, input_shape: tuple[int, ...]) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(MACs, params) from ptflops' ``get_model_complexity_info`` (pytorch backend)."""
    from ptflops import get_model_complexity_info

    macs, params = _quiet(  # type: ignore[misc]
        lambda: get_model_complexity_info(
            model, tuple(input_shape), as_strings=False, print_per_layer_stat=False, backend="pytorch"
        )
    )
    if macs is None:
        raise ArchcalcError("ptflops could not run the model")
    return int(macs), int(params)


def thop_count(model) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(MACs, params) from thop's ``profile`` (returned as floats; exact below 2⁵³). thop leaves a
    ``total_ops`` buffer on every module it has no rule for: run it last on a model."""
    from thop import profile

    x = model.example_input()
    macs, params = _quiet(lambda: profile(model, inputs=(x,), verbose=False))  # type: ignore[misc]
    return int(macs), int(params)


def torchinfo_count(model, input_shape: tuple[int, ...]) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(total mult-adds, total params) from torchinfo's ``summary``."""
    from torchinfo import summary

    stats = _quiet(lambda: summary(model, input_size=(1, *input_shape), verbose=0))
    return int(stats.total_mult_adds), int(stats.total_params)  # type: ignore[attr-defined]


def torchprofile_count(model) -> int:  # type: ignore[no-untyped-def]
    """MACs from torchprofile's ``profile_macs`` (it traces the model with ``torch.jit.trace``)."""
    from torchprofile import profile_macs

    return int(_quiet(lambda: profile_macs(model, model.example_input())))  # type: ignore[arg-type]


def run_tools(
    graph: Graph, tools: tuple[str, ...] = tuple(TOOL_MODULES)
) -> dict[str, tuple[int, int | None]]:
    """Each tool's (count, params) on one torch model of ``graph``, in an order that keeps them
    apart (torchinfo, torchprofile, ptflops, then thop, which leaves buffers behind)."""
    unknown = [t for t in tools if t not in TOOL_MODULES]
    if unknown:
        raise ArchcalcError(f"no runner for {', '.join(unknown)}; runnable: {', '.join(TOOL_MODULES)}")
    model = _model(graph)
    shape = tuple(graph.input_shape)
    out: dict[str, tuple[int, int | None]] = {}
    for tool in ("torchinfo", "torchprofile", "ptflops", "thop"):
        if tool not in tools:
            continue
        if tool == "torchinfo":
            out[tool] = torchinfo_count(model, shape)
        elif tool == "torchprofile":
            out[tool] = (torchprofile_count(model), None)
        elif tool == "ptflops":
            out[tool] = ptflops_count(model, shape)
        else:
            out[tool] = thop_count(model)
    return out


def installed(tool: str) -> bool:
    """Whether ``tool``'s package can be imported here."""
    import importlib.util

    return importlib.util.find_spec(TOOL_MODULES[tool]) is not None
