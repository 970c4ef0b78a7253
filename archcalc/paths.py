"""The files archcalc keeps for itself (the spec cache, device profiles): where they live, and how
they are read and written.

* **Where**: ``$ARCHCALC_…_DIR`` if set; else ``$XDG_…_HOME/archcalc`` if that is an absolute path
  (the XDG rule: a relative one is ignored); else under the home directory, which is ``$HOME`` if it
  is an absolute path, else the user's passwd entry. With none of these there is no such directory
  (``None``), never a path relative to wherever archcalc happens to run.
* **Reading** opens without blocking and accepts regular files only, at most a given size: a FIFO,
  a device or a directory in their place is refused at once instead of hanging or filling memory.
* **Writing** never replaces a file archcalc did not write: the file in the way must be a regular
  file (not a link) that the caller recognises as its own. The new content goes to a temporary
  file created exclusively next to it, then is renamed over it (atomic: a concurrent reader sees
  the old file or the new one, never half of one).
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path


class NotOwnFile(OSError):
    """A file archcalc would read or replace is not one of its own (not a regular file, too large,
    or not recognised)."""


def home() -> Path | None:
    """The home directory: ``$HOME`` if absolute, else the passwd entry's, else None."""
    env = os.environ.get("HOME")
    if env is not None:
        return Path(env) if os.path.isabs(env) else None
    try:
        h = Path.home()  # the passwd entry, HOME being unset
    except (RuntimeError, KeyError, OSError):  # a uid with no passwd entry
        return None
    return h if h.is_absolute() else None


def user_dir(variable: str, xdg_variable: str, fallback: str) -> Path | None:
    """``$variable``, else ``$xdg_variable/archcalc`` (if absolute), else ``HOME/fallback/archcalc``."""
    if os.environ.get(variable):
        return Path(os.environ[variable])
    xdg = os.environ.get(xdg_variable)
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "archcalc"
    h = home()
    return None if h is None else h / fallback / "archcalc"


def read_own(path: Path, limit: int) -> bytes:
    """The bytes of the regular file ``path`` (links followed), at most ``limit`` of them.

    Raises FileNotFoundError if there is none, :class:`NotOwnFile` if it is not a regular file or is
    larger than ``limit``, OSError if it cannot be read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotOwnFile(f"{path} is not a regular file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise NotOwnFile(f"{path} is larger than {limit:,} bytes")
    return b"".join(chunks)


def check_replaceable(path: Path, is_own: Callable[[bytes], bool], limit: int) -> None:
    """Raise :class:`NotOwnFile` if something is at ``path`` that archcalc must not replace: anything
    but a regular file (a link, a FIFO, a directory) or a file ``is_own`` does not recognise."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotOwnFile(f"{path} exists and is not a regular file")
    if not is_own(read_own(path, limit)):
        raise NotOwnFile(f"{path} exists and was not written by archcalc")


def write_own(path: Path, data: bytes, is_own: Callable[[bytes], bool], limit: int) -> None:
    """Write ``data`` to ``path`` atomically, creating its folders, unless something archcalc did not
    write is there (:func:`check_replaceable`). Raises OSError (:class:`NotOwnFile` included)."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(path, is_own, limit)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_writable(path: Path, is_own: Callable[[bytes], bool], limit: int) -> None:
    """Raise OSError now if :func:`write_own` could not write ``path`` later: its folder cannot be
    made or written to, or a file archcalc did not write is in the way."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    check_replaceable(path, is_own, limit)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    os.unlink(tmp)
