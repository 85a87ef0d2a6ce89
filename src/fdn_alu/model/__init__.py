"""Optimisation model core: the :class:`Block` every component returns, the DistFlow network
model, the shared battery equations and the recipe that ties the blocks together.

Model code never reads files or the pandapower net and never calls a solver.
"""

from fdn_alu.model.block import Block, flat_constraints, lagged, to_buses

__all__ = ["Block", "flat_constraints", "lagged", "to_buses"]
