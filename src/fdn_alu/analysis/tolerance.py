"""The one rule that judges checks against their tolerances (no heavy imports: the command
line uses it on a summary.json without loading the numerical stack)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def failed_checks(values: Mapping[str, Any], tolerances: Mapping[str, float]) -> list[str]:
    """Names of the checks whose value is outside its tolerance, in the tolerances' order.

    A check fails when its value is not ``<= tolerance``, so NaN and infinite values fail; a
    check whose value is None (did not run, or its component is absent) is not judged.
    """
    return [
        k for k, tol in tolerances.items() if values.get(k) is not None and not values[k] <= tol
    ]
