"""The ``archcalc`` command line. Analytic commands (table, compare, list, schema) never import torch."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

import typer

from archcalc.errors import ArchcalcError

T = TypeVar("T")

app = typer.Typer(
    name="archcalc",
    help="Analytic cost model for lightweight CNNs: params, MACs and memory traffic per layer, "
    "under named counting conventions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

NetArg = Annotated[str, typer.Argument(help="a built-in network (see `archcalc list`) or a spec .yaml path")]
AlphaOpt = Annotated[float, typer.Option("--alpha", help="width multiplier α > 0")]
ResOpt = Annotated[int | None, typer.Option("--res", help="input side in pixels (default: the spec's)")]
RhoOpt = Annotated[
    float | None, typer.Option("--rho", help="resolution multiplier ρ: res = round(ρ·default)")
]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="a spec knob, NAME=VALUE (repeatable)")]
ConvOpt = Annotated[str, typer.Option("--convention", help="paper | fvcore | torch")]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="element size for bytes: fp32 | fp16 | bf16 | int8")]
FormatOpt = Annotated[str, typer.Option("--format", help="table | json | csv | markdown")]


@app.command()
def table(
    net: NetArg,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    convention: ConvOpt = "paper",
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
    summary: Annotated[bool, typer.Option("--summary", help="totals and breakdown only")] = False,
) -> None:
    """Per-layer params, MACs and memory traffic of a network, with totals and a breakdown by type."""
    from archcalc.catalog import load_spec
    from archcalc.closed_form import report
    from archcalc.conventions import get_convention
    from archcalc.dtypes import dtype_bytes
    from archcalc.render import check_format, emit, render_report
    from archcalc.resolve import parse_param_args, resolve

    check_format(fmt)
    get_convention(convention)
    dtype_bytes(dtype)
    spec = load_spec(net)
    try:
        resolved = resolve(spec, alpha, res, rho, parse_param_args(param or []))
    except ArchcalcError as e:
        raise ArchcalcError(f"{net}: {e}") from None
    emit(render_report(report(resolved, convention, dtype), fmt, summary))


@app.command()
def compare(
    designs: Annotated[
        list[str],
        typer.Argument(
            help="designs: standard depthwise pointwise dwsep group fire shuffle inverted_residual spatial"
        ),
    ],
    dk: Annotated[int, typer.Option("--dk", help="kernel side D_K")] = 3,
    m: Annotated[int, typer.Option("--m", help="input channels M")] = 512,
    n: Annotated[int, typer.Option("--n", help="output channels N")] = 512,
    df: Annotated[int, typer.Option("--df", help="input feature map side D_F")] = 14,
    stride: Annotated[int, typer.Option("--stride", help="stride (output side ⌈D_F/stride⌉)")] = 1,
    groups: Annotated[
        int, typer.Option("--groups", help="groups G of the `group` and `shuffle` designs")
    ] = 1,
    t: Annotated[int, typer.Option("--t", help="expansion t of `inverted_residual`")] = 6,
    squeeze: Annotated[
        int | None, typer.Option("--squeeze", help="Fire squeeze width S (default N/8)")
    ] = None,
    bottleneck: Annotated[
        int | None, typer.Option("--bottleneck", help="ShuffleNet bottleneck width m (default N/4)")
    ] = None,
    alpha: AlphaOpt = 1.0,
    rho: Annotated[float, typer.Option("--rho", help="resolution multiplier ρ on D_F")] = 1.0,
    dtype: DtypeOpt = "fp32",
    fmt: FormatOpt = "table",
) -> None:
    """Single-layer designs side by side: params, MACs, bytes, formula, ratio to the first."""
    from archcalc.designs import compare as run
    from archcalc.dtypes import dtype_bytes
    from archcalc.render import check_format, emit, render_comparison

    check_format(fmt)
    dtype_bytes(dtype)
    emit(
        render_comparison(
            run(designs, dk, m, n, df, stride, groups, alpha, rho, dtype, t, squeeze, bottleneck), fmt
        )
    )


@app.command("list")
def list_networks(fmt: FormatOpt = "table") -> None:
    """The built-in networks, one line each, with their knobs and defaults."""
    from archcalc.catalog import builtin_names, load_spec
    from archcalc.render import check_format, emit_json

    check_format(fmt)
    specs = [load_spec(name) for name in builtin_names()]
    if fmt == "json":
        emit_json(
            [
                {
                    "name": s.name,
                    "title": s.title,
                    "resolution": s.input.resolution,
                    "knobs": {k: v.default for k, v in s.knobs.items()},
                    "source": s.source,
                }
                for s in specs
            ]
        )
        return
    for s in specs:
        knobs = " ".join(
            f"{k}={json.dumps(v.default)}" + (f"∈{{{','.join(map(str, v.choices))}}}" if v.choices else "")
            for k, v in s.knobs.items()
        )
        line = f"{s.name:<20} {s.title:<22} res {s.input.resolution:<4} knobs: {knobs or '-'}  ({s.source})"
        sys.stdout.write(line + "\n")


@app.command()
def validate(
    net: Annotated[str | None, typer.Argument(help="a built-in network or a spec .yaml path")] = None,
    alpha: AlphaOpt = 1.0,
    res: ResOpt = None,
    rho: RhoOpt = None,
    param: ParamOpt = None,
    all_: Annotated[
        bool, typer.Option("--all", help="every built-in network at several (α, resolution, knob) settings")
    ] = False,
    fmt: FormatOpt = "table",
) -> None:
    """Build the torch model from the spec and check every layer against fvcore and torch's counter.

    Exit 0 only if every layer matches exactly (MACs, params, output shape), 1 otherwise.
    """
    from archcalc.catalog import builtin_names, load_spec
    from archcalc.render import check_format, emit, render_validations
    from archcalc.resolve import parse_param_args, resolve

    check_format(fmt)
    if all_ == (net is not None):
        raise ArchcalcError("give a network, or --all, but not both")
    if all_ and (alpha != 1.0 or res is not None or rho is not None or param):
        raise ArchcalcError("--alpha, --res, --rho and --param set one network; --all uses its own settings")
    from archcalc.validate import default_settings
    from archcalc.validate import validate as check

    runs = []
    if all_:
        for name in builtin_names():
            spec = load_spec(name)
            for a, r, knobs in default_settings(spec):
                runs.append(resolve(spec, a, r, knobs=knobs))
    else:
        assert net is not None
        spec = load_spec(net)
        try:
            runs.append(resolve(spec, alpha, res, rho, parse_param_args(param or [])))
        except ArchcalcError as e:
            raise ArchcalcError(f"{net}: {e}") from None
    results = [
        check(r)
        for r in _progress(runs, "validating", lambda r: f"{r.spec.name} α={r.alpha:g} {r.resolution}px")
    ]
    emit(render_validations(results, fmt))
    if not all(v.ok for v in results):
        raise typer.Exit(1)


@app.command()
def paper(net: NetArg, fmt: FormatOpt = "table") -> None:
    """Every published figure held for a network next to the computed value, with its source.

    Exit 1 if a figure is not reproduced at its printed precision (or an erratum stops being one).
    """
    from archcalc.catalog import load_spec
    from archcalc.published import check_figures
    from archcalc.render import check_format, emit, render_figures

    check_format(fmt)
    spec = load_spec(net)
    if not spec.published:
        raise ArchcalcError(f"{net}: the spec holds no published figures")
    checks = check_figures(spec)
    emit(render_figures(spec.title, checks, fmt))
    if not all(c.ok for c in checks):
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """The JSON Schema of spec files."""
    from archcalc.render import emit_json
    from archcalc.spec import NetworkSpec

    emit_json(NetworkSpec.model_json_schema())


def _progress(items: list[T], verb: str, label: Callable[[T], str]) -> Iterator[T]:
    """Yield ``items`` while a rich progress bar on stderr says which one is running."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(verb, total=len(items))
        for item in items:
            bar.update(task, description=f"{verb} {label(item)}")
            yield item
            bar.advance(task)


