"""Cold start of ``archcalc table mobilenet_v2 --format json`` as a whole process.

    python benchmarks/cold_start.py [--runs 15] [--venv DIR] [--full] [--keep] [--instructions]

Method: what a user gets from ``pip install archcalc``. The script makes a fresh virtual environment
in a temporary directory (``python -m venv``, no system site-packages) and runs ``pip install`` of
this checkout into it, which pulls the base dependencies only (pydantic, typer, rich, PyYAML) and
byte-compiles everything, as any install does. It then times, side by side in one run, the median
and minimum wall time of N whole-process runs, interleaved round by round, of:

* ``archcalc table mobilenet_v2 --format json`` (the console script) and ``python -m archcalc …``,
  with the built-in specs' JSON cache filled by the warm-up run (every run but a user's first);
* the console script with no usable cache directory, which parses the YAML every time (a first run);
* for reference, the bare interpreter (``python -c pass``, ``python -S -c pass``) and the import
  of the base dependencies alone (``python -c "import pydantic, typer, yaml; …BaseModel"``);

each with its ratio to the base-import line (steadier than the times on a loaded machine),
then prints the ``-X importtime`` breakdown of one run (self time per top-level package and the
slowest modules, cumulative) and whether torch, numpy, fvcore, rich or PyYAML were imported at all.
The cache lives in the temporary directory: ~/.cache is neither read nor written.

``--full`` makes the environment a full test install instead: the CPU build of torch, then this
checkout with its ``test`` extras (fvcore, matplotlib, pytest, hypothesis …) at the versions pinned in
``constraints-test.txt``, some 50 distributions instead of 16. What an installed distribution used to
cost at start-up (pydantic's scan of every distribution's entry points for plugins) is skipped when
none declares a pydantic plugin (:mod:`archcalc.cli.startup`), so the two ratios should agree; the
header prints how many distributions the environment holds.

``--venv DIR`` reuses (or creates, then keeps) an environment; this checkout is re-installed into it
on every run (dependencies untouched, not editable), so a run always times the code as it is. Do
not point it at a development environment with an editable install: it becomes a regular one.
Wall-clock figures on a shared machine are noisy: quote the medians of a quiet run.
``--instructions`` also counts the instructions of one run of each case under valgrind, which does
not depend on the load.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
COMMAND = ["table", "mobilenet_v2", "--format", "json"]
HEAVY = ("torch", "numpy", "fvcore", "matplotlib", "rich", "yaml")


CACHE_DIR = ""
"""The spec cache of the timed runs (``$ARCHCALC_CACHE_DIR``), in the temporary directory: the
user's ~/.cache is neither read nor written."""
NO_CACHE = "/dev/null/archcalc"
"""A cache directory that can never be created: every run parses the YAML, as a first run does."""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("VIRTUAL_ENV", None)
    env["ARCHCALC_CACHE_DIR"] = CACHE_DIR
    env.update(extra)
    return env


def make_venv(where: Path, full: bool = False) -> Path:
    """A venv at ``where`` with this checkout installed as it is now: a reused venv gets the checkout
    re-installed (dependencies untouched), so every run times the current code. A new ``full`` one
    gets the CPU build of torch and the pinned test extras too."""
    python = where / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not python.exists():
        print(f"creating {where} and installing {REPO} into it …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        if full:  # torch first: a plain `torch` from PyPI pulls several GB of CUDA packages
            subprocess.run([*pip, "torch==2.13.0"], check=True, env=clean_env())
            constraints = str(REPO / "constraints-test.txt")
            subprocess.run([*pip, "-c", constraints, f"{REPO}[test]"], check=True, env=clean_env())
        else:
            subprocess.run([*pip, str(REPO)], check=True, env=clean_env())
    else:
        print(f"re-installing {REPO} into {where} …", flush=True)
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True, env=clean_env())
    return where / "bin"


Case = tuple[str, list[str], dict[str, str]]
"""(label, argv, environment)."""


def time_runs(cases: list[Case], runs: int, cwd: Path) -> dict[str, list[float]]:
    """Wall seconds of ``runs`` whole-process runs of each case, after one untimed warm-up each
    (which also fills the spec cache).

    The cases are interleaved (round r runs every case once), so a burst of load on a shared
    machine slows all of them alike instead of one case's whole series."""
    for _, argv, env in cases:
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=cwd, env=env)
    samples: dict[str, list[float]] = {label: [] for label, _, _ in cases}
    for _ in range(runs):
        for label, argv, env in cases:
            t = time.perf_counter()
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, cwd=cwd, env=env)
            samples[label].append(time.perf_counter() - t)
    return samples


