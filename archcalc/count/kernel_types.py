"""The kernel types of the latency model, each with the facts its consumers ask (pure Python).

A device profile holds one roofline (and learned factor) per kernel *type*: the latency kind of a
kernel's first layer (each op class states its own, ``Op.latency_kind`` / ``Op.row_latency_kind``),
or a kernel no layer asks for (onnxruntime's layout reorders). What a type prices decides its
roofline (:mod:`archcalc.count.latency`):

- ``macs``: t = max(MACs·B / R, bytes / (e·W(bytes))) + o — convolutions and linear layers;
- ``bytes``: t = max(bytes / R, bytes / (e·W(bytes))) + o — data kinds (R a flat processing rate);
- ``overhead``: t = o — a torch view, which moves no data and writes no output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BACKENDS_ALL: tuple[str, ...] = ("torch", "onnxruntime")


@dataclass(frozen=True, slots=True)
class KernelType:
    """One kernel type: its name, what it holds, what its roofline prices, the backends whose
    profiles have it and how ``archcalc calibrate`` samples it (synthetic ``kernels`` headed by a
    layer of the type, or the layout ``reorders`` around synthetic convolutions); for a
    convolution type its groups (``one``; one per ``channels``, as depthwise; ``some``, as a group
    convolution), for a pooling type its reduction (``max`` or ``avg``); for a type with weights, the
    family whose rate ω of streaming cold weights it shares (``streams``: eager torch's convolutions
    all reorder their weights on each call; a matrix–vector product reads them in one pass)."""

    name: str
    holds: str
    priced_on: Literal["macs", "bytes", "overhead"]
    backends: tuple[str, ...] = BACKENDS_ALL
    sampled_as: Literal["kernels", "reorders"] = "kernels"
    groups: Literal["one", "channels", "some"] | None = None
    pool: Literal["max", "avg"] | None = None
    streams: Literal["conv", "linear"] | None = None

    @property
    def on_macs(self) -> bool:
        """Its rate R counts MACs (a conv or linear type), and its bound can be ``compute``."""
        return self.priced_on == "macs"

    @property
    def moves_data(self) -> bool:
        """False for a view: no bandwidth term in the profile, no bytes written in a forward pass."""
        return self.priced_on != "overhead"

    @property
    def drawn_groups(self) -> bool:
        """A group convolution type: its G is a layer's own, and its channels multiples of it."""
        return self.groups == "some"

    def groups_of(self, channels: int, drawn: int = 1) -> int:
        """G of a convolution of this type on ``channels`` input channels (``drawn``: a group
        convolution's own G)."""
        return {"channels": channels, "some": drawn}.get(self.groups or "one", 1)

    def out_channels_of(self, channels: int, drawn: int) -> int:
        """The output channels of a convolution of this type on ``channels`` input channels
        (``drawn``: a layer's own): a depthwise one keeps its channels."""
        return channels if self.groups == "channels" else drawn


REORDER = "reorder"
"""The layout-reorder type's name (onnxruntime's NCHW ↔ NCHWc conversions)."""

_TYPES = (
    KernelType("dense", "standard convolution, kernel > 1, groups = 1", "macs", groups="one", streams="conv"),
    KernelType("pointwise", "1×1 convolution, groups = 1", "macs", groups="one", streams="conv"),
    KernelType(
        "depthwise",
        "depthwise convolution (groups = input channels)",
        "macs",
        groups="channels",
        streams="conv",
    ),
    KernelType(
        "grouped", "group convolution (1 < groups < input channels)", "macs", groups="some", streams="conv"
    ),
    KernelType(
        "linear",
        "fully connected layer (and a 1×1 convolution on a 1×1 map: the same product)",
        "macs",
        streams="linear",
    ),
    KernelType("batchnorm", "batch norm (eval: a per-channel scale and shift)", "bytes"),
    KernelType("activation", "ReLU, ReLU6, h-swish, h-sigmoid (piecewise linear)", "bytes"),
    KernelType("activation_exp", "sigmoid, swish (an exponential per element)", "bytes"),
    KernelType("elementwise", "residual add, squeeze-and-excite multiply", "bytes"),
    KernelType("maxpool", "windowed max pooling", "bytes", pool="max"),
    KernelType("avgpool", "windowed average pooling", "bytes", pool="avg"),
    KernelType("global_pool", "global or adaptive pooling", "bytes"),
    KernelType("copy", "concat, channel shuffle (a data copy, no arithmetic)", "bytes"),
    KernelType("view", "flatten, channel slice (a torch view: no data moves)", "overhead"),
    KernelType(
        REORDER,
        "NCHW ↔ NCHWc layout reorder onnxruntime inserts between kernels (no layer asks for it)",
        "bytes",
        backends=("onnxruntime",),
        sampled_as="reorders",
    ),
)

KERNEL_TYPES: dict[str, KernelType] = {t.name: t for t in _TYPES}
"""Every kernel type by name, in the order profiles list them."""


def backend_types(backend: str) -> tuple[str, ...]:
    """The names of the types a profile of ``backend`` holds (torch never reorders a layout)."""
    return tuple(t.name for t in _TYPES if backend in t.backends)


__all__ = ["KERNEL_TYPES", "REORDER", "KernelType", "backend_types"]
