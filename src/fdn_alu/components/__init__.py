"""Device components: one package per device, one module per stage (settings, data, model,
post). See ``docs/ARCHITECTURE.md`` and :mod:`fdn_alu.components.base`."""
