"""Aggregation: attributed, sampling-scaled usage from the raw store, on an engine."""
