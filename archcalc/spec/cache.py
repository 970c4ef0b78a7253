"""A cache of the built-in specs' parsed YAML, as JSON, so a cold start neither imports nor runs PyYAML.

What is cached is the *data* the safe YAML loader returned (mappings, lists, strings, numbers,
booleans, nulls), never objects and never a pickle; :func:`archcalc.spec.catalog.load_spec` validates
it with pydantic on every load, exactly as it validates freshly parsed YAML. One file per built-in
network, ``specs/NAME.json`` in the cache directory (``$ARCHCALC_CACHE_DIR``, else
``$XDG_CACHE_HOME/archcalc``, else ``~/.cache/archcalc``), holds

* the key: SHA-256 of the spec file's bytes, the archcalc version and the format version; a changed
  file or another archcalc misses and is re-parsed (and the entry rewritten);
* the SHA-256 of the data's JSON text, so a damaged file (truncated, bit flips) misses too.

Every failure (no home directory, unwritable or read-only directory, corrupt or foreign file,
data JSON cannot hold exactly, such as YAML dates or non-string keys) falls back silently to
parsing the YAML, which is what happens without a cache. Entries are written atomically
(temporary file, then rename), so concurrent runs never read half a file.

What it skips: importing PyYAML and parsing the file (110 M instructions of a cold start). Checked
against parsing by ``tests/test_cold_start.py``: ``test_every_builtin_round_trips_through_the_cache``
(a hit gives the spec the YAML gives, without touching PyYAML), the damaged-entry, changed-file,
version and unusable-directory tests, and ``test_a_warm_cold_start_imports_neither_yaml_nor_torch``.
One of the start-up shortcuts :mod:`archcalc.cli.startup` lists.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

FORMAT = 1
"""Bumped when the file layout or what is stored changes."""
MAX_BYTES = 16 << 20
"""Largest cache entry read (the built-in specs' entries are under 20 KiB)."""


def cache_dir() -> Path | None:
    """``$ARCHCALC_CACHE_DIR``, else ``$XDG_CACHE_HOME/archcalc``, else ``~/.cache/archcalc``;
    None when there is no home directory to put it in."""
    if os.environ.get("ARCHCALC_CACHE_DIR"):
        return Path(os.environ["ARCHCALC_CACHE_DIR"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "archcalc"
    try:
        return Path.home() / ".cache" / "archcalc"
    except RuntimeError:  # no HOME and no passwd entry
        return None


def key(raw: bytes) -> str:
    from archcalc._version import __version__

    return f"{hashlib.sha256(raw).hexdigest()} archcalc {__version__} format {FORMAT}"


def _entry(name: str) -> Path | None:
    where = cache_dir()
    return where / "specs" / f"{name}.json" if where is not None else None


def load(name: str, raw: bytes) -> dict[str, Any] | None:
    """The cached data of built-in ``name`` whose file holds ``raw``; None on any miss or error."""
    try:
        path = _entry(name)
        if path is None:
            return None
        with path.open("rb") as f:
            head, _, body = f.read(MAX_BYTES + 1).partition(b"\n")
        if len(body) >= MAX_BYTES:
            return None
        stored = json.loads(head)
        if stored.get("key") != key(raw) or stored.get("data_sha256") != hashlib.sha256(body).hexdigest():
            return None
        data = json.loads(body)
        return data if isinstance(data, dict) else None
    except Exception:  # a cache never fails a load: any problem is a miss
        return None


def _json_exact(value: object, depth: int = 0) -> bool:
    """Whether JSON gives ``value`` back as it is: the same types (bool stays bool, int int), and
    mappings with string keys only."""
    if depth > 100:
        return False
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) is list:
        return all(_json_exact(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(type(k) is str and _json_exact(v, depth + 1) for k, v in value.items())
    return False


def store(name: str, raw: bytes, data: object) -> None:
    """Save ``data`` (parsed from ``raw``) for built-in ``name``, if JSON holds it exactly; never raises."""
    tmp: Path | None = None
    try:
        path = _entry(name)
        if path is None or not isinstance(data, dict) or not _json_exact(data):
            return
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        head = json.dumps({"key": key(raw), "data_sha256": hashlib.sha256(body).hexdigest()})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(head.encode("ascii") + b"\n" + body)
        os.replace(tmp, path)
    except Exception:  # an unwritable cache is no cache
        if tmp is not None:
            with contextlib.suppress(OSError):
                tmp.unlink()
