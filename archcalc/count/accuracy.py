"""Published ImageNet top-1 accuracies, looked up per configuration from each spec's ``published`` list.

A published figure's ``setting`` (α, resolution — the spec's default when absent — and knobs, the
spec's defaults for those not named) must equal the configuration exactly. Where several sources give
a top-1 for the same configuration, the first in the spec's list wins; every value carries its
source and the row label the source prints, so a figure measured on a slightly different layout
(e.g. TF-Slim's 1001-class checkpoints, or a paper's layout the spec marks as an erratum) is named.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archcalc.model.resolve import knob_values
from archcalc.spec.schema import NetworkSpec

ConfigKey = tuple[float, int, tuple[tuple[str, object], ...]]


@dataclass(frozen=True, slots=True)
class Top1:
    value: float
    source: str
    label: str


def config_key(alpha: float, resolution: int | tuple[int, int], knobs: Mapping[str, object]) -> ConfigKey:
    res = int(resolution) if isinstance(resolution, int) else (int(resolution[0]), int(resolution[1]))
    return (float(alpha), res, tuple(sorted(knobs.items())))


def top1_table(spec: NetworkSpec) -> dict[ConfigKey, Top1]:
    """Every configuration of ``spec`` with a published top-1 → that accuracy and its source."""
    out: dict[ConfigKey, Top1] = {}
    for f in spec.published:
        if f.top1 is None:
            continue
        s = f.setting
        key = config_key(s.alpha, s.resolution or spec.input.size, knob_values(spec, s.knobs))
        out.setdefault(key, Top1(f.top1, f.source, f.label))
    return out
