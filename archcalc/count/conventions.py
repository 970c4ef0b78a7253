"""Named counting conventions: which MACs (or FLOPs) and which parameters a figure counts.

Tools disagree (ptflops, thop and fvcore give three numbers for one model) because they count
different things. Every figure archcalc prints names one of these conventions. A convention counts
MACs (``paper``, ``fvcore``, ``torch``, ``ptflops``, ``thop``, ``torchinfo``, ``torchprofile``),
FLOPs (``tf``) or neither (``keras``, which counts parameters only); it counts parameters unless it
says otherwise (``tf`` and ``torchprofile`` have no parameter count).

A convention's count is the sum over the graph of each op's charges under its counter
(:mod:`archcalc.model.ops.counting`; the rules live on the op classes). The tool-named conventions
reproduce one release of their tool, pinned in ``constraints-test.txt`` and checked against the real
tool by the tests: some of their rules are that release's quirks (ptflops counts ReLU and pooling
twice, thop batch norm at 4 per element), which a new release may change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archcalc.errors import ArchcalcError
from archcalc.model.graph import Node
from archcalc.model.ops.counting import COUNTERS, charges

Unit = Literal["MACs", "FLOPs"]


@dataclass(frozen=True, slots=True)
class Convention:
    """A counting convention: what its count counts, which parameters, and how to cite it.

    ``counter`` names the op charges it sums (``None``: it counts no MACs or FLOPs) in ``unit``;
    ``params_parts`` says which parameters it counts, as (conv / linear weights and biases, batch
    norm γ and β, batch norm running mean and variance), or ``None`` for no parameter count.
    """

    name: str
    macs_rule: str | None
    params_rule: str | None
    reproduces: str
    counter: str | None
    unit: Unit | None
    params_parts: tuple[bool, bool, bool] | None

    @property
    def fvcore_macs(self) -> bool:
        """Whether the count is fvcore's (the fast path's second MAC column)."""
        return self.counter == "fvcore"

    @property
    def bn_params(self) -> bool:
        """Whether batch norm's γ and β are counted as parameters."""
        return self.params_parts is not None and self.params_parts[1]

    @property
    def counts_macs(self) -> bool:
        return self.unit == "MACs"

    @property
    def counts_params(self) -> bool:
        return self.params_parts is not None

    @property
    def index(self) -> int:
        """This convention's column in :data:`archcalc.model.ops.counting.COUNTERS`."""
        if self.counter is None:
            raise ArchcalcError(self.undefined("MACs"))
        return COUNTERS.index(self.counter)

    def undefined(self, quantity: str) -> str:
        """The one-line refusal for a quantity this convention does not count."""
        counts = [q for q, ok in (("MACs", self.counts_macs), ("FLOPs", self.unit is not None)) if ok]
        if self.counts_params:
            counts.append("params")
        what = " and ".join(counts) or "nothing"
        return (
            f"convention {self.name!r} counts no {quantity} (it counts {what}); choose another --convention"
        )

    def count(self, n: Node) -> int | None:
        """The node's count in this convention's unit (MACs, or FLOPs for ``tf``); None: none."""
        if self.counter is None:
            return None
        op = n.op
        if self.counter in ("paper", "torch"):
            return op.macs(n.in_shapes, n.out_shape)
        if self.counter == "fvcore":
            return op.fvcore_macs(n.in_shapes, n.out_shape)
        return charges(op.tallies(n.in_shapes, n.out_shape))[self.index]

    def macs(self, n: Node) -> int | None:
        """The node's MACs under this convention (None where it counts none: ``tf``, ``keras``)."""
        return self.count(n) if self.unit == "MACs" else None

    def flops(self, n: Node) -> int | None:
        """The node's FLOPs: 2 × MACs, or the count itself for a FLOP convention (``tf``)."""
        c = self.count(n)
        return None if c is None else 2 * c if self.unit == "MACs" else c

    def params(self, n: Node) -> int | None:
        """The node's parameters under this convention (None where it counts none)."""
        if self.params_parts is None:
            return None
        w, nb, buf = self.params_parts
        op = n.op
        return (
            (op.weight_params() if w else 0)
            + (op.norm_params() if nb else 0)
            + (op.buffer_elems() if buf else 0)
        )

    def trainable(self, n: Node) -> int | None:
        """The node's trainable parameters (all of :meth:`params` but batch norm's running stats)."""
        if self.params_parts is None:
            return None
        w, nb, _ = self.params_parts
        return (n.op.weight_params() if w else 0) + (n.op.norm_params() if nb else 0)

    def require(self, quantity: Literal["MACs", "params"]) -> Convention:
        """This convention if it counts ``quantity``; else the one-line refusal."""
        ok = self.counts_macs if quantity == "MACs" else self.counts_params
        if not ok:
            raise ArchcalcError(self.undefined(quantity))
        return self


_EVERY_PARAM = (True, True, False)

CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "paper",
            "conv (incl. depthwise, transposed) + linear + matmul of activations; no BN, activation, "
            "pooling, add",
            "conv + linear weights and biases; no BN",
            "MobileNet V1/V2/V3 tables, TF-Slim READMEs",
            counter="paper",
            unit="MACs",
            params_parts=(True, False, False),
        ),
        Convention(
            "fvcore",
            "conv + linear + matmul + batch norm (eval: 2 per element with affine) + adaptive avg "
            "pool (1 per input element) + layer norm (5 per element with affine) + upsample (1 per "
            "output element nearest, 4 bilinear); everything else 0",
            "every learnable parameter (fvcore parameter_count), BN γ/β included",
            "FlopCountAnalysis(model.eval(), x).total() and parameter_count(model)['']",
            counter="fvcore",
            unit="MACs",
            params_parts=_EVERY_PARAM,
        ),
        Convention(
            "torch",
            "conv + linear + matmul, as torch.utils.flop_counter.FlopCounterMode (its FLOPs / 2)",
            "every nn.Parameter, BN γ/β included",
            "sum(p.numel() for p in model.parameters()), torchvision num_params",
            counter="torch",
            unit="MACs",
            params_parts=_EVERY_PARAM,
        ),
        Convention(
            "ptflops",
            "ptflops 0.7.5 (pytorch backend): conv + linear + their bias adds (1 per output element) + "
            "BN 2 per element + ReLU 2, ReLU6 and SiLU 1 per element + max / avg / adaptive pooling 2 "
            "per input element; "
            "hard-swish, hard-sigmoid, sigmoid, add, multiply 0",
            "ptflops 0.7.5: every nn.Parameter with requires_grad, as torch",
            "ptflops 0.7.5: get_model_complexity_info(model, (C, H, W), as_strings=False), "
            "default pytorch backend",
            counter="ptflops",
            unit="MACs",
            params_parts=_EVERY_PARAM,
        ),
        Convention(
            "thop",
            "thop 0.1.1: conv + linear (no bias) + BN 4 per element + avg pool 1 per output element + "
            "adaptive avg pool (H/o·W/o + 1) per output element; activations, max pool, add, multiply 0",
            "thop 0.1.1: the parameters of every layer it has a rule for (conv, linear, BN), so every "
            "nn.Parameter here",
            "thop 0.1.1 (0.1.1.post2209072238): profile(model, inputs=(x,))",
            counter="thop",
            unit="MACs",
            params_parts=_EVERY_PARAM,
        ),
        Convention(
            "torchinfo",
            "torchinfo 1.8.0 total mult-adds: conv + linear + their bias adds (1 per output element) + "
            "BN 2 per channel (batch × γ, β); everything else 0",
            "torchinfo 1.8.0 total_params: every nn.Parameter, as torch",
            "torchinfo 1.8.0: summary(model, input_size=(1, C, H, W)).total_mult_adds",
            counter="torchinfo",
            unit="MACs",
            params_parts=_EVERY_PARAM,
        ),
        Convention(
            "torchprofile",
            "torchprofile 0.1.0: conv + linear + BN 1 per element + avg / adaptive avg pool 1 per output "
            "element + "
            "multiply 1 per output element; add, max pool, activations 0 (hard-swish, hard-sigmoid "
            "skipped with a warning)",
            None,
            "torchprofile 0.1.0: profile_macs(model, x) (it counts no parameters)",
            counter="torchprofile",
            unit="MACs",
            params_parts=None,
        ),
        Convention(
            "tf",
            "TensorFlow 2.21 profiler FLOPs: 2 per conv / depthwise / linear multiply-add + BiasAdd 1 per "
            "output element + "
            "unfused BN 2 per element + 6 per channel + Add, Mul 1 per element + Mean 1 per input "
            "element + MaxPool / AvgPool k² per output element + hard-swish 3, hard-sigmoid 2, SiLU 2 "
            "per element; ReLU, ReLU6, sigmoid 0",
            None,
            "TensorFlow 2.21 profiler: profile(frozen graph of the Keras model, "
            "options=float_operation()).total_float_ops, batch 1, the classifier's softmax left out "
            "(it counts no parameters)",
            counter="tf",
            unit="FLOPs",
            params_parts=None,
        ),
        Convention(
            "keras",
            None,
            "Keras 3.15 count_params(): every weight Keras holds, conv / dense kernels and biases, BN γ, β "
            "and its moving mean and variance (non-trainable)",
            "Keras 3.15: model.count_params(), model.summary()'s Total / Trainable / Non-trainable "
            "params (it counts no MACs)",
            counter=None,
            unit=None,
            params_parts=(True, True, True),
        ),
    )
}


def get_convention(name: str) -> Convention:
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ArchcalcError(
            f"--convention {name!r} is not known; choose one of {', '.join(CONVENTIONS)}"
        ) from None
