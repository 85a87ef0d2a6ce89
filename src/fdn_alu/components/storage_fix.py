"""Relax-and-fix of a battery's charge/discharge exclusivity, for components that hold one."""

from __future__ import annotations

import numpy as np

from fdn_alu.components.sequence import IntegerFix
from fdn_alu.model.storage import mode_pattern, simultaneous_mw

# Simultaneous charge and discharge above this (MW) counts as a broken exclusivity (our
# choice: a hundredth of the check's 1e-4 MW tolerance, far above solver noise ~1e-10).
SIMULTANEOUS_FIX_MW = 1e-6


def battery_fix(label: str, variables: dict, params: dict) -> IntegerFix | None:
    """:class:`IntegerFix` of one battery (variables ``charge``, ``discharge``; Parameters
    ``mode_lo``, ``mode_hi`` of :func:`fdn_alu.model.storage.storage_variables`)."""
    if "mode_lo" not in params:
        return None
    ch, dis = variables["charge"], variables["discharge"]

    def violated() -> bool:
        return simultaneous_mw(np.asarray(ch.value), np.asarray(dis.value)) > SIMULTANEOUS_FIX_MW

    def fix() -> None:
        mode = mode_pattern(ch.value, dis.value)
        params["mode_lo"].value = params["mode_hi"].value = mode

    return IntegerFix(f"{label} charge/discharge exclusivity", violated, fix)


def block_battery_fix(
    label: str, block, var_prefix: str, param_prefix: str | None = None
) -> IntegerFix | None:
    """:func:`battery_fix` of a battery whose variables (and Parameters) sit in ``block`` under
    a key prefix (``param_prefix`` defaults to ``var_prefix``; ``""`` for unprefixed ones)."""
    param_prefix = var_prefix if param_prefix is None else param_prefix
    return battery_fix(
        label, _unprefixed(block.variables, var_prefix), _unprefixed(block.parameters, param_prefix)
    )


def _unprefixed(d: dict, prefix: str) -> dict:
    return {k[len(prefix) :]: v for k, v in d.items() if k.startswith(prefix)}
