"""Upsampling (resize) of a map by a scale factor or to a size: nearest or bilinear."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from math import prod
from typing import Any, ClassVar

from archcalc.errors import ArchcalcError
from archcalc.model.ops.base import OnnxSink, Op, Shape, fmt_shape
from archcalc.model.ops.counting import Tally, rule

_FVCORE_PER_OUTPUT = {"nearest": 1, "bilinear": 4}
"""fvcore's handles: ``upsample_nearest2d`` 1 and ``upsample_bilinear2d`` 4 per output element."""

UPSAMPLE_OUTPUT = {
    mode: rule(
        f"{mode} upsample output element",
        fvcore=_FVCORE_PER_OUTPUT.get(mode, 0),
        ptflops=1,
        thop={"nearest": 1, "bilinear": 11, "bicubic": 259}[mode],
        torchprofile=4 if mode == "bilinear" else 0,
    )
    for mode in ("nearest", "bilinear", "bicubic")
}
"""fvcore as above; ptflops' nn.Upsample hook, 1 per output element; thop 0.1.1 ``count_upsample``:
1 nearest, 11 bilinear, 259 bicubic; torchprofile: 4 for aten::upsample_bilinear2d, nearest free,
bicubic skipped."""
UPSAMPLE_PTFLOPS_CALL = rule(
    "upsample: ptflops' F.interpolate count (input × ∏⌊scale⌋, or output)", ptflops=1
)
UPSAMPLE_TF_LAYER = rule("nearest upsample layer (TF multiplies the 2-vector size)", tf=1)


@dataclass(slots=True, unsafe_hash=True, repr=False)
class Upsample(Op):
    """C×H×W → C×H'×W' with H' = ⌊H·s_h⌋ (torch's rule for a scale factor) or a given size.

    0 MACs for the papers and FlopCounterMode; fvcore counts 1 per output element for nearest and
    4 for bilinear (``elementwise_flop_counter(0, 1)`` and ``(0, 4)``), and skips bicubic.
    """

    kind: ClassVar[str] = "upsample"
    latency_kind = "copy"
    fvcore_skipped: ClassVar[dict[str, str]] = {"aten::upsample_bicubic2d": "bicubic upsample: 0 MACs"}
    mode: str = "nearest"  # "nearest" | "bilinear" | "bicubic"
    scale: tuple[float, float] | None = None
    size: tuple[int, int] | None = None
    align_corners: bool | None = None

    def __post_init__(self) -> None:
        if (self.scale is None) == (self.size is None):
            raise ArchcalcError("upsample needs a scale or a size, not both")
        if self.scale is not None and not all(math.isfinite(s) and s > 0 for s in self.scale):
            raise ArchcalcError(f"upsample scale must be > 0, got {self.scale}")

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        (shape,) = inputs
        if len(shape) != 3:
            raise ArchcalcError(f"upsample expects a C×H×W map, got {fmt_shape(shape)}")
        c, h, w = shape
        if self.size is not None:
            return (c, *self.size)
        assert self.scale is not None
        ho, wo = math.floor(h * self.scale[0]), math.floor(w * self.scale[1])
        if ho < 1 or wo < 1:
            raise ArchcalcError(f"upsample by {self.scale} leaves a {ho}×{wo} map")
        return (c, ho, wo)

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        return _FVCORE_PER_OUTPUT.get(self.mode, 0) * prod(out)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """Output elements as each counter charges them, ptflops' second count (the patched
        ``F.interpolate``: input elements × ∏⌊scale⌋ for a scale, output elements for a size), and
        TF's 2 for the new size of a nearest resize."""
        n_out = prod(out)
        call = prod(inputs[0]) * prod(int(x) for x in self.scale) if self.scale is not None else n_out
        items: list[Tally] = [(UPSAMPLE_OUTPUT[self.mode], n_out), (UPSAMPLE_PTFLOPS_CALL, call)]
        if self.mode == "nearest":
            items.append((UPSAMPLE_TF_LAYER, 2))
        return tuple(items)

    def category(self) -> str:
        return "Upsample"

    def describe(self) -> str:
        how = f"×{_num(self.scale[0])}" if self.scale and self.scale[0] == self.scale[1] else ""
        if self.scale and not how:
            how = f"×{_num(self.scale[0])}×{_num(self.scale[1])}"
        return f"{self.mode} {how or 'to ' + fmt_shape(self.size or ())}"

    def torch_module(self) -> Any:
        from torch import nn

        return nn.Upsample(
            size=self.size,
            scale_factor=self.scale,
            mode=self.mode,
            align_corners=self.align_corners if self.mode != "nearest" else None,
        )

    def onnx_nodes(
        self, sink: OnnxSink, name: str, inputs: Sequence[str], in_shapes: Sequence[Shape]
    ) -> None:
        """ONNX ``Resize`` by ``scales`` or to ``sizes`` (nearest: ``floor``, as torch; bilinear:
        ``linear`` with ``align_corners`` or torch's ``pytorch_half_pixel``)."""
        c = in_shapes[0][0]
        mode = {"nearest": "nearest", "bilinear": "linear"}.get(self.mode, "cubic")
        attrs: dict[str, Any] = {"mode": mode}
        if self.mode == "nearest":
            attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        else:
            attrs["coordinate_transformation_mode"] = (
                "align_corners" if self.align_corners else "pytorch_half_pixel"
            )
        if self.size is not None:
            sizes = sink.ints(f"{name}.sizes", [1, c, *self.size])
            sink.node("Resize", [inputs[0], "", "", sizes], name, name, **attrs)
        else:
            assert self.scale is not None
            scales = sink.floats(f"{name}.scales", [1.0, 1.0, *self.scale])
            sink.node("Resize", [inputs[0], "", scales], name, name, **attrs)


def _num(x: float) -> str:
    return f"{x:g}"
