"""The learned part of a kernel type's latency: gradient-boosted regression trees, evaluated in
pure Python (``archcalc table --latency`` imports no numpy).

``archcalc calibrate`` fits, per kernel type, scikit-learn's ``GradientBoostingRegressor``
(squared error) to r = log t_measured − log t_roofline over synthetic kernels, with the features
of :func:`archcalc.count.kernels.kernel_features`, and stores its trees here. The prediction is

    r̂(x) = init + ν · Σ_trees value(leaf(x))        t_kernel = t_roofline · exp(r̂(x))

where leaf(x) follows ``x[feature] ≤ threshold`` to the left from the root, with x rounded to
float32 first, as scikit-learn's trees compare (so the walk here and ``predict`` agree exactly).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from pydantic import BaseModel, Field, model_validator


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


class Tree(BaseModel):
    """One regression tree as parallel arrays; node 0 is the root, ``left[i] == -1`` marks a leaf."""

    feature: list[int]
    threshold: list[float]
    left: list[int]
    right: list[int]
    value: list[float]

    @model_validator(mode="after")
    def _shape(self) -> Tree:
        n = len(self.feature)
        if not n or any(len(a) != n for a in (self.threshold, self.left, self.right, self.value)):
            raise ValueError("tree arrays must be non-empty and of equal length")
        if any(not (c == -1 or 0 < c < n) for c in (*self.left, *self.right)):
            raise ValueError("tree child index out of range")
        return self

    def leaf_value(self, x: Sequence[float]) -> float:
        i = 0
        for _ in range(len(self.feature)):
            if self.left[i] == -1:
                return self.value[i]
            i = self.left[i] if x[self.feature[i]] <= self.threshold[i] else self.right[i]
        raise ValueError("tree has a cycle")


class KernelPredictor(BaseModel):
    """r̂(x) = init + ν·Σ trees (see module doc), for one kernel type."""

    features: list[str] = Field(description="names of the features, in order (kernels.FEATURES)")
    init: float = Field(description="the constant the boosting starts from (mean residual)")
    learning_rate: float = Field(gt=0, description="ν")
    trees: list[Tree]
    samples: int = Field(ge=0, description="synthetic kernels it was fitted to")
    cv_error: float | None = Field(
        None, description="median |t̂ − t| / t over the kernels, each predicted by a fit without it (0–1)"
    )

    def residual(self, x: Sequence[float]) -> float:
        if len(x) != len(self.features):
            raise ValueError(f"expected {len(self.features)} features, got {len(x)}")
        xf = [_f32(v) for v in x]
        for t in self.trees:
            for f in t.feature:
                if f >= len(xf):
                    raise ValueError("tree reads a feature out of range")
        return self.init + self.learning_rate * sum(t.leaf_value(xf) for t in self.trees)


__all__ = ["KernelPredictor", "Tree"]
