"""Open contracting data for the grant board: one OCDS 1.1.5 release per event of a call
(`releases.py`), records and packages (`packages.py`), validated offline against the
vendored schema with the extensions the board uses (`schema.py`; files in `schema/` and
`extensions/`)."""
