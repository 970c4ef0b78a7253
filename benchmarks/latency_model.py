"""How well does the latency model predict real forward passes on this CPU, per backend? (A
benchmark, not a test: it prints figures.)

For each backend (``torch`` eager, ``onnxruntime`` CPU provider) it takes a device profile — loaded
(``--profile-torch`` / ``--profile-onnxruntime``) or measured first by ``archcalc calibrate`` (full,
not ``--quick``), which times synthetic kernels and seeded random networks from seed 0 and never a
built-in network — and compares its predicted latency with the measured forward pass on:

- **built-in networks**: every built-in spec at α ∈ {0.5, 1.0} × resolution ∈ {160, 224} (no
  built-in network at any setting is used in calibration);
- **unseen random networks**: ``--random`` synthetic networks from seed 777777 (calibration uses
  seeds 0, 1000, 2000 …; the generator is :mod:`archcalc.measure.synthetic_networks`).

Each configuration is measured **three times** (separately built models / sessions, each the median
of ``--repeats`` forwards after ``--warmup``, batch 1, ``--threads`` threads, Python's garbage
collector paused), never in the process that calibrated (as ``archcalc time`` never runs in the
process of ``archcalc calibrate``), and each by a fresh process of its own, forked from a server
that ran nothing (:mod:`archcalc.measure.fresh`), as ``archcalc time`` measures one network in a
new process: twice back to back by one process — the first is what the prediction is scored
against — and once more by another process after all of those. Each of the two measurements is
made in ``--rounds`` passes over all the configurations (default 3) and keeps, per configuration,
the median over them: this VM's speed wanders by 5–10 % over seconds to minutes, and one pass
caught a configuration in whatever phase it happened to run (docs/latency.md, seventh round); and
a process is a state of its own, which its history slows by up to 29 % (twelfth to fourteenth
rounds). These give two **noise floors**: |again − first| / first (the same
processes, right after) and |other − first| / first (other processes, later). No model can be
scored more precisely than the machine measures itself, and a profile calibrated once predicts
forward passes measured later, in other processes: the second floor is the one that bounds it.
(On this 2-core VM eager torch's small networks ran 10–20 % slower in the process that had just
calibrated than in fresh ones, and 15–30 % apart between processes while Python's collector ran
during the timed calls: docs/latency.md.)

Printed per backend and set: the share of predictions within ±5 % and ±10 % of the measured
forward, the median and 90th-percentile |predicted − measured| / measured, Kendall's τ-b
(``scipy.stats.kendalltau``) of predicted vs measured next to τ-b of MACs vs measured; the same
shares against the other process's measurement; the same shares and percentiles for both
noise floors; the most any predictor could score within ±10 % against both the first and the
other process's measurement (:func:`hindsight_bound`: one figure per configuration, chosen with
hindsight — the ceiling for a model that must serve both moments); and the **drift**: the median
of measured / predicted, how much faster or slower the machine ran the measured forwards than the
calibration priced them (this VM has slow spells of 5–12 % lasting minutes), with the shares of
the predictions scaled by it — a diagnostic that tells the errors' shape from the machine's change
of speed, not a score. Report the machine's load
(``uptime``) next to them: under load the forward passes are preempted and every figure degrades.

    PYTHONPATH=. python benchmarks/latency_model.py --threads 2                 # calibrates first
    PYTHONPATH=. python benchmarks/latency_model.py --threads 2 --profile-torch NAME \\
        --profile-onnxruntime NAME

One run scores one calibration against one measurement, and both vary (a fresh calibration moves
the share within ±10 % by up to 20 points on torch). ``--save DIR`` keeps a run's profile and
measurements in DIR (``BACKEND-profile.json``, ``BACKEND-measured.json``); ``--cross DIR ...``
then scores every saved profile against every saved measurement of the built-in networks (the
first process's and the other's), prints the matrix of shares within ±10 % with each profile's
mean (and the mean with each measurement's drift taken out), how often each pair of
measurements agrees within ±10 % (the noise floor across runs), and the most any predictor could
score against those measurements — one figure per configuration, chosen with hindsight to fall
within ±10 % of as many of its measurements as one figure can (:func:`hindsight_bound`) — next to
the score of each configuration's geometric mean over them, and what a predictor that knew every
*other* run's measurements scores against each run's (:func:`leave_one_run_out`: the best a
perfect model calibrated at other moments could do), and one that knew a single other run's
(:func:`one_other_run`: as a profile calibrated once knows one moment):

    PYTHONPATH=. python benchmarks/latency_model.py --threads 1 --backend torch --save runs/a
    PYTHONPATH=. python benchmarks/latency_model.py --cross runs/a runs/b runs/c
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from statistics import median
from typing import NoReturn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np

from archcalc.count.closed_form import layer_costs, report
from archcalc.count.latency import (
    DeviceProfile,
    layer_latencies,
    load_profile,
    predict,
    profile_kernels,
    save_profile,
)
from archcalc.errors import ArchcalcError
from archcalc.measure.fresh import forwards_ms, in_fresh_process
from archcalc.model.graph import Graph
from archcalc.model.resolve import Resolved, resolve
from archcalc.spec.catalog import builtin_names, load_spec

ALPHAS = (0.5, 1.0)
RESOLUTIONS = (160, 224)
UNSEEN_SEED = 777_777


def predicted_ms(graph: Graph, profile: DeviceProfile) -> float:
    """The profile's forward prediction for a graph without a spec (the random networks): what
    ``predict`` sums for a report, from the graph's layers."""
    rows, _ = layer_latencies(profile_kernels(layer_costs(graph), profile), profile)
    return 1e3 * sum(r.seconds for r in rows)


