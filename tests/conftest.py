"""Shared fixtures."""

from __future__ import annotations

import pytest

from helpers import radial_net


@pytest.fixture
def two_bus_net():
    return radial_net([(1, 2, 0.01, 0.02)], {2: (0.5, 0.2)})
