"""Start-up of a command: the modules it needs imported with the garbage collector paused, and
the solver stack's imports that no dispatch uses deferred until they are used.

Two costs that do no work for a result (ieee85 x 96, ``fdn-alu run``; docs/ARCHITECTURE.md
"Start-up and the cost around the solver"):

* cvxpy imports ``scipy.stats`` (with ``scipy.optimize``, ``scipy.spatial``,
  ``scipy.interpolate``) for one function, ``entropy``, which only the numeric value of its
  ``quantum_rel_entr`` atom calls: ~0.5-0.7 s of the ~1.3 s of imports. Its solver listing
  imports every installed solver's package (``highspy``, ``osqp``, ``scipy.optimize``) to see
  that it is there.
  :class:`DeferredImports` keeps both out of start-up without changing what they do when used:
  cvxpy's module is executed with ``entropy`` defined as a function that imports
  ``scipy.stats`` on its first call, and the listed packages are loaded on first attribute
  access (:class:`importlib.util.LazyLoader`).
* The cyclic garbage collector runs hundreds of times while ~2,500 modules are imported and
  finds nothing to free; :func:`imports` pauses it and then freezes what was imported
  (:func:`gc.freeze`), so that later collections do not scan the modules' objects again.

Only the command line installs these (:func:`install`); ``import fdn_alu`` changes nothing.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence

ENTROPY_IMPORT = "from scipy.stats import entropy\n"
"""The line of cvxpy's ``quantum_rel_entr`` module that imports ``scipy.stats``."""
ENTROPY_ON_USE = (
    "def entropy(*args, **kwargs):\n"
    "    from scipy.stats import entropy as scipy_entropy\n"
    "    return scipy_entropy(*args, **kwargs)\n"
)
"""What it is executed as: the same function, ``scipy.stats`` imported at its first call."""
REWRITTEN = {"cvxpy.atoms.quantum_rel_entr": (ENTROPY_IMPORT, ENTROPY_ON_USE)}
"""Module -> (source line, replacement): modules executed with one import made on use."""
LAZY = ("highspy", "osqp", "scipy.optimize")
"""Packages cvxpy's solver listing imports only to see that they are installed: loaded on
first attribute access. A second ``import`` of one (cvxpy's ``installed_solvers()`` again)
loads it then; :func:`fdn_alu.solve.available_solvers` uses the listing cvxpy made at import."""


class DeferredImports(importlib.abc.MetaPathFinder):
    """A finder for :data:`REWRITTEN` and :data:`LAZY` only; every other import is untouched.

    It asks the regular path finder for the module's spec and changes only its loader, for a
    Python source module: a :class:`RewritingLoader` for :data:`REWRITTEN` (when the source has
    the expected line; else the module loads as it is), an :class:`importlib.util.LazyLoader`
    for :data:`LAZY`.
    """

    def find_spec(self, fullname: str, path: Sequence[str] | None, target=None):
        if fullname not in REWRITTEN and fullname not in LAZY:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec  # not a Python source module (compiled only, extension): as it is
        if fullname in REWRITTEN:
            spec.loader = RewritingLoader(spec.loader, *REWRITTEN[fullname])
        else:
            spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


class RewritingLoader(importlib.abc.Loader):
    """Executes a module's source with one line replaced (unchanged when the line is absent)."""

    def __init__(self, loader: importlib.machinery.SourceFileLoader, line: str, new: str):
        self.loader, self.line, self.new = loader, line, new

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module) -> None:
        source = self.loader.get_source(module.__name__)
        if source is None or self.line not in source:
            self.loader.exec_module(module)
            return
        code = compile(source.replace(self.line, self.new, 1), self.loader.path, "exec")
        exec(code, module.__dict__)


FINDER = DeferredImports()


def install() -> None:
    """Put :data:`FINDER` first on ``sys.meta_path`` (once); modules imported before are kept."""
    if FINDER not in sys.meta_path:
        sys.meta_path.insert(0, FINDER)


@contextlib.contextmanager
def imports() -> Iterator[None]:
    """Import a command's modules inside this block: deferred imports installed, the garbage
    collector paused, and, when the block imported modules, every object then alive frozen out
    of later collections (:func:`gc.freeze`; once per process in practice: a second block
    imports nothing new and freezes nothing)."""
    install()
    enabled = gc.isenabled()
    modules = len(sys.modules)
    gc.disable()
    try:
        yield
    finally:
        if len(sys.modules) > modules:
            gc.freeze()
        if enabled:
            gc.enable()