def shares(errs: list[float]) -> str:
    e = np.abs(np.array(errs))
    return (
        f"within ±5 % {100 * np.mean(e <= 0.05):5.1f} %, within ±10 % {100 * np.mean(e <= 0.10):5.1f} %, "
        f"median {100 * np.median(e):5.1f} %, p90 {100 * np.quantile(e, 0.9):5.1f} %"
    )


def share_within(ratios: Iterable[float], tolerance: float = 0.10) -> float:
    """Per cent of ``ratios`` (predicted / measured, or one measurement over another) within
    ±``tolerance`` of 1."""
    return 100 * float(np.mean([abs(r - 1) <= tolerance for r in ratios]))


def hindsight_bound(
    columns: Sequence[Mapping[str, float]], labels: Sequence[str], tolerance: float = 0.10
) -> float:
    """The most any predictor could score against ``columns`` (measurements, {label: ms}): the mean
    over them of the share of ``labels`` within ±``tolerance``, for the one prediction p per
    configuration chosen, with hindsight, to fall within ±``tolerance`` of the most measurements
    of it (|p − m| ≤ tolerance·m for m in p/(1 + tolerance) … p/(1 − tolerance); the best p is
    found among the lower ends m·(1 − tolerance) of the intervals)."""
    best = 0
    for k in labels:
        ms = [c[k] for c in columns]
        best += max(
            sum(m * (1 - tolerance) <= p <= m * (1 + tolerance) for m in ms)
            for p in (x * (1 - tolerance) for x in ms)
        )
    return 100 * best / (len(labels) * len(columns))


@dataclass
class Row:
    """One configuration: its forward measured twice back to back in a fresh process, once more in
    another, and predicted (ms) by the process that calibrated."""

    label: str
    macs: float
    measured: float
    again: float
    other: float
    predicted: float


