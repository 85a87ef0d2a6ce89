"""Analysis of a solved dispatch: carbon emission flow and the exactness checks."""
