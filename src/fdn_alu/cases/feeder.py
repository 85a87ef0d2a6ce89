"""A MATPOWER feeder as pandapower-layout tables, built without importing pandapower.

Reading a case used to build a pandapower net (``from_ppc``): importing pandapower costs about
1 s and 65 MB and building its tables another 0.3 s, for tables the toolkit only reads
(:mod:`fdn_alu.core.network`, the case validation, the scaling copies). :class:`Feeder` holds the
same tables, in pandapower's layout and with the values ``from_ppc`` gives them (checked table
by table, and through :func:`fdn_alu.core.network.network_data`, against pandapower on 36 shipped
MATPOWER cases of up to ~150 buses in ``tests/test_feeder.py``); :meth:`Feeder.to_pandapower`
builds the pandapower net when one is needed (the pandapower AC check, a user's own analysis).

Only the element kinds ``from_ppc`` creates appear: buses, lines, loads, static generators,
the external grid, voltage-controlled generators, shunts, and (as row counts the model refuses)
transformers and impedance elements.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# MATPOWER column indices (0-based), MATPOWER's idx_bus / idx_brch / idx_gen.
_BUS_I, _BUS_TYPE, _PD, _QD, _GS, _BS, _BASE_KV, _ZONE, _VMAX, _VMIN = (
    0,
    1,
    2,
    3,
    4,
    5,
    9,
    10,
    11,
    12,
)
_F_BUS, _T_BUS, _BR_R, _BR_X, _BR_B, _RATE_A, _TAP, _SHIFT, _BR_STATUS = 0, 1, 2, 3, 4, 5, 8, 9, 10
_GEN_BUS, _PG, _QG, _VG, _GEN_STATUS = 0, 1, 2, 5, 7
_VA = 8
# pandapower's stand-in for "no rating" when RATE_A is 0 (from_ppc's MAX_VAL), kA.
NO_RATING_KA = 99999.0
TABLES = ("bus", "line", "load", "sgen", "ext_grid", "gen", "shunt", "trafo", "impedance")


def _frame(index=None, **columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=index)


@dataclass
class Feeder:
    """A feeder in pandapower's table layout (``net.bus``, ``net.line``, ``net["load"]``,
    ``"sgen" in net``), read without pandapower.

    Attributes
    ----------
    name : str
    sn_mva : float
        ``mpc.baseMVA``.
    f_hz : float
    bus, line, load, sgen, ext_grid, gen, shunt, trafo, impedance : DataFrame
        pandapower's columns where the toolkit reads them; ``line.branch_no`` is the MATPOWER
        branch number (row, from 1).
    ppc : dict or None
        The MATPOWER data the tables came from (MW, per unit). :meth:`to_pandapower` uses it
        while the tables are unedited, and builds from the tables otherwise.
    """

    name: str
    sn_mva: float
    f_hz: float
    bus: pd.DataFrame
    line: pd.DataFrame
    load: pd.DataFrame
    sgen: pd.DataFrame
    ext_grid: pd.DataFrame
    gen: pd.DataFrame
    shunt: pd.DataFrame
    trafo: pd.DataFrame = field(default_factory=lambda: _frame(in_service=[]))
    impedance: pd.DataFrame = field(default_factory=lambda: _frame(in_service=[]))
    ppc: dict | None = None

    def __contains__(self, table: str) -> bool:
        return table in TABLES

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in TABLES:
            raise KeyError(table)
        return getattr(self, table)

    def to_pandapower(self):
        """The pandapower net of this feeder (a new object on every call).

        From the MATPOWER data with pandapower's own converter when the tables are as read,
        else from the tables (buses, lines, loads, static generators, external grid,
        voltage-controlled generators, shunts; out-of-service transformers and impedance elements
        are left out, in-service ones cannot be converted this way; generator limits, zones and
        names are not carried over).
        """
        import pandapower as pp

        if self._as_read():
            from pandapower.converter.pypower import from_ppc

            ppc = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.ppc.items()}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                net = from_ppc(ppc, f_hz=self.f_hz, validate_conversion=False)
            net.line["branch_no"] = self.line.branch_no.to_numpy()
            net.name = self.name
            return net
        if self.trafo.in_service.any() or self.impedance.in_service.any():
            raise ValueError(
                "an edited feeder with in-service transformers or impedance elements has no "
                "pandapower conversion (out-of-service ones are left out)"
            )
        net = pp.create_empty_network(name=self.name, f_hz=self.f_hz, sn_mva=self.sn_mva)
        b = self.bus
        pp.create_buses(
            net,
            len(b),
            vn_kv=b.vn_kv.to_numpy(),
            index=b.index.to_numpy(),
            in_service=b.in_service.to_numpy(),
            max_vm_pu=b.max_vm_pu.to_numpy(),
            min_vm_pu=b.min_vm_pu.to_numpy(),
        )
        ln = self.line
        if len(ln):
            pp.create_lines_from_parameters(
                net,
                ln.from_bus.to_numpy(),
                ln.to_bus.to_numpy(),
                length_km=ln.length_km.to_numpy(),
                r_ohm_per_km=ln.r_ohm_per_km.to_numpy(),
                x_ohm_per_km=ln.x_ohm_per_km.to_numpy(),
                c_nf_per_km=ln.c_nf_per_km.to_numpy(),
                g_us_per_km=ln.g_us_per_km.to_numpy(),
                max_i_ka=ln.max_i_ka.to_numpy(),
                parallel=ln.parallel.to_numpy(),
                in_service=ln.in_service.to_numpy(),
                index=ln.index.to_numpy(),
            )
            net.line["branch_no"] = ln.branch_no.to_numpy()
        for table, create in (("load", pp.create_loads), ("sgen", pp.create_sgens)):
            df = self[table]
            if len(df):
                create(
                    net,
                    df.bus.to_numpy(),
                    p_mw=df.p_mw.to_numpy(),
                    q_mvar=df.q_mvar.to_numpy(),
                    scaling=df.scaling.to_numpy(),
                    in_service=df.in_service.to_numpy(),
                    index=df.index.to_numpy(),
                )
        singles = (
            ("ext_grid", pp.create_ext_grid, ("vm_pu", "va_degree")),
            ("gen", pp.create_gen, ("p_mw", "vm_pu")),
            ("shunt", pp.create_shunt, ("q_mvar", "p_mw")),
        )
        for table, create, columns in singles:
            for k, row in self[table].iterrows():
                values = {c: float(row[c]) for c in columns}
                create(net, int(row.bus), **values, in_service=bool(row.in_service), index=k)
        return net

    def _as_read(self) -> bool:
        """Whether every table still holds what the MATPOWER data gives (no edits since)."""
        if self.ppc is None:
            return False
        fresh = feeder_from_ppc(self.ppc, self.name, self.f_hz)
        return self.sn_mva == fresh.sn_mva and all(
            self[t].shape == fresh[t].shape and self[t].equals(fresh[t]) for t in TABLES
        )


def feeder_from_ppc(ppc: dict, name: str, f_hz: float = 50.0) -> Feeder:
    """The tables pandapower's ``from_ppc`` makes of a PYPOWER-style case, without pandapower.

    Parameters
    ----------
    ppc : dict
        ``baseMVA``, ``bus``, ``branch``, ``gen`` in MW / Mvar / per unit
        (:func:`~fdn_alu.cases.matpower_io.read_matpower_ppc`).
    name : str
    f_hz : float

    Returns
    -------
    Feeder
        Same elements, order, indices and values as ``from_ppc`` (pandapower 3.x): buses indexed
        by MATPOWER bus number; a load where PD > 0 (or PD = 0 and QD != 0), a static
        generator where PD < 0; shunts from GS/BS; per bus the first generator of a reference
        bus is the external grid, of a PV bus a voltage-controlled generator, every other one a
        static generator; branches between equal base voltages without tap or shift are lines
        (ohm on the to-bus base voltage, 1 km), the others transformers or impedances.
    """
    bus, branch, gen = ppc["bus"], ppc["branch"], np.atleast_2d(ppc["gen"])
    base_mva = float(ppc["baseMVA"])
    ids = bus[:, _BUS_I].astype(np.int64)
    pos = pd.Series(np.arange(len(ids)), index=ids)
    bus_table = _frame(
        index=ids,
        vn_kv=bus[:, _BASE_KV],
        in_service=bus[:, _BUS_TYPE] != 4,
        max_vm_pu=bus[:, _VMAX],
        min_vm_pu=bus[:, _VMIN],
        zone=bus[:, _ZONE],
    )
    pd_mw, qd_mvar = bus[:, _PD], bus[:, _QD]
    is_load = (pd_mw > 0) | ((pd_mw == 0) & (qd_mvar != 0))
    is_neg = pd_mw < 0
    is_shunt = (bus[:, _GS] != 0) | (bus[:, _BS] != 0)
    # Generators: the first at a reference bus -> ext_grid, at a PV bus -> gen, others sgen.
    g_pos = pos.loc[gen[:, _GEN_BUS].astype(np.int64)].to_numpy() if len(gen) else np.zeros(0, int)
    g_type = bus[g_pos, _BUS_TYPE].astype(int)
    first = ~pd.Series(g_pos).duplicated().to_numpy()
    is_eg, is_gen = first & (g_type == 3), first & (g_type == 2)
    is_sg = ~(is_eg | is_gen) & np.isin(g_type, (1, 2, 3))
    vg_first = pd.Series(gen[:, _VG] if len(gen) else [], index=g_pos).groupby(level=0).first()
    on = gen[:, _GEN_STATUS] > 0 if len(gen) else np.zeros(0, bool)
    sgen = _frame(
        bus=np.concatenate([ids[is_neg], ids[g_pos[is_sg]]]),
        p_mw=np.concatenate([-pd_mw[is_neg], gen[is_sg, _PG]]),
        q_mvar=np.concatenate([-qd_mvar[is_neg], gen[is_sg, _QG]]),
        scaling=1.0,
        in_service=np.concatenate([np.ones(is_neg.sum(), bool), on[is_sg]]),
    )
    f = pos.loc[branch[:, _F_BUS].astype(np.int64)].to_numpy()
    t = pos.loc[branch[:, _T_BUS].astype(np.int64)].to_numpy()
    f_kv, t_kv = bus[f, _BASE_KV], bus[t, _BASE_KV]
    tap, shift = branch[:, _TAP], branch[:, _SHIFT]
    is_line = (f_kv == t_kv) & ((tap == 0) | (tap == 1)) & (shift == 0)
    is_trafo = ((tap != 0) & (tap != 1)) | (shift != 0)
    z_ohm = t_kv**2 / base_mva
    rate_ka = branch[:, _RATE_A] / t_kv / np.sqrt(3)
    rate_ka = np.where(np.isclose(rate_ka, 0), NO_RATING_KA, rate_ka)
    ln = is_line
    line = _frame(
        from_bus=ids[f[ln]],
        to_bus=ids[t[ln]],
        length_km=1.0,
        r_ohm_per_km=branch[ln, _BR_R] * z_ohm[ln],
        x_ohm_per_km=branch[ln, _BR_X] * z_ohm[ln],
        # from_ppc's own expression (its "omega" is pi f, and the 1/2 splits the charging).
        c_nf_per_km=branch[ln, _BR_B] / z_ohm[ln] / (np.pi * f_hz) * 1e9 / 2,
        g_us_per_km=0.0,
        max_i_ka=rate_ka[ln],
        parallel=1,
        in_service=branch[ln, _BR_STATUS].astype(bool),
        branch_no=np.flatnonzero(ln) + 1,
    )
    return Feeder(
        name=name,
        sn_mva=base_mva,
        f_hz=f_hz,
        bus=bus_table,
        line=line,
        load=_frame(
            bus=ids[is_load],
            p_mw=pd_mw[is_load],
            q_mvar=qd_mvar[is_load],
            scaling=1.0,
            in_service=True,
        ),
        sgen=sgen,
        ext_grid=_frame(
            bus=ids[g_pos[is_eg]],
            vm_pu=vg_first.loc[g_pos[is_eg]].to_numpy(),
            va_degree=bus[g_pos[is_eg], _VA],
            in_service=on[is_eg],
        ),
        gen=_frame(
            bus=ids[g_pos[is_gen]],
            p_mw=gen[is_gen, _PG],
            vm_pu=vg_first.loc[g_pos[is_gen]].to_numpy(),
            in_service=on[is_gen],
        ),
        shunt=_frame(
            bus=ids[is_shunt],
            p_mw=bus[is_shunt, _GS],
            q_mvar=-bus[is_shunt, _BS],
            in_service=True,
        ),
        trafo=_frame(in_service=branch[is_trafo, _BR_STATUS].astype(bool)),
        impedance=_frame(in_service=np.ones(int((~is_line & ~is_trafo).sum()), bool)),
        ppc=ppc,
    )
