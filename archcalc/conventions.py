"""Named counting conventions: which MACs and which parameters a figure counts.

Tools disagree (ptflops, thop and fvcore give three numbers for one model) because they count
different things. Every figure archcalc prints names one of these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from archcalc.errors import ArchcalcError
from archcalc.graph import Node


@dataclass(frozen=True, slots=True)
class Convention:
    name: str
    macs_rule: str
    params_rule: str
    reproduces: str
    macs: Callable[[Node], int]
    params: Callable[[Node], int]


def _paper_macs(n: Node) -> int:
    return n.op.macs(list(n.in_shapes), n.out_shape)


def _fvcore_macs(n: Node) -> int:
    return n.op.fvcore_macs(list(n.in_shapes), n.out_shape)


def _weights(n: Node) -> int:
    return n.op.weight_params()


def _all_params(n: Node) -> int:
    return n.op.weight_params() + n.op.norm_params()


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "paper",
            "conv (incl. depthwise) + linear; no BN, activation, pooling, add",
            "conv + linear weights and biases; no BN",
            "MobileNet V1/V2/V3 tables, TF-Slim READMEs",
            _paper_macs,
            _weights,
        ),
        Convention(
            "fvcore",
            "conv + linear + batch norm (eval: 2 per element with affine) + adaptive avg pool "
            "(1 per input element); everything else 0",
            "every learnable parameter (fvcore parameter_count), BN γ/β included",
            "FlopCountAnalysis(model.eval(), x).total() and parameter_count(model)['']",
            _fvcore_macs,
            _all_params,
        ),
        Convention(
            "torch",
            "conv + linear, as torch.utils.flop_counter.FlopCounterMode (its FLOPs / 2)",
            "every nn.Parameter, BN γ/β included",
            "sum(p.numel() for p in model.parameters()), torchvision num_params",
            _paper_macs,
            _all_params,
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
