"""Weight storage under compression, and gradient traffic per data-parallel training step.

Pure Python: no torch, no numpy. Every figure is per layer (a conv / linear / BN node with
parameters under the chosen convention) and in total, and names the assumption behind it.

Which parameters. The convention decides (see ``archcalc.count.conventions``): ``paper`` counts conv and
linear weights and biases (SqueezeNet's and Deep Compression's tables); ``torch`` / ``fvcore`` add
batch norm's γ and β. Pruning and clustering apply to the conv / linear tensor of a layer (weights
and bias together, one tensor of n values); BN's γ and β are kept dense at ``dtype``.

Storage formats, per layer of n values, at a ``dtype`` of w bits (fp32: 32):

* **dense**: n·w bits.
* **quantized** (``bits`` = B, ``density`` = 1): Deep Compression §3 weight sharing — every value is a
  B-bit index into a per-layer codebook of min(2^B, n) centroids stored at w bits:
  n·B + min(2^B, n)·w bits (eq. 1's denominator n·log2(k) + k·b).
* **pruned** (``density`` = D < 1): Deep Compression §2's relative-index format. The nnz = ⌊D·n + ½⌋
  (≥ 1) survivors are stored in order, each as a value (B-bit cluster index if ``bits`` is given, else
  w bits) plus an I-bit relative index (``index_bits``): the distance from the previous stored entry,
  1 … 2^I. A run of zeros longer than 2^I − 1 needs filler entries (a stored zero) — one filler
  for every full 2^I zeros, ⌊Z / 2^I⌋ for a run of Z zeros. So

      bits = (nnz + fillers)·(v + I) + codebook,     v = B or w,   codebook = min(2^B, nnz)·w or 0.

  The fillers depend on where the zeros are, which pruning decides; archcalc gives two figures:
  the **lower bound** with no fillers (zeros never run past 2^I − 1), and the **expected** count if
  each weight survives independently with probability D. Then the run of zeros before each survivor
  is geometric, P(Z = k) = (1−D)^k·D, so P(Z ≥ j·2^I) = (1−D)^(j·2^I) and

      E[⌊Z / 2^I⌋] = Σ_{j≥1} (1−D)^(j·2^I) = q / (1 − q),   q = (1 − D)^(2^I),

  fillers ≈ nnz · q / (1 − q) (an expectation; the last run, after the final survivor, is not
  stored, and this ignores it). The geometric model has no end, a layer does: no layer ever needs
  more than ⌊(n − nnz) / 2^I⌋ fillers (all its zeros in one run), and the expectation is capped
  there, so a tiny D never prices a layer above what the format can need. Real pruning masks are
  not independent — Deep Compression Table 4 lands between the two figures.

* **Huffman estimate** (``huffman=True``): an *estimate*, never a measurement — Huffman coding needs
  the distributions of the cluster indices and of the relative indices, which come from a trained,
  pruned network. archcalc assumes (1) the same independent pruning as above, so the gaps are
  geometric and their entropy is h(D)/D bits per survivor (h the binary entropy), which replaces the
  I-bit indices and fillers (Huffman on the gap symbols comes within one bit per symbol of it),
  capped at log2(n − nnz + 1) bits, a uniform gap's entropy;
  (2) the 2^B cluster indices are used uniformly, so values stay at B (or w) bits — no gain is
  claimed on values without their measured distribution (Deep Compression reports 20–30 % from
  Huffman overall). Code tables are not counted. Estimate = nnz·(v + h(D)/D) + codebook.

Bytes are bits / 8 rounded up, per layer; the expected and Huffman figures are expectations rounded
up to whole bytes.

Gradient traffic: data-parallel training with a ring all-reduce moves 2·(N−1)/N × G bytes per
worker per step (reduce-scatter then all-gather, N workers), where G = the dense gradient of every
parameter (the convention's count) at ``dtype``; N = 1 moves nothing. Rounded up to whole bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from archcalc.count.conventions import get_convention
from archcalc.count.header import TitledConfigured
from archcalc.dtypes import dtype_bytes
from archcalc.errors import ArchcalcError, ArchcalcTypeError
from archcalc.inputs.arguments import is_real, is_whole
from archcalc.model.resolve import Resolved

DEFAULT_INDEX_BITS = 4
"""Relative-index width: 4 bits, as Deep Compression Table 4 stores AlexNet (P+Q) for every layer."""

MAX_WORKERS = 1_000_000


class LayerSetting(BaseModel):
    """A per-layer override of the network-wide compression setting (Deep Compression Table 4)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    density: float | None = None
    bits: int | None = None
    index_bits: int | None = None


