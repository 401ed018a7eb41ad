"""Alembic migrations of the registry; `database.open_registry` runs them to head."""