def _fail(message: str, code: int = 2) -> int:
    sys.stderr.write(f"archcalc: error: {' '.join(message.split())}\n")
    return code


def _parser_errors() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """Click's usage-error and abort classes: typer ≥ 0.2x vendors its own click, older ones use click."""
    errors: list[type[BaseException]] = []
    aborts: list[type[BaseException]] = [KeyboardInterrupt, typer.Abort]
    if hasattr(typer, "TyperException"):
        errors.append(typer.TyperException)
    try:
        import click

        errors.append(click.ClickException)
        aborts.append(click.exceptions.Abort)
    except ImportError:  # pragma: no cover - click is not needed by newer typer
        pass
    return tuple(errors), tuple(aborts)


def main(argv: list[str] | None = None) -> int:
    """Entry point: bad input → one line on stderr and exit code 2, never a traceback."""
    errors, aborts = _parser_errors()
    try:
        result = app(args=argv, prog_name="archcalc", standalone_mode=False)
    except ArchcalcError as e:
        return _fail(str(e))
    except aborts:
        return _fail("interrupted", 130)
    except errors as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `archcalc`: show the help
            sys.stdout.write(e.ctx.get_help() + "\n")  # type: ignore[attr-defined]
            return 0
        message = e.format_message() if hasattr(e, "format_message") else str(e)
        return _fail(message, getattr(e, "exit_code", 2) or 2)
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


def run() -> None:  # pragma: no cover - console-script shim
    sys.exit(main())