def summary(label: str, rows: list[Row]) -> None:
    """Shares, median and p90 of the prediction against the measurement and against the other
    process's; the two noise floors; Kendall's τ-b of prediction and of MACs."""
    # scipy.stats here, not at the top: each fresh measuring process re-runs this script (Python
    # 3.11's fork server cannot preload ``__main__``, CPython gh-126631), and it takes a second
    from scipy.stats import kendalltau

    if not rows:
        return
    meas = [r.measured for r in rows]
    pred = [r.predicted for r in rows]
    err = [(r.predicted - r.measured) / r.measured for r in rows]
    err_other = [(r.predicted - r.other) / r.other for r in rows]
    same = [(r.again - r.measured) / r.measured for r in rows]
    cross = [(r.other - r.measured) / r.measured for r in rows]
    tau_p = kendalltau(pred, meas).statistic
    tau_m = kendalltau([r.macs for r in rows], meas).statistic
    print(f"  {label} ({len(rows)} configurations)")
    print(f"    prediction : {shares(err)}; Kendall τ-b {tau_p:.3f} (MACs: {tau_m:.3f})")
    print(f"    prediction against the other process's measurement: {shares(err_other)}")
    print(f"    noise floor, same process : {shares(same)} (measured again right after)")
    print(f"    noise floor, other process: {shares(cross)} (measured again by a fresh process, later)")
    columns = [{r.label: r.measured for r in rows}, {r.label: r.other for r in rows}]
    print(
        "    the most any predictor could score within ±10 % against both measurements (one figure per "
        f"configuration, chosen with hindsight): {hindsight_bound(columns, [r.label for r in rows]):.1f} %"
    )
    drift = float(np.median([r.measured / r.predicted for r in rows]))
    shape = [(r.predicted * drift - r.measured) / r.measured for r in rows]
    print(
        f"    drift: the measurements run {100 * (drift - 1):+.1f} % from the predictions (median); the "
        f"predictions scaled by it (not a score: the errors' shape alone): {shares(shape)}"
    )


def configurations(backend: str, args: argparse.Namespace) -> Iterator[tuple[str, Graph, Resolved | None]]:
    """(label, graph, the resolved spec or None) of every configuration scored, in order: the
    built-in networks at each α and resolution (those ONNX cannot express skipped on
    onnxruntime), then the unseen random networks (no spec)."""
    from archcalc.measure.calibrate import calibration_networks, exportable

    for net in args.nets or builtin_names():
        spec = load_spec(net)
        for alpha in ALPHAS:
            for res in RESOLUTIONS:
                try:
                    resolved = resolve(spec, alpha, res)
                except ArchcalcError as e:
                    print(f"{net} α={alpha:g} {res}: skipped: {e}", file=sys.stderr)
                    continue
                if backend == "onnxruntime" and not exportable(resolved.graph):
                    continue
                yield f"{net} α={alpha:g} {res}", resolved.graph, resolved
    for i, g in enumerate(calibration_networks(args.random, 2e9, backend, seed=UNSEEN_SEED)):
        yield f"random #{i} (seed {UNSEEN_SEED}+{1000 * i})", g, None


def save_run(directory: str, backend: str, profile: DeviceProfile, rows: list[Row]) -> None:
    """``BACKEND-profile.json`` and ``BACKEND-measured.json`` ({label: {first, again, other}} in ms)
    in ``directory``, for :func:`cross`."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, f"{backend}-profile.json"), "w", encoding="utf-8") as f:
        f.write(profile.model_dump_json())
    measured = {r.label: {"first": r.measured, "again": r.again, "other": r.other} for r in rows}
    with open(os.path.join(directory, f"{backend}-measured.json"), "w", encoding="utf-8") as f:
        json.dump({"backend": backend, "profile": profile.name, "measured": measured}, f, indent=1)


def _builtin_label(label: str) -> tuple[str, float, int] | None:
    """(network, α, resolution) of a built-in configuration's label, None for a random network."""
    if label.startswith("random"):
        return None
    net, alpha, res = label.split()
    return net, float(alpha.removeprefix("α=")), int(res)


