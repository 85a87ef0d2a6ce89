"""Safe output folders: never delete or hide anything fdn_alu did not write.

The one writer of the package. Every command and :func:`fdn_alu.write_results` use:

* :func:`check_out_dir` -- called *before* any work, refuses with an
  :class:`~fdn_alu.errors.OutputRefusedError` a path that is a file, lies under a file, cannot
  be written, is a symbolic link, or is an existing folder that is not an earlier result of the
  *same* command (a user's folder, or another command's result);
* :func:`write_dir_atomic` -- fills a temporary folder beside the target through a callback,
  writes the marker file ``.fdn_alu`` (the command and every file written), and only then moves
  it into place. An earlier result of the same command is replaced only after the new folder is
  complete; an error, Ctrl-C or SIGTERM leaves no partial folder, and a failure of the operating
  system (disk full, file size limit, quota, I/O error) is an :class:`~fdn_alu.errors.OutputError`
  naming the path and the reason;
* :func:`write_file_atomic` -- one file through a temporary file beside it (never half a file).

How an earlier result is recognised
-----------------------------------
* a marker file ``.fdn_alu`` (JSON object: ``"fdn_alu_result"`` the command that wrote it,
  ``"files"`` the files written): replaceable by the same command when it holds nothing else;
* (folders written before the marker existed) a ``summary.json`` that is a JSON object with the
  keys ``"case"`` and ``"scenario"`` (a ``run`` result) or ``"fdn_alu_result"`` (that command),
  and nothing else besides ``*.csv`` files;
* an empty folder holds nothing to lose and is accepted by every command.

Temporary names are ``.NAME.partial-PID-TAG`` (a folder being written), ``.NAME.old-PID-TAG`` (the
result being replaced) and ``.NAME.tmp-PID-TAG`` (a file); one left by a process that no longer
runs (killed) is removed, or the old result restored, by the next write beside it
(:func:`clean_stale`).

Result folders get the permissions of a folder made with ``mkdir`` (0777 minus the umask).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from fdn_alu.errors import OutputRefusedError, Problem
from fdn_alu.results.temp import clean_stale, output_error, temp_name

MARKER = ".fdn_alu"
"""Name of the marker file written into every folder :func:`write_dir_atomic` creates."""

__all__ = [
    "MARKER",
    "check_out_dir",
    "clean_stale",
    "is_fdn_alu_result",
    "result_kind",
    "write_dir_atomic",
    "write_file_atomic",
]


def _abs(path: str | os.PathLike) -> Path:
    """Absolute, normalised path (``..`` and ``.`` removed) without resolving symbolic links."""
    return Path(os.path.abspath(os.fspath(path)))


def _read_json_object(path: Path) -> dict | None:
    try:
        obj = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return obj if isinstance(obj, dict) else None


def _listing(folder: Path) -> set[str]:
    """Every entry below ``folder`` as a relative POSIX path (folders included)."""
    out = set()
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        for name in dirs + files:
            out.add((rel / name).as_posix())
    return out


def _inspect(folder: Path) -> tuple[str | None, list[str] | None]:
    """``(command, entries fdn_alu did not write)`` of ``folder``.

    ``(None, None)`` for a folder that is no fdn_alu result; ``("", [])`` for an empty folder.
    """
    try:
        top = os.listdir(folder)
    except OSError:
        return None, None
    if not top:
        return "", []
    if MARKER not in top and "summary.json" not in top:
        return None, None  # decided without walking the tree (think of --out ~)
    try:
        entries = _listing(folder)
    except OSError:
        return None, None
    marker = _read_json_object(folder / MARKER)
    if marker is not None and "fdn_alu_result" in marker:
        written = {str(f) for f in marker.get("files", [])} | {MARKER}
        # folders that hold written files are fine too
        written |= {p.rsplit("/", i)[0] for p in written for i in range(1, p.count("/") + 1)}
        return str(marker["fdn_alu_result"]), sorted(entries - written)
    summary = _read_json_object(folder / "summary.json")
    if summary is not None:
        kind = summary.get("fdn_alu_result")
        if kind is None and {"case", "scenario"} <= summary.keys():
            kind = "run"
        if kind is not None:
            extra = sorted(e for e in entries if e != "summary.json" and not _is_top_csv(folder, e))
            return str(kind), extra
    return None, None


def _is_top_csv(folder: Path, entry: str) -> bool:
    return "/" not in entry and entry.endswith(".csv") and (folder / entry).is_file()


def result_kind(path: str | os.PathLike) -> str | None:
    """The command that wrote the fdn_alu result at ``path`` (``""`` for an empty folder),
    None when it is no fdn_alu result or holds anything else."""
    p = _abs(path)
    if not p.is_dir() or p.is_symlink():
        return None
    kind, extra = _inspect(p)
    return kind if extra == [] else None


def is_fdn_alu_result(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder fdn_alu wrote and that holds nothing else."""
    return result_kind(path) is not None


def _refuse(where: str, what: str) -> OutputRefusedError:
    return OutputRefusedError([Problem(where, what)])


