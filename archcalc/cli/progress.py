"""A rich progress bar on stderr for long commands."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(items: list[T], verb: str, label: Callable[[T], str]) -> Iterator[T]:
    """Yield ``items`` while a rich progress bar on stderr says which one is running.

    Only on a terminal: piped or captured, stderr stays empty but for an error's one line (rich
    ends a non-interactive bar with a stray newline)."""
    if not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(verb, total=len(items))
        for item in items:
            bar.update(task, description=f"{verb} {label(item)}")
            yield item
            bar.advance(task)
