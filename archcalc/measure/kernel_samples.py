"""Synthetic kernels for ``archcalc calibrate``: a random configuration space per kernel type.

A configuration is a small dict (channels, side, kernel size, stride, groups, the fused tail …)
drawn at random (:func:`draw`: channels and sides log-uniform, mostly multiples of 8 as networks
use them) or moved a little from another one (:func:`perturb`: each size scaled by a random factor
in [1/1.6, 1.6], one discrete choice redrawn), and built (:func:`build`) into a tiny graph whose
last layers form the one kernel timed. Built from the same primitives as every network, and from
no built-in network: ``benchmarks/latency_model.py`` evaluates on networks calibration never saw.

On onnxruntime a convolution kernel may carry a batch norm, an activation and a residual add
(what the runtime fuses, ``archcalc.count.kernels``): the tail is part of the configuration; on
torch every kernel is one layer. Sizes are capped (:data:`MAX_MACS`, :data:`MAX_ELEMS`) so no
sample takes long or needs much memory.
"""

from __future__ import annotations

import math
import random
from typing import Any

from archcalc.count.latency import KINDS
from archcalc.model.graph import INPUT, Graph, GraphBuilder
from archcalc.model.ops import (
    Activation,
    AdaptivePool2d,
    Add,
    BatchNorm2d,
    ChannelShuffle,
    Concat,
    Conv2d,
    Flatten,
    Linear,
    Mul,
    Pool2d,
    Slice,
)

Config = dict[str, Any]

MAX_MACS = 6e8
"""Most MACs of one synthetic kernel."""
MAX_ELEMS = 2**21
"""Most elements of one activation tensor of a synthetic kernel (8 MiB at fp32)."""

CONV_KINDS = ("dense", "pointwise", "depthwise", "grouped")
_PIECEWISE = ("relu", "relu6", "hswish", "hsigmoid")
_TAILS = ("", "bn", "bn+act", "bn+act", "bn+add", "bn+add+act")


def _log_int(rng: random.Random, lo: int, hi: int, mult8: float = 0.7) -> int:
    v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if rng.random() < mult8 and v >= 8:
        return max(8, 8 * round(v / 8))
    return max(lo, round(v))


def draw(kind: str, rng: random.Random, backend: str) -> Config:
    """A random configuration of kernel type ``kind`` (a key of ``KINDS``)."""
    side = _log_int(rng, 7, 112, 0.0)
    c = _log_int(rng, 8, 1024)
    cfg: Config = {"kind": kind, "side": side, "c": c}
    if kind == "dense":
        stem = rng.random() < 0.25
        cfg.update(
            c=3 if stem else _log_int(rng, 8, 512),
            side=_log_int(rng, 56, 224, 0.0) if stem else side,
            cout=_log_int(rng, 8, 512),
            k=rng.choice((3, 3, 3, 5, 7)),
            stride=rng.choice((1, 1, 2)),
        )
    elif kind == "pointwise":
        cfg.update(c=_log_int(rng, 8, 2048), cout=_log_int(rng, 8, 2048))
    elif kind == "depthwise":
        cfg.update(k=rng.choice((3, 3, 5, 7)), stride=rng.choice((1, 1, 2)))
    elif kind == "grouped":
        g = rng.choice((2, 3, 4, 8))
        cfg.update(g=g, c=g * max(1, round(c / g)), k=rng.choice((1, 1, 3)))
    elif kind == "linear":
        cfg.update(c=_log_int(rng, 64, 16384), cout=_log_int(rng, 10, 4096))
    elif kind in ("activation", "activation_exp"):
        pool = _PIECEWISE if kind == "activation" else ("sigmoid", "swish")
        cfg.update(fn=rng.choice(pool), vector=rng.random() < 0.15)
    elif kind == "elementwise":
        cfg.update(op=rng.choice(("add", "mul")))
    elif kind in ("maxpool", "avgpool"):
        cfg.update(k=rng.choice((2, 3, 3)), stride=rng.choice((1, 2, 2)))
    elif kind == "copy":
        cfg.update(op=rng.choice(("concat", "shuffle")), g=rng.choice((2, 3, 4)))
    elif kind == "view":
        cfg.update(op=rng.choice(("flatten", "slice")))
    if kind in CONV_KINDS and backend == "onnxruntime":
        cfg.update(tail=rng.choice(_TAILS), fn=rng.choice((*_PIECEWISE, "sigmoid")))
    if kind == "linear" and backend == "onnxruntime":
        cfg.update(tail=rng.choice(("", "act")), fn="relu")
    return cfg


def perturb(cfg: Config, rng: random.Random, backend: str) -> Config:
    """A configuration near ``cfg``: sizes scaled by up to ×1.6 either way, one choice redrawn."""
    out = dict(cfg)
    for key in ("side", "c", "cout"):
        if key in out and not (key == "c" and out[key] == 3):
            out[key] = max(1, round(out[key] * math.exp(rng.uniform(-0.47, 0.47))))
    fresh = draw(cfg["kind"], rng, backend)
    choices = [k for k in ("k", "stride", "g", "fn", "tail", "op", "vector") if k in out]
    if choices:
        key = rng.choice(choices)
        out[key] = fresh[key]
    if "g" in out and cfg["kind"] == "grouped":
        out["c"] = out["g"] * max(1, round(out["c"] / out["g"]))
    return out


