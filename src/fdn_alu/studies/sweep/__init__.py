"""Parameter sweeps: a spec, its points, the engine (process pool or Dask) and the sweep folder."""
