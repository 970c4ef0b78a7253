from __future__ import annotations

import pytest

from archcalc.catalog import load_spec
from archcalc.cli import main
from archcalc.closed_form import Report, report
from archcalc.resolve import resolve


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