def _fits(g: Graph) -> bool:
    from archcalc.count.closed_form import layer_costs

    costs = layer_costs(g)
    if sum(c.macs for c in costs) > MAX_MACS:
        return False
    return all(math.prod(n.out_shape) <= MAX_ELEMS for n in g) and math.prod(g.input_shape) <= MAX_ELEMS


def build(cfg: Config) -> tuple[Graph, list[str]] | None:
    """The graph of ``cfg`` and the names of the layers of its timed kernel (None: over the caps, or
    a shape that collapses)."""
    from archcalc.errors import ArchcalcError

    try:
        g, names = _build(cfg)
    except ArchcalcError:
        return None
    return (g, names) if _fits(g) else None


def _conv_tail(b: GraphBuilder, cfg: Config, cout: int, names: list[str]) -> None:
    tail = cfg.get("tail", "")
    if "bn" in tail:
        names.append(b.op("bn", BatchNorm2d, channels=cout))
    if "add" in tail:
        names.append(b.op("add", Add, inputs=[b.current, "res"]))
    if "act" in tail:
        names.append(b.op("act", Activation, fn=cfg["fn"]))


def _build(cfg: Config) -> tuple[Graph, list[str]]:
    kind, s, c = cfg["kind"], cfg["side"], cfg["c"]
    if kind in CONV_KINDS:
        k = cfg.get("k", 1)
        stride = cfg.get("stride", 1)
        groups = {"depthwise": c, "grouped": cfg.get("g", 1)}.get(kind, 1)
        cout = c if kind in ("depthwise", "grouped") else cfg["cout"]
        b = GraphBuilder((c, s, s))
        if "add" in cfg.get("tail", ""):
            # the residual: a tensor of the conv's output shape, written before the kernel
            side = (s + 2 * (k // 2) - k) // stride + 1
            b2 = GraphBuilder((c, s, s))
            b2.op("res", Conv2d, in_channels=c, out_channels=cout, kernel=(1, 1), stride=(stride, stride))
            if b2.shape()[1] != side:
                raise _collapse()
            b.op("res", Conv2d, in_channels=c, out_channels=cout, kernel=(1, 1), stride=(stride, stride))
            b.current = INPUT
        names = [
            b.op(
                "conv",
                Conv2d,
                in_channels=c,
                out_channels=cout,
                kernel=(k, k),
                stride=(stride, stride),
                padding=(k // 2, k // 2),
                groups=groups,
            )
        ]
        _conv_tail(b, cfg, cout, names)
        return b.graph, names
    if kind == "linear":
        b = GraphBuilder((c,))
        names = [b.op("fc", Linear, in_features=c, out_features=cfg["cout"])]
        if cfg.get("tail") == "act":
            names.append(b.op("act", Activation, fn=cfg["fn"]))
        return b.graph, names
    shape: tuple[int, ...] = (c * s * s,) if cfg.get("vector") else (c, s, s)
    b = GraphBuilder(shape)
    if kind == "batchnorm":
        return b.graph, [b.op("x", BatchNorm2d, channels=c)]
    if kind in ("activation", "activation_exp"):
        return b.graph, [b.op("x", Activation, fn=cfg["fn"])]
    if kind == "elementwise":
        if cfg["op"] == "add":
            return b.graph, [b.op("x", Add, inputs=[INPUT, INPUT])]
        b.op("gate", AdaptivePool2d, op="avg", output=1)
        return b.graph, [b.op("x", Mul, inputs=[INPUT, "gate"])]
    if kind in ("maxpool", "avgpool"):
        k, st = cfg["k"], cfg["stride"]
        return b.graph, [b.op("x", Pool2d, op=kind[:3], kernel=k, stride=st, padding=k // 2 if k == 3 else 0)]
    if kind == "global_pool":
        return b.graph, [b.op("x", AdaptivePool2d, op="avg", output=1)]
    if kind == "copy":
        if cfg["op"] == "concat":
            return b.graph, [b.op("x", Concat, inputs=[INPUT, INPUT])]
        g = cfg["g"]
        b = GraphBuilder((g * max(1, c // g), s, s))
        return b.graph, [b.op("x", ChannelShuffle, groups=g)]
    if kind == "view":
        if cfg["op"] == "flatten":
            return b.graph, [b.op("x", Flatten)]
        return b.graph, [b.op("x", Slice, start=0, stop=max(1, c // 2))]
    raise ValueError(f"no synthetic kernels for kind {kind!r}")


def _collapse() -> Exception:
    from archcalc.errors import ArchcalcError

    return ArchcalcError("residual shape differs")


def kinds_for(backend: str) -> list[str]:
    """The kernel types calibrated on ``backend`` (every profile kind)."""
    return list(KINDS)


__all__ = ["CONV_KINDS", "MAX_ELEMS", "MAX_MACS", "Config", "build", "draw", "kinds_for", "perturb"]
