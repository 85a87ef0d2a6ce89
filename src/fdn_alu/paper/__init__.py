"""Reproduction of the primary paper (seed 001): its scenarios, figures, the fitted variant's
calibration and the beyond-the-paper studies."""
