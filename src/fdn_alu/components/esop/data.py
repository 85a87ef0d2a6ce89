"""ESOP -> numeric data."""

from __future__ import annotations

from dataclasses import dataclass, replace

from fdn_alu.model.storage import BatteryData


@dataclass(frozen=True)
class EsopData:
    """ESOP parameters. Positions into the bus arrays; powers in MW.

    Attributes
    ----------
    bus_i, bus_j : int
    s_i_mva, s_j_mva : float
    loss_coeff : float
        A in L = A ||(P, Q)|| (PARAMETERS.md: 0.01-0.02).
    battery : BatteryData
    om_cost_per_day : float
        (18) as a function of installed capacities: SOP O&M (rate x investment x kVA / year)
        plus battery O&M per kWh of capacity and day.
    """

    bus_i: int
    bus_j: int
    s_i_mva: float
    s_j_mva: float
    loss_coeff: float
    battery: BatteryData
    om_cost_per_day: float

    @property
    def carbon0_t(self) -> float:
        return self.battery.carbon0_t

    @property
    def eta_dis(self) -> float:
        return self.battery.eta_dis


def esop_data(s: dict, core) -> EsopData:
    """:class:`EsopData` from validated ``[esop]`` settings.

    When the scenario keeps the flexible devices' storage out of service
    (``core.flexible_storage`` False, scenario 3a) the battery has no capacity and no O&M: the
    converters alone form a soft open point.
    """
    bat = BatteryData.from_settings(s["battery"])
    if not getattr(core, "flexible_storage", True):
        bat = replace(
            bat,
            p_max_mw=0.0,
            e_min_mwh=0.0,
            e_max_mwh=0.0,
            e_init_mwh=0.0,
            carbon0_t=0.0,
            end_rule="free",
        )
    kva = (s["s_i_mva"] + s["s_j_mva"]) * 1000.0
    sop = s["sop_om_rate_per_year"] * s["sop_invest_per_kva"] * kva / s["days_per_year"]
    battery = s["battery_om_per_kwh_day"] * bat.e_max_mwh * 1000.0
    horizon_days = core.periods * core.dt_h / 24.0
    return EsopData(
        bus_i=core.net.bus_pos(s["bus_i"]),
        bus_j=core.net.bus_pos(s["bus_j"]),
        s_i_mva=s["s_i_mva"],
        s_j_mva=s["s_j_mva"],
        loss_coeff=s["loss_coeff"],
        battery=bat,
        om_cost_per_day=(sop + battery) * horizon_days,
    )