def _predictor_scores(
    columns: Mapping[str, Mapping[str, float]],
    labels: Sequence[str],
    predictors: Callable[[str], Iterable[list[str]]],
) -> tuple[float, float]:
    """The mean share within ±10 % over every (measurement, predictor) pair, a predictor being the
    geometric mean of the columns ``predictors(name)`` names for measurement ``name``, and the same
    with each pair's drift (median ratio) taken out."""
    logs = {name: np.log([c[k] for k in labels]) for name, c in columns.items()}
    raw, shaped = [], []
    for name in columns:
        for names in predictors(name):
            ratios = np.exp(np.mean([logs[o] for o in names], axis=0) - logs[name])
            raw.append(share_within(ratios))
            shaped.append(share_within(ratios / np.median(ratios)))
    return (float(np.mean(raw)), float(np.mean(shaped))) if raw else (float("nan"), float("nan"))


def leave_one_run_out(
    columns: Mapping[str, Mapping[str, float]], run_of: Mapping[str, str], labels: Sequence[str]
) -> tuple[float, float]:
    """The mean share within ±10 % of each measurement (``columns``, by name) of a predictor that
    knows every *other* run's measurements (``run_of``: a column's run; the same run's other process
    left out too) and predicts each configuration's geometric mean over them: what a perfect model
    calibrated at another moment could score here; and the same with each measurement's drift
    (median ratio) taken out."""

    def others(name: str) -> list[list[str]]:
        names = [o for o in columns if run_of[o] != run_of[name]]
        return [names] if names else []

    return _predictor_scores(columns, labels, others)


def one_other_run(
    columns: Mapping[str, Mapping[str, float]], run_of: Mapping[str, str], labels: Sequence[str]
) -> tuple[float, float]:
    """As :func:`leave_one_run_out`, but the predictor knows one other run at a time (the geometric
    mean of that run's measurements), as a profile calibrated once knows one moment: the mean share
    within ±10 % over every (measurement, other run) pair, and the same with each pair's drift
    (median ratio) taken out."""
    runs = sorted(set(run_of.values()))

    def each_other(name: str) -> list[list[str]]:
        return [[o for o in columns if run_of[o] == run] for run in runs if run != run_of[name]]

    return _predictor_scores(columns, labels, each_other)


def cross(directories: list[str]) -> int:
    """Every saved profile × every saved measurement (:func:`save_run`), per backend: the share of
    built-in configurations predicted within ±10 % (see module doc); 2 (one line) when no
    directory holds a saved measurement."""
    found = False
    for backend in ("torch", "onnxruntime"):
        runs = [d for d in directories if os.path.exists(os.path.join(d, f"{backend}-measured.json"))]
        if not runs:
            continue
        found = True
        columns: dict[str, dict[str, float]] = {}
        run_of: dict[str, str] = {}
        for d in runs:
            with open(os.path.join(d, f"{backend}-measured.json"), encoding="utf-8") as f:
                measured = json.load(f)["measured"]
            name = os.path.basename(os.path.normpath(d))
            for which in ("first", "other"):
                col = {k: v[which] for k, v in measured.items() if _builtin_label(k) is not None}
                columns[name if which == "first" else f"{name} other"] = col
                run_of[name if which == "first" else f"{name} other"] = name
        labels = sorted(set.intersection(*(set(c) for c in columns.values())))
        reports = {}
        for label in labels:
            net, alpha, res = _builtin_label(label)  # type: ignore[misc]
            reports[label] = report(resolve(load_spec(net), alpha, res), "paper", "fp32")
        print(f"\n{backend}: {len(labels)} built-in configurations within ±10 %, profile (row) × measurement")
        print("| profile | " + " | ".join(columns) + " | mean | mean, each column's drift taken out |")
        print("|---|" + "---|" * (len(columns) + 2))
        for d in runs:
            path = os.path.join(d, f"{backend}-profile.json")
            with open(path, encoding="utf-8") as f:
                profile = DeviceProfile.model_validate_json(f.read())
            pred = {k: predict(reports[k], profile, backend=backend).total_ms for k in labels}
            shares = [share_within(pred[k] / c[k] for k in labels) for c in columns.values()]
            drift = [float(np.median([c[k] / pred[k] for k in labels])) for c in columns.values()]
            shaped = [
                share_within(pred[k] * m / c[k] for k in labels)
                for m, c in zip(drift, columns.values(), strict=True)
            ]
            print(
                f"| {os.path.basename(os.path.normpath(d))} | "
                + " | ".join(f"{v:.1f}" for v in shares)
                + f" | {np.mean(shares):.1f} | {np.mean(shaped):.1f} |"
            )
        names = list(columns)
        agree = [
            share_within(columns[b][k] / columns[a][k] for k in labels)
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        ]
        if agree:
            print(
                f"measurements agreeing pairwise within ±10 % ({len(agree)} pairs): "
                f"{min(agree):.1f}–{max(agree):.1f} %, median {median(agree):.1f} %"
            )
        means = {k: float(np.exp(np.mean([np.log(c[k]) for c in columns.values()]))) for k in labels}
        bound = hindsight_bound(list(columns.values()), labels)
        mean_share = np.mean([share_within(means[k] / c[k] for k in labels) for c in columns.values()])
        print(
            f"the most any predictor could score against these {len(columns)} measurements (one figure per "
            f"configuration, chosen with hindsight): {bound:.1f} %; each configuration's geometric mean "
            f"over them: {mean_share:.1f} %"
        )
        if len(runs) > 1:
            raw, shaped = leave_one_run_out(columns, run_of, labels)
            print(
                f"a predictor knowing every other run's measurements (their geometric mean), against each "
                f"run's: {raw:.1f} % (each measurement's drift taken out: {shaped:.1f} %)"
            )
            raw, shaped = one_other_run(columns, run_of, labels)
            print(
                f"a predictor knowing one other run's measurements, as a profile calibrated once knows one "
                f"moment, against each run's: {raw:.1f} % (each pair's drift taken out: {shaped:.1f} %)"
            )
    if not found:
        print(
            f"{os.path.basename(sys.argv[0])}: error: --cross: no saved measurement "
            "(BACKEND-measured.json) in " + ", ".join(directories),
            file=sys.stderr,
        )
        return 2
    return 0