class LayerSize(BaseModel):
    """One layer with parameters. Sizes in bytes; ``*_expected`` and ``huffman_*`` are expectations."""

    name: str
    row: str
    kind: str
    params: int = Field(description="parameters under the report's convention")
    compressible: int = Field(description="conv / linear weights and biases (pruned and clustered)")
    kept_dense: int = Field(description="BN γ, β kept dense at dtype (torch / fvcore conventions)")
    density: float
    bits: int | None = Field(description="cluster-index bits B; null = values at dtype")
    index_bits: int | None = Field(description="relative-index bits I; null when nothing is pruned")
    nonzeros: int
    fillers_expected: float = Field(description="filler zeros, expected under independent pruning")
    codebook_bytes: int
    dense_bytes: int = Field(description="every parameter at dtype")
    compressed_bytes_min: int = Field(description="lower bound: no filler entries")
    compressed_bytes: int = Field(description="expected: fillers under independent pruning")
    huffman_bytes: int | None = Field(description="estimate (entropy bound), see huffman_assumption")
    gradient_bytes: int = Field(description="dense gradient of every parameter at dtype")
    allreduce_bytes: int = Field(description="ring all-reduce bytes per worker per step")


class SizeTotals(BaseModel):
    params: int
    compressible: int
    kept_dense: int
    nonzeros: int
    fillers_expected: float
    codebook_bytes: int
    dense_bytes: int
    dense_fp32_bytes: int = Field(description="every parameter at 32 bits: the usual reference")
    compressed_bytes_min: int
    compressed_bytes: int
    huffman_bytes: int | None
    gradient_bytes: int
    allreduce_bytes: int


class SizeReport(TitledConfigured):
    """A network's weight storage at one compression setting, and its all-reduce traffic."""

    convention: str
    params_rule: str
    dtype: str
    dtype_bits: int
    density: float
    bits: int | None
    index_bits: int
    huffman: bool
    workers: int
    layer_settings: dict[str, LayerSetting]
    storage_format: str = Field(description="the format and formula the compressed figures use")
    params_assumption: str
    filler_assumption: str | None = Field(description="set when anything is pruned")
    huffman_assumption: str | None = Field(description="set when the Huffman estimate is asked for")
    gradient_assumption: str
    layers: list[LayerSize]
    totals: SizeTotals

    @property
    def assumptions(self) -> list[str]:
        notes = (self.params_assumption, self.filler_assumption, self.huffman_assumption)
        return [a for a in (*notes, self.gradient_assumption) if a]


# ---------------------------------------------------------------------------------------------
# Checks: one line naming the option.


def check_density(value: object, option: str = "--density") -> float:
    if not is_real(value) or not math.isfinite(float(value)) or not 0 < float(value) <= 1:  # type: ignore[arg-type]
        raise ArchcalcError(
            f"{option} must be a number in (0, 1] (the fraction of weights kept), got {value!r}"
        )
    return float(value)  # type: ignore[arg-type]


