"""archcalc — an analytic cost model for lightweight CNNs.

    >>> import archcalc
    >>> r = archcalc.cost("mobilenet_v1", alpha=0.5, resolution=160)
    >>> r.totals.macs, r.totals.params_without_bn
    (76524800, 1320648)

Figures are exact integers; every one is labelled with the counting convention that produced it
(``paper``, ``fvcore`` or ``torch``; see ``archcalc.count.conventions``). Nothing here imports torch.

Every function checks its arguments: a wrong type raises :class:`archcalc.errors.ArchcalcTypeError`
(a ``TypeError``), a bad value :class:`archcalc.errors.ArchcalcError` (a ``ValueError``), each one
line naming the argument as the command line spells it (``--alpha`` for ``alpha``, ``--res`` for
``resolution``). numpy integers and floats are numbers; ``True`` is not. The limits are those of
:mod:`archcalc.inputs.limits`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archcalc._version import __version__

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

    from archcalc.count.closed_form import Report
    from archcalc.count.designs import Comparison
    from archcalc.count.latency import DeviceProfile, LatencyPrediction
    from archcalc.count.memory import MemoryReport
    from archcalc.count.model_size import LayerSetting, SizeReport
    from archcalc.count.reconcile import Reconciliation
    from archcalc.count.side_by_side import NetworkComparison
    from archcalc.importers.rows import ImportResult
    from archcalc.model.resolve import Resolved
    from archcalc.spec.schema import NetworkSpec
    from archcalc.sweeps.budget import Fit
    from archcalc.sweeps.grid import Sweep


def cost(
    net: str | Path | NetworkSpec | Any,
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    *,
    rho: float | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> Report:
    """Per-layer and total cost of ``net`` (built-in name, spec path, spec object or spec mapping) at
    α, resolution (pixels) or ρ, and the spec's knobs (e.g. ``shallow=True``)."""
    from archcalc.count.closed_form import report

    return report(_resolve(net, alpha, resolution, rho, knobs, input_shape=input_shape), convention, dtype)


