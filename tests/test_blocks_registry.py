"""The row-kind registry: :data:`archcalc.model.blocks.KINDS` places every kind in its module, and
a spec imports only the modules of the kinds it uses."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from typing import Literal

import pytest

import archcalc.model.blocks as blocks
from archcalc.model.blocks import BLOCKS, KINDS, block
from archcalc.spec.fields import Entry


def registered_by_importing_every_module() -> list[tuple[str, str]]:
    """(kind, module) for every kind the package's modules register, in registration order."""
    for name in sorted(m.name for m in pkgutil.iter_modules(blocks.__path__)):
        importlib.import_module(f"archcalc.model.blocks.{name}")
    return [(k, b.entry.__module__.rpartition(".")[2]) for k, b in blocks._REGISTERED.items()]


def test_kinds_lists_what_the_modules_register_in_their_order() -> None:
    registered = registered_by_importing_every_module()
    modules = sorted(m.name for m in pkgutil.iter_modules(blocks.__path__))
    in_module_order = sorted(registered, key=lambda km: modules.index(km[1]))  # stable: keeps the class order
    assert list(KINDS.items()) == in_module_order
    assert [BLOCKS[k].kind for k in BLOCKS] == list(KINDS)


def test_a_kind_missing_from_the_table_is_refused_with_its_line() -> None:
    class ThrowawayEntry(Entry):
        kind: Literal["throwaway_kind"]

    line = r'needs its line in KINDS .*"throwaway_kind": "test_blocks_registry"'
    with pytest.raises(RuntimeError, match=line):
        block(ThrowawayEntry)(lambda *a: None)
    assert "throwaway_kind" not in blocks._REGISTERED


def test_a_spec_imports_only_the_modules_of_its_kinds() -> None:
    code = (
        "import sys; from archcalc.spec.catalog import load_spec; from archcalc.model.resolve import resolve;"
        "resolve(load_spec('mobilenet_v2'), 1.0, 224);"
        "print(sorted(m.rpartition('.')[2] for m in sys.modules if m.startswith('archcalc.model.blocks.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # mobilenet_v2.yaml's rows: conv, inverted_residual, global_pool, linear (and flatten / dropout)
    assert out.split() == ["['basic',", "'inverted_residual']"]
