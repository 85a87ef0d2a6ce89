"""Seed 002: reserves and industrial demand response, the ancillary-service benefit study."""
