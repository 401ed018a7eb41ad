"""Generated months of flows at any size, for engine equivalence tests and sizing."""
