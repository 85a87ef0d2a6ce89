"""Cement plant after the solve: schedule, silo checks, cement.csv, and the simulation of a
non-spinning event with its make-up (eq. 2 of seed 002)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fdn_alu.components.cement.data import CementData
from fdn_alu.components.cement.model import window_matrices
from fdn_alu.model.block import Block


def cement_solution(block: Block) -> dict[str, np.ndarray]:
    v = block.variables
    return {
        "raw_mill_mw": np.asarray(v["raw"].value, float),
        "cement_mill_mw": np.asarray(v["cem"].value, float),
        "raw_silo_h": np.asarray(v["raw_silo"].value, float),
        "clinker_silo_h": np.asarray(v["clinker_silo"].value, float),
    }


def silo_levels(c: CementData, raw_mw, cem_mw, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """Stocks (h of kiln flow) at the start of every period and the end, (T + 1,) each."""
    raw = c.raw_init_h + np.concatenate([[0.0], np.cumsum(dt * (raw_mw / c.p_raw_mean_mw - 1))])
    clk = c.clk_init_h + np.concatenate([[0.0], np.cumsum(dt * (1 - cem_mw / c.p_cem_mean_mw))])
    return raw, clk


def cement_checks(c: CementData, part: dict, core) -> dict:
    raw, clk = silo_levels(c, part["raw_mill_mw"], part["cement_mill_mw"], core.dt_h)
    viol = max(
        c.raw_min_h - raw.min(),
        raw.max() - c.raw_max_h,
        c.clk_min_h - clk.min(),
        clk.max() - c.clk_max_h,
        0.0,
    )
    return {
        "cement_silo_violation_h": float(viol),
        "cement_cycle_err_h": float(max(abs(raw[-1] - raw[0]), abs(clk[-1] - clk[0]))),
    }


def simulate_event(c: CementData, mill_mw, mill: str, start: int, shed_mw: float, dt: float):
    """A non-spinning event: the mill sheds ``shed_mw`` for the plant's reserve duration from
    period ``start``, then makes up E2 = E_ns with its spare capacity in the following periods
    (as early as possible, within the make-up window).

    Returns the mill's new schedule (T,), E_ns and E2 (MWh).
    """
    T = len(mill_mw)
    _, after = window_matrices(T, dt, c.duration_h, c.rebound_h)
    n_ev = int(np.ceil(c.duration_h / dt - 1e-9))
    p = np.array(mill_mw, float)
    ev = np.arange(start, min(start + n_ev, T))
    e_ns = shed_mw * c.duration_h
    p[ev] -= shed_mw * c.duration_h / (len(ev) * dt)
    p_max = c.p_raw_max_mw if mill == "raw" else c.p_cem_max_mw
    spare = (p_max - p) * dt * after[start]
    done_before = np.cumsum(spare) - spare
    extra = np.minimum(spare, np.maximum(e_ns - done_before, 0.0))
    p = p + extra / dt
    return p, e_ns, float(extra.sum())


def cement_table(c: CementData, part: dict, core) -> pd.DataFrame:
    raw, clk = silo_levels(c, part["raw_mill_mw"], part["cement_mill_mw"], core.dt_h)
    return pd.DataFrame(
        {
            "period": np.arange(core.periods),
            "time_h": core.time_h,
            "plant": c.name,
            "kiln_mw": c.p_kiln_mw,
            "raw_mill_mw": part["raw_mill_mw"],
            "cement_mill_mw": part["cement_mill_mw"],
            "raw_silo_h": raw[1:],
            "clinker_silo_h": clk[1:],
            "raw_silo_t_cement": raw[1:] * c.cement_t_per_h,
            "clinker_silo_t_cement": clk[1:] * c.cement_t_per_h,
        }
    )
