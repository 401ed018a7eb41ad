"""The registry: provinces, producers and what they claim, with an audit log."""