def count_instructions(cases: list[Case], cwd: Path) -> None:
    """Instructions executed by one run of each case (valgrind's callgrind ``Ir``): unlike wall
    time, the same on a loaded machine, so two versions compare exactly."""
    if shutil.which("valgrind") is None:
        print("\n--instructions: valgrind is not on PATH")
        return
    print("\ninstructions executed by one run (valgrind --tool=callgrind):")
    counts = {}
    for label, argv, env in cases:
        proc = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
        )
        m = re.search(r"Collected : (\d+)", proc.stderr)
        counts[label] = int(m.group(1)) if m else 0
    base = counts[cases[-1][0]] or 1
    for label, n in counts.items():
        print(f"  {label:<42}{n / 1e6:8.0f} M{n / base:8.2f} × deps", flush=True)


def import_breakdown(python: str, cwd: Path) -> None:
    proc = subprocess.run(
        [python, "-X", "importtime", "-m", "archcalc", *COMMAND],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=clean_env(),
    )
    rows = []
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
        if m:
            rows.append((int(m.group(1)), int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
    by_package: collections.Counter[str] = collections.Counter()
    for self_us, _, _, name in rows:
        by_package[name.split(".")[0]] += self_us
    total = sum(by_package.values())
    print(f"\n-X importtime of one run: {len(rows)} modules, {total / 1e3:.1f} ms of import time in all")
    print("self time by top-level package:")
    for pkg, us in by_package.most_common(12):
        print(f"  {pkg:<24}{us / 1e3:8.1f} ms  {100 * us / total:5.1f} %")
    print("slowest modules by cumulative time (nested imports included):")
    for _, cum, depth, name in sorted(rows, key=lambda r: -r[1])[:15]:
        print(f"  {'  ' * min(depth, 4)}{name:<{40 - 2 * min(depth, 4)}}{cum / 1e3:8.1f} ms")
    imported = {name.split(".")[0] for *_, name in rows}
    for pkg in HEAVY:
        print(f"{pkg} imported: {'YES' if pkg in imported else 'no'}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--venv", type=Path, help="reuse or create this environment (kept)")
    ap.add_argument(
        "--full",
        action="store_true",
        help="a new environment gets torch and the test extras too (a full test install)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the temporary environment")
    ap.add_argument(
        "--instructions",
        action="store_true",
        help="also count each case's instructions once under valgrind (load-independent; ~20 s a case)",
    )
    args = ap.parse_args()

    global CACHE_DIR
    tmp = Path(tempfile.mkdtemp(prefix="archcalc-cold-"))
    CACHE_DIR = str(tmp / "cache")
    try:
        bindir = make_venv(args.venv.resolve() if args.venv else tmp / "venv", args.full)
        python = str(bindir / "python")
        deps = "import pydantic, typer, yaml; from pydantic import BaseModel"
        env, no_cache = clean_env(), clean_env(ARCHCALC_CACHE_DIR=NO_CACHE)
        cases: list[Case] = [
            ("archcalc table mobilenet_v2 --format json", [str(bindir / "archcalc"), *COMMAND], env),
            ("python -m archcalc table … --format json", [python, "-m", "archcalc", *COMMAND], env),
            ("archcalc table … (no spec cache)", [str(bindir / "archcalc"), *COMMAND], no_cache),
            ("python -c pass", [python, "-c", "pass"], env),
            ("python -S -c pass", [python, "-S", "-c", "pass"], env),
            ("python -c 'import pydantic, typer, yaml'", [python, "-c", deps], env),
        ]
        version = subprocess.run(
            [
                python,
                "-c",
                "import sys, importlib.metadata, pydantic, typer; print(sys.version.split()[0], "
                "'pydantic', pydantic.VERSION, 'typer', typer.__version__, end='; '); "
                "print(len(list(importlib.metadata.distributions())), 'distributions installed')",
            ],
            capture_output=True,
            text=True,
            check=True,
            env=clean_env(),
        ).stdout.strip()
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"python {version}; {os.cpu_count()} CPUs, load average {load}; "
            f"{args.runs} interleaved runs each, after one warm-up"
        )
        print(f"{'command':<44}{'median':>10}{'min':>10}{'× deps':>9}")
        samples = time_runs(cases, args.runs, tmp)
        base = statistics.median(samples[cases[-1][0]])
        for label, times in samples.items():
            med, low = statistics.median(times), min(times)
            print(f"{label:<44}{med * 1e3:8.0f} ms{low * 1e3:8.0f} ms{med / base:8.2f}", flush=True)
        if args.instructions:
            count_instructions(cases, tmp)
        import_breakdown(python, tmp)
    finally:
        if args.keep and not args.venv:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