def in_fresh_processes(
    configs: Sequence[tuple[str, Graph, Resolved | None]],
    args: argparse.Namespace,
    backend: str,
    threads: int,
    times: int,
) -> dict[str, list[float]]:
    """Every configuration of ``configs`` (:func:`configurations`) measured ``times`` times back to
    back (each on a model built anew) by a fresh process of its own
    (:func:`archcalc.measure.fresh.in_fresh_process`, forked from a server that ran nothing: no
    calibration ran in it, and no other network, as ``archcalc time`` measures one network in a
    new process), in ``--rounds`` passes over all the configurations,
    and each place in the row the median over the passes. A process is a state of its own: one
    that had measured every configuration once ran MobileNet V2 α = 0.5 at 160 px 8–29 % slower
    than it had at its start, which neither Python's collector nor ``malloc_trim`` undid, nor
    glibc's thresholds fixed (docs/latency.md, twelfth to fourteenth rounds)."""
    passes = [
        {
            label: in_fresh_process(forwards_ms, g, backend, threads, args.warmup, args.repeats, times)
            for label, g, _ in configs
        }
        for _ in range(args.rounds)
    ]
    return {label: [median(p[label][i] for p in passes) for i in range(times)] for label, _, _ in configs}


def run_backend(backend: str, args: argparse.Namespace, threads: int) -> None:
    t0 = time.perf_counter()
    name = getattr(args, f"profile_{backend}")
    if name:
        profile = load_profile(name)
        assert profile is not None
    else:
        from archcalc.measure.calibrate import calibrate

        name = f"benchmark-{backend}-{threads}t"
        print(f"[{backend}] calibrating ({threads} threads) …", file=sys.stderr, flush=True)
        profile = calibrate(name, threads, backend=backend)
        print(f"[{backend}] saved profile {name!r} to {save_profile(profile)}", file=sys.stderr)
    t_cal = time.perf_counter() - t0
    print(
        f"\n== {backend}: profile {profile.name!r} ({profile.cpu}, {profile.threads} threads, "
        f"{', '.join(f'{k} {v}' for k, v in profile.versions.items())}"
        f"{', quick' if profile.quick else ''}); timing with {threads} threads, load {os.getloadavg()[0]:.2f}"
    )
    predicted: list[tuple[str, float, float]] = []  # (label, MACs, predicted ms)
    configs = list(configurations(backend, args))
    for label, g, resolved in configs:
        if resolved is None:
            macs, pred = float(sum(c.macs for c in layer_costs(g))), predicted_ms(g, profile)
        else:
            rep = report(resolved, "paper", "fp32")
            macs, pred = float(rep.totals.macs), predict(rep, profile, backend=backend).total_ms
        predicted.append((label, macs, pred))
    t_main = time.perf_counter()
    print(f"[{backend}] measuring every configuration twice in fresh processes …", file=sys.stderr)
    first = in_fresh_processes(configs, args, backend, threads, 2)
    print(f"[{backend}] … and once more in other ones …", file=sys.stderr)
    other = in_fresh_processes(configs, args, backend, threads, 1)
    t_other = time.perf_counter()
    print(
        f"{'configuration':40s} {'MMACs':>9s} {'measured':>10s} {'again':>10s} {'other proc':>10s} "
        f"{'predicted':>10s} {'err %':>7s}"
    )
    rows = [Row(label, macs, *first[label], other[label][0], pred) for label, macs, pred in predicted]
    for r in rows:
        _print(r)
    builtin = [r for r in rows if not r.label.startswith("random")]
    randoms = [r for r in rows if r.label.startswith("random")]
    print(
        f"\n{backend} summary (load now {os.getloadavg()[0]:.2f}; the two measuring processes took "
        f"{t_other - t_main:.0f} s):"
    )
    summary("built-in networks", builtin)
    summary("unseen random networks", randoms)
    summary("all", rows)
    print(f"  wall time: calibration {t_cal:.0f} s, total {time.perf_counter() - t0:.0f} s")
    if args.save:
        save_run(args.save, backend, profile, rows)
        print(f"[{backend}] saved the profile and the measurements in {args.save}", file=sys.stderr)


