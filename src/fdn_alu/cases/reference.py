"""The settings reference (``docs/SETTINGS.md``), generated from the schemas so that it can
never drift from what validation accepts: ``python -m fdn_alu.cases.reference``."""

from __future__ import annotations

from fdn_alu.cases.validate import CORE
from fdn_alu.components.registry import COMPONENTS
from fdn_alu.core.schema import schema_markdown

HEADER = """# Case settings reference

Generated from the settings schemas (`fdn_alu.core.schema`, each component's `settings` module) by
`python -m fdn_alu.cases.reference > docs/SETTINGS.md`; a test checks that this file is current.
"Required" settings have no default. Zero for a limit, cost or target means "none" / "rated
production" where the description says so. Values the built-in cases use, with their sources,
are in the case files (`src/fdn_alu/cases/data/*.toml`).
"""


def settings_markdown() -> str:
    """Every section's table: key, unit, default, description, source."""
    parts = [HEADER]
    parts += [schema_markdown(f"[{name}]", schema) for name, schema in CORE.items()]
    for comp in COMPONENTS:
        parts += [schema_markdown(title, schema) for title, schema in comp.schemas().items()]
    return "\n".join(parts)


if __name__ == "__main__":
    print(settings_markdown(), end="")
