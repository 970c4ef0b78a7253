"""Synthetic kernels for ``archcalc calibrate``: a random configuration space per kernel type.

A configuration is a small dict (channels, side, kernel size, stride, groups, the fused tail …)
drawn at random (:func:`draw`: channels and sides log-uniform, channels mostly multiples of 8 to
64 as networks use them; for most convolutions and pools side and channels drawn together, as
networks widen while they downsample, :func:`_network_like`) or moved a little from another one
(:func:`perturb`: each size scaled by a random factor in [1/1.6, 1.6], one discrete choice
redrawn), and built (:func:`build`) into a tiny graph whose last layers form the one kernel timed.
Built from the same primitives as every network, and from no built-in network:
``benchmarks/latency_model.py`` evaluates on networks calibration never saw.

On onnxruntime a convolution kernel may carry a batch norm, an activation and a residual add
(what the runtime fuses, ``archcalc.count.kernels``): the tail is part of the configuration; on
torch every kernel is one layer. Sizes are capped (:data:`MAX_MACS`, :data:`MAX_ELEMS`) so no
sample takes long or needs much memory.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from archcalc.count.kernel_types import KERNEL_TYPES, REORDER, backend_types
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

MAX_MACS = 2e9
"""Most MACs of one synthetic kernel: VGG-16's largest conv (1.85 G) is inside the sampled space
(at 6e8, the big dense convs of VGG, GoogLeNet and AlexNet were extrapolated and over-predicted by
25–34 %; docs/latency.md)."""
MAX_ELEMS = 2**22
"""Most elements of one activation tensor of a synthetic kernel (16 MiB at fp32; VGG-16's first
maps, 64×224×224, are 3.2 M)."""

MAX_CONV_WEIGHT_BYTES = 16 * 2**20
"""Most weight bytes of one synthetic convolution (the built-in networks' largest: Xception's
1536 → 2048 pointwise, 12 MiB; VGG-16's 512 → 512 3×3, 9 MiB). Without it, the network-like
draws on small maps made 5×5 and 7×7 convolutions of 700–1300 channels (up to 140 MB of weights,
running at 2–8 GMAC/s, timed by streaming their weights), a fifth of torch's dense samples; the
dense roofline was fitted at 61 GMAC/s, and VGG-16's 3×3 convolutions, which run at 110–130,
were priced 15–100 % too dear (docs/latency.md)."""

MIN_SIDE = 3
"""Smallest map side drawn on torch, and by the network-like draws of both backends (onnxruntime's
other draws start at 7): networks at 160 px end on 5×5 maps (at
128 px 4×4), where a 1×1 convolution of 512 → 2048 channels runs at 29 GMAC/s against 42 at 7×7
and 49 at 10×10 (torch 2.13, one thread). With sides from 7, MobileNetV4-Conv-L's last stage at
160 px was priced 43 % short (docs/latency.md)."""

_PIECEWISE = ("relu", "relu6", "hswish", "hsigmoid")
_TAILS = ("", "bn", "bn+act", "bn+act", "bn+add", "bn+add+act")


def _log_int(rng: random.Random, lo: int, hi: int, mult8: float = 0.7) -> int:
    v = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if rng.random() < mult8 and v >= 8:
        return max(8, 8 * round(v / 8))
    return max(lo, round(v))


CHANNEL_STEPS = (8, 16, 32, 64)
"""The multiples a drawn channel count is rounded to (one at random, :data:`ALIGNED_SHARE` of the
draws): networks set their widths as multiples of 8 to 64 (VGG-16, ResNet-50, GoogLeNet and the
MobileNets at α = 1 mostly multiples of 32), and torch's 3×3 convolutions on 56×56 maps ran
96 → 96 and 64 → 128 channels at 116–124 GMAC/s, 120 → 120 and 136 → 136 at 102–106 (two runs).
Drawn as "70 % multiples of 8", both channels of a kernel were multiples of 32 in 3 % of the draws,
and VGG-16's convolutions were priced 30–50 % too dear."""
ALIGNED_SHARE = 0.85


def _aligned(rng: random.Random, v: float, lo: int, hi: int) -> int:
    """``v`` clamped to [lo, hi] and, in :data:`ALIGNED_SHARE` of the draws, rounded to a multiple
    of 8, 16, 32 or 64 (one at random, at most the value itself)."""
    v = min(max(v, lo), hi)
    if rng.random() >= ALIGNED_SHARE or v < 8:
        return max(lo, round(v))
    step = rng.choice(CHANNEL_STEPS)
    while step > v:
        step //= 2
    return min(hi, max(step, step * round(v / step)))


def _channels(rng: random.Random, lo: int, hi: int) -> int:
    """A channel count log-uniform in [lo, hi], mostly aligned (:func:`_aligned`)."""
    return _aligned(rng, math.exp(rng.uniform(math.log(lo), math.log(hi))), lo, hi)


NETWORK_LIKE_SHARE = 0.75
"""The share of convolution and pooling draws whose map side and channels are drawn together, as networks set
them (:func:`_network_like`); the others draw them apart, for the odd shapes around."""
WIDTH_SIDE = (256.0, 16384.0)
"""Channels × map side of a network-like draw, log-uniform: networks widen as they downsample
(VGG-16: 64 channels at 224 px … 512 at 28 px, ~14 000; ResNet-50's bottlenecks 64 at 56 … 512 at
7, ~3 600; MobileNets 32 at 112 … 1024 at 7, 3 600–7 200; MobileNetV4-L 2048 at 5 px, 10 000).
Drawn apart, side and channels made big kernels either tiny maps with thousands of channels
(a 3×3 of 2048 → 2048 channels on 6×6 maps, 150 MB of weights at 15 GMAC/s) or none: VGG-16's
3×3 convolutions of 64–512 channels on 14–224 px maps, which run at 105–125 GMAC/s, had hardly a
sample near them and were priced 30–50 % too dear."""
_RATIOS = {
    "dense": (0.5, 1.0, 1.0, 1.0, 2.0),
    "pointwise": (1 / 6, 0.25, 0.5, 1.0, 1.0, 2.0, 4.0, 6.0),
    "grouped": (0.5, 1.0, 1.0, 1.0, 2.0),
}
"""Output over input channels of a network-like draw, per convolution type (a depthwise one keeps
its channels): dense layers keep or double their width, 1×1 ones also expand and project."""
_WIDEST = {
    "dense": 1024,
    "pointwise": 2048,
    "depthwise": 2048,
    "grouped": 2048,
    "maxpool": 1024,
    "avgpool": 1024,
}
"""The kinds drawn network-like (:func:`_network_like`), with the most channels each draws."""


def _network_like(cfg: Config, rng: random.Random, backend: str) -> None:
    """Redraw the side and channels of a convolution or pooling ``cfg`` together (:data:`WIDTH_SIDE`,
    :data:`_RATIOS`); a 3-channel stem keeps its own."""
    kind = cfg["kind"]
    if cfg.get("c") == 3:
        return
    side = _log_int(rng, MIN_SIDE, 224, 0.0)
    width = math.exp(rng.uniform(*map(math.log, WIDTH_SIDE))) / side
    hi = _WIDEST[kind]
    ratio = rng.choice(_RATIOS.get(kind, (1.0,)))
    if KERNEL_TYPES[kind].drawn_groups:  # channels per group drawn, as networks set them
        g = cfg["g"]
        per = _aligned(rng, width / g, 4, hi // g)
        cfg.update(side=side, c=g * per, cout=g * _aligned(rng, per * ratio, 4, hi // g))
        return
    c = _aligned(rng, width, 8, hi)
    cfg.update(side=side, c=c)
    if "cout" in cfg:
        cfg["cout"] = _aligned(rng, c * ratio, 8, hi)


def _onnx_conv_tail(cfg: Config, rng: random.Random, backend: str) -> None:
    """On onnxruntime a convolution kernel may carry a batch norm, an activation and a residual add."""
    if backend == "onnxruntime":
        cfg.update(tail=rng.choice(_TAILS), fn=rng.choice((*_PIECEWISE, "sigmoid")))


def _draw_dense(cfg: Config, rng: random.Random, backend: str) -> None:
    stem = rng.random() < 0.25  # a 3-channel stem on a large image
    cfg.update(
        c=3 if stem else _channels(rng, 8, 512),
        side=_log_int(rng, 56, 224, 0.0) if stem else cfg["side"],
        cout=_channels(rng, 8, 512),
        k=rng.choice((3, 3, 3, 5, 7)),
        stride=rng.choice((1, 1, 2)),
    )
    _onnx_conv_tail(cfg, rng, backend)


def _draw_pointwise(cfg: Config, rng: random.Random, backend: str) -> None:
    cfg.update(c=_channels(rng, 8, 2048), cout=_channels(rng, 8, 2048))
    _onnx_conv_tail(cfg, rng, backend)


def _draw_depthwise(cfg: Config, rng: random.Random, backend: str) -> None:
    cfg.update(k=rng.choice((3, 3, 5, 7)), stride=rng.choice((1, 1, 2)))
    _onnx_conv_tail(cfg, rng, backend)


def _draw_grouped(cfg: Config, rng: random.Random, backend: str) -> None:
    g = rng.choice((2, 3, 4, 8))
    cfg.update(g=g, c=g * max(1, round(cfg["c"] / g)), k=rng.choice((1, 1, 3)))
    if backend == "torch":
        # channels per group drawn as networks set them (mostly multiples of 8: torch runs 33 → 33
        # per group 2.5× slower than 32 → 32), as many output channels as input ones or others
        # (AlexNet's 96 → 256 in two groups); 5×5 windows and stride 2 too (on torch only)
        per = _channels(rng, 4, max(4, 1024 // g))
        per_out = _channels(rng, 4, max(4, 1024 // g)) if rng.random() < 0.5 else per
        cfg.update(c=g * per, cout=g * per_out, k=rng.choice((1, 1, 3, 5)), stride=rng.choice((1, 1, 1, 2)))
    _onnx_conv_tail(cfg, rng, backend)


def _draw_linear(cfg: Config, rng: random.Random, backend: str) -> None:
    cfg.update(c=_log_int(rng, 64, 16384), cout=_log_int(rng, 10, 4096))
    if backend == "onnxruntime":  # FusedGemm: a ReLU inside the fully connected kernel, or not
        cfg.update(tail=rng.choice(("", "act")), fn="relu")


MAXPOOL_SMOOTHING = 2
"""Depthwise 3×3 convolutions, each with a ReLU, that a torch max-pooling sample's random input
passes through before the pool (:func:`_pool`). torch's NCHW max pool compares element by element
and branches, so its time follows its data: on a network's activations, spatially smooth and half
zero, a 3×3 pool of 480 channels at 10×10 runs in 543 µs (GoogLeNet's inception4a, 1.0 × 160 px),
on random numbers in 797 µs, after one such layer 736, after two 650, after four 431; a network's
first pools (VGG-16's, SqueezeNet's, after one or two convolutions) run as on random numbers, its
deep ones 1.3–2.3 × faster. Timed on random numbers, VGG-16's and GoogLeNet's pools were priced
1.2–1.6 × their time; two layers price the first pools 5–15 % short and the deep ones 10–30 % dear
(docs/latency.md)."""


def _draw_maxpool(cfg: Config, rng: random.Random, backend: str) -> None:
    cfg.update(k=rng.choice((2, 3, 3)), stride=rng.choice((1, 2, 2)))
    if backend == "torch":
        cfg["smooth"] = MAXPOOL_SMOOTHING


def _draw_choices(**choices: tuple[Any, ...]) -> Callable[[Config, random.Random, str], None]:
    """A draw setting each key to a random one of its choices, in the order given."""

    def draw(cfg: Config, rng: random.Random, backend: str) -> None:
        cfg.update({key: rng.choice(values) for key, values in choices.items()})

    return draw


def _draw_activation(fns: tuple[str, ...]) -> Callable[[Config, random.Random, str], None]:
    def draw(cfg: Config, rng: random.Random, backend: str) -> None:
        cfg.update(fn=rng.choice(fns), vector=rng.random() < 0.15)

    return draw


_DRAW: dict[str, Callable[[Config, random.Random, str], None]] = {
    "dense": _draw_dense,
    "pointwise": _draw_pointwise,
    "depthwise": _draw_depthwise,
    "grouped": _draw_grouped,
    "linear": _draw_linear,
    "activation": _draw_activation(_PIECEWISE),
    "activation_exp": _draw_activation(("sigmoid", "swish")),
    "elementwise": _draw_choices(op=("add", "mul")),
    "maxpool": _draw_maxpool,
    "avgpool": _draw_choices(k=(2, 3, 3), stride=(1, 2, 2)),
    "copy": _draw_choices(op=("concat", "shuffle"), g=(2, 3, 4)),
    "view": _draw_choices(op=("flatten", "slice")),
}
"""Per kernel type, what its configuration draws beyond a side and channels (batch norm and
global pooling: nothing)."""


def draw(kind: str, rng: random.Random, backend: str) -> Config:
    """A random configuration of kernel type ``kind`` (a key of ``KINDS``)."""
    side = _log_int(rng, MIN_SIDE if backend == "torch" else 7, 112, 0.0)
    c = _channels(rng, 8, 1024)
    cfg: Config = {"kind": kind, "side": side, "c": c}
    more = _DRAW.get(kind)
    if more is not None:
        more(cfg, rng, backend)
    if kind in _WIDEST and rng.random() < NETWORK_LIKE_SHARE:
        _network_like(cfg, rng, backend)
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
    if "g" in out and KERNEL_TYPES[cfg["kind"]].drawn_groups:
        out["c"] = out["g"] * max(1, round(out["c"] / out["g"]))
        out["cout"] = out["g"] * max(1, round(out.get("cout", out["c"]) / out["g"]))
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


def _build_conv(cfg: Config) -> tuple[Graph, list[str]]:
    kind, s, c = cfg["kind"], cfg["side"], cfg["c"]
    k = cfg.get("k", 1)
    stride = cfg.get("stride", 1)
    t = KERNEL_TYPES[kind]
    groups = t.groups_of(c, cfg.get("g", 1))
    cout = t.out_channels_of(c, cfg.get("cout", c))
    if k > s or cout * (c // groups) * k * k * 4 > MAX_CONV_WEIGHT_BYTES:
        raise _collapse()  # a window wider than the map, or weights no network has
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
    # the kernel's output read by another kernel, as in a network: onnxruntime 1.32 runs an h-swish
    # whose output leaves the graph as HardSigmoid and Mul kernels of their own (after the
    # convolution: 107 + 40 + 53 µs for 24 → 144 channels at 56 px), one that another node reads
    # inside the blocked convolution (183 µs)
    b.op("sink", AdaptivePool2d, op="avg", output=1)
    return b.graph, names


def _build_linear(cfg: Config) -> tuple[Graph, list[str]]:
    c = cfg["c"]
    b = GraphBuilder((c,))
    names = [b.op("fc", Linear, in_features=c, out_features=cfg["cout"])]
    if cfg.get("tail") == "act":
        names.append(b.op("act", Activation, fn=cfg["fn"]))
    return b.graph, names


def _one_layer(
    make: Callable[[GraphBuilder, Config], None],
) -> Callable[[Config], tuple[Graph, list[str]]]:
    """A builder of a C×side×side input (C·side² with ``vector``) whose last layer, ``x``, is timed."""

    def build(cfg: Config) -> tuple[Graph, list[str]]:
        c, s = cfg["c"], cfg["side"]
        b = GraphBuilder((c * s * s,) if cfg.get("vector") else (c, s, s))
        make(b, cfg)
        return b.graph, [b.current]

    return build


def _scale(b: GraphBuilder, cfg: Config) -> None:
    if cfg["op"] == "add":
        b.op("x", Add, inputs=[INPUT, INPUT])
    else:
        b.op("gate", AdaptivePool2d, op="avg", output=1)
        b.op("x", Mul, inputs=[INPUT, "gate"])


def _pool(b: GraphBuilder, cfg: Config) -> None:
    """The pool ``x``, after ``smooth`` depthwise 3×3 convolutions with ReLUs (:data:`MAXPOOL_SMOOTHING`)."""
    k, c = cfg["k"], cfg["c"]
    for i in range(cfg.get("smooth", 0)):
        b.op(f"s{i}.conv", Conv2d, in_channels=c, out_channels=c, kernel=(3, 3), padding=(1, 1), groups=c)
        b.op(f"s{i}.act", Activation, fn="relu")
    b.op(
        "x",
        Pool2d,
        op=KERNEL_TYPES[cfg["kind"]].pool,
        kernel=k,
        stride=cfg["stride"],
        padding=k // 2 if k == 3 else 0,
    )


def _copy(cfg: Config) -> tuple[Graph, list[str]]:
    c, s = cfg["c"], cfg["side"]
    if cfg["op"] == "concat":
        b = GraphBuilder((c * s * s,) if cfg.get("vector") else (c, s, s))
        return b.graph, [b.op("x", Concat, inputs=[INPUT, INPUT])]
    g = cfg["g"]
    b = GraphBuilder((g * max(1, c // g), s, s))
    return b.graph, [b.op("x", ChannelShuffle, groups=g)]


def _view(b: GraphBuilder, cfg: Config) -> None:
    if cfg["op"] == "flatten":
        b.op("x", Flatten)
    else:
        b.op("x", Slice, start=0, stop=max(1, cfg["c"] // 2))


_BUILD: dict[str, Callable[[Config], tuple[Graph, list[str]]]] = {
    "dense": _build_conv,
    "pointwise": _build_conv,
    "depthwise": _build_conv,
    "grouped": _build_conv,
    "linear": _build_linear,
    "batchnorm": _one_layer(lambda b, cfg: b.op("x", BatchNorm2d, channels=cfg["c"])),
    "activation": _one_layer(lambda b, cfg: b.op("x", Activation, fn=cfg["fn"])),
    "activation_exp": _one_layer(lambda b, cfg: b.op("x", Activation, fn=cfg["fn"])),
    "elementwise": _one_layer(_scale),
    "maxpool": _one_layer(_pool),
    "avgpool": _one_layer(_pool),
    "global_pool": _one_layer(lambda b, cfg: b.op("x", AdaptivePool2d, op="avg", output=1)),
    "copy": _copy,
    "view": _one_layer(_view),
}
"""Per kernel type, the graph of a configuration and the names of the layers of its timed kernel."""


def _build(cfg: Config) -> tuple[Graph, list[str]]:
    builder = _BUILD.get(cfg["kind"])
    if builder is None:
        raise ValueError(f"no synthetic kernels for kind {cfg['kind']!r}")
    return builder(cfg)


def _collapse() -> Exception:
    from archcalc.errors import ArchcalcError

    return ArchcalcError("a shape no network has")


def kinds_for(backend: str) -> list[str]:
    """The kernel types calibrated on ``backend`` (its profile's kinds: ``reorder`` on onnxruntime only)."""
    return list(backend_types(backend))


def reorder_config(rng: random.Random) -> Config:
    """A random layout-reorder sample: a ``c``×``side``² map (c a multiple of 4 and at least 16, so
    onnxruntime reorders it into NCHWc before the convolution; mostly a multiple of 16, as networks'
    channels are) into a 1×1 convolution to ``cout`` channels of stride ``stride``, whose output it
    reorders back."""
    c = _log_int(rng, 16, 1024, 0.0)
    c = 16 * max(1, round(c / 16)) if rng.random() < 0.7 else 4 * max(4, round(c / 4))
    return {
        "kind": REORDER,
        "c": c,
        "cout": _log_int(rng, 8, 1024),
        "side": _log_int(rng, 7, 112, 0.0),
        "stride": rng.choice((1, 1, 2)),
    }


def reorder_graph(cfg: Config) -> Graph | None:
    """The graph of a :func:`reorder_config` (None: over :data:`MAX_ELEMS`)."""
    c, s = cfg["c"], cfg["side"]
    b = GraphBuilder((c, s, s))
    stride = cfg["stride"]
    b.op("conv", Conv2d, in_channels=c, out_channels=cfg["cout"], kernel=(1, 1), stride=(stride, stride))
    return b.graph if _fits(b.graph) else None


__all__ = [
    "MAX_CONV_WEIGHT_BYTES",
    "MAX_ELEMS",
    "MAX_MACS",
    "Config",
    "build",
    "draw",
    "kinds_for",
    "perturb",
    "reorder_config",
    "reorder_graph",
]
