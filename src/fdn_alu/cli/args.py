"""Argument types shared by the commands: one clear message per bad value (exit 2)."""

from __future__ import annotations

import argparse
import math


def scenario_arg(text: str) -> int | str:
    """A scenario number or name (``3``, ``flexible``, ``3a``, ``sop_only``, ...) -> its key."""
    from fdn_alu.cases.scenarios import SCENARIO_CHOICES, SCENARIOS, scenario_key

    key = scenario_key(text)
    if key not in SCENARIOS:
        raise argparse.ArgumentTypeError(f"expected one of {SCENARIO_CHOICES}, got {text!r}")
    return key


def positive_int(text: str) -> int:
    """A whole number >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value
