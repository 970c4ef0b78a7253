"""A cache of the built-in specs, as JSON, so a cold start neither imports nor runs PyYAML, nor
builds pydantic's validators.

What is cached is a built-in spec's *data* once it validated (:func:`archcalc.spec.trusted.dump`:
mappings, lists, strings, numbers, booleans, nulls), never objects and never a pickle; a hit is
rebuilt by :func:`archcalc.spec.trusted.construct` without validating again. One file per built-in
network, ``specs/NAME.json`` in the cache directory (``$ARCHCALC_CACHE_DIR``, else
``$XDG_CACHE_HOME/archcalc``, else ``~/.cache/archcalc``), holds

* the key: SHA-256 of the spec file's bytes, the archcalc version, a stamp of the modules that
  define the spec's models (:func:`schema_stamp`: edited code misses although the version stays),
  the pydantic version and the format version; a changed file, another archcalc or another
  pydantic misses and is re-parsed and validated (and the entry rewritten);
* the SHA-256 of the data's JSON text, so a damaged file (truncated, bit flips) misses too.

Every failure (no home directory, unwritable or read-only directory, corrupt or foreign file,
data JSON cannot hold exactly) falls back silently to parsing the YAML, which is what happens
without a cache. Files are touched as :mod:`archcalc.paths` says: only regular files are read,
without blocking (a FIFO in the cache is a miss, not a hang), and entries are written atomically,
so concurrent runs never read half a file.

archcalc writes only into a ``specs`` folder that is its own: one it creates, marked with a
``CACHEDIR.TAG`` (the Cache Directory Tagging convention, so backup tools skip it), or an untagged
one that holds nothing but archcalc entries (an older archcalc's), which it then tags. A ``specs``
folder with anything else in it is the user's: nothing in it is written or replaced, and the cache
is off (``ARCHCALC_CACHE_DIR`` pointed at a folder of one's own ``specs/*.json`` leaves them as
they are).

What it skips: importing PyYAML and parsing the file (110 M instructions of a cold start), and with
:mod:`archcalc.spec.trusted` validating it again. Checked against parsing by
``tests/test_cold_start.py``: ``test_every_builtin_round_trips_through_the_cache`` (a hit gives the
spec the YAML gives, without touching PyYAML), the damaged-entry, changed-file, version and
unusable-directory tests, and ``test_a_warm_cold_start_imports_neither_yaml_nor_torch``. One of the
start-up shortcuts :mod:`archcalc.cli.startup` lists.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from archcalc.paths import NotOwnFile, read_own, user_dir, write_own

FORMAT = 2
"""Bumped when the file layout or what is stored changes (2: the validated data, not the parsed YAML)."""
MAX_BYTES = 16 << 20
"""Largest cache entry read (the built-in specs' entries are under 20 KiB)."""


_HEAD = rb'^\{"key": "[0-9a-f]{64} archcalc [^"]+ format [0-9]+", "data_sha256": "[0-9a-f]{64}"\}$'
"""The first line of every entry archcalc writes (any version, any format)."""


def cache_dir() -> Path | None:
    """``$ARCHCALC_CACHE_DIR``, else ``$XDG_CACHE_HOME/archcalc``, else ``~/.cache/archcalc``;
    None when there is no home directory to put it in (:func:`archcalc.paths.user_dir`)."""
    return user_dir("ARCHCALC_CACHE_DIR", "XDG_CACHE_HOME", ".cache")


TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by archcalc (its parsed built-in specs).\n"
    b"# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
MAX_FOREIGN_CHECK = 1000
"""Most files an untagged ``specs`` folder may hold for archcalc to check that all are its own."""


def is_entry(raw: bytes) -> bool:
    """Whether ``raw`` is a cache entry archcalc wrote (its header line), so it may be replaced."""
    return re.match(_HEAD, raw.partition(b"\n")[0]) is not None


SCHEMA_CODE = ("spec", "model/blocks", "inputs")
"""The folders of the package whose modules define or check the spec's models."""


def schema_stamp(package: Path | None = None) -> str:
    """12 hex digits of the size and modification time of every module in :data:`SCHEMA_CODE`, so
    that an edited schema (in a checkout or an editable install, where the version stays) misses:
    a cached spec is not validated again (:mod:`archcalc.spec.trusted`)."""
    package = package or Path(__file__).resolve().parent.parent
    files = []
    for folder in SCHEMA_CODE:
        with os.scandir(package / folder) as entries:
            for e in entries:
                if e.name.endswith(".py"):
                    st = e.stat()
                    files.append(f"{folder}/{e.name} {st.st_size} {st.st_mtime_ns}")
    return hashlib.sha256("\n".join(sorted(files)).encode()).hexdigest()[:12]


def key(raw: bytes) -> str:
    from pydantic import VERSION

    from archcalc._version import __version__

    return (
        f"{hashlib.sha256(raw).hexdigest()} archcalc {__version__} schema {schema_stamp()} "
        f"pydantic {VERSION} format {FORMAT}"
    )


def _entry(name: str) -> Path | None:
    where = cache_dir()
    return where / "specs" / f"{name}.json" if where is not None else None


def load(name: str, raw: bytes) -> dict[str, Any] | None:
    """The cached data of built-in ``name`` whose file holds ``raw``; None on any miss or error."""
    try:
        path = _entry(name)
        if path is None:
            return None
        head, _, body = read_own(path, MAX_BYTES).partition(b"\n")
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


def own_folder(folder: Path) -> bool:
    """Whether archcalc may write into ``folder``: it carries archcalc's ``CACHEDIR.TAG``, or it is
    new or holds only archcalc entries (and is tagged now). Raises OSError when it cannot tell."""
    tag = folder / "CACHEDIR.TAG"
    try:
        return read_own(tag, 4096) == TAG
    except FileNotFoundError:
        pass
    except NotOwnFile:
        return False
    folder.mkdir(parents=True, exist_ok=True)
    for i, p in enumerate(folder.iterdir()):
        if i >= MAX_FOREIGN_CHECK:
            return False
        leftover = p.name.startswith(".") and p.name.endswith(".tmp")  # an interrupted write
        if not leftover and not (p.suffix == ".json" and is_entry(read_own(p, MAX_BYTES))):
            return False
    write_own(tag, TAG, lambda old: old == TAG, 4096)
    return True


def store(name: str, raw: bytes, data: object) -> None:
    """Save ``data`` (parsed from ``raw``) for built-in ``name``, if JSON holds it exactly; never
    raises, and never writes into a folder that is not archcalc's own (:func:`own_folder`)."""
    try:
        path = _entry(name)
        if path is None or not isinstance(data, dict) or not _json_exact(data):
            return
        if not own_folder(path.parent):
            return
        body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        head = json.dumps({"key": key(raw), "data_sha256": hashlib.sha256(body).hexdigest()})
        write_own(path, head.encode("ascii") + b"\n" + body, lambda old: True, MAX_BYTES)
    except Exception:  # an unwritable cache, or someone else's folder in its place, is no cache
        return
