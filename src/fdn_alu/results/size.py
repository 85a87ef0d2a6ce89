"""How big a job is, before it starts: the memory of one run, the points of a sweep.

Both are refused with an :class:`~fdn_alu.errors.InputError` that gives the estimate, the limit
and how to raise it, before anything is built or written.
"""

from __future__ import annotations

import os

from fdn_alu.errors import InputError, Problem

__all__ = [
    "MEMORY_BASE_MB",
    "MEMORY_DEFAULT_FRACTION",
    "MEMORY_DEVICE_BUSES",
    "MEMORY_MB_PER_BUS_PERIOD",
    "check_memory",
    "estimate_memory_mb",
    "physical_memory_gb",
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