def reconcile(
    net: str | Path | NetworkSpec | Any,
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    *,
    rho: float | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> Reconciliation:
    """Every counting convention's figure for ``net`` side by side, and the op-by-op ledger of why
    they differ (:mod:`archcalc.count.reconcile`); ``classes=N`` is a knob like any other."""
    from archcalc.count.reconcile import reconcile as run

    return run(_resolve(net, alpha, resolution, rho, knobs, "reconcile", input_shape))


def _resolve(
    net: Any,
    alpha: float,
    resolution: int | tuple[int, int] | str | None,
    rho: float | None,
    knobs: dict,
    func: str = "cost",
    input_shape: tuple[int, int, int] | None = None,
) -> Resolved:
    """``net`` loaded (:func:`_load`: a name, a path, a spec, an ONNX file or a torch module) and
    resolved at α, resolution or ρ, and knobs: what cost, size and the rest count (``func``, the
    caller's name, for the error of a misspelt argument)."""
    from archcalc.model.resolve import resolve

    return resolve(_knobs_only(_load(net, input_shape), knobs, func), alpha, resolution, rho, knobs)


def sweep(
    net: str | Path | NetworkSpec | Any,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[int | tuple[int, int] | str] | None = None,
    *,
    convention: str = "paper",
    dtype: str = "fp32",
    memory_rule: str | None = "materialize",
    profile: str | DeviceProfile | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> Sweep:
    """Totals of ``net`` at every (α, resolution) of the grid, α-major.

    The default grid is the spec's ``sweep`` section (see :func:`archcalc.sweeps.grid.default_grid`).
    Each point equals ``cost(net, α, resolution, **knobs).totals`` exactly, with the model size
    (params × dtype bytes), peak activation memory under ``memory_rule`` (None: skip), predicted
    latency on device ``profile`` (a saved profile's name or a profile object; None: skip) and the
    published top-1 where a source reports that configuration."""
    from archcalc.sweeps.grid import SweepSettings, run_sweep

    settings = SweepSettings(convention, dtype, memory_rule, _profile(profile))
    spec = _knobs_only(_load(net, input_shape), knobs, "sweep", _GRID_ARGUMENTS)
    return run_sweep(spec, alphas, resolutions, knobs, settings)


def fit(
    net: str | Path | NetworkSpec | Any,
    max_macs: int | str | None = None,
    max_params: int | str | None = None,
    max_bytes: int | str | None = None,
    max_peak_memory: int | str | None = None,
    max_latency_ms: float | str | None = None,
    *,
    alphas: Iterable[float] | None = None,
    resolutions: Iterable[int | tuple[int, int] | str] | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    memory_rule: str | None = "materialize",
    profile: str | DeviceProfile | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> Fit:
    """The configurations of ``net`` that fit the budget; ``.front`` is the Pareto front, best first.

    Limits are numbers or strings with units (``"150M"`` MACs, ``"2MiB"`` = 2·1024² bytes, ``"2MB"``
    = 2·10⁶, ``"10ms"``; see :mod:`archcalc.inputs.units`); ``max_bytes`` bounds params × dtype bytes. The
    search grid defaults to the spec's. A latency limit uses ``profile`` or the saved default one.
    The front and the order are defined in :mod:`archcalc.sweeps.budget`."""
    from archcalc.sweeps.budget import fit_budget, parse_limits
    from archcalc.sweeps.grid import SweepSettings

    limits = parse_limits(max_macs, max_params, max_bytes, max_peak_memory, max_latency_ms)
    prof = _profile(profile, required=limits.max_latency_ms is not None)
    settings = SweepSettings(convention, dtype, memory_rule, prof)
    spec = _knobs_only(_load(net, input_shape), knobs, "fit", _GRID_ARGUMENTS)
    return fit_budget(spec, limits, alphas, resolutions, knobs, settings)


_ARGUMENTS: dict[str, str] = {"res": "resolution", "resolutions": "resolution", "alphas": "alpha"}
"""Knob names that are a misspelt argument of the one-configuration functions (``cost`` …)."""
_GRID_ARGUMENTS: dict[str, str] = {"res": "resolutions", "resolution": "resolutions", "alpha": "alphas"}
"""The same for the grid functions (``sweep``, ``fit``)."""


def _knobs_only(
    spec: NetworkSpec, knobs: dict[str, Any], func: str, arguments: dict[str, str] = _ARGUMENTS
) -> NetworkSpec:
    """``spec``, once no keyword of ``knobs`` is a misspelt argument: ``cost(…, res=160)`` says to
    write ``resolution=160`` (a spec's own knob of that name wins)."""
    from archcalc.errors import ArchcalcError
    from archcalc.inputs.arguments import shown

    for name, value in knobs.items():
        if name in arguments and name not in spec.knobs:
            raise ArchcalcError(
                f"{func}(): {name}={shown(value)} is not an argument, nor a knob of {spec.name}; "
                f"write {arguments[name]}={shown(value)}"
            )
    return spec


def _profile(profile: str | DeviceProfile | None, required: bool = False) -> DeviceProfile | None:
    """A device profile from its name, or as given; with ``required``, the saved default one."""
    if profile is None and not required:
        return None
    if profile is None or isinstance(profile, str):
        from archcalc.count.latency import require_profile

        return require_profile(profile)
    from archcalc.count.latency import DeviceProfile

    if not isinstance(profile, DeviceProfile):
        from archcalc.errors import ArchcalcTypeError

        raise ArchcalcTypeError(
            f"profile must be a saved profile's name or a DeviceProfile, got {type(profile).__name__}"
        )
    return profile


def compare(kinds: list[str], **sizes: Any) -> Comparison:
    """Single-layer designs side by side (see :func:`archcalc.count.designs.compare`): ``kinds`` a
    list of design names, ``sizes`` among dk, m, n, df, stride, groups, t, squeeze, bottleneck,
    rank (whole numbers), alpha, rho (numbers) and dtype."""
    import inspect

    from archcalc.count.designs import MAX_SIZE
    from archcalc.count.designs import compare as run
    from archcalc.dtypes import DTYPE_BYTES
    from archcalc.errors import ArchcalcTypeError
    from archcalc.inputs.arguments import choice, items, real, text, whole

    names = [text(k, "a design name") for k in items(kinds, "kinds", 100)]
    known = [p for p in inspect.signature(run).parameters if p != "kinds"]
    checked: dict[str, Any] = {}
    for key, value in sizes.items():
        if key not in known:
            raise ArchcalcTypeError(f"compare() has no argument {key!r} (sizes: {', '.join(known)})")
        if key in ("alpha", "rho"):
            checked[key] = real(value, f"--{key}", 0.0, MAX_SIZE)
        elif key == "dtype":
            checked[key] = choice(value, "--dtype", list(DTYPE_BYTES))
        elif value is not None or key not in ("squeeze", "bottleneck", "rank"):
            checked[key] = whole(value, f"--{key}", 1, MAX_SIZE)
    return run(names, **checked)


def compare_networks(
    nets: Iterable[str | Path | NetworkSpec | tuple[str | Path | NetworkSpec, Mapping[str, Any]]],
    *,
    convention: str = "paper",
    dtype: str = "fp32",
) -> NetworkComparison:
    """Several networks side by side, as MobileNet V1 Tables 8–10 compare them: MACs and params under
    ``convention``, ratios to the first network, and the published ImageNet top-1 of each exact
    configuration where its spec holds one.

    Each item is a network (built-in name, spec path or spec object) at its defaults, or a pair
    ``(network, {"alpha": 0.5, "resolution": 160, "rho": …, knob: value, …})``."""
    from collections.abc import Mapping

    from archcalc.count.closed_form import report
    from archcalc.count.side_by_side import compare_reports
    from archcalc.errors import ArchcalcError, ArchcalcTypeError
    from archcalc.inputs.arguments import items

    resolved = []
    for item in items(nets, "nets", 100):
        net, given = item if isinstance(item, tuple) and len(item) == 2 else (item, {})
        if not isinstance(given, Mapping):
            raise ArchcalcTypeError(
                f"nets: a network's settings must be a mapping such as {{'alpha': 0.5}}, got {given!r}"
            )
        knobs = dict(given)
        alpha = knobs.pop("alpha", 1.0)
        resolution = knobs.pop("resolution", None)
        rho = knobs.pop("rho", None)
        resolved.append(_resolve(net, alpha, resolution, rho, knobs, "compare_networks"))
    if not resolved:
        raise ArchcalcError("compare_networks(): give at least one network")
    reports = [report(r, convention, dtype) for r in resolved]
    return compare_reports(reports, [r.spec for r in resolved])


def activation_memory(
    net: str | Path | NetworkSpec | Any,
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    *,
    rho: float | None = None,
    dtype: str = "fp32",
    rule: str = "materialize",
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> MemoryReport:
    """Largest tensor per spatial resolution and peak live activation bytes of ``net`` at ``dtype``
    under a liveness ``rule`` (``materialize``, ``fused``, ``streamed``; see :mod:`archcalc.count.memory`)."""
    from archcalc.count.memory import memory_report

    return memory_report(
        _resolve(net, alpha, resolution, rho, knobs, "activation_memory", input_shape), dtype, rule
    )


def size(
    net: str | Path | NetworkSpec | Any,
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    *,
    rho: float | None = None,
    convention: str = "paper",
    dtype: str = "fp32",
    bits: int | None = None,
    density: float = 1.0,
    index_bits: int = 4,
    workers: int = 1,
    huffman: bool = False,
    layers: dict[str, LayerSetting | dict[str, Any]] | None = None,
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> SizeReport:
    """Weight storage of ``net`` per layer and in total — dense at ``dtype``, pruned to ``density``
    with ``index_bits`` relative indices, clustered to ``bits`` — and the ring all-reduce bytes per
    worker for ``workers`` (formulas and assumptions: :mod:`archcalc.count.model_size`). Bad settings raise
    :class:`archcalc.errors.ArchcalcError` naming the option."""
    from archcalc.count.model_size import size_report

    resolved = _resolve(net, alpha, resolution, rho, knobs, "size", input_shape)
    return size_report(resolved, convention, dtype, bits, density, index_bits, workers, huffman, layers)


def predict_latency(
    net: str | Path | NetworkSpec | Any,
    alpha: float = 1.0,
    resolution: int | tuple[int, int] | str | None = None,
    *,
    rho: float | None = None,
    profile: str | DeviceProfile | None = None,
    batch: int = 1,
    input_shape: tuple[int, int, int] | None = None,
    **knobs: Any,
) -> LatencyPrediction:
    """Predicted CPU time per layer and in total from a device profile (a saved one's name, as
    ``archcalc calibrate`` makes, or a profile object; None = the saved default). Pure Python, no torch."""
    from archcalc.count.latency import predict

    prof = _profile(profile, required=True)
    assert prof is not None
    return predict(cost(net, alpha, resolution, rho=rho, input_shape=input_shape, **knobs), prof, batch)


def load_spec(
    net: str | Path | NetworkSpec | Any, input_shape: tuple[int, int, int] | None = None
) -> NetworkSpec:
    """A built-in network by name, a spec file or an ONNX file by path, a spec's data as a mapping,
    or a torch module (with ``input_shape``), as a validated spec."""
    return _load(net, input_shape)


def _load(net: Any, input_shape: tuple[int, int, int] | None) -> NetworkSpec:
    """The spec of ``net``: a spec object, a built-in name, a .yaml path, an .onnx path, or a torch
    ``nn.Module`` (imported by :func:`import_torch`; ``input_shape`` = (C, H, W) required)."""
    from collections.abc import Mapping

    from archcalc.errors import ArchcalcError
    from archcalc.spec.catalog import is_onnx
    from archcalc.spec.catalog import load_spec as load

    if _is_torch_module(net):
        if input_shape is None:
            raise ArchcalcError(
                f"a torch module ({type(net).__name__}) needs input_shape=(channels, height, width)"
            )
        return import_torch(net, input_shape)
    if is_onnx(net):
        return import_onnx(net, input_shape)
    if input_shape is not None:
        raise ArchcalcError(
            "input_shape is for a torch module or an ONNX file; a spec sets its input with resolution="
        )
    if not isinstance(net, str | Mapping) and not _is_path_like(net) and not _is_spec(net):
        from archcalc.errors import ArchcalcTypeError

        raise ArchcalcTypeError(
            f"net must be a built-in name, a .yaml or .onnx path, a spec, a spec mapping or a torch "
            f"module; got {type(net).__name__}"
        )
    return load(net)


def _is_torch_module(obj: object) -> bool:
    """An ``nn.Module``, recognised without importing torch when it is not loaded already."""
    import sys

    torch = sys.modules.get("torch")
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_path_like(obj: object) -> bool:
    from pathlib import PurePath

    return isinstance(obj, PurePath)


def _is_spec(obj: object) -> bool:
    from archcalc.spec.schema import NetworkSpec

    return isinstance(obj, NetworkSpec)


def import_torch(
    module: Any, input_shape: tuple[int, int, int], *, name: str | None = None, width: str = "truncate"
) -> NetworkSpec:
    """A torch ``nn.Module`` as a spec, traced with torch.fx on a (C, H, W) input (see
    :mod:`archcalc.importers.torch_fx`). ``width``: how α scales its channels, ``truncate``
    (⌊α·c⌋) or ``round8`` (torchvision's ``_make_divisible``)."""
    return import_model(module, input_shape, name=name, width=width).spec


def import_onnx(
    path: str | Path,
    input_shape: tuple[int, int, int] | None = None,
    *,
    name: str | None = None,
    width: str = "truncate",
) -> NetworkSpec:
    """An ONNX file as a spec, read with the ``onnx`` package only (see
    :mod:`archcalc.importers.onnx_graph`); ``input_shape`` fixes symbolic input sizes."""
    from archcalc.errors import ArchcalcTypeError
    from archcalc.spec.catalog import is_onnx

    if not is_onnx(path):
        raise ArchcalcTypeError(f"path must be the path of an .onnx file, got {_shown(path)}")
    return import_model(path, input_shape, name=name, width=width).spec


def import_model(
    source: Any,
    input_shape: tuple[int, int, int] | None = None,
    *,
    name: str | None = None,
    width: str = "truncate",
) -> ImportResult:
    """The spec of a torch module or an ONNX file with its import ledger (what was dropped, folded
    or merged, and why it costs nothing)."""
    from archcalc.errors import ArchcalcError, ArchcalcTypeError
    from archcalc.importers.rows import WIDTH_RULES
    from archcalc.inputs import arguments
    from archcalc.spec.catalog import is_onnx

    shape = None if input_shape is None else arguments.input_shape(input_shape)
    if name is not None:
        arguments.text(name, "name")
    arguments.choice(width, "width", WIDTH_RULES)
    if _is_torch_module(source):
        from archcalc.importers.torch_fx import trace_module

        if shape is None:
            raise ArchcalcError("a torch module needs input_shape=(channels, height, width)")
        return trace_module(source, shape, name=name, width=width)
    if is_onnx(source):
        from archcalc.importers.onnx_graph import import_onnx_file

        return import_onnx_file(source, shape, name=name, width=width)
    raise ArchcalcTypeError(f"source must be a torch module or an .onnx path, got {_shown(source)}")


def _shown(value: object) -> str:
    """``value`` as an error message shows it (:func:`archcalc.inputs.arguments.shown`)."""
    from archcalc.inputs.arguments import shown

    return shown(value)


__all__ = [
    "__version__",
    "activation_memory",
    "compare",
    "compare_networks",
    "cost",
    "fit",
    "import_model",
    "import_onnx",
    "import_torch",
    "load_spec",
    "predict_latency",
    "reconcile",
    "size",
    "sweep",
]
