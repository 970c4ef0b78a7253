"""The primitive-op protocol: every primitive layer kind answers the same questions.

A resolved graph is made of primitives only (conv with groups, linear, batch norm, activation,
pooling, add, multiply, concat, flatten). Each primitive kind is one slotted dataclass that knows
its output shape, its parameters, its multiply-accumulates (MACs) under each counting convention,
and the weight elements it reads. Cost, traffic and (later) the torch builder are looked up by
``kind``; nothing else in the code branches on layer kinds.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any, ClassVar

from archcalc.model.ops.counting import Tally, default_fvcore_rule, default_macs_rule

Shape = tuple[int, ...]
"""A tensor shape without the batch dimension: ``(C, H, W)`` for maps, ``(F,)`` for vectors."""


def fmt_shape(shape: Shape | list[int]) -> str:
    """``(32, 112, 112)`` → ``32×112×112``."""
    return "×".join(str(d) for d in shape)


def numel(shape: Shape) -> int:
    """Number of elements of one sample's tensor: the product of its dimensions."""
    return prod(shape)


class Op:
    """Base class of primitive layer kinds.

    Subclasses are ``@dataclass(slots=True, unsafe_hash=True)`` values: never mutated after
    construction, hashed by their fields (the sweep engine memoises on ops). They are not
    ``frozen=True`` because a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__``, which made building ops a fifth of resolving a network.
    """

    kind: ClassVar[str]
    n_inputs: ClassVar[int | None] = 1  # None: any number >= 1

    def out_shape(self, inputs: Sequence[Shape]) -> Shape:
        """Output shape for the given input shapes; raises on a mismatch or a collapsed map."""
        raise NotImplementedError

    def weight_params(self) -> int:
        """Learnable conv / linear weights and biases (the papers' parameter count)."""
        return 0

    def bias_params(self) -> int:
        """The bias part of :meth:`weight_params`."""
        return 0

    def norm_params(self) -> int:
        """Learnable normalisation parameters (batch norm γ and β): counted by torch, not papers."""
        return 0

    def buffer_elems(self) -> int:
        """Non-learnable state read at inference (batch norm running mean and variance)."""
        return 0

    def macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """Multiply-accumulates under the paper convention: conv and linear only."""
        return 0

    def fvcore_macs(self, inputs: Sequence[Shape], out: Shape) -> int:
        """What fvcore's FlopCountAnalysis counts for this op (its default handles).

        The paper count unless a kind says otherwise: fvcore counts conv and linear as the papers
        do, adds batch norm and adaptive average pooling, and skips every other kind (0 MACs in the
        paper count too).
        """
        return self.macs(inputs, out)

    def tallies(self, inputs: Sequence[Shape], out: Shape) -> tuple[Tally, ...]:
        """What this op has that some counter counts: (rule, units) pairs (see
        :mod:`archcalc.model.ops.counting`); a counter's figure is Σ units × its charge.

        The default, for a kind that states no rules of its own: its paper MACs, charged 1 by every
        MAC counter and 2 by ``tf``, and whatever fvcore's handle counts beyond them.
        """
        macs = self.macs(inputs, out)
        extra = self.fvcore_macs(inputs, out) - macs
        items: list[Tally] = []
        if macs:
            items.append((default_macs_rule(self.kind), macs))
        if extra:
            items.append((default_fvcore_rule(self.kind), extra))
        return tuple(items)

    def weights_read(self) -> int:
        """Elements of weights and state read by one forward pass (traffic rule)."""
        return self.weight_params() + self.norm_params() + self.buffer_elems()

    def category(self) -> str:
        """The layer-type bucket of MobileNet V1 Table 2 (``Conv 1×1``, ``Fully Connected`` …)."""
        raise NotImplementedError

    def describe(self) -> str:
        """Short human description of the op's arguments (filter shape, stride …)."""
        return self.kind

    def torch_module(self) -> Any:
        """The equivalent ``torch.nn.Module`` (torch is imported only inside this method)."""
        raise NotImplementedError
