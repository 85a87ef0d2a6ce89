"""Studies built on many dispatch runs: scenario grids (:mod:`.sweep`) and analyses on top."""
