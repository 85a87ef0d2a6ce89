"""ESOP after the solve: solution arrays, exactness checks, esop.csv, carbon part and
sources.csv rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.base import CarbonPart
from fdn_alu.components.esop.data import EsopData
from fdn_alu.model.block import Block
from fdn_alu.model.storage import energy_trajectory, simultaneous_mw
from fdn_alu.results.tables import source_rows

# Below this (MW) a battery power counts as zero when naming the state (our choice).
STATE_TOL_MW = 1e-5


def esop_solution(e: EsopData, block: Block) -> dict[str, np.ndarray]:
    """ESOP arrays of a solved model (MW, Mvar, MWh)."""
    v = block.variables
    p, q, loss = (np.asarray(v[k].value, dtype=float) for k in ("p", "q", "loss"))
    ch = np.asarray(v["battery_charge"].value, dtype=float)
    dis = np.asarray(v["battery_discharge"].value, dtype=float)
    state = np.where(
        dis > STATE_TOL_MW, "discharging", np.where(ch > STATE_TOL_MW, "charging", "offline")
    )
    return {
        "p_i_mw": p[:, 0],
        "q_i_mvar": q[:, 0],
        "p_j_mw": p[:, 1],
        "q_j_mvar": q[:, 1],
        "loss_i_mw": loss[:, 0],
        "loss_j_mw": loss[:, 1],
        "charge_mw": ch,
        "discharge_mw": dis,
        "energy_mwh": energy_trajectory(e.battery, v["battery_energy"].value),
        "state": state,
    }


def esop_checks(e: EsopData, s: dict) -> dict:
    """Simultaneous charge/discharge and converter-loss tightness."""
    need = e.loss_coeff * np.hypot(
        np.column_stack([s["p_i_mw"], s["p_j_mw"]]), np.column_stack([s["q_i_mvar"], s["q_j_mvar"]])
    )
    loss = np.column_stack([s["loss_i_mw"], s["loss_j_mw"]])
    return {
        "esop_simultaneous_max_mw": simultaneous_mw(s["charge_mw"], s["discharge_mw"]),
        "esop_converter_loss_gap_max_mw": float(np.max(loss - need)) if loss.size else 0.0,
        "esop_end_energy_mwh": float(s["energy_mwh"][-1]),
    }


def esop_table(e: dict, core, cr, nodes: dict) -> pd.DataFrame:
    """esop.csv: one row per period (energy and stored carbon at the end of the period)."""
    k = nodes["k"]
    return pd.DataFrame(
        {
            "period": np.arange(core.periods),
            "time_h": core.time_h,
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


def esop_source_rows(d: EsopData, e: dict, core, cr, nodes: dict) -> list[pd.DataFrame]:
    """sources.csv rows of the ESOP: both terminals (at their buses, intensity of node k; a
    terminal that draws power has negative ``p_mw``) and the DC-side discharge (no bus)."""
    ids = core.net.bus_ids
    ci_k = cr.node_ci[:, nodes["k"]]
    return [
        source_rows(
            core,
            "esop_terminal",
            ["esop_i", "esop_j"],
            [int(ids[d.bus_i]), int(ids[d.bus_j])],
            np.column_stack([e["p_i_mw"], e["p_j_mw"]]),
            np.column_stack([e["q_i_mvar"], e["q_j_mvar"]]),
            np.column_stack([ci_k, ci_k]),
            direct=False,
        ),
        source_rows(
            core,
            "esop_discharge",
            ["esop_battery"],
            [None],
            e["discharge_mw"][:, None],
            np.zeros((core.periods, 1)),
            cr.storage_discharge_ci["esop"][:, None],
            direct=False,
        ),
    ]


def esop_carbon(d: EsopData, e: dict, first_node: int) -> CarbonPart:
    """The DC link is virtual node k: a link to each terminal bus (the terminal's injection into
    the AC network, negative when it draws), the battery as storage at k; converter losses are
    consumption at k."""
    k = first_node
    return CarbonPart(
        n_virtual=1,
        nodes={"k": k},
        links=[(k, d.bus_i, e["p_i_mw"]), (k, d.bus_j, e["p_j_mw"])],
        storages=[
            {
                "name": "esop",
                "node": k,
                "charge_mw": e["charge_mw"],
                "discharge_mw": e["discharge_mw"],
                "energy_mwh": e["energy_mwh"],
                "carbon0_t": d.carbon0_t,
                "eta_dis": d.eta_dis,
            }
        ],
    )