def check_out_dir(path: str | os.PathLike, kind: str | None = None, where: str = "--out") -> Path:
    """Refuse, before any work, an output path that writing there could damage.

    Parameters
    ----------
    path : path-like
        The output folder.
    kind : str, optional
        The command about to write (``"run"``, ``"season"``, ``"sweep"``, ...): an existing
        folder must be an earlier result of this command (or empty). Omitted: any fdn_alu result.
    where : str
        How the path is named in messages (``"--out"`` on the command line, ``"out"`` in the API).

    Returns
    -------
    Path
        ``path`` unchanged (as a :class:`~pathlib.Path`) when it is safe.

    Raises
    ------
    OutputRefusedError
        ``path`` is a file, a symbolic link, lies under a file, is not writable, or is an existing
        folder holding anything fdn_alu did not write or another command's result (the message
        names the path and the first few foreign entries, or the other command). An
        :class:`~fdn_alu.errors.InputError` too: exit code 2 on the command line.
    """
    given = Path(path)
    p = _abs(path)
    where = f"{where} {os.fspath(path) or repr('')}"
    if not os.fspath(path):
        raise _refuse(where, "the output path is empty; name a folder")
    if os.path.lexists(p) and p.is_symlink():
        raise _refuse(where, f"{given} is a symbolic link; give its target or a new path")
    if p.exists() and not p.is_dir():
        raise _refuse(where, f"{given} is an existing file, not a folder; it is left untouched")
    if p.is_dir():
        found, extra = _inspect(p)
        if extra is None:
            raise _refuse(
                where,
                f"{given} is an existing folder that is not an fdn_alu result; choose a new "
                "folder (nothing was written)",
            )
        if extra:
            shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
            raise _refuse(
                where,
                f"{given} holds an earlier fdn_alu result plus files fdn_alu did not write "
                f"({shown}); move them or choose a new folder (nothing was written)",
            )
        if found and kind is not None and found != kind:
            raise _refuse(
                where,
                f"{given} holds an earlier '{found}' result; '{kind}' replaces only its own "
                "results: choose a new folder (nothing was written)",
            )
        if p.parent == p:
            raise _refuse(where, "cannot replace the file-system root")
    # The first existing ancestor must be a writable folder: we create the target (and any
    # missing parents) there, and the temporary folder beside the target.
    anchor = p.parent
    while not os.path.lexists(anchor) and anchor.parent != anchor:
        anchor = anchor.parent
    if not anchor.is_dir():
        raise _refuse(where, f"{anchor} is a file, so no folder can be created under it")
    if not _writable(anchor):
        raise _refuse(where, f"cannot write in {anchor} (no permission or read-only)")
    return given


def _writable(folder: Path) -> bool:
    """Whether a folder can be created in ``folder`` (tried: ``os.access`` is wrong for root)."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    probe = folder / f".fdn_alu-probe-{uuid.uuid4().hex[:8]}"
    try:
        os.mkdir(probe)
    except OSError:
        return False
    with contextlib.suppress(OSError):
        os.rmdir(probe)
    return True


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _normal_permissions(folder: Path) -> None:
    """Give every folder under ``folder`` (itself included) mode 0777 minus the umask."""
    mode = 0o777 & ~_umask()
    for root, _, _ in os.walk(folder):
        os.chmod(root, mode)


def write_file_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it (never half a file).

    Raises
    ------
    OutputError
        The operating system refused the write (the temporary file is removed).
    """
    path = Path(path)
    tmp = temp_name(path, "tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and (err := output_error(exc, path)) is not None:
            raise err from exc
        raise


def write_dir_atomic(
    path: str | os.PathLike,
    write_fn: Callable[[Path], object],
    kind: str = "result",
    marker: bool = True,
    where: str = "--out",
) -> Path:
    """Write a folder all or nothing, replacing only an earlier result of the same command.

    Parameters
    ----------
    path : path-like
        Target folder. Checked with :func:`check_out_dir` before and again just before it is
        replaced.
    write_fn : callable
        ``write_fn(tmp_dir)`` writes every file into ``tmp_dir`` (an empty folder beside
        ``path``); its return value is ignored.
    kind : str
        The command writing (``"run"``, ``"reproduce"``, ``"season"``, ...); stored in the marker
        file ``.fdn_alu`` with the list of files written; only a folder of the same ``kind`` is
        replaced.
    marker : bool
        Write the marker (default). Without it the folder is *not* a result a later command may
        replace (e.g. example configs the user is meant to edit); ``path`` must then not exist.
    where : str
        How the path is named in messages (``"--out"``, ``"out"``).

    Returns
    -------
    Path
        ``path`` as given.

    Raises
    ------
    OutputRefusedError
        The target is not ours to replace (see :func:`check_out_dir`); nothing was written.
    OutputError
        The operating system failed while writing (disk full, ...): the message names the path
        and the reason; the temporary folder is removed, the target left as it was.

    Notes
    -----
    The new folder is complete (marker included) before it is moved into place; an existing
    earlier result is moved aside, the new folder renamed into place, then the old one removed.
    On any exception, ``KeyboardInterrupt`` included, the temporary folder is removed and the
    previous content of ``path`` is left as it was.
    """
    check_out_dir(path, kind if marker else None, where)
    given = Path(path)
    target = _abs(given)
    clean_stale(target.parent, target.name)
    if not marker and os.path.lexists(target):
        raise _refuse(f"{where} {given}", f"{given} exists; choose a new folder (nothing written)")
    tmp = None
    old = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(target, "partial")
        os.mkdir(tmp)  # mode 0o777 minus the umask, unlike tempfile.mkdtemp's 0o700
        write_fn(tmp)
        _normal_permissions(tmp)
        if marker:
            files = sorted(
                (Path(r) / f).relative_to(tmp).as_posix() for r, _, fs in os.walk(tmp) for f in fs
            )
            (tmp / MARKER).write_text(
                json.dumps({"fdn_alu_result": kind, "files": files}, indent=1) + "\n"
            )
        if not marker and os.path.lexists(target):
            raise _refuse(f"{where} {given}", f"{given} appeared meanwhile")
        if os.path.lexists(target):
            check_out_dir(given, kind, where)  # still an earlier result (nothing added meanwhile)?
            old = temp_name(target, "old")
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                old.rename(target)
                old = None
                raise
        else:
            tmp.rename(target)
    except BaseException as exc:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and (err := output_error(exc, given)) is not None:
            raise err from exc
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
    return given
