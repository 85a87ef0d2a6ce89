"""Safe output folders: never delete or hide anything fdn_alu did not write.

Every command that writes a folder uses the two functions of this module:

* :func:`check_out_dir` -- called *before* any work (before solving), refuses with an
  :class:`~fdn_alu.errors.InputError` a path that is a file, lies under a file, cannot be written,
  is a symbolic link, or is an existing folder holding anything other than an earlier fdn_alu
  result.
* :func:`write_dir_atomic` -- fills a temporary folder beside the target through a callback, writes
  the marker file ``.fdn_alu`` (which lists every file written), and only then moves it into place.
  An earlier fdn_alu result at the target is replaced only after the new folder is complete; an
  error or Ctrl-C leaves no partial folder behind.

How an earlier result is recognised
-----------------------------------
* a marker file ``.fdn_alu`` (JSON object with key ``"fdn_alu_result"`` and the list ``"files"``
  of the files written): the folder is replaceable when it holds nothing but those files;
* (folders written before the marker existed) a ``summary.json`` that parses as a JSON object with
  the keys ``"case"`` and ``"scenario"`` (a ``run`` result) or ``"fdn_alu_result"``, and nothing
  else besides ``*.csv`` files;
* an empty folder holds nothing to lose and is accepted too.

A file a user added to an earlier result folder therefore makes it non-replaceable: it is refused,
naming the extra file, rather than deleted.

Result folders get the permissions of a folder made with ``mkdir`` (0777 minus the umask), not the
0700 of :func:`tempfile.mkdtemp`.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

from fdn_alu.errors import InputError, Problem

MARKER = ".fdn_alu"
"""Name of the marker file written into every folder :func:`write_dir_atomic` creates."""

__all__ = [
    "MARKER",
    "check_memory",
    "check_out_dir",
    "estimate_memory_mb",
    "is_fdn_alu_result",
    "physical_memory_gb",
    "write_dir_atomic",
]

# Peak memory of one run, fitted to measured peak resident set sizes (``/usr/bin/time -f %M``,
# scenario 3, Clarabel): ieee15 x 96 / 384 / 960 periods 266 / 331 / 466 MB, ieee85 x 96 / 384
# 340 / 584 MB (our measurements), 841 buses x 96 ~ 1.1 GB and 3361 buses x 96 ~ 3.6 GB
# (synthetic replicated feeders, benchmark notes). Rule: MB = BASE + PER_BUS_PERIOD x (buses +
# DEVICE_BUSES) x periods; within 8 % of every point above (our choice of a linear fit: the model
# and solver workspace grow linearly in bus-periods; the constant is Python, cvxpy, pandapower).
MEMORY_BASE_MB = 250.0
MEMORY_MB_PER_BUS_PERIOD = 0.0105
MEMORY_DEVICE_BUSES = 8  # device variables per period (smelter, soft open point, PV) as 8 buses
MEMORY_DEFAULT_FRACTION = 0.75  # of physical memory: our choice, leaves room for the OS and others


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


def _unexpected_entries(folder: Path) -> list[str] | None:
    """Entries of ``folder`` that fdn_alu did not write; None when it is no fdn_alu result.

    Returns an empty list for a replaceable folder (an earlier result, or an empty folder).
    """
    try:
        top = os.listdir(folder)
    except OSError:
        return None
    if not top:
        return []
    if MARKER not in top and "summary.json" not in top:
        return None  # decided without walking the tree (think of --out ~)
    try:
        entries = _listing(folder)
    except OSError:
        return None
    marker = _read_json_object(folder / MARKER)
    if marker is not None and "fdn_alu_result" in marker:
        written = {str(f) for f in marker.get("files", [])} | {MARKER}
        # folders that hold written files are fine too
        written |= {p.rsplit("/", i)[0] for p in written for i in range(1, p.count("/") + 1)}
        return sorted(entries - written)
    summary = _read_json_object(folder / "summary.json")
    if summary is not None and (
        {"case", "scenario"} <= summary.keys() or "fdn_alu_result" in summary
    ):
        return sorted(e for e in entries if e != "summary.json" and not _is_top_csv(folder, e))
    return None


def _is_top_csv(folder: Path, entry: str) -> bool:
    return "/" not in entry and entry.endswith(".csv") and (folder / entry).is_file()


def is_fdn_alu_result(path: str | os.PathLike) -> bool:
    """True when ``path`` is a folder fdn_alu wrote and that holds nothing else."""
    p = _abs(path)
    return p.is_dir() and not p.is_symlink() and _unexpected_entries(p) == []


def check_out_dir(path: str | os.PathLike) -> Path:
    """Refuse, before any work, an output path that writing there could damage.

    Parameters
    ----------
    path : path-like
        The output folder a command is asked to write.

    Returns
    -------
    Path
        ``path`` unchanged (as a :class:`~pathlib.Path`) when it is safe: absent with a writable
        existing ancestor folder, or an earlier fdn_alu result (or empty folder) in a writable
        parent.

    Raises
    ------
    InputError
        ``path`` is a file, a symbolic link, lies under a file, is not writable, or is an existing
        folder that holds anything fdn_alu did not write (the message names the path and the
        first few foreign entries).
    """
    given = Path(path)
    p = _abs(path)
    where = f"--out {given}"
    if os.path.lexists(p) and p.is_symlink():
        raise InputError(
            [Problem(where, f"{given} is a symbolic link; give its target or a new path")],
            "refusing to write the results",
        )
    if p.exists() and not p.is_dir():
        raise InputError(
            [Problem(where, f"{given} is an existing file, not a folder; it is left untouched")],
            "refusing to write the results",
        )
    if p.is_dir():
        extra = _unexpected_entries(p)
        if extra is None:
            raise InputError(
                [
                    Problem(
                        where,
                        f"{given} is an existing folder that is not an fdn_alu result; "
                        "choose a new folder (nothing was written)",
                    )
                ],
                "refusing to write the results",
            )
        if extra:
            shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
            raise InputError(
                [
                    Problem(
                        where,
                        f"{given} holds an earlier fdn_alu result plus files fdn_alu did not write "
                        f"({shown}); move them or choose a new folder (nothing was written)",
                    )
                ],
                "refusing to write the results",
            )
        if p.parent == p:
            raise InputError([Problem(where, "cannot replace the file-system root")])
        anchor = p.parent
    else:
        anchor = p.parent
    # The first existing ancestor must be a writable folder: we create the target (and any
    # missing parents) there, and the temporary folder beside the target.
    while not os.path.lexists(anchor) and anchor.parent != anchor:
        anchor = anchor.parent
    if not anchor.is_dir():
        raise InputError(
            [Problem(where, f"{anchor} is a file, so no folder can be created under it")],
            "refusing to write the results",
        )
    if not _writable(anchor):
        raise InputError(
            [Problem(where, f"cannot write in {anchor} (no permission or read-only)")],
            "refusing to write the results",
        )
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
    """Give every folder under ``folder`` (itself included) mode 0777 minus the umask.

    Writers that use :func:`tempfile.mkdtemp` leave 0700 folders; results are meant to be shared
    like any folder the user makes.
    """
    mode = 0o777 & ~_umask()
    for root, _, _ in os.walk(folder):
        os.chmod(root, mode)


def write_dir_atomic(
    path: str | os.PathLike,
    write_fn: Callable[[Path], object],
    kind: str = "result",
    marker: bool = True,
) -> Path:
    """Write a folder all or nothing, replacing only an earlier fdn_alu result.

    Parameters
    ----------
    path : path-like
        Target folder. Checked again with :func:`check_out_dir` just before it is replaced.
    write_fn : callable
        ``write_fn(tmp_dir)`` writes every file into ``tmp_dir`` (an empty folder beside
        ``path``); its return value is ignored.
    kind : str
        What the folder holds (``"run"``, ``"reproduce"``, ``"season"``, ...); stored in the marker
        file ``.fdn_alu`` together with the list of files written.
    marker : bool
        Write the marker (default). Without it the folder is *not* an fdn_alu result a later
        command may replace (e.g. example configs the user is meant to edit); ``path`` must then
        not exist.

    Returns
    -------
    Path
        ``path`` as given.

    Notes
    -----
    The new folder is complete (marker included) before it is moved into place; an existing
    earlier result is moved aside, the new folder renamed into place, then the old one removed.
    On any exception, ``KeyboardInterrupt`` included, the temporary folder is removed and the
    previous content of ``path`` is left as it was.
    """
    given = Path(path)
    check_out_dir(given)
    target = _abs(given)
    if not marker and os.path.lexists(target):
        raise InputError(
            [
                Problem(
                    f"--out {given}", f"{given} exists; choose a new folder (nothing was written)"
                )
            ],
            "refusing to write",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = target.with_name(f".{target.name}.partial-{tag}")
    os.mkdir(tmp)  # mode 0o777 minus the umask, unlike tempfile.mkdtemp's 0o700
    old = None
    try:
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
            raise InputError([Problem(f"--out {given}", f"{given} appeared meanwhile")])
        if os.path.lexists(target):
            check_out_dir(given)  # still an earlier result (nothing added meanwhile)?
            old = target.with_name(f".{target.name}.old-{tag}")
            target.rename(old)
            try:
                tmp.rename(target)
            except BaseException:
                old.rename(target)
                old = None
                raise
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
    return given


def estimate_memory_mb(n_bus: int, periods: int) -> float:
    """Estimated peak memory (MB) of one run on ``n_bus`` buses over ``periods`` periods.

    ``MEMORY_BASE_MB + MEMORY_MB_PER_BUS_PERIOD * (n_bus + MEMORY_DEVICE_BUSES) * periods``,
    fitted to measured peak RSS (see the module constants).
    """
    return MEMORY_BASE_MB + MEMORY_MB_PER_BUS_PERIOD * (n_bus + MEMORY_DEVICE_BUSES) * periods


def physical_memory_gb() -> float | None:
    """Physical memory of this machine in GB (None where the OS does not tell)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(
    n_bus: int, periods: int, max_memory_gb: float | None = None, what: str = ""
) -> float:
    """Refuse, before building anything, a run whose estimated memory exceeds the limit.

    Parameters
    ----------
    n_bus, periods : int
        Size of the run.
    max_memory_gb : float, optional
        The limit; ``MEMORY_DEFAULT_FRACTION`` of physical memory when omitted (no limit when the
        OS does not report it).
    what : str
        Prefix of the message (e.g. the case name).

    Returns
    -------
    float
        The estimate in GB.

    Raises
    ------
    InputError
        The estimate exceeds the limit; the message gives both and the ``--max-memory-gb``
        override.
    """
    est_gb = estimate_memory_mb(n_bus, periods) / 1024
    phys = physical_memory_gb()
    if max_memory_gb is None:
        if phys is None:
            return est_gb
        limit, origin = MEMORY_DEFAULT_FRACTION * phys, f"75 % of this machine's {phys:.1f} GB"
    else:
        limit, origin = float(max_memory_gb), "--max-memory-gb"
    if est_gb > limit:
        raise InputError(
            [
                Problem(
                    f"{what}size",
                    f"{n_bus} buses x {periods} periods needs about {est_gb:,.1f} GB of memory "
                    f"(estimate {MEMORY_BASE_MB:g} MB + {MEMORY_MB_PER_BUS_PERIOD:g} MB x "
                    f"(buses + {MEMORY_DEVICE_BUSES}) x periods), above the limit of "
                    f"{limit:,.1f} GB ({origin}); use fewer periods or a smaller case, "
                    "or raise the limit with --max-memory-gb GB",
                )
            ],
            "run too large",
        )
    return est_gb
