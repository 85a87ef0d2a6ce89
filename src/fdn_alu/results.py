"""Tidy result tables in engineering units (the RESULTS.md contract) and all-or-nothing writing."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .carbon import CarbonResult
from .data import ModelData
from .solution import Solution

BUS_COLUMNS = [
    "period",
    "time_h",
    "bus",
    "vm_pu",
    "p_load_mw",
    "q_load_mvar",
    "p_net_mw",
    "q_net_mvar",
    "ci_kg_per_mwh",
]
BRANCH_COLUMNS = [
    "period",
    "time_h",
    "branch",
    "from_bus",
    "to_bus",
    "p_from_mw",
    "q_from_mvar",
    "i_sq_pu",
    "loss_mw",
    "ci_kg_per_mwh",
    "carbon_t_per_h",
]
SOURCE_COLUMNS = [
    "period",
    "time_h",
    "source",
    "kind",
    "bus",
    "p_mw",
    "q_mvar",
    "ci_kg_per_mwh",
    "emissions_t",
]


@dataclass
class RunResult:
    """Everything a run produces: tables, summary, and the arrays behind them.

    Attributes
    ----------
    summary : dict
        The summary.json content.
    buses, branches, sources : DataFrame
    eaip, esop : DataFrame or None
    data : ModelData
    solution : Solution
    carbon : CarbonResult
    """

    summary: dict
    buses: pd.DataFrame
    branches: pd.DataFrame
    sources: pd.DataFrame
    data: ModelData
    solution: Solution
    carbon: CarbonResult
    eaip: pd.DataFrame | None = None
    esop: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"buses": self.buses, "branches": self.branches, "sources": self.sources}
        if self.eaip is not None:
            out["eaip"] = self.eaip
        if self.esop is not None:
            out["esop"] = self.esop
        return out


def _long(T: int, n: int, time_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(np.arange(T), n), np.repeat(time_h, n)


def bus_table(data: ModelData, sol: Solution, cr: CarbonResult) -> pd.DataFrame:
    """buses.csv: one row per period and bus."""
    T, n = data.periods, data.net.n_bus
    period, time_h = _long(T, n, data.time_h)
    base = data.base_mva
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "bus": np.tile(data.net.bus_ids, T),
            "vm_pu": sol.vm_pu.ravel(),
            "p_load_mw": (data.p_load_pu * base).ravel(),
            "q_load_mvar": (data.q_load_pu * base).ravel(),
            "p_net_mw": sol.p_net_mw.ravel(),
            "q_net_mvar": sol.q_net_mvar.ravel(),
            "ci_kg_per_mwh": cr.node_ci[:, :n].ravel(),
        }
    )[BUS_COLUMNS]


def branch_table(data: ModelData, sol: Solution, cr: CarbonResult) -> pd.DataFrame:
    """branches.csv in the case's own from/to orientation (flipped branches measured at the
    case's from bus, i.e. the model's child end)."""
    net = data.net
    T, m = data.periods, net.n_branch
    period, time_h = _long(T, m, data.time_h)
    x = net.x_pu * data.base_mva
    q_loss = sol.l_pu * x[None, :]
    flip = net.flipped[None, :]
    p_from = np.where(flip, -(sol.p_branch_mw - sol.loss_mw), sol.p_branch_mw)
    q_from = np.where(flip, -(sol.q_branch_mvar - q_loss), sol.q_branch_mvar)
    case_from = np.where(net.flipped, net.bus_ids[net.to_bus], net.bus_ids[net.from_bus])
    case_to = np.where(net.flipped, net.bus_ids[net.from_bus], net.bus_ids[net.to_bus])
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "branch": np.tile(net.branch_ids, T),
            "from_bus": np.tile(case_from, T),
            "to_bus": np.tile(case_to, T),
            "p_from_mw": p_from.ravel(),
            "q_from_mvar": q_from.ravel(),
            "i_sq_pu": sol.l_pu.ravel(),
            "loss_mw": sol.loss_mw.ravel(),
            "ci_kg_per_mwh": cr.branch_ci.ravel(),
            "carbon_t_per_h": (cr.branch_ci * p_from / 1000.0).ravel(),
        }
    )[BRANCH_COLUMNS]


def source_rows(
    data: ModelData,
    kind: str,
    names: list[str],
    bus: list,
    p: np.ndarray,
    q: np.ndarray,
    ci: np.ndarray,
    direct: bool,
) -> pd.DataFrame:
    """Rows of sources.csv for k sources of one kind; arrays (T, k)."""
    T = data.periods
    k = len(names)
    if k == 0:
        return pd.DataFrame(columns=SOURCE_COLUMNS)
    period, time_h = _long(T, k, data.time_h)
    emis = (np.maximum(p, 0.0) * ci * data.dt_h / 1000.0) if direct else np.zeros_like(p)
    return pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "source": np.tile(names, T),
            "kind": kind,
            "bus": pd.array(np.tile(np.array(bus, dtype=object), T), dtype="Int64"),
            "p_mw": p.ravel(),
            "q_mvar": q.ravel(),
            "ci_kg_per_mwh": ci.ravel(),
            "emissions_t": emis.ravel(),
        }
    )[SOURCE_COLUMNS]


def write_results(result: RunResult, out: str | os.PathLike, overwrite: bool = True) -> Path:
    """Write summary.json and the CSV tables to ``out``, all or nothing.

    Files are written into a temporary folder beside ``out`` and moved into place only when
    every file is complete; a failure leaves no folder that looks complete (an existing ``out``
    is replaced only after the new one is fully written).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        for name, df in result.tables().items():
            df.to_csv(tmp / f"{name}.csv", index=False, float_format="%.10g")
        with (tmp / "summary.json").open("w") as fh:
            json.dump(_jsonable(result.summary), fh, indent=2)
        if out.exists():
            if not overwrite:
                raise FileExistsError(f"{out} exists")
            old = out.with_name(f".{out.name}.old")
            if old.exists():
                shutil.rmtree(old)
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def eaip_table(
    data: ModelData, sol: Solution, cr: CarbonResult, nodes
) -> tuple[pd.DataFrame, float]:
    """eaip.csv: a row per period and potline, plus a ``park`` row per period.

    Returns the table and the park's emissions over the horizon, eq. (5):
    C_Al,t = e_pcc,t P_pcc,t + e_MT P_MT,t + e_dis,t P_dis,t (t CO2).
    """
    park, pk = data.park, sol.park
    T, N = data.periods, len(park.names)
    period, time_h = _long(T, N, data.time_h)
    lines = pd.DataFrame(
        {
            "period": period,
            "time_h": time_h,
            "potline": np.tile(park.names, T),
            "current_ka": pk["current_ka"].ravel(),
            "p_mw": pk["potline_p_mw"].ravel(),
            "temperature_c": pk["temperature_c"].ravel(),
            "efficiency": pk["efficiency"].ravel(),
            "production_t": pk["production_t"].ravel(),
        }
    )
    e_pcc = cr.node_ci[:, park.bus]
    e_dis = cr.storage_discharge_ci.get("park_battery", np.zeros(T))
    emis = (
        (
            e_pcc * pk["pcc_mw"]
            + park.gt_ci_kg_per_mwh * pk["gas_turbine_mw"]
            + e_dis * pk["battery_discharge_mw"]
        )
        * data.dt_h
        / 1000.0
    )
    rows = pd.DataFrame(
        {
            "period": np.arange(T),
            "time_h": data.time_h,
            "potline": "park",
            "p_mw": pk["potline_p_mw"].sum(axis=1),
            "production_t": pk["production_t"].sum(axis=1),
            "pcc_mw": pk["pcc_mw"],
            "pv_mw": pk["pv_mw"],
            "gas_turbine_mw": pk["gas_turbine_mw"],
            "battery_charge_mw": pk["battery_charge_mw"],
            "battery_discharge_mw": pk["battery_discharge_mw"],
            "battery_energy_mwh": pk["battery_energy_mwh"][1:],
            "pcc_ci_kg_per_mwh": e_pcc,
            "emissions_t": emis,
        }
    )
    table = pd.concat([lines, rows], ignore_index=True)
    table = table.sort_values(["period"], kind="stable").reset_index(drop=True)
    return table, float(emis.sum())


