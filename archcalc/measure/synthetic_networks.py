"""Random synthetic networks for the whole-forward stage of ``archcalc calibrate``.

Each network is a seeded random chain of blocks built with :class:`~archcalc.model.graph.GraphBuilder`
from the same primitive kinds the latency model prices: a dense 3×3 stem of stride 1 or 2 (conv,
batch norm, activation), then 2–5 stages of blocks drawn from

- ``plain``: 3×3 dense conv, batch norm, activation;
- ``separable``: depthwise 3×3 or 5×5, BN, activation, pointwise, BN, activation;
- ``inverted``: pointwise expansion, BN, act, depthwise, BN, act, optional squeeze-and-excite
  (global pool, 1×1 convs, sigmoid-like gate, multiply), pointwise projection, BN, residual add;
- ``grouped``: grouped 1×1 conv, BN, act, channel shuffle, depthwise, BN, grouped 1×1, BN, add;
- ``split``: channel slices, one branch (1×1, BN, act, depthwise, BN, 1×1, BN, act), concat, shuffle;
- ``fire``: 1×1 squeeze, act, then 1×1 and 3×3 expansions concatenated;

with max or average pooling between some stages, and a head of adaptive pooling (1–6 px),
flatten and one to three linear layers (hidden widths 512–4096, ReLU). Widths (8–512 channels),
input sides (64–224 px), kernel sizes and activations are random. Nothing is taken from a
built-in network: ``benchmarks/latency_model.py`` evaluates on networks the calibration never
saw. Pure Python (no torch).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from archcalc.model.blocks.basic import conv_bn_act, dwsep
from archcalc.model.blocks.inverted_residual import inverted_residual
from archcalc.model.blocks.shufflenet import shuffle_v2_unit
from archcalc.model.graph import Graph, GraphBuilder
from archcalc.model.ops import (
    Activation,
    AdaptivePool2d,
    Add,
    ChannelShuffle,
    Concat,
    Flatten,
    Linear,
    Mul,
    Pool2d,
)

ACTIVATIONS = ("relu", "relu", "relu6", "hswish", "swish", "sigmoid")


class _Net:
    def __init__(self, rng: random.Random, side: int) -> None:
        self.rng = rng
        self.b = GraphBuilder((3, side, side))
        self.i = 0

    def name(self, what: str) -> str:
        self.i += 1
        return f"n{self.i}.{what}"

    def channels(self, t: str | None = None) -> int:
        return self.b.shape(t)[0]

    def cba(
        self,
        cout: int,
        k: int,
        stride: int = 1,
        groups: int = 1,
        fn: str | None = None,
        src: str | None = None,
    ) -> str:
        """The conv block (:func:`~archcalc.model.blocks.basic.conv_bn_act`): conv, BN, ``fn`` if any."""
        if src is not None:
            self.b.current = src
        return conv_bn_act(self.b, self.name("conv"), cout, k, stride, groups, act=fn or "none")

    def conv(self, cout: int, k: int = 1, src: str | None = None) -> str:
        """A bare k×k conv (no BN, no bias)."""
        if src is not None:
            self.b.current = src
        return conv_bn_act(self.b, self.name("conv"), cout, k, act="none", bn=False, bias=False)

    def act(self, fn: str) -> str:
        return self.b.op(self.name("act"), Activation, fn=fn)


def _plain(net: _Net, cout: int, stride: int, fn: str) -> None:
    net.cba(cout, 3, stride, 1, fn)


def _separable(net: _Net, cout: int, stride: int, fn: str) -> None:
    dwsep(net.b, net.name("sep"), cout, net.rng.choice((3, 5)), stride, act=fn)


def _inverted(net: _Net, cout: int, stride: int, fn: str) -> None:
    rng, b = net.rng, net.b
    e = net.channels() * rng.choice((3, 4, 6))
    k = rng.choice((3, 5))
    se = None
    if rng.random() < 0.4:
        gate = rng.choice(("sigmoid", "hsigmoid"))

        def se(b: GraphBuilder) -> str:
            """Squeeze-and-excite with a BN after the squeeze conv, and no conv bias."""
            y = b.current
            b.op(net.name("gap"), AdaptivePool2d, op="avg", output=1)
            net.cba(max(8, e // 4), 1)
            net.act("relu")
            net.conv(e)
            return b.op(net.name("se"), Mul, inputs=[y, net.act(gate)])

    inverted_residual(b, net.name("ir"), e, cout, k, stride, fn, se=se)


def _grouped(net: _Net, cout: int, stride: int, fn: str) -> None:
    b = net.b
    x = b.current
    cin = net.channels()
    g = net.rng.choice((2, 4))
    mid = max(g, (cout // 4) // g * g)
    if cin % g or cout % g:
        net.cba(cout, 1, stride, 1, fn)
        return
    net.cba(mid, 1, 1, g, fn)
    b.op(net.name("shuffle"), ChannelShuffle, groups=g)
    net.cba(mid, 3, stride, mid)
    net.cba(cout, 1, 1, g)
    if stride == 1 and cin == cout:
        b.op(net.name("add"), Add, inputs=[x, b.current])
    net.act(fn)


def _split(net: _Net, cout: int, stride: int, fn: str) -> None:
    cin = net.channels()
    split = stride == 1 and cin == cout and cin % 2 == 0
    shuffle_v2_unit(net.b, net.name("split"), cout, stride, split, act=fn)


def _fire(net: _Net, cout: int, stride: int, fn: str) -> None:
    """With a BN after the squeeze conv."""
    left = net.cba(max(8, cout // 8), 1, stride, 1, "relu")
    net.conv(cout // 2, 1, src=left)
    a = net.act("relu")
    net.conv(cout - cout // 2, 3, src=left)
    c = net.act("relu")
    net.b.op(net.name("cat"), Concat, inputs=[a, c])


_BUILDERS: dict[str, Callable[[_Net, int, int, str], None]] = {
    "plain": _plain,
    "separable": _separable,
    "inverted": _inverted,
    "grouped": _grouped,
    "split": _split,
    "fire": _fire,
}
"""Each block of the module doc: (net, output channels, stride, activation) → appends it."""
BLOCKS = tuple(_BUILDERS)


def synthetic_network(seed: int, max_macs: float = 6e8) -> Graph:
    """One random network (see module doc), deterministic in ``seed``; its widths, then its input
    side (down to 32 px), shrunk until its MACs are at most ``max_macs``."""
    from archcalc.count.closed_form import layer_costs

    rng = random.Random(seed)
    side = rng.choice((64, 96, 128, 160, 192, 224))
    c0 = rng.choice((8, 16, 24, 32, 48))
    stages = rng.randint(2, 5)
    blocks = [rng.choice(BLOCKS) for _ in range(stages)]
    depth = [rng.randint(1, 4) for _ in range(stages)]
    grow = rng.choice((1.5, 2.0))
    fns = [rng.choice(ACTIVATIONS) for _ in range(stages)]
    pools = [rng.random() < 0.25 for _ in range(stages)]
    stem_stride = rng.choice((1, 2, 2))
    scale = 1.0
    while True:
        net = _Net(random.Random(seed + 1), side)
        c = max(8, int(c0 * scale) // 8 * 8)
        net.cba(c, 3, stem_stride, 1, fns[0])
        for s in range(stages):
            if pools[s] and min(net.b.shape()[1:]) >= 8:
                op = net.rng.choice(("max", "avg"))
                k = net.rng.choice((2, 3))
                net.b.op(net.name("pool"), Pool2d, op=op, kernel=k, stride=2, padding=k // 2)
            cout = min(512, max(8, int(c * grow) // 8 * 8))
            for d in range(depth[s]):
                stride = 2 if d == 0 and min(net.b.shape()[1:]) >= 8 else 1
                _BUILDERS[blocks[s]](net, cout if d == 0 else net.channels(), stride, fns[s])
            c = net.channels()
        if net.rng.random() < 0.5:
            net.cba(min(1280, 4 * c), 1, 1, 1, fns[-1])
        out = min(net.rng.choice((1, 1, 1, 2, 4, 6)), *net.b.shape()[1:])
        net.b.op(net.name("gap"), AdaptivePool2d, op="avg", output=out)
        net.b.op(net.name("flatten"), Flatten)
        for _ in range(net.rng.choice((0, 0, 1, 2))):
            hidden = net.rng.choice((512, 1024, 2048, 4096))
            net.b.op(net.name("fc"), Linear, in_features=net.channels(), out_features=hidden)
            net.act("relu")
        fout = net.rng.choice((10, 1000))
        net.b.op(net.name("fc"), Linear, in_features=net.channels(), out_features=fout)
        macs = sum(x.macs for x in layer_costs(net.b.graph))
        if macs <= max_macs or (scale < 0.1 and side <= 32):
            return net.b.graph
        if scale < 0.1:
            side = max(32, int(side * 0.8) // 8 * 8)
        else:
            scale *= 0.7


def synthetic_networks(count: int, seed: int = 0, max_macs: float = 6e8) -> list[Graph]:
    """``count`` random networks with seeds ``seed``, ``seed + 1000`` …"""
    return [synthetic_network(seed + 1000 * i, max_macs) for i in range(count)]


__all__ = ["BLOCKS", "synthetic_network", "synthetic_networks"]