def _print(r: Row) -> None:
    print(
        f"{r.label:40s} {r.macs / 1e6:9.1f} {r.measured:10.3f} {r.again:10.3f} {r.other:10.3f} "
        f"{r.predicted:10.3f} {100 * (r.predicted - r.measured) / r.measured:+7.1f}",
        flush=True,
    )


class _Parser(argparse.ArgumentParser):
    """argparse, whose errors are one line (exit 2) instead of the usage and the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _at_least_one(text: str) -> int:
    """An argument that must be a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main() -> int:
    ap = _Parser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=("torch", "onnxruntime", "both"), default="both")
    ap.add_argument("--profile-torch", help="use this saved torch profile instead of calibrating")
    ap.add_argument("--profile-onnxruntime", help="use this saved onnxruntime profile instead of calibrating")
    ap.add_argument("--threads", type=int, default=None, help="intra-op threads (default: torch's)")
    ap.add_argument("--repeats", type=int, default=10, help="timed forwards per measurement (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed forwards before them (default 3)")
    ap.add_argument("--random", type=int, default=16, help="unseen random networks (default 16)")
    ap.add_argument(
        "--rounds",
        type=_at_least_one,
        default=3,
        help="passes over all configurations per measurement, each configuration in a fresh process of its "
        "own each time, its time the median over them (default 3)",
    )
    ap.add_argument("--nets", nargs="*", help="only these built-in networks")
    ap.add_argument(
        "--save", metavar="DIR", help="keep the profile and the measurements in DIR (for --cross)"
    )
    ap.add_argument(
        "--cross", nargs="+", metavar="DIR", help="score every saved profile against every saved measurement"
    )
    args = ap.parse_args()
    if args.cross:
        return cross(args.cross)
    threads = args.threads or os.cpu_count() or 1
    backends = ("torch", "onnxruntime") if args.backend == "both" else (args.backend,)
    for backend in backends:
        run_backend(backend, args, threads)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