def park_source_rows(data: ModelData, sol: Solution, cr: CarbonResult, nodes) -> pd.DataFrame:
    """sources.csv rows inside the park (no bus): gas turbine, park PV, battery discharge."""
    park, pk = data.park, sol.park
    T = data.periods
    parts = [
        source_rows(
            data,
            "park_pv",
            ["park_pv"],
            [None],
            pk["pv_mw"][:, None],
            np.zeros((T, 1)),
            np.zeros((T, 1)),
            direct=False,
        ),
    ]
    if park.gt:
        parts.append(
            source_rows(
                data,
                "gas_turbine",
                ["gas_turbine"],
                [None],
                pk["gas_turbine_mw"][:, None],
                np.zeros((T, 1)),
                np.full((T, 1), park.gt_ci_kg_per_mwh),
                direct=True,
            )
        )
    if park.battery is not None:
        parts.append(
            source_rows(
                data,
                "park_battery_discharge",
                ["park_battery"],
                [None],
                pk["battery_discharge_mw"][:, None],
                np.zeros((T, 1)),
                cr.storage_discharge_ci["park_battery"][:, None],
                direct=False,
            )
        )
    return pd.concat(parts, ignore_index=True)


def esop_table(data: ModelData, sol: Solution, cr: CarbonResult, nodes) -> pd.DataFrame:
    """esop.csv: one row per period (energy and stored carbon at the end of the period)."""
    e = sol.esop
    k = nodes.esop_k
    return pd.DataFrame(
        {
            "period": np.arange(data.periods),
            "time_h": data.time_h,
            "p_i_mw": e["p_i_mw"],
            "q_i_mvar": e["q_i_mvar"],
            "p_j_mw": e["p_j_mw"],
            "q_j_mvar": e["q_j_mvar"],
            "charge_mw": e["charge_mw"],
            "discharge_mw": e["discharge_mw"],
            "energy_mwh": e["energy_mwh"][1:],
            "stored_carbon_t": cr.storage_carbon_t["esop"][1:],
            "discharge_ci_kg_per_mwh": cr.storage_discharge_ci["esop"],
            "node_k_ci_kg_per_mwh": cr.node_ci[:, k],
            "state": e["state"],
            "loss_i_mw": e["loss_i_mw"],
            "loss_j_mw": e["loss_j_mw"],
        }
    )


def esop_source_rows(data: ModelData, sol: Solution, cr: CarbonResult, nodes) -> pd.DataFrame:
    """sources.csv rows of the ESOP: both terminals (at their buses, intensity of node k; a
    terminal that draws power has negative ``p_mw``) and the DC-side discharge (no bus)."""
    e, d = sol.esop, data.esop
    ids = data.net.bus_ids
    ci_k = cr.node_ci[:, nodes.esop_k]
    return pd.concat(
        [
            source_rows(
                data,
                "esop_terminal",
                ["esop_i", "esop_j"],
                [int(ids[d.bus_i]), int(ids[d.bus_j])],
                np.column_stack([e["p_i_mw"], e["p_j_mw"]]),
                np.column_stack([e["q_i_mvar"], e["q_j_mvar"]]),
                np.column_stack([ci_k, ci_k]),
                direct=False,
            ),
            source_rows(
                data,
                "esop_discharge",
                ["esop_battery"],
                [None],
                e["discharge_mw"][:, None],
                np.zeros((data.periods, 1)),
                cr.storage_discharge_ci["esop"][:, None],
                direct=False,
            ),
        ],
        ignore_index=True,
    )
