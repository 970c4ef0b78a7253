from __future__ import annotations

import os
import shutil
import tempfile

import pytest

from archcalc.cli import main
from archcalc.count.closed_form import Report, report
from archcalc.model.resolve import resolve
from archcalc.spec.catalog import load_spec

_SAVED_CACHE_DIR = os.environ.get("ARCHCALC_CACHE_DIR")


def pytest_configure(config: pytest.Config) -> None:
    """The built-in specs' JSON cache (archcalc.spec.cache) goes to a temporary directory, never
    the user's ~/.cache, from collection on; subprocesses inherit it."""
    os.environ["ARCHCALC_CACHE_DIR"] = tempfile.mkdtemp(prefix="archcalc-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("ARCHCALC_CACHE_DIR", ""), ignore_errors=True)
    if _SAVED_CACHE_DIR is not None:
        os.environ["ARCHCALC_CACHE_DIR"] = _SAVED_CACHE_DIR


def v1(alpha: float = 1.0, res: int = 224, **knobs: object) -> Report:
    return report(resolve(load_spec("mobilenet_v1"), alpha, res, knobs=knobs))


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the archcalc CLI in-process; returns exit code, stdout, stderr."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        cap = capsys.readouterr()
        return CliResult(code, cap.out, cap.err)

    return run
