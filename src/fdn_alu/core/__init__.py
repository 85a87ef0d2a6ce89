"""The pipeline's core: case settings schema, per-unit network arrays, model data, solution, and
the run that strings the stages together (``fdn_alu.run`` is :func:`fdn_alu.core.run.run`)."""
