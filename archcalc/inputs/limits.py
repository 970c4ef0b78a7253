"""The numeric limits archcalc enforces on every path: command-line options, spec files, the library
API and device profiles. Each keeps every answer an exact integer (or a finite float for predicted
times): past a limit the answer is a one-line refusal, never a rounded or overflowed number.
``docs/limits.md`` gives the reasoning behind each value.
"""

from __future__ import annotations

MAX_ALPHA = 1000.0
"""Largest width multiplier α: far past any real network, well inside exact arithmetic."""
MAX_RESOLUTION = 1_000_000
"""Largest input side in pixels: ``--res``, ``resolution=``, a spec's ``input.resolution``, the
``sweep`` grid and ``published`` settings alike."""
MAX_CHANNELS = 1 << 22
"""Largest channel count of any layer, α applied or not (α·c for scaled rows, c for ``width: fixed``):
below 2²² a double holds α·c to within 10⁻⁹."""
MAX_SPEC_INT = 1 << 22
"""Largest integer anywhere in a spec (kernel, stride, padding, repeat, channels, knob values)."""
MAX_NODES = 100_000
"""Most layers in one resolved graph."""
MAX_BUDGET = 10**30
"""Largest ``budget`` / ``fit`` limit on MACs, parameters or bytes (the largest network archcalc
accepts has fewer than 10²⁶ MACs)."""
MAX_LATENCY_MS = 10**12
"""Largest latency limit, in milliseconds (about 32 years)."""
MAX_NUMBER_DIGITS = 100
"""Most digits, and largest |exponent|, of a number written in a limit (``1e999999`` is refused
before anything is computed)."""
MAX_GRID_POINTS = 10_000
"""Most (α, resolution) configurations in one ``sweep`` / ``budget`` grid."""
MAX_THREADS = 4096
"""Largest ``--threads`` (torch's own thread count is a C int)."""
MAX_BATCH = 1 << 20
"""Largest batch of a latency prediction or a timed forward pass."""
MAX_REPEATS = 1_000_000
"""Most timed (``--repeats``) or untimed (``--warmup``) calls per layer."""
MAX_PROFILE_NAME = 64
"""Longest device profile name (it is a file name)."""
