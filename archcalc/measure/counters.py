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

Batch 1, eval mode. :func:`tf_flops` and :func:`keras_params` do the same for a Keras model
(TensorFlow's profiler; ``model.summary()``'s parameter counts). Used by ``archcalc reconcile --run``
and the tests; imports torch, TensorFlow and the tool only when called.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Callable

from archcalc.errors import ArchcalcError
from archcalc.model.graph import Graph

TOOL_MODULES: dict[str, str] = {
    "fvcore": "fvcore",
    "torch": "torch",
    "ptflops": "ptflops",
    "thop": "thop",
    "torchinfo": "torchinfo",
    "torchprofile": "torchprofile",
}
"""Each torch counter's import name (``torch``: its own ``FlopCounterMode``)."""


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


def fvcore_count(model) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(MACs, params): fvcore's ``FlopCountAnalysis(model, x).total()`` and ``parameter_count``."""
    from fvcore.nn import FlopCountAnalysis, parameter_count

    x = model.example_input()
    flops = FlopCountAnalysis(model, (x,))
    flops.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    return int(_quiet(flops.total)), int(parameter_count(model)[""])  # type: ignore[call-overload]


def torch_count(model) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(MACs, params): ``FlopCounterMode``'s total FLOPs / 2 and Σ ``p.numel()``."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(model.example_input())
    return counter.get_total_flops() // 2, sum(p.numel() for p in model.parameters())


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


TORCH_TOOLS = ("ptflops", "thop", "torchinfo", "torchprofile")
"""The third-party torch counters (fvcore and FlopCounterMode are checked by ``archcalc validate``)."""


def run_tools(graph: Graph, tools: tuple[str, ...] = TORCH_TOOLS) -> dict[str, tuple[int, int | None]]:
    """Each tool's (count, params) on one torch model of ``graph``, in an order that keeps them
    apart (thop, which leaves buffers behind, last)."""
    unknown = [t for t in tools if t not in TOOL_MODULES]
    if unknown:
        raise ArchcalcError(f"no runner for {', '.join(unknown)}; runnable: {', '.join(TOOL_MODULES)}")
    model = _model(graph)
    shape = tuple(graph.input_shape)
    out: dict[str, tuple[int, int | None]] = {}
    for tool in ("torch", "fvcore", "torchinfo", "torchprofile", "ptflops", "thop"):
        if tool not in tools:
            continue
        if tool == "torch":
            out[tool] = torch_count(model)
        elif tool == "fvcore":
            out[tool] = fvcore_count(model)
        elif tool == "torchinfo":
            out[tool] = torchinfo_count(model, shape)
        elif tool == "torchprofile":
            out[tool] = (torchprofile_count(model), None)
        elif tool == "ptflops":
            out[tool] = ptflops_count(model, shape)
        else:
            out[tool] = thop_count(model)
    return out


def missing(tools: tuple[str, ...]) -> list[str]:
    """The packages of ``tools`` that cannot be imported here."""
    import importlib.util

    return [TOOL_MODULES[t] for t in tools if importlib.util.find_spec(TOOL_MODULES[t]) is None]


def tf_flops(model, input_shape: tuple[int, int, int]) -> int:  # type: ignore[no-untyped-def]
    """TensorFlow's profiler FLOPs of a Keras model at batch 1 (input ``(H, W, C)``, channels last).

    The model runs in inference mode (``training=False``) inside a ``tf.function``, whose graph is
    frozen (variables become constants) and profiled with
    ``tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()``; the figure is
    ``total_float_ops``, as every "how many FLOPs does my Keras model have" answer computes it.
    """
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    fn = tf.function(lambda x: model(x, training=False))
    concrete = fn.get_concrete_function(tf.TensorSpec([1, *input_shape], tf.float32))
    graph = convert_variables_to_constants_v2(concrete).graph
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    prof = _quiet(lambda: tf.compat.v1.profiler.profile(graph=graph, options=options))
    return int(prof.total_float_ops)  # type: ignore[attr-defined]


def keras_params(model) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """(total, trainable, non-trainable) parameters of a Keras model, as ``model.summary()`` prints
    them (``count_params()`` and the sizes of its trainable and non-trainable weights)."""
    from math import prod

    trainable = sum(prod(int(d) for d in w.shape) for w in model.trainable_weights)
    frozen = sum(prod(int(d) for d in w.shape) for w in model.non_trainable_weights)
    return int(model.count_params()), trainable, frozen
