"""Named counting conventions: which MACs and which parameters a figure counts.

Tools disagree (ptflops, thop and fvcore give three numbers for one model) because they count
different things. Every figure archcalc prints names one of these.
"""

from __future__ import annotations

from dataclasses import dataclass

from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.model.graph import Node


@dataclass(frozen=True, slots=True)
class Convention:
    """A counting convention: the two choices that make tools disagree, plus how to cite them.

    MACs: conv + linear only (``fvcore_macs=False``), or also what fvcore's default handles count
    (batch norm, adaptive average pooling). Params: conv + linear weights and biases only
    (``bn_params=False``), or also batch norm's γ and β.
    """

    name: str
    macs_rule: str
    params_rule: str
    reproduces: str
    fvcore_macs: bool
    bn_params: bool

    def macs(self, n: Node) -> int:
        """The node's MACs under this convention."""
        if self.fvcore_macs:
            return n.op.fvcore_macs(n.in_shapes, n.out_shape)
        return n.op.macs(n.in_shapes, n.out_shape)

    def params(self, n: Node) -> int:
        """The node's parameters under this convention."""
        return n.op.weight_params() + (n.op.norm_params() if self.bn_params else 0)


CONVENTIONS: dict[str, Convention] = {
    c.name: c
    for c in (
        Convention(
            "paper",
            "conv (incl. depthwise, transposed) + linear + matmul of activations; no BN, activation, "
            "pooling, add",
            "conv + linear weights and biases; no BN",
            "MobileNet V1/V2/V3 tables, TF-Slim READMEs",
            fvcore_macs=False,
            bn_params=False,
        ),
        Convention(
            "fvcore",
            "conv + linear + matmul + batch norm (eval: 2 per element with affine) + adaptive avg "
            "pool (1 per input element) + layer norm (5 per element with affine) + upsample (1 per "
            "output element nearest, 4 bilinear); everything else 0",
            "every learnable parameter (fvcore parameter_count), BN γ/β included",
            "FlopCountAnalysis(model.eval(), x).total() and parameter_count(model)['']",
            fvcore_macs=True,
            bn_params=True,
        ),
        Convention(
            "torch",
            "conv + linear + matmul, as torch.utils.flop_counter.FlopCounterMode (its FLOPs / 2)",
            "every nn.Parameter, BN γ/β included",
            "sum(p.numel() for p in model.parameters()), torchvision num_params",
            fvcore_macs=False,
            bn_params=True,
        ),
    )
}


def get_convention(name: str) -> Convention:
    if not isinstance(name, str):
        raise ArchcalcTypeError(f"--convention must be one of {', '.join(CONVENTIONS)}, got {name!r}")
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise ArchcalcError(
            f"--convention {name!r} is not known; choose one of {', '.join(CONVENTIONS)}"
        ) from None
