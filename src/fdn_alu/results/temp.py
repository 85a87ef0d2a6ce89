"""Temporary names beside a result, their clean-up after a killed process, and the operating
system's write failures as :class:`~fdn_alu.errors.OutputError` (used by
:mod:`fdn_alu.results.folders`, the package's one writer).

Temporary names are ``.NAME.partial-PID-TAG`` (a folder being written), ``.NAME.old-PID-TAG``
(the result being replaced) and ``.NAME.tmp-PID-TAG`` (a file).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import uuid
from pathlib import Path

from fdn_alu.errors import OutputError

__all__ = ["clean_stale", "output_error", "temp_name"]

_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<what>partial|old|tmp)-(?P<pid>\d+)-[0-9a-f]{8}$")


def temp_name(target: Path, what: str) -> Path:
    """``.NAME.WHAT-PID-TAG`` beside ``target`` (``what``: partial, old or tmp)."""
    return target.with_name(f".{target.name}.{what}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def clean_stale(folder: str | os.PathLike, name: str | None = None) -> list[str]:
    """Remove the temporary entries a killed fdn_alu process left in ``folder``.

    Only names of this module's pattern (``.NAME.partial-PID-TAG``, ``.NAME.old-PID-TAG``,
    ``.NAME.tmp-PID-TAG``) whose process ``PID`` no longer runs are touched; with ``name``, only
    those of the target ``NAME``. An ``.old`` folder whose target is missing (the process died
    between moving the old result aside and the new one in) is renamed back to its target.

    Returns
    -------
    list of str
        The names removed or restored.
    """
    folder = Path(folder)
    done = []
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return done
    for entry in entries:
        m = _TEMP.match(entry)
        if m is None or (name is not None and m["name"] != name) or _alive(int(m["pid"])):
            continue
        path = folder / entry
        if path.is_symlink():
            continue
        target = folder / m["name"]
        with contextlib.suppress(OSError):
            if m["what"] == "old" and not os.path.lexists(target):
                path.rename(target)
            elif path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
            done.append(entry)
    return done


_OS_OUTPUT_ERRNOS = {
    errno.ENOSPC,
    errno.EDQUOT,
    errno.EFBIG,
    errno.EIO,
    errno.EROFS,
    errno.EACCES,
    errno.EPERM,
    errno.EMFILE,
    errno.ENAMETOOLONG,
}


def output_error(exc: OSError, path: str | os.PathLike) -> OutputError | None:
    """The :class:`OutputError` for an operating-system failure while writing ``path`` (None
    when ``exc`` is not one of the write failures: disk full, file too large, quota, I/O error,
    read-only, permission, too many open files, name too long)."""
    if exc.errno not in _OS_OUTPUT_ERRNOS:
        return None
    reason = exc.strerror or os.strerror(exc.errno)
    return OutputError(
        f"could not write {path}: {reason}; nothing was left half-written there",
        path=str(path),
        reason=reason,
    )
