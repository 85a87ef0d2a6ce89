"""SimBench grids with their own per-element profiles (``network = "simbench:CODE"``).

SimBench (Meinecke et al., Energies 13 (2020) 3290; https://simbench.de) ships each benchmark
grid with a year (2016) of 15-minute profiles per load and static generator. The series are
SimBench's own absolute values (``simbench.get_absolute_values``: each element's profile times
its ``p_mw`` / ``q_mvar``), keyed as in pandapower's time series, ``("load", "p_mw")``,
``("load", "q_mvar")``, ``("sgen", "p_mw")``, and indexed by SimBench's time stamps. The
``simbench`` package is an optional extra (``pip install "fdn_alu[simbench]"``), imported only
here and only when such a case is loaded.
"""

from __future__ import annotations

import copy

import pandas as pd

from fdn_alu.cases.element_profiles import ElementProfiles, element_profiles
from fdn_alu.errors import Problem, raise_if_problems

PREFIX = "simbench:"
# The series used: SimBench's static generators have no reactive profile (their q_mvar stays
# the net's value, 0 in every SimBench grid); its ("gen", "p_mw") and ("storage", "p_mw") are
# for tables the network layer uses or refuses on their own.
KEYS = (("load", "p_mw"), ("load", "q_mvar"), ("sgen", "p_mw"))
# SimBench's time stamps ("01.01.2016 00:15"), day first, on the German civil clock: its rows
# are uniform 15-min steps, the labels skip 02:00-02:45 on 27 March and repeat them on 30
# October (daylight saving), so they are read as Europe/Berlin local time.
TIME_FORMAT = "%d.%m.%Y %H:%M"
TIME_ZONE = "Europe/Berlin"

# Grids read in this process, by code: reading one takes ~4 s (1-MV-rural--0-sw), a test or a
# sweep that builds several cases on it reads it once; each case gets its own deep copy.
_GRIDS: dict[str, tuple[object, ElementProfiles]] = {}
_GRIDS_MAX = 4


def is_simbench(ref: str) -> bool:
    """True for a ``simbench:CODE`` network reference."""
    return isinstance(ref, str) and ref.startswith(PREFIX)


def load_simbench(ref: str) -> tuple[object, ElementProfiles]:
    """The pandapower net of a SimBench code and its per-element profiles (fresh copies).

    Parameters
    ----------
    ref : str
        ``simbench:CODE``, e.g. ``simbench:1-MV-rural--0-sw``.

    Returns
    -------
    net : pandapowerNet
        As ``simbench.get_simbench_net`` returns it (unchanged).
    profiles : ElementProfiles
        ``KEYS`` series in MW / Mvar, 15-min rows from 2016-01-01 00:00.

    Raises
    ------
    InputError
        simbench not installed, or an unknown code.
    """
    code = ref[len(PREFIX) :] if is_simbench(ref) else ref
    if code not in _GRIDS:
        if len(_GRIDS) >= _GRIDS_MAX:
            _GRIDS.pop(next(iter(_GRIDS)))
        _GRIDS[code] = _read(code)
    net, prof = _GRIDS[code]
    return copy.deepcopy(net), prof


def simbench_series(net) -> dict[tuple[str, str], pd.DataFrame]:
    """SimBench's absolute per-element series of ``net`` (``KEYS``), indexed by SimBench's time
    stamps as Europe/Berlin local time (uniform in absolute time; a start date is read on the
    same clock, so ``2016-06-21`` is the row SimBench labels ``21.06.2016 00:00``)."""
    import simbench as sb

    absolute = sb.get_absolute_values(net, profiles_instead_of_study_cases=True)
    time = pd.DatetimeIndex(pd.to_datetime(net.profiles["load"]["time"], format=TIME_FORMAT))
    time = time.tz_localize(TIME_ZONE, ambiguous="infer")
    out = {}
    for key in KEYS:
        df = absolute[key].copy()
        df.index = time.rename("time")
        out[key] = df
    return out


def _read(code: str) -> tuple[object, ElementProfiles]:
    try:
        import simbench as sb
    except ImportError:
        raise_if_problems(
            [
                Problem(
                    "network",
                    f'simbench:{code} needs the simbench package: pip install "fdn_alu[simbench]"',
                )
            ]
        )
    codes = _codes(sb)
    if codes and code not in codes:
        raise_if_problems(
            [
                Problem(
                    "network",
                    f"unknown SimBench code {code!r} (e.g. 1-MV-rural--0-sw, 1-LV-rural1--0-sw; "
                    "simbench.collect_all_simbench_codes() lists all)",
                )
            ]
        )
    try:
        net = sb.get_simbench_net(code)
    except Exception as exc:  # simbench raises plain exceptions for codes it cannot build
        raise_if_problems([Problem("network", f"SimBench cannot build {code!r}: {exc}")])
    prof = element_profiles(simbench_series(net), source=f"{PREFIX}{code}")
    return net, prof


def _codes(sb) -> set[str]:
    try:
        return set(sb.collect_all_simbench_codes())
    except Exception:  # the list is a convenience for the message; the build decides
        return set()
