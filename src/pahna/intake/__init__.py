"""Intake: bytes from exporters -> Arrow record batches of the flow schema."""