def check_bits(value: object, option: str) -> int:
    if not is_whole(value) or not 1 <= int(value) <= 32:  # type: ignore[call-overload]
        raise ArchcalcError(f"{option} must be a whole number of bits from 1 to 32, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def check_workers(value: object) -> int:
    if not is_whole(value) or not 1 <= int(value) <= MAX_WORKERS:  # type: ignore[call-overload]
        raise ArchcalcError(f"--workers must be a whole number from 1 to {MAX_WORKERS:,}, got {value!r}")
    return int(value)  # type: ignore[call-overload]


def check_layer_settings(layers: object, option: str = "--layer") -> dict[str, LayerSetting]:
    """Per-layer settings by name: each a :class:`LayerSetting` or a mapping of density (0 < D ≤ 1),
    bits and index_bits (1 … 32); numpy numbers accepted. Whether the names exist is checked
    against the network later."""
    if not isinstance(layers, Mapping):
        raise ArchcalcTypeError(f"{option} must be a mapping of layer name to settings, got {layers!r}")
    out: dict[str, LayerSetting] = {}
    for name, raw in layers.items():
        if not isinstance(name, str):
            raise ArchcalcTypeError(f"{option}: a layer name must be a string, got {name!r}")
        if isinstance(raw, LayerSetting):
            raw = raw.model_dump(exclude_none=True)
        if not isinstance(raw, Mapping):
            raise ArchcalcTypeError(
                f"{option} {name}: expected a mapping of density, bits, index_bits, got {raw!r}"
            )
        values: dict[str, float | int] = {}
        for key, value in raw.items():
            if key == "density":
                values[key] = check_density(value, f"{option} {name} density")
            elif key in ("bits", "index_bits"):
                values[key] = check_bits(value, f"{option} {name} {key}")
            else:
                raise ArchcalcError(
                    f"{option} {name}: unknown setting {key!r}; use density, bits, index_bits"
                )
        out[name] = LayerSetting(**values)  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------------------------------------
# The formulas.


def nonzeros(n: int, density: float) -> int:
    """Survivors of pruning ``n`` values to ``density``: ⌊D·n + ½⌋, at least 1 (0 for n = 0)."""
    return 0 if n == 0 else max(1, math.floor(density * n + 0.5))


def expected_fillers_per_nonzero(density: float, index_bits: int) -> float:
    """E[⌊Z / 2^I⌋] for Z ~ Geometric(D) on {0, 1, …}: q / (1 − q) with q = (1 − D)^(2^I)
    (infinite where a tiny D makes 1 − q vanish; :func:`expected_fillers` caps it)."""
    if density >= 1:
        return 0.0
    log_q = (2**index_bits) * math.log1p(-density)
    if log_q == 0.0:
        return math.inf
    return math.exp(log_q) / -math.expm1(log_q)


def max_fillers(n: int, nnz: int, index_bits: int) -> int:
    """The most fillers ``nnz`` survivors among ``n`` values can need: every zero in one stored run,
    ⌊(n − nnz) / 2^I⌋ (runs split into several need fewer, ⌊a⌋ + ⌊b⌋ ≤ ⌊a + b⌋)."""
    return (n - nnz) >> index_bits


def expected_fillers(n: int, nnz: int, density: float, index_bits: int) -> float:
    """Expected fillers under independent pruning, nnz·q/(1 − q), never more than the layer can
    need (:func:`max_fillers`): the geometric model has no end, a layer of n values does."""
    if nnz == 0:  # nothing stored, no fillers (and 0·∞ is not a number)
        return 0.0
    expected = nnz * expected_fillers_per_nonzero(density, index_bits)
    return min(expected, float(max_fillers(n, nnz, index_bits)))


def gap_entropy_bits(density: float, n: int | None = None, nnz: int = 1) -> float:
    """Entropy of the geometric gap per survivor, h(D)/D bits (0 when nothing is pruned); for a
    layer of ``n`` values, at most log2(n − nnz + 1) bits, the entropy of a uniform gap of 0 … n − nnz
    (no gap code needs more)."""
    if density >= 1:
        return 0.0
    d, q = density, 1 - density
    h = -(d * math.log2(d) + q * math.log2(q)) / d
    return h if n is None else min(h, math.log2(n - nnz + 1))


def allreduce_bytes(gradient_bytes: int, workers: int) -> int:
    """Ring all-reduce per worker: ⌈2·(N−1)/N · G⌉ bytes."""
    return math.ceil(Fraction(2 * (workers - 1), workers) * gradient_bytes)


def _bytes(bits: float) -> int:
    """Whole bytes: ⌈bits / 8⌉, exact for integer bit counts of any size."""
    if isinstance(bits, int):
        return -(-bits // 8)
    return math.ceil(bits / 8 - 1e-9)


def layer_size(
    compressible: int,
    kept_dense: int,
    w: int,
    density: float,
    bits: int | None,
    index_bits: int,
    workers: int,
    huffman: bool,
) -> dict[str, Any]:
    """The storage figures of one layer (see the module docstring for every formula)."""
    nnz = nonzeros(compressible, density)
    pruned = density < 1
    v = bits if bits is not None else w
    codebook = min(2**bits, nnz) * w if bits is not None else 0
    extra = kept_dense * w
    if pruned:
        fillers = expected_fillers(compressible, nnz, density, index_bits)
        lower = nnz * (v + index_bits) + codebook
        expected = (nnz + fillers) * (v + index_bits) + codebook
    else:
        fillers = 0.0
        lower = expected = compressible * v + codebook
    huff = nnz * (v + gap_entropy_bits(density, compressible, nnz)) + codebook if huffman else None
    grad = (compressible + kept_dense) * w // 8
    return {
        "density": density,
        "bits": bits,
        "index_bits": index_bits if pruned else None,
        "nonzeros": nnz,
        "fillers_expected": fillers,
        "codebook_bytes": _bytes(codebook),
        "dense_bytes": grad,
        "compressed_bytes_min": _bytes(lower + extra),
        "compressed_bytes": _bytes(expected + extra),
        "huffman_bytes": None if huff is None else _bytes(huff + extra),
        "gradient_bytes": grad,
        "allreduce_bytes": allreduce_bytes(grad, workers),
    }


def _format_text(density: float, bits: int | None, index_bits: int, dtype: str, w: int, layered: bool) -> str:
    v = f"B = {bits}-bit cluster index" if bits is not None else f"value at {dtype} ({w} bits)"
    book = f" + per-layer codebook min(2^{bits}, nnz) × {w} bits" if bits is not None else ""
    per_layer = " (per-layer overrides as listed)" if layered else ""
    if density >= 1 and bits is None and not layered:
        return f"dense: n × {w} bits ({dtype})"
    if density >= 1 and not layered:
        return f"quantized, dense positions: n × {bits} bits{book}"
    return (
        f"sparse, relative index (Deep Compression §2): (nnz + fillers) × ({v} + I = {index_bits}-bit "
        f"relative index){book}; nnz = ⌊D·n + ½⌋, D = {density:g}{per_layer}; "
        f"expected fillers = nnz·q/(1−q), q = (1−D)^(2^I), at most ⌊(n − nnz)/2^I⌋; "
        "lower bound: no fillers"
    )


def size_report(
    resolved: Resolved,
    convention: str = "paper",
    dtype: str = "fp32",
    bits: int | None = None,
    density: float = 1.0,
    index_bits: int = DEFAULT_INDEX_BITS,
    workers: int = 1,
    huffman: bool = False,
    layers: Mapping[str, LayerSetting | Mapping[str, Any]] | None = None,
) -> SizeReport:
    """Storage and gradient traffic of a resolved network (formulas in the module docstring).

    ``layers`` overrides density / bits / index_bits for the layers whose node name or spec row
    name is the key (e.g. ``{"fc6": {"density": 0.09, "bits": 5}}``)."""
    conv = get_convention(convention)
    if not conv.counts_params:
        raise ArchcalcError(f"--convention: {conv.undefined('params')}")
    w = 8 * dtype_bytes(dtype)
    density = check_density(density)
    if bits is not None:
        bits = check_bits(bits, "--bits")
    index_bits = check_bits(index_bits, "--index-bits")
    workers = check_workers(workers)
    if not isinstance(huffman, bool):
        raise ArchcalcTypeError(f"--huffman must be True or False, got {huffman!r}")
    overrides = _check_overrides(resolved, layers or {})
    rows: list[LayerSize] = []
    for node in resolved.graph:
        params = conv.params(node)
        if params == 0:
            continue
        compressible = node.op.weight_params()
        o = overrides.get(node.name) or overrides.get(node.row) or LayerSetting()
        figures = layer_size(
            compressible,
            params - compressible,
            w,
            o.density if o.density is not None else density,
            o.bits if o.bits is not None else bits,
            o.index_bits if o.index_bits is not None else index_bits,
            workers,
            huffman,
        )
        rows.append(
            LayerSize(
                name=node.name,
                row=node.row,
                kind=node.kind,
                params=params,
                compressible=compressible,
                kept_dense=params - compressible,
                **figures,
            )
        )
    grad = sum(r.gradient_bytes for r in rows)
    totals = SizeTotals(
        params=sum(r.params for r in rows),
        compressible=sum(r.compressible for r in rows),
        kept_dense=sum(r.kept_dense for r in rows),
        nonzeros=sum(r.nonzeros for r in rows),
        fillers_expected=sum(r.fillers_expected for r in rows),
        codebook_bytes=sum(r.codebook_bytes for r in rows),
        dense_bytes=sum(r.dense_bytes for r in rows),
        dense_fp32_bytes=4 * sum(r.params for r in rows),
        compressed_bytes_min=sum(r.compressed_bytes_min for r in rows),
        compressed_bytes=sum(r.compressed_bytes for r in rows),
        huffman_bytes=sum(r.huffman_bytes or 0 for r in rows) if huffman else None,
        gradient_bytes=grad,
        allreduce_bytes=allreduce_bytes(grad, workers),
    )
    pruned = density < 1 or any(o.density is not None and o.density < 1 for o in overrides.values())
    params_note = (
        f"parameters: {conv.params_rule} (convention '{convention}'); pruning and clustering apply to "
        "conv / linear weights and biases, BN γ/β and moving statistics (if counted) stay dense at the dtype"
    )
    filler_note = (
        "fillers: expected count if each weight survives pruning independently (geometric gaps); "
        "the lower bound assumes no run of zeros exceeds 2^I − 1"
        if pruned
        else None
    )
    huffman_note = (
        "Huffman: an ESTIMATE, not a measurement — relative indices at their entropy h(D)/D bits "
        "per survivor under independent pruning; cluster indices assumed used uniformly (no gain "
        "on values); code tables not counted"
        if huffman
        else None
    )
    gradient_note = (
        f"gradient traffic: ring all-reduce, 2·(N−1)/N × dense gradient bytes at {dtype} per worker "
        f"per step, N = {workers}"
    )
    return SizeReport(
        **SizeReport.header(resolved),
        convention=convention,
        params_rule=conv.params_rule,
        dtype=dtype,
        dtype_bits=w,
        density=density,
        bits=bits,
        index_bits=index_bits,
        huffman=huffman,
        workers=workers,
        layer_settings=dict(overrides),
        storage_format=_format_text(density, bits, index_bits, dtype, w, bool(overrides)),
        params_assumption=params_note,
        filler_assumption=filler_note,
        huffman_assumption=huffman_note,
        gradient_assumption=gradient_note,
        layers=rows,
        totals=totals,
    )


def _check_overrides(
    resolved: Resolved, layers: Mapping[str, LayerSetting | Mapping[str, Any]]
) -> dict[str, LayerSetting]:
    """Per-layer settings, checked: every key names a layer (or row) with weights, values in range."""
    known = {n.name for n in resolved.graph if n.op.weight_params()}
    known |= {n.row for n in resolved.graph if n.op.weight_params()}
    out = check_layer_settings(layers)
    for name in out:
        if name not in known:
            raise ArchcalcError(
                f"--layer {name}: no layer or row with weights has that name "
                f"(e.g. {', '.join(sorted(known)[:6])} …)"
            )
    return out


def parse_layer_args(items: list[str]) -> dict[str, LayerSetting]:
    """``["fc6:density=0.09:bits=5", …]`` from the CLI → ``{"fc6": LayerSetting(...)}``, each value
    checked by :func:`check_layer_settings` as the library's are (``density=inf`` refused in one line)."""
    out: dict[str, dict[str, float | int]] = {}
    for item in items:
        name, *pairs = item.split(":")
        if not name or not pairs:
            raise ArchcalcError(
                f"--layer {item!r}: expected NAME:KEY=VALUE[:KEY=VALUE] (keys density, bits, index_bits)"
            )
        values: dict[str, float | int] = {}
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip().replace("-", "_")
            try:
                if not sep or key not in ("density", "bits", "index_bits"):
                    raise ValueError
                values[key] = float(value) if key == "density" else int(value)
            except ValueError:
                raise ArchcalcError(
                    f"--layer {item!r}: {pair!r} is not KEY=VALUE with KEY density, bits or index_bits "
                    "(bits and index_bits whole numbers)"
                ) from None
        out[name] = values
    return check_layer_settings(out, "--layer")
