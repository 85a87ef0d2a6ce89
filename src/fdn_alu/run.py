"""``import fdn_alu.run`` gives the function, never a module.

The dispatch pipeline lives in :mod:`fdn_alu.core.run`; its :func:`~fdn_alu.core.run.run` is
the package's public ``fdn_alu.run``. A script that imports ``fdn_alu.run`` as a module (or a
tool that imports every submodule) would otherwise bind the package attribute ``run`` to that
module, and a later ``from fdn_alu import run`` would return a module instead of the function.
This module therefore puts the function itself in ``sys.modules["fdn_alu.run"]``: the import
system then binds ``fdn_alu.run`` to the function, whatever is imported first.
"""

import sys

from fdn_alu.core.run import run

sys.modules[__name__] = run  # type: ignore[assignment]
