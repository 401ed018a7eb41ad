"""A PostgreSQL schema of its own for one test, on the server `./run test` starts.

`PAHNA_TEST_POSTGRES_URL` names the server. Without it the test is skipped with a reason,
unless `PAHNA_REQUIRE_POSTGRES` is set (as `./run test` does), when it fails instead."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text


@contextmanager
def postgres_schema() -> Iterator[str]:
    """Yield a URL whose connections work in a fresh schema, dropped afterwards."""
    base = os.environ.get("PAHNA_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("PAHNA_REQUIRE_POSTGRES"):
            pytest.fail("PAHNA_REQUIRE_POSTGRES is set but PAHNA_TEST_POSTGRES_URL is not: "
                        "no PostgreSQL server to test against")
        pytest.skip("PostgreSQL not configured: set PAHNA_TEST_POSTGRES_URL "
                    "(./run test starts a server and sets it)")
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
